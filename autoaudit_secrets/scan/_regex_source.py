"""Reading a regular expression's source text (Python ``re`` syntax) without parsing it."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["syntax_chars"]


def syntax_chars(pattern: str) -> Iterator[tuple[int, str]]:
    """The position and character of each character of ``pattern`` that is syntax: outside character classes,
    escapes (a backslash and the character after it) left out. A class's leading ``^`` and a ``]`` right
    after ``[`` or ``[^`` are the class's own (a literal bracket), not its end."""
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            i += 1
            continue
        if c == "[":
            in_class = True
            i += 1
            for literal in ("^", "]"):
                if i < n and pattern[i] == literal:
                    i += 1
            continue
        yield i, c
        i += 1

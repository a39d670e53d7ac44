"""``.dockerignore`` with Docker's own semantics (not gitignore's).

What Docker does, and this module mirrors:

* one pattern a line; a line whose first character is ``#`` is a comment; surrounding whitespace is trimmed; a
  UTF-8 BOM on the first line is dropped;
* ``!`` re-includes; the **last** matching pattern wins;
* every pattern is cleaned like Go's ``filepath.Clean`` (``./a//b/`` → ``a/b``, ``a/../b`` → ``b``) and a
leading
  ``/`` is stripped: patterns are relative to the context root, and — unlike ``.gitignore`` — a pattern
  without a
  slash does **not** match at any depth (``.env`` excludes ``./.env`` only; write ``**/.env`` for every
  level);
* ``*`` and ``?`` do not cross ``/``; ``[...]`` classes and ``\\`` escapes as Go's ``filepath.Match``; ``**``
  matches any number of directories, zero included;
* a pattern that matches a directory excludes everything beneath it (Docker tries the path and each parent).

A per-Dockerfile ignore file, ``<Dockerfile-name>.dockerignore`` beside the Dockerfile, takes precedence over
the
context's ``.dockerignore`` (BuildKit).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DockerIgnore", "clean_pattern", "find_ignore_file", "load_dockerignore", "parse_dockerignore"]


def clean_pattern(pattern: str) -> str:
    """Go ``filepath.Clean`` on a ``/``-separated path (the empty path cleans to ``.``)."""
    if not pattern:
        return "."
    rooted = pattern.startswith("/")
    parts: list[str] = []
    for part in pattern.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def parse_dockerignore(text: str) -> list[str]:
    """The patterns of a ``.dockerignore`` text, normalised as Docker reads them (``!`` kept as a prefix)."""
    patterns: list[str] = []
    for index, raw in enumerate(text.splitlines()):
        if index == 0:
            raw = raw.removeprefix("\ufeff")
        if raw.startswith("#"):
            continue
        pattern = raw.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = clean_pattern(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append(("!" if invert else "") + pattern)
    return patterns


def _compile(pattern: str) -> re.Pattern[str] | None:
    """Translate one cleaned pattern to an anchored regular expression (None when it is malformed)."""
    out = ["^"]
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(?:.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i + 1 < n:
                i += 1
                out.append(re.escape(pattern[i]))
            else:
                out.append(re.escape("\\"))
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                return None
            body = pattern[i + 1 : end]
            if body.startswith("^"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return None


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str
    exclusion: bool  # True for a "!" re-include
    regex: re.Pattern[str] | None


class DockerIgnore:
    """A compiled ``.dockerignore``: :meth:`excludes` tells whether a context path stays out of the build."""

    def __init__(self, patterns: Iterable[str]) -> None:
        compiled: list[_Pattern] = []
        for raw in patterns:
            exclusion = raw.startswith("!")
            text = raw[1:] if exclusion else raw
            if not text:
                continue
            text = clean_pattern(text)
            compiled.append(_Pattern(text, exclusion, _compile(text)))
        self._patterns = tuple(compiled)

    @classmethod
    def from_text(cls, text: str) -> DockerIgnore:
        return cls(parse_dockerignore(text))

    @property
    def patterns(self) -> tuple[str, ...]:
        return tuple(("!" if p.exclusion else "") + p.text for p in self._patterns)

    @property
    def has_reincludes(self) -> bool:
        """True when some ``!`` pattern may bring back files under an excluded folder."""
        return any(p.exclusion for p in self._patterns)

    def excludes(self, relpath: str) -> bool:
        """True when ``relpath`` (``/``-separated, relative to the context root) stays out of the build."""
        path = clean_pattern(relpath.replace("\\", "/")).lstrip("/")
        parent = posixpath.dirname(path)
        parent_dirs = parent.split("/") if parent else []
        matched = False
        for pattern in self._patterns:
            # An exclusion can only change a match, a pattern only a non-match.
            if pattern.exclusion != matched or pattern.regex is None:
                continue
            hit = pattern.regex.match(path) is not None
            if not hit and parent_dirs:
                for depth in range(1, len(parent_dirs) + 1):
                    if pattern.regex.match("/".join(parent_dirs[:depth])):
                        hit = True
                        break
            if hit:
                matched = not pattern.exclusion
        return matched


def find_ignore_file(context_dir: Path, dockerfile: Path | None) -> Path | None:
    """The ignore file a build uses: ``<Dockerfile-name>.dockerignore`` beside the Dockerfile first, else the
    context's ``.dockerignore``; None when there is neither."""
    if dockerfile is not None:
        specific = dockerfile.with_name(dockerfile.name + ".dockerignore")
        if specific.is_file():
            return specific
    general = context_dir / ".dockerignore"
    return general if general.is_file() else None


def load_dockerignore(context_dir: Path, dockerfile: Path | None = None) -> DockerIgnore:
    """The :class:`DockerIgnore` of a build (empty when there is no ignore file or it cannot be read)."""
    path = find_ignore_file(context_dir, dockerfile)
    if path is None:
        return DockerIgnore(())
    from ...._safe_read import read_text

    text = read_text(path)
    return DockerIgnore.from_text(text) if text is not None else DockerIgnore(())

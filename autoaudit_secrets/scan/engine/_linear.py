"""Linear-time matching of the regular expressions a *scanned repository* supplies.

A configuration file comes from the scanned tree (a pull request can change it), so its ``[[rules]]``
patterns, ``allow-values`` and the rules' ``examples``/``negative_examples`` are hostile input. Python's
``re`` backtracks: ``(a+)+$`` against a line of ``a`` takes exponential time, and a repository could hang the
scanner (and a CI runner) forever. These expressions therefore never reach ``re``:

* :class:`LinearPattern` compiles a pattern with RE2 (``google-re2``), which runs in time linear in the text
  and gives the capture groups (``secret``, ``name``) the engine needs. User ``[[rules]]`` need it.
* :class:`ValueAllowlist` answers "does any ``allow-values`` expression occur in this value?" with RE2, or
  else with one Hyperscan database (also linear; no groups needed).
* With neither engine installed, a configuration holding such expressions is refused with a one-line
  :class:`ValueError` saying what to install — never run by ``re``.

Constructs the engines cannot run in linear time (back-references, look-around, atomic groups) are rejected
when the configuration is read, with the engine's reason. RE2 syntax is close to Python's; one difference
worth knowing: ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII-only.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = [
    "LinearMatch",
    "LinearPattern",
    "NoLinearEngineError",
    "ValueAllowlist",
    "has_re2",
    "linear_engine_available",
]

_INSTALL_HINT = "pip install 'autoaudit-secrets[fast]'"


class NoLinearEngineError(ValueError):
    """No linear-time regex engine is installed, so a user-supplied expression cannot be run safely."""


@functools.cache
def has_re2() -> bool:
    """Whether ``google-re2`` can be imported."""
    try:
        import re2  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _has_hyperscan() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def linear_engine_available() -> bool:
    """Whether ``allow-values`` can be matched at all (RE2 or Hyperscan)."""
    return has_re2() or _has_hyperscan()


def _re2_options(*, capture: bool = True) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print its parse errors to stderr
    options.max_mem = 64 << 20
    options.never_capture = not capture
    return options


def _re2_reason(exc: BaseException) -> str:
    raw = exc.args[0] if exc.args else ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:120] or type(exc).__name__


class LinearMatch:
    """One RE2 match with the part of :class:`re.Match`'s interface the engine uses (groups by name or
    number)."""

    __slots__ = ("_match", "re", "string")

    def __init__(self, match: Any, pattern: LinearPattern, string: str) -> None:
        self._match = match
        self.re = pattern
        self.string = string

    def _index(self, group: int | str) -> int:
        return self.re.groupindex[group] if isinstance(group, str) else group

    def span(self, group: int | str = 0) -> tuple[int, int]:
        start, end = self._match.span(self._index(group))
        return int(start), int(end)

    def start(self, group: int | str = 0) -> int:
        return self.span(group)[0]

    def end(self, group: int | str = 0) -> int:
        return self.span(group)[1]

    def group(self, group: int | str = 0) -> str | None:
        value = self._match.group(self._index(group))
        return value if value is None else str(value)


class LinearPattern:
    """A user-supplied pattern compiled by RE2, with the part of :class:`re.Pattern`'s interface the engine
    uses (``search``, ``finditer``, ``groupindex``, ``pattern``).

    Raises :class:`NoLinearEngineError` without RE2, and :class:`ValueError` (one line, the engine's reason)
    for a pattern RE2 cannot run."""

    __slots__ = ("_regex", "groupindex", "pattern")

    def __init__(self, pattern: str, *, case_insensitive: bool = False) -> None:
        if not has_re2():
            raise NoLinearEngineError(
                "a regular expression from the configuration needs the linear-time RE2 engine, which is not "
                f"installed ({_INSTALL_HINT}); Python's re could be made to hang on crafted input"
            )
        import re2

        try:
            self._regex = re2.compile(("(?i)" if case_insensitive else "") + pattern, _re2_options())
        except re2.error as exc:
            raise ValueError(f"RE2 cannot run it in linear time: {_re2_reason(exc)}") from None
        self.pattern = pattern
        self.groupindex: dict[str, int] = dict(self._regex.groupindex)

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> LinearMatch | None:
        found = self._regex.search(text, pos, len(text) if endpos is None else endpos)
        return None if found is None else LinearMatch(found, self, text)

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[LinearMatch]:
        for found in self._regex.finditer(text, pos, len(text) if endpos is None else endpos):
            yield LinearMatch(found, self, text)


class ValueAllowlist:
    """The ``allow-values`` expressions: :meth:`allows` says whether any of them occurs in a secret value.

    RE2 when installed, else one Hyperscan database; :meth:`check` validates one expression (a one-line
    :class:`ValueError`), and construction raises :class:`NoLinearEngineError` when neither engine exists."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        self._re2: list[Any] = []
        self._hs: Any = None
        self._scratch: Any = None
        if not self.patterns:
            return
        if has_re2():
            import re2

            options = _re2_options(capture=False)
            self._re2 = [re2.compile(p, options) for p in self.patterns]
        elif _has_hyperscan():
            self._hs, self._scratch = _hyperscan_db(self.patterns)
        else:
            raise NoLinearEngineError(_no_engine_message())

    def __bool__(self) -> bool:
        return bool(self.patterns)

    @staticmethod
    def check(pattern: str) -> None:
        """Raise a one-line :class:`ValueError` when ``pattern`` cannot be matched in linear time here."""
        if has_re2():
            import re2

            try:
                re2.compile(pattern, _re2_options(capture=False))
            except re2.error as exc:
                raise ValueError(f"RE2 cannot run it in linear time: {_re2_reason(exc)}") from None
        elif _has_hyperscan():
            _hyperscan_db([pattern])
        else:
            raise NoLinearEngineError(_no_engine_message())

    def allows(self, value: str) -> bool:
        """Whether one of the expressions occurs in ``value`` (a regex *search*)."""
        if self._re2:
            return any(regex.search(value) is not None for regex in self._re2)
        if self._hs is None:
            return False
        import hyperscan

        found = False

        def on_match(*_args: object) -> bool:
            nonlocal found
            found = True
            return True  # stop at the first match

        with contextlib.suppress(hyperscan.ScanTerminated):
            self._hs.scan(
                value.encode("utf-8", "surrogatepass"), match_event_handler=on_match, scratch=self._scratch
            )
        return found


def _no_engine_message() -> str:
    return (
        "allow-values needs a linear-time regex engine (RE2 or Hyperscan), and none is installed "
        f"({_INSTALL_HINT}); Python's re could be made to hang on crafted input"
    )


def _hyperscan_db(patterns: Sequence[str]) -> tuple[Any, Any]:
    import hyperscan

    flags = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_ALLOWEMPTY
    db = hyperscan.Database()
    try:
        db.compile(
            expressions=[p.encode("utf-8") for p in patterns],
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[flags] * len(patterns),
        )
    except hyperscan.error as exc:
        raise ValueError(f"Hyperscan cannot run it in linear time: {_re2_reason(exc)}") from None
    return db, hyperscan.Scratch(db)

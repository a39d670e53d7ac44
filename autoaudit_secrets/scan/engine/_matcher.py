"""A linear-time multi-pattern matcher with a fallback chain.

Backends, best first (``CHECK_SECRETS_MATCHER=hyperscan|re2|re`` or the ``backend`` argument forces one):

``hyperscan``
    every pattern compiled into one Hyperscan database (patterns it cannot compile exactly are added with
    ``HS_FLAG_PREFILTER``); one pass over the bytes reports ``(pattern, end offset)`` candidates, each
    confirmed by Python ``re`` in a small window ending there (the pattern's maximum width). Compiled
    databases are cached on disk under ``$XDG_CACHE_HOME/autoaudit-secrets``, keyed by a hash of the patterns
    and the Hyperscan version. A document with very many candidates is re-scanned with a
    ``HS_FLAG_SINGLEMATCH`` database that only says which patterns occur; those are then run by ``re`` over
    the whole text.
``re2``
    an ``re2.Set`` says which patterns occur; RE2 finds their matches in linear time; ``re`` confirms each one
    in a window (to get Python semantics and named groups).
``re``
    Python ``re`` over the whole text, each pattern tried only when one of its keywords occurs (a keyword
    prefilter). Not linear-time in general; the last resort.

Hyperscan works on bytes: non-ASCII characters are replaced by ``?`` one-for-one so byte and character offsets
agree. Patterns are written in ASCII, so this only matters for classes such as ``\\w`` matching non-ASCII
letters in Python (which the fast backends then do not report).
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import os
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..._errors import ScanError
from .._regex_source import syntax_chars

__all__ = [
    "MATCHER_ENV",
    "Matcher",
    "MatcherBackend",
    "PatternSpec",
    "cache_dir",
    "fallback_note",
    "max_width",
    "prune_cache",
    "relax_repeats",
    "touch_cache",
]

MATCHER_ENV = "CHECK_SECRETS_MATCHER"
_WINDOW_LIMIT = 8192  # patterns wider than this are confirmed over the whole text
_MAX_CANDIDATES = 20000  # per scan call, before a document is scanned in blocks (see _find_in_blocks)
_BLOCK_BYTES = 256 * 1024
_CACHE_FORMAT = "4"  # 2: the meta file also holds each pattern's width and line bounds; 3: relaxed repeats;
# 4: the meta file names its database (length and CRC)
# Hyperscan's compile time grows with bounded repeats nested in repeated groups: see relax_repeats.
_RELAX_FROM = 64
_REPEAT = re.compile(r"\{(\d+),(\d+)\}")
_TRAILING = re.compile(r"[?+]?[)$]*")  # what may follow a repeat that ends a pattern


class MatcherBackend(enum.Enum):
    """The matching engine in use (``ScanStats.matcher`` holds its value)."""

    HYPERSCAN = "hyperscan"
    RE2 = "re2"
    RE = "re"


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """One pattern to match: Python ``re`` syntax in the portable subset, its case flag and prefilter keywords
    (empty: always tried). ``linear``: the pattern is untrusted (a scanned repository's configuration) and is
    never run by Python ``re`` — RE2 confirms and extracts its matches (see :mod:`._linear`)."""

    pattern: str
    case_insensitive: bool = False
    keywords: tuple[str, ...] = ()
    linear: bool = False


# How many versions of each cached kind ("hs", "rules") are kept: the newest used. Each rule set or Hyperscan
# version makes a new entry; without pruning, upgrades and custom rules would grow the cache without bound.
CACHE_KEEP = 6


def prune_cache(kind: str, *, keep: int = CACHE_KEEP) -> None:
    """Delete all but the ``keep`` most recently used entries of one kind of cache file
    (``<kind>-<key>.*``).

    Use is tracked by modification time (:func:`touch_cache` on each hit). Best effort: errors only cost
    time."""
    try:
        groups: dict[str, float] = {}
        entries = list(cache_dir().glob(f"{kind}-*"))
        for path in entries:
            key = path.name.split(".", 1)[0]
            groups[key] = max(groups.get(key, 0.0), path.stat().st_mtime)
        stale = set(sorted(groups, key=groups.__getitem__, reverse=True)[keep:])
        for path in entries:
            if path.name.split(".", 1)[0] in stale:
                path.unlink(missing_ok=True)
    except OSError:
        pass


def touch_cache(path: Path) -> None:
    """Mark a cache entry as just used (keeps it out of :func:`prune_cache`'s reach)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def all_matches(
    regex: re.Pattern[str], text: str, pos: int = 0, endpos: int | None = None
) -> list[re.Match[str]]:
    """``regex.finditer(text, pos, endpos)``, but each search after a match goes on from the end of the
    match's ``secret`` group rather than from the end of the match. A pattern that wants a delimiter in front
    of its token ends by taking the character after it (``(?:[^A-Za-z0-9]|$)``); when that character is the
    next token's delimiter (bare values one a line, or apart by one blank), non-overlapping matches left the
    next token none, and only every other one was found. A match still starts after the token before it."""
    if "secret" not in regex.groupindex:
        return list(regex.finditer(text, pos, len(text) if endpos is None else endpos))
    stop = len(text) if endpos is None else endpos
    search = regex.search
    found: list[re.Match[str]] = []
    while pos <= stop:
        m = search(text, pos, stop)
        if m is None:
            break
        found.append(m)
        start, end = m.start(), m.end()
        token_end = m.end("secret")
        pos = token_end if start < token_end < end else end
        if pos <= start:
            pos = start + 1  # (an empty match, or an empty token at the start: on, as finditer goes)
    return found


def _large_repeat(pattern: str, at: int, bound: int) -> re.Match[str] | None:
    m = _REPEAT.match(pattern, at)
    return m if m is not None and int(m.group(2)) >= bound else None


def relax_repeats(pattern: str, bound: int = _RELAX_FROM) -> str:
    """What Hyperscan compiles for ``pattern``: the same, unless a bounded repeat with an upper bound of
    ``bound`` or more stands inside a repeated group (``(?:[^\\n]{0,250}\\\\\\n){0,4}``: a command continued
    over lines). Such nesting is what makes Hyperscan's compile slow (2 s for one pattern); in such a pattern
    every repeat of that size is made unbounded (``{0,250}`` becomes ``*``, ``{2,400}?`` becomes ``{2,}?``),
    except one that ends the pattern (that would add match ends, each a candidate to confirm). The result is
    a superset that matches wherever the pattern does, ending where it ends; ``re`` confirms each candidate
    with the exact pattern. Braces inside a character class or escaped are left alone."""
    if "{" not in pattern:
        return pattern
    large: list[re.Match[str]] = []
    groups: list[bool] = [False]  # per open group: holds a large repeat
    nested = False
    for at, c in syntax_chars(pattern):
        if c == "(":
            groups.append(False)
        elif c == ")" and len(groups) > 1:
            inner = groups.pop()
            follows = pattern[at + 1 : at + 2]
            nested = nested or (inner and follows in ("{", "*", "+"))
            groups[-1] = groups[-1] or inner
        elif c == "{" and (m := _large_repeat(pattern, at, bound)) is not None:
            large.append(m)
            groups[-1] = True
    if not nested:
        return pattern
    out: list[str] = []
    last = 0
    for m in large:
        if _TRAILING.fullmatch(pattern, m.end()):
            continue
        low = int(m.group(1))
        out += [pattern[last : m.start()], "*" if low == 0 else "+" if low == 1 else f"{{{low},}}"]
        last = m.end()
    out.append(pattern[last:])
    return "".join(out)


def _db_identity(serialized: bytes) -> list[int]:
    """A serialized Hyperscan database's bytecode length and CRC32C, as its header holds them (magic, version,
    length, platform, CRC: little-endian words at offsets 8 and 20)."""
    if len(serialized) < 24:
        return []
    return [int.from_bytes(serialized[8:12], "little"), int.from_bytes(serialized[20:24], "little")]


def cache_dir() -> Path:
    """Where compiled pattern databases are cached (``$XDG_CACHE_HOME/autoaudit-secrets``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "autoaudit-secrets"


def max_width(pattern: str, flags: int = 0) -> int:
    """The widest match of ``pattern`` in characters (huge when a repetition is unbounded). Parsing only:
    nothing is matched, so a hostile pattern costs time linear in its length."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        width = int(_parser.parse(pattern, flags).getwidth()[1])
    except Exception:  # (validated patterns always parse)
        return _WINDOW_LIMIT + 1
    return width


def secret_prefixes(pattern: str, group: str | int = "secret") -> tuple[tuple[str, ...], int]:
    """``(prefixes, width)``: the literal texts every match of ``pattern``'s secret group begins with
    (``ghp_``; ``xoxp-`` and ``xoxe-`` for ``xox[pe]-``: one choice of single characters is spelled out) and
    the fewest characters that group matches; no prefixes when the group begins with something else (a class
    of many characters, a repetition, a choice of words) or cannot be found. Parsing only, as
    :func:`max_width`."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    try:
        parsed = _parser.parse(pattern, 0)
        index = parsed.state.groupdict[group] if isinstance(group, str) else group
    except Exception:  # (validated patterns parse; a pattern may lack the group)
        return (), 0

    def find(items: Any) -> Any:
        for op, av in items:
            if op is c.SUBPATTERN:
                if av[0] == index:
                    return av[3]
                found = find(av[3])
            elif op is c.BRANCH:
                found = next((f for branch in av[1] if (f := find(branch)) is not None), None)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                found = find(av[2])
            elif op is c.ATOMIC_GROUP:
                found = find(av)
            else:
                continue
            if found is not None:
                return found
        return None

    try:
        sub = parsed if index == 0 else find(parsed.data)
    except RecursionError:  # (validation bounds the nesting; an unvalidated pattern gets no prefix)
        return (), 0
    if sub is None:
        return (), 0
    prefixes = [""]
    chose = False
    for op, av in sub.data:
        if op is c.LITERAL:
            prefixes = [prefix + chr(av) for prefix in prefixes]
        elif op is c.IN and not chose and 1 < len(av) <= 8 and all(o is c.LITERAL for o, _ in av):
            chose = True
            prefixes = [prefix + chr(v) for prefix in prefixes for _, v in av]
        else:
            break
    try:
        width = int(sub.getwidth()[0])
    except Exception:  # pragma: no cover - (as max_width: validated patterns have a width)
        return (), 0
    return tuple(p for p in prefixes if p), width


def _line_bounds(pattern: str, flags: int) -> tuple[int, int]:
    """``(head, tail)``: a match of ``pattern`` holds line feeds only in its first ``head`` and its last
    ``tail`` characters. Found by splitting the top-level elements around the widest run of elements that
    cannot match a line feed (anchors and lookarounds add no text); the middle part then lies on one line, so
    a match ending at ``end`` starts at most ``head`` characters before the start of the line holding
    ``end - tail``. ``(width, 0)`` (no bound) when every element may match a line feed or when unsure."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    try:
        parsed = _parser.parse(pattern, flags)
    except Exception:  # pragma: no cover - validated patterns always parse
        return _WINDOW_LIMIT + 1, 0
    newline_categories = {
        c.CATEGORY_SPACE,
        c.CATEGORY_NOT_DIGIT,
        c.CATEGORY_NOT_WORD,
        c.CATEGORY_LINEBREAK,
        c.CATEGORY_UNI_SPACE,
        c.CATEGORY_UNI_NOT_DIGIT,
        c.CATEGORY_UNI_NOT_WORD,
        c.CATEGORY_UNI_LINEBREAK,
        c.CATEGORY_LOC_NOT_WORD,
    }
    known_categories = newline_categories | {
        c.CATEGORY_DIGIT,
        c.CATEGORY_NOT_SPACE,
        c.CATEGORY_WORD,
        c.CATEGORY_NOT_LINEBREAK,
        c.CATEGORY_UNI_DIGIT,
        c.CATEGORY_UNI_NOT_SPACE,
        c.CATEGORY_UNI_WORD,
        c.CATEGORY_UNI_NOT_LINEBREAK,
        c.CATEGORY_LOC_WORD,
    }

    def in_set(items: Any) -> bool:
        negate = hit = False
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                hit = hit or av == 10
            elif op is c.RANGE:
                hit = hit or av[0] <= 10 <= av[1]
            elif op is c.CATEGORY and av in known_categories:
                hit = hit or av in newline_categories
            else:
                return True
        return hit != negate

    def seq(items: Any, dotall: bool) -> bool:
        for op, av in items:
            if op is c.LITERAL:
                found = av == 10
            elif op is c.NOT_LITERAL:
                found = av != 10
            elif op is c.ANY:
                found = dotall
            elif op is c.IN:
                found = in_set(av)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                found = av[1] != 0 and seq(av[2], dotall)
            elif op is c.SUBPATTERN:
                _, add, remove, sub = av
                found = seq(sub, (dotall or bool(add & re.DOTALL)) and not remove & re.DOTALL)
            elif op is c.BRANCH:
                found = any(seq(branch, dotall) for branch in av[1])
            elif op is c.ATOMIC_GROUP:
                found = seq(av, dotall)
            elif op is c.GROUPREF_EXISTS:
                found = seq(av[1], dotall) or (av[2] is not None and seq(av[2], dotall))
            elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                found = False
            else:  # a back-reference, or something new: assume it can
                return True
            if found:
                return True
        return False

    def width(items: list[Any]) -> int:
        return int(_parser.SubPattern(parsed.state, items).getwidth()[1]) if items else 0

    dotall = bool(parsed.state.flags & re.DOTALL)
    items = list(parsed.data)
    crossing = [seq([item], dotall) for item in items]
    best: tuple[int, int, int] | None = None  # (core width, start, end)
    start = 0
    for position in range(len(items) + 1):
        if position == len(items) or crossing[position]:
            if position > start:
                core = width(items[start:position])
                if best is None or core > best[0]:
                    best = (core, start, position)
            start = position + 1
    if best is None:
        return width(items), 0
    return width(items[: best[1]]), width(items[best[2] :])


def _available(backend: MatcherBackend) -> bool:
    try:
        if backend is MatcherBackend.HYPERSCAN:
            import hyperscan  # noqa: F401
        elif backend is MatcherBackend.RE2:
            import re2  # noqa: F401
    except ImportError:
        return False
    return True


# Where ``pip install autoaudit-secrets`` brings Hyperscan along (the platforms it publishes wheels for; the
# dependency marker in pyproject.toml says the same).
_HYPERSCAN_PLATFORMS = "Linux x86_64/aarch64, macOS x86_64/arm64, Windows x64"


def fallback_note(backend: MatcherBackend) -> str | None:
    """One line saying why an automatically chosen ``backend`` is slower than Hyperscan and how to fix it;
    ``None`` for Hyperscan. (A backend forced with ``$CHECK_SECRETS_MATCHER`` is the user's choice: the
    caller does not ask.)"""
    if backend is MatcherBackend.HYPERSCAN:
        return None
    fix = (
        f"fix: `pip install hyperscan` ({_HYPERSCAN_PLATFORMS}); elsewhere "
        "`pip install 'autoaudit-secrets[fast]'` for RE2"
    )
    if backend is MatcherBackend.RE2:
        return f"hyperscan is not installed: scanning with re2, 10-20x slower; {fix}"
    return f"neither hyperscan nor google-re2 is installed: scanning with re, 40-50x slower; {fix}"


def choose_backend(requested: str | MatcherBackend | None = None) -> MatcherBackend:
    """The backend to use: the requested one (argument, else ``$CHECK_SECRETS_MATCHER``) or the best
    available.

    Raises :class:`ScanError` when a forced backend is unknown or not installed."""
    wanted = requested if requested is not None else (os.environ.get(MATCHER_ENV) or None)
    if wanted is not None:
        try:
            backend = (
                wanted if isinstance(wanted, MatcherBackend) else MatcherBackend(str(wanted).strip().lower())
            )
        except ValueError:
            raise ScanError(f"unknown matcher {wanted!s}: choose hyperscan, re2 or re") from None
        if not _available(backend):
            raise ScanError(
                f"matcher {backend.value} is not installed (pip install 'autoaudit-secrets[fast]')"
            )
        return backend
    for backend in (MatcherBackend.HYPERSCAN, MatcherBackend.RE2):
        if _available(backend):
            return backend
    return MatcherBackend.RE


def _requested(requested: str | MatcherBackend | None) -> bool:
    return requested is not None or bool(os.environ.get(MATCHER_ENV))


@dataclass(frozen=True, slots=True)
class Prescan:
    """Hyperscan candidates of one document's raw bytes (see :meth:`Matcher.prescan`)."""

    length: int
    ends: dict[int, list[int]]
    overflow: bool
    has_unprefiltered: bool  # some patterns run by re only: the document must be decoded anyway
    # The bytes scanned (the document's own; None for a share of a joined scan): their decoding need not be
    # scanned again, nor lowered as text for the keyword checks (see Matcher.find).
    data: bytes | None = None

    @property
    def empty(self) -> bool:
        """True when no pattern can match these bytes."""
        return not self.ends and not self.overflow and not self.has_unprefiltered


_CONTINUATION = bytes(range(0x80, 0xC0))  # the bytes that continue a UTF-8 character


class _Lowered:
    """A document lowered for the keyword checks, computed once and only when a check needs it. ASCII keywords
    (all the built-in ones) are looked for in the lowered *bytes* — the document's own when it has them, else
    its ASCII rendering — which is ten times cheaper than lowering a non-ASCII ``str``; a non-ASCII keyword is
    looked for in the lowered text."""

    __slots__ = ("_bytes", "_raw", "_str", "_text")

    def __init__(self, text: str, raw: bytes | None = None) -> None:
        self._text = text
        self._raw = raw
        self._bytes: bytes | None = None
        self._str: str | None = None

    def has_bytes(self, keyword: bytes) -> bool:
        lowered = self._bytes
        if lowered is None:
            raw = self._raw if self._raw is not None else self._text.encode("ascii", "replace")
            lowered = self._bytes = raw.lower()
        return keyword in lowered

    def has_text(self, keyword: str) -> bool:
        lowered = self._str
        if lowered is None:
            lowered = self._str = self._text.lower()
        return keyword in lowered


def _text_ends(prescan: Prescan, text: str) -> dict[int, list[int]] | None:
    """The prescan's candidate ends as offsets in ``text``, the decoding of the bytes it scanned: the same
    when each character is one byte (ASCII, latin-1); for UTF-8, each end less the continuation bytes before
    it (an end inside a character moves past it). ``None`` when ``text`` is not known to be the decoding of
    those bytes (then the text is scanned again)."""
    data = prescan.data
    if prescan.length == len(text):
        if data is None and not text.isascii():
            return None
        return prescan.ends  # one byte per character
    if data is None or len(data) != prescan.length or data.startswith(b"\xef\xbb\xbf"):
        return None
    positions = sorted({end for ends in prescan.ends.values() for end in ends})
    chars: dict[int, int] = {}
    before = continued = 0
    for end in positions:
        segment = data[before:end]
        if not segment.isascii():  # (most stretches between candidates are: nothing to count)
            continued += len(segment) - len(segment.translate(None, _CONTINUATION))
        chars[end] = end - continued
        before = end
    tail = data[before:]
    if not tail.isascii():
        continued += len(tail) - len(tail.translate(None, _CONTINUATION))
    if len(data) - continued != len(text):
        return None  # not the UTF-8 decoding of these bytes after all
    return {index: [chars[end] for end in ends] for index, ends in prescan.ends.items()}


class Matcher:
    """Finds every match of a set of patterns in a text. Build once, use for many documents (not
    thread-safe)."""

    def __init__(self, specs: Sequence[PatternSpec], backend: str | MatcherBackend | None = None) -> None:
        self.specs = tuple(specs)
        self.backend = choose_backend(backend)
        # Why the automatically chosen backend is not Hyperscan (None when it is, or when one was forced).
        self.fallback: str | None = None if _requested(backend) else fallback_note(self.backend)
        self._flags = [re.IGNORECASE if s.case_insensitive else 0 for s in self.specs]
        self._compiled: list[re.Pattern[str] | None] = [None] * len(self.specs)
        self._widths: list[int | None] = [None] * len(self.specs)
        self._bounds: list[tuple[int, int] | None] = [None] * len(self.specs)
        self._key: str | None = None  # of the compiled-database cache (see _cache_key)
        self._hs: Any = None
        self._hs_single: Any = None
        self._hs_scratch: Any = None
        self._hs_scratch_single: Any = None
        self._hs_missing: tuple[int, ...] = ()
        self._hs_prefilter: tuple[int, ...] = ()
        self._re2_set: Any = None
        self._re2_missing: tuple[int, ...] = ()
        self._re2_ids: list[int] = []
        self._skip: AbstractSet[int] = frozenset()
        self._re2: list[Any] = [None] * len(self.specs)
        self._keywords: list[tuple[tuple[bytes, ...], tuple[str, ...]] | None] = [None] * len(self.specs)

    # -- shared helpers ------------------------------------------------------------------------------------

    def regex(self, index: int) -> re.Pattern[str]:
        """The Python ``re`` pattern of spec ``index`` (compiled on first use); for a ``linear`` spec, its RE2
        twin with the same interface (a repository's pattern never runs on ``re``)."""
        compiled = self._compiled[index]
        if compiled is None:
            spec = self.specs[index]
            if spec.linear:
                from ._linear import LinearPattern

                linear = LinearPattern(spec.pattern, case_insensitive=spec.case_insensitive)
                compiled = cast("re.Pattern[str]", linear)
            else:
                compiled = re.compile(spec.pattern, self._flags[index])
            self._compiled[index] = compiled
        return compiled

    def _width(self, index: int) -> int:
        width = self._widths[index]
        if width is None:
            width = max_width(self.specs[index].pattern, self._flags[index])
            self._widths[index] = width
        return width

    def _line_bounds(self, index: int) -> tuple[int, int]:
        bounds = self._bounds[index]
        if bounds is None:
            bounds = _line_bounds(self.specs[index].pattern, self._flags[index])
            self._bounds[index] = bounds
        return bounds

    def _keyword_ok(
        self, index: int, lowered: _Lowered, text: str | None = None, ends: Sequence[int] = ()
    ) -> bool:
        """Whether pattern ``index`` is tried on this document: one of its keywords occurs in it (or it has
        none). With candidate ``ends`` in ``text``, the text just before the first few is looked at first: a
        keyword is nearly always part of the match, and a whole large document is lowered and searched only
        when it is not there."""
        if index in self._skip:
            return False
        if text is not None and ends and self.specs[index].keywords:
            reach = min(self._width(index), 1024) + 2
            near = self.specs[index].keywords
            for end in ends[:4]:
                window = text[max(0, end - reach) : end + 2].lower()
                if any(k in window for k in near):
                    return True
        keywords = self._keywords[index]
        if keywords is None:
            spec_keywords = self.specs[index].keywords
            keywords = self._keywords[index] = (
                tuple(k.encode() for k in spec_keywords if k.isascii()),
                tuple(k for k in spec_keywords if not k.isascii()),
            )
        ascii_keywords, other = keywords
        if not ascii_keywords and not other:
            return True
        return any(lowered.has_bytes(k) for k in ascii_keywords) or any(lowered.has_text(k) for k in other)

    def _confirm(self, index: int, text: str, ends: Sequence[int]) -> list[re.Match[str]]:
        regex = self.regex(index)
        width = self._width(index)
        if width > _WINDOW_LIMIT:
            return all_matches(regex, text)
        n = len(text)
        windows: list[list[int]] = []
        hi = -1
        # A match holds line feeds only in its first `head` and last `tail` characters, so it starts at most
        # `head` characters before the line holding end - tail: however wide the pattern (a token of up to
        # 1000 characters), its window need not reach further back than that.
        head, tail = self._line_bounds(index)
        bounded = head + tail < width
        for end in sorted(ends):
            if end <= hi:
                continue  # inside the current window already
            lo = max(0, end - width - 2)
            if bounded and end - tail > lo:
                lo = max(lo, text.rfind("\n", lo, end - tail) + 1 - head)
            nl = text.find("\n", end, end + 512)
            hi = max(nl if nl >= 0 else min(n, end + 512), min(n, end + 2))
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = hi
            else:
                windows.append([lo, hi])
        found: list[re.Match[str]] = []
        for lo, hi in windows:
            # (windows are apart: lo > the previous window's hi, past every match ending in it)
            found.extend(all_matches(regex, text, lo, hi))
        return found

    # -- public
    # -----------------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Compile (or load from cache) the backend's database now rather than on the first document."""
        if self.backend is MatcherBackend.HYPERSCAN:
            self._hyperscan_db()
            self._single_db()
        elif self.backend is MatcherBackend.RE2:
            self._re2_set_db()

    def find(
        self, text: str, skip: AbstractSet[int] = frozenset(), prescan: Prescan | None = None
    ) -> list[tuple[int, re.Match[str]]]:
        """Every ``(spec index, re.Match)`` in ``text``, ordered by spec index then position; patterns whose
        index is in ``skip`` are not confirmed (the caller knows they do not apply to this document)."""
        if not self.specs or not text:
            return []
        self._skip = skip
        if self.backend is MatcherBackend.HYPERSCAN:
            return self._find_hyperscan(text, prescan)
        if self.backend is MatcherBackend.RE2:
            return self._find_re2(text)
        return self._find_re(text)

    # -- re ------------------------------------------------------------------------------------------------

    def _find_re(self, text: str) -> list[tuple[int, re.Match[str]]]:
        lowered = _Lowered(text)
        out: list[tuple[int, re.Match[str]]] = []
        for index in range(len(self.specs)):
            if self._keyword_ok(index, lowered):
                out.extend((index, m) for m in all_matches(self.regex(index), text))
        return out

    # -- re2 -----------------------------------------------------------------------------------------------

    def _re2_set_db(self) -> Any:
        if self._re2_set is None:
            import re2

            options = re2.Options()
            options.max_mem = 256 << 20
            options.log_errors = False  # a pattern RE2 refuses is left to re, not printed on stderr
            rset = re2.Set.SearchSet(options)
            self._re2_ids = []
            missing: list[int] = []
            for index, spec in enumerate(self.specs):
                try:
                    rset.Add(("(?i)" if spec.case_insensitive else "") + spec.pattern)
                    self._re2_ids.append(index)
                except re2.error:
                    missing.append(index)
            rset.Compile()
            self._re2_set = rset
            self._re2_missing = tuple(missing)
        return self._re2_set

    def _find_re2(self, text: str) -> list[tuple[int, re.Match[str]]]:
        import re2

        rset = self._re2_set_db()
        hits = sorted(self._re2_ids[i] for i in rset.Match(text) or ())
        if not hits and not self._re2_missing:
            return []
        lowered = _Lowered(text)
        out: list[tuple[int, re.Match[str]]] = []
        for index in hits:
            if not self._keyword_ok(index, lowered):
                continue
            compiled = self._re2[index]
            if compiled is None:
                spec = self.specs[index]
                compiled = re2.compile(("(?i)" if spec.case_insensitive else "") + spec.pattern)
                self._re2[index] = compiled
            ends = [m.end() for m in compiled.finditer(text)]
            if ends:
                out.extend((index, m) for m in self._confirm(index, text, ends))
        return self._with_missing(out, text, self._re2_missing, lowered)

    # -- hyperscan -----------------------------------------------------------------------------------------

    def _cache_key(self) -> str:
        if self._key is not None:
            return self._key
        import hyperscan

        # (what Hyperscan compiles follows from the patterns, their case flag, the relax bound and the format;
        # each pattern is preceded by its length, so no two lists of patterns give the same text)
        payload = "".join(
            [
                f"{_CACHE_FORMAT}\0{getattr(hyperscan, '__version__', '?')}\0{_RELAX_FROM}\0",
                *(f"{len(s.pattern)}{'i' if s.case_insensitive else 'c'}{s.pattern}" for s in self.specs),
            ]
        )
        self._key = hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self._key

    def _hyperscan_db(self) -> Any:
        if self._hs is not None:
            return self._hs
        import hyperscan

        base = cache_dir() / f"hs-{self._cache_key()}"
        try:
            # Hyperscan checks a serialized database itself (its length, version, platform and the CRC32C of
            # its bytecode) and refuses a damaged one; the facts beside it must be of that same database
            # (its header's length and CRC), or a stale pair would leave patterns unmatched. Either failing,
            # the database is compiled again.
            raw = base.with_suffix(".db").read_bytes()
            meta = json.loads(base.with_suffix(".json").read_text())
            if meta.get("db") != _db_identity(raw):
                raise ValueError("meta of another database")
            db = hyperscan.loadb(raw, hyperscan.HS_MODE_BLOCK)
            missing, prefilter = tuple(meta["missing"]), tuple(meta["prefilter"])
            widths, bounds = meta["widths"], meta["bounds"]
            if len(widths) != len(self.specs) or len(bounds) != len(self.specs):
                raise ValueError("stale meta")
            if not all(0 <= int(i) < len(self.specs) for i in (*missing, *prefilter)):
                raise ValueError("stale meta")
            self._widths = [int(w) for w in widths]
            self._bounds = [(int(head), int(tail)) for head, tail in bounds]
            touch_cache(base.with_suffix(".db"))
        except Exception:
            db, missing, prefilter = self._compile_hyperscan()
            # widths and line bounds too: parsing every pattern costs more than loading the database
            serialized = hyperscan.dumpb(db)
            meta = {
                "db": _db_identity(serialized),
                "missing": missing,
                "prefilter": prefilter,
                "widths": [self._width(i) for i in range(len(self.specs))],
                "bounds": [self._line_bounds(i) for i in range(len(self.specs))],
            }
            self._store(base.with_suffix(".db"), serialized)
            self._store(base.with_suffix(".json"), json.dumps(meta).encode())
            prune_cache("hs")
            # (older versions cached validated rules here; the rules ship indexed now)
            prune_cache("rules", keep=0)
        self._hs, self._hs_missing, self._hs_prefilter = db, missing, prefilter
        self._hs_scratch = hyperscan.Scratch(db)
        return db

    def _single_db(self) -> Any:
        """The ``HS_FLAG_SINGLEMATCH`` twin of the database (only for documents with very many candidates)."""
        if self._hs_single is not None:
            return self._hs_single
        import hyperscan

        self._hyperscan_db()
        path = cache_dir() / f"hs-{self._cache_key()}.single"
        try:
            db = hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
        except Exception:
            ids = [i for i in range(len(self.specs)) if i not in set(self._hs_missing)]
            flags = [self._hs_flags(i) | hyperscan.HS_FLAG_SINGLEMATCH for i in ids]
            db = hyperscan.Database()
            db.compile(expressions=[self._hs_expr(i) for i in ids], ids=ids, elements=len(ids), flags=flags)
            self._store(path, hyperscan.dumpb(db))
        self._hs_single = db
        self._hs_scratch_single = hyperscan.Scratch(db)
        return db

    @staticmethod
    def _store(path: Path, data: bytes) -> None:
        try:
            from ..._atomic import atomic_write_bytes

            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, data)
        except Exception:  # an unwritable cache only costs time
            pass

    def _hs_expr(self, index: int) -> bytes:
        return relax_repeats(self.specs[index].pattern).encode("ascii", "backslashreplace")

    def _hs_flags(self, index: int) -> int:
        import hyperscan

        flags = hyperscan.HS_FLAG_CASELESS if self.specs[index].case_insensitive else 0
        if index in self._hs_prefilter:
            flags |= hyperscan.HS_FLAG_PREFILTER
        return flags

    def _compile_hyperscan(self) -> tuple[Any, tuple[int, ...], tuple[int, ...]]:
        import hyperscan

        expressions = [self._hs_expr(i) for i in range(len(self.specs))]
        flags = [hyperscan.HS_FLAG_CASELESS if s.case_insensitive else 0 for s in self.specs]

        def build(indices: Sequence[int]) -> Any:
            db = hyperscan.Database()
            try:
                db.compile(
                    expressions=[expressions[i] for i in indices],
                    ids=list(indices),
                    elements=len(indices),
                    flags=[flags[i] for i in indices],
                )
            except hyperscan.error:
                return None
            return db

        def failing(indices: list[int]) -> list[int]:
            # bisect: the few patterns that make a whole-database compile fail
            if not indices or build(indices) is not None:
                return []
            if len(indices) == 1:
                return indices
            half = len(indices) // 2
            return failing(indices[:half]) + failing(indices[half:])

        everything = list(range(len(expressions)))
        db = build(everything)
        if db is not None:
            return db, (), ()
        # Patterns Hyperscan cannot compile exactly are added as prefilters (a superset, confirmed by re); the
        # rare pattern it cannot take even so is left to re (with its keyword prefilter).
        prefilter: list[int] = []
        missing: list[int] = []
        for i in failing(everything):
            flags[i] |= hyperscan.HS_FLAG_PREFILTER
            (prefilter if build([i]) is not None else missing).append(i)
        db = build([i for i in everything if i not in set(missing)])
        if db is None:  # pragma: no cover - every remaining pattern compiled alone
            raise ScanError(
                "the rule patterns do not compile together under Hyperscan; set CHECK_SECRETS_MATCHER=re2"
            )
        return db, tuple(missing), tuple(prefilter)

    def prescan(self, data: bytes) -> Prescan | None:
        """Hyperscan only: scan a document's raw bytes once. ``None`` for other backends. The result says
        whether any pattern may match (``empty``) and is reused by :meth:`find` for the text these bytes
        decode to (one byte per character, or UTF-8: ends are moved to character offsets), so a file is
        scanned exactly once. Over raw UTF-8 a non-ASCII character counts as two to four bytes, so a value
        of non-ASCII characters near a pattern's upper bound (``[^\\s]{8,64}``) may exceed it in bytes and
        not be a candidate."""
        if self.backend is not MatcherBackend.HYPERSCAN or not self.specs:
            return None
        ends, overflow = self._hs_scan(data + b"\n")
        return Prescan(len(data), ends, overflow, bool(self._hs_missing), data)

    def _hs_scan(self, data: bytes) -> tuple[dict[int, list[int]], bool]:
        import hyperscan

        db = self._hyperscan_db()
        ends: dict[int, list[int]] = {}
        count = 0
        overflow = False

        def on_match(index: int, _from: int, to: int, _flags: int, _ctx: object) -> bool:
            nonlocal count, overflow
            count += 1
            if count > _MAX_CANDIDATES:
                overflow = True
                return True
            bucket = ends.get(index)
            if bucket is None:
                ends[index] = [to]
            else:
                bucket.append(to)
            return False

        with contextlib.suppress(hyperscan.ScanTerminated):
            db.scan(data, match_event_handler=on_match, scratch=self._hs_scratch)
        return ends, overflow

    def _find_hyperscan(self, text: str, prescan: Prescan | None) -> list[tuple[int, re.Match[str]]]:
        reused = _text_ends(prescan, text) if prescan is not None else None
        if reused is not None:
            assert prescan is not None
            ends, overflow = reused, prescan.overflow
            data = b""
            lowered = _Lowered(text, prescan.data)
        else:
            data = text.encode("ascii", "replace") + b"\n"
            ends, overflow = self._hs_scan(data)
            lowered = _Lowered(text, data)
        n = len(text)
        out: list[tuple[int, re.Match[str]]] = []
        if overflow:
            if not data:
                data = text.encode("ascii", "replace") + b"\n"
            out = self._find_in_blocks(text, data, lowered)
            return self._with_missing(out, text, self._hs_missing, lowered)
        for index in sorted(ends):
            positions = [min(e, n) for e in ends[index]]
            if self._keyword_ok(index, lowered, text, positions):
                out.extend((index, m) for m in self._confirm(index, text, positions))
        return self._with_missing(out, text, self._hs_missing, lowered)

    def _find_in_blocks(self, text: str, data: bytes, lowered: _Lowered) -> list[tuple[int, re.Match[str]]]:
        """A document with more candidates than one scan keeps (a minified bundle, a generated table): scanned
        in blocks of about :data:`_BLOCK_BYTES` cut at line ends, each confirmed in windows like any document.
        Only a block that is itself that dense has its present patterns run over the block — never the whole
        document, so a few dense lines no longer slow every pattern down to ``re`` speed over all of it."""
        n = len(text)
        found: dict[int, dict[tuple[int, int], re.Match[str]]] = {}
        present: set[int] = set()

        def on_single(index: int, _from: int, _to: int, _flags: int, _ctx: object) -> bool:
            present.add(index)
            return False

        start = 0
        size = len(data)
        while start < size:
            stop = min(size, start + _BLOCK_BYTES)
            hi = min(n, stop + 512)  # a block cut inside a line: matches may run past it
            if stop < size:
                newline = data.rfind(b"\n", start, stop)
                if newline > start:
                    stop = hi = newline + 1  # cut after a line: every match ending in the block is in it
            block = data[start:stop]
            ends, overflow = self._hs_scan(block)
            if overflow:
                present.clear()
                self._single_db().scan(block, match_event_handler=on_single, scratch=self._hs_scratch_single)
                for index in sorted(present):
                    if self._keyword_ok(index, lowered):
                        lo = max(0, start - self._width(index) - 2)
                        for m in all_matches(self.regex(index), text, lo, min(n, hi)):
                            found.setdefault(index, {})[m.span()] = m
            else:
                for index in sorted(ends):
                    if self._keyword_ok(index, lowered):
                        positions = [min(start + e, n) for e in ends[index]]
                        for m in self._confirm(index, text, positions):
                            found.setdefault(index, {})[m.span()] = m
            start = stop
        out: list[tuple[int, re.Match[str]]] = []
        for index in sorted(found):
            out.extend((index, m) for _, m in sorted(found[index].items()))
        return out

    def _with_missing(
        self, out: list[tuple[int, re.Match[str]]], text: str, missing: Sequence[int], lowered: _Lowered
    ) -> list[tuple[int, re.Match[str]]]:
        """Add matches of the patterns the fast backend could not compile (run by ``re`` behind keywords)."""
        if not missing:
            return out
        for index in missing:
            if self._keyword_ok(index, lowered):
                out.extend((index, m) for m in all_matches(self.regex(index), text))
        out.sort(key=lambda pair: pair[0])
        return out

"""Our ``.env`` layer: a reader, a value quoter, and a lossless editor.

Grammar (a file is a sequence of lines; only ``\\n`` and ``\\r\\n`` end a line):

* blank lines and comment lines (``#`` after optional spaces/tabs) are ignored;
* an assignment is ``[export ]NAME=VALUE`` with optional spaces/tabs around ``=``; ``NAME`` is
  ``[A-Za-z_][A-Za-z0-9_.-]*``;
* ``VALUE`` is one of

  - **single-quoted** ``'...'``: literal, byte for byte. No escapes, no ``${VAR}`` expansion, may span lines.
    ``JWT_SECRET='p@ss${HOME}w#rd-$1'`` loads exactly as written. (python-dotenv expands ``${VAR}`` here and
    treats ``\\'`` as an escape; we do neither, like POSIX shells and Docker Compose.)
  - **double-quoted** ``"..."``: may span lines; escapes ``\\\\ \\" \\' \\$ \\n \\r \\t \\a \\b \\f \\v``
    (any other backslash is kept as is); ``${NAME}``, ``${NAME:-default}`` (default when unset or empty) and
    ``${NAME-default}`` (default when unset) are expanded; ``\\$`` gives a literal ``$``.
  - **unquoted**: the rest of the line; an inline comment starts at a ``#`` preceded by a space or tab;
    surrounding spaces/tabs are dropped; backslashes are literal; ``${...}`` is expanded as above.

  After a closing quote only spaces/tabs and an optional ``# comment`` may follow.
* ``${NAME}`` is looked up first in ``environ`` (the process environment by default, matching the loader's
  precedence), then in the assignments on *earlier* lines of the same text; an unknown name expands to ``""``.
  ``$NAME`` without braces is never expanded.
* a later assignment of the same name wins.

Parse errors raise :class:`~autoaudit_secrets._errors.DotenvError` naming the source and line, never a value.

One grammar for the whole package: the settings loader (:func:`parse_dotenv`), the lossless editor behind
``set``/``encrypt``/``decrypt``/``rotate`` (:class:`DotenvDocument`) and check-secrets' ``.env`` analyzer
(``_tokenize(..., lenient=True)``: broken lines skipped, each value with its exact position) all read ``.env``
text here. python-dotenv is not used (pydantic-settings still installs it). Why not build on its parser:

* it expands ``${VAR}`` inside single quotes (python-dotenv #422), has no way to write a literal ``${`` in a
  double-quoted value (``"\\${HOME}"`` gives a backslash and the expanded value), and treats ``\\'`` as an
  escape in single quotes, so ``P='C:\\dir\\'`` is silently dropped;
* it skips broken lines with a log message, where the loader must stop with the line number; its bindings
  carry a line but no column and decoded values, so the scanner could not point at a value exactly;
* its ``set_key`` rewrites the line (``export`` and the inline comment are lost) and the whole file per key;
* parsing 200,000 lines took 9.5 s against 2.4 s here (measured under load, same machine).

Our grammar agrees with python-dotenv on ordinary files (``tests/test_dotenv.py`` checks that on a corpus), so
files stay portable.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ._atomic import write_target
from ._errors import AutoauditSecretsError, DotenvError
from ._safe_read import read_regular_file

__all__ = [
    "DotenvDocument",
    "encoding_problem",
    "format_value",
    "locked_for_update",
    "parse_dotenv",
    "read_dotenv",
    "shown_name",
    "value_has_reference",
    "write_target",
]

_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_NAME_RE = re.compile(_NAME)
# Blank or comment line, including its line ending.
_BLANK_RE = re.compile(r"[ \t]*(?:#[^\n]*)?\r?(?:\n|\Z)")
# Start of an assignment up to and including "=".
_ASSIGN_RE = re.compile(rf"([ \t]*)(?:(export)[ \t]+)?({_NAME})[ \t]*=")
_WS_RE = re.compile(r"[ \t]*")
_DOUBLE_RE = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
# What may follow a value: spaces, an optional comment, then the line end. Group 1 is everything before the
# line ending (kept when the value is replaced), group 2 the line ending.
_TRAILER_RE = re.compile(r"([ \t]*(?:#[^\n]*?)?)(\r?\n|\r?\Z)")
# Lenient mode: anything up to the line end after a closing quote.
_ANY_TRAILER_RE = re.compile(r"([^\n]*?)(\r?\n|\r?\Z)")
_INLINE_COMMENT_RE = re.compile(r"[ \t]#")
_REST_OF_LINE_RE = re.compile(r"[^\n]*")
_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}")
_DOUBLE_TOKEN_RE = re.compile(r"\\(.)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}", re.DOTALL)
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {
    "\\": "\\",
    '"': '"',
    "'": "'",
    "$": "$",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}
_SAFE_UNQUOTED_RE = re.compile(r"[A-Za-z0-9_.,/:@%+=\-]+")


class _Quote(enum.Enum):
    NONE = "unquoted"
    SINGLE = "single"
    DOUBLE = "double"


class _Entry(NamedTuple):
    """One piece of a file: either an assignment (``name`` set) or non-assignment text (comments, blanks)."""

    raw: str
    line: int
    name: str | None = None
    export: bool = False
    indent: str = ""
    quote: _Quote = _Quote.NONE
    content: str = ""  # value text between the quotes (or the trimmed unquoted text), escapes not decoded
    trailer: str = ""  # spaces and comment after the value, before the line ending
    newline: str = ""
    value_at: int = 0  # offset in ``raw`` where ``content`` starts (after an opening quote)


# One pattern for a whole well-formed statement (the fast path; anything it does not match goes through
# _statement, which handles every case and raises the precise error).
_STATEMENT_RE = re.compile(
    r"(?P<blank>[ \t]*(?:#[^\n]*)?\r?(?:\n|\Z))"
    rf"|(?P<indent>[ \t]*)(?:(?P<export>export)[ \t]+)?(?P<name>{_NAME})[ \t]*="
    r"(?:[ \t]*'(?P<sq>[^']*)'(?P<sqtrail>[ \t]*(?:#[^\n]*?)?)"
    r"|[ \t]*\"(?P<dq>(?:[^\"\\]|\\.)*)\"(?P<dqtrail>[ \t]*(?:#[^\n]*?)?)"
    r"|(?P<uq>(?:[ \t]*[^'\"\s][^\n]*?)??)(?P<uqtrail>[ \t]*(?:(?<=[ \t])#[^\n]*?)?))"
    r"(?P<nl>\r?\n|\r?\Z)",
    re.DOTALL,
)


# Lenient tokenizing (the scanner): a quoted value may span lines only up to this many characters, so that
# stray quotes cannot make the scan of a hostile file slow.
_LENIENT_WINDOW = 64 * 1024


def _tokenize(text: str, source: str, *, fast: bool = True, lenient: bool = False) -> list[_Entry]:
    """Split ``text`` into entries whose ``raw`` texts concatenate to ``text``.

    Strict (the default): a statement that is not ``NAME=value``, an unclosed quote or text after a closing
    quote raises :class:`DotenvError`. ``lenient`` (for scanning files that may be broken or hostile) never
    raises: such a line becomes a non-assignment entry and tokenizing goes on with the next line, text after a
    closing quote is kept as the trailer, and a quoted value must close within ``_LENIENT_WINDOW`` characters.
    Linear in the size of ``text`` either way.
    """
    entries: list[_Entry] = []
    pos = 0
    line = 1
    end = len(text)
    match = _STATEMENT_RE.match
    quotes: dict[str, int] = {}  # lenient: next position of each quote character (see _next_quote)
    while pos < end:
        if lenient:
            line_end = text.find("\n", pos)
            line_end = end if line_end < 0 else line_end + 1
            # The fast path only for one-line statements; anything longer takes the bounded step-by-step path.
            found = match(text, pos, line_end) if fast else None
        else:
            found = match(text, pos) if fast else None
        if found is None or found.end() == pos:
            if lenient:
                entry, pos = _lenient_statement(text, pos, line, quotes)
            else:
                entry, pos = _statement(text, pos, line, source)
        else:
            start = pos
            pos = found.end()
            blank, indent, export, name, sq, sqtrail, dq, dqtrail, uq, uqtrail, newline = found.groups()
            if blank is not None:
                entry = _Entry(blank, line)
            else:
                if sq is not None:
                    quote, content, trailer, value_at = _Quote.SINGLE, sq, sqtrail, found.start("sq")
                elif dq is not None:
                    quote, content, trailer, value_at = _Quote.DOUBLE, dq, dqtrail, found.start("dq")
                else:
                    content = uq.strip(" \t")
                    value_at = found.start("uq") + (len(uq) - len(uq.lstrip(" \t")) if content else 0)
                    quote, trailer = _Quote.NONE, uqtrail
                raw = found.group(0)
                entry = _Entry(
                    raw,
                    line,
                    name,
                    export is not None,
                    indent,
                    quote,
                    content,
                    trailer,
                    newline,
                    value_at - start,
                )
        entries.append(entry)
        line += entry.raw.count("\n") if entry.name is not None else 1
    return entries


def _next_quote(text: str, char: str, start: int, cache: dict[str, int]) -> int:
    """``text.find(char, start)`` for positions that only grow: each character is searched for once per
    occurrence, so many unclosed quotes cost linear time, not one scan to the end each."""
    hit = cache.get(char)
    if hit is None or (hit != -1 and hit < start):
        hit = text.find(char, start)
        cache[char] = hit
    return hit


def _lenient_statement(text: str, pos: int, line: int, quotes: dict[str, int]) -> tuple[_Entry, int]:
    """:func:`_statement` for :func:`_tokenize`'s lenient mode: never raises."""
    nl = text.find("\n", pos)
    next_line = len(text) if nl < 0 else nl + 1
    limit = min(len(text), max(next_line, pos + _LENIENT_WINDOW))
    skipped = _Entry(raw=text[pos:next_line], line=line), next_line
    blank = _BLANK_RE.match(text, pos)
    if blank is not None and blank.end() > pos:
        return _Entry(raw=text[pos : blank.end()], line=line), blank.end()
    assign = _ASSIGN_RE.match(text, pos, next_line)
    if assign is None:
        return skipped
    value_start = _WS_RE.match(text, assign.end()).end()  # type: ignore[union-attr]
    first = text[value_start : value_start + 1]
    if first == "'":
        close = _next_quote(text, "'", value_start + 1, quotes)
        if close < 0 or close >= limit:
            return skipped
    elif first == '"':
        close = _next_quote(text, '"', value_start + 1, quotes)
        dq = None if close < 0 or close >= limit else _DOUBLE_RE.match(text, value_start, limit)
        if dq is None:
            return skipped
    try:
        return _statement(text, pos, line, "<lenient>")
    except DotenvError:
        pass
    # Only "unexpected text after the value" is left: keep the value, the rest of its last line is trailer.
    entry, _ = _statement(text, pos, line, "<lenient>", trailer_re=_ANY_TRAILER_RE)
    return entry, pos + len(entry.raw)


def _statement(
    text: str, pos: int, line: int, source: str, *, trailer_re: re.Pattern[str] | None = None
) -> tuple[_Entry, int]:
    """Tokenize the one statement at ``pos`` step by step; returns it and the position after it."""
    start = pos
    blank = _BLANK_RE.match(text, pos)
    if blank is not None and blank.end() > pos:
        return _Entry(raw=text[start : blank.end()], line=line), blank.end()
    assign = _ASSIGN_RE.match(text, pos)
    if assign is None:
        raise DotenvError(f"{source}, line {line}: expected NAME=value")
    indent, export, name = assign.group(1), assign.group(2) is not None, assign.group(3)
    after_eq = assign.end()
    value_start = _WS_RE.match(text, after_eq).end()  # type: ignore[union-attr]
    first = text[value_start : value_start + 1]
    if first == "'":
        close = text.find("'", value_start + 1)
        if close < 0:
            raise DotenvError(f"{source}, line {line}: single-quoted value of {name} is not closed")
        quote, content, pos = _Quote.SINGLE, text[value_start + 1 : close], close + 1
        value_at = value_start + 1
    elif first == '"':
        dq = _DOUBLE_RE.match(text, value_start)
        if dq is None:
            raise DotenvError(f"{source}, line {line}: double-quoted value of {name} is not closed")
        quote, content, pos = _Quote.DOUBLE, dq.group(1), dq.end()
        value_at = value_start + 1
    else:
        rest_end = _REST_OF_LINE_RE.match(text, after_eq).end()  # type: ignore[union-attr]
        rest = text[after_eq:rest_end]
        if rest.endswith("\r"):
            rest = rest[:-1]
        comment = _INLINE_COMMENT_RE.search(rest)
        value_part = rest if comment is None else rest[: comment.start()]
        content = value_part.strip(" \t")
        quote = _Quote.NONE
        value_at = after_eq + (len(value_part) - len(value_part.lstrip(" \t")) if content else 0)
        # The value ends after its last non-blank character; what follows is the trailer.
        pos = after_eq + len(value_part.rstrip(" \t")) if content else after_eq
    trailer = (trailer_re or _TRAILER_RE).match(text, pos)
    if trailer is None:
        raise DotenvError(f"{source}, line {line}: unexpected text after the value of {name}")
    pos = trailer.end()
    entry = _Entry(
        raw=text[start:pos],
        line=line,
        name=name,
        export=export,
        indent=indent,
        quote=quote,
        content=content,
        trailer=trailer.group(1),
        newline=trailer.group(2),
        value_at=value_at - start,
    )
    return entry, pos


def _lookup(
    name: str, op: str | None, default: str | None, env: Mapping[str, str], earlier: Mapping[str, str]
) -> str:
    value = env.get(name)
    if value is None:
        value = earlier.get(name)
    if op == ":-" and not value:
        return default or ""
    if op == "-" and value is None:
        return default or ""
    return value or ""


def _split_at_last_brace(content: str) -> tuple[str, str]:
    """``content`` cut after its last ``}``: no ``${...}`` can match in the tail, so substituting in the head
    only gives the same result, in linear time (a ``${`` with no ``}`` after it would make every later ``${``
    rescan to the end: quadratic on a long malformed line)."""
    cut = content.rfind("}") + 1
    return content[:cut], content[cut:]


def _decode(entry: _Entry, env: Mapping[str, str] | None, earlier: Mapping[str, str]) -> str:
    """The value of an assignment; ``env=None`` means no interpolation.

    A line break inside a quoted value is ``\\n`` whether the file has ``\\n`` or ``\\r\\n`` line endings (a
    Windows checkout must load the same values); a carriage return wanted in a value is written ``\\r`` in
    double quotes, as :func:`format_value` does.
    """
    content = entry.content
    if entry.quote is not _Quote.NONE and "\r\n" in content:
        content = content.replace("\r\n", "\n")
    if entry.quote is _Quote.SINGLE:
        return content
    if entry.quote is _Quote.DOUBLE:
        if "\\" not in content and (env is None or "${" not in content):
            return content

        def repl(match: re.Match[str]) -> str:
            escaped = match.group(1)
            if escaped is not None:
                return _ESCAPES.get(escaped, "\\" + escaped)
            if env is None:
                return match.group(0)
            return _lookup(match.group(2), match.group(3), match.group(4), env, earlier)

        head, tail = _split_at_last_brace(content)
        # The tail has no "}", so no ${...}: only its escapes are decoded.
        return _DOUBLE_TOKEN_RE.sub(repl, head) + _ESCAPE_RE.sub(repl, tail)
    if env is None or "${" not in content:
        return content
    head, tail = _split_at_last_brace(content)
    return (
        _VAR_RE.sub(
            lambda m: _lookup(m.group(1), m.group(2), m.group(3), env, earlier),
            head,
        )
        + tail
    )


def has_reference(entry: _Entry) -> bool:
    """Whether the value of ``entry`` holds a ``${NAME}`` that :func:`parse_dotenv` would expand."""
    if entry.quote is _Quote.SINGLE or "${" not in entry.content:
        return False
    if entry.quote is _Quote.DOUBLE:
        head, _ = _split_at_last_brace(entry.content)
        return any(match.group(2) is not None for match in _DOUBLE_TOKEN_RE.finditer(head))
    return value_has_reference(entry.content)


def value_has_reference(value: str) -> bool:
    """Whether ``value``, written unquoted or double-quoted in a ``.env``, would hold a ``${NAME}`` reference
    (``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``)."""
    if "${" not in value:
        return False
    head, _ = _split_at_last_brace(value)
    return _VAR_RE.search(head) is not None


def parse_dotenv(
    text: str,
    *,
    source: str = "<string>",
    interpolate: bool = True,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Parse ``.env`` text into ``{name: value}`` (file order; a later duplicate wins).

    ``source`` names the text in error messages. With ``interpolate``, ``${NAME}`` in unquoted and
    double-quoted values is expanded from ``environ`` (``None``: ``os.environ``), then from earlier lines.
    Single-quoted values are always literal. Raises :class:`DotenvError` (source and line, never a value) on
    a syntax error.
    """
    env: Mapping[str, str] | None = (os.environ if environ is None else environ) if interpolate else None
    values: dict[str, str] = {}
    for entry in _tokenize(text, source):
        if entry.name is not None:
            values[entry.name] = _decode(entry, env, values)
    return values


def _read_text(path: Path, *, missing_ok: bool = False) -> str | None:
    try:
        data = read_regular_file(path)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise DotenvError(f"cannot read {path}: file not found") from None
    except OSError as exc:
        raise DotenvError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    problem = encoding_problem(data)
    if problem is not None:
        # Raised outside any except block: a UnicodeDecodeError holds the whole file (every value) and would
        # otherwise stay reachable as __context__.
        raise DotenvError(f"{path}{problem}")
    return data.decode("utf-8")


def encoding_problem(data: bytes) -> str | None:
    """Why ``data`` is not UTF-8 text, as a suffix for the file name (``", line 3: not valid UTF-8"``), or
    ``None``. UTF-16 (what Windows PowerShell's ``>`` writes) is named, with the fix."""
    bad_at = _utf8_error_at(data)
    if bad_at is None:
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ": UTF-16 text; save it as UTF-8"
    line = data.count(b"\n", 0, bad_at) + 1
    return f", line {line}: not valid UTF-8"


def _utf8_error_at(data: bytes) -> int | None:
    """Offset of the first byte that is not valid UTF-8, or ``None``; keeps no reference to ``data``."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def read_dotenv(path: str | os.PathLike[str], **kw: Any) -> dict[str, str]:
    """Read and parse a ``.env`` file (UTF-8, an optional BOM); keyword arguments as for :func:`parse_dotenv`.

    Raises :class:`DotenvError` when the file cannot be read or parsed.
    """
    target = Path(path)
    text = _read_text(target)
    assert text is not None
    kw.setdefault("source", str(target))
    return parse_dotenv(text.removeprefix("\ufeff"), **kw)


def shown_name(name: str) -> str:
    """``name`` for a message when it is a valid variable name, else a placeholder: something that is not a
    name (spaces, punctuation, non-ASCII) is most often a value typed where the name belongs."""
    return name if _NAME_RE.fullmatch(name) else "the given name (not shown: it is not a valid name)"


_LOCK_WAIT_SECONDS = 30.0


@contextlib.contextmanager
def locked_for_update(path: str | os.PathLike[str], *, wait: float = _LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold an exclusive advisory lock for a read-modify-write of the ``.env`` at ``path``.

    The lock is ``flock`` on the directory holding the file (a symlink is followed first), so two processes
    editing the same file (``set A`` and ``set B`` at once) run one after the other and neither update is
    lost, and no lock file is left behind. It waits up to ``wait`` seconds, then raises
    :class:`DotenvError`. Where ``fcntl`` does not exist (Windows) this does nothing.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    directory = write_target(path).parent
    try:
        fd = os.open(directory if str(directory) else ".", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        # A missing or unreadable (write-only) directory: the read or write reports the real problem.
        yield
        return
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DotenvError(f"cannot lock {path}: another process keeps editing it") from None
                time.sleep(0.02)
            except OSError:
                break  # a file system without flock: go on unlocked rather than refuse to work
        yield
    finally:
        os.close(fd)  # closing releases the lock


def format_value(value: str) -> str:
    """Quote ``value`` so that :func:`parse_dotenv` gives exactly ``value`` back, for any string.

    Plain values (letters, digits, ``_.,/:@%+=-``) stay unquoted; values without a single quote or carriage
    return are single-quoted (literal); anything else is double-quoted with escapes.
    """
    return _quote(value, escape_newlines=False)


def _quote(value: str, *, escape_newlines: bool) -> str:
    """:func:`format_value`; with ``escape_newlines`` a line break is always written ``\\n`` (in a file with
    ``\\r\\n`` line endings a raw ``\\n`` inside single quotes would leave a mixed-endings file)."""
    if _SAFE_UNQUOTED_RE.fullmatch(value):
        return value
    if "'" not in value and "\r" not in value and not (escape_newlines and "\n" in value):
        return f"'{value}'"
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("$", "\\$")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )
    return f'"{escaped}"'


class DotenvDocument:
    """A ``.env`` file kept as written: comments, order, blank lines and untouched lines stay byte-identical.

    Use :meth:`set` and :meth:`remove` to edit, :meth:`render` or :meth:`save` to write back. Every operation
    costs time proportional to what it touches (a name index, removed lines left as holes), so editing every
    value of a file is linear in its size.
    """

    def __init__(self, entries: list[_Entry], *, source: str = "<string>", bom: str = "") -> None:
        self._slots: list[_Entry | None] = list(entries)
        self._where: dict[str, list[int]] = {}  # name -> slots of its live assignments, ascending
        for index, entry in enumerate(self._slots):
            if entry is not None and entry.name is not None:
                self._where.setdefault(entry.name, []).append(index)
        self._lines = sum(entry.raw.count("\n") for entry in entries)  # line breaks in the live text
        self._source = source
        self._bom = bom
        self._newline_style: str | None = None

    @property
    def _entries(self) -> list[_Entry]:
        """The live pieces, in order."""
        return [entry for entry in self._slots if entry is not None]

    @classmethod
    def parse(cls, text: str, *, source: str = "<string>") -> DotenvDocument:
        """Parse ``text``; raises :class:`DotenvError` (source and line) on a syntax error."""
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        return cls(_tokenize(text[len(bom) :], source), source=source, bom=bom)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, missing_ok: bool = False) -> DotenvDocument:
        """Read ``path``; a missing file is empty with ``missing_ok``, else :class:`DotenvError`."""
        target = Path(path)
        text = _read_text(target, missing_ok=missing_ok)
        return cls.parse(text or "", source=str(target))

    def names(self) -> list[str]:
        """Assigned names in file order (each once, at its first occurrence)."""
        return sorted(self._where, key=lambda name: self._where[name][0])

    def _last_index(self, name: str) -> int | None:
        slots = self._where.get(name)
        return slots[-1] if slots else None

    def get(self, name: str) -> str | None:
        """The value of ``name`` as written (escapes decoded, no interpolation), or ``None`` when absent."""
        index = self._last_index(name)
        if index is None:
            return None
        entry = self._slots[index]
        assert entry is not None
        return _decode(entry, None, {})

    def expands(self, name: str) -> bool:
        """Whether loading expands a ``${VAR}`` reference in the value of ``name`` (unquoted or double-quoted
        and holding one; never for single quotes or ``\\${``). Such a value changes meaning when it is
        encrypted: an ``enc:`` value is opened as is, never expanded."""
        index = self._last_index(name)
        entry = None if index is None else self._slots[index]
        return entry is not None and has_reference(entry)

    def _newline(self) -> str:
        if self._newline_style is None:
            for entry in self._slots:
                if entry is None:
                    continue
                if entry.raw.endswith("\r\n"):
                    self._newline_style = "\r\n"
                    break
                if entry.raw.endswith("\n"):
                    self._newline_style = "\n"
                    break
            else:
                return "\n"  # nothing to go by yet: decided again once the text has a line break
        return self._newline_style

    def _put(self, index: int, entry: _Entry | None) -> None:
        old = self._slots[index]
        if old is not None:
            self._lines -= old.raw.count("\n")
        if entry is not None:
            self._lines += entry.raw.count("\n")
        self._slots[index] = entry

    def _append(self, entry: _Entry) -> None:
        self._slots.append(None)
        self._put(len(self._slots) - 1, entry)

    def _last_live(self) -> _Entry | None:
        for index in range(len(self._slots) - 1, -1, -1):
            entry = self._slots[index]
            if entry is not None:
                return entry
        return None

    def set(self, name: str, value: str) -> None:
        """Set ``name`` to ``value``: its (last) line is replaced in place, keeping ``export``, indentation
        and an inline comment; a new name is appended at the end.

        Earlier assignments of ``name`` are removed: the last one wins, so they are dead text, and leaving
        them would keep an old plaintext secret in a file the user has just encrypted."""
        if not _NAME_RE.fullmatch(name):
            raise DotenvError("invalid variable name (not shown: it may be a misplaced value)")
        quoted = _quote(value, escape_newlines=self._newline() == "\r\n")
        slots = self._where.get(name)
        if slots:
            index = slots[-1]
            old = self._slots[index]
            assert old is not None
            trailer = old.trailer
            if trailer and trailer[0] not in " \t":
                trailer = " " + trailer
            prefix = f"{old.indent}{'export ' if old.export else ''}{name}="
            raw = f"{prefix}{quoted}{trailer}{old.newline}"
            self._put(index, self._entry_for(raw, old.line))
            for earlier in slots[:-1]:
                self._put(earlier, None)
            self._where[name] = [index]
            return
        newline = self._newline()
        line = self._lines + 1
        last = self._last_live()
        if last is not None and not last.raw.endswith("\n"):
            # The last line has no line break: add one as its own entry so that line stays byte-identical.
            self._append(_Entry(raw=newline, line=line))
        self._append(self._entry_for(f"{name}={quoted}{newline}", line))
        self._where[name] = [len(self._slots) - 1]

    def _entry_for(self, raw: str, line: int) -> _Entry:
        (entry,) = _tokenize(raw, self._source)
        return entry._replace(line=line)

    def remove(self, name: str) -> bool:
        """Remove every assignment of ``name``; ``True`` when there was one."""
        slots = self._where.pop(name, None)
        for index in slots or ():
            self._put(index, None)
        return bool(slots)

    def render(self) -> str:
        """The document as text."""
        return self._bom + "".join(entry.raw for entry in self._slots if entry is not None)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the document to ``path`` atomically; an existing file keeps its mode (a new one: 0600).

        A symlink is written through: its target is replaced, the link stays. For a read-modify-write that
        must not lose a concurrent edit, load and save inside :func:`locked_for_update`.
        """
        from ._atomic import atomic_write_text

        try:
            atomic_write_text(write_target(path), self.render())
        except DotenvError:
            raise
        except AutoauditSecretsError as exc:
            raise DotenvError(str(exc)) from None

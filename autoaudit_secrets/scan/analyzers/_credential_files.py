"""Credential-store files: every credential in a file whose only purpose is to hold one.

A person typed the value into ``.msmtprc``, ``rsyncd.secrets``, ``database.yml`` or a SQL seed, so it is a
real credential however weak it looks (``admin``, ``password``): the weak-value and entropy filters of the
token rules do not apply here. Only references filled in elsewhere (``$VAR``, ``${VAR}``, backticks,
``<%= … %>``, ``{{ … }}``) and masks (``***``, ``xxx``) are skipped. Values are never shown (no preview
characters).

The kinds of file are data (``scan/rules/data/files/credential-files.toml``): a stable id, which file names
and paths, a regular expression whose group ``secret`` is the credential — or ``format = "sql"``, where a
small SQL reader maps ``INSERT … VALUES`` tuples and ``COPY … FROM stdin`` rows to their columns and reports
the values of password-named columns. Adding a kind of file is adding a record and its examples.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..._errors import RuleError
from .._model import AnalysisContext, Finding, Severity
from ..engine._filters import is_hash
from ._config_values import make_finding

__all__ = [
    "CREDENTIAL_FILE_CHECKS",
    "CREDENTIAL_FILE_KINDS",
    "CredentialFileAnalyzer",
    "CredentialFileKind",
    "credential_file_hint",
    "load_credential_file_kinds",
]

DATA_FILE = Path(__file__).resolve().parent.parent / "rules" / "data" / "files" / "credential-files.toml"
_MAX_FINDINGS_PER_FILE = 200


@dataclass(frozen=True, slots=True)
class CredentialFileKind:
    """One kind of credential-store file (a record of the data file)."""

    id: str
    title: str
    remediation: str
    names: tuple[str, ...]  # globs on the lower-case base name
    paths: tuple[str, ...]  # globs on the lower-case "/"-prefixed relative path
    pattern: re.Pattern[str]  # group "secret"; for format "sql": the password column names
    format: str = "lines"
    examples: tuple[dict[str, str], ...] = ()
    negative_examples: tuple[dict[str, str], ...] = ()
    severity: Severity = Severity.ERROR

    def applies_to(self, relpath: str) -> bool:
        lower = relpath.replace("\\", "/").lower()
        name = lower.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(name, g) for g in self.names) or any(
            fnmatch.fnmatchcase("/" + lower, g) for g in self.paths
        )


def _strings(record: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _examples(
    record: dict[str, object], key: str, where: str, *, positive: bool
) -> tuple[dict[str, str], ...]:
    value = record.get(key, [])
    needed = {"file", "content", "secret"} if positive else {"file", "content"}
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and set(v) == needed and all(isinstance(x, str) for x in v.values())
        for v in value
    ):
        raise RuleError(f"{where}: '{key}' must be a list of tables with {', '.join(sorted(needed))}")
    return tuple(value)


def _parse(record: object, index: int) -> CredentialFileKind:
    where = f"{DATA_FILE.name}: files[{index}]"
    if not isinstance(record, dict):
        raise RuleError(f"{where}: must be a table")
    known = {
        "id",
        "title",
        "remediation",
        "names",
        "paths",
        "pattern",
        "format",
        "examples",
        "negative_examples",
    }
    if set(record) - known:
        raise RuleError(f"{where}: unknown field(s): {', '.join(sorted(set(record) - known))}")
    texts = {k: record.get(k) for k in ("id", "title", "remediation", "pattern")}
    if not all(isinstance(v, str) and v.strip() for v in texts.values()):
        raise RuleError(f"{where}: 'id', 'title', 'remediation' and 'pattern' are required strings")
    rule_id, pattern = str(texts["id"]), str(texts["pattern"])
    if not re.fullmatch(r"credential-file(?:-[a-z0-9]+)+", rule_id):
        raise RuleError(f"{where}: 'id' must look like credential-file-<name>")
    fmt = record.get("format", "lines")
    if fmt not in ("lines", "sql"):
        raise RuleError(f'{where}: \'format\' must be "lines" or "sql"')
    try:
        compiled = re.compile(pattern, re.MULTILINE | (re.IGNORECASE if fmt == "sql" else 0))
    except re.error as exc:
        raise RuleError(f"{where}: pattern does not compile: {exc.msg}") from None
    if fmt == "lines" and set(compiled.groupindex) != {"secret"}:
        raise RuleError(f"{where}: pattern needs exactly one named group, 'secret'")
    names, paths = _strings(record, "names", where), _strings(record, "paths", where)
    if not names and not paths:
        raise RuleError(f"{where}: 'names' or 'paths' must name at least one file")
    return CredentialFileKind(
        id=rule_id,
        title=str(texts["title"]),
        remediation=str(texts["remediation"]),
        names=names,
        paths=paths,
        pattern=compiled,
        format=str(fmt),
        examples=_examples(record, "examples", where, positive=True),
        negative_examples=_examples(record, "negative_examples", where, positive=False),
    )


@functools.lru_cache(maxsize=1)
def load_credential_file_kinds() -> tuple[CredentialFileKind, ...]:
    """The validated records of the data file (ids unique); raises :class:`RuleError`."""
    try:
        data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"cannot read {DATA_FILE.name}: {type(exc).__name__}") from None
    records = data.get("files", [])
    if not isinstance(records, list):
        raise RuleError(f"{DATA_FILE.name}: 'files' must be an array of tables")
    kinds = tuple(_parse(r, i) for i, r in enumerate(records))
    ids = [k.id for k in kinds]
    if len(ids) != len(set(ids)):
        raise RuleError(f"{DATA_FILE.name}: an id is defined more than once")
    return kinds


CREDENTIAL_FILE_KINDS: tuple[CredentialFileKind, ...] = load_credential_file_kinds()


def _any_glob(globs: Iterable[str]) -> re.Pattern[str]:
    """One expression that matches what any of ``globs`` matches (``fnmatch`` semantics)."""
    parts = [fnmatch.translate(g) for g in globs]
    return re.compile("|".join(f"(?:{p})" for p in parts) if parts else "(?!)")


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


_NAMES = frozenset(g for k in CREDENTIAL_FILE_KINDS for g in k.names if not _is_glob(g))
_GLOB_NAMES = _any_glob(g for k in CREDENTIAL_FILE_KINDS for g in k.names if _is_glob(g))
# Path globs start with "*": searched for without it (a leading ".*" tried at every start backtracks).
_PATH_TAILS = _any_glob(g[1:] for k in CREDENTIAL_FILE_KINDS for g in k.paths if g.startswith("*"))
_PATH_GLOBS = _any_glob(g for k in CREDENTIAL_FILE_KINDS for g in k.paths if not g.startswith("*"))
# The published catalog (``check-secrets rules``, docs/rules.md): id, title, remediation, severity.
CREDENTIAL_FILE_CHECKS: tuple[CredentialFileKind, ...] = CREDENTIAL_FILE_KINDS

_NAME_GLOBS = tuple(
    {g for k in CREDENTIAL_FILE_KINDS for g in k.names}
    | {g.rsplit("/", 1)[-1] for k in CREDENTIAL_FILE_KINDS for g in k.paths}
)


def credential_file_hint(name: str) -> bool:
    """Cheap test on a lower-case base name: true whenever some kind could apply (a superset of
    ``applies_to``, used to import this module only when needed)."""
    return any(fnmatch.fnmatchcase(name, g) for g in _NAME_GLOBS)


# --- values -----------------------------------------------------------------------------------------------

_NOT_A_VALUE = re.compile(
    r"""^(?:
        \$\{[^}]*\}? | \$[A-Za-z_][A-Za-z0-9_]* | \$\(.* | `.* | %[A-Za-z_][A-Za-z0-9_]*%
        | <%.*%> | \{\{.*\}\} | \{%.*%\} | <[^<>]*> | \#\{.*\}
        | \*{3,} | [xX]{3,} | \.{3,} | null | none | nil | ~
        | ENC\[.* | !vault.* | enc:.* | vault:.*
    )$""",
    re.VERBOSE | re.IGNORECASE,
)


def _credential(raw: str) -> tuple[str, int] | None:
    """The credential inside a captured value (quotes removed) and its offset in ``raw``, or None when the
    value is empty, a reference or a mask."""
    value, offset = raw.strip(), len(raw) - len(raw.lstrip())
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value, offset = value[1:-1], offset + 1
    if not value.strip() or _NOT_A_VALUE.match(value.strip()):
        return None
    return value, offset


# --- SQL dumps --------------------------------------------------------------------------------------------

_IDENT = r"(?:`[^`]+`|\"[^\"]+\"|\[[^\]]+\]|[A-Za-z_][\w$]*)"
_TABLE = rf"(?:{_IDENT}\s*\.\s*)?(?P<table>{_IDENT})"
_CREATE = re.compile(rf"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_TABLE}\s*\(", re.IGNORECASE)
_INSERT = re.compile(
    rf"\bINSERT\s+(?:IGNORE\s+)?INTO\s+{_TABLE}\s*(?:\((?P<cols>[^()]*)\))?\s*VALUES\s*", re.IGNORECASE
)
_COPY = re.compile(
    rf"^COPY\s+{_TABLE}\s*\((?P<cols>[^()]*)\)\s+FROM\s+stdin;[ \t]*\r?\n", re.IGNORECASE | re.M
)
# A-Z to a-z only: a lower-cased copy with the same offsets as the text (str.lower can change lengths: "İ")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NOT_COLUMN = frozenset({"primary", "key", "unique", "constraint", "index", "foreign", "check", "fulltext"})
_SQL_NULLS = frozenset({"null", "default", "''"})


def _unquote_ident(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] + name[-1] in ("``", '""', "[]"):
        name = name[1:-1]
    return name.lower()


def _split_columns(text: str) -> list[str]:
    return [_unquote_ident(c) for c in text.split(",") if c.strip()]


def _create_columns(text: str, start: int) -> list[str]:
    """Column names of a CREATE TABLE body starting at ``start`` (just after its opening parenthesis)."""
    depth, i, item_start, columns = 0, start, start, []
    end = min(len(text), start + 200_000)
    while i < end:
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                break
            depth -= 1
        elif c == "," and depth == 0:
            columns.append(text[item_start:i])
            item_start = i + 1
        i += 1
    columns.append(text[item_start:i])
    names = []
    for item in columns:
        m = re.match(rf"\s*({_IDENT})", item)
        if m and m.group(1).lower() not in _NOT_COLUMN:
            names.append(_unquote_ident(m.group(1)))
    return names


def _sql_tuples(text: str, pos: int) -> Iterator[list[tuple[str, int]]]:
    """The value tuples of ``VALUES (…), (…);`` from ``pos``: each a list of (raw literal, offset)."""
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n or text[pos] != "(":
            return
        pos += 1
        values: list[tuple[str, int]] = []
        item_start, depth = pos, 0
        while pos < n:
            c = text[pos]
            if c == "'":
                pos += 1
                while pos < n:
                    if text[pos] == "\\":
                        pos += 2
                        continue
                    if text[pos] == "'":
                        if pos + 1 < n and text[pos + 1] == "'":
                            pos += 2
                            continue
                        break
                    pos += 1
            elif c == "(":
                depth += 1
            elif c == ")" and depth > 0:
                depth -= 1
            elif c in ",)" and depth == 0:
                values.append((text[item_start:pos], item_start))
                item_start = pos + 1
                if c == ")":
                    pos += 1
                    break
            pos += 1
        yield values


def _sql_literal(raw: str, offset: int) -> tuple[str, int] | None:
    stripped = raw.strip()
    if len(stripped) < 2 or stripped[0] != "'" or stripped[-1] != "'":
        return None  # NULL, numbers, function calls
    lead = len(raw) - len(raw.lstrip())
    value = stripped[1:-1].replace("''", "'")
    return value, offset + lead + 1


def _statements(pattern: re.Pattern[str], text: str, low: str, keyword: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a case-insensitive pattern that starts with ``keyword`` (lower case):
    tried only where ``low`` (``text`` lower-cased, same offsets) has the keyword. A regex without a literal
    prefix steps through every character in Python's engine, ~40 ms per MB and statement kind."""
    find, match = low.find, pattern.match
    pos = find(keyword)
    while pos >= 0:
        m = match(text, pos)
        if m is None:
            pos = find(keyword, pos + 1)
            continue
        yield m
        pos = find(keyword, max(m.end(), pos + 1))


def _sql_secrets(kind: CredentialFileKind, text: str) -> Iterator[tuple[str, int]]:
    low = text.lower() if text.isascii() else text.translate(_ASCII_LOWER)
    tables: dict[str, list[str]] = {}
    for m in _statements(_CREATE, text, low, "create"):
        tables[_unquote_ident(m.group("table"))] = _create_columns(text, m.end())

    def wanted(columns: list[str]) -> list[int]:
        return [i for i, c in enumerate(columns) if kind.pattern.search(c)]

    columns_of: dict[tuple[str | None, str], list[int]] = {}  # a dump repeats one INSERT per row
    for m in _statements(_INSERT, text, low, "insert"):
        cols, table = m.group("cols", "table")
        key = (cols, table)
        indices = columns_of.get(key)
        if indices is None:
            columns = _split_columns(cols) if cols else tables.get(_unquote_ident(table), [])
            indices = columns_of[key] = wanted(columns)
        if not indices:
            continue
        for values in _sql_tuples(text, m.end()):
            for i in indices:
                if i < len(values) and (literal := _sql_literal(*values[i])) is not None:
                    yield literal
    for m in _statements(_COPY, text, low, "copy"):
        indices = wanted(_split_columns(m.group("cols")))
        if not indices:
            continue
        pos = m.end()
        while pos < len(text):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            line = text[pos:end].rstrip("\r")
            if line == "\\.":
                break
            fields, start = line.split("\t"), pos
            offsets = []
            for field in fields:
                offsets.append(start)
                start += len(field) + 1
            for i in indices:
                if i < len(fields) and fields[i] != "\\N":
                    yield fields[i], offsets[i]
            pos = end + 1


# --- the analyzer -----------------------------------------------------------------------------------------


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _secrets(kind: CredentialFileKind, text: str) -> Iterator[tuple[str, int]]:
    if kind.format == "sql":
        for value, offset in _sql_secrets(kind, text):
            if value.strip() and value.lower() not in _SQL_NULLS and not is_hash(value):
                found = _credential(value)
                if found is not None:
                    yield found[0], offset + found[1]
        return
    for m in kind.pattern.finditer(text):
        found = _credential(m.group("secret"))
        if found is not None:
            yield found[0], m.start("secret") + found[1]


class CredentialFileAnalyzer:
    """FileAnalyzer: one ``credential-file-*`` error per credential in a credential-store file."""

    id = "credential-files"
    rule_ids = tuple(k.id for k in CREDENTIAL_FILE_KINDS)

    def applies_to(self, relpath: str) -> bool:
        # every kind's globs as two regular expressions (base name, path): one match each per file, where
        # asking each kind cost a tree scan tens of microseconds per .txt, .json or .xml file
        lower = relpath.replace("\\", "/").lower()
        name = lower.rsplit("/", 1)[-1]
        if name in _NAMES or _GLOB_NAMES.match(name):
            return True
        path = "/" + lower
        return bool(_PATH_TAILS.search(path) or _PATH_GLOBS.match(path))

    def analyze(self, relpath: str, text: str, ctx: AnalysisContext) -> Iterable[Finding]:
        out: list[Finding] = []
        if not text:
            return out
        for kind in CREDENTIAL_FILE_KINDS:
            if not kind.applies_to(relpath):
                continue
            for secret, offset in _secrets(kind, text):
                line, column = _position(text, offset)
                end_line, end_column = _position(text, offset + len(secret))
                out.append(
                    make_finding(
                        kind.id,
                        kind.severity,
                        relpath,
                        (line, column, end_line, end_column),
                        f"{kind.title}: a stored credential",
                        secret,
                    )
                )
                if len(out) >= _MAX_FINDINGS_PER_FILE:
                    return out
        return out

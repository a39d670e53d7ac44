"""Loading and validating the declarative rule records.

Rules live in TOML files ``scan/rules/data/*.toml``, each an array ``[[rules]]`` of tables:

``id`` (required)
    stable forever, ``^[a-z0-9]+(-[a-z0-9]+)*$``, unique across all files.
``name``, ``description``, ``remediation`` (required, non-empty)
    the remediation says how to revoke/rotate.
``pattern`` (required)
    Python ``re`` syntax limited to what Hyperscan and RE2 also accept: no look-around, no back-references, no
    possessive/atomic groups, no ``\\Z``. The secret is the named group ``secret`` when present, else the
    whole match. An optional named group ``name`` holds the variable/key name of an assignment: the engine
    then also requires :func:`~autoaudit_secrets.scan.engine._filters.is_secret_name` to accept it.
``keywords`` (required, at least one)
    lower-case literals; the rule is only tried on text containing one of them (case-insensitively).
``severity`` ``"error"`` (default) | ``"warning"``; ``confidence`` ``"high"`` (default) | ``"medium"`` |
``"low"``.
``provider``, ``references``, ``tags``
    tag ``config-only`` limits a rule to configuration files (``.env``, YAML, INI, properties, …);
    tag ``password`` marks rules whose secret may be a human-chosen password (previews show no characters).
``min_entropy`` (float, bits/char of the secret), ``case_insensitive`` (bool).
``filters``
    subset of ``placeholder``, ``reference``, ``doc-example``, ``hash``, ``uuid``, ``low-entropy``,
    ``userpass-base64`` (drops a value that is not base64 of printable ``user:password`` text, as HTTP Basic
    credentials are), ``doc-host`` (drops a URL's user information whose host, after the ``@`` that ends
    the secret, is reserved for documentation: ``example.com``, ``*.test``, TEST-NET addresses, ...),
    ``format-field`` (drops a value in braces that is the inside of a Python ``str.format``/f-string
    replacement field beyond a bare name: ``args.password!r``, ``x:>10``, ``row[0]``), ``prose`` (drops a
    value that reads as the next word of a sentence: a lower-case word ending a clause, ``options.``,
    ``(-r),``, or a conjunction such as ``and``, as in a changelog's "the new --password options."),
    ``password-name`` (drops a match whose name has no word that says password, when the pattern found
    ``pass`` inside another word: ``COMPASS_INTRO_KEY``), ``identifier`` (drops a value that reads as an
    identifier of code, two words or more with or without digits inside them -- ``JIRAConfigEngagementBase``
    after ``import`` on a line naming Jira; see
    :func:`~autoaudit_secrets.scan.engine._filters.reads_as_words`. The engine applies it to every rule not
    tagged ``generic`` or ``password``, whose values it judges by their names instead: listing it matters
    only there), ``doc-expired``
    (drops, in a documentation file, a token whose own expiry has passed: a JWT's ``exp`` claim),
    ``standin-name`` (drops a value assigned, on its line, to a name with a word saying it is a stand-in:
    ``DUMMY_HASH = "$argon2id$…"``, ``fake_hash:``; for rules without a ``name`` group, whose names the engine
    does not otherwise judge), ``associate-link`` (drops a value that is a URL's ``SubscriptionId`` parameter:
    an Amazon Product Advertising link, in any page showing one, carries the associate's access key ID),
    ``local-throwaway`` (drops a URL's password that is its user's name when the host is this machine:
    ``postgresql://App1:App1@127.0.0.1:5431/app``, a local test server's), ``page-url`` (drops a value in
    the query of a URL that a web page makes browsers request -- an HTML attribute's, a Markdown link's, CSS
    ``url(…)``, any URL of a saved web page -- or of a documentation host's), ``userinfo`` (drops what URL
    syntax says is no password: a port before a fragment or a query, ``http://google.com:80#@evil.tld/``,
    or an empty password before a second ``@``, ``https://:@google.com\\@evil.tld``: open-redirect test
    payloads; nor an image's tag before its digest, ``docker://docker:29.3@sha256:4d90…``).
    The engine always applies ``placeholder``, ``reference`` and ``doc-example``.
``examples`` (required, at least one), ``negative_examples``
    strings that must (must not) yield a finding of this rule; the test suite runs all of them.

The rules are loaded from ``data/index.py``, the records of these files validated (see :data:`INDEX_FILE`);
after editing a file, rewrite it with ``make rules-index``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..._errors import RuleError
from .._model import Confidence, Rule, Severity
from .._regex_source import syntax_chars
from ..engine._filters import FILTER_NAMES
from ..engine._lazyre import LazyRegex

__all__ = ["DATA_DIR", "RULE_ID_RE", "load_rules", "parse_rule_table", "validate_pattern"]

DATA_DIR = Path(__file__).resolve().parent / "data"
RULE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_KNOWN_KEYS = frozenset(
    {
        "id",
        "name",
        "description",
        "remediation",
        "pattern",
        "keywords",
        "severity",
        "confidence",
        "provider",
        "references",
        "tags",
        "min_entropy",
        "case_insensitive",
        "filters",
        "examples",
        "negative_examples",
    }
)
# Constructs Hyperscan or RE2 reject (checked on the pattern text with escapes removed).
_FORBIDDEN = (
    (LazyRegex(r"\(\?<?[=!]"), "look-around"),
    (LazyRegex(r"\(\?P=|\\[1-9]"), "back-reference"),
    (LazyRegex(r"\(\?>"), "atomic group"),
    (LazyRegex(r"(?:[*+?}])\+"), "possessive quantifier"),
    (LazyRegex(r"\\Z"), "\\Z"),
)
_ESCAPED = LazyRegex(r"\\\\|\\[^\\]")
_REPEAT = LazyRegex(r"\{(\d+)(?:,(\d*))?\}")
_MAX_REPEAT = 1000  # RE2's limit on a counted repetition
# Groups inside groups, at most: far above any rule's (the built-in ones nest 3 deep), far below what makes
# Python's regex parser (and the parsing that reads a pattern's prefix and widths) exceed its recursion limit
_MAX_NESTING = 64


def _fail(source: str, rule_id: object, message: str) -> RuleError:
    ident = rule_id if isinstance(rule_id, str) and RULE_ID_RE.match(rule_id) else "?"
    return RuleError(f"{source}: rule {ident}: {message}")


def _nesting(pattern: str) -> int:
    """How deep ``pattern``'s groups nest (parentheses that are syntax, outside classes and escapes)."""
    depth = deepest = 0
    for _, char in syntax_chars(pattern):
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def validate_pattern(pattern: str, *, case_insensitive: bool = False) -> re.Pattern[str]:
    """Compile ``pattern`` with Python ``re`` after checking it uses only the portable subset.

    Raises ``ValueError`` naming the problem (never the pattern text itself is required in the message).
    """
    for forbidden, what in _FORBIDDEN:
        # keep "\1"-style escapes visible for the back-reference check, drop other escapes
        text = pattern if what in {"back-reference", "\\Z"} else _ESCAPED.sub("", pattern)
        if forbidden.search(text):
            raise ValueError(f"pattern uses a {what}, which Hyperscan/RE2 do not support")
    for m in _REPEAT.finditer(_ESCAPED.sub("", pattern)):
        if max(int(m.group(1)), int(m.group(2) or 0)) > _MAX_REPEAT:
            raise ValueError(f"pattern has a counted repetition above {_MAX_REPEAT} (RE2's limit)")
    if _nesting(pattern) > _MAX_NESTING:
        raise ValueError(f"pattern nests groups more than {_MAX_NESTING} deep")
    try:
        compiled = re.compile(pattern, re.IGNORECASE if case_insensitive else 0)
    except re.error as exc:
        raise ValueError(f"pattern does not compile: {exc.msg}") from None
    except RecursionError:  # (a construct nested some other way than groups)
        raise ValueError("pattern nests too deeply to compile") from None
    if compiled.match(""):
        raise ValueError("pattern matches the empty string")
    if compiled.groupindex and set(compiled.groupindex) - {"secret", "name"}:
        raise ValueError("pattern may only name the groups 'secret' and 'name'")
    return compiled


def _str(table: Mapping[str, object], key: str, source: str, rule_id: object, *, required: bool) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise _fail(source, rule_id, f"'{key}' must be a string")
    if required and not value.strip():
        raise _fail(source, rule_id, f"'{key}' is required and must not be empty")
    return value


def _str_list(table: Mapping[str, object], key: str, source: str, rule_id: object) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(source, rule_id, f"'{key}' must be a list of strings")
    return tuple(value)


def parse_rule_table(table: Mapping[str, object], *, source: str) -> Rule:
    """Build a validated :class:`Rule` from one TOML table (a built-in record or a user's ``extra_rules``
    entry).

    ``source`` names where the table came from for error messages. Raises :class:`RuleError` on any problem;
    messages never contain example values.
    """
    if not isinstance(table, Mapping):
        raise RuleError(f"{source}: a rule must be a table")
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or not RULE_ID_RE.match(rule_id):
        raise _fail(source, rule_id, "'id' is required and must match ^[a-z0-9]+(-[a-z0-9]+)*$")
    unknown = set(table) - _KNOWN_KEYS
    if unknown:
        raise _fail(source, rule_id, f"unknown field(s): {', '.join(sorted(unknown))}")
    name = _str(table, "name", source, rule_id, required=True)
    description = _str(table, "description", source, rule_id, required=True)
    remediation = _str(table, "remediation", source, rule_id, required=True)
    pattern = _str(table, "pattern", source, rule_id, required=True)
    case_insensitive = table.get("case_insensitive", False)
    if not isinstance(case_insensitive, bool):
        raise _fail(source, rule_id, "'case_insensitive' must be true or false")
    try:
        compiled = validate_pattern(pattern, case_insensitive=case_insensitive)
    except ValueError as exc:
        raise _fail(source, rule_id, str(exc)) from None
    keywords = _str_list(table, "keywords", source, rule_id)
    if not keywords or any(not k or k != k.lower() for k in keywords):
        raise _fail(source, rule_id, "'keywords' needs at least one non-empty lower-case literal")
    try:
        severity = Severity(table.get("severity", "error"))
        confidence = Confidence(table.get("confidence", "high"))
    except ValueError:
        raise _fail(
            source, rule_id, "'severity' must be error|warning and 'confidence' high|medium|low"
        ) from None
    min_entropy = table.get("min_entropy")
    if min_entropy is not None and (
        isinstance(min_entropy, bool) or not isinstance(min_entropy, int | float)
    ):
        raise _fail(source, rule_id, "'min_entropy' must be a number")
    filters = _str_list(table, "filters", source, rule_id)
    bad = set(filters) - FILTER_NAMES
    if bad:
        raise _fail(source, rule_id, f"unknown filter(s): {', '.join(sorted(bad))}")
    if "low-entropy" in filters and min_entropy is None:
        raise _fail(source, rule_id, "filter 'low-entropy' needs 'min_entropy'")
    examples = _str_list(table, "examples", source, rule_id)
    if not examples:
        raise _fail(source, rule_id, "'examples' needs at least one positive example")
    return Rule(
        id=rule_id,
        name=name,
        description=description,
        remediation=remediation,
        pattern=pattern,
        severity=severity,
        confidence=confidence,
        provider=_str(table, "provider", source, rule_id, required=False),
        secret_group="secret" if "secret" in compiled.groupindex else 0,
        keywords=keywords,
        min_entropy=float(min_entropy) if min_entropy is not None else None,
        case_insensitive=case_insensitive,
        filters=filters,
        references=_str_list(table, "references", source, rule_id),
        tags=_str_list(table, "tags", source, rule_id),
        examples=examples,
        negative_examples=_str_list(table, "negative_examples", source, rule_id),
    )


def _parse_file(path: Path) -> list[Rule]:
    import tomllib  # (only when the data files are parsed: not at start-up)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read rule file {path.name}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"rule file {path.name} is not valid TOML: {exc}") from None
    tables = data.get("rules", [])
    if not isinstance(tables, list):
        raise RuleError(f"rule file {path.name}: 'rules' must be an array of tables ([[rules]])")
    return [parse_rule_table(t, source=path.name) for t in tables]


def _check_unique(rules: Iterable[Rule]) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"rule id {rule.id} is defined more than once")
        seen.add(rule.id)


# The packaged index of the built-in rules: every record of the data files, validated, one tuple per rule,
# positional in the order of Rule's fields (no per-rule dict: loading 500 rules this way costs about half as
# much as keyword construction, which counts at pre-commit start-up), as a generated Python module of
# literals. Python caches a module's compiled form (pip writes it at install), so loading the index is
# unmarshalling one constant: about half of what parsing the same rows as JSON costs in a fresh process
# (their patterns are full of backslash escapes). It records the digest of the data files it was made from.
# It ships beside them and is as trusted as the code: nothing of it is read from a user cache (a cache
# restored by CI from another branch could otherwise weaken a rule's pattern). When the data files differ
# from what it was made from (a checkout whose rule files were edited), they are parsed and validated
# instead, on every run, until `make rules-index` rewrites it; a test fails meanwhile.
INDEX_FILE = DATA_DIR / "index.py"
_INDEX_FORMAT = "rules-index-2"
_SEVERITIES = {s.value: s for s in Severity}
_CONFIDENCES = {c.value: c for c in Confidence}
_FIELDS = tuple(Rule.__dataclass_fields__)
_SEVERITY_AT = _FIELDS.index("severity")
_CONFIDENCE_AT = _FIELDS.index("confidence")
_TUPLES_AT = tuple(
    i
    for i, f in enumerate(_FIELDS)
    if f in {"keywords", "filters", "references", "tags", "examples", "negative_examples"}
)


def _rule_to_row(rule: Rule) -> tuple[object, ...]:
    row: list[object] = [getattr(rule, f) for f in _FIELDS]
    row[_SEVERITY_AT] = rule.severity.value
    row[_CONFIDENCE_AT] = rule.confidence.value
    return tuple(row)


def _rule_from_row(values: Sequence[Any]) -> Rule:
    row = list(values)
    if len(row) != len(_FIELDS):
        raise ValueError("stale rule index")
    severity, confidence = _SEVERITIES.get(row[_SEVERITY_AT]), _CONFIDENCES.get(row[_CONFIDENCE_AT])
    if severity is None or confidence is None:
        raise ValueError("stale rule index")
    row[_SEVERITY_AT], row[_CONFIDENCE_AT] = severity, confidence
    for i in _TUPLES_AT:
        if not isinstance(row[i], tuple):
            raise ValueError("stale rule index")
    return Rule(*row)


def _source_digest(blobs: Iterable[tuple[str, bytes]]) -> str:
    """The digest of the data files (names and bytes) and of the index format."""
    digest = hashlib.sha256(_INDEX_FORMAT.encode())
    for name, blob in blobs:
        digest.update(name.encode() + b"\0" + blob + b"\0")
    return digest.hexdigest()


def render_index(rules: Sequence[Rule], source: str) -> str:
    """The text of :data:`INDEX_FILE` for ``rules`` parsed from data files whose digest is ``source``."""
    lines = [
        '"""The built-in rules, validated: generated from the rule data files of this folder by',
        '``make rules-index`` (see ``autoaudit_secrets/scan/rules/_registry.py``). Do not edit."""',
        "",
        f"FORMAT = {_INDEX_FORMAT!r}",
        f"SOURCE = {source!r}",
        "ROWS = (",
        *(f"    {_rule_to_row(rule)!r}," for rule in rules),
        ")",
        "",
    ]
    return "\n".join(lines)


def index_rows(path: Path | None = None) -> tuple[str, tuple[tuple[Any, ...], ...]] | None:
    """The source digest and rows of the index module at ``path`` (default :data:`INDEX_FILE`), or ``None``
    when it cannot be loaded or is of another format."""
    path = INDEX_FILE if path is None else path
    try:
        spec = importlib.util.spec_from_file_location("autoaudit_secrets._rules_index", path)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if getattr(module, "FORMAT", None) != _INDEX_FORMAT:
            return None
        source, rows = module.SOURCE, module.ROWS
    except Exception:  # (a broken or half-written file: the data files are parsed instead)
        return None
    if not isinstance(source, str) or not isinstance(rows, tuple):
        return None
    return source, rows


def _read_index(source: str | None) -> tuple[Rule, ...] | None:
    """The rules of the packaged index when it was made from data files whose digest is ``source`` (``None``:
    known to be; see :func:`_checked_mark`)."""
    loaded = index_rows()
    if loaded is None or (source is not None and loaded[0] != source):
        return None
    try:
        return tuple(_rule_from_row(row) for row in loaded[1])
    except (ValueError, TypeError):
        return None


def _checked_mark(signature: tuple[tuple[str, int, int], ...]) -> Path | None:
    """The empty file of the user cache that says: the index was found to match data files of exactly this
    ``signature`` (names, sizes, modification times), the index itself unchanged since. With it, a run does
    not read and hash the data files (about 1.3 ms of a fresh process). A planted mark can only make a run
    load the packaged index, which is as trusted as the code; an edited data file has another signature."""
    from ..engine._matcher import cache_dir

    try:
        index = INDEX_FILE.stat()
    except OSError:
        return None
    identity = repr((_INDEX_FORMAT, str(INDEX_FILE), index.st_size, index.st_mtime_ns, signature))
    return cache_dir() / f"index-{hashlib.sha256(identity.encode()).hexdigest()[:32]}.ok"


def _data_blobs(signature: Iterable[tuple[str, int, int]]) -> list[tuple[str, bytes]]:
    return [(name, (DATA_DIR / name).read_bytes()) for name, _, _ in signature]


def parse_data_files(signature: Iterable[tuple[str, int, int]]) -> tuple[Rule, ...]:
    """Parse and validate the data files of ``signature`` (see :func:`_signature`; no index); raises
    :class:`RuleError`."""
    rules: list[Rule] = []
    for name, _, _ in signature:
        rules.extend(_parse_file(DATA_DIR / name))
    _check_unique(rules)
    return tuple(rules)


def write_index() -> Path:
    """Parse and validate the data files and write :data:`INDEX_FILE` from them (atomically)."""
    from ..._atomic import atomic_write_bytes

    signature = _signature()
    rules = parse_data_files(signature)
    atomic_write_bytes(
        INDEX_FILE, render_index(rules, _source_digest(_data_blobs(signature))).encode(), default_mode=0o644
    )
    return INDEX_FILE


@functools.lru_cache(maxsize=4)
def _load_builtin(signature: tuple[tuple[str, int, int], ...]) -> tuple[Rule, ...]:
    """The packaged index when it matches the data files, else the files parsed and validated (which
    compiles every pattern: more than the whole pre-commit budget)."""
    from ..engine._matcher import prune_cache, touch_cache

    mark = _checked_mark(signature)
    if mark is not None and mark.exists():
        indexed = _read_index(None)
        if indexed is not None:
            touch_cache(mark)
            return indexed
    indexed = _read_index(_source_digest(_data_blobs(signature)))
    if indexed is None:
        return parse_data_files(signature)
    if mark is not None:
        try:
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.touch()
            prune_cache("index")
        except OSError:  # an unwritable cache only costs time
            pass
    return indexed


def _signature() -> tuple[tuple[str, int, int], ...]:
    entries = []
    for path in sorted(DATA_DIR.glob("*.toml")):
        st = path.stat()
        entries.append((path.name, st.st_mtime_ns, st.st_size))
    return tuple(entries)


def load_rules(extra: Sequence[Rule] = ()) -> tuple[Rule, ...]:
    """Every built-in rule (all ``data/*.toml`` files, in file-name order) followed by ``extra``.

    Validates every record and that ids are unique across all files and ``extra``; raises :class:`RuleError`.
    """
    rules = _load_builtin(_signature()) + tuple(extra)
    _check_unique(rules)
    return rules

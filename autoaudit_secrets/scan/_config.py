"""check-secrets configuration: ``[tool.check-secrets]`` in ``pyproject.toml``, or ``.check-secrets.toml``.

Lookup, at the scanned root: an explicit ``--config FILE`` wins; else ``.check-secrets.toml`` (keys at its top
level, or under ``[tool.check-secrets]``); else the ``[tool.check-secrets]`` table of ``pyproject.toml``; else
defaults. Keys (all optional, kebab-case)::

    exclude      = ["vendor/**", "*.min.js"]   # gitignore-style globs of files not to scan
    disable      = ["generic-password"]        # rule ids that never run
    enable       = ["aws-access-key-id"]       # when given, only these rule ids run
    allow-paths  = ["tests/fixtures/**"]       # globs: findings in these files are dropped
    allow-values = ["^AKIA[0-9A-Z]{12}TEST$"]  # regexes searched in the secret value: matches are dropped
    fail-on      = "error"                      # or "warning"
    schema       = "myapp.settings:Settings"    # or a list; their secret fields' env names are secrets
                                                # (imported only when the caller trusts the file)

    [[tool.check-secrets.rules]]               # extra rules, same record format as the built-in ones
    id = "acme-api-key"
    ...

Every problem (unknown key, wrong type, bad regex, unknown rule id, bad rule record) is a one-line
:class:`ConfigError` naming the file and the key. Nothing here prints or exits.

The file comes from the scanned tree, which is hostile input (a pull request can change it): reading it never
imports or runs code. ``schema`` names a module to import, so it is resolved only with ``trust_schema=True``
(``--trust-config``); otherwise its specs are kept in :attr:`ScanConfig.ignored_schema` for the caller to warn
about.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .._errors import AutoauditSecretsError, ConfigError
from .._safe_read import NotRegularFileError, read_regular_file
from ._model import Confidence, Rule, ScanConfig, Severity

__all__ = [
    "CONFIG_FILE_NAME",
    "CONFIG_KEYS",
    "PYPROJECT_FILE_NAME",
    "ConfigSource",
    "analyzer_checks",
    "check_globs",
    "decode_input_text",
    "find_config_file",
    "has_config_table",
    "known_rule_ids",
    "load_config",
    "override_config",
    "parse_config_table",
    "parse_config_text",
    "printable",
    "read_config_file",
    "resolve_schema_names",
]

CONFIG_FILE_NAME = ".check-secrets.toml"
PYPROJECT_FILE_NAME = "pyproject.toml"

CONFIG_KEYS: tuple[str, ...] = (
    "exclude",
    "disable",
    "enable",
    "allow-paths",
    "allow-values",
    "fail-on",
    "schema",
    "rules",
)


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """Where a configuration table came from: the file and the table's name as shown in errors."""

    path: Path
    table: str  # "[tool.check-secrets]" or "" for a top-level .check-secrets.toml

    def key(self, name: str) -> str:
        """How a key is named in an error message: ``file: [table] key``."""
        return f"{printable(str(self.path))}: {self.table + ' ' if self.table else ''}{printable(name, 80)}"


def printable(text: str, limit: int | None = None) -> str:
    """``text`` for a one-line message: control characters (newlines, terminal escapes) escaped, and cut to
    ``limit`` characters (a TOML key may be any string, ``"\\n\\x1b[2J" = 1``)."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def find_config_file(root: Path) -> Path | None:
    """The configuration file of ``root``: ``.check-secrets.toml``, else a ``pyproject.toml`` having a
    ``[tool.check-secrets]`` table, else ``None``."""
    dedicated = root / CONFIG_FILE_NAME
    if dedicated.is_file():
        return dedicated
    pyproject = root / PYPROJECT_FILE_NAME
    if pyproject.is_file():
        try:
            text = read_regular_file(pyproject).decode("utf-8").removeprefix("\ufeff")
        except (OSError, UnicodeDecodeError):
            return pyproject  # let read_config_file report the problem
        if has_config_table(text):
            return pyproject
    return None


def read_input_text(path: str | os.PathLike[str], what: str) -> str:
    """The UTF-8 text of a check-secrets input file (``what``: "configuration", "baseline"), a leading BOM
    (Windows editors) removed. Every problem is a one-line :class:`ConfigError` naming the file; a FIFO or
    device is refused, not waited on."""
    shown = printable(str(path))
    try:
        raw = read_regular_file(path)
    except FileNotFoundError:
        raise ConfigError(f"{shown}: {what} file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{shown}: {what} file is a directory") from None
    except NotRegularFileError as exc:
        raise ConfigError(f"{shown}: {what} file {exc.strerror}") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read {what}: {exc.strerror or type(exc).__name__}") from None
    return decode_input_text(raw, shown, what)


def decode_input_text(raw: bytes, shown: str, what: str) -> str:
    """``raw`` (the bytes of a check-secrets input file, from disk or from a git revision) as text, a
    leading BOM removed; not UTF-8 is a one-line :class:`ConfigError` naming ``shown``."""
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Raised outside the handler: the decode error (which holds the file's bytes) must not stay
        # reachable as __context__.
        text = None
    if text is None:
        raise ConfigError(f"{shown}: cannot read {what}: not UTF-8 text")
    return text.removeprefix("\ufeff")


def read_config_file(path: Path) -> tuple[dict[str, Any], ConfigSource]:
    """Parse a configuration file and return its check-secrets table and where it came from.

    A ``pyproject.toml`` (or any file with a ``[tool.check-secrets]`` table) yields that table; any other
    file is read as a ``.check-secrets.toml`` with the keys at the top level."""
    text = read_input_text(path, "configuration")
    return parse_config_text(text, path, pyproject=path.name == PYPROJECT_FILE_NAME)


def parse_config_text(text: str, where: Path, *, pyproject: bool) -> tuple[dict[str, Any], ConfigSource]:
    """The check-secrets table of a configuration file's ``text`` and where it came from (``where``, shown in
    errors: a file, or ``REV:path`` for one read from a git revision). ``pyproject``: the file is a
    ``pyproject.toml``, whose keys at the top level are not check-secrets keys."""
    import tomllib  # (here: most scans read no configuration file, and tomllib costs start-up time)

    shown = printable(str(where))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: invalid TOML: {_one_line(str(exc))}") from None
    except RecursionError:
        raise ConfigError(f"{shown}: invalid TOML: nested too deeply") from None
    tool = data.get("tool")
    if isinstance(tool, dict) and "check-secrets" in tool:
        table = tool["check-secrets"]
        source = ConfigSource(where, "[tool.check-secrets]")
        if not isinstance(table, dict):
            raise ConfigError(f"{shown}: [tool.check-secrets] must be a table")
        return table, source
    if pyproject:
        return {}, ConfigSource(where, "[tool.check-secrets]")
    return data, ConfigSource(where, "")


def has_config_table(text: str) -> bool:
    """Whether a ``pyproject.toml``'s text has a ``[tool.check-secrets]`` table (unparsable text counts as
    having one: reading it then reports the problem)."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "check-secrets" in tool


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _string_list(value: object, source: ConfigSource, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source.key(key)}: expected a list of strings")
    return tuple(value)


def parse_config_table(
    table: Mapping[str, Any],
    source: ConfigSource,
    *,
    parse_rule: Callable[[Mapping[str, Any], str], Rule] | None = None,
    known_ids: Callable[[], Collection[str] | None] | None = None,
    schema_names: Callable[[str], frozenset[str]] | None = None,
    trust_schema: bool = False,
) -> ScanConfig:
    """Validate one check-secrets table and turn it into a :class:`ScanConfig`.

    ``parse_rule(record, where)`` turns a ``[[rules]]`` record into a :class:`Rule` (default: the rule
    registry's ``parse_rule_table``); ``known_ids()`` lists the built-in rule ids, ``None`` for no check
    (default: :func:`known_rule_ids`); ``schema_names`` maps a ``module:Class`` to its secret env names
    (default: :func:`resolve_schema_names`), called only with ``trust_schema``: importing a module of the
    scanned tree would run its code, so by default the specs are only checked for their type and returned in
    ``ignored_schema``."""
    unknown = sorted(set(table) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"{source.key(unknown[0])}: unknown key (known keys: {', '.join(CONFIG_KEYS)})")
    exclude = _string_list(table.get("exclude", []), source, "exclude")
    allow_paths = _string_list(table.get("allow-paths", []), source, "allow-paths")
    for key, globs in (("exclude", exclude), ("allow-paths", allow_paths)):
        check_globs(globs, source.key(key))
    allow_values = _string_list(table.get("allow-values", []), source, "allow-values")
    for index, pattern in enumerate(allow_values):
        try:
            re.compile(pattern)  # (compiling runs nothing: Python's messages are the clearest)
        except re.error as exc:
            raise ConfigError(
                f"{source.key('allow-values')}[{index}]: invalid regular expression: {exc.msg}"
                f" at position {exc.pos}"
            ) from None
        except (RecursionError, OverflowError):
            where = f"{source.key('allow-values')}[{index}]"
            raise ConfigError(f"{where}: regular expression too complex") from None
        from .engine._linear import ValueAllowlist

        try:
            ValueAllowlist.check(pattern)  # matched by RE2 or Hyperscan, never by re: see engine/_linear.py
        except ValueError as exc:
            raise ConfigError(f"{source.key('allow-values')}[{index}]: {exc}") from None
    disable = _string_list(table.get("disable", []), source, "disable")
    enable_raw = table.get("enable")
    enable = None if enable_raw is None else _string_list(enable_raw, source, "enable")

    fail_on = Severity.ERROR
    if "fail-on" in table:
        fail_on = _parse_severity(table["fail-on"], source.key("fail-on"))

    extra = _parse_rules(table.get("rules", []), source, parse_rule)

    # Loading every rule and analyzer for the check costs start-up time: only when ids are named.
    builtin = (known_ids or known_rule_ids)() if (disable or enable or extra) else None
    if builtin is not None:
        for index, rule in enumerate(extra):
            if rule.id in builtin:
                raise ConfigError(
                    f"{source.key(f'rules[{index}]')}: rule id {rule.id!r} is already a built-in rule"
                )
        ids = set(builtin) | {rule.id for rule in extra}
        for key, values in (("disable", disable), ("enable", enable or ())):
            for rule_id in values:
                if rule_id not in ids:
                    raise ConfigError(f"{source.key(key)}: unknown rule id {rule_id!r}")

    names: frozenset[str] = frozenset()
    specs = _string_list(table.get("schema", []), source, "schema")
    for spec in specs:
        if not _SCHEMA_SPEC.fullmatch(spec):
            raise ConfigError(f"{source.key('schema')}: schema {spec[:80]!r} must be 'module:Class'")
    for spec in specs if trust_schema else ():
        try:
            names |= (schema_names or resolve_schema_names)(spec)
        except AutoauditSecretsError as exc:
            raise ConfigError(f"{source.key('schema')}: {_one_line(str(exc))}") from None

    return ScanConfig(
        disabled_rules=frozenset(disable),
        enabled_rules=None if enable is None else frozenset(enable),
        allow_paths=allow_paths,
        allow_values=allow_values,
        exclude=exclude,
        extra_rules=extra,
        secret_names=names,
        fail_on=fail_on,
        ignored_schema=() if trust_schema else specs,
    )


def check_globs(globs: Sequence[str], where: str) -> None:
    """Raise a one-line :class:`ConfigError` naming ``where`` and the index of the first glob that is not a
    valid gitignore-style pattern."""
    if not globs:
        return
    import pathspec

    for index, glob in enumerate(globs):
        try:
            pathspec.GitIgnoreSpec.from_lines([glob])
        except (ValueError, TypeError):
            raise ConfigError(f"{where}[{index}]: invalid gitignore-style pattern {glob[:80]!r}") from None


def _parse_severity(value: object, where: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ConfigError(
            f"{where}: expected one of {', '.join(repr(s.value) for s in Severity)}, got {str(value)[:30]!r}"
        ) from None


def _registry_parse(record: Mapping[str, Any], where: str) -> Rule:
    from .rules._registry import parse_rule_table

    return parse_rule_table(record, source=where)


def _parse_rules(
    value: object, source: ConfigSource, parse_rule: Callable[[Mapping[str, Any], str], Rule] | None
) -> tuple[Rule, ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{source.key('rules')}: expected an array of tables ([[rules]])")
    if not value:
        return ()
    parse_rule = parse_rule or _registry_parse
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, record in enumerate(value):
        label = f"rules[{index}]" + (f" ({record['id']})" if isinstance(record.get("id"), str) else "")
        try:
            rule = parse_rule(record, source.key(f"rules[{index}]"))
        except AutoauditSecretsError as exc:
            raise ConfigError(_one_line(str(exc))) from None
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigError(f"{source.key(label)}: invalid rule record ({type(exc).__name__})") from None
        if rule.id in seen:
            raise ConfigError(f"{source.key(label)}: duplicate rule id {rule.id!r}")
        problem = _example_problem(rule)
        if problem:
            raise ConfigError(f"{source.key(label)}: {problem}")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


#: The widest match a configured rule may have (characters): the engine confirms a candidate in a window this
#: wide, so every rule needs a maximum width ({m,n} rather than *, + or {m,}).
MAX_RULE_WIDTH = 4096


def _example_problem(rule: Rule) -> str | None:
    """Check a user rule: it must run on the linear-time engine (RE2: the repository supplies it, and Python's
    re could be made to hang) with a bounded match width, and match its own examples, as the built-in rules
    are checked by the test suite: each example must match and hold a keyword, no negative example may
    match. Never shows the example text."""
    from .engine._linear import LinearPattern
    from .engine._matcher import max_width

    width = max_width(rule.pattern, re.IGNORECASE if rule.case_insensitive else 0)
    if width > MAX_RULE_WIDTH:
        return (
            f"pattern has no maximum match width of at most {MAX_RULE_WIDTH} characters (bound every "
            "repetition: {m,n} instead of *, + or {m,})"
        )
    try:
        compiled = LinearPattern(rule.pattern, case_insensitive=rule.case_insensitive)
    except ValueError as exc:
        return f"pattern: {exc}"
    for number, example in enumerate(rule.examples, 1):
        if not compiled.search(example):
            return f"example {number} does not match the rule's pattern"
        if not any(keyword in example.lower() for keyword in rule.keywords):
            return f"example {number} holds none of the rule's keywords"
    for number, negative in enumerate(rule.negative_examples, 1):
        if compiled.search(negative):
            return f"negative example {number} matches the rule's pattern"
    return None


def known_rule_ids() -> frozenset[str]:
    """Every built-in rule id a configuration may name: the registry's rules and the checks of the format
    analyzers (see :func:`analyzer_checks` and :func:`_analyzer_declared_ids`)."""
    from .rules._registry import load_rules

    ids = {rule.id for rule in load_rules()}
    ids.update(_analyzer_rule_ids())
    return frozenset(ids)


def _analyzer_rule_ids() -> Iterable[str]:
    return analyzer_checks().keys() | set(_analyzer_declared_ids())


_SCHEMA_SPEC = re.compile(r"[^:\s]+:[^:\s]+")
_ID_CONSTANT = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")


def _analyzer_modules() -> list[Any]:
    from .analyzers import _registry as _analyzers

    modules = []
    for spec in (*_analyzers.FILE_ANALYZERS, *_analyzers.TREE_ANALYZERS):
        name = importlib.util.resolve_name(spec.partition(":")[0], _analyzers.__package__)
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


def _analyzer_declared_ids() -> list[str]:
    """Ids the analyzer modules name: a ``rule_ids`` attribute of the analyzer class, and public upper-case
    string constants shaped like rule ids (``CI_RUN_SECRET = "ci-run-secret"``)."""
    ids: list[str] = []
    for module in _analyzer_modules():
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and _ID_CONSTANT.fullmatch(value):
                ids.append(value)
            declared = getattr(value, "rule_ids", None) if isinstance(value, type) else None
            if isinstance(declared, (tuple, list, frozenset, set)):
                ids.extend(str(i) for i in declared)
    return ids


def _as_rule(check: object) -> Rule | None:
    rule_id, title = getattr(check, "id", None), getattr(check, "title", None)
    remediation = getattr(check, "remediation", None)
    if not (isinstance(rule_id, str) and _ID_CONSTANT.fullmatch(rule_id)):
        return None
    if not (isinstance(title, str) and isinstance(remediation, str)):
        return None
    severity = getattr(check, "severity", Severity.ERROR)
    return Rule(
        id=rule_id,
        name=title,
        description=title,
        remediation=remediation,
        pattern="",
        severity=severity if isinstance(severity, Severity) else Severity.ERROR,
        confidence=Confidence.HIGH,
        tags=("analyzer",),
    )


def analyzer_checks() -> dict[str, Rule]:
    """The checks of the format analyzers (Dockerfile, sensitive files, ...) that publish a catalog: public
    module-level check records with ``id``, ``title``, ``remediation`` (and ``severity``), alone or in tuples.
    Returned as :class:`Rule` records without a pattern, for listings and report texts."""
    checks: dict[str, Rule] = {}
    for module in _analyzer_modules():
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            for item in value if isinstance(value, tuple) else (value,):
                rule = _as_rule(item)
                if rule is not None:
                    checks.setdefault(rule.id, rule)
    return checks


def resolve_schema_names(spec: str) -> frozenset[str]:
    """The env-var names of the secret fields of the settings class ``module:Class``."""
    if spec.count(":") != 1 or not all(spec.split(":")):
        raise ConfigError(f"schema {spec[:80]!r} must be 'module:Class'")
    try:
        from ..settings import import_schema, secret_env_names
    except ImportError:
        raise ConfigError("--schema needs autoaudit_secrets.settings, which is not available") from None
    schema_class = import_schema(spec)
    names: frozenset[str] = frozenset(secret_env_names(schema_class))
    return names


def load_config(root: Path, config_file: Path | None = None, *, trust_schema: bool = False) -> ScanConfig:
    """The configuration for a scan of ``root``: ``config_file`` if given, else the one found at ``root``.

    Its ``schema`` key is imported only with ``trust_schema`` (see :func:`parse_config_table`)."""
    path = config_file if config_file is not None else find_config_file(root)
    if path is None:
        return ScanConfig()
    table, source = read_config_file(path)
    return parse_config_table(table, source, trust_schema=trust_schema)


def override_config(
    config: ScanConfig,
    *,
    enable: Sequence[str] = (),
    disable: Sequence[str] = (),
    exclude: Sequence[str] = (),
    fail_on: Severity | None = None,
    secret_names: Collection[str] = (),
) -> ScanConfig:
    """Apply command-line options on top of a file configuration.

    ``enable`` replaces the file's ``enable`` list (only these rules run) and re-enables rules the file
    disabled; ``disable`` and ``exclude`` add to the file's lists; ``fail_on`` replaces it; ``secret_names``
    add up."""
    disabled = (config.disabled_rules - set(enable)) | set(disable)
    return replace(
        config,
        enabled_rules=frozenset(enable) if enable else config.enabled_rules,
        disabled_rules=frozenset(disabled),
        exclude=config.exclude + tuple(e for e in exclude if e not in config.exclude),
        fail_on=fail_on if fail_on is not None else config.fail_on,
        secret_names=config.secret_names | frozenset(secret_names),
    )

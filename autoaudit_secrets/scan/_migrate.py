"""Migrating from gitleaks and detect-secrets: their configuration and baseline files, read as data.

* :func:`migrate_gitleaks` turns a ``.gitleaks.toml`` into the equivalent ``[tool.check-secrets]`` table, as
  TOML text, and lists what it carried and what has no counterpart (with the reason).
* :func:`read_detect_secrets_baseline` reads a detect-secrets ``.secrets.baseline``;
  :func:`carry_decisions` keeps, of a fresh scan's findings, those the baseline accepted. detect-secrets
  stores a SHA-1 of each secret, which cannot become our fingerprint, so the decision is carried by
  re-scanning: a finding is accepted when the SHA-1 of its value is listed for the same file and not audited
  as a real secret (``"is_secret": true``).
* :func:`drop_peer_file_data` keeps a detect-secrets baseline met during a scan from being reported as holding
  secrets (its ``hashed_secret`` values are SHA-1 digests).

The files come from the repository being migrated: they are parsed, never executed, and every problem is a
one-line :class:`MigrationError` naming the file. Nothing here prints.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import AutoauditSecretsError, ConfigError
from ._model import Finding
from ._regex_source import syntax_chars

__all__ = [
    "DetectSecretsBaseline",
    "GitleaksMigration",
    "MigrationError",
    "carry_decisions",
    "drop_peer_file_data",
    "migrate_gitleaks",
    "read_detect_secrets_baseline",
    "regex_to_globs",
]


class MigrationError(ConfigError):
    """A peer's configuration or baseline file cannot be read as one (names the file, never a value)."""


# gitleaks' default rule ids whose findings our built-in rules cover (for ``disabledRules``). Only ids that
# exist in our registry are used, so a renamed rule of ours can never be written into a configuration.
GITLEAKS_RULE_IDS: Mapping[str, tuple[str, ...]] = {
    "aws-access-token": ("aws-access-key-id",),
    "generic-api-key": ("generic-secret", "generic-secret-config", "generic-secret-keyvalue"),
    "github-pat": ("github-pat-classic",),
    "github-fine-grained-pat": ("github-pat-fine-grained",),
    "github-oauth": ("github-oauth-token",),
    "github-app-token": ("github-server-to-server-token", "github-user-to-server-token"),
    "github-refresh-token": ("github-refresh-token",),
    "gitlab-pat": ("gitlab-pat",),
    "slack-bot-token": ("slack-bot-token",),
    "slack-user-token": ("slack-user-token",),
    "slack-webhook-url": ("slack-webhook-url",),
    "stripe-access-token": ("stripe-secret-key", "stripe-restricted-key", "stripe-test-secret-key"),
    "private-key": ("private-key-pem", "private-key-openssh", "private-key-pgp", "private-key-putty"),
    "jwt": ("jwt",),
    "npm-access-token": ("npm-access-token",),
    "pypi-upload-token": ("pypi-upload-token",),
    "sendgrid-api-token": ("sendgrid-api-key",),
    "gcp-api-key": ("gcp-api-key",),
    "openai-api-key": ("openai-api-key", "openai-api-key-legacy", "openai-project-key"),
    "anthropic-api-key": ("anthropic-api-key",),
    "heroku-api-key": ("heroku-api-key", "heroku-api-key-legacy"),
    "digitalocean-pat": ("digitalocean-pat",),
    "shopify-access-token": ("shopify-access-token",),
    "age-secret-key": ("age-secret-key",),
    "doppler-api-token": ("doppler-token",),
    "vault-service-token": ("vault-service-token",),
    "kubernetes-secret-yaml": ("kubernetes-secret-manifest",),
}

_MAX_PEER_FILE = 16 * 1024 * 1024


# --------------------------------------------------------------------------------------------- gitleaks


@dataclass
class GitleaksMigration:
    """The result of :func:`migrate_gitleaks`: the TOML to write, and what was and was not carried over."""

    toml: str
    carried: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)


def migrate_gitleaks(
    path: Path,
    *,
    known_rule_ids: Iterable[str],
    check_table: Callable[[Mapping[str, Any]], object],
    check_rule: Callable[[Mapping[str, Any]], object],
) -> GitleaksMigration:
    """Read the gitleaks configuration at ``path`` and translate it.

    ``known_rule_ids`` are our built-in rule ids; ``check_table(table)`` validates a ``[tool.check-secrets]``
    table (raising :class:`ConfigError`), ``check_rule(record)`` one rule record (raising any
    ``AutoauditSecretsError``): every value written has passed the same checks a scan applies, so the file
    written always loads."""
    data = _load_toml(path)
    known = set(known_rule_ids)
    out = GitleaksMigration("")
    table: dict[str, Any] = {}

    extend = data.get("extend")
    if isinstance(extend, Mapping):
        if extend.get("path") or extend.get("url"):
            out.not_carried.append("[extend] path/url: the extended file is not read; migrate it on its own")
        disabled = [d for d in extend.get("disabledRules", []) if isinstance(d, str)]
        ours: list[str] = []
        for rule_id in disabled:
            mapped = [r for r in GITLEAKS_RULE_IDS.get(rule_id, ()) if r in known]
            if mapped:
                ours.extend(m for m in mapped if m not in ours)
                out.carried.append(f"disabledRules {rule_id!r} -> disable {', '.join(mapped)}")
            else:
                out.not_carried.append(
                    f"disabledRules {rule_id!r}: no rule of ours is known to match it "
                    "(see `check-secrets rules`)"
                )
        if ours:
            table["disable"] = ours
        use_default = extend.get("useDefault", False)
    else:
        use_default = False

    allow_paths: list[str] = []
    allow_values: list[str] = []
    for where, allowlist in _allowlists(data):
        _carry_allowlist(where, allowlist, allow_paths, allow_values, out)
    if allow_paths:
        table["allow-paths"] = allow_paths
    if allow_values:
        table["allow-values"] = allow_values

    commented: list[tuple[dict[str, Any], str]] = []
    for index, rule in enumerate(data.get("rules", []) if isinstance(data.get("rules"), list) else []):
        if not isinstance(rule, Mapping):
            out.not_carried.append(f"[[rules]] #{index + 1}: not a table")
            continue
        record, note = _translate_rule(rule, index)
        if record is None:
            out.not_carried.append(note)
            continue
        try:  # everything but the examples, which gitleaks rules do not have
            check_rule({**record, "examples": ["x"]})
        except AutoauditSecretsError as exc:  # one line, never the pattern text
            out.not_carried.append(f"rule {record['id']!r}: {str(exc).rsplit(': ', 1)[-1]}")
            continue
        commented.append((record, note))
        out.carried.append(
            f"rule {record['id']!r} (written commented out: add a sample token to 'examples', then uncomment)"
        )
    if data.get("rules") and not use_default:
        out.not_carried.append(
            "a configuration without [extend] useDefault replaces gitleaks' rules; our built-in rules still "
            "run (list your rules in 'enable' to run only them)"
        )

    _validate_items(table, check_table, out)
    out.toml = _render(table, commented, path)
    return out


def _allowlists(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    found: list[tuple[str, Mapping[str, Any]]] = []
    single = data.get("allowlist")
    if isinstance(single, Mapping):
        found.append(("[allowlist]", single))
    many = data.get("allowlists")
    if isinstance(many, list):
        found += [(f"[[allowlists]] #{i + 1}", a) for i, a in enumerate(many) if isinstance(a, Mapping)]
    return found


def _carry_allowlist(
    where: str,
    allowlist: Mapping[str, Any],
    allow_paths: list[str],
    allow_values: list[str],
    out: GitleaksMigration,
) -> None:
    if allowlist.get("targetRules"):
        out.not_carried.append(f"{where}: targetRules (our allow lists apply to every rule)")
        return
    if str(allowlist.get("condition", "OR")).upper() == "AND":
        out.not_carried.append(f'{where}: condition = "AND" (our allow lists are each enough on their own)')
        return
    for number, pattern in enumerate(_strings(allowlist.get("paths")), start=1):
        globs = regex_to_globs(pattern)
        if globs:
            allow_paths.extend(g for g in globs if g not in allow_paths)
            out.carried.append(f"{where} path regex -> allow-paths {', '.join(globs)}")
        else:
            out.not_carried.append(
                f"{where} path regex #{number}: too complex to turn into a glob; "
                "add an allow-paths glob by hand"
            )
    regexes = _strings(allowlist.get("regexes"))
    stopwords = ["(?i)" + re.escape(word) for word in _strings(allowlist.get("stopwords"))]
    allow_values.extend(v for v in dict.fromkeys(regexes + stopwords) if v not in allow_values)
    if regexes:
        target = str(allowlist.get("regexTarget", "secret"))
        note = "" if target == "secret" else f" (they were matched against the {target}; ours, the secret)"
        out.carried.append(f"{where} regexes -> allow-values{note}")
    if stopwords:
        out.carried.append(f"{where} stopwords -> allow-values (case-insensitive literals)")
    if allowlist.get("commits"):
        out.not_carried.append(
            f"{where} commits: findings are not tied to commits here; accept them with a baseline "
            "(check-secrets baseline create)"
        )


def _translate_rule(rule: Mapping[str, Any], index: int) -> tuple[dict[str, Any] | None, str]:
    rule_id = str(rule.get("id", "")).strip().lower()
    rule_id = re.sub(r"[^a-z0-9]+", "-", rule_id).strip("-")
    where = f"rule {rule_id!r}" if rule_id else f"[[rules]] #{index + 1}"
    regex = rule.get("regex")
    if not rule_id:
        return None, f"{where}: no id"
    if not isinstance(regex, str) or not regex:
        return (
            None,
            f"{where}: a path-only rule (file names) has no counterpart; see the sensitive-file checks",
        )
    note = (
        "its own allowlists were not carried (ours are global)"
        if rule.get("allowlists") or rule.get("allowlist")
        else ""
    )
    group = rule.get("secretGroup", 0)
    pattern = regex
    if isinstance(group, int) and group > 0:
        named = _name_group(regex, group)
        if named is None:
            return None, f"{where}: secretGroup {group} could not be located in the regex"
        pattern = named
    keywords = sorted({k.lower() for k in _strings(rule.get("keywords")) if k.strip()})
    if not keywords:
        return None, f"{where}: no keywords (we need at least one literal that every match contains)"
    description = str(rule.get("description") or rule_id)
    record: dict[str, Any] = {
        "id": rule_id,
        "name": description.splitlines()[0][:120],
        "description": description,
        "remediation": "Revoke the credential with its issuer and remove it from the code.",
        "pattern": pattern,
        "keywords": keywords,
    }
    entropy = rule.get("entropy")
    if isinstance(entropy, int | float) and not isinstance(entropy, bool) and entropy > 0:
        record["min_entropy"] = float(entropy)
        record["filters"] = ["low-entropy"]
    return record, note


def _name_group(regex: str, number: int) -> str | None:
    """``regex`` with its ``number``-th capturing group named ``secret`` (``(`` not followed by ``?``, outside
    character classes and escapes), or ``None``."""
    count = 0
    for i, ch in syntax_chars(regex):
        if ch != "(":
            continue
        if regex[i + 1 : i + 2] != "?":
            count += 1
            if count == number:
                return regex[: i + 1] + "?P<secret>" + regex[i + 1 :]
        elif regex[i + 1 : i + 3] == "?P" or (
            regex[i + 1 : i + 3] == "?<" and regex[i + 3 : i + 4] not in "=!"
        ):
            count += 1  # a named group counts too
            if count == number:
                return None
    return None


_LITERAL = r"(?:\\[.\-/_+]|[A-Za-z0-9_\-/ ])+"
_ALTERNATION = re.compile(r"\((?:\?:)?(" + _LITERAL + r"(?:\|" + _LITERAL + r")+)\)")


def regex_to_globs(pattern: str) -> list[str]:
    """gitignore-style globs equivalent to a gitleaks path regex (searched in the path), or ``[]`` when the
    regex is more than the common shapes: literals with ``\\.`` escapes, a leading ``^`` or ``(^|/)``, a
    trailing ``$``, ``.*``/``(.*?)`` prefixes and one alternation of literals (``(jpg|gif)$``).

    One difference remains: a glob that matches a name also matches a folder of that name and what is in it
    (gitignore globs cannot say "files only"), so ``\\.md$`` also covers ``notes.md/x.txt``."""
    body = pattern
    for prefix in ("(.*?)", "(.*)", ".*?", ".*"):
        if body.startswith(prefix):
            body = body[len(prefix) :]
            break
    start = "none"
    if body.startswith("(^|/)"):
        start, body = "segment", body[5:]
    elif body.startswith("^"):
        start, body = "root", body[1:]
    end = body.endswith("$") and not body.endswith("\\$")
    if end:
        body = body[:-1]
    if body.endswith(".*"):
        body, end = body[:-2], False
    alternatives = [body]
    m = _ALTERNATION.search(body)
    if m:
        alternatives = [body[: m.start()] + alt + body[m.end() :] for alt in m.group(1).split("|")]
    globs: list[str] = []
    for alt in alternatives:
        if not re.fullmatch(_LITERAL, alt):
            return []
        literal = re.sub(r"\\(.)", r"\1", alt)
        if any(c in literal for c in "*?[]!#") or not literal.strip("/"):
            return []
        globs.append(_glob(literal, start, end))
    return globs


def _glob(literal: str, start: str, end: bool) -> str:
    inner_slash = "/" in literal.strip("/")
    if start == "root":
        return "/" + literal if end or literal.endswith("/") else "/" + literal + "*"
    if start == "segment":
        if inner_slash:
            return "**/" + literal + ("" if end or literal.endswith("/") else "*")
        return literal if end or literal.endswith("/") else literal + "*"
    if inner_slash or literal.startswith("/"):
        return "**/*" + literal.lstrip("/") + ("" if end else "*")
    return "*" + literal + ("" if end else "*")


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _validate_items(
    table: dict[str, Any], check_table: Callable[[Mapping[str, Any]], object], out: GitleaksMigration
) -> None:
    """Drop (and report) any value our configuration would refuse, so the written table always loads."""
    for key in ("allow-paths", "allow-values", "disable"):
        kept = []
        for index, value in enumerate(table.get(key, [])):
            try:
                check_table({key: [value]})
            except ConfigError as exc:
                reason = str(exc).rsplit(": ", 1)[-1]
                out.not_carried.append(f"{key} #{index + 1} from gitleaks: refused ({reason})")
                continue
            kept.append(value)
        if kept:
            table[key] = kept
        else:
            table.pop(key, None)


def _render(
    table: Mapping[str, Any], commented: Sequence[tuple[Mapping[str, Any], str]], source: Path
) -> str:
    lines = [
        f"# Migrated from {_toml_comment(source.name)} by `check-secrets migrate gitleaks`.",
        "# Keep this file as .check-secrets.toml, or paste the table into pyproject.toml.",
        "[tool.check-secrets]",
    ]
    for key in ("disable", "allow-paths", "allow-values"):
        if key in table:
            lines.append(f"{key} = [")
            lines += [f"    {_toml_string(v)}," for v in table[key]]
            lines.append("]")
    for record, note in commented:
        lines += ["", f"# Rule {record['id']}: add at least one sample token to 'examples', then uncomment."]
        if note:
            lines.append(f"# Note: {_toml_comment(note)}.")
        body = ["[[tool.check-secrets.rules]]"]
        for key in ("id", "name", "description", "remediation", "pattern"):
            body.append(f"{key} = {_toml_string(record[key])}")
        body.append("keywords = [" + ", ".join(_toml_string(k) for k in record["keywords"]) + "]")
        if "min_entropy" in record:
            body += [f"min_entropy = {record['min_entropy']}", 'filters = ["low-entropy"]']
        body.append("examples = []")
        lines += ["# " + b for b in body]
    return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    if "'" not in value and value.isprintable() and "\n" not in value:
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


def _toml_comment(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _load_toml(path: Path) -> dict[str, Any]:
    raw = _read(path)
    try:
        return tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError:
        raise MigrationError(f"{_shown(path)}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise MigrationError(f"{_shown(path)}: not a gitleaks configuration: invalid TOML ({exc})") from None
    except RecursionError:
        raise MigrationError(f"{_shown(path)}: not a gitleaks configuration: nested too deeply") from None


def _read(path: Path) -> bytes:
    from .._safe_read import read_regular_file

    try:
        data = read_regular_file(path)
    except FileNotFoundError:
        raise MigrationError(f"{_shown(path)}: no such file") from None
    except OSError as exc:
        raise MigrationError(f"{_shown(path)}: cannot read: {exc.strerror or exc}") from None
    if len(data) > _MAX_PEER_FILE:
        raise MigrationError(f"{_shown(path)}: larger than {_MAX_PEER_FILE // (1024 * 1024)} MiB")
    return data


def _shown(path: Path) -> str:
    from ._config import printable

    return printable(str(path))


# ------------------------------------------------------------------------------------------ detect-secrets


@dataclass(frozen=True)
class DetectSecretsBaseline:
    """What a detect-secrets baseline decided, per file: SHA-1 digests of accepted values and of values
    audited as real secrets, plus the filters it used that have no direct counterpart."""

    accepted: Mapping[str, frozenset[str]]
    confirmed: Mapping[str, frozenset[str]]
    entries: int
    filters: tuple[tuple[str, tuple[str, ...]], ...]  # (filter name, its patterns)


_SHA1 = re.compile(r"[0-9a-f]{40}")


def read_detect_secrets_baseline(path: Path) -> DetectSecretsBaseline:
    """Parse a detect-secrets baseline; a one-line :class:`MigrationError` for anything else."""
    raw = _read(path)
    try:
        data = json.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise MigrationError(f"{_shown(path)}: not a detect-secrets baseline: not a JSON document") from None
    if not is_detect_secrets_baseline(data):
        raise MigrationError(f"{_shown(path)}: not a detect-secrets baseline (no 'results' table of files)")
    accepted: dict[str, set[str]] = {}
    confirmed: dict[str, set[str]] = {}
    entries = 0
    for filename, items in data["results"].items():
        if not isinstance(items, list):
            raise MigrationError(f"{_shown(path)}: results for a file must be a list")
        for item in items:
            digest = item.get("hashed_secret") if isinstance(item, Mapping) else None
            if not isinstance(digest, str) or not _SHA1.fullmatch(digest):
                raise MigrationError(f"{_shown(path)}: an entry has no SHA-1 'hashed_secret'")
            entries += 1
            target = confirmed if item.get("is_secret") is True else accepted
            target.setdefault(filename.replace("\\", "/").removeprefix("./"), set()).add(digest)
    filters = []
    for f in data.get("filters_used", []) if isinstance(data.get("filters_used"), list) else []:
        name = f.get("path") if isinstance(f, Mapping) else None
        short = name.rsplit(".", 1)[-1] if isinstance(name, str) else ""
        if short in {"should_exclude_file", "should_exclude_line", "should_exclude_secret"}:
            pattern = f.get("pattern") if isinstance(f, Mapping) else None
            patterns = [pattern] if isinstance(pattern, str) else _strings(pattern)
            filters.append((short, tuple(patterns)))
    return DetectSecretsBaseline(
        {k: frozenset(v) for k, v in accepted.items()},
        {k: frozenset(v) for k, v in confirmed.items()},
        entries,
        tuple(filters),
    )


def is_detect_secrets_baseline(data: object) -> bool:
    """Whether parsed JSON has the shape of a detect-secrets baseline."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("results"), dict)
        and ("plugins_used" in data or "generated_at" in data or "version" in data)
    )


def _sha1_forms(secret: str) -> set[str]:
    forms = {secret, secret.strip("'\""), secret.strip()}
    return {hashlib.sha1(f.encode("utf-8"), usedforsecurity=False).hexdigest() for f in forms if f}


def carry_decisions(
    findings: Sequence[Finding], baseline: DetectSecretsBaseline
) -> tuple[list[Finding], int, int]:
    """The findings the detect-secrets baseline accepted, the number of its accepted entries that matched none
    of ``findings``, and the number of findings audited there as real secrets (not carried)."""
    kept: list[Finding] = []
    matched: set[tuple[str, str]] = set()
    confirmed = 0
    for finding in findings:
        if not finding.secret:
            continue
        forms = _sha1_forms(finding.secret)
        hit = forms & baseline.accepted.get(finding.path, frozenset())
        if hit:
            kept.append(finding)
            matched.update((finding.path, h) for h in hit)
        elif forms & baseline.confirmed.get(finding.path, frozenset()):
            confirmed += 1
    total_accepted = sum(len(v) for v in baseline.accepted.values())
    return kept, total_accepted - len(matched), confirmed


# ------------------------------------------------------------------------------------- peer files in a scan

_PEER_BASELINE_LINE = re.compile(r'^\s*"hashed_secret"\s*:\s*"[0-9a-f]{40}"\s*,?\s*$')


def drop_peer_file_data(text: str, findings: list[Finding]) -> list[Finding]:
    """``findings`` without those on the ``hashed_secret`` lines of a detect-secrets baseline (SHA-1
    digests of values, not values). Only a document that parses as such a baseline qualifies, and only a
    finding whose value is that line's 40-hex digest is dropped: a real token elsewhere in the file counts."""
    if '"hashed_secret"' not in text:
        return findings
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return findings
    if not is_detect_secrets_baseline(data):
        return findings
    lines = text.split("\n")
    return [
        f
        for f in findings
        if not (
            1 <= f.line <= len(lines)
            and _SHA1.fullmatch(f.secret)
            and _PEER_BASELINE_LINE.match(lines[f.line - 1])
        )
    ]

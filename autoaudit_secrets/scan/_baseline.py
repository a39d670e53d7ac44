"""Baselines: accepted findings that later scans do not report again.

File format (JSON, UTF-8, written atomically), version 2::

    {
      "format": "check-secrets-baseline",
      "version": 2,
      "hash": "hmac-sha256(key, fingerprint)",
      "key": "<64 hex digits: this baseline's random HMAC key>",
      "findings": [
        {"hash": "<64 hex digits>", "rule": "aws-access-key-id", "path": "config/settings.py", "line": 12}
      ]
    }

An entry matches a finding when ``HMAC-SHA256(key, fingerprint(finding))`` equals its ``hash``; the
fingerprint (see :mod:`._fingerprint`) depends on rule id, path and secret value but not on the line, so a
baselined secret stays baselined when code moves. ``rule``, ``path`` and ``line`` are for humans reviewing
the file and are not used for matching. There is no plaintext and no preview in the file.

A finding in a git commit or tag message (``check-secrets git``) has no file: its entry has ``"path": ""``
and ``"git_message": "commit <sha>"`` (or ``"tag <name>"``), for humans too; its fingerprint stands for "the
commit messages" (or "the tag messages") instead of a path, so the entry keeps matching after a rebase.

Version 1 is the same format over fingerprint scheme v1 (scrypt for every value, see
:func:`~._fingerprint.legacy_fingerprint`): such a baseline keeps working — its findings are matched with
the v1 fingerprint, at v1's cost — and ``baseline create`` writes version 2.

Why a random per-baseline key on top of the fingerprint: the key is stored in the file and is not a secret,
so it does not make guessing harder -- that is the job of the memory-hard fingerprint. It makes baseline
entries unlinkable: they cannot be matched against the fingerprints of a published JSON/SARIF report, nor
against another baseline of another repository holding the same secret.
"""

from __future__ import annotations

import json
import os
import re
import secrets as _secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .._atomic import atomic_write_text
from .._errors import AutoauditSecretsError, ConfigError
from ._fingerprint import FingerprintCache, keyed_hash
from ._model import Finding

__all__ = [
    "BASELINE_FORMAT",
    "BASELINE_VERSION",
    "Baseline",
    "BaselineEntry",
    "BaselineUpdate",
    "create_baseline",
    "load_baseline",
    "parse_baseline",
    "update_baseline",
    "write_baseline",
]

BASELINE_FORMAT = "check-secrets-baseline"
BASELINE_VERSION = 2
_READABLE_VERSIONS = (1, 2)
_HASH_NAME = "hmac-sha256(key, fingerprint)"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted finding: its keyed hash, plus rule, path and line for human readers."""

    hash: str
    rule: str
    path: str
    line: int
    git_message: str = ""  # a finding in a git message: "commit <sha>" or "tag <name>"


@dataclass(frozen=True, slots=True)
class Baseline:
    """A loaded or freshly created baseline. ``key`` is the per-baseline HMAC key (not a secret); ``version``
    1 entries hash fingerprint scheme v1, version 2 entries the current scheme."""

    key: bytes
    entries: tuple[BaselineEntry, ...]
    version: int = BASELINE_VERSION

    def __repr__(self) -> str:
        return f"Baseline(entries={len(self.entries)})"

    def hashes(self) -> frozenset[str]:
        return frozenset(e.hash for e in self.entries)

    def split(
        self, findings: Sequence[Finding], cache: FingerprintCache
    ) -> tuple[list[Finding], list[Finding]]:
        """Return ``(new, baselined)``: the findings this baseline does not cover, and those it does."""
        known = self.hashes()
        legacy = self.version == 1
        cache.prepare(findings, legacy=legacy)
        new: list[Finding] = []
        old: list[Finding] = []
        for finding in findings:
            digest = keyed_hash(self.key, cache.get(finding, legacy=legacy))
            (old if digest in known else new).append(finding)
        return new, old

    def to_json(self) -> str:
        """The file content (stable key order, one entry per line block, trailing newline)."""
        document = {
            "format": BASELINE_FORMAT,
            "version": self.version,
            "hash": _HASH_NAME,
            "key": self.key.hex(),
            "findings": [_entry_to_dict(e) for e in self.entries],
        }
        from .report import dump_json  # valid UTF-8 even for a path that is not

        return dump_json(document)


def _entry_to_dict(entry: BaselineEntry) -> dict[str, object]:
    item: dict[str, object] = {"hash": entry.hash, "rule": entry.rule, "path": entry.path, "line": entry.line}
    if entry.git_message:
        item["git_message"] = entry.git_message
    return item


def _message_label(finding: Finding) -> str:
    origin = finding.git_message
    if origin is None:
        return ""
    return f"tag {origin.tag or origin.sha}" if origin.kind == "tag" else f"commit {origin.sha}"


def create_baseline(
    findings: Iterable[Finding], cache: FingerprintCache, *, key: bytes | None = None
) -> Baseline:
    """A new baseline accepting ``findings``, under a fresh random key (or ``key``, for tests)."""
    items = list(findings)
    key = key if key is not None else _secrets.token_bytes(32)
    cache.prepare(items)
    return Baseline(key, _entries(key, items, cache))


def _entries(key: bytes, findings: Sequence[Finding], cache: FingerprintCache) -> tuple[BaselineEntry, ...]:
    """One entry per distinct keyed fingerprint of ``findings``, in the order of their places."""
    seen: set[str] = set()
    entries: list[BaselineEntry] = []
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule_id)):
        digest = keyed_hash(key, cache.get(finding))
        if digest in seen:
            continue
        seen.add(digest)
        entries.append(
            BaselineEntry(digest, finding.rule_id, finding.path, finding.line, _message_label(finding))
        )
    return tuple(entries)


@dataclass(frozen=True, slots=True)
class BaselineUpdate:
    """What :func:`update_baseline` did: entries kept (still found), removed (no longer found), accepted (new
    findings taken in), and the new findings left out (counted once per entry they would make)."""

    baseline: Baseline
    kept: int
    removed: int
    accepted: int
    not_accepted: int


def update_baseline(
    old: Baseline,
    findings: Sequence[Finding],
    cache: FingerprintCache,
    *,
    accept: Callable[[Finding], bool] = lambda _: False,
) -> BaselineUpdate:
    """``old`` brought up to date with a scan's ``findings`` (of everything the baseline covers): an entry
    that a finding still matches is kept (with that finding's rule, path and line for readers), an entry that
    none matches is removed — so that the secret it accepted is reported again should it come back. A new
    finding is added when ``accept`` says so.

    The key stays (entries keep their hashes); a version 1 baseline becomes version 2 (its kept entries are
    hashed again over the current fingerprint)."""
    legacy = old.version == 1
    known = old.hashes()
    cache.prepare(findings)
    if legacy:
        cache.prepare(findings, legacy=True)
    matched: set[str] = set()
    keep: list[Finding] = []
    take: list[Finding] = []
    left: list[Finding] = []
    for finding in findings:
        digest = keyed_hash(old.key, cache.get(finding, legacy=legacy))
        if digest in known:
            matched.add(digest)
            keep.append(finding)
        elif accept(finding):
            take.append(finding)
        else:
            left.append(finding)
    kept = _entries(old.key, keep, cache)
    kept_hashes = {e.hash for e in kept}
    accepted = tuple(e for e in _entries(old.key, take, cache) if e.hash not in kept_hashes)
    removed = sum(1 for e in old.entries if e.hash not in matched)
    # (the same secret in the same file by the same rule is one entry: accepted at one place, it is at all)
    not_accepted = len({keyed_hash(old.key, cache.get(f)) for f in left} - {e.hash for e in accepted})
    entries = sorted((*kept, *accepted), key=lambda e: (e.path, e.line, e.rule, e.git_message))
    return BaselineUpdate(Baseline(old.key, tuple(entries)), len(kept), removed, len(accepted), not_accepted)


def write_baseline(path: str | os.PathLike[str], baseline: Baseline) -> None:
    """Write ``baseline`` to ``path`` atomically (mode 0644 for a new file: it holds no secret)."""
    try:
        atomic_write_text(path, baseline.to_json(), default_mode=0o644)
    except AutoauditSecretsError as exc:
        raise ConfigError(f"baseline: {exc}") from None


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """Read and validate a baseline file; every problem is a one-line :class:`ConfigError` naming the file."""
    from ._config import printable, read_input_text

    # a name must not put escapes or newlines into the message
    return parse_baseline(read_input_text(path, "baseline"), printable(str(path)))


def parse_baseline(raw: str, where: str) -> Baseline:
    """Validate a baseline's text (from a file, or from a git revision: ``where`` is ``REV:path``, already
    printable); every problem is a one-line :class:`ConfigError` naming ``where``."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{where}: not a check-secrets baseline: invalid JSON at line {exc.lineno}"
        ) from None
    except RecursionError:
        raise ConfigError(f"{where}: not a check-secrets baseline: JSON nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise ConfigError(f"{where}: not a check-secrets baseline ({_what_it_is(data)})")
    version = data.get("version")
    if isinstance(version, bool) or version not in _READABLE_VERSIONS:
        from ._config import printable

        raise ConfigError(
            f"{where}: unsupported baseline version {printable(str(version), 20)} (this check-secrets reads "
            f"versions {', '.join(map(str, _READABLE_VERSIONS))}; recreate it with `check-secrets baseline "
            "create`)"
        )
    if data.get("hash") != _HASH_NAME:
        raise ConfigError(f"{where}: unsupported baseline hash {str(data.get('hash'))[:40]!r}")
    key_hex = data.get("key")
    if not isinstance(key_hex, str) or not _HEX64.fullmatch(key_hex):
        raise ConfigError(f'{where}: baseline "key" must be 64 lower-case hex digits')
    items = data.get("findings")
    if not isinstance(items, list):
        raise ConfigError(f'{where}: baseline "findings" must be a list')
    entries: list[BaselineEntry] = []
    for index, item in enumerate(items):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("hash"), str)
            or not _HEX64.fullmatch(item["hash"])
        ):
            raise ConfigError(f'{where}: baseline findings[{index}] needs a "hash" of 64 hex digits')
        rule, rel, line = item.get("rule", ""), item.get("path", ""), item.get("line", 0)
        message = item.get("git_message", "")
        if (
            not isinstance(rule, str)
            or not isinstance(rel, str)
            or not isinstance(line, int)
            or not isinstance(message, str)
        ):
            raise ConfigError(
                f"{where}: baseline findings[{index}]: rule/path/git_message must be strings, line an integer"
            )
        entries.append(BaselineEntry(item["hash"], rule, rel, line, message))
    return Baseline(bytes.fromhex(key_hex), tuple(entries), int(version))


def _what_it_is(data: object) -> str:
    """A short guess at what a JSON document given as a baseline is (for the error message); never quotes
    the document's values."""
    hint = "create one with `check-secrets baseline create -o FILE`"
    if isinstance(data, dict):
        if "plugins_used" in data and "results" in data:
            return f"it looks like a detect-secrets .secrets.baseline; {hint}"
        if "$schema" in data and "runs" in data:
            return f"it is a SARIF report; {hint}"
        tool = data.get("tool")
        if isinstance(tool, dict) and tool.get("name") == "check-secrets" and "findings" in data:
            return f"it is a check-secrets JSON report; {hint}"
        return f'no "format": "{BASELINE_FORMAT}"; {hint}'
    if isinstance(data, list) and data and all(isinstance(i, dict) and "RuleID" in i for i in data[:5]):
        return f"it looks like a gitleaks report; {hint}"
    kinds = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return f"JSON {kinds.get(type(data), 'null')}, not an object; {hint}"

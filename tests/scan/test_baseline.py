"""Fingerprints and baselines on hand-built findings: stable across line moves, keyed, no plaintext."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from autoaudit_secrets._errors import ConfigError
from autoaudit_secrets.scan._baseline import (
    BASELINE_FORMAT,
    BASELINE_VERSION,
    create_baseline,
    load_baseline,
    write_baseline,
)
from autoaudit_secrets.scan._fingerprint import (
    FAST_HASH_MIN_BITS,
    FingerprintCache,
    estimated_bits,
    fingerprint,
    keyed_hash,
    legacy_fingerprint,
)
from autoaudit_secrets.scan._model import Finding, Severity
from tests.conftest import assert_no_leak

# Built at run time so the repository's own scan does not flag this file.
TOKEN = "tok" + "_" + "Zq7Lm2Xv9Pw4Rt8Ks1Bn6Hd3"
PASSWORD = "hunter" + "2"  # a low-entropy human password: must not be recoverable from any output


def finding(
    secret: str = TOKEN, *, rule: str = "acme-token", path: str = "app/settings.py", line: int = 3
) -> Finding:
    return Finding(
        rule_id=rule,
        severity=Severity.ERROR,
        path=path,
        line=line,
        column=9,
        end_line=line,
        end_column=9 + len(secret),
        message="ACME token",
        preview="tok_…****",
        secret=secret,
    )


def test_fingerprint_ignores_position_but_not_rule_path_or_secret() -> None:
    base = fingerprint("acme-token", "a.py", TOKEN)
    assert len(base) == 32 and all(c in "0123456789abcdef" for c in base)
    assert fingerprint("acme-token", "a.py", TOKEN) == base
    others = {
        fingerprint("other-rule", "a.py", TOKEN),
        fingerprint("acme-token", "b.py", TOKEN),
        fingerprint("acme-token", "a.py", TOKEN + "x"),
    }
    assert base not in others and len(others) == 3
    cache = FingerprintCache(jobs=2)
    moved = replace(finding(), line=40, column=1, end_line=40, end_column=30)
    assert cache.get(finding()) == cache.get(moved)


def test_fingerprint_is_the_documented_salted_scrypt_not_a_plain_hash() -> None:
    # The scheme documented in docs/check-secrets.md, recomputed independently here.
    salt = b"check-secrets/fp1\x00" + b"password-assignment" + b"\x00" + b"config/db.yml"
    expected = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**13, r=8, p=1, dklen=16).hex()
    actual = fingerprint("password-assignment", "config/db.yml", PASSWORD)
    assert actual == expected
    fast_hashes = {hashlib.new(n, PASSWORD.encode()).hexdigest()[:32] for n in ("md5", "sha1", "sha256")}
    assert actual not in fast_hashes


def test_cache_prepares_in_parallel_and_matches_direct_computation() -> None:
    items = [finding(TOKEN + str(i), path=f"f{i}.py") for i in range(6)]
    cache = FingerprintCache(jobs=3)
    cache.prepare(items)
    assert [cache.get(f) for f in items] == [fingerprint(f.rule_id, f.path, f.secret) for f in items]


def test_baseline_file_holds_keyed_hashes_only(tmp_path: Path) -> None:
    items = [finding(), finding(PASSWORD, rule="password-assignment", path="config/db.yml", line=7)]
    baseline = create_baseline(items, FingerprintCache())
    target = tmp_path / "baseline.json"
    write_baseline(target, baseline)
    text = target.read_text(encoding="utf-8")
    assert_no_leak(text, [TOKEN, PASSWORD, "tok_…"], where="baseline file")
    data = json.loads(text)
    assert data["format"] == BASELINE_FORMAT and data["version"] == BASELINE_VERSION
    assert sorted(data["findings"][0]) == ["hash", "line", "path", "rule"]
    assert {(e["rule"], e["path"], e["line"]) for e in data["findings"]} == {
        ("acme-token", "app/settings.py", 3),
        ("password-assignment", "config/db.yml", 7),
    }
    # Entries are HMACs under the file's own key, not the published fingerprints.
    key = bytes.fromhex(data["key"])
    published = {fingerprint(f.rule_id, f.path, f.secret) for f in items}
    assert {e["hash"] for e in data["findings"]} == {keyed_hash(key, fp) for fp in published}
    assert not published & {e["hash"][:32] for e in data["findings"]}
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert not [p.name for p in tmp_path.iterdir() if p.name != "baseline.json"]  # no temp file left


def test_two_baselines_of_the_same_findings_are_unlinkable() -> None:
    first = create_baseline([finding()], FingerprintCache())
    second = create_baseline([finding()], FingerprintCache())
    assert first.key != second.key
    assert first.hashes().isdisjoint(second.hashes())


def test_loaded_baseline_accepts_moved_secret_and_reports_new_ones(tmp_path: Path) -> None:
    target = tmp_path / "b.json"
    write_baseline(target, create_baseline([finding()], FingerprintCache()))
    baseline = load_baseline(target)
    moved = replace(finding(), line=120, column=3)
    new_secret = finding(TOKEN[:-1] + "Q")
    same_secret_other_file = finding(path="app/other.py")
    other_rule = finding(rule="generic-token")
    new, old = baseline.split([moved, new_secret, same_secret_other_file, other_rule], FingerprintCache())
    assert old == [moved]
    assert new == [new_secret, same_secret_other_file, other_rule]
    assert repr(baseline) == "Baseline(entries=1)"


def test_duplicate_findings_make_one_entry() -> None:
    baseline = create_baseline([finding(), replace(finding(), line=9)], FingerprintCache())
    assert len(baseline.entries) == 1


def _write(tmp_path: Path, content: str) -> Path:
    target = tmp_path / "b.json"
    target.write_text(content, encoding="utf-8")
    return target


GOOD_KEY = "ab" * 32


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "invalid JSON"),
        ("[]", "not a check-secrets baseline"),
        (json.dumps({"format": BASELINE_FORMAT, "version": 99}), "unsupported baseline version 99"),
        (
            json.dumps({"format": BASELINE_FORMAT, "version": "\n\x1b[2J"}),
            "unsupported baseline version \\n\\x1b[2J",
        ),
        (
            json.dumps(
                {"format": BASELINE_FORMAT, "version": 1, "hash": "sha1", "key": GOOD_KEY, "findings": []}
            ),
            "unsupported baseline hash",
        ),
        (
            json.dumps(
                {
                    "format": BASELINE_FORMAT,
                    "version": 1,
                    "hash": "hmac-sha256(key, fingerprint)",
                    "key": "zz",
                }
            ),
            '"key" must be 64',
        ),
        (
            json.dumps(
                {
                    "format": BASELINE_FORMAT,
                    "version": 1,
                    "hash": "hmac-sha256(key, fingerprint)",
                    "key": GOOD_KEY,
                    "findings": [{"hash": "short"}],
                }
            ),
            "findings[0]",
        ),
    ],
    ids=["bad-json", "not-object", "version", "version-with-escapes", "hash-name", "key", "entry-hash"],
)
def test_bad_baseline_files_are_one_line_config_errors(tmp_path: Path, content: str, expected: str) -> None:
    target = _write(tmp_path, content)
    with pytest.raises(ConfigError) as info:
        load_baseline(target)
    message = str(info.value)
    assert expected in message
    assert str(target) in message
    assert "\n" not in message


def test_missing_baseline_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="baseline file not found"):
        load_baseline(tmp_path / "nope.json")


def test_high_entropy_values_get_the_documented_fast_keyed_hash() -> None:
    import hmac

    key = b"check-secrets/fp2\x00" + b"acme-token" + b"\x00" + b"a.py"
    expected = hmac.new(key, TOKEN.encode(), hashlib.sha256).digest()[:16].hex()
    assert fingerprint("acme-token", "a.py", TOKEN) == expected
    assert estimated_bits(TOKEN) >= FAST_HASH_MIN_BITS > estimated_bits(PASSWORD)


@pytest.mark.parametrize(
    "value",
    [
        "correcthorsebatterystaple",  # one character class: a passphrase, not a token
        "Summer2024!",  # a human password
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaAAAAA1",  # long, but little entropy per character
    ],
)
def test_low_entropy_values_keep_the_slow_scrypt(value: str) -> None:
    assert estimated_bits(value) < FAST_HASH_MIN_BITS
    assert fingerprint("r", "p", value) == legacy_fingerprint("r", "p", value)


def test_new_baselines_are_version_2_and_version_1_files_still_load(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    write_baseline(path, create_baseline([finding()], FingerprintCache(jobs=1)))
    assert json.loads(path.read_text())["version"] == 2 == load_baseline(path).version
    data = json.loads(path.read_text())
    data["version"] = 1
    path.write_text(json.dumps(data))
    assert load_baseline(path).version == 1

"""``check-secrets migrate gitleaks|detect-secrets`` end to end, through the real console script.

Secret values are generated at run time; no output may contain them."""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from pathlib import Path

from tests.conftest import assert_no_leak, run_cli


def _value() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        v = "".join(secrets.choice(alphabet) for _ in range(24))
        if any(c.isdigit() for c in v) and any(c.isupper() for c in v) and any(c.islower() for c in v):
            return v


def _sha1(value: str) -> str:
    return hashlib.sha1(value.encode()).hexdigest()


def _findings(root: Path, *args: str) -> tuple[int, list[dict[str, object]], str]:
    result = run_cli("check-secrets", "scan", "--format", "json", *args, ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)["findings"], result.output


GITLEAKS = """
title = "ours"
[extend]
useDefault = true

[[rules]]
id = "internal-token"
description = "Internal token"
regex = '''(?i)internal[_-]?token\\s*=\\s*"(itk_[a-z0-9]{24})"'''
secretGroup = 1
keywords = ["itk_"]

[allowlist]
paths = ['''(^|/)fixtures/''']
stopwords = ["notasecret"]
"""


def test_gitleaks_config_becomes_a_working_table(tmp_path: Path) -> None:
    kept, allowed = _value(), _value()
    (tmp_path / ".gitleaks.toml").write_text(GITLEAKS)
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "a.py").write_text(f'API_SECRET = "{allowed}"\n')
    (tmp_path / "app.py").write_text(f'API_SECRET = "{kept}"\n')

    _, before, _ = _findings(tmp_path)
    assert {f["path"] for f in before} == {"app.py", "fixtures/a.py"}  # the peer's file itself is clean

    result = run_cli("check-secrets", "migrate", "gitleaks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "carried: [allowlist] path regex -> allow-paths fixtures/" in result.stderr
    assert "internal-token" in result.stderr
    assert (tmp_path / ".check-secrets.toml").is_file()

    rc, after, output = _findings(tmp_path)
    assert rc == 1 and {f["path"] for f in after} == {"app.py"}
    assert_no_leak(output + result.output, [kept, allowed])


def test_gitleaks_migration_never_overwrites_and_prints_to_stdout(tmp_path: Path) -> None:
    (tmp_path / ".gitleaks.toml").write_text(GITLEAKS)
    (tmp_path / ".check-secrets.toml").write_text("# mine\n")
    refused = run_cli("check-secrets", "migrate", "gitleaks", cwd=tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert (tmp_path / ".check-secrets.toml").read_text() == "# mine\n"
    printed = run_cli("check-secrets", "migrate", "gitleaks", "-o", "-", cwd=tmp_path)
    assert printed.returncode == 0 and printed.stdout.startswith("# Migrated from .gitleaks.toml")
    assert "[tool.check-secrets]" in printed.stdout


def test_gitleaks_missing_or_broken_is_one_line_exit_2(tmp_path: Path) -> None:
    missing = run_cli("check-secrets", "migrate", "gitleaks", cwd=tmp_path)
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    (tmp_path / "g.toml").write_text("[[rules]\n")
    broken = run_cli("check-secrets", "migrate", "gitleaks", "g.toml", cwd=tmp_path)
    assert broken.returncode == 2 and len(broken.stderr.strip().splitlines()) == 1
    assert "Traceback" not in broken.output


def test_detect_secrets_baseline_decisions_carry_over(tmp_path: Path) -> None:
    accepted, audited_real, new = _value(), _value(), _value()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text(
        f'API_SECRET = "{accepted}"\nDB_PASSWORD = "{audited_real}"\n'
    )
    (tmp_path / "app" / "other.py").write_text(f'AUTH_TOKEN = "{new}"\n')
    (tmp_path / ".secrets.baseline").write_text(
        json.dumps(
            {
                "version": "1.5.0",
                "plugins_used": [{"name": "KeywordDetector"}],
                "filters_used": [],
                "results": {
                    "app/settings.py": [
                        {
                            "type": "Secret Keyword",
                            "filename": "app/settings.py",
                            "hashed_secret": _sha1(accepted),
                            "is_verified": False,
                            "line_number": 1,
                        },
                        {
                            "type": "Secret Keyword",
                            "filename": "app/settings.py",
                            "hashed_secret": _sha1(audited_real),
                            "is_verified": False,
                            "line_number": 2,
                            "is_secret": True,
                        },
                    ]
                },
                "generated_at": "2025-01-01T00:00:00Z",
            },
            indent=2,
        )
    )
    _, before, _ = _findings(tmp_path)
    assert {(f["path"], f["line"]) for f in before} == {
        ("app/settings.py", 1),
        ("app/settings.py", 2),
        ("app/other.py", 1),
    }

    result = run_cli("check-secrets", "migrate", "detect-secrets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 accepted finding of 2 entries" in result.stderr
    assert "audited as real secrets" in result.stderr

    rc, after, output = _findings(tmp_path, "--baseline", ".check-secrets-baseline.json")
    assert rc == 1
    assert {(f["path"], f["line"]) for f in after} == {("app/settings.py", 2), ("app/other.py", 1)}
    baseline_text = (tmp_path / ".check-secrets-baseline.json").read_text()
    assert_no_leak(output + result.output + baseline_text, [accepted, audited_real, new])


def test_a_detect_secrets_baseline_in_the_tree_is_not_itself_a_secret(tmp_path: Path) -> None:
    token = "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
    data = {
        "version": "1.5.0",
        "plugins_used": [],
        "results": {
            "a.py": [{"type": "Secret Keyword", "hashed_secret": _sha1(_value()), "line_number": 1}],
            "b.py": [{"type": "Hex High Entropy String", "hashed_secret": _sha1(_value()), "line_number": 3}],
        },
        "generated_at": "2025-01-01T00:00:00Z",
    }
    (tmp_path / ".secrets.baseline").write_text(json.dumps(data, indent=2))
    rc, findings, _ = _findings(tmp_path)
    assert rc == 0 and findings == []

    data["note"] = token  # a real token in the same file is still found
    (tmp_path / ".secrets.baseline").write_text(json.dumps(data, indent=2))
    rc, findings, output = _findings(tmp_path)
    assert rc == 1 and [f["rule"] for f in findings] == ["github-pat-classic"]
    assert_no_leak(output, [token])

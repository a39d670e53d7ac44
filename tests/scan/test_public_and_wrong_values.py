"""Two more kinds of value FastAPI's history reported as errors: a project key (``sonar.projectKey``, a
PostHog or Jira project key) names a project and is public, and a test's deliberately wrong credential says
so in its words (``"X-API-Key": "wrongkey"``, ``Bearer wrong_refresh_token_cookie``, ``invalid-token``).
Real keys and tokens next to them, and chosen passwords that merely start with such a word, stay reported.
Values are random, made at run time; results name rules and lines only."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from tests.conftest import assert_no_leak, run_cli

WRONG = ["wrongkey", "wrong_refresh_token_cookie", "invalid-token", "badpassword", "Expired_Token"]


def _random(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def _scan(root: Path) -> list[tuple[str, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)


def test_project_keys_and_wrong_test_credentials_are_quiet(tmp_path: Path) -> None:
    (tmp_path / "sonar-project.properties").write_text(
        f"sonar.projectKey=acme_fastapi_{_random(20)}\nsonar.organization=acme\n", encoding="utf-8"
    )
    (tmp_path / ".env").write_text(f"PROJECT_KEY=PRJ{_random(12)}\n", encoding="utf-8")
    lines = [f'client = TestClient(app, cookies={{"X-API-KEY": "{value}"}})' for value in WRONG]
    lines += [f'headers = {{"Authorization": "Bearer {value}"}}' for value in WRONG if len(value) >= 20]
    lines += [f'api_key = "{value}"' for value in WRONG]
    (tmp_path / "test_security.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _scan(tmp_path) == []


def test_real_keys_tokens_and_chosen_passwords_stay_reported(tmp_path: Path) -> None:
    values = [_random(24), _random(32), _random(28), "Wrong-Way-Home!" + _random(3), "wrong" + _random(10)]
    lines = [
        f'client = TestClient(app, cookies={{"X-API-KEY": "{values[0]}"}})',
        f'headers = {{"Authorization": "Bearer {values[1]}"}}',
        f'PROJECT_API_KEY = "{values[2]}"',
        f'ADMIN_PASSWORD = "{values[3]}"',
        f'DB_PASSWORD = "{values[4]}"',
    ]
    (tmp_path / "conftest.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [line for _, line, _ in _scan(tmp_path)] == [1, 2, 3, 4, 5]
    result = run_cli("check-secrets", "scan", ".", "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 1
    assert_no_leak(result.output, values)

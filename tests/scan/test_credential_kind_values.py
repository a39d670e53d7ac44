"""A value that names a kind of credential (``pypi-token``, ``github_token``, ``slack-bot-token``,
``npm-api-key``) stands in for one: FastAPI's history vendored rsa's METADATA, whose ``.pypirc`` example
holds ``password = pypi-token`` (a generic-password-config error). Real tokens in the same places, and
chosen passwords that merely end in such a word, stay reported. Random values are made at run time; results
name lines only."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from tests.conftest import assert_no_leak, run_cli

KINDS = ["pypi-token", "github_token", "slack-bot-token", "npm-api-key", "gitlab_deploy_token"]


def _random(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def _pypirc(password: str) -> str:
    return (
        "[distutils]\nindex-servers =\n    rsa\n\n[rsa]\n  repository = https://upload.pypi.org/legacy/\n"
        f"  username = __token__\n  password = {password}\n"
    )


def _scan(root: Path) -> list[tuple[str, int]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line) for f in result.findings)


def _write(root: Path, passwords: list[str], values: list[str]) -> None:
    (root / "METADATA").write_text(_pypirc(passwords[0]), encoding="utf-8")
    lines = [f'PYPI_PASSWORD = "{passwords[1]}"', f'DEPLOY_PASSWORD = "{passwords[2]}"']
    lines += [f'api_token = "{value}"' for value in values]
    (root / "publish.py").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_credential_kind_as_the_value_is_quiet(tmp_path: Path) -> None:
    _write(tmp_path, KINDS[:3], KINDS[2:])
    assert _scan(tmp_path) == []


def test_real_tokens_and_chosen_passwords_stay_reported(tmp_path: Path) -> None:
    passwords = ["pypi-" + _random(40), "Castle-Key", "summer-token-" + _random(4)]
    values = [_random(24), _random(32), f"slack-bot-token-{_random(8)}4{_random(8)}2{_random(8)}"]
    _write(tmp_path, passwords, values)
    assert _scan(tmp_path) == [("METADATA", 8)] + [("publish.py", n) for n in range(1, 6)]
    result = run_cli("check-secrets", "scan", ".", "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 1
    assert_no_leak(result.output, passwords + values)


def test_a_password_kind_in_a_local_connection_uri_is_quiet_and_a_random_one_is_reported(
    tmp_path: Path,
) -> None:
    """wger-project/wger's settings: an env lookup's default URI whose password names what it is for."""
    uri = "postgres://powersync_storage:{}@db:5432/wger"
    text = f'PS_STORAGE_PG_URI = env.str("PS_STORAGE_PG_URI", "{uri.format("powersync_password")}")\n'
    (tmp_path / "settings.py").write_text(text, encoding="utf-8")
    assert _scan(tmp_path) == []
    (tmp_path / "settings.py").write_text(
        text.replace("powersync_password", _random(16) + "7"), encoding="utf-8"
    )
    assert _scan(tmp_path) == [("settings.py", 1)]

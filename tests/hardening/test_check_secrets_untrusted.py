"""A scanned repository is hostile input (issue 12): its configuration runs no code, its regular expressions
cannot hang the scanner, and what cannot be read is never reported as clean.

Every test drives the real ``check-secrets`` console script in a subprocess (with a timeout, so a hang is a
failure, not a stuck suite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CliResult, git, run_cli

_EVIL_MODULE = (
    "import pathlib\n"
    "pathlib.Path(__file__).with_name('IMPORTED').write_text('the scanned tree ran code')\n"
    "from pydantic import SecretStr\n"
    "from autoaudit_secrets.settings import SecretSettings\n\n\n"
    "class Settings(SecretSettings):\n    billing_handle: SecretStr\n"
)


def _cs(cwd: Path, *args: str, timeout: float = 60) -> CliResult:
    return run_cli("check-secrets", *args, cwd=cwd, env={"HOME": str(cwd)}, timeout=timeout)


# -- 1. configuration from the scanned tree never imports code -----------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["scan"],
        ["scan", "--format", "sarif"],
        ["baseline", "create", "-o", "base.json"],
        ["git", "--staged"],
        ["git", "--all"],
    ],
)
def test_schema_in_the_scanned_pyproject_is_not_imported(git_repo: Path, command: list[str]) -> None:
    (git_repo / "evil.py").write_text(_EVIL_MODULE)
    (git_repo / "pyproject.toml").write_text('[tool.check-secrets]\nschema = "evil:Settings"\n')
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "pull request")
    (git_repo / "new.txt").write_text("hello\n")
    git(git_repo, "add", "new.txt")
    result = _cs(git_repo, *command)
    assert result.returncode == 0, result.output
    assert not (git_repo / "IMPORTED").exists()
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "schema" in warnings[0] and "--trust-config" in warnings[0]


def test_trust_config_imports_the_configured_schema(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text(_EVIL_MODULE)
    (tmp_path / ".check-secrets.toml").write_text('schema = "evil:Settings"\n')
    (tmp_path / ".env").write_text("BILLING_HANDLE=Xk29q7Lw0pZr3m8T\n")
    result = _cs(tmp_path, "scan", "--trust-config")
    assert (tmp_path / "IMPORTED").exists()
    assert result.returncode == 1 and ".env:1" in result.stdout
    assert "warning" not in result.stderr


def test_schema_on_the_command_line_is_imported_without_a_warning(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text(_EVIL_MODULE)
    (tmp_path / ".env").write_text("BILLING_HANDLE=Xk29q7Lw0pZr3m8T\n")
    result = _cs(tmp_path, "scan", "--schema", "evil:Settings")
    assert (tmp_path / "IMPORTED").exists()
    assert result.returncode == 1 and result.stderr == ""


# -- 5. previews show nothing of a password or a generic secret ----------------------------------------------


def _rand(n: int) -> str:
    import secrets
    import string

    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def _password_tree(root: Path) -> list[str]:
    """Human-style passwords (no token format) in every place an analyzer reports, and a token without a
    provider prefix (aws-secret-access-key: medium confidence). None may show a character."""
    pw = {k: "Pw" + _rand(14) for k in ("env", "url", "compose", "compose_url", "dotenv", "yaml", "arg")}
    aws_secret = _rand(40)
    (root / "Dockerfile").write_text(
        "FROM python:3.12\n"
        f"ENV DB_PASSWORD={pw['env']}\n"
        f"ENV DATABASE_URL=postgres://app:{pw['url']}@db.internal/app\n"
        f"ARG ADMIN_PASSWORD={pw['arg']}\n"
        "COPY . /app\n"
    )
    (root / "docker-compose.yml").write_text(
        "services:\n  db:\n    image: postgres\n    environment:\n"
        f"      POSTGRES_PASSWORD: {pw['compose']}\n"
        f"      DATABASE_URL: postgres://app:{pw['compose_url']}@db/app\n"
    )
    (root / ".env").write_text(f"DB_PASSWORD={pw['dotenv']}\n")
    (root / "conf").mkdir()
    (root / "conf" / "app.yaml").write_text(f"db:\n  password: {pw['yaml']}\n")
    (root / "conf" / "creds.ini").write_text(f'aws_secret_access_key = "{aws_secret}"\n')
    return [*pw.values(), aws_secret]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_character_of_a_password_or_generic_secret_in_any_preview(tmp_path: Path, fmt: str) -> None:
    from tests.conftest import assert_no_leak

    values = _password_tree(tmp_path)
    result = _cs(tmp_path, "scan", "--format", fmt)
    assert result.returncode == 1, result.stderr
    if fmt == "text":
        for place in ("Dockerfile:2", "Dockerfile:3", "compose.yml:5", "conf/app.yaml:2", "creds.ini:1"):
            assert place in result.stdout
    assert_no_leak(result.output, values, where=f"{fmt} report", prefixes=True)


def test_high_confidence_tokens_keep_their_documented_preview(tmp_path: Path) -> None:
    import json

    token = "ghp_" + _rand(36)
    (tmp_path / "app.py").write_text(f'GITHUB = "{token}"\n')
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12\nENV GITHUB_TOKEN={token}\n")
    result = _cs(tmp_path, "scan", "--format", "json")
    previews = {(f["path"], f["preview"]) for f in json.loads(result.stdout)["findings"]}
    assert previews == {("app.py", "ghp_…****"), ("Dockerfile", "ghp_…****")}

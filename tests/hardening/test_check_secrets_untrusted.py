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

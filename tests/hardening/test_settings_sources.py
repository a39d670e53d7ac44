"""A "required but not set" error, and ``autoaudit-secrets check``, say which sources were read and which
were skipped and why — CI detected by which variable, no ``.env`` in which directory, no secrets directory —
with names and paths only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr

from autoaudit_secrets.settings import InvalidSettingsError, SecretSettings, SourceNote, describe_sources
from autoaudit_secrets.settings import _base as base_module
from tests.conftest import DATA_DIR, assert_no_leak, run_cli

JWT = "jwt-" + "Hs7Qp2Wv9Lk4Zx6N"
DB_PASSWORD = "db-" + "Rt5Mc8Nj1Bq3"
CHECK = ("check", "--schema", "settings_schemas:AppSettings")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(DATA_DIR / "settings" / "settings_schemas.py", tmp_path / "settings_schemas.py")
    (tmp_path / ".env").write_text(f"JWT_SECRET={JWT}\nDB__PASSWORD='{DB_PASSWORD}'\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("marker", ["CI", "GITHUB_ACTIONS"])
def test_check_in_ci_says_the_dotenv_was_skipped_and_why(workdir: Path, marker: str) -> None:
    result = run_cli("autoaudit-secrets", *CHECK, cwd=workdir, env={marker: "true"})
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert "  JWT_SECRET: required but not set" in lines
    assert "sources:" in lines and "  read: the process environment" in lines
    assert (
        f"  skipped: .env files (CI detected: {marker} is set; pass env_file= or --env-file to read one)"
        in lines
    )
    assert_no_leak(result.output, [JWT, DB_PASSWORD], where="check output", prefixes=True)


def test_check_without_dotenv_names_the_directory_it_looked_in(workdir: Path) -> None:
    (workdir / ".env").unlink()
    result = run_cli("autoaudit-secrets", *CHECK, cwd=workdir, env={"APP_ENV": "staging"})
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert f"  skipped: .env (no .env in {workdir})" in lines
    assert f"  skipped: .env.staging (no .env.staging in {workdir})" in lines


def test_check_ok_lists_what_it_read(workdir: Path) -> None:
    result = run_cli("autoaudit-secrets", *CHECK, cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert f"  read: {workdir / '.env'}" in result.stdout.splitlines()
    assert_no_leak(result.output, [JWT, DB_PASSWORD], where="check output", prefixes=True)


def test_missing_error_of_load_lists_the_sources(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.syspath_prepend(str(workdir))
    from settings_schemas import AppSettings

    monkeypatch.chdir(workdir)
    monkeypatch.setattr(base_module, "DEFAULT_SECRETS_DIR", tmp_path / "absent")
    with pytest.raises(InvalidSettingsError) as info:
        AppSettings.load(environ={"GITLAB_CI": "true"})
    err = info.value
    assert err.sources == (
        SourceNote("the environ= mapping", True),
        SourceNote(
            ".env files", False, "CI detected: GITLAB_CI is set; pass env_file= or --env-file to read one"
        ),
        SourceNote(str(tmp_path / "absent"), False, "no such directory"),
    )
    assert str(err).splitlines()[-4:] == ["sources:", *(f"  {note}" for note in err.sources)]
    assert_no_leak(str(err), [JWT, DB_PASSWORD], where="SettingsError", prefixes=True)
    # An invalid value alone does not list them (the sources are not the question there) ...
    with pytest.raises(InvalidSettingsError) as info:
        AppSettings.load(environ={"PORT": "x"}, secrets_dir=None)
    assert not info.value.sources_shown and "sources:" not in str(info.value)
    # ... and describe_sources tells the same without loading anything.
    assert describe_sources(environ={"GITLAB_CI": "true"}, secrets_dir=None)[1:] == [
        SourceNote(
            ".env files", False, "CI detected: GITLAB_CI is set; pass env_file= or --env-file to read one"
        ),
        SourceNote("secrets directory", False, "secrets_dir=None"),
    ]


class _Token(SecretSettings):
    api_token: SecretStr
    port: int


def test_name_file_and_secrets_dir_reads_are_listed_as_sources(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(JWT, encoding="utf-8")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    with pytest.raises(InvalidSettingsError) as info:
        _Token.load(environ={"API_TOKEN_FILE": str(token_file)}, env_file=None, secrets_dir=secrets)
    notes = [str(note) for note in info.value.sources]
    assert notes == [
        "read: the environ= mapping",
        "skipped: .env files (env_file=None)",
        f"read: {token_file} (API_TOKEN_FILE)",
        f"read: {secrets} (0 files of this schema)",
    ]

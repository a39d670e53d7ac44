"""``autoaudit-secrets check`` lists, when the settings load, every file that fed a variable: a file named by
``NAME_FILE`` (Docker secrets style) and each file of the secrets directory, with the variable, as the error
of a failed load already did for ``NAME_FILE`` (paths and names only, never a value). Real subprocesses of
the CLI, real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from autoaudit_secrets.settings import SecretSettings, SourceNote
from tests.conftest import assert_no_leak, run_cli

DATABASE_PASSWORD = "db-" + "Qw7Er4Ty1Ui9"  # check-secrets: allow
API_TOKEN = "tok-" + "Zx3Cv8Bn5Ml2"  # check-secrets: allow
JWT_FROM_DIR = "jwt-" + "Dir6As2Df7Gh"  # check-secrets: allow
JWT_FROM_ENV = "jwt-" + "Env1Jk9Lp4Oi"  # check-secrets: allow
DOTENV_TOKEN = "tok-" + "Dot5Yt8Re3Wq"  # check-secrets: allow
SECRETS = [DATABASE_PASSWORD, API_TOKEN, JWT_FROM_DIR, JWT_FROM_ENV, DOTENV_TOKEN]

SCHEMA = """\
from pydantic import SecretStr

from autoaudit_secrets.settings import SecretSettings


class Settings(SecretSettings):
    database_password: SecretStr
    api_token: SecretStr
    jwt_secret: SecretStr
    port: int = 8000


class NeedsMore(Settings):
    region: str
"""
CHECK = ("check", "--schema", "file_sources_schema:Settings")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The schema, a Docker-secrets-style file for DATABASE_PASSWORD_FILE, and a secrets directory holding
    api_token and jwt_secret (each value ending in a newline, as `echo` writes it)."""
    (tmp_path / "file_sources_schema.py").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "db_password").write_text(DATABASE_PASSWORD + "\n", encoding="utf-8")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "api_token").write_text(API_TOKEN + "\n", encoding="utf-8")
    (secrets / "jwt_secret").write_text(JWT_FROM_DIR + "\n", encoding="utf-8")
    (secrets / "unrelated").write_text("not a variable of the schema\n", encoding="utf-8")
    return tmp_path


def _file_lines(output: str) -> list[str]:
    """The lines of the source list that name a file or the secrets directory (not the environment and the
    .env notes)."""
    return [
        line for line in output.splitlines() if line.startswith("  read: ") and "(" in line and "/" in line
    ]


def test_check_ok_lists_name_file_and_each_secrets_dir_file(project: Path) -> None:
    secrets = project / "secrets"
    env = {"DATABASE_PASSWORD_FILE": str(project / "db_password")}
    result = run_cli("autoaudit-secrets", *CHECK, "--secrets-dir", str(secrets), cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["ok: the settings satisfy file_sources_schema:Settings", "sources:"]
    assert _file_lines(result.stdout) == [
        f"  read: {project / 'db_password'} (DATABASE_PASSWORD_FILE)",
        f"  read: {secrets} (2 files of this schema)",
        f"  read: {secrets / 'api_token'} (API_TOKEN)",
        f"  read: {secrets / 'jwt_secret'} (JWT_SECRET)",
    ]
    assert not any("unrelated" in line for line in lines)
    assert_no_leak(result.output, SECRETS, where="check output", prefixes=True)


def test_check_ok_says_which_secrets_dir_file_the_environment_overrides(project: Path) -> None:
    secrets = project / "secrets"
    env = {"DATABASE_PASSWORD_FILE": str(project / "db_password"), "JWT_SECRET": JWT_FROM_ENV}
    result = run_cli("autoaudit-secrets", *CHECK, "--secrets-dir", str(secrets), cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"  read: {secrets / 'api_token'} (API_TOKEN)" in lines
    assert f"  read: {secrets / 'jwt_secret'} (JWT_SECRET; overridden by the process environment)" in lines
    assert_no_leak(result.output, SECRETS, where="check output", prefixes=True)


def test_check_ok_lists_a_name_file_given_in_a_dotenv(project: Path) -> None:
    token = project / "token"
    token.write_text(DOTENV_TOKEN, encoding="utf-8")
    (project / ".env").write_text(
        f"API_TOKEN_FILE={token}\nDATABASE_PASSWORD_FILE={project / 'db_password'}\n"
        f"JWT_SECRET={JWT_FROM_ENV}\n",
        encoding="utf-8",
    )
    result = run_cli("autoaudit-secrets", *CHECK, cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"  read: {project / '.env'}" in lines
    assert f"  read: {token} (API_TOKEN_FILE)" in lines
    assert f"  read: {project / 'db_password'} (DATABASE_PASSWORD_FILE)" in lines
    assert_no_leak(result.output, SECRETS, where="check output", prefixes=True)


def test_check_lists_the_same_files_whether_the_settings_load_or_not(project: Path) -> None:
    secrets = project / "secrets"
    env = {"DATABASE_PASSWORD_FILE": str(project / "db_password")}
    ok = run_cli("autoaudit-secrets", *CHECK, "--secrets-dir", str(secrets), cwd=project, env=env)
    failed = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "file_sources_schema:NeedsMore",
        "--secrets-dir",
        str(secrets),
        cwd=project,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    assert failed.returncode == 1 and "  REGION: required but not set" in failed.stderr.splitlines()
    assert _file_lines(ok.stdout) == _file_lines(failed.stderr)
    assert len(_file_lines(ok.stdout)) == 4
    for result in (ok, failed):
        assert_no_leak(result.output, SECRETS, where="check output", prefixes=True)


def test_load_with_sources_gives_the_settings_and_the_files_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(project))
    from file_sources_schema import Settings  # type: ignore[import-not-found]

    secrets = project / "secrets"
    token = project / "token"
    token.write_text(DOTENV_TOKEN, encoding="utf-8")
    dotenv = project / "local.env"
    # API_TOKEN_FILE in the .env too: the environment's API_TOKEN_FILE wins, and the .env's is noted so.
    dotenv.write_text(f"API_TOKEN_FILE={token}\n", encoding="utf-8")
    environ = {
        "DATABASE_PASSWORD_FILE": str(project / "db_password"),
        "API_TOKEN_FILE": str(project / "db_password"),
    }
    settings, notes = Settings.load_with_sources(environ=environ, env_file=dotenv, secrets_dir=secrets)
    assert settings.jwt_secret.get_secret_value() == JWT_FROM_DIR
    assert settings.api_token.get_secret_value() == DATABASE_PASSWORD  # from the environment's file
    assert notes == (
        SourceNote("the environ= mapping", True),
        SourceNote(str(dotenv), True),
        SourceNote(str(project / "db_password"), True, "DATABASE_PASSWORD_FILE"),
        SourceNote(str(project / "db_password"), True, "API_TOKEN_FILE"),
        SourceNote(str(token), True, "API_TOKEN_FILE; overridden by the environ= mapping"),
        SourceNote(str(secrets), True, "2 files of this schema"),
        SourceNote(os.path.join(secrets, "api_token"), True, "API_TOKEN; overridden by the environ= mapping"),
        SourceNote(os.path.join(secrets, "jwt_secret"), True, "JWT_SECRET"),
    )
    assert_no_leak(repr(notes) + "".join(map(str, notes)), SECRETS, where="source notes", prefixes=True)


class _Database(BaseModel):
    host: str = "localhost"
    password: SecretStr


class _Nested(SecretSettings):
    db: _Database


@pytest.mark.parametrize(
    ("environ", "overridden"),
    [
        ({"DB": '{"host": "db.internal", "password": "%s"}' % JWT_FROM_ENV}, True),  # noqa: UP031
        ({"DB": '{"host": "db.internal"}'}, False),  # the object leaves the password to the file
        ({"DB__HOST": "db.internal"}, False),  # a sibling item
    ],
    ids=["json-sets-it", "json-without-it", "sibling"],
)
def test_a_json_parent_in_a_higher_source_is_named_as_overriding_a_nested_file(
    tmp_path: Path, environ: dict[str, str], overridden: bool
) -> None:
    """``DB='{"password": ...}'`` in the environment wins over the .env's ``DB__PASSWORD_FILE``
    (pydantic-settings merges the sources item by item): the file's note says so only when the object
    sets that item, which the loaded value confirms."""
    password = tmp_path / "db_password"
    password.write_text(DATABASE_PASSWORD + "\n", encoding="utf-8")
    dotenv = tmp_path / "local.env"
    dotenv.write_text(f"DB__PASSWORD_FILE={password}\n", encoding="utf-8")
    settings, notes = _Nested.load_with_sources(environ=environ, env_file=dotenv, secrets_dir=None)
    expected = JWT_FROM_ENV if overridden else DATABASE_PASSWORD
    assert settings.db.password.get_secret_value() == expected, "pydantic-settings merged otherwise"
    note = next(n for n in notes if n.source == str(password))
    suffix = "; overridden by the environ= mapping" if overridden else ""
    assert note == SourceNote(str(password), True, "DB__PASSWORD_FILE" + suffix)
    assert_no_leak(repr(notes) + "".join(map(str, notes)), SECRETS, where="source notes", prefixes=True)

"""import_schema, secret_env_names, example_dotenv, and the `check` / `example` commands (subprocesses)."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from settings_schemas import API_TOKEN, DB_PASSWORD, JWT, SECRETS, AppSettings, PrefixedSettings

from autoaudit_secrets._dotenv import parse_dotenv
from autoaudit_secrets._errors import UsageError
from autoaudit_secrets.settings import example_dotenv, import_schema, secret_env_names
from tests.conftest import DATA_DIR, assert_no_leak, run_cli


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory holding the schema module (the CLI finds it through the current directory)."""
    shutil.copy(DATA_DIR / "settings" / "settings_schemas.py", tmp_path / "settings_schemas.py")
    return tmp_path


# ---------------------------------------------------------------------------------------------- import_schema


def test_import_schema_finds_the_class() -> None:
    assert import_schema("settings_schemas:AppSettings") is AppSettings


def test_import_schema_puts_the_working_directory_on_sys_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = "autoaudit_cwd_schema_probe"
    (tmp_path / f"{module}.py").write_text(
        "from autoaudit_secrets.settings import SecretSettings\n"
        "class Conf(SecretSettings):\n    x: int = 1\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, module, raising=False)
    cls = import_schema(f"{module}:Conf")
    assert cls.__name__ == "Conf"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("settings_schemas", "must look like 'package.module:ClassName'"),
        (":AppSettings", "must look like"),
        ("no_such_module_xyz:Conf", "module 'no_such_module_xyz' not found"),
        ("settings_schemas:Missing", "has no 'Missing'"),
        ("settings_schemas:NotSettings", "is not a SecretSettings subclass"),
        ("settings_schemas:JWT", "is not a SecretSettings subclass"),
    ],
    ids=["no-colon", "no-module", "no-module-found", "no-attr", "not-settings", "not-a-class"],
)
def test_import_schema_errors_are_one_line(spec: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        import_schema(spec)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert info.value.__context__ is None


def test_secret_env_names() -> None:
    assert secret_env_names(AppSettings) == frozenset({"JWT_SECRET", "API_TOKEN", "DB__PASSWORD"})
    assert secret_env_names(PrefixedSettings) == frozenset({"AUTOAUDIT_API_KEY", "AUTOAUDIT_DB__PASSWORD"})


# ---------------------------------------------------------------------------------------------- example


def test_example_dotenv_contents() -> None:
    text = example_dotenv(AppSettings)
    values = parse_dotenv(text, interpolate=False)
    assert values == {
        "JWT_SECRET": "",
        "API_TOKEN": "",
        "PORT": "8000",
        "DEBUG": "false",
        "MODE": "dev",
        "ALLOWED_HOSTS": '["localhost"]',
        "DB__HOST": "localhost",
        "DB__PORT": "5432",
        "DB__PASSWORD": "",
    }
    lines = text.splitlines()
    jwt_at = lines.index("JWT_SECRET=")
    assert lines[jwt_at - 3 : jwt_at] == ["# Signs session tokens.", "# Rotate yearly.", "# secret"]
    assert lines[lines.index("PORT=8000") - 1] == "# HTTP port"
    assert lines[lines.index("DB__PASSWORD=") - 2] == "# Database password"


def test_cli_example_writes_a_file_atomically(workdir: Path) -> None:
    result = run_cli("autoaudit-secrets", "example", "--schema", "settings_schemas:AppSettings", cwd=workdir)
    assert result.returncode == 0, result.stderr
    written = (workdir / ".env.example").read_text(encoding="utf-8")
    assert written == example_dotenv(AppSettings)
    assert stat.S_IMODE((workdir / ".env.example").stat().st_mode) == 0o644
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith(".")) == [".env.example"]


def test_cli_example_to_stdout_and_custom_output(workdir: Path) -> None:
    out = run_cli(
        "autoaudit-secrets", "example", "--schema", "settings_schemas:AppSettings", "-o", "-", cwd=workdir
    )
    assert out.returncode == 0 and out.stdout == example_dotenv(AppSettings)
    custom = run_cli(
        "autoaudit-secrets",
        "example",
        "--schema",
        "settings_schemas:AppSettings",
        "--output",
        "conf/x.env",
        cwd=workdir,
    )
    assert custom.returncode == 2  # the conf/ folder does not exist: one-line error
    assert custom.stderr.startswith("autoaudit-secrets: error: cannot write")


# ---------------------------------------------------------------------------------------------- check


def test_cli_check_ok_from_environment(workdir: Path) -> None:
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "settings_schemas:AppSettings",
        cwd=workdir,
        env={"JWT_SECRET": JWT, "DB__PASSWORD": DB_PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "ok: the settings satisfy settings_schemas:AppSettings",
        "sources:",
        "  read: the process environment",
    ]
    assert f"  skipped: .env (no .env in {workdir})" in result.stdout.splitlines()
    assert_no_leak(result.output, SECRETS)


def test_cli_check_reads_dotenv_locally_but_not_in_ci(workdir: Path) -> None:
    (workdir / ".env").write_text(f"JWT_SECRET={JWT}\nDB__PASSWORD={DB_PASSWORD}\n", encoding="utf-8")
    local = run_cli("autoaudit-secrets", "check", "--schema", "settings_schemas:AppSettings", cwd=workdir)
    assert local.returncode == 0, local.stderr
    ci = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "settings_schemas:AppSettings",
        cwd=workdir,
        env={"CI": "true"},
    )
    assert ci.returncode == 1
    assert "JWT_SECRET: required but not set" in ci.stderr
    assert "DB__PASSWORD: required but not set" in ci.stderr
    explicit = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "settings_schemas:AppSettings",
        "--env-file",
        ".env",
        cwd=workdir,
        env={"CI": "true"},
    )
    assert explicit.returncode == 0, explicit.stderr


def test_cli_check_multiple_env_files_later_wins(workdir: Path) -> None:
    (workdir / "a.env").write_text(
        f"JWT_SECRET={JWT}\nDB__PASSWORD={DB_PASSWORD}\nPORT=1\n", encoding="utf-8"
    )
    (workdir / "b.env").write_text("PORT=not-a-number\n", encoding="utf-8")
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "settings_schemas:AppSettings",
        "--env-file",
        "a.env",
        "--env-file",
        "b.env",
        cwd=workdir,
    )
    assert result.returncode == 1
    assert "PORT: input should be a valid integer" in result.stderr
    assert result.stdout == ""


def test_cli_check_secrets_dir(workdir: Path) -> None:
    secrets = workdir / "secrets"
    secrets.mkdir()
    (secrets / "jwt_secret").write_text(JWT + "\n", encoding="utf-8")
    (secrets / "db__password").write_text(DB_PASSWORD + "\n", encoding="utf-8")
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "settings_schemas:AppSettings",
        "--secrets-dir",
        str(secrets),
        "--env-file",
        os.devnull,
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("check", "--schema", "settings_schemas"),
        ("check", "--schema", "nope_module:X"),
        ("check", "--schema", "settings_schemas:AppSettings", "--bogus"),
        ("check", "--schema", "settings_schemas:AppSettings", "--env-file", "missing.env"),
        ("check", "--schema", "settings_schemas:AppSettings", "--secrets-dir", "no-such-dir"),
    ],
    ids=[
        "no-schema",
        "bad-spec",
        "missing-module",
        "unknown-option",
        "missing-env-file",
        "missing-secrets-dir",
    ],
)
def test_cli_check_usage_errors_exit_2(workdir: Path, args: tuple[str, ...]) -> None:
    result = run_cli("autoaudit-secrets", *args, cwd=workdir, env={"API_TOKEN": API_TOKEN})
    assert result.returncode == 2
    assert result.stderr.startswith("autoaudit-secrets: error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_cli_check_dotenv_syntax_error_exits_1_naming_file_and_line(workdir: Path) -> None:
    (workdir / ".env").write_text(f'PORT=1\nJWT_SECRET="{JWT}\n', encoding="utf-8")
    result = run_cli("autoaudit-secrets", "check", "--schema", "settings_schemas:AppSettings", cwd=workdir)
    assert result.returncode == 1
    assert ".env, line 2: double-quoted value of JWT_SECRET is not closed" in result.stderr
    assert_no_leak(result.output, SECRETS)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def broken(:\n", "syntax error at"),
        (f"raise ValueError({JWT!r})\n", "ValueError raised at"),
        ("import autoaudit_missing_dependency_xyz\n", "module 'autoaudit_missing_dependency_xyz' not found"),
    ],
    ids=["syntax", "raises", "missing-dependency"],
)
def test_import_schema_reports_module_failures_without_their_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, expected: str
) -> None:
    module = f"autoaudit_failing_schema_{abs(hash(source)) % 10_000}"
    (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(UsageError) as info:
        import_schema(f"{module}:Conf")
    assert expected in str(info.value) and "\n" not in str(info.value)
    assert info.value.__context__ is None
    assert_no_leak(str(info.value), SECRETS)

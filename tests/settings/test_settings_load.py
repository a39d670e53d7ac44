"""SecretSettings.load: names, precedence, local vs CI, Docker secrets, NAME_FILE, enc: values."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from settings_schemas import API_TOKEN, DB_PASSWORD, JWT, AppSettings, Mode, PrefixedSettings

from autoaudit_secrets import settings as settings_pkg
from autoaudit_secrets._errors import SettingsError
from autoaudit_secrets.settings import AUTO, InvalidSettingsError, SettingsConfigDict, dotenv_files
from autoaudit_secrets.settings import _base as base_module
from tests.conftest import assert_same_secret

BASE_ENV = {"JWT_SECRET": JWT, "DB__PASSWORD": DB_PASSWORD}


def load(environ: dict[str, str], **kw: object) -> AppSettings:
    kw.setdefault("env_file", None)
    kw.setdefault("secrets_dir", None)
    return AppSettings.load(environ=environ, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- names


def test_upper_case_names_nested_and_types() -> None:
    s = load(
        {
            **BASE_ENV,
            "PORT": "9000",
            "DEBUG": "true",
            "MODE": "prod",
            "ALLOWED_HOSTS": '["a.example", "b.example"]',
            "DB__HOST": "db.internal",
            "DB__PORT": "6543",
        }
    )
    assert_same_secret(s.jwt_secret.get_secret_value(), JWT)
    assert (s.port, s.debug, s.mode) == (9000, True, Mode.PROD)
    assert s.allowed_hosts == ["a.example", "b.example"]
    assert (s.db.host, s.db.port) == ("db.internal", 6543)
    assert_same_secret(s.db.password.get_secret_value(), DB_PASSWORD)


def test_defaults_apply() -> None:
    s = load(dict(BASE_ENV))
    assert (s.port, s.debug, s.mode, s.allowed_hosts, s.api_token) == (
        8000,
        False,
        Mode.DEV,
        ["localhost"],
        None,
    )


def test_env_prefix_applies_to_top_level_names_only() -> None:
    s = PrefixedSettings.load(
        environ={"AUTOAUDIT_API_KEY": API_TOKEN, "AUTOAUDIT_DB__PASSWORD": DB_PASSWORD, "API_KEY": "ignored"},
        env_file=None,
        secrets_dir=None,
    )
    assert_same_secret(s.api_key.get_secret_value(), API_TOKEN)
    assert s.db is not None
    assert_same_secret(s.db.password.get_secret_value(), DB_PASSWORD)
    with pytest.raises(SettingsError) as info:
        PrefixedSettings.load(environ={"API_KEY": API_TOKEN}, env_file=None, secrets_dir=None)
    assert "AUTOAUDIT_API_KEY: required but not set" in str(info.value)


def test_empty_values_count_as_not_set(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("API_TOKEN=\nPORT=\nJWT_SECRET=\n", encoding="utf-8")
    s = load({"JWT_SECRET": JWT, "DB__PASSWORD": DB_PASSWORD, "DB__HOST": ""}, env_file=env_file)
    assert (s.api_token, s.port, s.db.host) == (None, 8000, "localhost")
    with pytest.raises(InvalidSettingsError) as info:
        load({"DB__PASSWORD": DB_PASSWORD}, env_file=env_file)
    assert info.value.problems == (("JWT_SECRET", "required but not set"),)


def test_empty_name_does_not_conflict_with_name_file(tmp_path: Path) -> None:
    secret = tmp_path / "jwt"
    secret.write_text(JWT, encoding="utf-8")
    s = load({"JWT_SECRET": "", "JWT_SECRET_FILE": str(secret), "DB__PASSWORD": DB_PASSWORD})
    assert_same_secret(s.jwt_secret.get_secret_value(), JWT)


def test_empty_values_kept_when_the_schema_asks() -> None:
    class KeepEmpty(AppSettings):
        model_config = SettingsConfigDict(env_ignore_empty=False)

    s = KeepEmpty.load(environ={**BASE_ENV, "API_TOKEN": ""}, env_file=None, secrets_dir=None)
    assert s.api_token is not None
    assert_same_secret(s.api_token.get_secret_value(), "")


def test_environ_none_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", JWT)
    monkeypatch.setenv("DB__PASSWORD", DB_PASSWORD)
    monkeypatch.setenv("PORT", "8123")
    s = AppSettings.load(env_file=None, secrets_dir=None)
    assert s.port == 8123


# ---------------------------------------------------------------------------------------------- precedence


def test_precedence_environment_over_dotenv_over_secrets_over_defaults(tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text("PORT=2000\nDEBUG=true\nDB__HOST=from-dotenv\n", encoding="utf-8")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "port").write_text("3000\n", encoding="utf-8")
    (secrets / "debug").write_text("false\n", encoding="utf-8")
    (secrets / "db__host").write_text("from-secret\n", encoding="utf-8")
    (secrets / "db__port").write_text("7777\n", encoding="utf-8")
    (secrets / "jwt_secret").write_text(JWT + "\n", encoding="utf-8")
    s = load({"PORT": "1000", "DB__PASSWORD": DB_PASSWORD}, env_file=env_file, secrets_dir=secrets)
    assert s.port == 1000  # environment beats .env and secrets
    assert s.debug is True  # .env beats secrets
    assert s.db.host == "from-dotenv"  # nested: .env beats secrets
    assert s.db.port == 7777  # only in secrets
    assert_same_secret(s.jwt_secret.get_secret_value(), JWT)  # one trailing newline stripped
    assert s.mode is Mode.DEV  # default


def test_later_env_files_win(tmp_path: Path) -> None:
    first, second = tmp_path / "a.env", tmp_path / "b.env"
    first.write_text("PORT=1\nHOST=base\n", encoding="utf-8")
    second.write_text("PORT=2\nDB__HOST=${HOST}-db\n", encoding="utf-8")
    s = load(dict(BASE_ENV), env_file=[first, second])
    assert s.port == 2
    assert s.db.host == "base-db"  # ${VAR} in a later file sees earlier files


def test_single_quoted_values_load_literally(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("JWT_SECRET='p@ss${HOME}w#rd-$1'\nDB__PASSWORD=\"x${PORT}y\"\n", encoding="utf-8")
    s = load({"HOME": "/home/u", "PORT": "81"}, env_file=env_file)
    assert_same_secret(s.jwt_secret.get_secret_value(), "p@ss" + "${HOME}" + "w#rd-$1")
    assert_same_secret(s.db.password.get_secret_value(), "x81y")


# ---------------------------------------------------------------------------------------------- local vs CI


@pytest.fixture
def project(chdir_tmp: Path) -> Path:
    (chdir_tmp / ".env").write_text(f"JWT_SECRET={JWT}\nDB__PASSWORD={DB_PASSWORD}\nPORT=1111\n", "utf-8")
    (chdir_tmp / ".env.staging").write_text("PORT=2222\n", encoding="utf-8")
    return chdir_tmp


def test_local_reads_dotenv_from_working_directory(project: Path) -> None:
    s = AppSettings.load(environ={}, secrets_dir=None)
    assert s.port == 1111


def test_local_app_env_file_overrides_dotenv(project: Path) -> None:
    s = AppSettings.load(environ={"APP_ENV": "staging"}, secrets_dir=None)
    assert s.port == 2222
    assert_same_secret(s.jwt_secret.get_secret_value(), JWT)
    # A missing .env.<APP_ENV> is fine.
    assert AppSettings.load(environ={"APP_ENV": "prod"}, secrets_dir=None).port == 1111


@pytest.mark.parametrize("ci_env", [{"CI": "true"}, {"GITHUB_ACTIONS": "true"}, {"GITLAB_CI": "1"}], ids=str)
def test_ci_reads_no_dotenv(project: Path, ci_env: dict[str, str]) -> None:
    with pytest.raises(InvalidSettingsError) as info:
        AppSettings.load(environ=ci_env, secrets_dir=None)
    assert [name for name, _ in info.value.problems] == ["JWT_SECRET", "DB__PASSWORD"]


def test_ci_reads_an_explicit_env_file(project: Path) -> None:
    s = AppSettings.load(environ={"CI": "true"}, env_file=project / ".env", secrets_dir=None)
    assert s.port == 1111
    both = [project / ".env", project / ".env.staging"]
    assert AppSettings.load(environ={"CI": "true"}, env_file=both, secrets_dir=None).port == 2222


def test_ci_false_is_local(project: Path) -> None:
    assert AppSettings.load(environ={"CI": "false"}, secrets_dir=None).port == 1111


def test_explicit_env_file_outside_ci_replaces_the_automatic_ones(project: Path) -> None:
    other = project / "other.env"
    other.write_text(f"JWT_SECRET={JWT}\nDB__PASSWORD={DB_PASSWORD}\n", encoding="utf-8")
    assert AppSettings.load(environ={}, env_file=other, secrets_dir=None).port == 8000


def test_env_file_none_reads_nothing(project: Path) -> None:
    with pytest.raises(InvalidSettingsError):
        AppSettings.load(environ={}, env_file=None, secrets_dir=None)


def test_dotenv_files_helper(project: Path) -> None:
    assert dotenv_files(AUTO, {"APP_ENV": "staging"}) == [project / ".env", project / ".env.staging"]
    assert dotenv_files(AUTO, {"CI": "1", "APP_ENV": "staging"}) == []
    assert dotenv_files(["x.env"], {"CI": "1"}) == [Path("x.env")]


def test_bad_app_env_is_an_error(project: Path) -> None:
    with pytest.raises(SettingsError, match="APP_ENV: must be a plain name"):
        AppSettings.load(environ={"APP_ENV": "../etc"}, secrets_dir=None)


def test_missing_explicit_env_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"env file .*nope\.env not found"):
        load(dict(BASE_ENV), env_file=tmp_path / "nope.env")


def test_dotenv_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"PORT=1\nJWT_SECRET='{JWT}\n", encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load({}, env_file=env_file)
    assert f"{env_file}, line 2:" in str(info.value)
    assert JWT not in str(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None


# ----------------------------------------------------------------------------------------- Docker secrets


def test_name_file_reads_the_file_and_strips_one_newline(tmp_path: Path) -> None:
    secret = tmp_path / "jwt"
    secret.write_text(JWT + "\n\n", encoding="utf-8")
    s = load({"JWT_SECRET_FILE": str(secret), "DB__PASSWORD": DB_PASSWORD})
    assert_same_secret(s.jwt_secret.get_secret_value(), JWT + "\n")  # only one newline is stripped


def test_name_file_for_nested_and_from_dotenv(tmp_path: Path) -> None:
    secret = tmp_path / "dbpw"
    secret.write_text(DB_PASSWORD + "\r\n", encoding="utf-8")
    env_file = tmp_path / ".env"
    env_file.write_text(f"DB__PASSWORD_FILE={secret}\n", encoding="utf-8")
    s = load({"JWT_SECRET": JWT}, env_file=env_file)
    assert_same_secret(s.db.password.get_secret_value(), DB_PASSWORD)


def test_name_and_name_file_both_set_is_an_error(tmp_path: Path) -> None:
    secret = tmp_path / "jwt"
    secret.write_text(JWT, encoding="utf-8")
    with pytest.raises(InvalidSettingsError) as info:
        load({"JWT_SECRET": JWT, "JWT_SECRET_FILE": str(secret), "DB__PASSWORD": DB_PASSWORD})
    assert info.value.problems == (
        ("JWT_SECRET", "both JWT_SECRET and JWT_SECRET_FILE are set; set only one"),
    )


def test_unreadable_name_file_names_variable_and_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file"
    with pytest.raises(InvalidSettingsError) as info:
        load({"JWT_SECRET_FILE": str(missing), "DB__PASSWORD": DB_PASSWORD})
    ((name, message),) = info.value.problems
    assert name == "JWT_SECRET"
    assert "JWT_SECRET_FILE" in message and str(missing) in message


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions as non-root"
)
def test_unreadable_secrets_dir_file_is_an_error(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    locked = secrets / "jwt_secret"
    locked.write_text(JWT, encoding="utf-8")
    locked.chmod(0)
    try:
        with pytest.raises(InvalidSettingsError) as info:
            load({"DB__PASSWORD": DB_PASSWORD}, secrets_dir=secrets)
    finally:
        locked.chmod(0o600)
    ((name, message),) = info.value.problems
    assert name == "JWT_SECRET" and str(locked) in message


def test_dangling_secrets_dir_entry_is_an_error(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "jwt_secret").symlink_to(tmp_path / "gone")
    with pytest.raises(InvalidSettingsError) as info:
        load({"DB__PASSWORD": DB_PASSWORD}, secrets_dir=secrets)
    ((name, message),) = info.value.problems
    assert name == "JWT_SECRET" and "jwt_secret" in message and "cannot read secret file" in message


def test_unrelated_file_suffix_is_not_a_reference(tmp_path: Path) -> None:
    # OTHER_FILE is not a field's NAME_FILE; it is ignored like any unknown variable.
    s = load({**BASE_ENV, "OTHER_FILE": str(tmp_path / "missing")})
    assert s.port == 8000


def test_secrets_dir_default_is_used_when_it_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "run-secrets"
    secrets.mkdir()
    (secrets / "jwt_secret").write_text(JWT, encoding="utf-8")
    (secrets / "unrelated").write_text("x", encoding="utf-8")
    monkeypatch.setattr(base_module, "DEFAULT_SECRETS_DIR", secrets)
    s = AppSettings.load(environ={"DB__PASSWORD": DB_PASSWORD}, env_file=None, secrets_dir=AUTO)
    assert_same_secret(s.jwt_secret.get_secret_value(), JWT)
    monkeypatch.setattr(base_module, "DEFAULT_SECRETS_DIR", tmp_path / "absent")
    with pytest.raises(InvalidSettingsError):
        AppSettings.load(environ={"DB__PASSWORD": DB_PASSWORD}, env_file=None)


def test_missing_explicit_secrets_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"secrets directory .* does not exist"):
        load(dict(BASE_ENV), secrets_dir=tmp_path / "absent")


# ---------------------------------------------------------------------------------------------- enc: values


def test_enc_values_are_opened_through_the_crypto_module(tmp_path: Path) -> None:
    from autoaudit_secrets.crypto import encrypt_value, generate_private_key

    key = generate_private_key()
    env_file = tmp_path / ".env"
    env_file.write_text(f"JWT_SECRET={encrypt_value('JWT_SECRET', JWT, key.public_key)}\n", encoding="utf-8")
    environ = {"AUTOAUDIT_PRIVATE_KEY": key.to_text(), "DB__PASSWORD": DB_PASSWORD}
    s = load(environ, env_file=env_file)
    assert_same_secret(s.jwt_secret.get_secret_value(), JWT)


def test_enc_value_moved_to_another_variable_is_a_problem(tmp_path: Path) -> None:
    from autoaudit_secrets.crypto import encrypt_value, generate_private_key

    key = generate_private_key()
    moved = encrypt_value("DB__PASSWORD", JWT, key.public_key)
    with pytest.raises(InvalidSettingsError) as info:
        load({"AUTOAUDIT_PRIVATE_KEY": key.to_text(), "JWT_SECRET": moved, "DB__PASSWORD": DB_PASSWORD})
    names = [name for name, _ in info.value.problems]
    assert names == ["JWT_SECRET"]
    assert JWT not in str(info.value)


def test_enc_values_without_crypto_support_are_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "autoaudit_secrets.crypto", None)  # import now raises ImportError
    with pytest.raises(InvalidSettingsError) as info:
        load({"JWT_SECRET": "enc:v1:whatever", "DB__PASSWORD": DB_PASSWORD})
    assert info.value.problems == (
        ("JWT_SECRET", "is encrypted (enc:) but the crypto support is not available"),
    )


def test_crypto_is_not_imported_without_enc_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "autoaudit_secrets.crypto", None)
    assert load(dict(BASE_ENV)).port == 8000


def test_public_api_is_exported() -> None:
    import autoaudit_secrets

    assert autoaudit_secrets.SecretSettings is settings_pkg.SecretSettings
    assert autoaudit_secrets.is_ci({"CI": "true"}) is True
    for name in settings_pkg.__all__:
        assert hasattr(settings_pkg, name), name

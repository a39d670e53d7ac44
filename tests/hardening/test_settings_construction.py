"""``Settings()`` — the pydantic-settings habit — loads exactly as ``Settings.load()``: the same sources
(``.env`` by the local/CI rule, ``NAME_FILE``, the secrets directory), ``enc:`` values opened (never
returned as ciphertext), value-free ``SettingsError``; keyword arguments stay init overrides."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from autoaudit_secrets.crypto import encrypt_value, generate_private_key
from autoaudit_secrets.settings import InvalidSettingsError, SecretSettings, SettingsError
from autoaudit_secrets.settings import _base as base_module
from tests.conftest import assert_no_leak, assert_same_secret

JWT = "jwt-" + "Lq82nVb0Pz4Xk7Ry"
DB_PASSWORD = "db-" + "Wn5Hq0Zr3Tc8"
API_TOKEN = "api-" + "Mv7Yt2Gs9Dk1"


class _Conf(SecretSettings):
    jwt_secret: SecretStr
    db_password: SecretStr
    api_token: SecretStr
    port: int = 8000


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with an encrypted .env, a NAME_FILE and a secrets directory, and a clean
    process environment holding only the private key."""
    key = generate_private_key()
    (tmp_path / ".env").write_text(
        f"JWT_SECRET={encrypt_value('JWT_SECRET', JWT, key.public_key)}\n"
        f"DB_PASSWORD_FILE={tmp_path / 'db_password'}\nPORT=8123\n",
        encoding="utf-8",
    )
    (tmp_path / "db_password").write_text(DB_PASSWORD + "\n", encoding="utf-8")
    secrets = tmp_path / "run-secrets"
    secrets.mkdir()
    (secrets / "api_token").write_text(API_TOKEN, encoding="utf-8")
    monkeypatch.setattr(base_module, "DEFAULT_SECRETS_DIR", secrets)
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTOAUDIT_PRIVATE_KEY", key.to_text())
    return tmp_path


def _values(settings: _Conf) -> tuple[str, str, str, int]:
    return (
        settings.jwt_secret.get_secret_value(),
        settings.db_password.get_secret_value(),
        settings.api_token.get_secret_value(),
        settings.port,
    )


def test_plain_construction_loads_like_load(project: Path) -> None:
    built = _Conf()
    assert _values(built) == (JWT, DB_PASSWORD, API_TOKEN, 8123)
    assert _values(built) == _values(_Conf.load())
    assert not built.jwt_secret.get_secret_value().startswith("enc:")


def test_keyword_arguments_override_every_source(project: Path) -> None:
    built = _Conf(port=1, api_token="from-init")
    assert (built.port, built.api_token.get_secret_value()) == (1, "from-init")
    assert_same_secret(built.jwt_secret.get_secret_value(), JWT)
    assert _Conf(_env_file=None, jwt_secret="j", db_password="d").port == 8000  # pydantic-settings' name


def test_plain_construction_follows_the_ci_rule(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(InvalidSettingsError) as info:
        _Conf()
    assert [name for name, _ in info.value.problems] == ["JWT_SECRET", "DB_PASSWORD"]


def test_plain_construction_errors_are_value_free(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", JWT)
    with pytest.raises(SettingsError) as info:
        _Conf()
    err = info.value
    assert "PORT: input should be a valid integer" in str(err)
    assert err.__cause__ is None and err.__context__ is None
    assert_no_leak(str(err) + repr(err.args), [JWT, DB_PASSWORD, API_TOKEN], where="Settings() error")


def test_a_wrong_key_is_a_problem_not_ciphertext(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOAUDIT_PRIVATE_KEY", generate_private_key().to_text())
    with pytest.raises(InvalidSettingsError) as info:
        _Conf()
    assert [name for name, _ in info.value.problems] == ["JWT_SECRET"]

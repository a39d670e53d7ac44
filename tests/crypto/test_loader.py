"""End to end: a SecretSettings class loading a .env whose secrets are enc:v1 values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from autoaudit_secrets._dotenv import DotenvDocument, parse_dotenv
from autoaudit_secrets._errors import SettingsError
from autoaudit_secrets.crypto import (
    PUBLIC_KEY_VAR,
    PrivateKey,
    decrypt_values,
    encrypt_value,
    generate_private_key,
    rotate_document,
)
from autoaudit_secrets.crypto import EnvKeyStore as _EnvKeyStore
from autoaudit_secrets.settings import SecretSettings
from tests.conftest import REPO_ROOT, assert_no_leak, assert_same_secret

DB_PASSWORD = "db-Password-9f3k2"  # check-secrets: allow
API_TOKEN = "api-token-77c1e0b2"  # check-secrets: allow


class AppSettings(SecretSettings):
    db_password: SecretStr
    api_token: SecretStr
    debug: bool = False
    region: str = "eu-west-1"


def _write_env(path: Path, key: PrivateKey, **plain: str) -> None:
    doc = DotenvDocument.load(path, missing_ok=True)
    doc.set(PUBLIC_KEY_VAR, key.public_key.to_text())
    doc.set("DB_PASSWORD", encrypt_value("DB_PASSWORD", DB_PASSWORD, key.public_key))
    doc.set("API_TOKEN", encrypt_value("API_TOKEN", API_TOKEN, key.public_key))
    for name, value in plain.items():
        doc.set(name, value)
    doc.save(path)


def _load(env_file: Path, environ: dict[str, str]) -> AppSettings:
    return AppSettings.load(env_file=env_file, environ=environ, secrets_dir=None)


def test_encrypted_dotenv_loads_with_the_key_from_the_environment(tmp_path: Path) -> None:
    key = generate_private_key()
    env_file = tmp_path / ".env"
    _write_env(env_file, key, DEBUG="true")
    settings = _load(env_file, {"AUTOAUDIT_PRIVATE_KEY": key.to_text()})
    assert_same_secret(settings.db_password.get_secret_value(), DB_PASSWORD)
    assert_same_secret(settings.api_token.get_secret_value(), API_TOKEN)
    assert settings.debug is True and settings.region == "eu-west-1"
    assert_no_leak(repr(settings) + str(settings), [DB_PASSWORD, API_TOKEN], where="settings repr")


def test_key_file_and_encrypted_environment_values(tmp_path: Path) -> None:
    key = generate_private_key()
    env_file = tmp_path / ".env"
    _write_env(env_file, key)
    key_file = tmp_path / "private.key"
    key_file.write_text(key.to_text() + "\n")
    key_file.chmod(0o600)
    override = encrypt_value("API_TOKEN", "from-the-environment", key.public_key)
    settings = _load(env_file, {"AUTOAUDIT_PRIVATE_KEY_FILE": str(key_file), "API_TOKEN": override})
    assert_same_secret(settings.api_token.get_secret_value(), "from-the-environment")
    assert_same_secret(settings.db_password.get_secret_value(), DB_PASSWORD)


def test_during_rotation_both_keys_may_be_given(tmp_path: Path) -> None:
    old, new = generate_private_key(), generate_private_key()
    env_file = tmp_path / ".env"
    _write_env(env_file, old)
    doc = DotenvDocument.load(env_file)
    rotate_document(doc, [_EnvKeyStore({"AUTOAUDIT_PRIVATE_KEY": old.to_text()})], new)
    doc.save(env_file)
    # A copy of the old file and the rotated one both load when the CI secret holds "new,old".
    old_copy = tmp_path / "old.env"
    _write_env(old_copy, old)
    both = {"AUTOAUDIT_PRIVATE_KEY": f"{new.to_text()},{old.to_text()}"}
    for path in (env_file, old_copy):
        assert_same_secret(_load(path, both).db_password.get_secret_value(), DB_PASSWORD)
    with pytest.raises(SettingsError):
        _load(env_file, {"AUTOAUDIT_PRIVATE_KEY": old.to_text()})


def test_missing_key_names_the_variables_and_key_id_only(tmp_path: Path) -> None:
    key, other = generate_private_key(), generate_private_key()
    env_file = tmp_path / ".env"
    _write_env(env_file, key)
    with pytest.raises(SettingsError) as info:
        _load(env_file, {"AUTOAUDIT_PRIVATE_KEY": other.to_text(), "HOME": str(tmp_path)})
    message = str(info.value)
    assert "DB_PASSWORD" in message and "API_TOKEN" in message and key.key_id in message
    assert_no_leak(message, [DB_PASSWORD, API_TOKEN, key.to_text(), other.to_text()], where="SettingsError")


def test_value_moved_to_another_variable_fails_to_load(tmp_path: Path) -> None:
    key = generate_private_key()
    env_file = tmp_path / ".env"
    _write_env(env_file, key)
    doc = DotenvDocument.load(env_file)
    doc.set("API_TOKEN", doc.get("DB_PASSWORD") or "")
    doc.save(env_file)
    with pytest.raises(SettingsError) as info:
        _load(env_file, {"AUTOAUDIT_PRIVATE_KEY": key.to_text()})
    message = str(info.value)
    assert "API_TOKEN" in message and "moved" in message
    assert_no_leak(message, [DB_PASSWORD, API_TOKEN])


def test_plaintext_settings_never_import_the_crypto_module(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DB_PASSWORD=plain-one\nAPI_TOKEN=plain-two\n")
    code = (
        "import sys\n"
        "from pydantic import SecretStr\n"
        "from autoaudit_secrets.settings import SecretSettings\n"
        "class S(SecretSettings):\n"
        "    db_password: SecretStr\n"
        "    api_token: SecretStr\n"
        "s = S.load(env_file='.env', environ={}, secrets_dir=None)\n"
        "assert s.api_token.get_secret_value() == 'plain-two'\n"
        "print(sorted(m for m in sys.modules if m.startswith(('autoaudit_secrets.crypto', 'keyring'))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


@settings(max_examples=60, deadline=None)
@given(value=st.text(max_size=120))
def test_any_value_survives_set_render_parse_and_decrypt(value: str) -> None:
    key = generate_private_key()
    doc = DotenvDocument.parse("# top\nDEBUG=1\n")
    doc.set("SOME_SECRET", encrypt_value("SOME_SECRET", value, key.public_key))
    parsed = parse_dotenv(doc.render(), environ={})
    opened, problems = decrypt_values(parsed, environ={"AUTOAUDIT_PRIVATE_KEY": key.to_text()})
    assert problems == {}
    assert opened == {"DEBUG": "1", "SOME_SECRET": value}


class KeyedSettings(SecretSettings):
    tokens: dict[str, SecretStr]


def test_an_encrypted_item_of_a_mapping_given_as_name_key_is_decrypted(tmp_path: Path) -> None:
    key = generate_private_key()
    env_file = tmp_path / ".env"
    doc = DotenvDocument.load(env_file, missing_ok=True)
    doc.set(PUBLIC_KEY_VAR, key.public_key.to_text())
    doc.set("TOKENS__BILLING", encrypt_value("TOKENS__BILLING", API_TOKEN, key.public_key))
    doc.save(env_file)
    settings = KeyedSettings.load(
        env_file=env_file, environ={"AUTOAUDIT_PRIVATE_KEY": key.to_text()}, secrets_dir=None
    )
    assert sorted(settings.tokens) == ["billing"]
    decrypted = settings.tokens["billing"].get_secret_value() == API_TOKEN
    assert decrypted, "not decrypted"  # a boolean: a failed comparison would print the value

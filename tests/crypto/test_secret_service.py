"""keygen -> set -> load against a real Secret Service (gnome-keyring on a private D-Bus), in process and
through the CLI. In CI (``CI`` set) these fail rather than skip when the daemons are missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autoaudit_secrets._dotenv import DotenvDocument
from autoaudit_secrets.crypto import (
    PUBLIC_KEY_VAR,
    KeyringKeyStore,
    decrypt_values,
    encrypt_value,
    generate_private_key,
    public_key_of,
)
from tests.conftest import assert_no_leak, assert_same_secret, run_cli
from tests.crypto.conftest import SecretService

pytestmark = pytest.mark.keyring_service

SECRET = "correct-horse-battery-staple-42"  # check-secrets: allow


def test_backend_is_the_secret_service(secret_service_keyring: Any) -> None:
    assert type(secret_service_keyring).__module__ == "keyring.backends.SecretService"
    store = KeyringKeyStore()
    assert store.describe() == "keyring.backends.SecretService.Keyring"


def test_keygen_set_load_in_process(secret_service_keyring: Any, env_dir: Path) -> None:
    env_file = env_dir / ".env"
    key = generate_private_key()
    assert KeyringKeyStore().save(key) == "keyring.backends.SecretService.Keyring"
    doc = DotenvDocument.load(env_file, missing_ok=True)
    doc.set(PUBLIC_KEY_VAR, key.public_key.to_text())
    doc.set("DB_PASSWORD", encrypt_value("DB_PASSWORD", SECRET, public_key_of(doc, str(env_file))))
    doc.save(env_file)
    assert_no_leak(env_file.read_text(), [SECRET, key.to_text()], where=".env")

    loaded = DotenvDocument.load(env_file)
    values = {name: loaded.get(name) or "" for name in loaded.names()}
    # No key in the environment: the private key comes from the Secret Service.
    opened, problems = decrypt_values(values, environ={})
    assert problems == {}
    assert opened["DB_PASSWORD"] == SECRET

    # And through the settings loader, again with no key in the environment.
    from pydantic import SecretStr

    from autoaudit_secrets.settings import SecretSettings

    class DbSettings(SecretSettings):
        db_password: SecretStr

    settings = DbSettings.load(env_file=env_file, environ={}, secrets_dir=None)
    assert_same_secret(settings.db_password.get_secret_value(), SECRET)


def test_keygen_set_get_run_through_the_cli(secret_service: SecretService, env_dir: Path) -> None:
    env = dict(secret_service.env)
    keygen = run_cli("autoaudit-secrets", "keygen", cwd=env_dir, env=env)
    assert keygen.returncode == 0, keygen.stderr
    assert keygen.stdout == ""  # the key went to the keyring, nothing printed
    assert "stored in the keyring (keyring.backends.SecretService.Keyring)" in keygen.stderr
    set_ = run_cli("autoaudit-secrets", "set", "API_TOKEN", cwd=env_dir, env=env, input=SECRET + "\n")
    assert set_.returncode == 0, set_.stderr
    assert_no_leak(set_.output + (env_dir / ".env").read_text(), [SECRET], where="set output and .env")

    get = run_cli("autoaudit-secrets", "get", "API_TOKEN", cwd=env_dir, env=env)
    assert get.returncode == 0, get.stderr
    assert get.stdout == SECRET + "\n"

    probe = 'test "$API_TOKEN" = "$EXPECTED" && exit 5; exit 6'
    run = run_cli(
        "autoaudit-secrets", "run", "--", "sh", "-c", probe, cwd=env_dir, env={**env, "EXPECTED": SECRET}
    )
    assert run.returncode == 5, run.stderr

    # The same .env without the Secret Service: the key cannot be found, and the error says where it looked.
    no_bus = {k: v for k, v in env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    no_bus["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
    missing = run_cli("autoaudit-secrets", "get", "API_TOKEN", cwd=env_dir, env=no_bus)
    assert missing.returncode == 2
    assert "API_TOKEN" in missing.stderr and "Traceback" not in missing.stderr
    assert_no_leak(missing.output, [SECRET])


def test_rotate_keeps_the_old_key_in_the_keyring(secret_service: SecretService, env_dir: Path) -> None:
    env = dict(secret_service.env)
    assert run_cli("autoaudit-secrets", "keygen", cwd=env_dir, env=env).returncode == 0
    assert run_cli("autoaudit-secrets", "set", "DB_PASSWORD", SECRET, cwd=env_dir, env=env).returncode == 0
    old_id = public_key_of(DotenvDocument.load(env_dir / ".env"), ".env").key_id
    old_file = (env_dir / ".env").read_text()

    rotate = run_cli("autoaudit-secrets", "rotate", cwd=env_dir, env=env)
    assert rotate.returncode == 0, rotate.stderr
    assert rotate.stdout == ""
    new_id = public_key_of(DotenvDocument.load(env_dir / ".env"), ".env").key_id
    assert new_id != old_id and old_id in rotate.stderr
    assert run_cli("autoaudit-secrets", "get", "DB_PASSWORD", cwd=env_dir, env=env).stdout == SECRET + "\n"
    # A copy of the .env from before the rotation still opens: the old key was not deleted.
    (env_dir / "old.env").write_text(old_file)
    old = run_cli("autoaudit-secrets", "get", "DB_PASSWORD", "--env-file", "old.env", cwd=env_dir, env=env)
    assert old.stdout == SECRET + "\n", old.stderr

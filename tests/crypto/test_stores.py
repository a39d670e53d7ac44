"""Private-key sources: env, file, Docker secret, keyring (refusing plaintext backends), lookup order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from autoaudit_secrets._errors import KeyStoreError
from autoaudit_secrets.crypto import (
    DockerSecretKeyStore,
    EnvKeyStore,
    FileKeyStore,
    KeyringKeyStore,
    KeyringRefusedError,
    decrypt_values,
    default_key_stores,
    encrypt_value,
    generate_private_key,
    resolve_keys,
)
from tests.conftest import REPO_ROOT, assert_no_leak

OLD = generate_private_key()
NEW = generate_private_key()


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in a dict, with a configurable priority."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


class LowPriorityKeyring(MemoryKeyring):
    priority = 0.5  # type: ignore[assignment]


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring (same qualified name), which is not installed here."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


def test_env_store_reads_a_comma_separated_list() -> None:
    store = EnvKeyStore({"AUTOAUDIT_PRIVATE_KEY": f"{NEW.to_text()}, {OLD.to_text()}"})
    found = store.find([OLD.key_id, NEW.key_id, "0000000000000000"])
    assert found == {OLD.key_id: OLD, NEW.key_id: NEW}
    assert EnvKeyStore({}).find([OLD.key_id]) == {}


def test_malformed_env_entry_names_the_entry_not_the_text() -> None:
    broken = NEW.to_text()[:-3]
    store = EnvKeyStore({"AUTOAUDIT_PRIVATE_KEY": f"{OLD.to_text()},{broken}"})
    with pytest.raises(KeyStoreError, match="AUTOAUDIT_PRIVATE_KEY: entry 2") as info:
        store.find([OLD.key_id])
    assert_no_leak(str(info.value), [broken, OLD.to_text()], where="key store error")


def test_file_store_reads_keys_and_comments(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(f"# team key, rotated 2026-11\n{NEW.to_text()}\n{OLD.to_text()}\n")
    key_file.chmod(0o600)
    store = FileKeyStore({"AUTOAUDIT_PRIVATE_KEY_FILE": str(key_file)})
    assert store.find([OLD.key_id]) == {OLD.key_id: OLD}
    with pytest.raises(KeyStoreError, match="does not exist"):
        FileKeyStore({"AUTOAUDIT_PRIVATE_KEY_FILE": str(tmp_path / "missing")}).find([OLD.key_id])


def test_docker_secret_store_is_silent_when_absent(tmp_path: Path) -> None:
    secret = tmp_path / "autoaudit_private_key"
    assert DockerSecretKeyStore(secret).find([OLD.key_id]) == {}
    secret.write_text(OLD.to_text() + "\n")
    assert DockerSecretKeyStore(secret).find([OLD.key_id]) == {OLD.key_id: OLD}


def test_first_source_holding_a_key_wins_and_later_sources_are_not_read(tmp_path: Path) -> None:
    broken_file = tmp_path / "broken"
    broken_file.write_text("not a key\n")
    broken_file.chmod(0o600)
    environ = {"AUTOAUDIT_PRIVATE_KEY": NEW.to_text(), "AUTOAUDIT_PRIVATE_KEY_FILE": str(broken_file)}
    stores = default_key_stores(environ, docker_secret=tmp_path / "none", keyring_backend=fail.Keyring())
    # Everything needed is in the first source: the broken file and the keyless keyring are never consulted.
    resolution = resolve_keys([NEW.key_id], stores)
    assert resolution.keys == {NEW.key_id: NEW} and resolution.missing == {}
    # The old key is looked for further down: the broken file is reported, the search goes on.
    docker = tmp_path / "docker"
    docker.write_text(OLD.to_text())
    stores = default_key_stores(environ, docker_secret=docker, keyring_backend=fail.Keyring())
    resolution = resolve_keys([NEW.key_id, OLD.key_id], stores)
    assert resolution.keys == {NEW.key_id: NEW, OLD.key_id: OLD}
    missing = resolve_keys(["00000000000000aa"], stores).missing["00000000000000aa"]
    assert "AUTOAUDIT_PRIVATE_KEY_FILE" in missing and "not a private key" in missing
    assert "keyring: no OS keychain" in missing


def test_keyring_store_saves_and_finds_by_key_id() -> None:
    backend = MemoryKeyring()
    store = KeyringKeyStore(backend=backend)
    assert store.save(OLD).endswith("MemoryKeyring")
    assert backend.store[("autoaudit-secrets", OLD.key_id)] == OLD.to_text()
    assert KeyringKeyStore(backend=backend).find([OLD.key_id, NEW.key_id]) == {OLD.key_id: OLD}


def test_keyring_entry_under_the_wrong_id_is_an_error() -> None:
    backend = MemoryKeyring()
    backend.set_password("autoaudit-secrets", NEW.key_id, OLD.to_text())
    with pytest.raises(KeyStoreError, match="another id"):
        KeyringKeyStore(backend=backend).find([NEW.key_id])


@pytest.mark.parametrize(
    ("backend_class", "why"),
    [
        (PlaintextKeyring, "plaintext file"),
        (LowPriorityKeyring, "priority 0.5"),
    ],
    ids=["plaintext", "low-priority"],
)
def test_insecure_backends_are_refused_unless_opted_in(backend_class: type[MemoryKeyring], why: str) -> None:
    backend = backend_class()
    with pytest.raises(KeyringRefusedError, match=why) as info:
        KeyringKeyStore(backend=backend).save(OLD)
    message = str(info.value)
    assert "AUTOAUDIT_ALLOW_INSECURE_KEYRING=1" in message and "--allow-insecure-keyring" in message
    assert "\n" not in message
    assert backend.store == {}
    # Opting in, by flag or by environment variable:
    KeyringKeyStore(backend=backend, allow_insecure=True).save(OLD)
    stores = default_key_stores({"AUTOAUDIT_ALLOW_INSECURE_KEYRING": "1"}, keyring_backend=backend)
    assert resolve_keys([OLD.key_id], stores).keys == {OLD.key_id: OLD}


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_no_keychain_backends_are_refused_without_an_opt_in_hint(backend: Any) -> None:
    with pytest.raises(KeyringRefusedError, match="no OS keychain") as info:
        KeyringKeyStore(backend=backend).find([OLD.key_id])
    assert "ALLOW_INSECURE" not in str(info.value)


def test_chained_backends_use_the_secure_ones_only() -> None:
    class ChainerBackend:  # same shape as keyring.backends.chainer.ChainerBackend
        def __init__(self, backends: list[Any]) -> None:
            self.backends = backends

    secure, plaintext = MemoryKeyring(), PlaintextKeyring()
    plaintext.set_password("autoaudit-secrets", OLD.key_id, OLD.to_text())
    store = KeyringKeyStore(backend=ChainerBackend([plaintext, secure]))
    assert store.find([OLD.key_id]) == {}
    store.save(NEW)
    assert ("autoaudit-secrets", NEW.key_id) in secure.store and plaintext.store.keys() == {
        ("autoaudit-secrets", OLD.key_id)
    }


def test_decrypt_values_reports_each_problem_by_name_and_key_id(tmp_path: Path) -> None:
    values = {
        "PLAIN": "visible",
        "GOOD": encrypt_value("GOOD", "good-secret-value", NEW.public_key),
        "NO_KEY": encrypt_value("NO_KEY", "unkeyed-secret-value", OLD.public_key),
        "MOVED": encrypt_value("ORIGINAL", "moved-secret-value", NEW.public_key),
        "BROKEN": "enc:v1:AAAA",
    }
    opened, problems = decrypt_values(values, environ={"AUTOAUDIT_PRIVATE_KEY": NEW.to_text()})
    assert opened == {"PLAIN": "visible", "GOOD": "good-secret-value"}
    assert set(problems) == {"NO_KEY", "MOVED", "BROKEN"}
    assert OLD.key_id in problems["NO_KEY"] and "no private key" in problems["NO_KEY"]
    assert NEW.key_id in problems["MOVED"] and "moved" in problems["MOVED"]
    assert "not a valid enc:v1 envelope" in problems["BROKEN"]
    for name, message in problems.items():
        assert message.count(name) >= 1
        assert_no_leak(message, ["unkeyed-secret-value", "moved-secret-value", NEW.to_text()], where=name)


def test_plain_values_need_no_key_store_and_keyring_is_imported_lazily() -> None:
    code = (
        "import sys\n"
        "from autoaudit_secrets.crypto import decrypt_values, encrypt_value, generate_private_key\n"
        "k = generate_private_key()\n"
        "v = {'A': encrypt_value('A', 'x', k.public_key), 'B': 'plain'}\n"
        "opened, problems = decrypt_values(v, environ={'AUTOAUDIT_PRIVATE_KEY': k.to_text()})\n"
        "assert opened == {'A': 'x', 'B': 'plain'} and not problems\n"
        "print('keyring' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "False"

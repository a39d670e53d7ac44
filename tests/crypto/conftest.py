"""Fixtures for the crypto tests: a real Secret Service (gnome-keyring on a private D-Bus session bus)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_DAEMONS = ("dbus-daemon", "dbus-send", "gnome-keyring-daemon")


@dataclass(frozen=True)
class SecretService:
    """A running, unlocked gnome-keyring reachable at ``address``; ``env`` is what a child process needs."""

    address: str
    env: dict[str, str]


def _unavailable(reason: str) -> None:
    # In CI the daemons are installed by .ci/run, so their absence is a failure, not a reason to skip.
    if os.environ.get("CI"):
        pytest.fail(f"real Secret Service required in CI: {reason}", pytrace=False)
    pytest.skip(f"no real Secret Service: {reason}")


def _name_has_owner(env: dict[str, str], name: str) -> bool:
    proc = subprocess.run(
        ["dbus-send", "--session", "--dest=org.freedesktop.DBus", "--print-reply", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
        env=env, capture_output=True, text=True, check=False, timeout=10,
    )  # fmt: skip
    return proc.returncode == 0 and "boolean true" in proc.stdout


def _stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    """Start ``dbus-daemon --session`` and ``gnome-keyring-daemon --unlock --components=secrets``, temp home.

    Skips when the daemons are not installed, except when ``CI`` is set: then it fails."""
    missing = [name for name in _DAEMONS if shutil.which(name) is None]
    if missing:
        _unavailable(f"{', '.join(missing)} not installed (apt-get install gnome-keyring dbus dbus-x11)")
    home = tmp_path_factory.mktemp("keyring-home")
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
    )  # fmt: skip
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    if not address:
        _stop(bus)
        _unavailable("dbus-daemon did not print an address")
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        assert daemon.stdin is not None
        daemon.stdin.write(b"test-keyring-password")
        daemon.stdin.close()
        deadline = time.monotonic() + 20
        while not _name_has_owner(env, "org.freedesktop.secrets"):
            if daemon.poll() is not None or time.monotonic() > deadline:
                _unavailable("gnome-keyring-daemon did not register org.freedesktop.secrets")
            time.sleep(0.05)
        yield SecretService(address, env)
    finally:
        _stop(daemon)
        _stop(bus)


@pytest.fixture
def secret_service_keyring(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """Point this process at the private Secret Service and make it keyring's backend.

    keyring caches its backend (and the list of viable ones) on first use, so the SecretService backend is
    installed explicitly and the previous backend put back afterwards."""
    import keyring
    from keyring.backends import SecretService as secret_service_backend

    previous = keyring.get_keyring()
    for name in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(name, secret_service.env[name])
    backend = secret_service_backend.Keyring()
    assert backend.priority >= 1  # raises when the service is unreachable
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
    """An empty project folder for .env files."""
    folder = tmp_path / "project"
    folder.mkdir()
    return folder

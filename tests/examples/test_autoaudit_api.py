"""The example service, end to end: a real uvicorn server on a loopback port, configured from an
encrypted .env."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT, assert_no_leak, run_cli

EXAMPLE = REPO_ROOT / "examples" / "autoaudit-api"
SECRET_NAMES = ("DATABASE_URL", "REDIS_URL", "JWT_SECRET", "SESSION_SECRET", "STRIPE_API_KEY")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EncryptedApp:
    directory: Path
    private_key: str = field(repr=False)
    values: dict[str, str] = field(repr=False)


def _token(n: int = 40) -> str:
    return secrets.token_urlsafe(n)[:n]


@pytest.fixture
def encrypted_app(tmp_path: Path) -> EncryptedApp:
    """The example's .env.example filled in with fresh values, every secret encrypted by the CLI."""
    shutil.copy(EXAMPLE / ".env.example", tmp_path / ".env")
    keygen = run_cli("autoaudit-secrets", "keygen", "--env-file", ".env", "--store", "stdout", cwd=tmp_path)
    assert keygen.returncode == 0, keygen.stderr
    private_key = keygen.stdout.strip()
    values = {
        "DATABASE_URL": f"postgresql://autoaudit:{_token(24)}@127.0.0.1:5432/autoaudit",
        "REDIS_URL": f"redis://:{_token(24)}@127.0.0.1:6379/0",
        "JWT_SECRET": _token(48),
        "SESSION_SECRET": _token(48),
        "STRIPE_API_KEY": "sk_test_" + _token(32),
    }
    for name, value in values.items():
        result = run_cli(
            "autoaudit-secrets", "set", name, "--env-file", ".env", cwd=tmp_path, input=value + "\n"
        )
        assert result.returncode == 0, result.stderr
    text = (tmp_path / ".env").read_text()
    assert_no_leak(text, values.values(), where="the encrypted .env")
    return EncryptedApp(tmp_path, private_key, values)


def _server_env(extra: dict[str, str]) -> dict[str, str]:
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return {**keep, **extra}


@dataclass
class Server:
    process: subprocess.Popen[str]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture
def server(encrypted_app: EncryptedApp, tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "autoaudit_api",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--env-file",
                ".env",
            ],
            cwd=encrypted_app.directory,
            env=_server_env({"AUTOAUDIT_PRIVATE_KEY": encrypted_app.private_key, "LOG_LEVEL": "DEBUG"}),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not answer /health within 30 s")
            time.sleep(0.1)
        yield Server(process, base_url, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_health_and_config_mask_every_secret(server: Server, encrypted_app: EncryptedApp) -> None:
    health = httpx.get(f"{server.base_url}/health", timeout=5)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"

    config = httpx.get(f"{server.base_url}/config", timeout=5)
    assert config.status_code == 200
    body = config.json()
    for name in SECRET_NAMES:
        assert body[name.lower()] == "**********", name
    assert body["sendgrid_api_key"] is None
    assert body["app_env"] == "development"
    assert body["jwt_algorithm"] == "HS256"
    assert_no_leak(config.text, encrypted_app.values.values(), where="/config")


def test_secret_values_never_reach_the_server_log(server: Server, encrypted_app: EncryptedApp) -> None:
    # A client that puts a secret in a query string is a classic way for it to reach access logs.
    jwt_secret = encrypted_app.values["JWT_SECRET"]
    response = httpx.get(f"{server.base_url}/health", params={"token": jwt_secret}, timeout=5)
    assert response.status_code == 200
    server.process.terminate()
    server.process.wait(timeout=10)
    log = server.log()
    assert "GET /health" in log, "the access log should have recorded the request"
    assert "configuration loaded" in log
    assert_no_leak(log, encrypted_app.values.values(), where="the server log")
    assert_no_leak(log, [encrypted_app.private_key], where="the server log")


@pytest.mark.parametrize(
    ("case", "edit", "named"),
    [
        ("missing", lambda env: env.pop("JWT_SECRET"), "JWT_SECRET"),
        ("too short", lambda env: env.update(JWT_SECRET="short-but-secret"), "JWT_SECRET"),
        ("bad choice", lambda env: env.update(JWT_ALGORITHM="none"), "JWT_ALGORITHM"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v and v.isidentifier() else None,
)
def test_bad_configuration_stops_start_up_before_binding(tmp_path: Path, case: str, edit, named: str) -> None:
    env = {
        "DATABASE_URL": "postgresql://autoaudit:" + _token(20) + "@127.0.0.1/autoaudit",
        "REDIS_URL": "redis://:" + _token(20) + "@127.0.0.1:6379/0",
        "JWT_SECRET": _token(48),
        "SESSION_SECRET": _token(48),
        "STRIPE_API_KEY": "sk_test_" + _token(32),
    }
    edit(env)
    port = free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "autoaudit_api", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=_server_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, case
    assert named in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Uvicorn running" not in proc.stdout + proc.stderr
    assert_no_leak(proc.stdout + proc.stderr, [v for v in env.values() if len(v) > 8], where="start-up error")
    with socket.socket() as sock:  # nothing is listening: the port was never bound
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_scan_of_the_fixed_example_is_clean() -> None:
    result = run_cli("check-secrets", "scan", str(EXAMPLE), cwd=REPO_ROOT)
    assert result.returncode == 0, result.output


def test_env_example_matches_the_schema() -> None:
    result = run_cli(
        "autoaudit-secrets",
        "example",
        "--schema",
        "autoaudit_api.settings:ApiSettings",
        "--output",
        "-",
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    generated = {
        line.split("=", 1)[0]
        for line in result.stdout.splitlines()
        if "=" in line and not line.startswith("#")
    }
    committed = {
        line.split("=", 1)[0]
        for line in (EXAMPLE / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert generated == committed

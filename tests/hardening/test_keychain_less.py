"""Machines without an OS keychain (containers, WSL, CI, headless Linux): ``keygen``/``rotate`` say what to
do instead, and ``--store file PATH`` / ``--store stdout`` make the whole loop work through
``AUTOAUDIT_PRIVATE_KEY_FILE`` / ``AUTOAUDIT_PRIVATE_KEY``. Every run here has no D-Bus session (no Secret
Service) and a fresh HOME, so keyring finds no backend."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from autoaudit_secrets.crypto import PUBLIC_KEY_VAR, PrivateKey
from autoaudit_secrets.settings import SecretSettings
from tests.conftest import CliResult, assert_no_leak, assert_same_secret, run_cli

from .conftest import PROG, assert_one_line_error

DB_PASSWORD = "pw-no-keychain-81"  # check-secrets: allow


def _cli(folder: Path, *args: str, input: str | None = None, **env: str) -> CliResult:
    return run_cli(PROG, *args, cwd=folder, env={"HOME": str(folder), **env}, input=input)


def _key_in(path: Path) -> PrivateKey:
    keys = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    assert len(keys) == 1
    return PrivateKey.from_text(keys[0])


def test_keygen_without_a_keychain_says_what_to_do_instead(tmp_path: Path) -> None:
    for args in (["keygen"], ["keygen", "--store", "keyring"]):
        result = _cli(tmp_path, *args)
        assert_one_line_error(result)
        assert "no OS keychain" in result.stderr
        assert "--store file PATH" in result.stderr and "AUTOAUDIT_PRIVATE_KEY_FILE" in result.stderr
        assert "--store stdout" in result.stderr
    assert list(tmp_path.iterdir()) == []


class _Conf(SecretSettings):
    db_password: SecretStr


def test_keygen_to_a_key_file_then_the_whole_loop(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "autoaudit.key"
    key_file.parent.mkdir()
    made = _cli(tmp_path, "keygen", "--store", "file", str(key_file))
    assert made.returncode == 0, made.stderr
    assert made.stdout == ""
    assert f"AUTOAUDIT_PRIVATE_KEY_FILE={key_file}" in made.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = _key_in(key_file)
    assert (tmp_path / ".env").read_text() == f"{PUBLIC_KEY_VAR}={key.public_key.to_text()}\n"
    assert_no_leak(made.output + (tmp_path / ".env").read_text(), [key.to_text()])
    assert [p.name for p in key_file.parent.iterdir()] == ["autoaudit.key"]  # no temp file left

    with_file = {"AUTOAUDIT_PRIVATE_KEY_FILE": str(key_file)}
    assert _cli(tmp_path, "set", "DB_PASSWORD", input=DB_PASSWORD + "\n").returncode == 0
    got = _cli(tmp_path, "get", "--strict", "DB_PASSWORD", **with_file)
    assert (got.returncode, got.stdout, got.stderr) == (0, DB_PASSWORD + "\n", "")
    conf = _Conf.load(env_file=tmp_path / ".env", environ=with_file, secrets_dir=None)
    assert_same_secret(conf.db_password.get_secret_value(), DB_PASSWORD)

    # rotate to a second file; a file holding both keys opens old and new copies during the change-over.
    new_file = tmp_path / "secrets" / "autoaudit-2.key"
    rotated = _cli(tmp_path, "rotate", "--store", "file", str(new_file), **with_file)
    assert rotated.returncode == 0, rotated.stderr
    assert stat.S_IMODE(new_file.stat().st_mode) == 0o600
    new_key = _key_in(new_file)
    assert new_key.key_id != key.key_id
    got = _cli(tmp_path, "get", "DB_PASSWORD", AUTOAUDIT_PRIVATE_KEY_FILE=str(new_file))
    assert got.stdout == DB_PASSWORD + "\n", got.stderr


def test_store_file_never_overwrites_and_checks_before_making_a_key(tmp_path: Path) -> None:
    existing = tmp_path / "team.key"
    existing.write_text("# someone's key file\n")
    (tmp_path / "link.key").symlink_to("nowhere")
    for target in ("team.key", "link.key"):
        refused = _cli(tmp_path, "keygen", "--store", "file", target)
        assert_one_line_error(refused)
        assert "already exists" in refused.stderr
    assert existing.read_text() == "# someone's key file\n"
    assert not (tmp_path / ".env").exists(), "a public key was written for a private key stored nowhere"
    missing_dir = _cli(tmp_path, "keygen", "--store", "file", "no/such/dir.key")
    assert_one_line_error(missing_dir)
    for args in (["--store", "file"], ["--store", "stdout", "x"], ["--store", "vault"]):
        assert_one_line_error(_cli(tmp_path, "keygen", *args))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.key", "team.key"]


def test_store_stdout_prints_the_key_once_for_a_ci_secret(tmp_path: Path) -> None:
    made = _cli(tmp_path, "keygen", "--store", "stdout")
    assert made.returncode == 0, made.stderr
    key = PrivateKey.from_text(made.stdout.strip())
    assert_no_leak(made.stderr + (tmp_path / ".env").read_text(), [key.to_text()])
    assert _cli(tmp_path, "set", "DB_PASSWORD", DB_PASSWORD).returncode == 0
    got = _cli(tmp_path, "get", "DB_PASSWORD", AUTOAUDIT_PRIVATE_KEY=key.to_text())
    assert got.stdout == DB_PASSWORD + "\n"


def test_rotate_without_a_keychain_changes_nothing_and_says_what_to_do(tmp_path: Path) -> None:
    made = _cli(tmp_path, "keygen", "--store", "stdout")
    key = made.stdout.strip()
    assert _cli(tmp_path, "set", "DB_PASSWORD", DB_PASSWORD).returncode == 0
    before = (tmp_path / ".env").read_bytes()
    result = _cli(tmp_path, "rotate", AUTOAUDIT_PRIVATE_KEY=key)
    assert_one_line_error(result)
    assert "--store file PATH" in result.stderr and "--store stdout" in result.stderr
    assert (tmp_path / ".env").read_bytes() == before

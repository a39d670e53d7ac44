"""Rewrites of a ``.env`` are linear in its size, keep owner, group and mode, refuse read-only files, and
never leave a temp file behind (exceptions, Ctrl-C, SIGTERM; one left by kill -9 is removed by the next
write). Private key files others can read are warned about (refused with ``--strict``); a forced keyring
backend that cannot start is a one-line error; ``run`` leaves other tools' ``enc:`` values alone."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from autoaudit_secrets._atomic import STALE_TEMP_SECONDS
from autoaudit_secrets._dotenv import DotenvDocument, read_dotenv
from autoaudit_secrets.crypto import InsecureKeyFileWarning, PrivateKey, encrypt_value
from autoaudit_secrets.settings import SecretSettings
from tests.conftest import BIN_DIR, assert_no_leak

from .conftest import PROG, Project, assert_one_line_error

API_TOKEN = "tok-live-Hq72x9"  # check-secrets: allow


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -------------------------------------------------------------------------------------------- linear edits


@pytest.mark.slow
def test_commands_that_edit_every_value_are_linear_in_the_file_size(project: Project) -> None:
    """200,000 lines: a quadratic editor (16k lines took 5 s) would need well over an hour; the timeout is
    generous for a loaded machine and far below that."""
    lines = [f"SETTING_{i}=value-{i}\n" for i in range(200_000)]
    with project.env_file.open("a", encoding="utf-8") as handle:
        handle.writelines(lines)
        handle.write(f"API_TOKEN={API_TOKEN}\n")
    for args in (
        ["encrypt"],
        ["decrypt", "--in-place"],
        ["encrypt", "API_TOKEN"],
        ["rotate", "--store", "stdout"],
    ):
        result = project.cli(*args, timeout=180)
        assert result.returncode == 0, (args, result.stderr)
        if args[0] == "rotate":
            project.key = result.stdout.strip()
    values = read_dotenv(project.env_file, environ={})
    assert len(values) == 200_002 and values["SETTING_199999"] == "value-199999"
    assert values["API_TOKEN"].startswith("enc:v1:")


def test_editing_every_name_of_a_large_document_in_process() -> None:
    text = "".join(f"S_{i}=v{i}\n" for i in range(50_000))
    doc = DotenvDocument.parse(text)
    for name in doc.names():
        doc.set(name, (doc.get(name) or "") + "-x")
    doc.set("S_7", "again")
    assert doc.remove("S_8") and not doc.remove("S_8")
    doc.set("NEW", "1")
    rendered = doc.render()
    assert rendered.startswith("S_0=v0-x\nS_1=v1-x\n") and rendered.endswith("S_49999=v49999-x\nNEW=1\n")
    assert "S_7=again\n" in rendered and "S_8=" not in rendered
    assert doc.names()[:3] == ["S_0", "S_1", "S_2"] and doc.names()[-1] == "NEW"


# ------------------------------------------------------------------------------------- owner, group, mode


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing owners needs root")
def test_rewrites_keep_owner_group_and_mode(project: Project) -> None:
    os.chown(project.env_file, 4242, 4343)
    project.env_file.chmod(0o640)
    for args in (["set", "DB_PASSWORD", "pw-1"], ["decrypt", "--in-place"], ["rotate", "--store", "stdout"]):
        result = project.cli(*args)
        assert result.returncode == 0, result.stderr
        info = project.env_file.stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4242, 4343, 0o640), args
        if args[0] == "rotate":
            project.key = result.stdout.strip()


def test_an_owner_that_cannot_be_kept_refuses_the_write(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from autoaudit_secrets._cli import secrets_main

    before = project.env_file.read_bytes()
    info = project.env_file.stat()
    real_fstat = os.fstat

    def fstat_as_someone_else(fd: int) -> os.stat_result:
        real = real_fstat(fd)
        fields = list(real)
        fields[4] = info.st_uid + 1  # the temp file belongs to "this" user, the .env to another
        return os.stat_result(fields)

    def refuse_chown(fd: int, uid: int, gid: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.chdir(project.path)
    monkeypatch.setattr(os, "fstat", fstat_as_someone_else)
    monkeypatch.setattr(os, "fchown", refuse_chown)
    with pytest.raises(SystemExit) as exited:
        secrets_main.main(["set", "DB_PASSWORD", "pw-2"])
    monkeypatch.undo()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "edit it as its owner" in err
    assert project.env_file.read_bytes() == before
    assert _leftovers(project.path) == []


@pytest.mark.parametrize("mode", [0o444, 0o400])
def test_read_only_env_file_is_refused(project: Project, mode: int) -> None:
    project.env_file.chmod(mode)
    before = project.env_file.read_bytes()
    for args in (["set", "DB_PASSWORD", "pw-3"], ["rotate", "--store", "stdout"]):
        result = project.cli(*args)
        assert_one_line_error(result)
        assert "read-only" in result.stderr
        assert result.stdout == ""  # rotate printed no new key
    assert project.env_file.read_bytes() == before
    assert stat.S_IMODE(project.env_file.stat().st_mode) == mode


# ------------------------------------------------------------------------------------------------ temp files


def test_temp_file_is_private_and_removed_on_ctrl_c(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.env_file.chmod(0o644)
    before = project.env_file.read_bytes()
    seen: list[int] = []
    real_fsync = os.fsync

    def fsync_then_interrupt(fd: int) -> None:
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_fsync(fd)
        raise KeyboardInterrupt

    doc = DotenvDocument.load(project.env_file)
    doc.set("DB_PASSWORD", "plaintext-pw")
    monkeypatch.setattr(os, "fsync", fsync_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        doc.save(project.env_file)
    monkeypatch.undo()
    assert seen == [0o600], "the temp file holding the new text was readable by others"
    assert project.env_file.read_bytes() == before
    assert _leftovers(project.path) == []


def test_a_temp_file_left_by_a_killed_write_is_removed_by_the_next_write(project: Project) -> None:
    stale = project.path / "..env.k9x2ab_q.tmp"  # named as atomic_write_bytes names them
    stale.write_text("DB_PASSWORD=plaintext-left-by-kill-9\n")
    old = time.time() - STALE_TEMP_SECONDS - 5
    os.utime(stale, (old, old))
    fresh = project.path / "..env.zz11yy22.tmp"  # a concurrent writer's: not ours to remove
    fresh.write_text("x")
    unrelated = project.path / "..other.k9x2ab_q.tmp"
    unrelated.write_text("x")
    os.utime(unrelated, (old, old))
    assert project.cli("set", "DB_PASSWORD", "pw-4").returncode == 0
    assert not stale.exists()
    assert fresh.exists() and unrelated.exists()


def test_sigterm_unwinds_instead_of_dying_mid_write(project: Project) -> None:
    env = {"PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}", **project.env()}
    proc = subprocess.Popen(
        [str(BIN_DIR / PROG), "set", "DB_PASSWORD"],
        cwd=project.path, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(1.0)  # it is now waiting for the value on stdin
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert b"Traceback" not in err and err.decode().strip() == "autoaudit-secrets: terminated"


# ------------------------------------------------------------------------------------------ key file modes


def _key_file(project: Project, mode: int) -> Path:
    path = project.path / "team.key"
    path.write_text(project.key + "\n")
    path.chmod(mode)
    return path


def test_a_key_file_others_can_read_is_warned_about_and_refused_with_strict(project: Project) -> None:
    assert project.cli("set", "DB_PASSWORD", "pw-5").returncode == 0
    key_file = _key_file(project, 0o644)
    env = {"AUTOAUDIT_PRIVATE_KEY": "", "AUTOAUDIT_PRIVATE_KEY_FILE": str(key_file)}
    loose = project.cli("get", "DB_PASSWORD", **env)
    assert loose.returncode == 0 and loose.stdout == "pw-5\n"
    assert loose.stderr.splitlines() == [
        f"autoaudit-secrets: warning: AUTOAUDIT_PRIVATE_KEY_FILE: {key_file} is accessible by its group or "
        f"others (mode 0644); chmod 600 {key_file}"
    ]
    for args in (
        ["get", "--strict", "DB_PASSWORD"],
        ["decrypt", "--strict"],
        ["run", "--strict", "--", "true"],
    ):
        strict = project.cli(*args, **env)
        assert_one_line_error(strict)
        assert "--strict" in strict.stderr and "chmod 600" in strict.stderr
        assert_no_leak(strict.output, ["pw-5", project.key])
    key_file.chmod(0o600)
    tight = project.cli("get", "--strict", "DB_PASSWORD", **env)
    assert (tight.returncode, tight.stdout, tight.stderr) == (0, "pw-5\n", "")


class _Conf(SecretSettings):
    db_password: str


def test_the_loader_warns_about_a_key_file_others_can_read(project: Project) -> None:
    key = PrivateKey.from_text(project.key)
    key_file = _key_file(project, 0o640)
    environ = {"AUTOAUDIT_PRIVATE_KEY_FILE": str(key_file),
               "DB_PASSWORD": encrypt_value("DB_PASSWORD", "pw-6", key.public_key)}  # fmt: skip
    with pytest.warns(InsecureKeyFileWarning, match="mode 0640"):
        conf = _Conf.load(env_file=None, environ=environ, secrets_dir=None)
    assert conf.db_password == "pw-6"  # check-secrets: allow


# --------------------------------------------------------------------------------------- keyring, run


def test_a_forced_keyring_backend_that_cannot_start_is_one_line(project: Project) -> None:
    forced = {"PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}
    made = project.cli("keygen", "--force", "--env-file", "other.env", **forced)
    assert_one_line_error(made)
    assert "PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring cannot be used" in made.stderr
    assert "internal error" not in made.stderr and not (project.path / "other.env").exists()
    assert project.cli("set", "DB_PASSWORD", "pw-7").returncode == 0
    read = project.cli("get", "DB_PASSWORD", AUTOAUDIT_PRIVATE_KEY="", **forced)
    assert_one_line_error(read)
    assert "no private key" in read.stderr and "cannot be used" in read.stderr


def test_run_passes_other_tools_enc_values_through(project: Project) -> None:
    assert project.cli("set", "DB_PASSWORD", "pw-8").returncode == 0
    probe = 'test "$OTHER" = "enc:their-format" && test "$DB_PASSWORD" = pw-8'
    result = project.cli("run", "--", "sh", "-c", probe, OTHER="enc:their-format")
    assert result.returncode == 0, result.stderr
    broken = project.cli("run", "--", "true", OTHER="enc:v1:not-base64!")
    assert_one_line_error(broken)
    assert "OTHER" in broken.stderr

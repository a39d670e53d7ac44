"""The ``autoaudit-secrets`` key and value commands, through real subprocesses (no keychain: keys via env)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from autoaudit_secrets.crypto import PUBLIC_KEY_VAR, PrivateKey, PublicKey, generate_private_key, is_envelope
from tests.conftest import CliResult, assert_no_leak, run_cli

DB_PASSWORD = "pg-pass-Zq81!x y"  # check-secrets: allow
API_TOKEN = "tok_live_2b7f0c9e1d4a"  # check-secrets: allow
URL_PASSWORD = "url-pw-4Hk2"  # check-secrets: allow


@dataclass
class Project:
    path: Path
    key: str  # private key text

    @property
    def env_file(self) -> Path:
        return self.path / ".env"

    def env(self, **extra: str) -> dict[str, str]:
        # HOME points into the temp dir and no D-Bus is given, so the keyring is never a key source here.
        return {"HOME": str(self.path), "AUTOAUDIT_PRIVATE_KEY": self.key, **extra}

    def cli(self, *args: str, input: str | None = None, **extra: str) -> CliResult:
        return run_cli("autoaudit-secrets", *args, cwd=self.path, env=self.env(**extra), input=input)


def _one_line_error(result: CliResult) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.output
    assert result.stderr.startswith("autoaudit-secrets: error: ")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    keygen = run_cli(
        "autoaudit-secrets", "keygen", "--store", "stdout", cwd=tmp_path, env={"HOME": str(tmp_path)}
    )
    assert keygen.returncode == 0, keygen.stderr
    return Project(tmp_path, keygen.stdout.strip())


def test_keygen_stdout_prints_only_the_private_key(project: Project) -> None:
    lines = project.key.splitlines()
    assert len(lines) == 1
    key = PrivateKey.from_text(lines[0])
    text = project.env_file.read_text()
    assert text == f"{PUBLIC_KEY_VAR}={key.public_key.to_text()}\n"
    assert stat.S_IMODE(project.env_file.stat().st_mode) == 0o600
    assert_no_leak(text, [project.key], where=".env")


def test_keygen_refuses_to_replace_a_key_unless_forced(project: Project) -> None:
    before = project.env_file.read_text()
    again = project.cli("keygen", "--store", "stdout")
    _one_line_error(again)
    assert "rotate" in again.stderr and again.stdout == ""
    assert project.env_file.read_text() == before
    forced = project.cli("keygen", "--store", "stdout", "--force")
    assert forced.returncode == 0
    assert project.env_file.read_text() != before


def test_keygen_into_a_missing_keychain_fails_cleanly_and_writes_nothing(tmp_path: Path) -> None:
    result = run_cli("autoaudit-secrets", "keygen", cwd=tmp_path, env={"HOME": str(tmp_path)})
    _one_line_error(result)
    assert "keyring" in result.stderr
    assert not (tmp_path / ".env").exists()


def test_set_from_argument_and_stdin_then_get(project: Project) -> None:
    assert project.cli("set", "DB_PASSWORD", DB_PASSWORD).returncode == 0
    piped = project.cli("set", "API_TOKEN", input=API_TOKEN + "\n")
    assert piped.returncode == 0, piped.stderr
    two_newlines = project.cli("set", "MULTILINE_SECRET", input="line one\nline two\n\n")
    assert two_newlines.returncode == 0
    text = project.env_file.read_text()
    assert_no_leak(text + piped.output, [DB_PASSWORD, API_TOKEN, "line one"], where=".env / set output")
    assert project.cli("get", "DB_PASSWORD").stdout == DB_PASSWORD + "\n"
    assert project.cli("get", "API_TOKEN").stdout == API_TOKEN + "\n"
    # Exactly one trailing newline is stripped from stdin.
    assert project.cli("get", "MULTILINE_SECRET").stdout == "line one\nline two\n\n"


def test_set_needs_only_the_public_key_and_edits_in_place(project: Project) -> None:
    public_line = project.env_file.read_text()
    project.env_file.write_text(
        "# database\n" + public_line + "export DB_PASSWORD=old  # rotate me\n\nDEBUG=true\n"
    )
    project.env_file.chmod(0o640)
    result = run_cli(
        "autoaudit-secrets",
        "set",
        "DB_PASSWORD",
        DB_PASSWORD,
        cwd=project.path,
        env={"HOME": str(project.path)},
    )
    assert result.returncode == 0, result.stderr
    lines = project.env_file.read_text().splitlines(keepends=True)
    assert lines[0] == "# database\n" and lines[1] == public_line
    assert lines[2].startswith("export DB_PASSWORD=enc:v1:") and lines[2].endswith("  # rotate me\n")
    assert lines[3:] == ["\n", "DEBUG=true\n"]
    assert stat.S_IMODE(project.env_file.stat().st_mode) == 0o640
    assert project.cli("get", "DB_PASSWORD").stdout == DB_PASSWORD + "\n"


def test_set_without_a_public_key_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEBUG=1\n")
    result = run_cli(
        "autoaudit-secrets", "set", "X_TOKEN", "value-123", cwd=tmp_path, env={"HOME": str(tmp_path)}
    )
    _one_line_error(result)
    assert "keygen" in result.stderr
    assert_no_leak(result.output, ["value-123"])


def test_encrypt_without_names_takes_the_secret_looking_values(project: Project) -> None:
    with project.env_file.open("a") as handle:
        handle.write(
            "# app\n"
            f"DB_PASSWORD={DB_PASSWORD.replace(' ', '_')}\n"
            f"STRIPE_API_KEY={API_TOKEN}\n"
            f"DATABASE_URL=postgres://app:{URL_PASSWORD}@db:5432/app\n"
            "DEBUG=true\nPORT=8080\nSIGNING_KEY_ID=k-17\nEMPTY_SECRET=\n"
        )
    result = project.cli("encrypt")
    assert result.returncode == 0, result.stderr
    assert "DB_PASSWORD" in result.stderr and "STRIPE_API_KEY" in result.stderr
    assert_no_leak(result.output, [API_TOKEN, URL_PASSWORD, project.key])
    from autoaudit_secrets._dotenv import DotenvDocument

    doc = DotenvDocument.load(project.env_file)
    encrypted = {name for name in doc.names() if is_envelope(doc.get(name) or "")}
    assert encrypted == {"DB_PASSWORD", "STRIPE_API_KEY", "DATABASE_URL"}
    assert (
        doc.get("DEBUG") == "true" and doc.get("SIGNING_KEY_ID") == "k-17" and doc.get("EMPTY_SECRET") == ""
    )
    assert "# app\n" in project.env_file.read_text()
    # A second run finds nothing left; named plaintext values can be forced through.
    assert "nothing to encrypt" in project.cli("encrypt").stderr
    assert project.cli("encrypt", "PORT").returncode == 0
    assert is_envelope(DotenvDocument.load(project.env_file).get("PORT") or "")
    assert project.cli("get", "PORT").stdout == "8080\n"
    assert project.cli("get", "DATABASE_URL").stdout == f"postgres://app:{URL_PASSWORD}@db:5432/app\n"


def test_encrypt_rejects_unknown_names_and_the_public_key(project: Project) -> None:
    before = project.env_file.read_text()
    _one_line_error(project.cli("encrypt", "NOPE"))
    _one_line_error(project.cli("encrypt", PUBLIC_KEY_VAR))
    _one_line_error(project.cli("set", PUBLIC_KEY_VAR, "x"))
    assert project.env_file.read_text() == before


def test_decrypt_to_stdout_and_in_place(project: Project) -> None:
    project.cli("set", "DB_PASSWORD", DB_PASSWORD)
    project.cli("set", "API_TOKEN", API_TOKEN)
    encrypted = project.env_file.read_text()
    shown = project.cli("decrypt")
    assert shown.returncode == 0
    assert f"DB_PASSWORD='{DB_PASSWORD}'\n" in shown.stdout and f"API_TOKEN={API_TOKEN}\n" in shown.stdout
    assert project.env_file.read_text() == encrypted  # stdout mode does not touch the file
    in_place = project.cli("decrypt", "--in-place")
    assert in_place.returncode == 0 and in_place.stdout == ""
    assert project.env_file.read_text() == shown.stdout


def test_wrong_or_missing_key_fails_by_name_without_values(project: Project) -> None:
    project.cli("set", "DB_PASSWORD", DB_PASSWORD)
    before = project.env_file.read_text()
    wrong_key = generate_private_key().to_text()
    for env in ({"AUTOAUDIT_PRIVATE_KEY": wrong_key}, {"AUTOAUDIT_PRIVATE_KEY": ""}):
        for args in (("get", "DB_PASSWORD"), ("decrypt",), ("decrypt", "--in-place"), ("run", "--", "true")):
            result = project.cli(*args, **env)
            _one_line_error(result)
            assert "DB_PASSWORD" in result.stderr and "no private key" in result.stderr
            assert_no_leak(result.output, [DB_PASSWORD, project.key])
    assert project.env_file.read_text() == before


def test_tampered_value_is_reported_not_opened(project: Project) -> None:
    project.cli("set", "DB_PASSWORD", DB_PASSWORD)
    project.cli("set", "API_TOKEN", API_TOKEN)
    text = project.env_file.read_text()
    # Swap the two envelopes: each is now under the other's name.
    lines = dict(line.split("=", 1) for line in text.splitlines())
    swapped = text.replace(lines["DB_PASSWORD"], "@@").replace(lines["API_TOKEN"], lines["DB_PASSWORD"])
    project.env_file.write_text(swapped.replace("@@", lines["API_TOKEN"]))
    result = project.cli("decrypt")
    _one_line_error(result)
    assert "DB_PASSWORD" in result.stderr and "API_TOKEN" in result.stderr and "moved" in result.stderr
    assert_no_leak(result.output, [DB_PASSWORD, API_TOKEN])


def test_run_passes_the_decrypted_environment_and_the_exit_code(project: Project) -> None:
    project.cli("set", "DB_PASSWORD", DB_PASSWORD)
    with project.env_file.open("a") as handle:
        handle.write("MODE=from-dotenv\nOVERRIDDEN=from-dotenv\n")
    script = (
        'test "$DB_PASSWORD" = "$WANT" || exit 90; test "$MODE" = from-dotenv || exit 91; '
        'test "$OVERRIDDEN" = from-env || exit 92; exit 7'
    )
    result = project.cli("run", "--", "sh", "-c", script, WANT=DB_PASSWORD, OVERRIDDEN="from-env")
    assert result.returncode == 7, result.stderr
    assert_no_leak(result.output, [DB_PASSWORD])
    # A command killed by a signal: the shell convention 128+N (or the signal itself when exec'd).
    killed = project.cli("run", "--", "sh", "-c", "kill -TERM $$")
    assert killed.returncode in (143, -15)
    assert project.cli("run", "--", "sh", "-c", "exit 0").returncode == 0
    missing = project.cli("run", "--", "no-such-command-autoaudit")
    assert missing.returncode == 127 and "command not found" in missing.stderr
    _one_line_error(project.cli("run"))


def test_run_keeps_the_private_key_from_the_child_unless_asked(project: Project) -> None:
    project.cli("set", "DB_PASSWORD", DB_PASSWORD)
    probe = (
        'test "$DB_PASSWORD" = "$WANT" || exit 90; test -z "${AUTOAUDIT_PRIVATE_KEY+set}" || exit 91; exit 0'
    )
    result = project.cli("run", "--", "sh", "-c", probe, WANT=DB_PASSWORD)
    assert result.returncode == 0, f"exit {result.returncode}: 91 means the child saw the private key"
    passed = 'test "$AUTOAUDIT_PRIVATE_KEY" = "$WANT_KEY" || exit 92; exit 0'
    result = project.cli("run", "--pass-private-key", "--", "sh", "-c", passed, WANT_KEY=project.key)
    assert result.returncode == 0, f"exit {result.returncode}"


def test_rotate_reencrypts_everything_for_a_new_key(project: Project) -> None:
    project.cli("set", "DB_PASSWORD", DB_PASSWORD)
    project.cli("set", "API_TOKEN", API_TOKEN)
    with project.env_file.open("a") as handle:
        handle.write("# keep me\nDEBUG=1\n")
    before = project.env_file.read_text().splitlines()
    rotated = project.cli("rotate", "--store", "stdout")
    assert rotated.returncode == 0, rotated.stderr
    new_key = PrivateKey.from_text(rotated.stdout.strip())
    old_id = PrivateKey.from_text(project.key).key_id
    assert old_id in rotated.stderr and "still usable" in rotated.stderr
    assert_no_leak(rotated.stderr, [DB_PASSWORD, API_TOKEN, project.key, rotated.stdout.strip()])
    after = project.env_file.read_text().splitlines()
    assert len(after) == len(before) and after[-2:] == ["# keep me", "DEBUG=1"]
    assert all(old != new for old, new in zip(before[:3], after[:3], strict=True))
    public = PublicKey.from_text(after[0].split("=", 1)[1])
    assert public == new_key.public_key
    new_only = {"AUTOAUDIT_PRIVATE_KEY": new_key.to_text()}
    assert project.cli("get", "API_TOKEN", **new_only).stdout == API_TOKEN + "\n"
    _one_line_error(project.cli("get", "API_TOKEN"))  # the old key alone no longer opens it


def test_rotate_without_the_old_key_changes_nothing(project: Project) -> None:
    project.cli("set", "DB_PASSWORD", DB_PASSWORD)
    before = project.env_file.read_text()
    result = project.cli("rotate", "--store", "stdout", AUTOAUDIT_PRIVATE_KEY="")
    _one_line_error(result)
    assert result.stdout == ""  # no new key was made public either
    assert "DB_PASSWORD" in result.stderr
    assert project.env_file.read_text() == before


def test_bad_input_is_one_line_errors(project: Project, tmp_path: Path) -> None:
    _one_line_error(project.cli("get", "NOT_THERE"))
    _one_line_error(project.cli("set", "1BAD", "x"))
    _one_line_error(project.cli("get", "X", "--env-file", str(tmp_path / "missing.env")))
    project.env_file.write_text(project.env_file.read_text() + "BROKEN='unterminated\n")
    _one_line_error(project.cli("encrypt"))
    _one_line_error(project.cli("keygen", "--store", "nowhere"))
    bad_key = project.cli("get", "X", AUTOAUDIT_PRIVATE_KEY="autoaudit-priv-v1:short")  # check-secrets: allow
    _one_line_error(bad_key)


def test_failed_write_leaves_the_old_file(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An injected os.replace failure during set: the CLI exits 2 and the .env is byte-identical."""
    from autoaudit_secrets._cli import secrets_main

    project.cli("set", "DB_PASSWORD", DB_PASSWORD)
    with project.env_file.open("a") as handle:
        handle.write(f"API_TOKEN={API_TOKEN}\n")
    before = project.env_file.read_bytes()

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.chdir(project.path)
    monkeypatch.setenv("AUTOAUDIT_PRIVATE_KEY", project.key)
    monkeypatch.setattr(os, "replace", failing_replace)
    for argv in (["set", "DB_PASSWORD", "new-value-1"], ["encrypt", "API_TOKEN"], ["encrypt"]):
        with pytest.raises(SystemExit) as exited:
            secrets_main.main(argv)
        assert exited.value.code == 2
        assert "No space left on device" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        secrets_main.main(["rotate", "--store", "stdout"])
    assert exited.value.code == 2
    monkeypatch.undo()
    assert project.env_file.read_bytes() == before
    assert sorted(p.name for p in project.path.iterdir()) == [".env"]


def test_decrypt_in_place_writes_tricky_values_back_exactly(project: Project) -> None:
    from autoaudit_secrets._dotenv import read_dotenv

    tricky = {
        "QUOTED_SECRET": 'it\'s a "quoted" # value',
        "DOLLAR_SECRET": "p@ss${HOME}w$rd",
        "NEWLINE_SECRET": "line1\nline2",
        "SPACES_SECRET": "  padded  ",
    }
    for name, value in tricky.items():
        # --literal: DOLLAR_SECRET holds a ${...} reference, stored as written.
        assert project.cli("set", "--literal", name, input=value + "\n").returncode == 0
    assert project.cli("decrypt", "--in-place").returncode == 0
    loaded = read_dotenv(project.env_file, environ={})
    assert {name: loaded[name] for name in tricky} == tricky


def test_low_priority_keyring_needs_an_explicit_opt_in(tmp_path: Path) -> None:
    from tests.conftest import REPO_ROOT

    store_file = tmp_path / "keyring.json"
    env = {
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.crypto.file_keyring.Keyring",
        "TEST_KEYRING_FILE": str(store_file),
    }
    refused = run_cli("autoaudit-secrets", "keygen", cwd=tmp_path, env=env)
    _one_line_error(refused)
    assert "tests.crypto.file_keyring.Keyring has priority 0.5" in refused.stderr
    assert "--allow-insecure-keyring" in refused.stderr
    assert not store_file.exists() and not (tmp_path / ".env").exists()

    allowed = run_cli("autoaudit-secrets", "keygen", "--allow-insecure-keyring", cwd=tmp_path, env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout == "" and store_file.exists()
    assert run_cli("autoaudit-secrets", "set", "X_TOKEN", "tok-123456", cwd=tmp_path, env=env).returncode == 0
    # Reading needs the opt-in too: by flag, or by AUTOAUDIT_ALLOW_INSECURE_KEYRING.
    _one_line_error(run_cli("autoaudit-secrets", "get", "X_TOKEN", cwd=tmp_path, env=env))
    by_flag = run_cli(
        "autoaudit-secrets", "get", "X_TOKEN", "--allow-insecure-keyring", cwd=tmp_path, env=env
    )
    assert by_flag.stdout == "tok-123456\n", by_flag.stderr
    by_env = run_cli(
        "autoaudit-secrets",
        "get",
        "X_TOKEN",
        cwd=tmp_path,
        env={**env, "AUTOAUDIT_ALLOW_INSECURE_KEYRING": "1"},
    )
    assert by_env.stdout == "tok-123456\n", by_env.stderr


def test_a_private_key_inside_the_env_file_is_warned_about_not_encrypted(project: Project) -> None:
    with project.env_file.open("a") as handle:
        handle.write(f"AUTOAUDIT_PRIVATE_KEY={project.key}\nAPP_SECRET=s-123456789\n")
    result = project.cli("encrypt")
    assert result.returncode == 0, result.stderr
    assert "warning: .env sets AUTOAUDIT_PRIVATE_KEY" in result.stderr
    assert_no_leak(result.output, [project.key, "s-123456789"])
    text = project.env_file.read_text()
    assert f"AUTOAUDIT_PRIVATE_KEY={project.key}\n" in text and "APP_SECRET=enc:v1:" in text


def test_run_without_a_dotenv_opens_encrypted_environment_values(tmp_path: Path) -> None:
    from autoaudit_secrets.crypto import encrypt_value

    key = generate_private_key()
    env = {
        "HOME": str(tmp_path),
        "AUTOAUDIT_PRIVATE_KEY": key.to_text(),
        "API_TOKEN": encrypt_value("API_TOKEN", API_TOKEN, key.public_key),
        "WANT": API_TOKEN,
    }
    result = run_cli(
        "autoaudit-secrets", "run", "--", "sh", "-c", 'test "$API_TOKEN" = "$WANT"', cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    missing = run_cli(
        "autoaudit-secrets", "run", "--env-file", "nope.env", "--", "true", cwd=tmp_path, env=env
    )
    _one_line_error(missing)

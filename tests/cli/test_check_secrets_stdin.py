"""``check-secrets scan -``: standard input scanned as one file, as real subprocesses.

Secret values are made at run time and never printed: every output and file goes through ``assert_no_leak``.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_check_secrets_cli import CONFIG  # the extra rule acme-api-key
from tests.conftest import BIN_DIR, CliResult, assert_no_leak, json_report, report_places, run_cli


def _key() -> str:
    return "acme_" + secrets.token_hex(16)


def _password() -> str:
    return "Q" + secrets.token_urlsafe(14).replace("-", "x").replace("_", "y") + "7z"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".check-secrets.toml").write_text(CONFIG)
    return tmp_path


def _scan(root: Path, text: str, *args: str) -> CliResult:
    return run_cli("check-secrets", "scan", "-", *args, cwd=root, input=text)


def test_a_secret_on_stdin_is_reported_at_its_line_without_its_value(root: Path) -> None:
    key = _key()
    text = f"first line\nAPI = '{key}'\n"
    as_text = _scan(root, text)
    assert as_text.returncode == 1, as_text.output
    assert "stdin:2:" in as_text.stdout and "acme-api-key" in as_text.stdout
    as_json = _scan(root, text, "--format", "json")
    assert report_places(json_report(as_json)) == [("acme-api-key", "stdin", 2)]
    sarif = _scan(root, text, "--format", "sarif")
    assert sarif.returncode == 1 and '"uri": "stdin"' in sarif.stdout, sarif.output
    assert_no_leak(as_text.output + as_json.output + sarif.output, [key])
    # the configuration of the current directory applies as to a file
    assert _scan(root, text, "--disable", "acme-api-key").returncode == 0
    assert _scan(root, "nothing here\n").returncode == 0
    assert _scan(root, "").returncode == 0


def test_the_stdin_name_decides_which_analyzers_run_and_where_findings_go(root: Path) -> None:
    password = _password()
    text = f"DB_PASSWORD={password}\n"
    as_dotenv = report_places(
        json_report(_scan(root, text, "--stdin-name", "./deploy//.env", "--format", "json"))
    )
    unnamed = report_places(json_report(_scan(root, text, "--format", "json")))
    assert ("dotenv-plaintext-secret", "deploy/.env", 1) in as_dotenv
    assert all(path == "deploy/.env" for _, path, _ in as_dotenv)
    assert unnamed and all(path == "stdin" for _, path, _ in unnamed)
    assert "dotenv-plaintext-secret" not in {rule for rule, _, _ in unnamed}  # the .env analyzer goes by name
    dockerfile = f"FROM python:3.12-slim\nENV DB_PASSWORD={password}\n"
    found = report_places(
        json_report(_scan(root, dockerfile, "--stdin-name", "Dockerfile", "--format", "json"))
    )
    assert ("docker-env-secret", "Dockerfile", 2) in found
    plain = report_places(json_report(_scan(root, dockerfile, "--format", "json")))
    assert "docker-env-secret" not in {rule for rule, _, _ in plain}


def test_input_larger_than_max_file_size_is_scanned_head_and_tail_at_real_line_numbers(root: Path) -> None:
    first, middle, last = _key(), _key(), _key()
    filler = "".join(f"line {i} of plain text, nothing secret here\n" for i in range(2000))
    text = f"a = '{first}'\n{filler}b = '{middle}'\n{filler}c = '{last}'\n"
    result = _scan(root, text, "--max-file-size", "16k", "--format", "json")
    report = json_report(result)
    assert report_places(report) == [("acme-api-key", "stdin", 1), ("acme-api-key", "stdin", 4003)]
    stats = report["stats"]
    assert isinstance(stats, dict) and stats["files_truncated"] == 1
    whole = json_report(_scan(root, text, "--format", "json"))
    assert [line for _, _, line in report_places(whole)] == [1, 2002, 4003]
    assert_no_leak(result.output + json.dumps(whole), [first, middle, last])


def test_a_baseline_made_from_stdin_accepts_the_same_input(root: Path) -> None:
    key = _key()
    text = f"token: {key}\n"
    created = run_cli(
        "check-secrets", "baseline", "create", "-o", "base.json", "-", "--stdin-name", "ci.yml",
        cwd=root, input=text,
    )  # fmt: skip
    assert created.returncode == 0, created.output
    baseline = (root / "base.json").read_text()
    assert_no_leak(created.output + baseline, [key], where="the baseline")
    assert _scan(root, text, "--stdin-name", "ci.yml", "--baseline", "base.json").returncode == 0
    # another name is another place: the baseline does not accept it there
    assert _scan(root, text, "--baseline", "base.json").returncode == 1


def test_non_utf8_and_binary_input(root: Path) -> None:
    key = _key()
    latin1 = f"# caf\xe9\nkey = {key}\n".encode("latin-1")
    binary = b"\x00\x01\x02" + key.encode() + b"\n"
    for data, code, rule_lines in ((latin1, 1, [2]), (binary, 0, [])):
        proc = subprocess.run(
            [str(BIN_DIR / "check-secrets"), "scan", "-", "--format", "json"],
            cwd=root, input=data, capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        out = proc.stdout.decode() + proc.stderr.decode()
        assert proc.returncode == code, out
        report = json.loads(proc.stdout)
        assert [f["line"] for f in report["findings"]] == rule_lines
        if not rule_lines:  # not text: said to be skipped, never counted as scanned
            assert report["stats"]["files_skipped"] == 1 and report["stats"]["files_scanned"] == 0
        assert_no_leak(out, [key])


def _stdin_bytes(root: Path, data: bytes, *args: str) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [str(BIN_DIR / "check-secrets"), "scan", "-", "--format", "json", *args],
        cwd=root, input=data, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode in (0, 1), out
    return proc.returncode, json.loads(proc.stdout), out


def test_an_archive_on_stdin_is_opened_under_the_stdin_name(root: Path) -> None:
    import gzip
    import io
    import zipfile

    key = _key()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config/app.properties", f"api={key}\n")
    code, report, out = _stdin_bytes(root, buffer.getvalue(), "--stdin-name", "backup.zip")
    assert code == 1 and report_places(report) == [("acme-api-key", "backup.zip!config/app.properties", 1)]
    assert_no_leak(out, [key])
    # a gzip-compressed dump, named by the stdin name without its suffix
    code, report, out = _stdin_bytes(
        root, gzip.compress(f"-- {key}\n".encode()), "--stdin-name", "dump.sql.gz"
    )
    assert code == 1 and report_places(report) == [("acme-api-key", "dump.sql.gz!dump.sql", 1)]
    # --max-archive-depth 0: a binary input again, skipped
    code, report, out = _stdin_bytes(root, buffer.getvalue(), "--max-archive-depth", "0")
    assert code == 0 and report["stats"]["files_skipped"] == 1 and report["findings"] == []
    # damaged: counted as read partly, not clean
    code, report, out = _stdin_bytes(root, b"PK\x03\x04" + b"\xff" * 300)
    assert code == 0 and report["stats"]["archives_incomplete"] == 1
    # over the 64 MiB an archive is held in memory: held in a temporary file, opened all the same
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("lib/big.bin", b"\0" * (65 * 1024 * 1024))
        archive.writestr("config/app.properties", f"api={key}\n")
    code, report, out = _stdin_bytes(root, buffer.getvalue(), "--stdin-name", "app.jar")
    assert code == 1 and report_places(report) == [("acme-api-key", "app.jar!config/app.properties", 1)]
    assert_no_leak(out, [key])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-", "."], "scanned alone"),
        (["--stdin-name", "x.py"], "--stdin-name goes with the PATH -"),
        (["-", "--shard", "1/2"], "--shard does not apply"),
        (["-", "--stdin-name", "../x"], "relative file name"),
        (["-", "--stdin-name", "/etc/x"], "relative file name"),
        (["-", "--stdin-name", "a\\b"], "relative file name"),
        (["-", "--stdin-name", "./"], "relative file name"),
        (["-", "--stdin-name", "x\x1b[31m"], "relative file name"),
    ],
)
def test_usage_errors_are_one_line(root: Path, args: list[str], message: str) -> None:
    result = run_cli("check-secrets", "scan", *args, cwd=root, input="")
    assert result.returncode == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "\x1b" not in result.stderr


def test_a_file_named_dash_is_still_a_file(root: Path) -> None:
    key = _key()
    (root / "-").write_text(f"k = {key}\n")
    result = run_cli("check-secrets", "scan", "./-", "--format", "json", cwd=root, input="")
    assert report_places(json_report(result)) == [("acme-api-key", "-", 1)]
    assert_no_leak(result.output, [key])


def test_closed_stdin_is_a_usage_error(root: Path) -> None:
    code = (
        "import sys; sys.stdin.close(); sys.stdin = None; sys.argv = ['check-secrets', 'scan', '-'];"
        "from autoaudit_secrets._cli.scan_main import main; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "standard input" in proc.stderr and "Traceback" not in proc.stderr

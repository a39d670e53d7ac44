"""``--format csv`` and ``--format junit`` of the scanning commands, as real subprocesses.

Secret values are made at run time and never printed: every output goes through ``assert_no_leak``.
"""

from __future__ import annotations

import csv
import io
import secrets
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.test_check_secrets_cli import CONFIG  # the extra rule acme-api-key
from tests.conftest import CliResult, assert_no_leak, git, json_report, run_cli


def _key() -> str:
    return "acme_" + secrets.token_hex(16)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, list[str]]:
    keys = [_key(), _key()]
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".check-secrets.toml").write_text(CONFIG)
    (tmp_path / "app.py").write_text(f"API = '{keys[0]}'\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "first")
    (tmp_path / "app.py").write_text(f"API = '{keys[1]}'\n")
    git(tmp_path, "commit", "-qam", "second")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01" * 64)
    return tmp_path, keys


def _cs(root: Path, *args: str) -> CliResult:
    return run_cli("check-secrets", *args, cwd=root)


def test_csv_rows_match_the_json_findings_and_the_summary_goes_to_stderr(
    repo: tuple[Path, list[str]],
) -> None:
    root, keys = repo
    result = _cs(root, "scan", "--format", "csv")
    assert result.returncode == 1, result.output
    assert_no_leak(result.output, keys)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    findings = json_report(_cs(root, "scan", "--format", "json"))["findings"]
    assert isinstance(findings, list)
    assert [(r["rule"], r["path"], int(r["line"]), r["fingerprint"]) for r in rows] == [
        (f["rule"], f["path"], f["line"], f["fingerprint"]) for f in findings
    ]
    # stdout is the CSV alone; what was read and skipped is said on stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("check-secrets: 1 finding (1 error, 0 warnings); ")
    assert "1 skipped (binary" in result.stderr


def test_csv_of_the_history_names_each_commit(repo: tuple[Path, list[str]]) -> None:
    root, keys = repo
    result = _cs(root, "git", "--all", "--format", "csv")
    assert result.returncode == 1, result.output
    assert_no_leak(result.output, keys)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    shas = git(root, "rev-list", "--reverse", "HEAD").split()
    assert sorted((r["commit"], r["author_email"]) for r in rows) == sorted(
        (sha, "author@example.test") for sha in shas
    )


def test_junit_to_a_file_with_fail_on_deciding_failed_or_skipped(repo: tuple[Path, list[str]]) -> None:
    root, keys = repo
    out = root.parent / "report.xml"
    result = _cs(root, "git", "--all", "--format", "junit", "--output", str(out))
    assert result.returncode == 1, result.output
    text = out.read_text(encoding="utf-8")
    assert_no_leak(text + result.output, keys)
    suites = ET.fromstring(text.encode())
    assert (suites.attrib["tests"], suites.attrib["failures"], suites.attrib["skipped"]) == ("3", "2", "0")
    names = [case.attrib["name"] for case in suites.iter("testcase")]
    assert names[0] == "scan" and len(set(names)) == 3  # the same line in two commits: two test cases
    # a rule lowered to warning fails nothing: its findings are skipped tests, and the exit code is 0
    lowered = _cs(root, "scan", "--format", "junit", "--config", str(_warning_config(root)))
    assert lowered.returncode == 0, lowered.output
    suites = ET.fromstring(lowered.stdout.encode())
    assert (suites.attrib["failures"], suites.attrib["skipped"]) == ("0", "1")


def _warning_config(root: Path) -> Path:
    path = root.parent / "warning.toml"
    path.write_text(CONFIG.replace('id = "acme-api-key"', 'id = "acme-api-key"\nseverity = "warning"'))
    return path


def test_a_clean_junit_report_is_one_passing_test_that_says_what_was_skipped(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00" * 10)
    result = _cs(tmp_path, "scan", "--format", "junit")
    assert result.returncode == 0, result.output
    suites = ET.fromstring(result.stdout.encode())
    assert (suites.attrib["tests"], suites.attrib["failures"]) == ("1", "0")
    assert "1 skipped" in (suites.findtext("testsuite/testcase/system-out") or "")

"""check-secrets on hostile file names: bytes that are not UTF-8, terminal escapes, newlines, spaces.

Paths are shown in every report (they are not secret); a name must never break a report's encoding nor
drive the terminal of whoever reads the text report.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BIN_DIR, assert_no_leak

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs a byte-name file system")

_BAD = b"bad\xffname.py"
_ESC = b"esc\x1b[31mred\x1b]0;title\x07\nnl.py"


def _token() -> str:
    return "ghp_" + secrets.token_hex(18)


def _run(cwd: Path, *args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": os.environ["PATH"], "LANG": lang, "LC_ALL": lang, "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(
        [str(BIN_DIR / "check-secrets"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, str]:
    token = _token()
    root = tmp_path / "tree"
    root.mkdir()
    for name in (_BAD, _ESC, b"with space \xc3\xa9.py"):
        with open(os.path.join(os.fsencode(root), name), "w") as handle:
            handle.write(f'TOKEN = "{token}"\n')
    return root, token


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_reports_are_valid_utf8_json_and_name_every_file(tree: tuple[Path, str], fmt: str) -> None:
    root, token = tree
    for to_file in (False, True):
        args = ["scan", ".", "--format", fmt, *(["--output", "r.out"] if to_file else [])]
        result = _run(root, *args)
        assert result.returncode == 1, result.stderr.decode(errors="replace")
        raw = (root / "r.out").read_bytes() if to_file else result.stdout
        text = raw.decode("utf-8")  # strict: the report must be valid UTF-8
        assert_no_leak(text + result.stderr.decode(errors="replace"), [token])
        document = json.loads(text)
        if fmt == "json":
            names = {os.fsencode(f["path"]) for f in document["findings"]}
        else:
            from urllib.parse import unquote_to_bytes

            names = {
                unquote_to_bytes(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
                for r in document["runs"][0]["results"]
            }
        assert names == {_BAD, _ESC, "with space é.py".encode()}
        (root / "r.out").unlink(missing_ok=True)


@pytest.mark.parametrize("fmt", ["csv", "junit"])
def test_csv_and_junit_reports_are_valid_utf8_one_line_per_field_and_name_every_file(
    tree: tuple[Path, str], fmt: str
) -> None:
    import csv
    import io
    import xml.etree.ElementTree as ET

    root, token = tree
    result = _run(root, "scan", ".", "--format", fmt)
    assert result.returncode == 1, result.stderr.decode(errors="replace")
    text = result.stdout.decode("utf-8")  # strict: the report must be valid UTF-8
    assert_no_leak(text + result.stderr.decode(errors="replace"), [token])
    assert "\x1b" not in text and "\x07" not in text
    if fmt == "csv":
        assert len(text.splitlines()) == 4  # the header and three rows: the newline in a name is escaped
        names = {row["path"] for row in csv.DictReader(io.StringIO(text))}
    else:
        cases = ET.fromstring(result.stdout).iter("testcase")
        names = {case.attrib["file"] for case in cases if "file" in case.attrib}
    # names shown as the text report shows them: odd bytes and control characters escaped
    assert names == {"bad\\udcffname.py", "esc\\x1b[31mred\\x1b]0;title\\x07\\nnl.py", "with space é.py"}


def test_text_report_carries_no_terminal_control_characters(tree: tuple[Path, str]) -> None:
    root, token = tree
    result = _run(root, "scan", ".", "--color")
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode("utf-8")
    assert_no_leak(out, [token])
    # --color adds SGR sequences of its own; none may come from a name (OSC title, BEL, raw newline).
    assert "\x07" not in out and "\x1b]" not in out
    assert "\x1b[31mred" not in out
    assert sum("github-pat-classic" in line for line in out.splitlines()) == 3


def test_text_report_of_a_non_utf8_name_in_a_strict_locale(tree: tuple[Path, str]) -> None:
    root, _ = tree
    result = _run(root, "scan", ".", "--format", "text", lang="C")
    assert result.returncode == 1, result.stderr
    assert b"Traceback" not in result.stderr
    result.stdout.decode("utf-8")


def test_baseline_of_a_non_utf8_name_is_written_and_accepts_the_finding(tree: tuple[Path, str]) -> None:
    root, token = tree
    # Outside the tree, so the tree holds only the three odd names.
    created = _run(root, "baseline", "create", ".", "-o", "../base.json")
    assert created.returncode == 0, created.stderr
    raw = (root.parent / "base.json").read_bytes()
    document = json.loads(raw.decode("utf-8"))
    assert {os.fsencode(e["path"]) for e in document["findings"]} == {_BAD, _ESC, "with space é.py".encode()}
    rescan = _run(root, "scan", ".", "--baseline", "../base.json")
    assert rescan.returncode == 0, rescan.stderr
    assert_no_leak(raw.decode() + (created.stdout + created.stderr + rescan.stdout).decode(), [token])


def test_allow_paths_filter_of_the_cli_matches_a_non_utf8_name() -> None:
    # In-process: the CLI's own allow-paths filter (the engine applies allow-paths too).
    from autoaudit_secrets._cli._scan_output import apply_config_filters
    from autoaudit_secrets.scan._model import Finding, ScanConfig, Severity

    def finding(name: bytes) -> Finding:
        return Finding("r", Severity.ERROR, os.fsdecode(name), 1, 1, 1, 2, "m", "p")

    config = ScanConfig(allow_paths=("bad*name.py",))
    kept, dropped = apply_config_filters([finding(_BAD), finding(b"other\xfe.py")], config)
    assert dropped == 1
    assert [os.fsencode(f.path) for f in kept] == [b"other\xfe.py"]

"""The CSV and JUnit XML reports: their shape, and that hostile text cannot break them or reach a spreadsheet
as a formula."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from autoaudit_secrets.scan._model import (
    CommitInfo,
    Finding,
    ImageOrigin,
    MessageOrigin,
    OutputFormat,
    ScanStats,
    Severity,
)
from autoaudit_secrets.scan.report import render_report
from autoaudit_secrets.scan.report._csv import CSV_COLUMNS
from tests.conftest import assert_no_leak
from tests.scan.test_report import SECRETS, STATS, ctx, findings


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _csv(tmp_path: Path, found: list[Finding], stats: ScanStats = STATS) -> str:
    text = render_report(OutputFormat.CSV, found, stats, ctx(tmp_path))
    assert_no_leak(text, SECRETS, where="CSV report")
    return text


def _junit(tmp_path: Path, found: list[Finding], stats: ScanStats = STATS, **kw: Severity) -> ET.Element:
    text = render_report(OutputFormat.JUNIT, found, stats, replace(ctx(tmp_path), **kw))
    assert_no_leak(text, SECRETS, where="JUnit report")
    return ET.fromstring(text.encode("utf-8"))  # (well formed, or this raises)


def _fingerprints(tmp_path: Path) -> dict[tuple[str, str, int], str]:
    document = json.loads(render_report(OutputFormat.JSON, findings(), STATS, ctx(tmp_path)))
    return {(f["rule"], f["path"], f["line"]): f["fingerprint"] for f in document["findings"]}


# -- CSV ----------------------------------------------------------------------------------------------------


def test_csv_has_a_header_and_one_row_per_finding_in_report_order(tmp_path: Path) -> None:
    text = _csv(tmp_path, findings())
    assert text.splitlines()[0] == ",".join(f'"{c}"' for c in CSV_COLUMNS)
    rows = _rows(text)
    # sorted as every report is: by path, then line
    assert [(r["path"], r["line"], r["rule"]) for r in rows] == [
        ("Dockerfile", "2", "docker-secret-build-arg"),
        ("config/db settings.yml", "7", "generic-password"),
        ("src/app.py", "3", "acme-api-key"),
    ]
    acme = rows[2]
    assert (acme["severity"], acme["column"], acme["end_line"], acme["end_column"]) == (
        "error",
        "9",
        "3",
        "46",
    )
    assert (acme["preview"], acme["message"]) == ("acme…****", "ACME API key")
    assert (acme["commit"], acme["author_email"], acme["date"]) == (
        "ab" * 20,
        "dev@example.test",
        "2024-05-01T10:00:00+00:00",
    )
    assert rows[0]["related"] == "docker/base.Dockerfile:4" and rows[0]["commit"] == ""


def test_csv_fingerprints_are_the_json_reports(tmp_path: Path) -> None:
    expected = _fingerprints(tmp_path)
    rows = _rows(_csv(tmp_path, findings()))
    assert {(r["rule"], r["path"], int(r["line"])): r["fingerprint"] for r in rows} == expected


def test_csv_numbers_are_unquoted_and_text_quoted(tmp_path: Path) -> None:
    line = _csv(tmp_path, findings()).splitlines()[1]
    assert line.startswith('"docker-secret-build-arg","warning","Dockerfile",2,1,2,20,"')


@pytest.mark.parametrize(
    "path",
    ['=HYPERLINK("https://evil.example","x").py', "+1+cmd.py", "-2+3.yml", "@SUM(A1).env", "=1.env"],
)
def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(tmp_path: Path, path: str) -> None:
    finding = replace(findings()[0], path=path, preview="-----BEGIN…****", message="=cmd|' /C calc'!A0")
    (row,) = _rows(_csv(tmp_path, [finding]))
    assert row["path"] == "'" + path
    assert row["preview"] == "'-----BEGIN…****"
    assert row["message"] == "'=cmd|' /C calc'!A0"


def test_csv_leaves_ordinary_cells_alone(tmp_path: Path) -> None:
    finding = replace(findings()[0], path="a=b/+c@d.py")
    (row,) = _rows(_csv(tmp_path, [finding]))
    assert row["path"] == "a=b/+c@d.py"


def test_csv_rows_stay_one_line_whatever_the_file_name(tmp_path: Path) -> None:
    hostile = 'esc\x1b[31mred\nnl\r,"q".py' + b"\xff".decode("utf-8", "surrogateescape")
    finding = replace(findings()[0], path=hostile)
    text = _csv(tmp_path, [finding, findings()[1]])
    text.encode("utf-8")  # strict: valid UTF-8
    assert len(text.splitlines()) == 3
    assert "\x1b" not in text and "\r" not in text
    rows = _rows(text)
    assert rows[0]["path"] == 'esc\\x1b[31mred\\nnl\\r,"q".py\\udcff'


def test_csv_of_images_and_git_messages(tmp_path: Path) -> None:
    base = findings()[1]
    image = replace(
        base,
        path="app/.env",
        commit=None,
        image=ImageOrigin(image="registry.example/api:1.2", platform="linux/amd64", layer_index=3),
    )
    tag = replace(
        base,
        path="",
        git_message=MessageOrigin(kind="tag", sha="cd" * 20, tag="v1.2"),
        commit=CommitInfo("ef" * 20, "", ""),
    )
    commit = replace(base, path="", git_message=MessageOrigin(kind="commit", sha="ab" * 20))
    rows = _rows(_csv(tmp_path, [image, tag, commit]))
    by_message = {r["git_message"]: r for r in rows}
    assert by_message[""]["image"] == "registry.example/api:1.2"
    assert (by_message[""]["platform"], by_message[""]["layer_index"]) == ("linux/amd64", "3")
    assert by_message["tag v1.2"]["commit"] == "ef" * 20
    assert by_message[f"commit {'ab' * 20}"]["path"] == ""


def test_csv_without_findings_is_the_header_alone(tmp_path: Path) -> None:
    assert _csv(tmp_path, []).splitlines() == [",".join(f'"{c}"' for c in CSV_COLUMNS)]


# -- JUnit --------------------------------------------------------------------------------------------------


def test_junit_counts_and_one_test_case_per_finding(tmp_path: Path) -> None:
    root = _junit(tmp_path, findings())
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    for element in (root, suite):
        assert element.attrib["tests"] == "4"  # the three findings and the scan itself
        assert (element.attrib["failures"], element.attrib["skipped"]) == ("2", "1")
        assert element.attrib["time"] == "0.250"
    cases = suite.findall("testcase")
    assert [c.attrib["name"] for c in cases] == [
        "scan",
        "docker-secret-build-arg at line 2, column 1",
        "generic-password at line 7, column 15",
        "acme-api-key at line 3, column 9 in commit abababababab",
    ]
    acme = cases[3]
    assert (acme.attrib["classname"], acme.attrib["file"], acme.attrib["line"]) == (
        "src/app.py",
        "src/app.py",
        "3",
    )
    failure = acme.find("failure")
    assert failure is not None and failure.attrib == {"type": "error", "message": "ACME API key"}
    body = failure.text or ""
    assert body.startswith("src/app.py:3:9: error [acme-api-key] ACME API key\n")
    assert "secret: acme…****" in body and "fix:    Revoke it in the ACME console" in body
    assert f"fingerprint: {_fingerprints(tmp_path)[('acme-api-key', 'src/app.py', 3)]}" in body


def test_junit_findings_below_fail_on_are_skipped_not_failed(tmp_path: Path) -> None:
    suite = _junit(tmp_path, findings()).find("testsuite")
    assert suite is not None
    warning = suite.findall("testcase")[1]
    assert warning.find("failure") is None
    skipped = warning.find("skipped")
    assert skipped is not None and skipped.attrib["message"].startswith("warning, below --fail-on error: ")
    assert "Dockerfile:2:1: warning" in (warning.findtext("system-out") or "")
    everything = _junit(tmp_path, findings(), fail_on=Severity.WARNING)
    assert (everything.attrib["failures"], everything.attrib["skipped"]) == ("3", "0")


def test_junit_says_what_was_not_read_even_without_findings(tmp_path: Path) -> None:
    stats = replace(STATS, files_truncated=2, archives_incomplete=1)
    root = _junit(tmp_path, [], stats)
    assert (root.attrib["tests"], root.attrib["failures"]) == ("1", "0")
    summary = root.findtext("testsuite/testcase/system-out") or ""
    assert summary.startswith("check-secrets: no findings (12 files scanned")
    assert (
        "1 skipped" in summary and "2 over --max-file-size" in summary and "1 archive read partly" in summary
    )
    properties = {p.attrib["name"]: p.attrib["value"] for p in root.iter("property")}
    assert properties["files_skipped"] == "1" and properties["archives_incomplete"] == "1"
    assert properties["matcher"] == "re" and properties["tool_version"] == "0.1.0"


def test_junit_stays_well_formed_whatever_the_names_hold(tmp_path: Path) -> None:
    hostile = "a&b<c>\"d'e]]>\x00\x1b[2J\nf\ud800" + b"\xff".decode("utf-8", "surrogateescape") + "\ufffe.py"
    tag = MessageOrigin(kind="tag", sha="cd" * 20, tag="v1\x07<&>")
    found = [
        replace(findings()[1], path=hostile, message="<b>&amp;\x0c"),
        replace(findings()[1], path="", git_message=tag),
    ]
    root = _junit(tmp_path, found)
    cases = root.findall("testsuite/testcase")
    assert cases[2].attrib["file"] == "a&b<c>\"d'e]]>\\x00\\x1b[2J\\nf\\ud800\\udcff\\ufffe.py"
    assert cases[2].find("failure").attrib["message"] == "<b>&amp;\\x0c"  # type: ignore[union-attr]
    assert cases[1].attrib["classname"] == "tag message of v1\\x07<&>"
    assert "file" not in cases[1].attrib  # no file holds a git message

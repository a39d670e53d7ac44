"""check-secrets reports: ``text`` (for people), ``json`` (versioned, documented by
``check-secrets-report.schema.json`` beside this file), ``sarif`` (2.1.0, for GitHub code scanning), ``csv``
(one row per finding, for spreadsheets) and ``junit`` (JUnit XML, for CI test dashboards).

Every reporter takes the same :class:`ReportContext` and returns the whole report as a string. Reports show
redacted previews only; no secret value ever reaches them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._fingerprint import FingerprintCache
from .._model import Finding, OutputFormat, Rule, ScanStats, Severity
from ._jsonwrite import indented_json

__all__ = [
    "JSON_REPORT_VERSION",
    "SCHEMA_PATH",
    "ReportContext",
    "dump_json",
    "path_bytes",
    "render_report",
    "sort_findings",
]

#: Version of the JSON report format (``"version"`` in every JSON report). Bumped on incompatible changes.
JSON_REPORT_VERSION = 1
#: The JSON Schema of the JSON report.
SCHEMA_PATH = Path(__file__).resolve().parent / "check-secrets-report.schema.json"


@dataclass(frozen=True, slots=True)
class ReportContext:
    """Everything a reporter needs besides the findings and stats.

    ``root`` is the scanned root (finding paths are relative to it); ``rules`` maps rule ids to rule records
    for descriptions and remediation (findings of unknown ids still render); ``fingerprints`` computes the
    published fingerprints; ``color`` enables ANSI colours in the text report; ``fail_on`` is the lowest
    severity that fails the run (the JUnit report shows only those findings as failed tests)."""

    root: Path
    rules: Mapping[str, Rule] = field(default_factory=dict)
    fingerprints: FingerprintCache = field(default_factory=FingerprintCache)
    color: bool = False
    tool_version: str = ""
    fail_on: Severity = Severity.ERROR


_SURROGATE = re.compile("[\ud800-\udfff]")


def dump_json(document: Any) -> str:
    """``document`` as indented JSON that is always valid UTF-8.

    A file name that is not valid UTF-8 reaches us with its odd bytes as lone surrogates (Python's
    ``surrogateescape``); written raw they would make the report invalid UTF-8 (or fail to encode). They are
    written as JSON ``\\udcXX`` escapes instead: valid JSON that a reader such as Python's ``json`` turns
    back into the same string (``os.fsencode`` then gives the exact file name)."""
    text = indented_json(document)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def path_bytes(path: str) -> bytes:
    """The bytes of a finding path as they are on disk (undoing ``surrogateescape``), e.g. for a URI."""
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return path.encode("utf-8", "backslashreplace")


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """The order every report uses: (image, platform,) path (for a git message: "", then the kind of message
    and its commit or tag), line, column, rule id, then commit."""
    return sorted(
        findings,
        key=lambda f: (
            (f.image.image, f.image.platform) if f.image else ("", ""),
            f.path,
            (f.git_message.kind, f.git_message.sha) if f.git_message else ("", ""),
            f.line,
            f.column,
            f.rule_id,
            f.commit.sha if f.commit else "",
        ),
    )


def render_report(
    fmt: OutputFormat, findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext
) -> str:
    """The whole report in format ``fmt``, ending with a newline."""
    ordered = sort_findings(findings)
    if fmt is OutputFormat.JSON:
        from ._json import render_json

        return render_json(ordered, stats, ctx)
    if fmt is OutputFormat.SARIF:
        from ._sarif import render_sarif

        return render_sarif(ordered, stats, ctx)
    if fmt is OutputFormat.CSV:
        from ._csv import render_csv

        return render_csv(ordered, stats, ctx)
    if fmt is OutputFormat.JUNIT:
        from ._junit import render_junit

        return render_junit(ordered, stats, ctx)
    from ._text import render_text

    return render_text(ordered, stats, ctx)

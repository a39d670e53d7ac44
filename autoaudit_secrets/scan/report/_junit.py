"""The JUnit XML report, for the test dashboards of CI systems (GitLab ``artifacts:reports:junit``, Jenkins,
Azure Pipelines, GitHub test-report actions).

::

    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites name="check-secrets" tests="3" failures="1" errors="0" skipped="1" time="0.052">
      <testsuite name="check-secrets" tests="3" failures="1" errors="0" skipped="1" time="0.052">
        <properties><property name="files_scanned" value="10"/>...</properties>
        <testcase classname="check-secrets" name="scan" time="0.052">
          <system-out>check-secrets: 2 findings (1 error, 1 warning); 10 files scanned ...</system-out>
        </testcase>
        <testcase classname="src/app.py" name="aws-access-key-id at line 3, column 9" file="src/app.py" ...>
          <failure type="error" message="AWS access key ID found">src/app.py:3:9: error [...] ...</failure>
        </testcase>
        <testcase ...><skipped message="warning, below --fail-on: ..."/></testcase>
      </testsuite>
    </testsuites>

- One test case per finding. A finding at or above ``--fail-on`` is a failed test; one below it is a skipped
  test (the run does not fail for it, and a passed test would hide it). Its body is the text report's block:
  place, rule, redacted preview, commit, fix.
- One more test case, ``scan``, always passes and holds the summary line (what was scanned, skipped, read
  partly), so a report of no findings still says what was not read; the same counts are ``properties``.
- The test case is named after the rule and the place (and the commit, in history): unique per finding, so
  dashboards that track tests across runs track findings.

Everything taken from the scanned repository (file names, e-mails, tag names, custom rules' messages) has its
control characters escaped as in the text report, which also keeps the XML well formed (XML 1.0 cannot hold
most control characters or lone surrogates, even as references); ``&``, ``<``, ``>`` and quotes are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from .._config import printable
from .._model import Finding, ScanStats
from . import ReportContext
from ._json import stats_to_dict
from ._text import finding_lines, message_place, shown_path, summary_line

__all__ = ["render_junit"]

_SUITE = "check-secrets"


def _attr(text: str) -> str:
    return quoteattr(printable(text))


def _testcase(finding: Finding, ctx: ReportContext) -> list[str]:
    if finding.git_message is not None:
        where = message_place(finding.git_message)
        file_attrs = ""
    else:
        where = shown_path(finding)
        file_attrs = "" if finding.image is not None else f" file={_attr(finding.path)}"
    name = f"{finding.rule_id} at line {max(finding.line, 1)}, column {max(finding.column, 1)}"
    if finding.commit is not None and finding.git_message is None:
        name += f" in commit {finding.commit.sha[:12]}"
    head = (
        f"    <testcase classname={_attr(where)} name={_attr(name)}{file_attrs}"
        f' line="{max(finding.line, 1)}" time="0">'
    )
    lines = finding_lines(finding, ctx)
    lines.insert(1, f"    fingerprint: {ctx.fingerprints.get(finding)}")
    body = escape("\n".join(lines))
    message = printable(finding.message or finding.rule_id)
    if finding.severity.at_least(ctx.fail_on):
        verdict = (
            f"      <failure type={_attr(finding.severity.value)} message={_attr(message)}>{body}</failure>"
        )
    else:
        note = f"{finding.severity.value}, below --fail-on {ctx.fail_on.value}: {message}"
        verdict = f"      <skipped message={_attr(note)}/>\n      <system-out>{body}</system-out>"
    return [head, verdict, "    </testcase>"]


def render_junit(findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext) -> str:
    """The JUnit XML report of ``findings`` (already sorted)."""
    ctx.fingerprints.prepare(findings)
    failures = sum(1 for f in findings if f.severity.at_least(ctx.fail_on))
    counts = (
        f'tests="{len(findings) + 1}" failures="{failures}" errors="0" '
        f'skipped="{len(findings) - failures}" time="{stats.seconds:.3f}"'
    )
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="{_SUITE}" {counts}>',
        f'  <testsuite name="{_SUITE}" {counts}>',
        "    <properties>",
    ]
    if ctx.tool_version:
        lines.append(f'      <property name="tool_version" value={_attr(ctx.tool_version)}/>')
    for key, value in stats_to_dict(findings, stats).items():
        if isinstance(value, (int, float, str)):
            lines.append(f'      <property name="{key}" value={_attr(str(value))}/>')
    lines.append("    </properties>")
    summary = escape(summary_line(findings, stats, ctx))
    lines.append(f'    <testcase classname="{_SUITE}" name="scan" time="{stats.seconds:.3f}">')
    lines.append(f"      <system-out>{summary}</system-out>")
    lines.append("    </testcase>")
    for finding in findings:
        lines.extend(_testcase(finding, ctx))
    lines.extend(["  </testsuite>", "</testsuites>"])
    return "\n".join(lines) + "\n"

"""The CSV report: a header row, then one row per finding, for spreadsheets and ad-hoc tooling.

::

    rule,severity,path,line,column,end_line,end_column,fingerprint,preview,message,commit,author_email,date,...
    "aws-access-key-id","error","src/app.py",3,9,3,29,"<32 hex>","AKIA…****","AWS access key ID found",...

Every text cell is quoted, numbers are not. Text cells come from the scanned repository (file names, commit
e-mails, tag names, custom rules' messages), so two things are done to them:

- control characters are escaped as in the text report (``\\n``, ``\\x1b``), so one finding is one line;
- a cell that would start with ``=``, ``+``, ``-`` or ``@`` gets a leading ``'``: a spreadsheet would run it
  as a formula (CSV injection; a file named ``=HYPERLINK(...)`` is a valid file name).

The stats (what was scanned, skipped or read partly) have no row of their own: use ``json``, ``sarif``,
``junit`` or ``text`` where those matter.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from .._config import printable
from .._model import Finding, ScanStats
from . import ReportContext

__all__ = ["CSV_COLUMNS", "render_csv"]

#: The header row. New columns are only ever added at the end.
CSV_COLUMNS = (
    "rule",
    "severity",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "fingerprint",
    "preview",
    "message",
    "commit",
    "author_email",
    "date",
    "related",
    "image",
    "platform",
    "layer_index",
    "git_message",
)

_FORMULA_STARTS = ("=", "+", "-", "@")


def _cell(text: str) -> str:
    shown = printable(text)
    return "'" + shown if shown.startswith(_FORMULA_STARTS) else shown


def _row(finding: Finding, ctx: ReportContext) -> list[str | int]:
    commit = finding.commit
    image = finding.image
    origin = finding.git_message
    if origin is None:
        message_of = ""
    elif origin.kind == "tag":
        message_of = f"tag {origin.tag or origin.sha}"
    else:
        message_of = f"commit {origin.sha}"
    return [
        finding.rule_id,
        finding.severity.value,
        _cell(finding.path),
        max(finding.line, 1),
        max(finding.column, 1),
        max(finding.end_line, finding.line, 1),
        max(finding.end_column, 1),
        ctx.fingerprints.get(finding),
        _cell(finding.preview),
        _cell(finding.message),
        commit.sha if commit else "",
        _cell(commit.author_email) if commit else "",
        _cell(commit.date) if commit else "",
        _cell(finding.related or ""),
        _cell(image.image) if image else "",
        _cell(image.platform or "") if image else "",
        image.layer_index if image and image.layer_index else "",
        _cell(message_of),
    ]


def render_csv(findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext) -> str:
    """The CSV report of ``findings`` (already sorted); ``stats`` are not part of it."""
    del stats
    ctx.fingerprints.prepare(findings)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_row(f, ctx) for f in findings)
    return out.getvalue()

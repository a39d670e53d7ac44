"""The JSON report: one versioned object, described by ``check-secrets-report.schema.json``.

::

    {
      "version": 1,
      "tool": {"name": "check-secrets", "version": "0.1.0"},
      "findings": [
        {"rule": "github-pat-classic", "severity": "error", "path": "src/app.py", "line": 3, "column": 9,
         "end_line": 3, "end_column": 49, "fingerprint": "<32 hex>", "preview": "ghp_…****",
         "message": "GitHub classic personal access token", "commit": {"sha": ..., "author_email": ...,
         "date": ...}, "related": "Dockerfile"}
      ],
      "stats": {"findings": 1, "errors": 1, "warnings": 0, "files_scanned": 10, "files_skipped": 0,
                "paths_excluded": 0, "files_truncated": 0, "archives_incomplete": 0, "messages_truncated": 0,
                "commits_unscanned": 0, "bytes_scanned": 1234, "seconds": 0.05, "findings_suppressed": 0,
                "findings_baselined": 0,
                "matcher": "hyperscan", "matcher_fallback": null}
    }

``commit`` (git modes) and ``related`` are present only when known. Paths are relative to the scanned root
with ``/`` separators. A finding in a git commit or tag message (``check-secrets git``) has ``"path": ""``
(no file) and ``git_message``: ``{"kind": "commit", "sha": ...}`` or ``{"kind": "tag", "sha": <tag object>,
"tag": <name>, "tagger_email": ..., "date": ...}``; its ``line`` and ``column`` are in the message (the
subject is line 1), and for a tag ``commit`` is the commit it points at. ``stats.truncated_messages`` (only
when ``messages_truncated`` is not 0) lists the messages scanned partly, as ``git_message`` objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._model import Finding, ImageOrigin, MessageOrigin, ScanStats, Severity
from . import JSON_REPORT_VERSION, ReportContext, dump_json

__all__ = ["finding_to_dict", "image_to_dict", "message_to_dict", "render_json", "stats_to_dict"]


def finding_to_dict(finding: Finding, ctx: ReportContext) -> dict[str, Any]:
    """One finding as a JSON object (no secret: fingerprint and redacted preview only)."""
    item: dict[str, Any] = {
        "rule": finding.rule_id,
        "severity": finding.severity.value,
        "path": finding.path,
        "line": max(finding.line, 1),
        "column": max(finding.column, 1),
        "end_line": max(finding.end_line, finding.line, 1),
        "end_column": max(finding.end_column, 1),
        "fingerprint": ctx.fingerprints.get(finding),
        "preview": finding.preview,
        "message": finding.message,
    }
    if finding.commit is not None:
        item["commit"] = {
            "sha": finding.commit.sha,
            "author_email": finding.commit.author_email,
            "date": finding.commit.date,
        }
    if finding.related:
        item["related"] = finding.related
    if finding.image is not None:
        item["image"] = image_to_dict(finding.image)
    if finding.git_message is not None:
        item["git_message"] = message_to_dict(finding.git_message)
    return item


def message_to_dict(origin: MessageOrigin) -> dict[str, Any]:
    """A git message finding's origin as a JSON object: ``kind`` and ``sha``; for a tag its name, tagger and
    date."""
    item: dict[str, Any] = {"kind": origin.kind, "sha": origin.sha}
    if origin.kind == "tag":
        item["tag"] = origin.tag
        item["tagger_email"] = origin.tagger_email
        item["date"] = origin.date
    return item


def image_to_dict(origin: ImageOrigin) -> dict[str, Any]:
    """An image finding's origin as a JSON object (only the fields that are known)."""
    item: dict[str, Any] = {"name": origin.image}
    if origin.platform:
        item["platform"] = origin.platform
    if origin.layer_index:
        item["layer_index"] = origin.layer_index
    if origin.layer_digest:
        item["layer_digest"] = origin.layer_digest
    if origin.history_index:
        item["history_index"] = origin.history_index
    if origin.created_by:
        item["created_by"] = origin.created_by
    if origin.config_field:
        item["config_field"] = origin.config_field
    if origin.deleted_in:
        item["deleted_in_layer"] = origin.deleted_in
    return item


def stats_to_dict(findings: Sequence[Finding], stats: ScanStats) -> dict[str, Any]:
    """The ``stats`` object: counts of reported findings plus the scan's own statistics."""
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    out: dict[str, Any] = {
        "findings": len(findings),
        "errors": errors,
        "warnings": len(findings) - errors,
        "files_scanned": stats.files_scanned,
        "files_skipped": stats.files_skipped,
        "paths_excluded": stats.paths_excluded,
        "files_truncated": stats.files_truncated,
        "archives_incomplete": stats.archives_incomplete,
        "messages_truncated": len(stats.messages_truncated),
        "commits_unscanned": stats.commits_unscanned,
        "bytes_scanned": stats.bytes_scanned,
        "seconds": round(stats.seconds, 3),
        "findings_suppressed": stats.findings_suppressed,
        "findings_baselined": stats.findings_baselined,
        "matcher": stats.matcher,
        "matcher_fallback": stats.matcher_fallback,
    }
    if stats.messages_truncated:
        out["truncated_messages"] = [message_to_dict(origin) for origin in stats.messages_truncated]
    return out


def render_json(findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext) -> str:
    """The JSON report of ``findings`` (already sorted)."""
    ctx.fingerprints.prepare(findings)
    document = {
        "version": JSON_REPORT_VERSION,
        "tool": {"name": "check-secrets", "version": ctx.tool_version},
        "findings": [finding_to_dict(f, ctx) for f in findings],
        "stats": stats_to_dict(findings, stats),
    }
    return dump_json(document)

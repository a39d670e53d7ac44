"""The human-readable report: one block per finding, then a summary line.

::

    config/app.py:12:14: error [aws-access-key-id] AWS access key ID in source
        secret: AKIA…****
        fix:    Deactivate the key in IAM, create a new one, ...

A finding in a git message has no file: its place reads ``commit message of 1a2b3c4d5e6f, line 3, column 14``
(or ``tag message of v1.2 ...``, with a ``tag:`` line naming the tag object, the tagger and the date).

Colours (severity, path) only when :attr:`ReportContext.color` is set; control characters in paths,
messages and previews are escaped so a crafted file name cannot drive the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._config import printable as _safe  # (control characters escaped: one line per field)
from .._model import Finding, ImageOrigin, MessageOrigin, ScanStats, Severity
from . import ReportContext

__all__ = ["finding_lines", "message_place", "render_text", "shown_path", "summary_line"]

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_SEVERITY_COLOR = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m"}
_GREEN = "\x1b[32m"


def _paint(text: str, code: str, ctx: ReportContext) -> str:
    return f"{code}{text}{_RESET}" if ctx.color else text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext) -> str:
    """The text report of ``findings`` (already sorted)."""
    lines: list[str] = []
    for finding in findings:
        lines.extend(finding_lines(finding, ctx))
    lines.append(summary_line(findings, stats, ctx))
    return "\n".join(lines) + "\n"


def finding_lines(finding: Finding, ctx: ReportContext) -> list[str]:
    """The text report's block for one finding: where, severity, rule and message, then the detail lines."""
    lines: list[str] = []
    rule = ctx.rules.get(finding.rule_id)
    if finding.git_message is not None:
        place = f"{message_place(finding.git_message)}, line {finding.line}, column {finding.column}"
    else:
        place = f"{_safe(shown_path(finding))}:{finding.line}:{finding.column}"
    where = _paint(place, _BOLD, ctx)
    severity = _paint(finding.severity.value, _SEVERITY_COLOR[finding.severity], ctx)
    message = finding.message or (rule.name if rule else finding.rule_id)
    lines.append(f"{where}: {severity} [{finding.rule_id}] {_safe(message)}")
    if finding.preview:
        lines.append(f"    secret: {_safe(finding.preview)}")
    if finding.git_message is not None and finding.git_message.kind == "tag":
        tag = finding.git_message
        lines.append(f"    tag:    {tag.sha[:12]} {_safe(tag.tagger_email)} {_safe(tag.date)}".rstrip())
    if finding.commit is not None:
        commit = finding.commit
        lines.append(f"    commit: {commit.sha[:12]} {_safe(commit.author_email)} {_safe(commit.date)}")
    if finding.related:
        lines.append(f"    via:    {_safe(finding.related)}")
    if finding.image is not None:
        lines.extend(_image_lines(finding.image))
    if rule is not None and rule.remediation:
        lines.append(_paint(f"    fix:    {_safe(' '.join(rule.remediation.split()))}", _DIM, ctx))
    return lines


def shown_path(finding: Finding) -> str:
    """``path``; for an image finding ``IMAGE:/path/in/image`` (or ``IMAGE:<config>``)."""
    origin = finding.image
    if origin is None:
        return finding.path
    inner = finding.path if finding.path.startswith("<") else "/" + finding.path
    return f"{origin.image}:{inner}"


def message_place(origin: MessageOrigin) -> str:
    """``commit message of <sha>`` or ``tag message of <name>`` (escaped: a tag name is the repository's)."""
    if origin.kind == "tag":
        return f"tag message of {_safe(origin.tag or origin.sha[:12])}"
    return f"commit message of {origin.sha[:12]}"


def _image_lines(origin: ImageOrigin) -> list[str]:
    lines: list[str] = []
    platform = f" {origin.platform}" if origin.platform else ""
    if origin.layer_index:
        digest = f" {origin.layer_digest[:19]}" if origin.layer_digest else ""
        lines.append(f"    layer:  {origin.layer_index}{digest}{_safe(platform)}")
    elif platform:
        lines.append(f"    image: {_safe(platform)}")
    if origin.config_field and origin.config_field != "history":
        lines.append(f"    in:     {_safe(origin.config_field)}")
    if origin.created_by:
        step = f"step {origin.history_index}: " if origin.history_index else ""
        lines.append(f"    by:     {step}{_safe(origin.created_by)}")
    return lines


def _fallback(stats: ScanStats) -> str:
    """The matcher fallback note as a line of its own after the summary (empty with Hyperscan)."""
    return f"\ncheck-secrets: note: {stats.matcher_fallback}" if stats.matcher_fallback else ""


def _messages_truncated(origins: Sequence[MessageOrigin]) -> str:
    """``2 git messages over 1 MiB scanned partly (commit <sha>, tag <name>)``: the first few named."""
    named = [
        f"tag {_safe(origin.tag or origin.sha[:12])}" if origin.kind == "tag" else f"commit {origin.sha[:12]}"
        for origin in origins[:_NAMED]
    ]
    if len(origins) > _NAMED:
        named.append(f"{len(origins) - _NAMED} more")
    from ..sources._messages import MESSAGE_MAX  # (a history scan only: not imported by every report)

    size = f"{MESSAGE_MAX // (1024 * 1024)} MiB"
    return f"{_plural(len(origins), 'git message')} over {size} scanned partly ({', '.join(named)})"


_NAMED = 3  # the truncated messages named on the summary line, at most (the JSON report lists them all)


def summary_line(findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext) -> str:
    """The text report's last line: counts, and what was not read (fully)."""
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = len(findings) - errors
    extra = []
    if stats.findings_baselined:
        extra.append(f"{stats.findings_baselined} baselined")
    if stats.findings_suppressed:
        extra.append(f"{stats.findings_suppressed} suppressed")
    tail = f"{_plural(stats.files_scanned, 'file')} scanned in {stats.seconds:.2f} s"
    # What was not read (fully) is said on the summary line too, not only in JSON: "no findings" about a
    # tree must not hide the files nobody looked at.
    if stats.files_skipped:
        extra.append(f"{stats.files_skipped} skipped (binary, unreadable or special)")
    if stats.paths_excluded:
        extra.append(f"{stats.paths_excluded} excluded by exclude globs")
    if stats.files_truncated:
        extra.append(f"{stats.files_truncated} over --max-file-size scanned partly")
    if stats.archives_incomplete:
        extra.append(
            f"{_plural(stats.archives_incomplete, 'archive')} read partly (damaged, encrypted, nested deeper "
            "than --max-archive-depth, or over --max-unpacked or --max-unpacked-total)"
        )
    if stats.messages_truncated:
        extra.append(_messages_truncated(stats.messages_truncated))
    if stats.commits_unscanned:
        extra.append(f"{_plural(stats.commits_unscanned, 'commit')} not scanned (--time-limit reached)")
    if extra:
        tail += ", " + ", ".join(extra)
    if not findings:
        return _paint(f"check-secrets: no findings ({tail})", _GREEN, ctx) + _fallback(stats)
    head = f"check-secrets: {_plural(len(findings), 'finding')} ({_plural(errors, 'error')}, "
    head += f"{_plural(warnings, 'warning')})"
    return f"{head}; {tail}{_fallback(stats)}"

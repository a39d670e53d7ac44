"""The SARIF 2.1.0 report, shaped for GitHub code scanning.

* ``tool.driver.rules`` holds one descriptor per rule that has results: ``shortDescription`` (the rule's
  name), ``fullDescription``, ``help`` (remediation, text and Markdown), ``helpUri`` (the rule's first
  reference, else the OWASP Secrets Management Cheat Sheet), ``defaultConfiguration.level`` and
  ``properties`` with ``tags``, ``precision`` (from the rule's confidence) and ``security-severity``:
  ``9.5`` (critical) for an error of a high-confidence rule, ``8.0`` (high) for other errors, ``5.0``
  (medium) for warnings.
* Each result has ``ruleId``/``ruleIndex``, ``level`` (``error``/``warning``), a message with the redacted
  preview, one location whose ``artifactLocation.uri`` is the path relative to the scanned root with
  ``uriBaseId`` ``%SRCROOT%``, a region in Unicode code points, and ``partialFingerprints`` keyed
  ``checkSecretsFingerprint/v1`` (see :mod:`.._fingerprint`), so alerts are tracked across runs and line
  moves. A finding's ``related`` place (``path`` or ``path:line``) becomes a ``relatedLocations`` entry.
* A finding in a git commit or tag message has no file. Its location is a logical one (``kind``
  ``resource``, ``fullyQualifiedName`` ``commit/<sha>/message`` or ``tag/<name>/message``) plus, because
  GitHub code scanning rejects a whole upload when a result has no physical location, a physical one under
  ``.git/`` (``.git/commits/<sha>/message``, ``.git/tags/<name>/message``, region in the message): git never
  tracks a path with a ``.git`` component, so it names no file of a checkout. The result's message says where
  it is, and ``properties.git_message`` holds the JSON report's ``git_message`` object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from .._fingerprint import FINGERPRINT_SCHEME
from .._model import Confidence, Finding, ImageOrigin, Rule, ScanStats, Severity
from . import ReportContext, dump_json, path_bytes
from ._json import image_to_dict, message_to_dict

__all__ = ["GENERAL_HELP_URI", "SARIF_SCHEMA_URI", "render_sarif", "security_severity"]

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_SRCROOT = "%SRCROOT%"
# helpUri of rules without references of their own (generic rules, format analyzers' checks).
GENERAL_HELP_URI = "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"
_PRECISION = {Confidence.HIGH: "very-high", Confidence.MEDIUM: "high", Confidence.LOW: "medium"}


def security_severity(severity: Severity, confidence: Confidence) -> str:
    """GitHub's ``security-severity`` score (a decimal string from 0.0 to 10.0)."""
    if severity is Severity.WARNING:
        return "5.0"
    return "9.5" if confidence is Confidence.HIGH else "8.0"


def _camel(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in rule_id.split("-"))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _descriptor(rule_id: str, rule: Rule | None, sample: Finding) -> dict[str, Any]:
    if rule is None:
        # A rule id from a format analyzer (Dockerfile, compose, CI...) without a registry record.
        text = _one_line(sample.message) or rule_id
        return {
            "id": rule_id,
            "name": _camel(rule_id),
            "shortDescription": {"text": text},
            "fullDescription": {"text": text},
            "help": {"text": text, "markdown": text},
            "helpUri": GENERAL_HELP_URI,
            "defaultConfiguration": {"level": sample.severity.value},
            "properties": {
                "tags": ["security", "secrets"],
                "precision": "high",
                "security-severity": security_severity(sample.severity, Confidence.MEDIUM),
            },
        }
    remediation = _one_line(rule.remediation)
    markdown = f"{_one_line(rule.description)}\n\n**Remediation:** {remediation}"
    if rule.references:
        markdown += "\n\n**References:**\n" + "\n".join(f"- <{ref}>" for ref in rule.references)
    tags = ["security", "secrets", *([rule.provider.lower()] if rule.provider else []), *rule.tags]
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _camel(rule.id),
        "shortDescription": {"text": _one_line(rule.name)},
        "fullDescription": {"text": _one_line(rule.description)},
        "help": {"text": f"{_one_line(rule.description)} Remediation: {remediation}", "markdown": markdown},
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {
            "tags": list(dict.fromkeys(tags)),
            "precision": _PRECISION[rule.confidence],
            "security-severity": security_severity(rule.severity, rule.confidence),
        },
    }
    descriptor["helpUri"] = rule.references[0] if rule.references else GENERAL_HELP_URI
    return descriptor


def _region(finding: Finding) -> dict[str, int]:
    region = {"startLine": max(finding.line, 1), "startColumn": max(finding.column, 1)}
    if finding.end_line > finding.line:
        region["endLine"] = finding.end_line
        region["endColumn"] = max(finding.end_column, 1)
    elif finding.end_line == finding.line and finding.end_column > finding.column:
        region["endLine"] = finding.end_line
        region["endColumn"] = finding.end_column
    return region


def _uri(path: str) -> str:
    """A relative path as a URI reference: its on-disk bytes, percent-encoded (``/`` kept)."""
    return quote(path_bytes(path), safe="/")


def _result(finding: Finding, index: int, ctx: ReportContext) -> dict[str, Any]:
    text = _one_line(finding.message) or finding.rule_id
    if finding.preview:
        text += f" (secret: {finding.preview})"
    artifact: dict[str, Any] = {"uri": _uri(finding.path), "uriBaseId": _SRCROOT}
    if finding.image is not None:
        # A path inside the image, not in the checked-out repository: no %SRCROOT% base; the image, layer and
        # instruction go in the message.
        artifact = {"uri": _uri(finding.path)}
        text += _image_text(finding.image)
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": artifact, "region": _region(finding)}
    }
    if finding.git_message is not None:
        location, where = _message_location(finding)
        text += f" in the {where}"
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": finding.severity.value,
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_SCHEME: ctx.fingerprints.get(finding)},
    }
    if finding.related:
        related_path, _, related_line = finding.related.rpartition(":")
        if not (related_path and related_line.isdigit() and int(related_line) >= 1):
            related_path, related_line = finding.related, ""
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(related_path), "uriBaseId": _SRCROOT}}
        if related_line:
            physical["region"] = {"startLine": int(related_line)}
        result["relatedLocations"] = [
            {"id": 1, "physicalLocation": physical, "message": {"text": "related place"}}
        ]
    properties: dict[str, Any] = {}
    if finding.preview:
        properties["preview"] = finding.preview
    if finding.commit is not None:
        properties["commit"] = {
            "sha": finding.commit.sha,
            "author_email": finding.commit.author_email,
            "date": finding.commit.date,
        }
    if finding.related:
        properties["related"] = finding.related
    if finding.image is not None:
        properties["image"] = image_to_dict(finding.image)
    if finding.git_message is not None:
        properties["git_message"] = message_to_dict(finding.git_message)
    if properties:
        result["properties"] = properties
    return result


def _message_location(finding: Finding) -> tuple[dict[str, Any], str]:
    """The location of a finding in a git message (logical, and physical under ``.git/``: see the module
    docstring), and where it is in words."""
    origin = finding.git_message
    assert origin is not None
    if origin.kind == "tag":
        name = origin.tag or origin.sha
        qualified, path, what = f"tag/{name}/message", f".git/tags/{name}/message", f"message of tag {name}"
    else:
        sha = origin.sha
        qualified, path, what = (
            f"commit/{sha}/message",
            f".git/commits/{sha}/message",
            f"message of commit {sha[:12]}",
        )
    where = f"{_one_line(what)}, line {max(finding.line, 1)}, column {max(finding.column, 1)}"
    artifact = {"uri": _uri(path), "uriBaseId": _SRCROOT}
    location = {
        "physicalLocation": {"artifactLocation": artifact, "region": _region(finding)},
        "logicalLocations": [{"name": "message", "fullyQualifiedName": qualified, "kind": "resource"}],
        "message": {"text": where},
    }
    return location, where


def _image_text(origin: ImageOrigin) -> str:
    where = f" in image {origin.image}"
    if origin.platform:
        where += f" ({origin.platform})"
    if origin.layer_index:
        where += f", layer {origin.layer_index}"
        if origin.layer_digest:
            where += f" {origin.layer_digest[:19]}"
    elif origin.config_field and origin.config_field != "history":
        where += f", config {origin.config_field}"
    if origin.created_by:
        where += f", made by: {origin.created_by}"
    return where


def render_sarif(findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext) -> str:
    """The SARIF log of ``findings`` (already sorted): one run, one driver."""
    ctx.fingerprints.prepare(findings)
    rule_ids = sorted({f.rule_id for f in findings})
    samples = {f.rule_id: f for f in reversed(findings)}
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    driver: dict[str, Any] = {
        "name": "check-secrets",
        "rules": [_descriptor(r, ctx.rules.get(r), samples[r]) for r in rule_ids],
    }
    if ctx.tool_version:
        driver["semanticVersion"] = ctx.tool_version
        driver["version"] = ctx.tool_version
    root_uri = ctx.root.resolve().as_uri()
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {_SRCROOT: {"uri": root_uri if root_uri.endswith("/") else root_uri + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule_id], ctx) for f in findings],
        "properties": {
            "filesScanned": stats.files_scanned,
            "filesSkipped": stats.files_skipped,
            "pathsExcluded": stats.paths_excluded,
            "filesTruncated": stats.files_truncated,
            "archivesIncomplete": stats.archives_incomplete,
            "messagesTruncated": len(stats.messages_truncated),
            "commitsUnscanned": stats.commits_unscanned,
            "findingsBaselined": stats.findings_baselined,
            "findingsSuppressed": stats.findings_suppressed,
        },
    }
    if stats.messages_truncated:  # (what was not read is said in every format, as in JSON)
        run["properties"]["truncatedMessages"] = [message_to_dict(o) for o in stats.messages_truncated]
    if stats.commits_unscanned:
        # a run that stopped early did not succeed: the results are what it found before it stopped
        text = f"--time-limit reached: {stats.commits_unscanned} commit(s) not scanned"
        run["invocations"] = [
            {
                "executionSuccessful": False,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": text}}],
            }
        ]
    log = {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return dump_json(log)

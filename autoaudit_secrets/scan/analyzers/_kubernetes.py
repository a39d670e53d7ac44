"""Kubernetes Secret manifests committed with their values.

A ``kind: Secret`` manifest (YAML, or JSON as ``kubectl get -o json`` writes it) holds its values under
``data`` (base64: an encoding anyone can undo, not encryption) and ``stringData`` (plain text). Committed,
every value is readable by whoever reads the repository, its forks and its history
(``kubernetes-secret-manifest``). Also read:

* lists of objects (``kind: List`` or ``SecretList``, as ``kubectl get secrets -o yaml`` writes them);
* kubectl's ``kubectl.kubernetes.io/last-applied-configuration`` annotation, which ``kubectl apply`` stores
  on every object it applies: the whole manifest as JSON, values included. It stays in a dump of the object
  even when its ``data`` was blanked, so the value is reported at the annotation.

A value is judged by its entry's name, as the other analyzers judge an assignment: under a secret's name
(``password``, ``api-key``, ``tls.key``) any literal that is not a placeholder counts; under another name
(``username``, ``host``, ``answer``) only a value that matches a token rule or looks generated. A ``data``
value is judged on what it decodes to. Quiet: empty values; templates and references (Helm's
``{{ .Values.db.password | b64enc }}``, ``${DB_PASSWORD}``); placeholders, also in base64 (``Y2hhbmdlbWU=``,
"changeme"); PEM blocks, left to the PEM rules, which report a private key and nothing else (a
certificate, a public key, an empty block); SSH public keys; encrypted manifests (SOPS: ``ENC[...]`` values
and a ``sops`` section; Bitnami's ``SealedSecret`` is another kind).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._model import AnalysisContext, AnalyzerCheck, Finding, Severity
from ..engine._lazyre import LazyRegex

if TYPE_CHECKING:
    from ._yaml_lines import YamlDocument, YMap, YNode, YScalar

__all__ = ["KUBERNETES_CHECKS", "KUBERNETES_SECRET_MANIFEST", "KubernetesSecretAnalyzer"]

KUBERNETES_SECRET_MANIFEST = "kubernetes-secret-manifest"

KUBERNETES_CHECKS: tuple[AnalyzerCheck, ...] = (
    AnalyzerCheck(
        KUBERNETES_SECRET_MANIFEST,
        Severity.ERROR,
        "Secret value in a committed Kubernetes Secret manifest",
        "Keep Secret values out of the repository: commit a SealedSecret, a SOPS-encrypted manifest or an "
        "ExternalSecret instead (or create the Secret from CI with `kubectl create secret`), and rotate the "
        "exposed value; base64 in `data` is an encoding, not encryption.",
    ),
)

# A manifest of a Secret, or a list that may hold one, as a YAML or JSON line: asked before parsing anything.
_SECRET_KIND_PATTERN = (
    r"""(?m)^[ \t-]*["']?kind["']?[ \t]*:[ \t]*["']?(?:Secret|SecretList|List)["']?[ \t]*,?[ \t]*(?:\#.*)?$"""
)
_SECRET_KIND = LazyRegex(_SECRET_KIND_PATTERN)


@functools.cache
def _secret_kind_bytes() -> re.Pattern[bytes]:
    return re.compile(_SECRET_KIND_PATTERN.encode())


def _declares_secret(text: str) -> bool:
    """``text`` has a kind line of a Secret or a list (substring tests first: they run at memory speed, the
    regular expression line by line); :meth:`KubernetesSecretAnalyzer.wants` asks the same of bytes."""
    if "kind" not in text or ("Secret" not in text and "List" not in text):
        return False
    return _SECRET_KIND.search(text) is not None


# The sections of a Secret that hold values, and whether they hold them in base64
_SECTIONS = (("data", True), ("stringData", False))


_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# YAML, and JSON as `kubectl get -o json` writes it (the YAML loader reads JSON, with positions)
_MANIFEST_SUFFIXES = (".yml", ".yaml", ".json")
# What a value judged by its format, never by its entry's name, decodes to: a PEM block (the PEM rules
# report a private key in it, on the base64 layer; a certificate, a public key or an empty block, as in
# traefik's fixtures, is no secret) and an SSH public key (public by design)
_FORMAT_STARTS = ("-----BEGIN", "ssh-", "ecdsa-")
_MAX_ANNOTATION = 1 << 20


@dataclass(frozen=True, slots=True)
class _Value:
    """One entry of a Secret: its name, the value as written, the text it stands for (decoded for ``data``)
    and where it is written (the scalar, and the written value's offset in it)."""

    key: str
    written: str
    text: str
    scalar: YScalar
    offset: int
    encoded: bool
    via_annotation: bool = False


class KubernetesSecretAnalyzer:
    """Values of committed Kubernetes Secret manifests (see the module docstring)."""

    id = "kubernetes-secrets"

    def applies_to(self, relpath: str) -> bool:
        return relpath.lower().endswith(_MANIFEST_SUFFIXES)

    def applies_to_history(self, relpath: str) -> bool:
        """YAML only: in a history scan every change of an applying file is read whole as of its commit, and
        JSON files are often large and change in most commits (package-lock.json: +45% of the whole
        history scan of WrongSecrets). A JSON dump of a Secret stays found by the tree scan."""
        return relpath.lower().endswith((".yml", ".yaml"))

    def wants(self, data: bytes) -> bool:
        """Only a file that declares a Secret (or a list) can have a finding: most YAML and JSON files are
        left to the scan's fast path."""
        if b"kind" not in data or (b"Secret" not in data and b"List" not in data):
            return False  # (substring tests run at memory speed; the regular expression reads line by line)
        return _secret_kind_bytes().search(data) is not None

    def may_change(self, added: str, ctx: AnalysisContext, text: str, lines: Iterable[int]) -> bool:
        """Only a file that holds a Secret (or a list) can have a finding: history scans skip the rest."""
        return _declares_secret(text)

    def analyze(self, relpath: str, text: str, ctx: AnalysisContext) -> Iterable[Finding]:
        if not _declares_secret(text):
            return []
        # (imported here: every JSON and YAML file of a pre-commit run loads this module, few are manifests)
        from ._yaml_lines import load_yaml

        doc = load_yaml(text)
        if doc is None:
            return []  # (not YAML, a Helm template: the token rules still read it)
        findings: list[Finding] = []
        for root in doc.roots:
            for secret in _secrets(root):
                for value in _values(secret):
                    finding = _judge(value, secret, doc, relpath, ctx)
                    if finding is not None:
                        findings.append(finding)
        return findings


def _secrets(root: YNode) -> Iterator[YMap]:
    """The Secret objects of one document: the document itself, or the items of a list."""
    from ._yaml_lines import YMap, YSeq

    if not isinstance(root, YMap):
        return
    kind = root.get_scalar("kind")
    kind_name = kind.value if kind is not None else ""
    if kind_name == "Secret" and root.get("sops") is None:
        yield root
    elif kind_name in {"List", "SecretList"}:
        items = root.get("items")
        if isinstance(items, YSeq):
            for item in items.items:
                if not isinstance(item, YMap) or item.get("sops") is not None:
                    continue
                item_kind = item.get_scalar("kind")
                # (the items of a SecretList may leave their kind out)
                if item_kind.value == "Secret" if item_kind is not None else kind_name == "SecretList":
                    yield item


def _values(secret: YMap) -> Iterator[_Value]:
    from ._yaml_lines import YScalar

    for section, encoded in _SECTIONS:
        entries = secret.get_map(section)
        if entries is None:
            continue
        for key, node in entries.items:
            if not isinstance(node, YScalar) or node.is_null:
                continue
            text = _decoded(node.value) if encoded else node.value
            if text is not None:
                yield _Value(key.value, node.value, text, node, 0, encoded)
    yield from _annotated_values(secret)


def _annotated_values(secret: YMap) -> Iterator[_Value]:
    """The values of the manifest kubectl stored in the last-applied-configuration annotation."""
    metadata = secret.get_map("metadata")
    annotations = metadata.get_map("annotations") if metadata is not None else None
    stored = annotations.get_scalar(_LAST_APPLIED) if annotations is not None else None
    if stored is None or len(stored.value) > _MAX_ANNOTATION:
        return
    try:
        manifest = json.loads(stored.value)
    except (ValueError, RecursionError):
        return
    if not isinstance(manifest, dict) or manifest.get("kind") != "Secret":
        return
    for section, encoded in _SECTIONS:
        entries = manifest.get(section)
        if not isinstance(entries, dict):
            continue
        for key, value in entries.items():
            if not isinstance(key, str) or not isinstance(value, str) or not value:
                continue
            text = _decoded(value) if encoded else value
            if text is None:
                continue
            written = json.dumps(value)[1:-1]  # (as the JSON text holds it, escapes included)
            found = stored.value.find(written)
            yield _Value(key, value, text, stored, max(found, 0), encoded, via_annotation=True)


def _decoded(value: str) -> str | None:
    """The text a ``data`` value is base64 of (whitespace and line breaks ignored), or the value itself when
    it is not base64 (an invalid manifest, or a placeholder written in its place); None for bytes that are
    not text (a keystore, an image: the token rules read what they can)."""
    compact = "".join(value.split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return value
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _looks_generated(text: str) -> bool:
    """A value under an ordinary name counts when it looks generated: long, without blanks, high in entropy
    and mixing lower case, upper case and digits (a random password, base64 of one), or long hex. A host
    (``postgresql.feast.svc.cluster.local``), a path or an identifier under ``POSTGRES_HOST`` or
    ``CA_CERT_FILE_PATH`` is high in entropy too, but of one case and no digits."""
    from ._config_values import looks_random

    if len(text) < 16 or "://" in text or text[0] in "/~.":
        return False
    if len(text) >= 32 and all(c in "0123456789abcdefABCDEF" for c in text):
        return looks_random(text)
    mixed = (
        any(c.islower() for c in text) and any(c.isupper() for c in text) and any(c.isdigit() for c in text)
    )
    return mixed and looks_random(text)


def _judge(
    value: _Value, secret: YMap, doc: YamlDocument, relpath: str, ctx: AnalysisContext
) -> Finding | None:
    from ._config_values import judge_assignment, make_finding

    text = value.text.strip()
    if not text or text.startswith(_FORMAT_STARTS) or value.written.strip().startswith("ENC["):
        return None
    if "{{" in value.written or "{{" in text or ctx.is_placeholder(value.written.strip()):
        return None
    name = value.key.replace(".", "_")
    hit = judge_assignment(name, text, ctx)
    if hit is None and not ctx.is_placeholder(text) and _looks_generated(text):
        hit = judge_assignment("secret", text, ctx)  # (a generated value under any name)
    if hit is None or hit.from_rule:
        return None  # (a token rule's format: its own finding names it, on the value or what it decodes to)
    metadata = secret.get_map("metadata")
    named = metadata.get_scalar("name") if metadata is not None else None
    what = f"Secret {named.value[:80]!r}" if named is not None else "a Secret"
    how = "base64, an encoding, not encryption" if value.encoded else "plain text"
    if value.via_annotation:
        how += ", in kubectl's last-applied-configuration annotation"
    needle = json.dumps(value.written)[1:-1] if value.via_annotation else value.written
    span = doc.locate(value.scalar, value.offset, needle)
    return make_finding(
        KUBERNETES_SECRET_MANIFEST,
        hit.severity_or(Severity.ERROR),
        relpath,
        (span.line, span.column, span.end_line, span.end_column),
        f"{value.key[:80]!r} of {what} is committed ({how}); keep the value out of the repository "
        "(SealedSecret, SOPS, ExternalSecret) and rotate it",
        value.written,
    )

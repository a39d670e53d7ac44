"""Compose files: literal secrets in service environments, build arguments, commands, and committed env files.

Files: ``compose.yaml``/``compose.yml``, ``compose.<anything>.y(a)ml`` and ``docker-compose*.y(a)ml``.

Checks (stable ids):

* ``compose-environment-secret`` (error): an ``environment`` entry (map or ``KEY=value`` list form) whose
  value is a literal secret — a token-rule match, or a non-placeholder literal under a secret-ish/schema name.
* ``compose-build-arg-secret`` (error): the same in ``build.args`` (build arguments persist in image
metadata).
* ``compose-command-secret`` (error): a literal password/token in ``command``, ``entrypoint`` or
  ``healthcheck.test`` (``redis-server --requirepass literal``, URL credentials, ...).
* ``compose-env-file-plaintext`` (error): an ``env_file`` (string, list, or ``path:``/``required:`` form)
  naming a committed file (present in the tree and not gitignored) that holds plaintext secrets; reported
  on the ``env_file`` line, naming the file.
* ``compose-secret-file-committed`` (error): a top-level ``secrets: <name>: file:`` source that is committed.
* ``compose-secret-file-undeclared`` (warning): a ``*_FILE`` variable pointing at ``/run/secrets/<name>``
  when the service does not list that secret, or the file's top-level ``secrets:`` does not define its source.

Safe forms: ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``, ``$$`` escapes, bare ``KEY`` (passed through
from the shell), ``*_FILE: /run/secrets/<name>`` with compose secrets.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from ...._safe_read import read_text
from ..._model import AnalysisContext, Finding, Severity
from .._config_values import (
    AnalyzerCheck,
    CommittedFiles,
    LiteralSecret,
    judge_assignment,
    make_finding,
    shell_secrets,
)
from .._dotenv_files import iter_assignments
from .._yaml_lines import Span, YamlDocument, YMap, YNode, YScalar, YSeq, load_yaml

__all__ = [
    "COMPOSE_BUILD_ARG_SECRET",
    "COMPOSE_CHECKS",
    "COMPOSE_COMMAND_SECRET",
    "COMPOSE_ENVIRONMENT_SECRET",
    "COMPOSE_ENV_FILE_PLAINTEXT",
    "COMPOSE_SECRET_FILE_COMMITTED",
    "COMPOSE_SECRET_FILE_UNDECLARED",
    "ComposeAnalyzer",
    "is_compose_file",
]

COMPOSE_ENVIRONMENT_SECRET = "compose-environment-secret"
COMPOSE_BUILD_ARG_SECRET = "compose-build-arg-secret"
COMPOSE_COMMAND_SECRET = "compose-command-secret"
COMPOSE_ENV_FILE_PLAINTEXT = "compose-env-file-plaintext"
COMPOSE_SECRET_FILE_COMMITTED = "compose-secret-file-committed"
COMPOSE_SECRET_FILE_UNDECLARED = "compose-secret-file-undeclared"

_USE_SECRETS = (
    "Pass it from the shell as ${NAME} (or ${NAME:?error}), or as NAME_FILE=/run/secrets/<name> with compose "
    "`secrets:`; rotate the exposed value."
)
COMPOSE_CHECKS: tuple[AnalyzerCheck, ...] = (
    AnalyzerCheck(
        COMPOSE_ENVIRONMENT_SECRET,
        Severity.ERROR,
        "Literal secret in a compose service environment",
        _USE_SECRETS,
    ),
    AnalyzerCheck(
        COMPOSE_BUILD_ARG_SECRET,
        Severity.ERROR,
        "Literal secret in compose build args (kept in image metadata)",
        "Use a build secret (compose `build.secrets` + `RUN --mount=type=secret`) instead of a build "
        "argument; "
        "rotate the exposed value.",
    ),
    AnalyzerCheck(
        COMPOSE_COMMAND_SECRET,
        Severity.ERROR,
        "Literal secret in a compose command, entrypoint or healthcheck",
        'Read the secret from /run/secrets/<name> when the container starts (e.g. "$$(cat /run/secrets/x)"); '
        "rotate the exposed value.",
    ),
    AnalyzerCheck(
        COMPOSE_ENV_FILE_PLAINTEXT,
        Severity.ERROR,
        "Compose env_file is a committed file with plaintext secrets",
        "Keep env files with secrets out of the repository (.gitignore) or encrypt the values "
        "(`autoaudit-secrets encrypt`); rotate the exposed values.",
    ),
    AnalyzerCheck(
        COMPOSE_SECRET_FILE_COMMITTED,
        Severity.ERROR,
        "Compose secret source file is committed",
        "Gitignore the secret files, create them at deploy time, remove the file from the repository history "
        "and rotate the secret.",
    ),
    AnalyzerCheck(
        COMPOSE_SECRET_FILE_UNDECLARED,
        Severity.WARNING,
        "*_FILE points at a compose secret the service lacks",
        "List the secret under the service's `secrets:` and define it in the top-level `secrets:`.",
    ),
)

_COMPOSE_NAME = re.compile(r"(?:compose(?:\.[^/]+)?|docker-compose[^/]*)\.ya?ml", re.IGNORECASE)
_MAX_SECRET_FILE = 64 * 1024


def is_compose_file(relpath: str) -> bool:
    """True for the file names ``docker compose`` reads."""
    return _COMPOSE_NAME.fullmatch(PurePosixPath(relpath).name) is not None


def _where(span: Span) -> tuple[int, int, int, int]:
    return span.line, span.column, span.end_line, span.end_column


class ComposeAnalyzer:
    """Literal secrets and committed secret files in compose files (see the module docstring)."""

    id = "compose"

    def applies_to(self, relpath: str) -> bool:
        return is_compose_file(relpath)

    def analyze(self, relpath: str, text: str, ctx: AnalysisContext) -> Iterable[Finding]:
        if not text:
            return []
        doc = load_yaml(text)
        if doc is None:
            return []
        run = _ComposeRun(relpath, doc, ctx)
        for root in doc.roots:
            if isinstance(root, YMap):
                run.check_root(root)
        return run.findings


class _ComposeRun:
    def __init__(self, relpath: str, doc: YamlDocument, ctx: AnalysisContext) -> None:
        self.relpath = relpath
        self.doc = doc
        self.ctx = ctx
        self.base_dir = posixpath.dirname(relpath)
        self.files = CommittedFiles(ctx.root)
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int, int]] = set()
        # committed env files with plaintext secrets, by path: where the first service loads each, what it
        # holds, and every service that loads it (one finding per file: see emit_env_files)
        self._env_files: dict[str, tuple[Span, list[tuple[str, LiteralSecret]], list[str]]] = {}
        self._clean_env_files: set[str] = set()

    def add(
        self,
        rule: str,
        severity: Severity,
        span: Span,
        message: str,
        secret: str,
        related: str | None = None,
        *,
        keep: int = 0,
    ) -> None:
        key = (rule, span.line, span.column)
        if key in self._seen:  # an anchor reused through aliases
            return
        self._seen.add(key)
        self.findings.append(
            make_finding(rule, severity, self.relpath, _where(span), message, secret, related, keep=keep)
        )

    def check_root(self, root: YMap) -> None:
        top_secrets = root.get_map("secrets")
        services = root.get_map("services")
        if services is not None:
            for name, service in services.entries():
                if isinstance(service, YMap):
                    self.check_service(name, service, top_secrets)
            self.emit_env_files()
        if top_secrets is not None:
            self.check_secret_sources(top_secrets)

    # --- one service ---

    def check_service(self, service_name: str, service: YMap, top_secrets: YMap | None) -> None:
        for key, value, scalar, offset in _assignments(service.get("environment")):
            hit = judge_assignment(key, value, self.ctx)
            if hit is not None:
                self.add(
                    COMPOSE_ENVIRONMENT_SECRET,
                    hit.severity_or(Severity.ERROR),
                    self.doc.locate(scalar, offset + hit.offset, hit.secret),
                    f"service '{service_name}' sets {key} to a literal secret ({hit.reason}); pass it as "
                    f"${{{key}}} from the environment or as {key}_FILE with compose secrets",
                    hit.secret,
                    keep=hit.preview_keep,
                )
            elif key.upper().endswith("_FILE") and value.strip().startswith("/run/secrets/"):
                self.check_secret_reference(service_name, service, top_secrets, key, scalar, value.strip())
        build = service.get_map("build")
        if build is not None:
            for key, value, scalar, offset in _assignments(build.get("args")):
                hit = judge_assignment(key, value, self.ctx)
                if hit is not None:
                    self.add(
                        COMPOSE_BUILD_ARG_SECRET,
                        hit.severity_or(Severity.ERROR),
                        self.doc.locate(scalar, offset + hit.offset, hit.secret),
                        f"service '{service_name}' passes a literal secret as build argument {key} "
                        f"({hit.reason}); "
                        "build arguments persist in the image metadata — use a build secret "
                        "(RUN --mount=type=secret)",
                        hit.secret,
                        keep=hit.preview_keep,
                    )
        for field in ("command", "entrypoint"):
            self.check_command(service_name, field, service.get(field))
        healthcheck = service.get_map("healthcheck")
        if healthcheck is not None:
            self.check_command(service_name, "healthcheck.test", healthcheck.get("test"))
        self.check_env_files(service_name, service.get("env_file"))

    def check_command(self, service_name: str, field: str, node: YNode | None) -> None:
        parts: list[YScalar] = []
        if isinstance(node, YScalar):
            parts = [node]
        elif isinstance(node, YSeq):
            parts = [item for item in node.items if isinstance(item, YScalar)]
        if not parts:
            return
        text = ""
        starts: list[int] = []
        for part in parts:
            starts.append(len(text))
            text += part.value + " "
        for hit in shell_secrets(text, self.ctx):
            index = max(i for i, start in enumerate(starts) if start <= hit.offset)
            scalar = parts[index]
            self.add(
                COMPOSE_COMMAND_SECRET,
                hit.severity_or(Severity.ERROR),
                self.doc.locate(scalar, hit.offset - starts[index], hit.secret),
                f"service '{service_name}' has a literal secret in {field} ({hit.reason}); read it from "
                "/run/secrets/<name> when the container starts",
                hit.secret,
                keep=hit.preview_keep,
            )

    def check_secret_reference(
        self, service_name: str, service: YMap, top_secrets: YMap | None, key: str, scalar: YScalar, path: str
    ) -> None:
        secret_name = path[len("/run/secrets/") :].split("/", 1)[0]
        grants: dict[str, str] = {}  # file name under /run/secrets -> the top-level secret it comes from
        listed = service.get("secrets")
        if isinstance(listed, YSeq):
            for item in listed.items:
                if isinstance(item, YScalar):
                    grants[item.value] = item.value
                elif isinstance(item, YMap):
                    source = item.get_scalar("source")
                    target = item.get_scalar("target")
                    if source is not None:
                        name = target.value.rsplit("/", 1)[-1] if target is not None else source.value
                        grants[name] = source.value
        source_name = grants.get(secret_name)
        if source_name is None:
            problem = f"the service does not list secret '{secret_name}'"
        elif top_secrets is not None and top_secrets.get(source_name) is None:
            # (a file without top-level secrets may be an override of one that has them: not judged)
            problem = f"the top-level 'secrets:' does not define '{source_name}'"
        else:
            return
        self.add(
            COMPOSE_SECRET_FILE_UNDECLARED,
            Severity.WARNING,
            self.doc.span_of(scalar),
            f"service '{service_name}' points {key} at {path} but {problem}; the file will not "
            f"exist at run time",
            "",
        )

    def check_env_files(self, service_name: str, node: YNode | None) -> None:
        entries: list[YNode] = []
        if isinstance(node, YSeq):
            entries = list(node.items)
        elif node is not None:
            entries = [node]
        for entry in entries:
            path_node = entry.get_scalar("path") if isinstance(entry, YMap) else entry
            if not isinstance(path_node, YScalar) or not path_node.value.strip():
                continue
            reference = path_node.value.strip()
            if "$" in reference:
                continue
            resolved = self.files.resolve(self.base_dir, reference)
            if resolved is None:
                continue
            absolute, rel = resolved
            known = self._env_files.get(rel)
            if known is not None:
                if service_name not in known[2]:
                    known[2].append(service_name)
                continue
            if rel in self._clean_env_files or not self.files.is_committed(absolute):
                continue
            # (bounded: a committed file of gigabytes named as an env_file is left unread, as the tree scan
            # leaves a file over 10 MiB; never read whole into memory)
            content = read_text(absolute)
            hits = _env_file_secrets(content, self.ctx) if content is not None else []
            if not hits:
                self._clean_env_files.add(rel)
                continue
            self._env_files[rel] = (self.doc.locate(path_node, 0, path_node.value), hits, [service_name])

    def emit_env_files(self) -> None:
        """One finding per committed env file with plaintext secrets, where the first service loads it; the
        message names the services that load it (patroni's compose file loads one from twelve services)."""
        for rel, (span, hits, services) in self._env_files.items():
            names = ", ".join(dict.fromkeys(name for name, _ in hits))
            # as bad as the worst of its values (each at its token rule's severity, if one matched)
            severity = max((hit.severity_or(Severity.ERROR) for _, hit in hits), key=lambda s: s.rank)
            others = services[1:]
            also = ""
            if others:
                listed = ", ".join(f"'{name}'" for name in others[:3])
                more = f" and {len(others) - 3} more" if len(others) > 3 else ""
                also = f" (so do {listed}{more})"
            self.add(
                COMPOSE_ENV_FILE_PLAINTEXT,
                severity,
                span,
                f"service '{services[0]}' loads env_file {rel}{also}, a committed file holding "
                f"{len(hits)} plaintext "
                f"secret(s) ({names}); keep it out of the repository or encrypt the values (enc:)",
                hits[0][1].secret,
                related=rel,
                keep=hits[0][1].preview_keep,
            )
        self._env_files.clear()

    # --- top-level secrets ---

    def check_secret_sources(self, top_secrets: YMap) -> None:
        for name, spec in top_secrets.entries():
            if not isinstance(spec, YMap):
                continue
            file_node = spec.get_scalar("file")
            if file_node is None or not file_node.value.strip() or "$" in file_node.value:
                continue
            resolved = self.files.resolve(self.base_dir, file_node.value.strip())
            if resolved is None:
                continue
            absolute, rel = resolved
            if not self.files.is_committed(absolute):
                continue
            try:
                with absolute.open("r", encoding="utf-8", errors="replace") as handle:
                    content = handle.read(_MAX_SECRET_FILE).strip()
            except OSError:
                continue
            if not content or self.ctx.is_placeholder(content):
                continue
            self.add(
                COMPOSE_SECRET_FILE_COMMITTED,
                Severity.ERROR,
                self.doc.locate(file_node, 0, file_node.value),
                f"secret '{name}' is read from {rel}, a committed file; secret files must be gitignored and "
                "created at deploy time",
                content,
                related=rel,
            )


def _assignments(node: YNode | None) -> list[tuple[str, str, YScalar, int]]:
    """(name, value, scalar holding the value, offset of the value inside the scalar) for the literal
    entries of an ``environment``/``args`` block, map or list form. Bare names and null values
    (pass-through) are skipped."""
    out: list[tuple[str, str, YScalar, int]] = []
    if isinstance(node, YMap):
        for key, node_value in node.items:
            if isinstance(node_value, YScalar) and not node_value.is_null:
                out.append((key.value, node_value.value, node_value, 0))
    elif isinstance(node, YSeq):
        for item in node.items:
            if isinstance(item, YScalar) and "=" in item.value:
                name, _, literal = item.value.partition("=")
                out.append((name.strip(), literal, item, len(name) + 1))
    return out


def _env_file_secrets(content: str, ctx: AnalysisContext) -> list[tuple[str, LiteralSecret]]:
    hits: list[tuple[str, LiteralSecret]] = []
    for item in iter_assignments(content):
        if item.value.startswith("enc:"):
            continue
        hit = judge_assignment(item.name, item.value, ctx)
        if hit is not None:
            hits.append((item.name, hit))
    return hits

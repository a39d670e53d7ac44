"""Judgements shared by the compose, CI-workflow and ``.env`` analyzers: is this assigned value a literal
secret, which literals does this shell snippet hold, and is this file committed.

Nothing here prints; every result carries the secret only in memory (for fingerprints) and a short reason that
never contains the value.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..._redact import redact_preview
from .._gitenv import harden
from .._model import AnalysisContext, AnalyzerCheck, Finding, Severity
from ..engine._filters import (
    is_doc_example,
    is_encoded_pem,
    is_file_path,
    is_public_key,
    local_user_as_password,
    names_itself_as_stand_in,
    names_password,
    names_secret_field,
    secret_name_and_words,
)

__all__ = [
    "AnalyzerCheck",
    "CommittedFiles",
    "LiteralSecret",
    "has_reference",
    "judge_assignment",
    "looks_random",
    "make_finding",
    "remembered",
    "shannon_entropy",
    "shell_secrets",
]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class LiteralSecret:
    """A literal secret inside some text: the value (memory only), its offset in that text, and why it
    counts."""

    secret: str
    offset: int
    reason: str  # e.g. "a credential in a URL"; never the value
    by_name: bool = False  # found because of the variable's name rather than the value's shape
    from_rule: bool = False  # a token rule matched (a self-identifying format)
    # Characters a redacted preview may show: the matching token rule's choice (a few of a high-confidence
    # token format), none of a password or generic secret.
    preview_keep: int = 0
    # The matching token rule's severity: a value a token rule identifies is reported at the rule's severity
    # whatever its variable's name (a Stripe test-mode key is a warning under STRIPE_SECRET_KEY too).
    severity: Severity | None = None

    def severity_or(self, default: Severity) -> Severity:
        """The severity to report this literal at: its token rule's when one matched, else ``default`` (the
        check's own, for a literal found by its name or its place)."""
        return default if self.severity is None else self.severity


# References that a runtime fills in: compose/shell ${VAR}, ${VAR:-x}, ${VAR:?err}, $VAR, $$ (compose's
# escaped dollar), $(command), backticks, GitHub ${{ expr }}, Windows %VAR%.
_REFERENCE = re.compile(
    r"\$\{\{.*?\}\}"
    r"|\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?+\-=][^}]*)?\}"
    r"|\$[A-Za-z_][A-Za-z0-9_]*"
    r"|\$[0-9@*#?!]"
    r"|\$\$"
    r"|\$\("
    r"|`[^`]*`"
    r"|%[A-Za-z_][A-Za-z0-9_]*%",
    re.DOTALL,
)
_BOOLEANISH = frozenset(
    {"true", "false", "yes", "no", "on", "off", "null", "none", "nil", "~", "enabled", "disabled"}
)
_PATHY_SUFFIXES = ("_FILE", "_FILES", "_PATH", "_DIR", "_DIRECTORY", "_VERSION", "_URL", "_URI", "_ENDPOINT")
_URL_USERINFO = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://([^/@\s]*)@")


def has_reference(value: str) -> bool:
    """True when ``value`` contains a variable/secret reference filled in at run time."""
    return _REFERENCE.search(value) is not None


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_random(value: str) -> bool:
    """True for values that look machine-generated (long enough, high entropy, mixed character classes)."""
    if len(value) < 16 or any(c.isspace() for c in value):
        return False
    if re.fullmatch(r"[0-9a-fA-F]+", value):
        return len(value) >= 32 and shannon_entropy(value) >= 3.0
    classes = sum(
        bool(re.search(pattern, value)) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    return classes >= 2 and shannon_entropy(value) >= 3.5


def _is_boring(name: str, value: str) -> bool:
    """Values that are not secrets whatever the name says: flags, small numbers, paths for *_FILE names, URLs
    without credentials, keys public by design (a Stripe publishable key, ``is_public_key``), PEM blocks in
    base64 (``is_encoded_pem``), and the name of a field holding the same secret
    (``SMTP_PASSWORD=smtp_password``, ``DB_PASSWORD=current-password``: the generic rules' judgement,
    ``names_secret_field``)."""
    v = value.strip()
    if v.lower() in _BOOLEANISH or is_public_key(v) or is_encoded_pem(v) or v.startswith("-----BEGIN "):
        # (a PEM block, in base64 or not: the PEM rules judge it -- a private key is reported by them, a
        # certificate or a stub is not: outline's "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n…")
        return True
    if re.fullmatch(r"-?\d{1,6}", v):
        return True
    upper = name.upper()
    if upper.endswith(_PATHY_SUFFIXES) and ("/" in v or "\\" in v or v.startswith(("~", "."))):
        return True
    if is_file_path(v):  # SSL_KEY=/certs/key.pem, xpack.security.http.ssl.key=certs/es-key.pem: a file
        return True
    url = re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", v)
    if url:
        userinfo = _URL_USERINFO.match(v)
        return userinfo is None or ":" not in userinfo.group(1)
    # (the name's words: remembered from the question whether it is a secret name)
    words = secret_name_and_words(name)[1]
    if not names_password(words) and names_itself_as_stand_in(v, words):
        return True  # LANGFUSE_EE_LICENSE_KEY=langfuse_ee_test
    return names_secret_field(v, words)


# NAME=value, an environment variable's name in upper case (so that base64 or base32 with its padding,
# QWxhZGRp=, JBSWY3DP====, never reads as one)
_ASSIGNMENT_LINE = re.compile(r"[A-Z_][A-Z0-9_]*=([^=\s].*)")


def is_literal(value: str, ctx: AnalysisContext) -> bool:
    """True when ``value`` is a hard-coded value (not empty, not a reference, not a placeholder, not a value
    vendors publish as an example: Azurite's account key in an ``.env.example``). ``NAME=value`` lines (an
    action's input listing what to fetch: ``GPG_PASSPHRASE=signing-key:passphrase``) are one when one of
    their values is."""
    v = value.strip()
    if not v or v == "-" or has_reference(v):
        return False
    if "=" in v and v[:1].isupper():
        values = [_ASSIGNMENT_LINE.fullmatch(line.strip()) for line in v.splitlines() if line.strip()]
        if values and all(values):
            return any(is_literal(m.group(1), ctx) for m in values if m is not None)
    return not ctx.is_placeholder(v) and not is_doc_example(v)


def _token_hit(value: str, ctx: AnalysisContext) -> LiteralSecret | None:
    for match in ctx.detect(value):
        secret = match.secret(value)
        if secret and not has_reference(secret) and not ctx.is_placeholder(secret):
            return LiteralSecret(
                secret,
                match.secret_start,
                f"matches rule {match.rule.id}",
                from_rule=True,
                preview_keep=match.rule.preview_keep,
                severity=match.rule.severity,
            )
    return None


def judge_assignment(name: str | None, value: str, ctx: AnalysisContext) -> LiteralSecret | None:
    """Whether ``name=value`` assigns a literal secret: by value (any token rule) or by a secret-ish name
    (or one the schema names) with a literal that is not a placeholder, a reference, a flag, a path, a
    plain URL or the name of a field holding the same secret (see :func:`_is_boring`)."""
    if len(value) > _REMEMBERED_SCRIPT:
        return _judge_assignment(name, value, ctx)
    return remembered(ctx, ("judge_assignment", name, value), lambda: _judge_assignment(name, value, ctx))


def _judge_assignment(name: str | None, value: str, ctx: AnalysisContext) -> LiteralSecret | None:
    hit = _token_hit(value, ctx)
    if hit is not None:
        return hit
    if name is None or not ctx.is_secret_name(name):
        return None
    stripped = value.strip()
    if not is_literal(stripped, ctx) or _is_boring(name, stripped):
        return None
    return LiteralSecret(stripped, value.find(stripped), "a literal under a secret name", True)


# --- shell snippets (CI `run`/`script`, compose `command`) ---

_URL_CREDENTIAL = "a credential in a URL"
# (a command substitution in backquotes is taken whole: PASS=`jq -r .passed results.json` is a reference)
_VAL = r"""(?P<val>"[^"\n]*"|'[^'\n]*'|`[^`\n]*`|[^\s;&|)'"`]+)"""
_SHELL_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"[A-Za-z][A-Za-z0-9+.\-]*://(?P<user>[^\s:/@'\"`]*):(?P<val>[^\s/@'\"`]+)@(?P<host>[A-Za-z0-9.\-]*)"
        ),
        _URL_CREDENTIAL,
    ),
    (
        re.compile(
            r"(?<![\w-])--(?:password|passwd|pass|token|api-key|apikey|api-token|secret|client-secret|"
            r"requirepass|masterauth|access-token|auth-token|private-token|secret-key|secret-access-key)"
            r"(?:=|[ \t]+)" + _VAL,
            re.IGNORECASE,
        ),
        "a literal after a password/token flag",
    ),
    (
        re.compile(
            r"\b(?:docker|podman|nerdctl|buildah|skopeo|helm|oras|crane)\b[^\n;&|]*?\blogin\b[^\n;&|]*?"
            r"[ \t]-p(?:=|[ \t]+)" + _VAL
        ),
        "a literal password given to a registry login",
    ),
    (re.compile(r"\bsshpass\b[^\n;&|]*?[ \t]-p(?:=|[ \t]+)?" + _VAL), "a literal password given to sshpass"),
    (
        re.compile(r"\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n;&|]*?[ \t]-p(?P<val>[^\s;&|'\"]+)"),
        "a literal MySQL password (-p)",
    ),
    (re.compile(r"\bredis-cli\b[^\n;&|]*?[ \t]-a[ \t]+" + _VAL), "a literal Redis password (-a)"),
    (
        re.compile(
            r"""\b(?:curl|wget)\b[^\n;&|]*?(?:[ \t]-u|--user)[ \t]+["']?[^\s:'"]+:(?P<val>[^\s'";&|]+)"""
        ),
        "a literal password in a user:password argument",
    ),
    (
        re.compile(
            r"(?i)\b(?:proxy-)?authorization[ \t]*:[ \t]*(?:bearer|basic|token|bot|digest)?[ \t]*"
            r"(?P<val>[^\s'\"\\]+)"
        ),
        "a literal Authorization header",
    ),
    (
        re.compile(
            r"(?i)\b(?:x-api-key|api-key|x-auth-token|private-token|x-access-token)[ \t]*:[ \t]*"
            r"(?P<val>[^\s'\"\\]+)"
        ),
        "a literal API-key header",
    ),
    (re.compile(r":_(?:authToken|auth|password)=" + _VAL), "a registry token written to .npmrc"),
    (
        re.compile(r"(?i)\bpassword[ \t]+" + _VAL + r"(?=[ \t]*(?:$|[\"'>|;&]))", re.MULTILINE),
        "a literal password written to .netrc",
    ),
    (
        re.compile(r"\baws\s+configure\s+set\s+(?:aws_secret_access_key|aws_session_token)[ \t]+" + _VAL),
        "a literal AWS secret given to aws configure",
    ),
    (
        re.compile(
            r"\becho[ \t]+(?:-n[ \t]+)?"
            + _VAL
            + r"[ \t]*\|[ \t]*(?:docker|podman|nerdctl|helm[ \t]+registry|oras|"
            r"crane)[ \t]+login\b[^\n]*--password-stdin"
        ),
        "a literal piped into a registry login",
    ),
)
# Per pattern above, lower-case words one of which every match holds (checked first: most scripts hold none).
_SHELL_NEEDLES: tuple[tuple[str, ...], ...] = (
    ("://",),
    ("--",),
    ("login",),
    ("sshpass",),
    ("mysql", "mariadb"),
    ("redis-cli",),
    ("curl", "wget"),
    ("authorization",),
    ("x-api-key", "api-key", "x-auth-token", "private-token", "x-access-token"),
    (":_",),
    ("password",),
    ("aws",),
    ("--password-stdin",),
)
_SHELL_CHECKS = tuple(
    (pattern, reason, needles)
    for (pattern, reason), needles in zip(_SHELL_PATTERNS, _SHELL_NEEDLES, strict=True)
)
_ASSIGNMENT = re.compile(
    r"(?:^|(?<=[\s;&|(\"']))(?:export[ \t]+|readonly[ \t]+|declare[ \t]+(?:-x[ \t]+)?)?"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)=" + _VAL,
    re.MULTILINE,
)
_BUILD_SECRET_SPEC = re.compile(r"(?:id|src|source|env|type|target|required)=", re.IGNORECASE)
_NETRC_CONTEXT = re.compile(r"\bmachine\b|\.netrc\b")


def _unquote(raw: str, offset: int) -> tuple[str, int]:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1], offset + 1
    return raw, offset


def remembered(ctx: AnalysisContext, key: Hashable, compute: Callable[[], _T]) -> _T:
    """``compute()``, or the answer it gave for ``key`` before when ``ctx`` remembers answers (a history
    scan's context does: the versions of a file hold the same scripts and values again and again). ``key``
    must name everything the answer depends on besides ``ctx``, starting with what is asked."""
    remember: Callable[[Hashable, Callable[[], _T]], _T] | None = getattr(ctx, "remember", None)
    return compute() if remember is None else remember(key, compute)


_REMEMBERED_SCRIPT = 16 * 1024  # longer scripts and values are judged each time (not kept)


def shell_secrets(script: str, ctx: AnalysisContext) -> list[LiteralSecret]:
    """Literal secrets in a shell snippet: token formats, URL credentials, password flags, Authorization
    headers, tokens written to ``.npmrc``/``.netrc``, and ``export NAME=literal`` for secret-ish names.
    References (``$VAR``, ``${{ secrets.X }}``, ``$(cat /run/secrets/x)``) are never literals."""
    if len(script) > _REMEMBERED_SCRIPT:
        return _shell_secrets(script, ctx)
    return list(remembered(ctx, ("shell_secrets", script), lambda: tuple(_shell_secrets(script, ctx))))


def _shell_secrets(script: str, ctx: AnalysisContext) -> list[LiteralSecret]:
    hits: dict[int, LiteralSecret] = {}
    for match in ctx.detect(script):
        secret = match.secret(script)
        if secret and not has_reference(secret) and not ctx.is_placeholder(secret):
            hits.setdefault(
                match.secret_start,
                LiteralSecret(
                    secret,
                    match.secret_start,
                    f"matches rule {match.rule.id}",
                    from_rule=True,
                    preview_keep=match.rule.preview_keep,
                    severity=match.rule.severity,
                ),
            )
    lowered = script.lower()
    for pattern, reason, needles in _SHELL_CHECKS:
        for needle in needles:
            if needle in lowered:
                break
        else:
            continue  # a word every match holds is not in the script
        if reason.endswith(".netrc") and not _NETRC_CONTEXT.search(script):
            continue
        for m in pattern.finditer(script):
            value, offset = _unquote(m.group("val"), m.start("val"))
            if _BUILD_SECRET_SPEC.match(value):
                continue  # docker build --secret id=x,src=file: a reference, not a value
            if reason == _URL_CREDENTIAL and local_user_as_password(m.group("user"), value, m.group("host")):
                continue  # postgresql://app:app@127.0.0.1/app: a throwaway local server's
            if is_literal(value, ctx) and not _overlaps(hits, offset):
                hits[offset] = LiteralSecret(value, offset, reason)
    for m in _ASSIGNMENT.finditer(script) if "=" in script else ():
        name = m.group("name")
        value, offset = _unquote(m.group("val"), m.start("val"))
        if (
            ctx.is_secret_name(name)
            and is_literal(value, ctx)
            and not _is_boring(name, value)
            and not _overlaps(hits, offset)
        ):
            hits[offset] = LiteralSecret(value, offset, f"a literal assigned to {name}", True)
    return [hits[k] for k in sorted(hits)]


def _overlaps(hits: dict[int, LiteralSecret], offset: int) -> bool:
    return any(h.offset <= offset < h.offset + max(1, len(h.secret)) for h in hits.values())


# --- committed files ---


class CommittedFiles:
    """Answers "is this file committed": it exists under the root and, when the root is in a git work tree,
    git does not ignore it (a tracked file counts even if a pattern matches it). One instance per scan."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[Path, bool] = {}

    def resolve(self, base_dir: str, reference: str) -> tuple[Path, str] | None:
        """The absolute path and root-relative "/" path of ``reference`` (relative to the root-relative
        ``base_dir``), or None when it leaves the root."""
        joined = (
            os.path.normpath(os.path.join(base_dir, reference)) if base_dir else os.path.normpath(reference)
        )
        if os.path.isabs(joined) or joined == ".." or joined.startswith(".." + os.sep):
            return None
        return self.root / joined, joined.replace(os.sep, "/")

    def is_committed(self, path: Path) -> bool:
        if path in self._cache:
            return self._cache[path]
        result = path.is_file() and self._inside_root(path) and not self._git_ignores(path)
        self._cache[path] = result
        return result

    def _inside_root(self, path: Path) -> bool:
        """False for a symbolic link that leads out of the scanned root (never read files outside it)."""
        try:
            return path.resolve().is_relative_to(self.root.resolve())
        except OSError:
            return False

    def _git_ignores(self, path: Path) -> bool:
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.root), "check-ignore", "-q", "--", str(path.relative_to(self.root))],
                capture_output=True,
                timeout=30,
                check=False,
                env=harden({**os.environ, "GIT_OPTIONAL_LOCKS": "0"}),
            )
        except (OSError, subprocess.SubprocessError, ValueError):
            return False
        return proc.returncode == 0  # 1: not ignored; 128: not a repository


def make_finding(
    rule_id: str,
    severity: Severity,
    path: str,
    where: tuple[int, int, int, int],
    message: str,
    secret: str,
    related: str | None = None,
    *,
    keep: int = 0,
) -> Finding:
    """A :class:`Finding` at ``where`` = (line, column, end_line, end_column) with a redacted preview showing
    at most ``keep`` leading characters (default: none)."""
    line, column, end_line, end_column = where
    return Finding(
        rule_id=rule_id,
        severity=severity,
        path=path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        message=message,
        preview=redact_preview(secret, keep=keep) if secret else "",
        secret=secret,
        related=related,
    )

"""Secret checks on Dockerfiles: literals in ``ENV``/``ARG``/``LABEL``, secret-named build arguments, ``COPY``
of
secret files, secrets in ``RUN``, and mounted secrets persisted into a layer.

Each check has a stable id (see :data:`DOCKERFILE_CHECKS`). Findings point at the physical line holding the
secret.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ...._redact import MASK, redact_preview
from ..._model import AnalysisContext, Finding, Match, Severity
from ...engine._filters import is_encoded_pem, is_public_key
from ...engine._suppress import line_allows
from .._sensitive_files import classify_sensitive_file
from ._dockerfile import Dockerfile, Instruction, KeyValue, is_dockerfile_path, parse_dockerfile

__all__ = [
    "DOCKERFILE_CHECKS",
    "DockerCheck",
    "DockerfileAnalyzer",
    "check_dockerfile",
    "copy_source_secret_reason",
    "detect_in",
    "is_secret_variable",
]


@dataclass(frozen=True, slots=True)
class DockerCheck:
    """A Dockerfile/build-context check: stable id, severity, title, and how to fix it."""

    id: str
    severity: Severity
    title: str
    remediation: str


_MOUNT_HINT = (
    "Pass build-time secrets with `RUN --mount=type=secret,id=NAME` (docker build --secret id=NAME,src=FILE) "
    "and "
    "runtime secrets as Docker secrets (`NAME_FILE=/run/secrets/NAME`); rotate the exposed value."
)

ENV_SECRET = DockerCheck(
    "docker-env-secret", Severity.ERROR, "Secret literal in ENV (kept in the image config)", _MOUNT_HINT
)
ARG_SECRET_DEFAULT = DockerCheck(
    "docker-arg-secret-default",
    Severity.ERROR,
    "Secret literal as an ARG default (kept in the Dockerfile and the image history)",
    _MOUNT_HINT,
)
LABEL_SECRET = DockerCheck(
    "docker-label-secret", Severity.ERROR, "Secret literal in LABEL (kept in the image config)", _MOUNT_HINT
)
SECRET_ARG_NO_VALUE = DockerCheck(
    "docker-secret-arg-no-value",
    Severity.WARNING,
    "Secret-named ARG/ENV without a value: the value given at build time persists in the image metadata",
    "Use `RUN --mount=type=secret,id=NAME` and read /run/secrets/NAME in the one RUN that needs it.",
)
SECRET_FROM_ARG = DockerCheck(
    "docker-secret-env-from-arg",
    Severity.WARNING,
    "ENV set from a secret build argument: the value persists in the image config",
    "Use `RUN --mount=type=secret,id=NAME` at build time and a Docker secret (`NAME_FILE`) at run time.",
)
COPY_SECRET_FILE = DockerCheck(
    "docker-copy-secret-file",
    Severity.ERROR,
    "COPY/ADD of a secret file into the image",
    "Do not copy it: mount it for one RUN with `RUN --mount=type=secret,id=NAME,target=PATH`, or provide it "
    "at run "
    "time as a Docker secret; add it to .dockerignore.",
)
RUN_SECRET = DockerCheck(
    "docker-run-secret",
    Severity.ERROR,
    "Secret literal in a RUN command (kept in the image history)",
    "Read the credential from `RUN --mount=type=secret,id=NAME` ($(cat /run/secrets/NAME)) instead of "
    "writing it "
    "in the Dockerfile; rotate it.",
)
MOUNTED_SECRET_PERSISTED = DockerCheck(
    "docker-mounted-secret-persisted",
    Severity.ERROR,
    "A mounted build secret is written into the image layer",
    "Use the secret only in the RUN that mounts it, without writing it to a file outside the mount (or "
    "remove the "
    "file in the same RUN); prefer `--mount=type=secret,target=PATH` so tools read it in place.",
)
CONTEXT_SECRET_FILE = DockerCheck(
    "docker-context-secret-file",
    Severity.ERROR,
    "A sensitive file in the build context would be copied into the image",
    "Add it to .dockerignore (or the Dockerfile's own <name>.dockerignore), copy only what the image needs "
    "(COPY src/ pyproject.toml ./), and rotate the credential if an image was pushed.",
)
CONTEXT_FILE_WITH_SECRET = DockerCheck(
    "docker-context-file-with-secret",
    Severity.ERROR,
    "A file holding a secret in the build context would be copied into the image",
    CONTEXT_SECRET_FILE.remediation,
)

DOCKERFILE_CHECKS: tuple[DockerCheck, ...] = (
    ENV_SECRET,
    ARG_SECRET_DEFAULT,
    LABEL_SECRET,
    SECRET_ARG_NO_VALUE,
    SECRET_FROM_ARG,
    COPY_SECRET_FILE,
    RUN_SECRET,
    MOUNTED_SECRET_PERSISTED,
    CONTEXT_SECRET_FILE,
    CONTEXT_FILE_WITH_SECRET,
)

# ----------------------------------------------------------------------------------------------------
# Names and values

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# Names whose last word says the value is a locator or a version, not the secret itself.
_NOT_SECRET_LAST = frozenset({"file", "files", "path", "dir", "directory", "version", "ver"})
_NOT_SECRET_FIRST = frozenset({"public", "pub"})


def _name_words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def is_secret_variable(name: str, ctx: AnalysisContext) -> bool:
    """A secret-bearing variable name: ``ctx.is_secret_name`` (schema names included) minus ``*_FILE``,
    ``*_PATH``, ``*_DIR``, ``*_VERSION`` and ``PUBLIC_*`` names (they locate or describe a secret, they do not
    hold one)."""
    words = _name_words(name)
    if words and (words[-1] in _NOT_SECRET_LAST or words[0] in _NOT_SECRET_FIRST):
        return False
    return bool(ctx.is_secret_name(name))


_REF = re.compile(
    r"\$(?:\{(?P<b>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+?][^}]*)?\}|(?P<s>[A-Za-z_][A-Za-z0-9_]*))"
)
_ONLY_REF = re.compile(r"^\$(?:\{[A-Za-z_][A-Za-z0-9_]*(?::?[-+?][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)$")
_BOOLISH = frozenset(
    {"true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "enabled", "disabled"}
)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?P<auth>[^/@\s]*@)?[^\s]*$", re.I)
_FINGERPRINTS = re.compile(r"^(?:(?:0x)?(?:[0-9A-F]{16}|[0-9A-F]{40})[\s,]*)+$", re.I)
_ABS_PATH = re.compile(r"^/[\w.\-/]*$")


def _refs(value: str) -> list[tuple[str, str]]:
    """(variable, default-or-"") for each ``$VAR``/``${VAR:-default}`` in ``value``."""
    out: list[tuple[str, str]] = []
    for m in _REF.finditer(value):
        name = m.group("b") or m.group("s") or ""
        op = m.group("op") or ""
        default = op.lstrip(":")[1:] if op.lstrip(":").startswith("-") else ""
        out.append((name, default))
    return out


def _harmless_value(name: str, value: str) -> bool:
    """Values that are not secrets whatever the name: booleans, URLs without credentials, absolute paths, GPG
    fingerprints under a GPG name (official images publish them), keys public by design (a Stripe publishable
    key), PEM blocks in base64 (the PEM rules judge what they decode to)."""
    stripped = value.strip()
    if stripped.lower() in _BOOLISH or is_public_key(stripped) or is_encoded_pem(stripped):
        return True
    url = _URL.match(stripped)
    if url and not url.group("auth"):
        return True
    if _ABS_PATH.match(stripped) and "/" in stripped[1:]:
        return True
    words = _name_words(name)
    return ("gpg" in words or "pgp" in words or "keys" in words) and bool(_FINGERPRINTS.match(stripped))


# ----------------------------------------------------------------------------------------------------
# Findings


def _finding(
    check: DockerCheck,
    relpath: str,
    line: int,
    column: int,
    message: str,
    secret: str = "",
    *,
    keep: int = 0,
    related: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    """A finding of ``check``; ``severity`` is the matching token rule's when one identified the value (one
    severity for a value whatever found it), else the check's own."""
    return Finding(
        rule_id=check.id,
        severity=check.severity if severity is None else severity,
        path=relpath,
        line=line,
        column=max(column, 1),
        end_line=line,
        end_column=max(column, 1) + len(secret),
        message=message,
        preview=redact_preview(secret, keep=keep) if secret else MASK,
        secret=secret,
        related=related,
    )


def detect_in(ctx: AnalysisContext, text: str, relpath: str | None = None) -> list[Match]:
    """``ctx.detect`` on a fragment (a value, a command), framed by newlines so that a token at the very start
    or end of the fragment is delimited as it would be in a file; or on a whole file, judged as its path
    ``relpath`` says (source code, configuration, documentation). Offsets refer to ``text``."""
    framed = "\n" + text + "\n"
    out: list[Match] = []
    for m in ctx.detect(framed, relpath):
        if m.secret_start < 1 or m.secret_end > len(text) + 1:
            continue
        out.append(
            Match(
                m.rule, max(m.start - 1, 0), min(m.end - 1, len(text)), m.secret_start - 1, m.secret_end - 1
            )
        )
    return out


def _rule_names(matches: Iterable[Match]) -> str:
    return ", ".join(sorted({m.rule.id for m in matches}))


# ----------------------------------------------------------------------------------------------------
# ENV / ARG / LABEL

_KV_CHECK = {"ENV": ENV_SECRET, "ARG": ARG_SECRET_DEFAULT, "LABEL": LABEL_SECRET}


def _column_of(kv: KeyValue, part: str) -> int:
    """The column of ``part`` of a key-value's value as written: past an opening quote, so a finding on a
    quoted value points at the same place as a token rule's finding on it (one finding per place). A value
    continued over several physical lines keeps the value's own column."""
    if "\n" in kv.value_raw or not part:
        return kv.column
    return kv.column + max(kv.value_raw.find(part), 0)


def _check_key_values(
    relpath: str, ins: Instruction, args_in_scope: set[str], ctx: AnalysisContext, global_args: set[str]
) -> Iterator[Finding]:
    check = _KV_CHECK[ins.keyword]
    for kv in ins.key_values():
        name, value = kv.key, kv.value
        secret_name = is_secret_variable(name, ctx)
        if ins.keyword == "ARG":
            args_in_scope.add(name)
        if value is None or (ins.keyword == "ARG" and value == ""):
            redeclared = ins.keyword == "ARG" and ins.stage >= 0 and name in global_args
            if secret_name and ins.keyword in ("ARG", "ENV") and not redeclared:
                yield _finding(
                    SECRET_ARG_NO_VALUE,
                    relpath,
                    kv.line,
                    kv.column,
                    f"{ins.keyword} {name} has no value: whatever is passed at build time is recorded in the "
                    f"image metadata; use RUN --mount=type=secret,id={name.lower()} instead",
                )
            continue
        matches = detect_in(ctx, value)
        if matches:
            m = matches[0]
            secret = m.secret(value)
            yield _finding(
                check,
                relpath,
                kv.value_line,
                _column_of(kv, secret),
                f"{ins.keyword} {name} holds a secret ({_rule_names(matches)})",
                secret,
                keep=m.rule.preview_keep,
                severity=m.rule.severity,
            )
            continue
        refs = _refs(value)
        if refs:
            literal_default = next((d for _, d in refs if d and not _REF.search(d)), "")
            if (
                secret_name
                and literal_default
                and _ONLY_REF.match(value.strip())
                and not ctx.is_placeholder(literal_default)
                and not _harmless_value(name, literal_default)
            ):
                yield _finding(
                    check,
                    relpath,
                    kv.value_line,
                    _column_of(kv, literal_default),
                    f"{ins.keyword} {name} has a literal secret as the default of a reference",
                    literal_default,
                )
                continue
            from_args = [r for r, _ in refs if r in args_in_scope]
            if (
                ins.keyword == "ENV"
                and from_args
                and (secret_name or any(is_secret_variable(r, ctx) for r in from_args))
            ):
                yield _finding(
                    SECRET_FROM_ARG,
                    relpath,
                    kv.value_line,
                    kv.column,
                    f"ENV {name} is set from build argument {from_args[0]} and persists in the image config; "
                    f"use RUN --mount=type=secret,id={from_args[0].lower()} at build time and {name}_FILE "
                    "at run time",
                )
                continue
            if _ONLY_REF.match(value.strip()):
                continue
        if not secret_name or ctx.is_placeholder(value) or _harmless_value(name, value):
            continue
        if refs and not _REF.sub("", value).strip(" :@/"):
            continue
        yield _finding(
            check,
            relpath,
            kv.value_line,
            _column_of(kv, value),
            f"{ins.keyword} {name} is given a literal value",
            value,
        )


# ----------------------------------------------------------------------------------------------------
# COPY / ADD of secret files

_SECRET_DIRS = frozenset(
    {".ssh", ".aws", ".gnupg", ".azure", ".docker", ".kube", "gcloud", ".password-store"}
)
_ENV_OK_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults", ".tmpl", ".tpl", ".schema")
_CERT_HINT = re.compile(r"cert|chain|bundle|\bca\b|^ca[._-]|public|pub\b|dhparam|trust", re.I)
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_SECRET_NAME_GLOBS = (
    "credentials*.json",
    "*credentials.json",
    "client_secret*.json",
    "service-account*.json",
    "service_account*.json",
    "*.tfstate",
    "*.tfvars",
    "secrets.y*ml",
    "secrets.json",
)


def _is_env_file(name: str) -> bool:
    lower = name.lower()
    if lower == ".env" or lower.endswith(".env"):
        return True
    return lower.startswith(".env.") and not lower.endswith(_ENV_OK_SUFFIXES)


# What a .key or .pem file is taken for when only its name is known
_KEY_BY_NAME = "a private key file"


def copy_source_secret_reason(path: str, text: str | None) -> str | None:
    """Why copying the file ``path`` (``/``-separated, relative to the context) into an image leaks a secret,
    or
    None. ``text`` is its content when known (a ``.pem`` certificate or an ``.npmrc`` without a literal token
    is
    fine); None judges by name."""
    parts = [p for p in PurePosixPath(path).parts if p not in ("/", ".")]
    if not parts:
        return None
    for part in parts[:-1]:
        if part.lower() in _SECRET_DIRS:
            return f"a file under {part}/"
    name = parts[-1]
    lower = name.lower()
    if lower.endswith(".pub"):
        return None
    if lower in _SECRET_DIRS:
        return f"the {name}/ folder"
    if _is_env_file(name):
        return "a .env file"
    suffix = PurePosixPath(lower).suffix
    if suffix in (".pem", ".key"):
        if text is not None:
            return "a private key" if _PRIVATE_KEY.search(text) or "PuTTY-User-Key" in text else None
        if suffix == ".pem" and _CERT_HINT.search(lower):
            return None
        return _KEY_BY_NAME
    if lower.startswith("id_") and "." not in lower:
        if text is None or _PRIVATE_KEY.search(text) or "PuTTY-User-Key" in text:
            return "an SSH private key"
        return None
    verdict = classify_sensitive_file("/".join(parts), text)
    if verdict is not None:
        return verdict.check.title
    if any(fnmatch.fnmatchcase(lower, g) for g in _SECRET_NAME_GLOBS):
        if lower.endswith(".json") and text is not None and not _json_has_secret(text):
            return None
        return "a credentials file"
    return None


_JSON_SECRET_KEY = re.compile(
    r"\"(?:private_key|client_secret|secret|password|token|access_token|refresh_token|api_key|apikey)\"\s*:\s*\"[^\"]+",
    re.I,
)


def _json_has_secret(text: str) -> bool:
    return bool(_JSON_SECRET_KEY.search(text))


def _has_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def _resolve_in_dir(context_dir: Path, source: str) -> list[Path]:
    """Files and folders a COPY source names inside ``context_dir`` (glob per segment, no ``**``)."""
    rel = source.lstrip("/")
    while rel.startswith("./"):
        rel = rel[2:]
    if rel in ("", "."):
        return [context_dir]
    if not _has_glob(rel):
        target = context_dir / rel
        return [target] if target.exists() or target.is_symlink() else []
    return sorted(context_dir.glob(rel))


def _read_text(path: Path, limit: int = 2 * 1024 * 1024) -> str | None:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > limit:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _copy_sources(ins: Instruction) -> list[tuple[str, int]]:
    """(source, offset in args) for a COPY/ADD; heredoc sources and the destination are left out."""
    words = ins.words()
    if len(words) < 2:
        return []
    return [(w, off) for w, off in words[:-1] if not w.startswith("<<")]


def _check_copy(relpath: str, ins: Instruction, ctx: AnalysisContext) -> Iterator[Finding]:
    if ins.flag("from") is not None:
        return
    words = ins.words()
    dest = words[-1][0] if words else ""
    # Heredoc content written to a file in the image: a credential in it is in the layer.
    for doc in ins.heredocs:
        matches = detect_in(ctx, doc.body)
        verdict = classify_sensitive_file(dest, doc.body) if dest else None
        if matches:
            m = matches[0]
            yield _finding(
                COPY_SECRET_FILE,
                relpath,
                doc.line_of(m.secret_start),
                1,
                f"{ins.keyword} heredoc writes a secret ({_rule_names(matches)}) into {dest}",
                m.secret(doc.body),
                keep=m.rule.preview_keep,
                severity=m.rule.severity,
            )
        elif verdict is not None:
            yield _finding(
                COPY_SECRET_FILE,
                relpath,
                doc.body_line + verdict.line - 1,
                1,
                f"{ins.keyword} heredoc writes {verdict.check.title} into {dest}",
            )
    context_dir = (ctx.root / relpath).parent
    for source, offset in _copy_sources(ins):
        if "$" in source:
            continue
        if ins.keyword == "ADD" and re.match(r"^[a-z][a-z0-9+.-]*://|^git@", source, re.I):
            matches = detect_in(ctx, source)
            if not matches:
                for q in re.finditer(r"[?&](?P<n>[A-Za-z_][\w.-]*)=(?P<v>[^&#]+)", source):
                    value = _literal_value(q.group("v"), ctx)
                    if value is not None and is_secret_variable(q.group("n"), ctx):
                        line, column = ins.position_at(offset)
                        yield _finding(
                            RUN_SECRET,
                            relpath,
                            line,
                            column,
                            f"ADD URL passes {q.group('n')} as a literal",
                            value,
                        )
                        break
                continue
            if matches:
                line, column = ins.position_at(offset)
                yield _finding(
                    RUN_SECRET,
                    relpath,
                    line,
                    column,
                    f"ADD URL carries a credential ({_rule_names(matches)})",
                    matches[0].secret(source),
                    keep=matches[0].rule.preview_keep,
                    severity=matches[0].rule.severity,
                )
            continue
        line, column = ins.position_at(offset)
        reason = _copy_reason_for_source(ctx.root, context_dir, source)
        if reason == _KEY_BY_NAME and dest.lower().endswith(".pub"):
            reason = None  # judged by its name only, and copied to a public key's name (jenkins-key.pub)
        if reason:
            yield _finding(
                COPY_SECRET_FILE,
                relpath,
                line,
                column,
                f"{ins.keyword} {source} copies {reason} into the image",
            )


def _context_dirs(root: Path, context_dir: Path) -> list[Path]:
    """Where a Dockerfile's build context may be: its folder, then each folder above it up to the scanned
    root (``docker build -f debian/Dockerfile .``, as a bake file or compose names the root; a COPY source
    found in a lower folder wins, as the build would fail without it)."""
    try:
        rel = context_dir.relative_to(root)
    except ValueError:
        return [context_dir]
    return [root / PurePosixPath(*rel.parts[:n]) for n in range(len(rel.parts), -1, -1)]


def is_inside(path: Path, root: Path) -> bool:
    """``path`` resolves inside ``root``: a path read from the repository (a COPY source of ``..``
    segments, a build's context, a symlink) never makes the scan read a file outside it."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def _copy_reason_for_source(root: Path, context_dir: Path, source: str) -> str | None:
    """Look at the real files when the context is present (the Dockerfile's folder or a folder above it, see
    :func:`_context_dirs`); else judge the source by its name."""
    name_only = source.rstrip("/")
    found: list[Path] = []
    for directory in _context_dirs(root, context_dir) if context_dir.is_dir() else []:
        found = [path for path in _resolve_in_dir(directory, source) if is_inside(path, root)]
        if found:
            context_dir = directory
            break
    if not found:
        if _has_glob(name_only):
            return None
        return copy_source_secret_reason(name_only, None)
    for path in found:
        rel = path.relative_to(context_dir).as_posix() if path != context_dir else "."
        if path.is_dir():
            # A whole folder: flag it when the folder itself is a secret folder (its content is the context
            # check's business).
            if path.name.lower() in _SECRET_DIRS:
                return f"the {path.name}/ folder"
            continue
        reason = copy_source_secret_reason(rel, _read_text(path))
        if reason:
            return reason if not _has_glob(source) else f"{rel} ({reason})"
    return None


# ----------------------------------------------------------------------------------------------------
# RUN

_URL_CRED = re.compile(r"\b[a-z][a-z0-9+.-]*://(?P<user>[^\s/:@'\"]*):(?P<v>[^\s@/'\"]+)@", re.I)
_AUTH_HEADER = re.compile(
    r"(?:authorization|proxy-authorization|private-token|x-api-key|x-auth-token|api-key|x-access-token)\s*:\s*"
    r"(?:(?:bearer|token|basic|bot|apikey)\s+)?(?P<v>[^\s\"']+)",
    re.I,
)
_LOGIN_P = re.compile(
    r"\b(?:docker|podman|buildah|skopeo|nerdctl|oras|crane|helm(?:\s+registry)?)\s+(?:auth\s+)?login\b"
    r"[^\n;&|]*?\s(?:-p|--password)(?:=|\s+)(?P<v>[\"']?[^\s\"';&|]+)",
    re.I,
)
_MYSQL_P = re.compile(
    r"\b(?:mysql|mysqladmin|mysqldump|mariadb)\b[^\n;&|]*?\s-p(?P<v>[^\s\"';&|-][^\s\"';&|]*)"
)
_PASSWORD_FLAG = re.compile(
    r"(?<![\w-])--(?P<n>(?:[a-z0-9]+-)*(?:password|passwd|pass|token|api-?key|secret|client-secret|"
    r"auth-token|access-token|secret-key|access-key))(?:=|\s+)(?P<v>[\"']?[^\s\"';&|]+)",
    re.I,
)
_OPENSSL_PASS = re.compile(r"\s-pass(?:in|out)?\s+[\"']?pass:(?P<v>[^\s\"';&|]+)")
_KEYTOOL_PASS = re.compile(r"\s-(?:src|dest|new)?(?:storepass|keypass)\s+[\"']?(?P<v>[^\s\"';&|]+)")
_NPM_TOKEN = re.compile(r"[:\s]_(?:authToken|auth|password)\s*[=\s]\s*[\"']?(?P<v>[^\s\"';&|]+)")
_NETRC_LINE = re.compile(r"\bmachine\s+\S+(?:\s+login\s+\S+)?\s+password\s+(?P<v>[^\s\"';&|]+)", re.I)
_AWS_SET = re.compile(
    r"\baws\s+configure\s+set\s+(?:[\w.]*\.)?(?:aws_secret_access_key|aws_session_token)\s+[\"']?(?P<v>[^\s\"';&|]+)",
    re.I,
)
_QUERY_PARAM = re.compile(r"(?<=\S)[?&](?P<n>[A-Za-z_][\w.-]*)=(?P<v>[^&\s\"'#;|]+)")
_CURL_USER = re.compile(
    r"\b(?:curl|wget)\b[^\n;&|]*?\s(?:-u|--user)(?:=|\s+)[\"']?[^\s:\"'$]+:(?P<v>[^\s\"';&|]+)"
)
_CHPASSWD = re.compile(
    r"\b(?:echo|printf)\s+[\"']?[\w.-]+:(?P<v>[^\s\"':]+)[\"']?\s*\|\s*(?:sudo\s+)?chpasswd\b"
)
_HTPASSWD_B = re.compile(
    r"\bhtpasswd\s+-[a-zA-Z]*b[a-zA-Z]*\s+(?:-\S+\s+)*\S+\s+\S+\s+[\"']?(?P<v>[^\s\"';&|]+)"
)
_ASSIGN = re.compile(
    r"(?:^|[\s;&|(])(?:export\s+)?(?P<n>[A-Za-z_][A-Za-z0-9_]*)=(?P<v>\"[^\"]*\"|'[^']*'|[^\s;&|]+)"
)

_RUN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_URL_CRED, "a URL with an embedded credential"),
    (_AUTH_HEADER, "an Authorization header with a literal credential"),
    (_LOGIN_P, "a registry login with a literal password"),
    (_MYSQL_P, "a database client with a literal password"),
    (_AWS_SET, "aws configure set with a literal secret key"),
    (_NPM_TOKEN, "an npm registry token written to .npmrc"),
    (_NETRC_LINE, "a password written to .netrc"),
    (_PASSWORD_FLAG, "a --password-style flag with a literal value"),
    (_OPENSSL_PASS, "an openssl pass: literal"),
    (_KEYTOOL_PASS, "a keytool store/key password literal"),
    (_CURL_USER, "curl/wget basic auth with a literal password"),
    (_CHPASSWD, "a literal password set with chpasswd"),
    (_HTPASSWD_B, "a literal password given to htpasswd -b"),
)


def _literal_value(value: str, ctx: AnalysisContext) -> str | None:
    """The credential when ``value`` is a literal (not ``$VAR``, ``$(cmd)``, a placeholder, or a path)."""
    v = value.strip().strip("\"'")
    if not v or v.startswith(("$", "`", "-", "<", "/run/secrets", "@")) or "$(" in v:
        return None
    if "${" in v or re.fullmatch(r".*\$[A-Za-z_]\w*.*", v):
        return None
    if re.match(r"^(?:id|src|source|env|type|target)=", v):
        return None  # `docker build --secret id=x,src=file`: a reference to a secret, not one
    if ctx.is_placeholder(v):
        return None
    return v


def _unquoted_span(m: re.Match[str]) -> tuple[int, int]:
    """The span of a match's value ``v`` inside its quotes, if it has them: where the literal itself is (a
    token rule's finding on it starts there too)."""
    start, end = m.span("v")
    raw = m.group("v")
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return start + 1, end - 1
    return start, end


def _scan_shell(
    text: str, ctx: AnalysisContext, at: Callable[[int], tuple[int, int]]
) -> Iterator[tuple[int, int, str, str, int, Severity | None]]:
    """(line, column, what, secret, keep, the token rule's severity or None) for secrets in shell text; ``at``
    maps offsets to (line, column)."""
    seen: set[tuple[int, int]] = set()
    for hit in detect_in(ctx, text):
        if any(s < hit.secret_end and hit.secret_start < e for s, e in seen):
            continue  # two rules on one value: one finding (the detector's first, the more specific)
        line, column = at(hit.secret_start)
        seen.add((hit.secret_start, hit.secret_end))
        yield (
            line,
            column,
            f"a {hit.rule.id} secret",
            hit.secret(text),
            hit.rule.preview_keep,
            hit.rule.severity,
        )
    for pattern, what in _RUN_PATTERNS:
        for m in pattern.finditer(text):
            start, end = _unquoted_span(m)
            if any(s < end and start < e for s, e in seen):
                continue
            if "n" in pattern.groupindex and not is_secret_variable(m.group("n"), ctx):
                continue  # a switch that takes no value: adduser --disabled-password <user name>
            secret = _literal_value(m.group("v"), ctx)
            if secret is None:
                continue
            seen.add((start, end))
            line, column = at(start)
            yield line, column, what, secret, 0, None
    for pattern, what in ((_ASSIGN, "assigned a literal"), (_QUERY_PARAM, "given a literal in a URL query")):
        for m in pattern.finditer(text):
            name = m.group("n")
            start, end = _unquoted_span(m)
            if any(s < end and start < e for s, e in seen) or not is_secret_variable(name, ctx):
                continue
            secret = _literal_value(m.group("v"), ctx)
            if secret is None or _harmless_value(name, secret):
                continue
            seen.add((start, end))
            line, column = at(start)
            yield line, column, f"{name} {what}", secret, 0, None


def _check_run(relpath: str, ins: Instruction, ctx: AnalysisContext) -> Iterator[Finding]:
    texts: list[tuple[str, Callable[[int], tuple[int, int]]]] = []
    if ins.json_args is not None:
        joined = " ".join(ins.json_args)
        texts.append((joined, lambda _off: (ins.line, 1)))
    else:
        texts.append((ins.args, ins.position_at))
    for doc in ins.heredocs:
        texts.append((doc.body, lambda off, d=doc: (d.line_of(off), 1)))  # type: ignore[misc]
    for text, at in texts:
        for line, column, what, secret, keep, severity in _scan_shell(text, ctx, at):
            yield _finding(
                RUN_SECRET,
                relpath,
                line,
                column,
                f"RUN contains {what}",
                secret,
                keep=keep,
                severity=severity,
            )
    yield from _check_persisted(relpath, ins, texts)


# Mounted secrets persisted into the layer.
_SEGMENT_SPLIT = re.compile(r"&&|\|\||;|\n")
_REDIRECT = re.compile(r"(?<![<>&0-9])\d?>>?\s*(?P<t>[^\s;&|>]+)")
_HARMLESS_TARGETS = ("/dev/null", "/dev/stdout", "/dev/stderr", "&1", "&2")
_CONFIG_WRITERS = re.compile(
    r"\b(?:git\s+config|npm\s+config\s+set|yarn\s+config\s+set|pnpm\s+config\s+set|pip\s+config\s+set|"
    r"aws\s+configure\s+set|(?:docker|podman|helm)\s+(?:registry\s+)?login|gh\s+auth\s+login|poetry\s+config)\b"
)
_COPY_CMD = re.compile(r"(?:^|\s)(?:cp|install|rsync|dd|ln\s+-?[a-z]*L)\s")
_TEE = re.compile(r"\btee\s+(?:-a\s+)?(?P<t>[^\s;&|>]+)")
_CAPTURE = re.compile(r"(?:export\s+)?(?P<n>[A-Za-z_]\w*)=[\"']?\$\((?:cat\s+|<\s*)(?P<p>[^)\s]+)\s*\)")


def _check_persisted(
    relpath: str, ins: Instruction, texts: list[tuple[str, Callable[[int], tuple[int, int]]]]
) -> Iterator[Finding]:
    mounts = [m for m in ins.mounts() if m.type == "secret"]
    if not mounts:
        return
    paths = {m.target for m in mounts if m.target}
    variables = {m.env for m in mounts if m.env}
    for text, at in texts:
        # Variables captured from a secret file carry the secret too.
        for m in _CAPTURE.finditer(text):
            if m.group("p").strip("\"'") in paths:
                variables.add(m.group("n"))
        removed = set(re.findall(r"\brm\s+(?:-[a-zA-Z]+\s+)*([^\s;&|]+)", text))
        for start, segment in _segments(text):
            if not _mentions(segment, paths, variables):
                continue
            # What the segment's commands print: the secret only when read directly (not inside a $(...) that
            # only feeds a variable or an argument), or echoed from $(...)/a secret variable.
            direct = _prints_secret(segment, paths, variables)
            targets: list[str] = []
            if direct:
                for r in _REDIRECT.finditer(segment):
                    target = r.group("t").strip("\"'")
                    if target not in _HARMLESS_TARGETS and target not in paths:
                        targets.append(target)
                targets += [t.group("t") for t in _TEE.finditer(segment)]
            if _COPY_CMD.search(" " + segment) and _mentions(_SUBST.sub(" ", segment), paths, set()):
                words = segment.split()
                if words and not any(p == words[-1] for p in paths):
                    targets.append(words[-1])
            targets = [t for t in targets if t not in removed and not t.startswith("$(")]
            config_write = (
                _CONFIG_WRITERS.search(segment) is not None
                and "logout" not in text
                and not any(any(hint in r for hint in _CONFIG_HINTS) for r in removed)
            )
            if not targets and not config_write:
                continue
            line, column = at(start)
            where = targets[0] if targets else "a tool's config file"
            yield _finding(
                MOUNTED_SECRET_PERSISTED,
                relpath,
                line,
                column,
                f"RUN writes the mounted secret into {where}, which stays in the layer",
            )


_SUBST = re.compile(r"\$\([^()]*\)")
_CONFIG_HINTS = (
    ".aws",
    ".gitconfig",
    ".npmrc",
    ".docker",
    ".config",
    ".yarnrc",
    ".pypirc",
    "pip.conf",
    ".netrc",
)


_PRINTERS = frozenset(
    {
        "cat",
        "echo",
        "printf",
        "sed",
        "awk",
        "base64",
        "head",
        "tail",
        "cut",
        "tr",
        "jq",
        "yq",
        "envsubst",
        "xxd",
        "tac",
        "rev",
        "sort",
        "uniq",
    }
)


def _prints_secret(segment: str, paths: set[str], variables: set[str]) -> bool:
    """Does a pipeline element print the secret (a reader of the secret file, or echo/printf of it)?"""
    for element in segment.split("|"):
        words = [w for w in element.split() if not re.match(r"^[A-Za-z_]\w*=", w)]
        if not words or words[0].rsplit("/", 1)[-1] not in _PRINTERS:
            continue
        if words[0] in ("echo", "printf"):
            if _mentions(element, paths, variables):
                return True
        elif _mentions(_SUBST.sub(" ", element), paths, variables):
            return True
    return False


def _mentions(segment: str, paths: set[str], variables: set[str]) -> bool:
    return any(p in segment for p in paths) or any(
        re.search(r"\$\{?" + re.escape(v) + r"\b", segment) for v in variables
    )


def _segments(text: str) -> Iterator[tuple[int, str]]:
    pos = 0
    for m in _SEGMENT_SPLIT.finditer(text):
        segment = text[pos : m.start()]
        if segment.strip():
            yield pos + (len(segment) - len(segment.lstrip())), segment.strip()
        pos = m.end()
    segment = text[pos:]
    if segment.strip():
        yield pos + (len(segment) - len(segment.lstrip())), segment.strip()


# ----------------------------------------------------------------------------------------------------


def allowed_instruction_lines(text: str) -> set[int]:
    """First lines of instructions that a comment line right above allows (``# check-secrets: allow``, also
    ``gitleaks:allow`` and ``pragma: allowlist secret``). Dockerfiles have no trailing comments, so the marker
    goes on its own line."""
    allowed: set[int] = set()
    marked = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            marked = marked or line_allows(stripped)
            continue
        if not stripped:
            continue
        if marked:
            allowed.add(number)
        marked = False
    return allowed


def check_dockerfile(
    relpath: str, dockerfile: Dockerfile, ctx: AnalysisContext, *, allowed: set[int] | None = None
) -> Iterator[Finding]:
    """Every Dockerfile check over a parsed Dockerfile at ``relpath`` (relative to ``ctx.root``); instructions
    starting on a line in ``allowed`` are skipped (see :func:`allowed_instruction_lines`)."""
    global_args: set[str] = set()
    stage_args: set[str] = set()
    current_stage = -1
    for ins in dockerfile.instructions:
        if ins.stage != current_stage:
            current_stage = ins.stage
            stage_args = set()
        scope = global_args if ins.stage < 0 else stage_args
        if allowed and ins.line in allowed:
            if ins.keyword == "ARG":
                scope.update(kv.key for kv in ins.key_values())
            continue
        if ins.keyword in _KV_CHECK:
            # ARG inside a stage re-declares a global one (ARG NAME) — the scope is the stage's.
            yield from _key_values_unless_quiet(relpath, ins, scope, ctx, global_args)
        elif ins.keyword in ("COPY", "ADD"):
            # (the build context, beside the Dockerfile, is part of what is asked)
            yield from _unless_quiet(
                ctx, ("dockerfile-copy", relpath, *_what(ins)), _check_copy, relpath, ins
            )
        elif ins.keyword == "RUN":
            yield from _unless_quiet(ctx, ("dockerfile-run", *_what(ins)), _check_run, relpath, ins)
        elif ins.keyword == "ONBUILD":
            continue


def _key_values_unless_quiet(
    relpath: str, ins: Instruction, scope: set[str], ctx: AnalysisContext, global_args: set[str]
) -> Iterator[Finding]:
    """:func:`_check_key_values`, but not run when a context that remembers answers knows that the same
    instruction, with the same build arguments in scope, gave none (its ARG names still enter the scope)."""
    remember: Callable[[Hashable, Callable[[], tuple[str, ...] | None]], tuple[str, ...] | None] | None = (
        getattr(ctx, "remember", None)
    )
    if remember is None:
        yield from _check_key_values(relpath, ins, scope, ctx, global_args)
        return
    redeclaring = ins.keyword == "ARG" and ins.stage >= 0  # (then global_args is read too)
    key = (
        "dockerfile-key-values",
        ins.keyword,
        ins.args,
        ins.escape,
        ins.stage >= 0,
        frozenset(scope),
        frozenset(global_args) if redeclaring else None,
    )

    def names_if_quiet() -> tuple[str, ...] | None:
        if next(_check_key_values(relpath, ins, set(scope), ctx, global_args), None) is not None:
            return None
        return tuple(kv.key for kv in ins.key_values()) if ins.keyword == "ARG" else ()

    names = remember(key, names_if_quiet)
    if names is not None:
        scope.update(names)
        return
    yield from _check_key_values(relpath, ins, scope, ctx, global_args)


def _what(ins: Instruction) -> tuple[object, ...]:
    """Everything of a RUN/COPY/ADD instruction its checks read, but where it stands."""
    return (
        ins.keyword,
        ins.args,
        ins.escape,
        ins.json_args,
        tuple((f.name, f.value) for f in ins.flags),
        tuple((h.delimiter, h.body, h.strip_tabs, h.quoted) for h in ins.heredocs),
    )


def _unless_quiet(
    ctx: AnalysisContext,
    key: tuple[object, ...],
    check: Callable[[str, Instruction, AnalysisContext], Iterator[Finding]],
    relpath: str,
    ins: Instruction,
) -> Iterable[Finding]:
    """``check``'s findings; none without running it when a context that remembers answers (a history scan's)
    knows that the same instruction (``key``), elsewhere in this or another version, gave none."""
    remember: Callable[[Hashable, Callable[[], bool]], bool] | None = getattr(ctx, "remember", None)
    if remember is not None and remember(key, lambda: next(check(relpath, ins, ctx), None) is None):
        return ()
    return check(relpath, ins, ctx)


# Lines that never carry a finding nor change what other lines mean (git modes skip the checks of a commit
# that adds only such lines): blank lines, comments (not a parser directive), instructions no check reads, and
# ARG/ENV/LABEL of plain values under names that are not secret-ish. "=" "$" "://" and quotes inside other
# instructions are left to the checks (the line may continue a RUN).
_INERT_INSTRUCTION = re.compile(
    r"(?i)\s*(?:FROM|WORKDIR|EXPOSE|USER|CMD|ENTRYPOINT|HEALTHCHECK|STOPSIGNAL|VOLUME|MAINTAINER)\s[^=$'\"`\\]*"
)
_PLAIN_ASSIGNMENT = re.compile(r"(?i)\s*(?:ARG|ENV|LABEL)((?:\s+[A-Za-z_][\w.-]*=\"?[\w.:/@+-]*\"?)+)\s*")
_PAIR = re.compile(r"([A-Za-z_][\w.-]*)=")


def _inert_line(line: str, ctx: AnalysisContext) -> bool:
    stripped = line.strip()
    if not stripped:
        return True
    if stripped.startswith("#"):
        return "escape" not in stripped.lower()
    if "://" in stripped:
        return False
    if _INERT_INSTRUCTION.fullmatch(line):
        return True
    m = _PLAIN_ASSIGNMENT.fullmatch(line)
    return m is not None and not any(is_secret_variable(n, ctx) for n in _PAIR.findall(m.group(1)))


def _continues(source: list[str], index: int) -> bool:
    """Whether line ``index`` continues the instruction of the line above it: the nearest line above that is
    neither blank nor a comment (Docker drops those inside a continuation) ends with an escape character (a
    backslash, or a backtick under an ``escape`` directive: either is taken, which can only answer True)."""
    while index > 0:
        index -= 1
        above = source[index].strip()
        if above and not above.startswith("#"):
            return above.endswith(("\\", "`"))
    return False


class DockerfileAnalyzer:
    """FileAnalyzer for ``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``, ``*.dockerfile``,
    ``Containerfile``."""

    id = "dockerfile"

    def applies_to(self, relpath: str) -> bool:
        return is_dockerfile_path(relpath)

    def may_change(self, added: str, ctx: AnalysisContext, text: str, lines: Sequence[int]) -> bool:
        """Whether adding these lines (git modes: what a commit added to a Dockerfile) could give the file a
        finding it did not have. ``text`` is the file as of the commit and ``lines`` the numbers (1-based) of
        the added lines, one per line of ``added``. False only for lines that never carry one nor change what
        other lines mean (a ``FROM`` bump, a comment, ``ARG VERSION=1.2``), none of which continues an
        instruction begun on a line above it (after a line ending with the escape character, or in a heredoc's
        body), where its text is read as part of that instruction."""
        source: list[str] | None = None
        bodies: list[range] | None = None
        numbers = iter(lines)
        for line in added.split("\n"):
            number = next(numbers, None)
            if not _inert_line(line, ctx):
                return True
            if not line.strip():
                continue
            if source is None:
                source = text.split("\n")
            if number is None or not 0 < number <= len(source):
                return True  # where the line stands is unknown
            if not line.lstrip().startswith("#") and _continues(source, number - 1):
                return True  # (a comment inside a continuation is dropped: it stays inert)
            if "<<" in text:
                if bodies is None:
                    bodies = [
                        range(h.body_line, h.body_line + h.body.count("\n"))
                        for ins in parse_dockerfile(text).instructions
                        for h in ins.heredocs
                    ]
                if any(number in body for body in bodies):
                    return True  # a line of a heredoc's body
        return False

    def analyze(self, relpath: str, text: str, ctx: AnalysisContext) -> Iterable[Finding]:
        if not text:
            return []
        allowed = allowed_instruction_lines(text)
        return list(check_dockerfile(relpath, parse_dockerfile(text), ctx, allowed=allowed))

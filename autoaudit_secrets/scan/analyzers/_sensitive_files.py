"""Sensitive files, recognised by name and shape — a finding even when no token rule matches.

:func:`classify_sensitive_file` is the public classifier: the :class:`SensitiveFileAnalyzer` below, the Docker
build-context check and the ``COPY`` check use it. Some names are secret by themselves (``id_rsa``,
``*.kdbx``,
``.git-credentials``); others only when their content holds a credential (``.npmrc`` with an ``_authToken``
literal, ``.docker/config.json`` with ``auth``, a FileZilla ``sitemanager.xml`` with passwords); for those the
text
is needed, and ``text=None`` (content unknown) means "judge by the name alone".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..._redact import MASK
from .._model import AnalysisContext, Finding, Severity
from ..engine._filters import says_placeholder
from ._sensitive_names import SHELL_HISTORIES as _SHELL_HISTORIES
from ._sensitive_names import SSH_KEY_NAMES as _SSH_KEY_NAMES

__all__ = [
    "SENSITIVE_FILE_CHECKS",
    "SensitiveFile",
    "SensitiveFileAnalyzer",
    "SensitiveFileCheck",
    "classify_sensitive_file",
    "may_be_sensitive",
    "sensitive_file_finding",
]


@dataclass(frozen=True, slots=True)
class SensitiveFileCheck:
    """One kind of sensitive file: a stable ``id``, what it is, and how to fix it."""

    id: str
    title: str
    remediation: str


@dataclass(frozen=True, slots=True)
class SensitiveFile:
    """The verdict on one file: which check, and the line inside the file holding the evidence (1 when the
    whole file is the problem)."""

    check: SensitiveFileCheck
    line: int = 1
    reason: str = ""

    @property
    def id(self) -> str:
        return self.check.id


_REMOVE = (
    "Remove it from the repository and the image, rotate the credential, and add it to .gitignore and "
    ".dockerignore."
)


def _c(id_: str, title: str, remediation: str = _REMOVE) -> SensitiveFileCheck:
    return SensitiveFileCheck(f"sensitive-file-{id_}", title, remediation)


SSH_KEY = _c("ssh-private-key", "SSH private key")
PGPASS = _c("pgpass", "PostgreSQL password file (.pgpass)")
NETRC = _c("netrc", "netrc credentials file")
GIT_CREDENTIALS = _c("git-credentials", "git credential store (.git-credentials)")
HTPASSWD = _c("htpasswd", "Apache password file (.htpasswd)")
SHADOW = _c("shadow", "Unix shadow password file")
RAILS_KEY = _c(
    "rails-master-key",
    "Rails master/credentials key",
    "Never commit the key: pass RAILS_MASTER_KEY from a secret store; rotate the credentials it opens.",
)
KEEPASS = _c("keepass", "KeePass password database")
PKCS12 = _c("pkcs12", "PKCS#12 key store (.p12/.pfx)")
JAVA_KEYSTORE = _c("java-keystore", "Java key store (.jks/.keystore)")
NPMRC = _c(
    "npmrc-credentials",
    ".npmrc with a registry credential",
    "Use `//registry/:_authToken=${NPM_TOKEN}` and inject the token at build time (RUN --mount=type=secret).",
)
PYPIRC = _c(
    "pypirc-credentials",
    ".pypirc with a password",
    "Use an API token from a secret store (TWINE_PASSWORD / keyring) instead of storing it in .pypirc.",
)
DOCKER_CONFIG = _c(
    "docker-config-auth",
    "Docker config.json with registry auth",
    "Use a credential helper (credsStore) instead of inline auth; rotate the registry password.",
)
AWS_CREDENTIALS = _c("aws-credentials", "AWS credentials file with keys")
GCP_SERVICE_ACCOUNT = _c(
    "gcp-service-account",
    "GCP service-account key (JSON)",
    "Delete the key in IAM and use workload identity.",
)
GCP_CREDENTIALS = _c("gcp-credentials", "gcloud credential store")
AZURE_CREDENTIALS = _c("azure-credentials", "Azure CLI token cache / credentials")
TERRAFORM_STATE = _c(
    "terraform-state",
    "Terraform state (holds every secret of the managed resources in clear)",
    "Keep state in an encrypted remote backend, never in the repository or an image.",
)
FILEZILLA = _c("filezilla-passwords", "FileZilla site manager / recent servers with passwords")
IDE_DATASOURCE = _c("ide-datasource-password", "IDE database data source with a stored password")
SFTP_CONFIG = _c("sftp-config-password", "SFTP/FTP deployment config with a password")
SHELL_HISTORY = _c("shell-history", "shell history (commands often carry passwords and tokens)")
OVPN = _c("ovpn-inline-key", "OpenVPN profile with an inline private key")

SENSITIVE_FILE_CHECKS: tuple[SensitiveFileCheck, ...] = (
    SSH_KEY,
    PGPASS,
    NETRC,
    GIT_CREDENTIALS,
    HTPASSWD,
    SHADOW,
    RAILS_KEY,
    KEEPASS,
    PKCS12,
    JAVA_KEYSTORE,
    NPMRC,
    PYPIRC,
    DOCKER_CONFIG,
    AWS_CREDENTIALS,
    GCP_SERVICE_ACCOUNT,
    GCP_CREDENTIALS,
    AZURE_CREDENTIALS,
    TERRAFORM_STATE,
    FILEZILLA,
    IDE_DATASOURCE,
    SFTP_CONFIG,
    SHELL_HISTORY,
    OVPN,
)

_PRIVATE_KEY_TEXT = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d"
)
# A literal (not ${VAR}, not empty) after one of these keys.
_NPM_CRED = re.compile(r"^\s*(?://[^\s=]*:)?_(?:authToken|auth|password)\s*=\s*(?P<v>[^\s$#;][^\s]*)", re.M)
_PYPIRC_PASS = re.compile(r"^\s*password\s*[:=]\s*(?P<v>\S.*?)\s*$", re.M | re.I)
_DOCKER_AUTH = re.compile(r"\"(?:auth|identitytoken|registrytoken)\"\s*:\s*\"(?P<v>[^\"]+)\"")
_AWS_KEY = re.compile(
    r"^\s*(?:aws_secret_access_key|aws_session_token|aws_access_key_id)\s*=\s*(?P<v>\S+)", re.M | re.I
)
_SERVICE_ACCOUNT = re.compile(r"\"type\"\s*:\s*\"service_account\"")
_JSON_PRIVATE_KEY = re.compile(r"\"private_key\"\s*:\s*\"-----BEGIN")
_GCLOUD_ADC = re.compile(r"\"(?:refresh_token|private_key)\"\s*:\s*\"(?P<v>[^\"]+)\"")
_AZURE_TOKEN = re.compile(
    r"\"(?:accessToken|refreshToken|secret|client_secret|clientSecret|refresh_token)\"\s*:\s*\"(?P<v>[^\"]+)\"",
    re.I,
)
_FILEZILLA_PASS = re.compile(r"<Pass\b[^>]*>(?P<v>[^<]+)</Pass>", re.I)
_IDE_PASS = re.compile(
    r"(?:<property\s+name=\"password\"\s+value=\"(?P<a>[^\"]+)\"|\bpassword\s*=\s*\"(?P<b>[^\"]+)\"|"
    r"<password>(?P<c>[^<]+)</password>|\"password\"\s*:\s*\"(?P<d>[^\"]+)\")",
    re.I,
)
_SFTP_PASS = re.compile(r"\"(?:password|pass|passphrase)\"\s*:\s*\"(?P<v>[^\"]+)\"", re.I)
_OVPN_KEY = re.compile(r"<key>|<pkcs12>|-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_SHADOW_LINE = re.compile(r"^[a-z_][a-z0-9_.-]*:(?:\$[0-9a-z]+\$[^:]+|[!*x]?[^:\s]*):\d*:", re.M | re.I)
_NETRC_PASS = re.compile(r"\bpassw(?:or)?d\s+(?P<v>\S+)", re.I)
# hostname:port:database:username:password (":" and "\\" escaped by a backslash inside fields)
_PGPASS_LINE = re.compile(r"^[ \t]*[^#\s](?:[^:\n\\]|\\.)*(?::(?:[^:\n\\]|\\.)*){3}:(?P<v>[^\n]+)$", re.M)
_GIT_CRED_URL = re.compile(r"\w+://[^\s:/@]+:[^\s@]+@")
_HTPASSWD_LINE = re.compile(r"^[^:\s#]+:\S+", re.M)

_LITERAL_SKIP = re.compile(
    r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|<[^>]*>|\{\{.*\}\}|x{3,}|\*+|changeme|none|null|)$", re.I
)


def _literal(value: str | None) -> bool:
    """A value that is present and not an obvious reference or placeholder (``example-password`` in a
    fixture's ``.netrc``; a stand-in word, ``root``, is a real password in a credentials file)."""
    if value is None:
        return False
    stripped = value.strip().strip("\"'")
    return bool(stripped) and not _LITERAL_SKIP.match(stripped) and not says_placeholder(stripped)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _first_literal(pattern: re.Pattern[str], text: str) -> int | None:
    """Line of the first match whose value group(s) hold a literal, or None."""
    for m in pattern.finditer(text):
        values = [v for k, v in m.groupdict().items() if v is not None]
        if not m.groupdict() or any(_literal(v) for v in values):
            return _line(text, m.start())
    return None


def _parts(relpath: str) -> list[str]:
    # (PurePosixPath(...).parts without the object: empty and "." components dropped)
    return [p for p in relpath.replace("\\", "/").split("/") if p and p != "."]


def _suffix(name: str) -> str:
    """``PurePosixPath(name).suffix``."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def may_be_sensitive(relpath: str) -> bool:
    """Cheap name-only test: could this path be a sensitive file (content may still be needed to decide)?"""
    return _name_candidate(relpath) is not None


_Judge = Callable[[str | None], "SensitiveFile | None"]


def _whole(check: SensitiveFileCheck, reason: str = "") -> _Judge:
    """Sensitive by name alone; an empty file is not a leak."""

    def judge(text: str | None) -> SensitiveFile | None:
        if text is not None and not text.strip():
            return None
        return SensitiveFile(check, 1, reason)

    return judge


def _content(check: SensitiveFileCheck, pattern: re.Pattern[str], *, by_name: bool) -> _Judge:
    """Sensitive when the content matches (a literal value); ``by_name``: also when content is unknown."""

    def judge(text: str | None) -> SensitiveFile | None:
        if text is None:
            return SensitiveFile(check, 1, "by name") if by_name else None
        line = _first_literal(pattern, text)
        return SensitiveFile(check, line) if line is not None else None

    return judge


def _name_candidate(relpath: str) -> _Judge | None:
    # (A name accepted here must pass _sensitive_names.name_may_be_sensitive too: the engine asks that first;
    # test_name_hints_are_supersets_of_applies_to checks it on the classifier's cases.)
    parts = _parts(relpath)
    if not parts:
        return None
    name = parts[-1]
    lower = name.lower()
    parents = [p.lower() for p in parts[:-1]]
    suffix = _suffix(lower)

    if lower in _SSH_KEY_NAMES or (lower.startswith("id_") and "." not in lower and ".ssh" in parents):
        return _ssh_key_judge
    if lower.endswith(".ppk"):
        return _content(SSH_KEY, _PRIVATE_KEY_TEXT, by_name=True)
    if lower in (".pgpass", "pgpass.conf"):
        return _content(PGPASS, _PGPASS_LINE, by_name=True)
    if lower in (".netrc", "_netrc"):
        return _content(NETRC, _NETRC_PASS, by_name=True)
    if lower == ".git-credentials":
        return _content(GIT_CREDENTIALS, _GIT_CRED_URL, by_name=True)
    if lower == ".htpasswd":
        return _content(HTPASSWD, _HTPASSWD_LINE, by_name=True)
    if lower in ("shadow", "shadow-", "gshadow"):
        return _content(SHADOW, _SHADOW_LINE, by_name=False)
    if lower == "master.key" or (
        suffix == ".key" and parents[-1:] == ["credentials"] and "config" in parents
    ):
        return _whole(RAILS_KEY)
    if suffix in (".kdbx", ".kdb"):
        return _whole(KEEPASS)
    if suffix in (".p12", ".pfx"):
        return _whole(PKCS12)
    if suffix in (".jks", ".keystore", ".bks"):
        return _whole(JAVA_KEYSTORE)
    if lower == ".npmrc":
        return _content(NPMRC, _NPM_CRED, by_name=True)
    if lower == ".pypirc":
        return _content(PYPIRC, _PYPIRC_PASS, by_name=True)
    if (lower == "config.json" and parents[-1:] == [".docker"]) or lower in (".dockercfg", "dockercfg"):
        return _content(DOCKER_CONFIG, _DOCKER_AUTH, by_name=True)
    if parents[-1:] == [".aws"] and lower in ("credentials", "config"):
        return _content(AWS_CREDENTIALS, _AWS_KEY, by_name=lower == "credentials")
    if parents[-1:] == ["gcloud"] and lower in ("credentials.db", "access_tokens.db", "legacy_credentials"):
        return _whole(GCP_CREDENTIALS)
    if lower == "application_default_credentials.json" or (
        len(parents) >= 2 and parents[-2] == "legacy_credentials"
    ):
        return _content(GCP_CREDENTIALS, _GCLOUD_ADC, by_name=True)
    if ".azure" in parents and (lower.startswith(("accesstokens", "msal_token_cache", "service_principal"))):
        return _content(AZURE_CREDENTIALS, _AZURE_TOKEN, by_name=True)
    if lower.endswith((".tfstate", ".tfstate.backup")):
        return _whole(TERRAFORM_STATE)
    if lower in ("sitemanager.xml", "recentservers.xml", "filezilla.xml"):
        return _content(FILEZILLA, _FILEZILLA_PASS, by_name=False)
    if ".idea" in parents and lower.startswith("datasources") and suffix == ".xml":
        return _content(IDE_DATASOURCE, _IDE_PASS, by_name=False)
    if lower in (".ftpconfig", "sftp-config.json", ".sftp.json", "sftp.json") or lower == "deployment.json":
        return _content(SFTP_CONFIG, _SFTP_PASS, by_name=False)
    if lower in _SHELL_HISTORIES:
        return _whole(SHELL_HISTORY)
    if suffix == ".ovpn":
        return _content(OVPN, _OVPN_KEY, by_name=False)
    if suffix == ".json":
        return _gcp_service_account_judge
    return None


def _ssh_key_judge(text: str | None) -> SensitiveFile | None:
    if text is None:
        return SensitiveFile(SSH_KEY, 1, "by name")
    m = _PRIVATE_KEY_TEXT.search(text)
    if m:
        return SensitiveFile(SSH_KEY, _line(text, m.start()))
    # A binary/unknown-format key file named like a key still counts; an empty or clearly public file does
    # not.
    stripped = text.strip()
    if not stripped or stripped.startswith(("ssh-", "ecdsa-", "sk-")):
        return None
    return SensitiveFile(SSH_KEY, 1, "by name")


def _gcp_service_account_judge(text: str | None) -> SensitiveFile | None:
    if text is None or "service_account" not in text:
        return None
    if _SERVICE_ACCOUNT.search(text) and (m := _JSON_PRIVATE_KEY.search(text)):
        return SensitiveFile(GCP_SERVICE_ACCOUNT, _line(text, m.start()))
    return None


def classify_sensitive_file(relpath: str, text: str | None = None) -> SensitiveFile | None:
    """Is the file at ``relpath`` (``/``-separated) a sensitive file? ``text`` is its content, or None when
    unknown
    (then files whose sensitivity depends on content are judged by name only where the name is telling).

    Public key files (``*.pub``) and empty files are never sensitive."""
    if relpath.endswith(".pub"):
        return None
    judge = _name_candidate(relpath)
    if judge is None:
        return None
    return judge(text)


# Any JSON file may be a service-account key, but reading every JSON file of a tree costs time; the engine's
# private-key rule still sees keys in other JSON files. These names are the usual ones (the console's download
# is ``<project>-<12 hex>.json``).
_SA_JSON_NAME = re.compile(
    r"(?:service|account|cred|key|secret|gcp|gcloud|google|firebase|adminsdk|auth|token|(?:^|[-_.])sa[-_.])"
    r"|-[0-9a-f]{12}\.json$",
    re.I,
)


def _applies(relpath: str) -> bool:
    judge = _name_candidate(relpath)
    if judge is _gcp_service_account_judge:
        return bool(_SA_JSON_NAME.search(relpath[relpath.rfind("/") + 1 :]))  # (PurePosixPath(...).name)
    return judge is not None


class SensitiveFileAnalyzer:
    """FileAnalyzer: one ``sensitive-file-*`` finding per sensitive file (placed at the evidence line)."""

    id = "sensitive-files"
    # git modes: a file stays the same finding across its versions, whatever line holds the evidence
    finding_scope = "file"

    def applies_to(self, relpath: str) -> bool:
        return _applies(relpath)

    def analyze(self, relpath: str, text: str, ctx: AnalysisContext) -> Iterable[Finding]:
        # The engine passes "" for binary files: judge those by name (a .kdbx, a .p12 is binary).
        verdict = classify_sensitive_file(relpath, text if text else None)
        return [] if verdict is None else [sensitive_file_finding(relpath, verdict)]


def sensitive_file_finding(relpath: str, verdict: SensitiveFile, *, related: str | None = None) -> Finding:
    """The finding for a sensitive file (no secret value: the file as a whole is the problem)."""
    return Finding(
        rule_id=verdict.id,
        severity=Severity.ERROR,
        path=relpath,
        line=verdict.line,
        column=1,
        end_line=verdict.line,
        end_column=1,
        message=f"{verdict.check.title} in the tree",
        preview=MASK,
        secret="",
        related=related,
    )

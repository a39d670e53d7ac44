"""The registry of format-aware analyzers the engine runs beside its token rules.

Each entry is ``"module:Class"`` relative to this package; the class is instantiated with no arguments. Adding
an analyzer is adding a line here. A module that is not present (not yet written, or trimmed from a build) is
skipped; any other import error propagates.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
from collections.abc import Callable, Sequence

from .._model import FileAnalyzer, TreeAnalyzer
from ..engine._lazyre import LazyRegex
from ._sensitive_names import name_may_be_sensitive  # (names only: no analyzer code)

__all__ = [
    "FILE_ANALYZERS",
    "NAME_HINTS",
    "PATH_HINTS",
    "TREE_ANALYZERS",
    "TREE_NAME_HINTS",
    "FileAnalyzerSet",
    "load_file_analyzers",
    "load_tree_analyzers",
]

FILE_ANALYZERS: tuple[str, ...] = (
    "._sensitive_files:SensitiveFileAnalyzer",
    ".docker._dockerfile_checks:DockerfileAnalyzer",
    ".docker._compose:ComposeAnalyzer",
    "._ci_workflows:WorkflowAnalyzer",
    "._dotenv_files:DotenvFileAnalyzer",
    "._credential_files:CredentialFileAnalyzer",
    "._kubernetes:KubernetesSecretAnalyzer",
)

TREE_ANALYZERS: tuple[str, ...] = (".docker._context:BuildContextAnalyzer",)


def _dockerfile_hint(name: str) -> bool:
    return "dockerfile" in name or "containerfile" in name


def _compose_hint(name: str) -> bool:
    return "compose" in name


def _yaml_hint(name: str) -> bool:
    return name.endswith((".yml", ".yaml"))


def _manifest_hint(name: str) -> bool:
    return name.endswith((".yml", ".yaml", ".json"))


def _dotenv_hint(name: str) -> bool:
    return ".env" in name


# The base names the credential-file records (rules/data/files/credential-files.toml) match with their
# ``names``: written out here, so that deciding whether a file may be one costs neither tomllib nor the data
# file (a pre-commit scan of a package.json or a .txt loaded both: ~20 ms). Their ``paths`` all lie under one
# of _CREDENTIAL_FILE_FOLDERS (a path hint). A test checks both against the records.
_CREDENTIAL_FILE_NAMES = frozenset(
    {
        ".boto", ".cifs", ".cifscreds", ".esmtprc", ".fetchmailrc", ".ftppass", ".msmtprc", ".muttrc",
        ".my.cnf", ".passwd-s3fs", ".s3cfg", ".smbcredentials", ".smbcreds", ".smbpasswd.txt",
        "auth-user-pass", "auth-user-pass.txt", "boto.cfg", "chap-secrets", "cifs-credentials",
        "database.yaml", "database.yml", "esmtprc", "fetchmailrc", "ftppass.json", "ipsec.secrets",
        "mongoid.yaml", "mongoid.yml", "msmtprc", "mumble-server.ini", "murmur.ini", "muttrc", "my.cnf",
        "pap-secrets", "passwd-s3fs", "redis.conf", "relay_passwd", "robo3t.json", "robomongo.json",
        "rsync.passwd", "rsync.secrets", "rsyncd.pas", "rsyncd.passwd", "rsyncd.secrets", "s3cfg",
        "sasl_passwd", "sasl_password", "sentinel.conf", "smbcredentials", "ts3db_mariadb.ini",
        "ts3db_mysql.ini", "ts3db_postgresql.ini", "ts3server.ini", "ventrilo_srv.ini", "winscp.ini",
        "wpa_supplicant.conf",
    }
)  # fmt: skip
_CREDENTIAL_FILE_NAME_GLOBS = (
    "*.code-workspace",
    "*.ovpn.auth",
    "*.secrets.conf",
    "*.smbcredentials",
    "*.sql",
    "redis-*.conf",
    "wpa_supplicant-*.conf",
)
_CREDENTIAL_FILE_GLOB_NAME = LazyRegex(
    "|".join(f"(?:{fnmatch.translate(g)})" for g in _CREDENTIAL_FILE_NAME_GLOBS)
)
_CREDENTIAL_FILE_FOLDERS = ("datagrip", "dbeaver", "mutt", "msmtp", "sqltools", "vpn", ".vscode")


def _credential_file_hint(name: str) -> bool:
    return name in _CREDENTIAL_FILE_NAMES or _CREDENTIAL_FILE_GLOB_NAME.match(name) is not None


def _credential_path_hint(relpath: str) -> bool:
    # asked for every scanned file: substring tests (0.5 µs; a regular expression of the words took 7 µs)
    low = relpath.lower()
    for folder in _CREDENTIAL_FILE_FOLDERS:  # noqa: SIM110 - a loop is half the cost of any() here
        if folder in low:
            return True
    return False


def _sensitive_path_hint(relpath: str) -> bool:
    # every file of gcloud's legacy_credentials/<account>/ counts, whatever its name
    return "legacy_credentials" in relpath.lower()


# Cheap tests on a file's lower-cased base name that are true whenever the analyzer's ``applies_to`` could be
# (supersets, checked by the tests): an analyzer module is imported only once some scanned file passes its
# test, so a pre-commit scan of three .py files does not pay for the compose, CI and Dockerfile parsers. An
# analyzer without an entry is loaded for every scan.
NAME_HINTS: dict[str, Callable[[str], bool]] = {
    "._sensitive_files:SensitiveFileAnalyzer": name_may_be_sensitive,
    ".docker._dockerfile_checks:DockerfileAnalyzer": _dockerfile_hint,
    ".docker._compose:ComposeAnalyzer": _compose_hint,
    "._ci_workflows:WorkflowAnalyzer": _yaml_hint,
    "._dotenv_files:DotenvFileAnalyzer": _dotenv_hint,
    "._credential_files:CredentialFileAnalyzer": _credential_file_hint,
    "._kubernetes:KubernetesSecretAnalyzer": _manifest_hint,
}

# The rare analyzer whose files are not all recognisable by base name has a test on the whole relative path
# too, asked for every file (keep it cheap): the analyzer is a candidate when either test passes.
PATH_HINTS: dict[str, Callable[[str], bool]] = {
    "._sensitive_files:SensitiveFileAnalyzer": _sensitive_path_hint,
    "._credential_files:CredentialFileAnalyzer": _credential_path_hint,
}


def _build_hint(name: str) -> bool:
    # what makes a folder a build context: a Dockerfile/Containerfile, an ignore file, a compose file
    return (
        _dockerfile_hint(name) or name.endswith(".dockerignore") or (_compose_hint(name) and _yaml_hint(name))
    )


# For a scan limited to named files (pre-commit), a tree analyzer runs only when something in scope concerns
# it: a named file, or an entry of a named file's folder or of a folder above it up to the root, passes its
# test (lower-cased base names). The build-context check: a Dockerfile, .dockerignore or compose file.
TREE_NAME_HINTS: dict[str, Callable[[str], bool]] = {
    ".docker._context:BuildContextAnalyzer": _build_hint,
}

# How many distinct base names FileAnalyzerSet remembers (a bound on memory for pathological trees).
_NAME_MEMO_LIMIT = 1 << 16


def _load_one(spec: str) -> object | None:
    module_name, _, class_name = spec.partition(":")
    absolute = importlib.util.resolve_name(module_name, __package__)
    try:
        module = importlib.import_module(absolute)
    except ModuleNotFoundError as exc:
        if exc.name == absolute:
            return None
        raise
    instance: object = getattr(module, class_name)()
    return instance


def _load(specs: Sequence[str]) -> list[object]:
    return [a for a in (_load_one(spec) for spec in specs) if a is not None]


class FileAnalyzerSet:
    """The file analyzers of one scanner, each imported the first time a file name could concern it (see
    :data:`NAME_HINTS`)."""

    def __init__(self, specs: Sequence[str] = FILE_ANALYZERS) -> None:
        self._specs = tuple(specs)
        self._loaded: dict[str, FileAnalyzer | None] = {}
        # base name -> the specs worth asking about it (their name hint passes, or they have none)
        self._by_name: dict[str, tuple[str, ...]] = {}
        self._path_hints = tuple((s, PATH_HINTS[s]) for s in self._specs if s in PATH_HINTS)

    @classmethod
    def of(cls, analyzers: Sequence[FileAnalyzer]) -> FileAnalyzerSet:
        """A set of given analyzer instances (no registry, no name hints)."""
        made = cls(tuple(f"#{i}" for i in range(len(analyzers))))
        made._loaded = {f"#{i}": a for i, a in enumerate(analyzers)}
        return made

    def _get(self, spec: str) -> FileAnalyzer | None:
        if spec not in self._loaded:
            analyzer = _load_one(spec)
            self._loaded[spec] = analyzer if isinstance(analyzer, FileAnalyzer) else None
        return self._loaded[spec]

    def all(self) -> list[FileAnalyzer]:
        """Every available file analyzer, in registry order (imports them all)."""
        return [a for a in (self._get(spec) for spec in self._specs) if a is not None]

    def _candidates(self, name: str) -> tuple[str, ...]:
        candidates = self._by_name.get(name)
        if candidates is None:
            lower = name.lower()
            candidates = tuple(s for s in self._specs if (hint := NAME_HINTS.get(s)) is None or hint(lower))
            if len(self._by_name) < _NAME_MEMO_LIMIT:
                self._by_name[name] = candidates
        return candidates

    def for_path(self, relpath: str) -> list[FileAnalyzer]:
        """The analyzers whose ``applies_to`` accepts ``relpath``, in registry order. The name hints are
        asked once per distinct base name; ``applies_to`` only for the analyzers they leave."""
        cut = max(relpath.rfind("/"), relpath.rfind("\\"))
        candidates = self._candidates(relpath[cut + 1 :])
        for spec, path_hint in self._path_hints:
            if spec not in candidates and path_hint(relpath):
                candidates = tuple(s for s in self._specs if s in candidates or s == spec)
        if not candidates:
            return []
        out: list[FileAnalyzer] = []
        for spec in candidates:
            analyzer = self._get(spec)
            if analyzer is not None and analyzer.applies_to(relpath):
                out.append(analyzer)
        return out


def load_file_analyzers() -> list[FileAnalyzer]:
    """Instantiate every available file analyzer, in registry order."""
    return [a for a in _load(FILE_ANALYZERS) if isinstance(a, FileAnalyzer)]


def load_tree_analyzers(names: Sequence[str] | None = None) -> list[TreeAnalyzer]:
    """Instantiate the available tree analyzers, in registry order: all of them, or with ``names`` (the
    lower-cased base names of the files a scan is limited to) only those some name may concern (see
    :data:`TREE_NAME_HINTS`); the others are not even imported."""
    specs = [
        spec
        for spec in TREE_ANALYZERS
        if names is None or (hint := TREE_NAME_HINTS.get(spec)) is None or any(hint(n) for n in names)
    ]
    return [a for a in _load(specs) if isinstance(a, TreeAnalyzer)]

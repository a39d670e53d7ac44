"""Where private keys come from: one small :class:`KeyStore` per source, tried in order, first hit wins.

Order (see :func:`default_key_stores`): ``AUTOAUDIT_PRIVATE_KEY`` (comma-separated list allowed),
``AUTOAUDIT_PRIVATE_KEY_FILE``, the Docker secret ``/run/secrets/autoaudit_private_key``, then the OS keychain
through keyring (service ``autoaudit-secrets``, user name = key id). Each key id is looked up separately, so
during a rotation the new key can come from one source and the old one from another.
"""

from __future__ import annotations

import abc
import os
import re
import stat
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._dotenv import _utf8_error_at
from .._errors import CryptoError, KeyStoreError
from .._safe_read import read_regular_file
from ._keys import PrivateKey

__all__ = [
    "ALLOW_INSECURE_KEYRING_VAR",
    "DEFAULT_DOCKER_SECRET",
    "KEYRING_SERVICE",
    "PRIVATE_KEY_FILE_VAR",
    "PRIVATE_KEY_VAR",
    "DockerSecretKeyStore",
    "EnvKeyStore",
    "FileKeyStore",
    "InsecureKeyFileWarning",
    "KeyResolution",
    "KeyStore",
    "KeyringKeyStore",
    "KeyringRefusedError",
    "default_key_stores",
    "insecure_keyring_allowed",
    "resolve_keys",
]

PRIVATE_KEY_VAR = "AUTOAUDIT_PRIVATE_KEY"
PRIVATE_KEY_FILE_VAR = "AUTOAUDIT_PRIVATE_KEY_FILE"
ALLOW_INSECURE_KEYRING_VAR = "AUTOAUDIT_ALLOW_INSECURE_KEYRING"
DEFAULT_DOCKER_SECRET = Path("/run/secrets/autoaudit_private_key")
KEYRING_SERVICE = "autoaudit-secrets"

_SEPARATORS = re.compile(r"[,\s]+")
_TRUE = frozenset({"1", "true", "yes", "on"})


class KeyringRefusedError(KeyStoreError):
    """The keyring backend would keep keys in plaintext (or nowhere), and the user has not opted in."""


class InsecureKeyFileWarning(UserWarning):
    """A private key file (``AUTOAUDIT_PRIVATE_KEY_FILE``) can be read by its group or by others."""


class KeyStore(abc.ABC):
    """One source of private keys."""

    label: str  # shown in messages, e.g. "AUTOAUDIT_PRIVATE_KEY" or "keyring"

    @abc.abstractmethod
    def find(self, key_ids: Collection[str]) -> dict[str, PrivateKey]:
        """Return the keys this source holds among ``key_ids`` (key id -> key).

        A source that is not configured returns ``{}``; one that is configured but broken raises
        :class:`KeyStoreError` with a message that never contains key material.
        """


def _parse_key_list(text: str, source: str) -> list[PrivateKey]:
    keys: list[PrivateKey] = []
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    entries = [entry for entry in _SEPARATORS.split("\n".join(lines)) if entry]
    for index, entry in enumerate(entries, start=1):
        try:
            keys.append(PrivateKey.from_text(entry, source=f"{source}: entry {index}"))
        except CryptoError as exc:
            raise KeyStoreError(str(exc)) from None
    return keys


def _select(keys: Sequence[PrivateKey], key_ids: Collection[str]) -> dict[str, PrivateKey]:
    wanted = set(key_ids)
    return {key.key_id: key for key in keys if key.key_id in wanted}


@dataclass
class EnvKeyStore(KeyStore):
    """Keys in an environment variable (CI): comma- or whitespace-separated ``autoaudit-priv-v1:`` keys."""

    # Not in the repr: the environment holds the private key itself (and every other secret of the process).
    environ: Mapping[str, str] = field(repr=False)
    variable: str = PRIVATE_KEY_VAR

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.variable

    def find(self, key_ids: Collection[str]) -> dict[str, PrivateKey]:
        text = self.environ.get(self.variable, "")
        if not text.strip():
            return {}
        return _select(_parse_key_list(text, self.variable), key_ids)


def _read_key_file(path: Path, source: str, *, missing_ok: bool) -> list[PrivateKey]:
    # Errors are raised outside the except blocks: a UnicodeDecodeError holds the file's bytes (the private
    # keys), which must not stay reachable as the KeyStoreError's __context__.
    problem: str | None = None
    data = b""
    try:
        data = read_regular_file(path)
    except FileNotFoundError:
        if missing_ok:
            return []
        problem = f"{source}: {path} does not exist"
    except OSError as exc:
        problem = f"{source}: cannot read {path}: {exc.strerror or type(exc).__name__}"
    if problem is None and _utf8_error_at(data) is not None:
        problem = f"{source}: cannot read {path}: not UTF-8 text"
    if problem is not None:
        raise KeyStoreError(problem)
    return _parse_key_list(data.decode("utf-8"), f"{source} ({path})")


def key_file_exposure(path: Path) -> str | None:
    """Why the private key file at ``path`` is exposed (group or others may access it), or ``None``."""
    try:
        info = os.stat(path)
    except OSError:
        return None  # reading it reports the problem
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISREG(info.st_mode) or os.name != "posix" or mode & 0o077 == 0:
        return None
    return f"{path} is accessible by its group or others (mode {mode:04o}); chmod 600 {path}"


@dataclass
class FileKeyStore(KeyStore):
    """Keys in the file named by ``AUTOAUDIT_PRIVATE_KEY_FILE`` (one or more; ``#`` comment lines allowed).

    A file its group or others may access is used with an :class:`InsecureKeyFileWarning`, or refused with
    ``strict``.
    """

    environ: Mapping[str, str] = field(repr=False)
    variable: str = PRIVATE_KEY_FILE_VAR
    strict: bool = False

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.variable

    def find(self, key_ids: Collection[str]) -> dict[str, PrivateKey]:
        name = self.environ.get(self.variable, "").strip()
        if not name:
            return {}
        exposure = key_file_exposure(Path(name))
        if exposure is not None:
            if self.strict:
                raise KeyStoreError(f"{self.variable}: refused (--strict): {exposure}")
            warnings.warn(f"{self.variable}: {exposure}", InsecureKeyFileWarning, stacklevel=2)
        return _select(_read_key_file(Path(name), self.variable, missing_ok=False), key_ids)


@dataclass
class DockerSecretKeyStore(KeyStore):
    """The Docker/Compose/Swarm secret file; silently absent outside a container."""

    path: Path = DEFAULT_DOCKER_SECRET
    label: str = "docker secret"

    def find(self, key_ids: Collection[str]) -> dict[str, PrivateKey]:
        return _select(_read_key_file(self.path, self.label, missing_ok=True), key_ids)


# Backends that keep secrets in plaintext files or registry values, or keep nothing at all.
_DENIED_BACKENDS = {
    "keyrings.alt.file.PlaintextKeyring": "keeps keys in a plaintext file",
    "keyrings.alt.pyfs.PlaintextKeyring": "keeps keys in a plaintext file",
    "keyrings.alt.Windows.RegistryKeyring": "keeps keys in the registry, readable by any of your processes",
    "keyrings.alt.Gnome.Keyring": "is the deprecated GnomeKeyring binding",
    "keyring.backends.fail.Keyring": "means no OS keychain was found",
    "keyring.backends.null.Keyring": "stores nothing",
}
# For these, opting in cannot help: say so instead of suggesting it.
_NO_KEYCHAIN = frozenset({"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"})
_MIN_PRIORITY = 1.0


def _backend_name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def insecure_keyring_allowed(environ: Mapping[str, str]) -> bool:
    """Whether ``AUTOAUDIT_ALLOW_INSECURE_KEYRING`` opts in to plaintext/low-priority keyring backends."""
    return environ.get(ALLOW_INSECURE_KEYRING_VAR, "").strip().lower() in _TRUE


def _refusal(backend: Any) -> str | None:
    """Why ``backend`` is refused, or ``None`` when it is acceptable."""
    name = _backend_name(backend)
    if name in _DENIED_BACKENDS:
        return f"keyring backend {name} {_DENIED_BACKENDS[name]}"
    try:
        priority = float(backend.priority)
    except Exception:
        return f"keyring backend {name} does not report a priority"
    if priority < _MIN_PRIORITY:
        return f"keyring backend {name} has priority {priority:g}, keyring's mark of a last-resort store"
    return None


@dataclass
class KeyringKeyStore(KeyStore):
    """The OS keychain through ``keyring`` (imported lazily), service ``autoaudit-secrets``, user = key id.

    Backends that store plaintext, store nothing, or rank below priority 1 are refused with
    :class:`KeyringRefusedError` unless ``allow_insecure`` is true. ``backend`` injects a keyring backend
    object (default: ``keyring.get_keyring()``, which honours ``PYTHON_KEYRING_BACKEND`` and keyringrc.cfg).
    """

    allow_insecure: bool = False
    backend: Any = None
    service: str = KEYRING_SERVICE
    label: str = "keyring"
    _usable: list[Any] | None = field(default=None, init=False, repr=False)

    def _backends(self) -> list[Any]:
        if self._usable is not None:
            return self._usable
        root = self.backend
        if root is None:
            try:
                import keyring
            except ImportError:
                raise KeyStoreError("keyring: the keyring package is not installed") from None
            try:
                root = keyring.get_keyring()
            except Exception as exc:
                # A backend forced by PYTHON_KEYRING_BACKEND (or keyringrc.cfg) that cannot start: no D-Bus
                # session, a missing module, another OS's keychain.
                raise KeyStoreError(f"keyring: {_backend_failure(exc)}") from None
        chain = list(getattr(root, "backends", None) or [root]) if _is_chainer(root) else [root]
        if self.allow_insecure:
            usable = chain
        else:
            usable = [backend for backend in chain if _refusal(backend) is None]
            if not usable:
                if not chain or all(_backend_name(backend) in _NO_KEYCHAIN for backend in chain):
                    raise KeyringRefusedError("keyring: no OS keychain is available")
                raise KeyringRefusedError(
                    f"{_refusal(chain[0])}; refusing to use it for private keys "
                    f"(set {ALLOW_INSECURE_KEYRING_VAR}=1 or pass --allow-insecure-keyring to use it anyway)"
                )
        self._usable = usable
        return usable

    def describe(self) -> str:
        """The backend(s) in use, e.g. ``keyring.backends.SecretService.Keyring``."""
        return ", ".join(_backend_name(backend) for backend in self._backends())

    def find(self, key_ids: Collection[str]) -> dict[str, PrivateKey]:
        found: dict[str, PrivateKey] = {}
        if not key_ids:
            return found
        backends = self._backends()
        for kid in key_ids:
            for backend in backends:
                try:
                    text = backend.get_password(self.service, kid)
                except Exception as exc:
                    raise KeyStoreError(
                        f"keyring ({_backend_name(backend)}): cannot read key {kid}: {type(exc).__name__}"
                    ) from None
                if text:
                    try:
                        key = PrivateKey.from_text(text, source=f"keyring entry {self.service}/{kid}")
                    except CryptoError as exc:
                        raise KeyStoreError(str(exc)) from None
                    if key.key_id != kid:
                        raise KeyStoreError(f"keyring entry {self.service}/{kid} holds a key with another id")
                    found[kid] = key
                    break
        return found

    def save(self, key: PrivateKey) -> str:
        """Store ``key`` under its key id in the first usable backend; returns that backend's name."""
        backend = self._backends()[0]
        try:
            backend.set_password(self.service, key.key_id, key.to_text())
        except Exception as exc:
            raise KeyStoreError(
                f"keyring ({_backend_name(backend)}): cannot store key {key.key_id}: {type(exc).__name__}"
            ) from None
        if not self.find([key.key_id]):
            raise KeyStoreError(f"keyring ({_backend_name(backend)}): key {key.key_id} did not read back")
        return _backend_name(backend)


def _backend_failure(exc: Exception) -> str:
    """One line on why keyring could not set up its backend (keyring's own messages name no secret)."""
    forced = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
    what = f"the backend PYTHON_KEYRING_BACKEND={forced}" if forced else "the configured backend"
    detail = " ".join(str(exc).split())[:200]
    return f"{what} cannot be used ({type(exc).__name__}{': ' + detail if detail else ''})"


def _is_chainer(backend: Any) -> bool:
    return type(backend).__name__ == "ChainerBackend"


def default_key_stores(
    environ: Mapping[str, str],
    *,
    docker_secret: Path = DEFAULT_DOCKER_SECRET,
    allow_insecure_keyring: bool | None = None,
    keyring_backend: Any = None,
    strict: bool = False,
) -> list[KeyStore]:
    """The standard lookup order; ``allow_insecure_keyring=None`` reads AUTOAUDIT_ALLOW_INSECURE_KEYRING;
    ``strict`` refuses a key file its group or others may access (else: a warning)."""
    allow = insecure_keyring_allowed(environ) if allow_insecure_keyring is None else allow_insecure_keyring
    return [
        EnvKeyStore(environ),
        FileKeyStore(environ, strict=strict),
        DockerSecretKeyStore(docker_secret),
        KeyringKeyStore(allow_insecure=allow, backend=keyring_backend),
    ]


@dataclass(frozen=True)
class KeyResolution:
    """Result of :func:`resolve_keys`: the keys found, and for each missing key id why it is missing."""

    keys: dict[str, PrivateKey]
    missing: dict[str, str]


def resolve_keys(key_ids: Collection[str], stores: Sequence[KeyStore]) -> KeyResolution:
    """Look each key id up in ``stores`` in order; the first store holding it wins.

    A broken store (malformed variable, refused keyring backend) does not stop the search; its message is kept
    and attached to every key id that no store could provide.
    """
    keys: dict[str, PrivateKey] = {}
    notes: list[str] = []
    for store in stores:
        wanted = [kid for kid in key_ids if kid not in keys]
        if not wanted:
            break
        try:
            keys.update(store.find(wanted))
        except KeyStoreError as exc:
            notes.append(str(exc))
    looked = ", ".join(store.label for store in stores)
    detail = f"looked in {looked}" + "".join(f"; {note}" for note in notes)
    missing = {kid: f"no private key for this key id ({detail})" for kid in key_ids if kid not in keys}
    return KeyResolution(keys, missing)

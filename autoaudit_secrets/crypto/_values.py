"""Opening and re-encrypting whole sets of values (the loader hook, ``run``, ``decrypt``, ``rotate``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .._errors import DecryptionError
from ._envelope import decrypt_value, encrypt_value, envelope_key_id, is_envelope
from ._keys import PublicKey
from ._stores import KeyStore, default_key_stores, resolve_keys

__all__ = ["PUBLIC_KEY_VAR", "decrypt_values", "looks_secret", "open_values", "reencrypt_values"]

PUBLIC_KEY_VAR = "AUTOAUDIT_PUBLIC_KEY"
# Never encrypted by `encrypt` without names: the public key is public, and a private key in the .env
# (which the CLI warns about) would only be locked with itself.
_KEY_VARIABLES = frozenset({PUBLIC_KEY_VAR, "AUTOAUDIT_PRIVATE_KEY", "AUTOAUDIT_PRIVATE_KEY_FILE"})

# Name parts that mark a value as a secret. Matched against the name split on "_" (and the whole name).
_SECRET_WORDS = frozenset(
    {
        "PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "TOKENS", "APIKEY",
        "CREDENTIAL", "CREDENTIALS", "CREDS", "PRIVATE", "DSN", "SALT", "PEPPER", "SIGNING", "HMAC", "AUTH",
        "COOKIE", "SESSION", "WEBHOOK", "CERT", "PEM", "JWT", "BEARER", "OTP", "TOTP", "LICENSE",
    }
)  # fmt: skip
_KEY_WORDS = frozenset({"KEY", "KEYS"})
_NOT_SECRET_WORDS = frozenset({"PUBLIC", "ID", "PATH", "FILE", "EXPIRY", "TTL", "LENGTH", "HEADER", "NAME"})
_URL_WITH_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^@\s/]+@")


def looks_secret(name: str, value: str) -> bool:
    """Heuristic used by ``encrypt`` without names: does this plaintext ``name=value`` look like a secret?

    True for names with a secret-ish word (``DB_PASSWORD``, ``STRIPE_API_KEY``, ``SESSION_SECRET``...)
    and for URLs carrying a password (``postgres://user:pw@host``). Never for empty values, ``enc:``
    values, the public key, or names that describe a secret rather than hold one (``*_KEY_ID``,
    ``*_KEY_FILE``, ``*_PUBLIC_KEY``).
    """
    if not value or is_envelope(value) or name in _KEY_VARIABLES:
        return False
    if _URL_WITH_PASSWORD.match(value):
        return True
    words = [word for word in name.upper().split("_") if word]
    if not words or words[-1] in _NOT_SECRET_WORDS or "PUBLIC" in words:
        return False
    return any(word in _SECRET_WORDS for word in words) or any(word in _KEY_WORDS for word in words)


def open_values(
    values: Mapping[str, str], stores: Sequence[KeyStore]
) -> tuple[dict[str, str], dict[str, str]]:
    """Open every ``enc:`` value of ``values`` with keys from ``stores``.

    Returns ``(opened, problems)``: ``opened`` holds every plaintext value and every envelope that opened;
    a value that failed is left out of ``opened`` and ``problems[name]`` says why (name and key id, no value).
    Stores are only consulted when there is something to open.
    """
    opened: dict[str, str] = {}
    problems: dict[str, str] = {}
    wanted: dict[str, str] = {}
    for name, value in values.items():
        if not is_envelope(value):
            opened[name] = value
            continue
        try:
            wanted[name] = envelope_key_id(name, value)
        except DecryptionError as exc:
            problems[name] = str(exc)
    if not wanted:
        return opened, problems
    resolution = resolve_keys(sorted(set(wanted.values())), stores)
    for name, kid in wanted.items():
        if kid in resolution.missing:
            problems[name] = f"cannot decrypt {name} (key id {kid}): {resolution.missing[kid]}"
            continue
        try:
            opened[name] = decrypt_value(name, values[name], resolution.keys)
        except DecryptionError as exc:
            problems[name] = str(exc)
    return opened, problems


def decrypt_values(
    values: Mapping[str, str], *, environ: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The settings loader's hook: open the ``enc:`` values of ``values``.

    Private keys are looked up from ``environ`` (``AUTOAUDIT_PRIVATE_KEY``, ``AUTOAUDIT_PRIVATE_KEY_FILE``),
    the Docker secret ``/run/secrets/autoaudit_private_key`` and the OS keychain, in that order. Returns
    ``(values with each enc: value opened, {variable: problem})``; failed values are absent from the first
    dict and problem messages never contain a value.
    """
    return open_values(values, default_key_stores(environ))


def reencrypt_values(values: Mapping[str, str], public_key: PublicKey) -> dict[str, str]:
    """Encrypt each plaintext value of ``values`` for ``public_key`` (the caller chooses which to pass)."""
    return {name: encrypt_value(name, value, public_key) for name, value in values.items()}

"""X25519 key pairs, their text forms, and key ids.

Text forms (one line each, no whitespace, safe in a ``.env`` value and in a comma-separated list):

* public key:  ``autoaudit-pub-v1:<base64url of the 32 raw X25519 public-key bytes, no padding>``
* private key: ``autoaudit-priv-v1:<base64url of the 32 raw X25519 private-key bytes, no padding>``

The key id is the first 8 bytes of ``SHA-256("autoaudit-secrets key id v1" || raw public key)``, shown as 16
lowercase hex digits. It tells which key opens an envelope without revealing anything about the private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from .._errors import CryptoError

__all__ = [
    "KEY_ID_BYTES",
    "PRIVATE_KEY_PREFIX",
    "PUBLIC_KEY_PREFIX",
    "PrivateKey",
    "PublicKey",
    "b64url_decode",
    "b64url_encode",
    "generate_private_key",
    "key_id_hex",
]

PUBLIC_KEY_PREFIX = "autoaudit-pub-v1:"
PRIVATE_KEY_PREFIX = "autoaudit-priv-v1:"
KEY_ID_BYTES = 8
_KEY_ID_DOMAIN = b"autoaudit-secrets key id v1"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes | None:
    """Strict base64url without padding: ``None`` unless ``text`` is the canonical encoding of some bytes."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if b64url_encode(data) == text else None


def key_id_hex(raw_key_id: bytes) -> str:
    return raw_key_id.hex()


def _raw_key_id(public_raw: bytes) -> bytes:
    return hashlib.sha256(_KEY_ID_DOMAIN + public_raw).digest()[:KEY_ID_BYTES]


@dataclass(frozen=True)
class PublicKey:
    """An X25519 public key: anyone holding it can encrypt values for the matching private key."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise CryptoError("a public key has 32 bytes")

    @classmethod
    def from_text(cls, text: str, *, source: str = "public key") -> PublicKey:
        """Parse ``autoaudit-pub-v1:...``; ``source`` names where the text came from in the error message."""
        text = text.strip()
        if not text.startswith(PUBLIC_KEY_PREFIX):
            raise CryptoError(f"{source} is not a public key (expected {PUBLIC_KEY_PREFIX}<base64url>)")
        raw = b64url_decode(text[len(PUBLIC_KEY_PREFIX) :])
        if raw is None or len(raw) != 32:
            raise CryptoError(f"{source} is not a valid public key (bad base64url or length)")
        return cls(raw)

    def to_text(self) -> str:
        return PUBLIC_KEY_PREFIX + b64url_encode(self.raw)

    @property
    def raw_key_id(self) -> bytes:
        return _raw_key_id(self.raw)

    @property
    def key_id(self) -> str:
        """16 hex digits derived from the public key."""
        return key_id_hex(self.raw_key_id)

    def x25519(self) -> X25519PublicKey:
        return X25519PublicKey.from_public_bytes(self.raw)


@dataclass(frozen=True)
class PrivateKey:
    """An X25519 private key. Its repr shows only the key id."""

    raw: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise CryptoError("a private key has 32 bytes")

    def __repr__(self) -> str:
        return f"PrivateKey(key_id={self.key_id!r})"

    @classmethod
    def from_text(cls, text: str, *, source: str = "private key") -> PrivateKey:
        """Parse ``autoaudit-priv-v1:...``; the error names ``source`` and never shows the text."""
        text = text.strip()
        if not text.startswith(PRIVATE_KEY_PREFIX):
            raise CryptoError(f"{source} is not a private key (expected {PRIVATE_KEY_PREFIX}<base64url>)")
        raw = b64url_decode(text[len(PRIVATE_KEY_PREFIX) :])
        if raw is None or len(raw) != 32:
            raise CryptoError(f"{source} is not a valid private key (bad base64url or length)")
        return cls(raw)

    def to_text(self) -> str:
        """The secret text form: only call this to store or deliberately print the key."""
        return PRIVATE_KEY_PREFIX + b64url_encode(self.raw)

    def x25519(self) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(self.raw)

    @property
    def public_key(self) -> PublicKey:
        public = self.x25519().public_key()
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return PublicKey(raw)

    @property
    def key_id(self) -> str:
        return self.public_key.key_id


def generate_private_key() -> PrivateKey:
    """A fresh random X25519 private key."""
    raw = X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return PrivateKey(raw)

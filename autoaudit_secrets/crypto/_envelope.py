"""The ``enc:v1:`` envelope: one encrypted ``.env`` value, bound to its variable name and key.

``enc:v1:<base64url, no padding>`` where the decoded bytes are::

    key id (8 bytes) || HPKE encapsulated key (32 bytes) || ChaCha20-Poly1305 ciphertext + tag (16 bytes)

HPKE (RFC 9180) base mode, suite DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305.
The HPKE ``info`` is ``"autoaudit-secrets enc:v1" || len(name) || name || key id`` (length: 2 bytes, big
endian), so an envelope copied to another variable, or relabelled with another key id, fails to open.
The plaintext is the UTF-8 value followed by ``0x80`` and zero bytes up to a multiple of 32 bytes, so the
envelope length reveals only a size bucket.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke

from .._dotenv import _utf8_error_at
from .._errors import CryptoError, DecryptionError
from ._keys import KEY_ID_BYTES, PrivateKey, PublicKey, b64url_decode, b64url_encode, key_id_hex

__all__ = [
    "ENVELOPE_PREFIX",
    "FailureReason",
    "decrypt_value",
    "encrypt_value",
    "envelope_key_id",
    "is_envelope",
    "is_versioned_envelope",
]

ENVELOPE_PREFIX = "enc:v1:"
_VERSIONED = re.compile(r"enc:v[0-9]+:")
_ANY_ENVELOPE = "enc:"
_INFO_LABEL = b"autoaudit-secrets enc:v1"
_PAD_BLOCK = 32
_ENC_LEN = 32
_TAG_LEN = 16
_MIN_LEN = KEY_ID_BYTES + _ENC_LEN + _TAG_LEN + _PAD_BLOCK


def _suite() -> hpke.Suite:
    return hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


class FailureReason(enum.Enum):
    """Why an envelope did not open (the reason is part of :class:`DecryptionError`'s message)."""

    MALFORMED = "the value is not a valid enc:v1 envelope"
    UNSUPPORTED = "the envelope version is not supported (this release reads enc:v1)"
    NO_KEY = "no private key for this key id"
    REJECTED = "authentication failed: tampered with, moved from another variable, or made for another key"


def _error(name: str, key_id: str | None, reason: FailureReason) -> DecryptionError:
    where = f" (key id {key_id})" if key_id else ""
    return DecryptionError(f"cannot decrypt {name}{where}: {reason.value}")


def _info(name: str, raw_key_id: bytes) -> bytes:
    encoded = name.encode("utf-8")
    return _INFO_LABEL + len(encoded).to_bytes(2, "big") + encoded + raw_key_id


def is_envelope(value: str) -> bool:
    """True for any ``enc:`` value (including versions this release cannot read)."""
    return value.startswith(_ANY_ENVELOPE)


def is_versioned_envelope(value: str) -> bool:
    """True for ``enc:v<digits>:...``: this format (``enc:v1:``) or a later version of it; not for other
    tools' values that merely start with ``enc:``."""
    return _VERSIONED.match(value) is not None


def _pad(data: bytes) -> bytes:
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % _PAD_BLOCK)


def _unpad(data: bytes) -> bytes | None:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) - len(stripped) >= _PAD_BLOCK:
        return None
    return stripped[:-1]


def encrypt_value(name: str, value: str, public_key: PublicKey) -> str:
    """Encrypt ``value`` for the variable ``name``; only ``name`` can carry the result."""
    if not name or len(name.encode("utf-8")) > 0xFFFF:
        raise CryptoError("cannot encrypt: the variable name is empty or longer than 65535 bytes")
    raw_kid = public_key.raw_key_id
    sealed = _suite().encrypt(_pad(value.encode("utf-8")), public_key.x25519(), info=_info(name, raw_kid))
    return ENVELOPE_PREFIX + b64url_encode(raw_kid + sealed)


def _split(name: str, envelope: str) -> tuple[bytes, bytes]:
    if not envelope.startswith(ENVELOPE_PREFIX):
        reason = FailureReason.UNSUPPORTED if is_envelope(envelope) else FailureReason.MALFORMED
        raise _error(name, None, reason)
    data = b64url_decode(envelope[len(ENVELOPE_PREFIX) :])
    if data is None or len(data) < _MIN_LEN:
        raise _error(name, None, FailureReason.MALFORMED)
    return data[:KEY_ID_BYTES], data[KEY_ID_BYTES:]


def envelope_key_id(name: str, envelope: str) -> str:
    """The key id an envelope names (16 hex digits); :class:`DecryptionError` if it is not a v1 envelope."""
    raw_kid, _ = _split(name, envelope)
    return key_id_hex(raw_kid)


def decrypt_value(name: str, envelope: str, private_keys: Mapping[str, PrivateKey]) -> str:
    """Open the envelope of variable ``name`` with the key whose id it names.

    ``private_keys`` maps key id (hex) to key. Every failure is a :class:`DecryptionError` naming the variable
    and the key id, never the value.
    """
    raw_kid, sealed = _split(name, envelope)
    kid = key_id_hex(raw_kid)
    key = private_keys.get(kid)
    if key is None:
        raise _error(name, kid, FailureReason.NO_KEY)
    try:
        padded = _suite().decrypt(sealed, key.x25519(), info=_info(name, raw_kid))
    except InvalidTag:
        raise _error(name, kid, FailureReason.REJECTED) from None
    plain = _unpad(padded)
    if plain is None:
        raise _error(name, kid, FailureReason.MALFORMED)
    if _utf8_error_at(plain) is not None:  # not raised inside an except: the error would hold the plaintext
        raise _error(name, kid, FailureReason.MALFORMED)
    return plain.decode("utf-8")

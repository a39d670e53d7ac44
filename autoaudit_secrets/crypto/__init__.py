"""Encrypted ``.env`` values: ``enc:v1:`` HPKE envelopes, key pairs, and private-key stores.

The settings loader imports :func:`decrypt_values` lazily, only when some value starts with ``enc:``.
keyring is imported only when the keychain is consulted. ``docs/keys.md`` has the threat model and formats.
"""

from __future__ import annotations

from .._errors import CryptoError, DecryptionError, KeyStoreError
from ._document import (
    EditableEnv,
    EncryptOutcome,
    RotateOutcome,
    encrypt_in_document,
    open_document,
    public_key_of,
    rotate_document,
)
from ._envelope import ENVELOPE_PREFIX, decrypt_value, encrypt_value, envelope_key_id, is_envelope
from ._keys import PRIVATE_KEY_PREFIX, PUBLIC_KEY_PREFIX, PrivateKey, PublicKey, generate_private_key
from ._stores import (
    ALLOW_INSECURE_KEYRING_VAR,
    DEFAULT_DOCKER_SECRET,
    KEYRING_SERVICE,
    PRIVATE_KEY_FILE_VAR,
    PRIVATE_KEY_VAR,
    DockerSecretKeyStore,
    EnvKeyStore,
    FileKeyStore,
    InsecureKeyFileWarning,
    KeyResolution,
    KeyringKeyStore,
    KeyringRefusedError,
    KeyStore,
    default_key_stores,
    insecure_keyring_allowed,
    resolve_keys,
)
from ._values import PUBLIC_KEY_VAR, decrypt_values, looks_secret, open_values, reencrypt_values

__all__ = [
    "ALLOW_INSECURE_KEYRING_VAR",
    "DEFAULT_DOCKER_SECRET",
    "ENVELOPE_PREFIX",
    "KEYRING_SERVICE",
    "PRIVATE_KEY_FILE_VAR",
    "PRIVATE_KEY_PREFIX",
    "PRIVATE_KEY_VAR",
    "PUBLIC_KEY_PREFIX",
    "PUBLIC_KEY_VAR",
    "CryptoError",
    "DecryptionError",
    "DockerSecretKeyStore",
    "EditableEnv",
    "EncryptOutcome",
    "EnvKeyStore",
    "FileKeyStore",
    "InsecureKeyFileWarning",
    "KeyResolution",
    "KeyStore",
    "KeyStoreError",
    "KeyringKeyStore",
    "KeyringRefusedError",
    "PrivateKey",
    "PublicKey",
    "RotateOutcome",
    "decrypt_value",
    "decrypt_values",
    "default_key_stores",
    "encrypt_in_document",
    "encrypt_value",
    "envelope_key_id",
    "generate_private_key",
    "insecure_keyring_allowed",
    "is_envelope",
    "looks_secret",
    "open_document",
    "open_values",
    "public_key_of",
    "reencrypt_values",
    "resolve_keys",
    "rotate_document",
]

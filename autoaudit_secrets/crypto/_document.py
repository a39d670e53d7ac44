"""Operations on a whole ``.env`` document: encrypt names in place, open every value, rotate to a new key.

They work on any object with ``names()``, ``get(name)`` and ``set(name, value)`` — in practice
:class:`autoaudit_secrets._dotenv.DotenvDocument`, the lossless editor that keeps comments and order —
and never print or write files; the CLI does that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .._dotenv import shown_name
from .._errors import CryptoError, DecryptionError, UsageError
from ._envelope import encrypt_value, envelope_key_id, is_envelope
from ._keys import PrivateKey, PublicKey
from ._stores import KeyStore
from ._values import PUBLIC_KEY_VAR, looks_secret, open_values

__all__ = [
    "EditableEnv",
    "EncryptOutcome",
    "RotateOutcome",
    "encrypt_in_document",
    "open_document",
    "public_key_of",
    "reference_refusal",
    "rotate_document",
]


class EditableEnv(Protocol):
    """The part of ``DotenvDocument`` these operations use."""

    def names(self) -> list[str]: ...

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def expands(self, name: str) -> bool: ...


def public_key_of(doc: EditableEnv, source: str) -> PublicKey:
    """The document's ``AUTOAUDIT_PUBLIC_KEY``; :class:`CryptoError` (with the fix) when absent or invalid."""
    text = doc.get(PUBLIC_KEY_VAR)
    if not text:
        raise CryptoError(
            f"{source} has no {PUBLIC_KEY_VAR}; run `autoaudit-secrets keygen --env-file {source}` first"
        )
    return PublicKey.from_text(text, source=f"{PUBLIC_KEY_VAR} in {source}")


def _values(doc: EditableEnv) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in doc.names():
        value = doc.get(name)
        if value is not None:
            values[name] = value
    return values


@dataclass(frozen=True)
class EncryptOutcome:
    """Names encrypted, and names left alone with the reason (``already encrypted``...)."""

    encrypted: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def reference_refusal(subject: str, *, fix: str) -> str:
    """Why a value holding a ``${VAR}`` reference is not encrypted as is (names only, never the value)."""
    return (
        f"{subject} holds a ${{...}} reference, which loading expands; an enc: value is opened as is, never "
        f"expanded, so once encrypted it would load as the literal text ({fix})"
    )


_ENCRYPT_FIX = (
    "pass --literal to encrypt it as written, or single-quote it in the .env if it is meant literally"
)


def encrypt_in_document(
    doc: EditableEnv,
    names: Sequence[str] | None,
    public_key: PublicKey,
    *,
    source: str = ".env",
    literal: bool = False,
) -> EncryptOutcome:
    """Encrypt plaintext values in place: the given ``names``, or every secret-looking one when ``None``.

    A named variable that is absent or is the public key is an error; an already encrypted one is skipped.
    A value that loading would expand (``${VAR}``, unquoted or double-quoted) would change meaning once
    encrypted: unless ``literal``, a named one is a :class:`UsageError` (nothing is changed) and an
    automatically chosen one is skipped with the reason.
    """
    values = _values(doc)
    outcome = EncryptOutcome()
    if names is None:
        chosen = [name for name, value in values.items() if looks_secret(name, value)]
    else:
        chosen = list(dict.fromkeys(names))
        for name in chosen:
            if name == PUBLIC_KEY_VAR:
                raise UsageError(f"{PUBLIC_KEY_VAR} is the public key; it is not encrypted")
            if name not in values:
                raise UsageError(f"{shown_name(name)} is not set in {source}")
    if not literal:
        expanding = [name for name in chosen if not is_envelope(values[name]) and doc.expands(name)]
        if expanding and names is not None:
            raise UsageError(reference_refusal(f"{expanding[0]} in {source}", fix=_ENCRYPT_FIX))
        for name in expanding:
            outcome.skipped[name] = "not encrypted: " + reference_refusal("its value", fix=_ENCRYPT_FIX)
        chosen = [name for name in chosen if name not in expanding]
    for name in chosen:
        value = values[name]
        if is_envelope(value):
            outcome.skipped[name] = "already encrypted"
            continue
        doc.set(name, encrypt_value(name, value, public_key))
        outcome.encrypted.append(name)
    return outcome


def open_document(doc: EditableEnv, stores: Sequence[KeyStore]) -> tuple[dict[str, str], dict[str, str]]:
    """Every value of the document with its ``enc:`` values opened, plus ``{name: problem}`` as in
    :func:`~autoaudit_secrets.crypto.open_values`."""
    return open_values(_values(doc), stores)


@dataclass(frozen=True)
class RotateOutcome:
    """What :func:`rotate_document` changed."""

    old_key_ids: list[str]
    new_key_id: str
    reencrypted: list[str]


def rotate_document(
    doc: EditableEnv, stores: Sequence[KeyStore], new_key: PrivateKey, *, source: str = ".env"
) -> RotateOutcome:
    """Re-encrypt every ``enc:`` value for ``new_key`` and replace the public key, in memory.

    All values are opened first; if any fails, :class:`DecryptionError` lists them and the document is
    left unchanged.
    """
    current = public_key_of(doc, source)
    encrypted = {name: value for name, value in _values(doc).items() if is_envelope(value)}
    opened, problems = open_values(encrypted, stores)
    if problems:
        detail = "; ".join(problems[name] for name in sorted(problems))
        raise DecryptionError(f"cannot rotate {source}, {len(problems)} value(s) do not open: {detail}")
    old_ids = sorted({current.key_id} | {envelope_key_id(name, value) for name, value in encrypted.items()})
    new_public = new_key.public_key
    for name in encrypted:
        doc.set(name, encrypt_value(name, opened[name], new_public))
    doc.set(PUBLIC_KEY_VAR, new_public.to_text())
    return RotateOutcome(old_ids, new_public.key_id, list(encrypted))

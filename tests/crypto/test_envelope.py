"""The enc:v1 envelope: round trips, tamper resistance, name binding, wrong keys, malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoaudit_secrets._errors import CryptoError, DecryptionError
from autoaudit_secrets.crypto import (
    ENVELOPE_PREFIX,
    PrivateKey,
    PublicKey,
    decrypt_value,
    encrypt_value,
    envelope_key_id,
    generate_private_key,
    is_envelope,
)
from autoaudit_secrets.crypto._keys import b64url_decode, b64url_encode
from tests.conftest import assert_no_leak

KEY = generate_private_key()
OTHER = generate_private_key()
KEYS = {KEY.key_id: KEY}
SECRET = "s3cr3t-Value-for-tamper-tests"  # check-secrets: allow

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,40}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(name=names, value=st.text(max_size=300))
def test_round_trip_any_name_and_value(name: str, value: str) -> None:
    envelope = encrypt_value(name, value, KEY.public_key)
    assert envelope.startswith(ENVELOPE_PREFIX)
    assert decrypt_value(name, envelope, KEYS) == value
    assert envelope_key_id(name, envelope) == KEY.key_id


@settings(max_examples=40, deadline=None)
@given(value=st.text(min_size=1, max_size=64))
def test_two_encryptions_of_one_value_differ(value: str) -> None:
    assert encrypt_value("A", value, KEY.public_key) != encrypt_value("A", value, KEY.public_key)


def test_envelope_text_is_plain_base64url() -> None:
    envelope = encrypt_value("DB_PASSWORD", SECRET, KEY.public_key)
    body = envelope[len(ENVELOPE_PREFIX) :]
    assert set(body) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert "=" not in body
    assert_no_leak(envelope, [SECRET], where="envelope")


def test_length_reveals_only_a_32_byte_bucket() -> None:
    lengths = {len(encrypt_value("X", "a" * n, KEY.public_key)) for n in range(32)}
    assert len(lengths) == 1
    assert len(encrypt_value("X", "a" * 32, KEY.public_key)) > lengths.pop()


def test_every_single_byte_change_is_rejected() -> None:
    envelope = encrypt_value("DB_PASSWORD", SECRET, KEY.public_key)
    raw = b64url_decode(envelope[len(ENVELOPE_PREFIX) :])
    assert raw is not None
    for position in range(len(raw)):
        for mask in (0x01, 0x80, 0xFF):
            tampered = bytearray(raw)
            tampered[position] ^= mask
            forged = ENVELOPE_PREFIX + b64url_encode(bytes(tampered))
            with pytest.raises(DecryptionError) as info:
                decrypt_value("DB_PASSWORD", forged, KEYS)
            message = str(info.value)
            assert "DB_PASSWORD" in message
            assert_no_leak(message, [SECRET], where=f"error for byte {position}")


def test_truncation_and_extension_are_rejected() -> None:
    envelope = encrypt_value("A", SECRET, KEY.public_key)
    raw = b64url_decode(envelope[len(ENVELOPE_PREFIX) :])
    assert raw is not None
    for cut in (1, 16, len(raw) - 8):
        with pytest.raises(DecryptionError):
            decrypt_value("A", ENVELOPE_PREFIX + b64url_encode(raw[:-cut]), KEYS)
    with pytest.raises(DecryptionError):
        decrypt_value("A", ENVELOPE_PREFIX + b64url_encode(raw + b"\x00"), KEYS)


def test_value_moved_to_another_variable_is_rejected() -> None:
    envelope = encrypt_value("DB_PASSWORD", SECRET, KEY.public_key)
    for other_name in ("API_TOKEN", "db_password", "DB_PASSWORD_", "DB_PASSWOR"):
        with pytest.raises(DecryptionError) as info:
            decrypt_value(other_name, envelope, KEYS)
        message = str(info.value)
        assert other_name in message and KEY.key_id in message
        assert "moved" in message
        assert_no_leak(message, [SECRET])


def test_swapping_two_values_is_rejected_both_ways() -> None:
    first = encrypt_value("USER_PASSWORD", "alpha-password", KEY.public_key)
    second = encrypt_value("ADMIN_PASSWORD", "bravo-password", KEY.public_key)
    with pytest.raises(DecryptionError):
        decrypt_value("USER_PASSWORD", second, KEYS)
    with pytest.raises(DecryptionError):
        decrypt_value("ADMIN_PASSWORD", first, KEYS)


def test_wrong_key_is_rejected() -> None:
    envelope = encrypt_value("A", SECRET, KEY.public_key)
    # Without the right key id: "no private key".
    with pytest.raises(DecryptionError, match="no private key") as info:
        decrypt_value("A", envelope, {OTHER.key_id: OTHER})
    assert KEY.key_id in str(info.value)
    # A wrong key filed under the right id (a mixed-up key store) still fails authentication.
    with pytest.raises(DecryptionError, match="authentication failed"):
        decrypt_value("A", envelope, {KEY.key_id: OTHER})


def test_relabelled_key_id_is_rejected_even_with_that_key() -> None:
    envelope = encrypt_value("A", SECRET, KEY.public_key)
    raw = b64url_decode(envelope[len(ENVELOPE_PREFIX) :])
    assert raw is not None
    relabelled = ENVELOPE_PREFIX + b64url_encode(OTHER.public_key.raw_key_id + raw[8:])
    with pytest.raises(DecryptionError, match="authentication failed"):
        decrypt_value("A", relabelled, {KEY.key_id: KEY, OTHER.key_id: KEY})


@pytest.mark.parametrize(
    "envelope",
    ["enc:v1:", "enc:v1:!!!!", "enc:v1:AAAA", "enc:v1:" + "A" * 81, "enc:", "enc:v1", "enc:v1:AB=C"],
    ids=lambda text: f"len{len(text)}",
)
def test_malformed_envelopes_are_decryption_errors(envelope: str) -> None:
    with pytest.raises(DecryptionError, match=r"not a valid enc:v1 envelope|not supported"):
        decrypt_value("NAME", envelope, KEYS)


def test_non_canonical_base64_is_rejected() -> None:
    envelope = encrypt_value("A", SECRET, KEY.public_key)
    body = envelope[len(ENVELOPE_PREFIX) :]
    # 88 bytes -> 118 chars, the last char carries 2 unused bits; setting one changes the text, not the bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(body) % 4 != 0
    last = alphabet.index(body[-1])
    twin = body[:-1] + alphabet[last | 1] if last % 2 == 0 else body[:-1] + alphabet[last & ~1]
    with pytest.raises(DecryptionError, match="not a valid"):
        decrypt_value("A", ENVELOPE_PREFIX + twin, KEYS)


def test_other_versions_are_reported_as_unsupported() -> None:
    with pytest.raises(DecryptionError, match="not supported"):
        decrypt_value("NAME", "enc:v2:AAAA", KEYS)
    assert is_envelope("enc:v2:AAAA") and not is_envelope("plain")


def test_key_text_forms_round_trip_and_reject_garbage() -> None:
    assert PrivateKey.from_text(KEY.to_text()) == KEY
    assert PublicKey.from_text(KEY.public_key.to_text()) == KEY.public_key
    assert len(KEY.key_id) == 16 and int(KEY.key_id, 16) >= 0
    assert KEY.key_id != OTHER.key_id
    private_text = KEY.to_text()
    assert_no_leak(repr(KEY), [private_text, private_text.split(":")[1]], where="repr")
    bad = [
        private_text[:-1],
        private_text + "A",
        private_text.replace("autoaudit-priv-v1:", "autoaudit-pub-v1:"),
        "",
    ]
    for index, text in enumerate(bad):
        with pytest.raises(CryptoError) as info:
            PrivateKey.from_text(text, source=f"candidate {index}")
        assert_no_leak(str(info.value), [private_text.split(":")[1][:20]], where="key parse error")
    with pytest.raises(CryptoError, match="not a public key"):
        PublicKey.from_text(private_text)


def test_encrypting_needs_a_name() -> None:
    with pytest.raises(CryptoError):
        encrypt_value("", SECRET, KEY.public_key)

"""assert_no_leak itself: it catches escaped spellings of a secret and, on request, 4-character previews."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_no_leak

PEM = (
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIL7q\n-----END PRIVATE KEY-----"  # check-secrets: allow
)
BACKSLASHED = "pa" + "ss\\w0rd\\n'\"x"
ACCENTED = "mot-de-passe-" + "été"


@pytest.mark.parametrize(
    "text",
    [
        repr(PEM),
        json.dumps({"key": PEM}),
        PEM.replace("\n", "\\n"),
        f"value={BACKSLASHED!r}",
        json.dumps(BACKSLASHED),
        json.dumps(ACCENTED),
        ascii(ACCENTED),
    ],
    ids=["repr-pem", "json-pem", "escaped-pem", "repr-backslash", "json-backslash", "json-ascii", "ascii"],
)
def test_escaped_forms_are_leaks(text: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="escaped form"):
        assert_no_leak(text, [PEM, BACKSLASHED, ACCENTED], where="sample")


def test_prefix_check_is_opt_in() -> None:
    secret = "Zq8v-generic-" + "password"
    preview = f"DB_PASSWORD={secret[:4]}…****"
    assert_no_leak(preview, [secret], where="sample")  # the default keeps its old meaning
    with pytest.raises(pytest.fail.Exception, match="first 4 characters of secret #0"):
        assert_no_leak(preview, [secret], where="sample", prefixes=True)
    assert_no_leak("nothing to see", [secret], where="sample", prefixes=True)


def test_failure_message_never_shows_the_secret() -> None:
    secret = "Zq8v-generic-" + "password"
    with pytest.raises(pytest.fail.Exception) as info:
        assert_no_leak(f"x {secret} y", [secret], where="sample")
    assert secret not in str(info.value) and "secret #0 (length 21)" in str(info.value)

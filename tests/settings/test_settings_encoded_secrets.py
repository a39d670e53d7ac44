"""A value derived from a secret by base64 (an HTTP Basic ``Authorization`` header, a token inside an encoded
blob) is masked like the secret itself: in the repr of the settings' computed fields and in log lines.

Base64 text encodes a secret differently depending on how many bytes come before it (its place in a group of
3): each case is checked, in standard and URL-safe base64 and percent-encoded, and base64 text that holds no
secret stays as it is."""

from __future__ import annotations

import base64
import io
import logging
import re
from urllib.parse import quote

import pytest
from pydantic import SecretStr, computed_field

from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings import SecretSettings, install_redaction
from tests.conftest import assert_no_leak

USER = "alice"
PASSWORD = "correct-Horse-battery-9f3e"  # check-secrets: allow
# a value whose base64 holds "+" and "/" at each of its 3 places: URL-safe and percent-encoded forms differ
ODD_TOKEN = "tok~~~en???>>>~?value"  # check-secrets: allow
SECRETS = [PASSWORD, ODD_TOKEN]


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class ClientSettings(SecretSettings):
    user: str
    password: SecretStr
    service_token: SecretStr

    @computed_field  # type: ignore[prop-decorator]
    @property
    def auth_header(self) -> str:  # not named like a secret: only the derived value gives it away
        return _basic(self.user, self.password.get_secret_value())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": self.auth_header, "Accept": "application/json"}

    @property
    def token_blob(self) -> str:  # a plain property: not in repr, but logged
        payload = b'{"sub": "svc", "token": "' + self.service_token.get_secret_value().encode() + b'"}'
        return base64.urlsafe_b64encode(payload).decode("ascii")


def _load() -> ClientSettings:
    environ = {"USER": USER, "PASSWORD": PASSWORD, "SERVICE_TOKEN": ODD_TOKEN}
    return ClientSettings.load(environ=environ, env_file=None, secrets_dir=None)


def _encoded_leaks(text: str, secret: str) -> list[int]:
    """The numbers of bytes put before ``secret`` (0 to 2) for which the characters that encode the
    secret's own bytes (standard or URL-safe base64) show in ``text``; computed from the encodings, each of
    its 6-character pieces in turn."""
    found = []
    for before in range(3):
        encoded = base64.b64encode(b"\0" * before + secret.encode()).decode("ascii")
        inner = encoded[before + 1 : -2]  # clear of the characters shared with the bytes around
        pieces = {inner[i : i + 6] for i in range(len(inner) - 5)}
        pieces |= {piece.replace("+", "-").replace("/", "_") for piece in pieces}
        if any(piece in text for piece in pieces):
            found.append(before)
    return found


def test_the_basic_header_of_a_computed_field_is_masked_in_repr_and_str() -> None:
    settings = _load()
    header = _basic(USER, PASSWORD)
    assert settings.auth_header == header, "the computed value itself changed"
    for shown in (repr(settings), str(settings)):
        assert header[6:] not in shown, "the Basic header shows in the settings' repr"
        assert_no_leak(shown, SECRETS, where="repr of settings")
        assert _encoded_leaks(shown, PASSWORD) == [], "part of the password's base64 shows"
        assert f"auth_header='Basic {MASK}'" in shown
        assert f"headers={{'Authorization': 'Basic {MASK}', 'Accept': 'application/json'}}" in shown
        assert f"user='{USER}'" in shown  # what is no secret stays visible


def test_the_basic_header_is_masked_in_log_lines(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    settings = _load()
    install_redaction(settings, logger)
    header = _basic(USER, PASSWORD)
    logger.info("calling the API with Authorization: %s", settings.auth_header)
    logger.info("headers: %r", settings.headers)
    logger.warning("retrying", extra={"authorization": header})
    logger.info("curl -H 'Authorization: %s' https://api.example.invalid/v1/items", header)
    output = stream.getvalue()
    assert header[6:] not in output, "the Basic header shows in a log line"
    assert_no_leak(output, SECRETS, where="log output")
    assert _encoded_leaks(output, PASSWORD) == [], "part of the password's base64 shows"
    lines = output.splitlines()
    assert lines[0] == f"calling the API with Authorization: Basic {MASK}"
    assert lines[1] == f"headers: {{'Authorization': 'Basic {MASK}', 'Accept': 'application/json'}}"
    assert lines[3] == f"curl -H 'Authorization: Basic {MASK}' https://api.example.invalid/v1/items"


@pytest.mark.parametrize("before", range(6))  # each of the 3 places in a 3-byte group, twice
def test_a_secret_inside_base64_is_masked_whatever_comes_before_it(
    logged: tuple[logging.Logger, io.StringIO], before: int
) -> None:
    logger, stream = logged
    install_redaction(_load(), logger)
    prefix = b"XYZ:uv"[:before]
    blob = base64.b64encode(prefix + PASSWORD.encode() + b"; expires=3600").decode("ascii")
    logger.info("payload=%s end", blob)
    output = stream.getvalue()
    assert blob not in output, "the base64 text shows in the log line"
    assert _encoded_leaks(output, PASSWORD) == [], "part of the password's base64 shows"
    assert output == f"payload={MASK} end\n"


@pytest.mark.parametrize("before", range(3))
def test_url_safe_and_percent_encoded_base64_are_masked(
    logged: tuple[logging.Logger, io.StringIO], before: int
) -> None:
    logger, stream = logged
    install_redaction(_load(), logger)
    data = b"\xfb\xff"[:before] + ODD_TOKEN.encode() + b"!"  # (bytes before it encoded as "+", "/" too)
    url_safe = base64.urlsafe_b64encode(data).decode("ascii")
    standard = base64.b64encode(data).decode("ascii")
    percent = quote(standard, safe="")
    assert url_safe != standard and "%2" in percent, "the test value's base64 holds no '+' or '/'"
    logger.info("GET /callback?state=%s HTTP/1.1", url_safe)
    logger.info("GET /callback?state=%s HTTP/1.1", percent)
    output = stream.getvalue()
    assert url_safe not in output and percent not in output, "an encoded form of the token shows"
    assert _encoded_leaks(output, ODD_TOKEN) == [], "part of the token's base64 shows"
    assert output.splitlines() == [f"GET /callback?state={MASK} HTTP/1.1"] * 2


@pytest.mark.parametrize("before", range(3))
def test_lower_case_percent_escapes_and_json_escaped_slashes_are_masked(
    logged: tuple[logging.Logger, io.StringIO], before: int
) -> None:
    """Percent-encoding may use lower-case hex (``%2b``, ``%2f``: RFC 3986 allows both), also mixed with
    upper-case in one value, and JSON encoders that escape ``/`` (PHP's ``json_encode``, some Java ones)
    write base64's slashes as ``\\/``."""
    logger, stream = logged
    install_redaction(_load(), logger)
    data = b"\xfb\xff"[:before] + ODD_TOKEN.encode() + b"!"
    standard = base64.b64encode(data).decode("ascii")
    upper = quote(standard, safe="")
    lower = upper.replace("%2B", "%2b").replace("%2F", "%2f")
    # every other escape in lower case, the first one as written
    pieces = re.split(r"(%2[BF])", upper)
    escapes = [i for i, piece in enumerate(pieces) if piece in ("%2B", "%2F")]
    mixed = "".join(p.lower() if i in escapes[1::2] else p for i, p in enumerate(pieces))
    escaped = standard.replace("/", "\\/")
    assert "%2b" in lower and "%2f" in lower and "\\/" in escaped, "the test value's base64 lacks '+' or '/'"
    assert mixed not in (upper, lower), "the test value's base64 holds too few '+' and '/'"
    logger.info("GET /callback?state=%s HTTP/1.1", lower)
    logger.info("GET /callback?state=%s HTTP/1.1", mixed)
    logger.info('sent {"state": "%s"}', escaped)
    output = stream.getvalue()
    assert_no_leak(output, [lower, mixed, escaped], where="the log")  # (before a comparison that shows it)
    assert _encoded_leaks(output, ODD_TOKEN) == [], "part of the token's base64 shows"
    assert output.splitlines() == [f"GET /callback?state={MASK} HTTP/1.1"] * 2 + [
        f'sent {{"state": "{MASK}"}}'
    ]


def test_an_encoded_blob_from_a_plain_property_is_masked(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    settings = _load()
    install_redaction(settings, logger)
    logger.debug("session blob %s", settings.token_blob)
    output = stream.getvalue()
    assert settings.token_blob not in output
    assert output == f"session blob {MASK}\n"


def test_base64_that_holds_no_secret_stays_visible(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    install_redaction(_load(), logger)
    unrelated = [
        _basic("bob", "another-Password-not-ours"),
        base64.b64encode(b'{"alg": "HS256", "typ": "JWT"}').decode("ascii"),
        # the first half of the password (and of the token), encoded at each place: too little of a value
        *(base64.b64encode(b"xy"[:n] + PASSWORD[:12].encode()).decode("ascii") for n in range(3)),
        *(base64.urlsafe_b64encode(b"xy"[:n] + ODD_TOKEN[:9].encode()).decode("ascii") for n in range(3)),
    ]
    for text in unrelated:
        logger.info("value: %s", text)
    assert stream.getvalue().splitlines() == [f"value: {text}" for text in unrelated]

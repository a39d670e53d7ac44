"""install_redaction: a logging filter masking loaded secret values everywhere in a record."""

from __future__ import annotations

import io
import json
import logging
import warnings
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import AnyUrl, BaseModel, PostgresDsn, Secret, SecretStr
from settings_schemas import API_TOKEN, DB_PASSWORD, JWT, SECRETS, AppSettings

from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings import (
    RedactionFilter,
    SecretSettings,
    ShortSecretWarning,
    install_redaction,
    secret_values,
)
from tests.conftest import assert_no_leak


@pytest.fixture
def settings() -> AppSettings:
    return AppSettings.load(
        environ={"JWT_SECRET": JWT, "DB__PASSWORD": DB_PASSWORD, "API_TOKEN": API_TOKEN},
        env_file=None,
        secrets_dir=None,
    )


def test_secret_values_collects_nested_and_optional(settings: AppSettings) -> None:
    assert secret_values(settings) == {JWT, DB_PASSWORD, API_TOKEN}


def test_masks_message_args_exception_and_stack(
    logged: tuple[logging.Logger, io.StringIO], settings: AppSettings
) -> None:
    logger, stream = logged
    install_redaction(settings, logger)
    logger.info(f"inline {JWT}")
    logger.info("args %s and %r", DB_PASSWORD, {"token": API_TOKEN})
    try:
        raise RuntimeError(f"failed with {JWT}")
    except RuntimeError:
        logger.exception("boom %s", API_TOKEN)
    logger.warning("where", stack_info=True, extra={"unrelated": 1})
    out = stream.getvalue()
    assert_no_leak(out, SECRETS, where="log output")
    assert f"inline {MASK}" in out
    assert f"args {MASK} and {{'token': '{MASK}'}}" in out
    assert f"RuntimeError: failed with {MASK}" in out
    assert "Stack (most recent call last)" in out


def test_child_logger_records_are_masked_by_the_handler(settings: AppSettings) -> None:
    stream = io.StringIO()
    parent = logging.getLogger("autoaudit-redaction-parent")
    parent.propagate = False
    handler = logging.StreamHandler(stream)
    parent.addHandler(handler)
    handle = install_redaction(settings, parent)
    try:
        logging.getLogger("autoaudit-redaction-parent.child").warning("child %s", JWT)
    finally:
        handle.uninstall()
        parent.removeHandler(handler)
    assert stream.getvalue() == f"child {MASK}\n"


def test_uninstall_and_idempotent(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    first = install_redaction([JWT], logger)
    second = install_redaction({"DB": DB_PASSWORD}, logger)
    assert first is second
    assert sum(isinstance(f, RedactionFilter) for f in logger.filters) == 1
    assert sum(isinstance(f, RedactionFilter) for f in logger.handlers[0].filters) == 1
    logger.info("%s %s", JWT, DB_PASSWORD)
    first.uninstall()
    first.uninstall()
    assert not logger.filters and not logger.handlers[0].filters
    logger.info("plain %s", "visible-after-uninstall")
    lines = stream.getvalue().splitlines()
    assert lines[0] == f"{MASK} {MASK}"
    assert lines[1] == "plain visible-after-uninstall"


def test_default_logger_is_root(settings: AppSettings) -> None:
    root = logging.getLogger()
    handle = install_redaction(settings)
    try:
        assert handle.logger is root and handle.filter in root.filters
    finally:
        handle.uninstall()
    assert handle.filter not in root.filters


def test_longest_value_masked_first() -> None:
    flt = RedactionFilter(["abcd", "abcdefgh"])
    assert flt.mask("xabcdefghx abcd") == f"x{MASK}x {MASK}"


# ------------------------------------------------------------------------------- short and non-string values


class _ShortDb(BaseModel):
    pin: SecretStr


class _Short(SecretSettings):
    """Declared secrets too short to mask in logs: a 1-digit number, a 2-character string, a bool."""

    retries: Secret[int]
    mode: SecretStr
    enabled: Secret[bool]
    db: _ShortDb


def _load(cls: type[SecretSettings], environ: dict[str, str]) -> Any:
    return cls.load(environ=environ, env_file=None, secrets_dir=None)


def test_a_short_declared_secret_does_not_garble_unrelated_text(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    loaded = _load(_Short, {"RETRIES": "3", "MODE": "on", "ENABLED": "true", "DB__PIN": "Zq"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSecretWarning)  # the next test is about it
        install_redaction(loaded, logger)
    lines = ["took 3 ms, retry 3 of 5", "feature on: enabled=True", "cache hit on key 'on'"]
    for line in lines:
        logger.info(line)
    logger.info("slow", extra={"elapsed_ms": 3, "flag": True})
    assert stream.getvalue().splitlines() == [*lines, "slow"]
    assert secret_values(loaded) == set()


def test_the_warning_names_each_short_field_and_no_value(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, _stream = logged
    loaded = _load(_Short, {"RETRIES": "7", "MODE": "Zq", "ENABLED": "false", "DB__PIN": "Xy"})
    with pytest.warns(ShortSecretWarning) as caught:
        install_redaction(loaded, logger)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "RETRIES (fewer than 3 characters)" in message and "MODE (fewer than 3 characters)" in message
    assert "DB__PIN (fewer than 3 characters)" in message and "ENABLED (a bool)" in message
    for value in ("7", "Zq", "Xy", "False", "false"):
        assert value not in message, f"a value of {len(value)} characters is in the warning"
    assert caught[0].filename == __file__  # points at the install_redaction call


def test_values_given_directly_follow_the_same_rule(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    with pytest.warns(ShortSecretWarning, match=r"install_redaction: .*: PIN \(fewer than 3 characters\)$"):
        install_redaction({"PIN": "42", "CODE": "x9Kq"}, logger)
    with pytest.warns(ShortSecretWarning, match=r"value 2 \(fewer than 3 characters\)$"):
        install_redaction([JWT, "ok"], logger)
    logger.info("42 ok x9Kq x9Kqz %s", JWT)
    assert stream.getvalue() == f"42 ok {MASK} x9Kqz {MASK}\n"


def test_no_warning_when_every_secret_can_be_masked(
    logged: tuple[logging.Logger, io.StringIO], settings: AppSettings
) -> None:
    logger, _stream = logged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        install_redaction(settings, logger)


class _Tokens(SecretSettings):
    """Declared secrets of 3 to 7 characters: masked where they stand as a whole token."""

    pin: Secret[int]
    code: SecretStr
    rate: Secret[Decimal]


def test_a_short_declared_secret_is_masked_where_it_stands_as_a_token(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    loaded = _load(_Tokens, {"PIN": "4821", "CODE": "x9Kq", "RATE": "1.50"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing too short here
        install_redaction(loaded, logger)
    pin, code, rate = (field.get_secret_value() for field in (loaded.pin, loaded.code, loaded.rate))
    logger.info("pin=%d code %r rate: %s", pin, code, rate)
    logger.info("%s", json.dumps({"pin": pin, "code": code}))
    logger.info("lines %r", f"first\n{pin}\n")
    logger.info("login", extra={"pin": pin, "ctx": {"code": code}})
    try:
        raise ValueError(f"bad pin {pin}")
    except ValueError:
        logger.exception("failed")
    logger.info("order 14821, v1.505, x9Kqz, ax9Kq, 4821x")  # the same characters inside longer words
    out = stream.getvalue()
    lines = out.splitlines()
    assert lines[0] == f"pin={MASK} code '{MASK}' rate: {MASK}"
    assert lines[1] == f'{{"pin": {MASK}, "code": "{MASK}"}}'
    assert lines[2] == f"lines 'first\\n{MASK}\\n'"
    assert f"ValueError: bad pin {MASK}" in out
    assert lines[-1] == "order 14821, v1.505, x9Kqz, ax9Kq, 4821x"
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "m", None, None, extra={"pin": pin})
    assert record.__dict__["pin"] == MASK


class _Realistic(SecretSettings):
    account_pin: Secret[int]
    fee: Secret[Decimal]
    credentials: Secret[Any] = Secret(
        {"type": "service_account", "private_key": "pk-Value-3c9d1e7f"}  # check-secrets: allow
    )
    backup_pin: Secret[int | None] = Secret(None)


def test_a_non_string_secret_of_realistic_length_is_masked_wherever_it_appears(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    loaded = _load(_Realistic, {"ACCOUNT_PIN": "482193756", "FEE": "12.34500"})
    install_redaction(loaded, logger)
    pin = loaded.account_pin.get_secret_value()
    key = loaded.credentials.get_secret_value()["private_key"]
    logger.info("glued x%dx fee=%s", pin, loaded.fee.get_secret_value())
    logger.info("charged", extra={"pin": pin, "detail": {"key": key}})
    logger.info("None is no value")
    try:
        raise RuntimeError(f"account {pin}99 failed")
    except RuntimeError:
        logger.exception("payment")
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "m", None, None, extra={"pin": pin})
    assert record.__dict__["pin"] == MASK
    out = stream.getvalue()
    assert_no_leak(out, ["482193756", "12.34500", key], where="log output")
    lines = out.splitlines()
    assert lines[0] == f"glued x{MASK}x fee={MASK}"
    assert lines[2] == "None is no value"
    assert f"RuntimeError: account {MASK}99 failed" in out
    assert secret_values(loaded) == {"482193756", "12.34500", "service_account", key}  # keys, None left out


# ------------------------------------------------------------------------------------------------ edge cases

BOLD, RED, RESET = "\x1b[1m", "\x1b[38;5;196m", "\x1b[0m"


def test_a_short_secret_glued_to_colour_escape_codes_is_masked_and_the_codes_kept(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    install_redaction({"PIN": "4821", "CODE": "x9Kq"}, logger)
    styled = f"{BOLD}4821{RESET}"  # what click.style(pin, bold=True) or a rich console writes
    logger.info(f"pin {styled}")
    logger.info("code %s", f"{RED}x9Kq{RESET}")  # a coloured argument, masked on its own
    logger.info(f"{styled}{RED}x9Kq{RESET}!")  # two values, escape codes between them
    logger.info(f"styled {styled!r}")  # repr writes ESC as \x1b
    logger.info(json.dumps({"pin": styled}))  # JSON as \u001b
    logger.info(f"order {BOLD}14821{RESET} {BOLD}4821x{RESET} arr[1m4821 [1m4821")  # longer words; no ESC
    assert stream.getvalue().splitlines() == [
        f"pin {BOLD}{MASK}{RESET}",
        f"code {RED}{MASK}{RESET}",
        f"{BOLD}{MASK}{RESET}{RED}{MASK}{RESET}!",
        f"styled '\\x1b[1m{MASK}\\x1b[0m'",
        f'{{"pin": "\\u001b[1m{MASK}\\u001b[0m"}}',
        f"order {BOLD}14821{RESET} {BOLD}4821x{RESET} arr[1m4821 [1m4821",
    ]


def test_a_short_secret_after_an_escape_code_spelled_as_text_is_masked(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    # Shells and configuration files spell ESC out (printf/echo -e turn it into the byte); where nothing
    # does, the text reaches the log as is: a PS1 string, a log format read from YAML, a doubled escape.
    logger, stream = logged
    install_redaction({"PIN": "4821"}, logger)
    spellings = ["\\033", "\\0033", "\\e", "\\E", "\\x1B", "\\u001B"]
    for esc in spellings:
        logger.info(f"pin {esc}[1;31m4821{esc}[0m")
    # not a code before it (no backslash, no "[", another letter), or the token goes on
    unrelated = "e[1m4821 \\e1m4821 \\q[1m4821 \\033[1m48210 \\e[1m14821 \\033[1m4821x"
    logger.info(unrelated)
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(spellings) + 1
    # Compared into names and booleans: a failed comparison would print the value.
    leaked = [
        esc for esc, line in zip(spellings, lines, strict=False) if line != f"pin {esc}[1;31m{MASK}{esc}[0m"
    ]
    assert leaked == [], "not masked after these spellings"
    kept = lines[-1] == unrelated
    assert kept, "masked where it is no token after a code"


def test_a_short_secret_after_an_escape_code_in_caret_notation_is_masked(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    # cat -v, less and terminals show ESC as "^[": terminal output pasted into a log or a ticket holds it.
    logger, stream = logged
    install_redaction({"PIN": "4821", "CODE": "x9Kq"}, logger)
    logger.info("pin ^[[1;31m4821^[[0m and code ^[[1mx9Kq^[[0m!")
    logger.info("^[[38;5;196m4821^[[0m^[[2mx9Kq")  # at the start, codes between the two, at the end
    # not a code before it (no caret, one "[" only), or the token goes on
    unrelated = "[[1m4821 ^[1m4821 ^[[1m48210 ^[[1m14821 ^[[1m4821x ^[[1mx9Kq_"
    logger.info(unrelated)
    lines = stream.getvalue().splitlines()
    # Compared into booleans: a failed comparison would print the values.
    masked = lines[:2] == [
        f"pin ^[[1;31m{MASK}^[[0m and code ^[[1m{MASK}^[[0m!",
        f"^[[38;5;196m{MASK}^[[0m^[[2m{MASK}",
    ]
    assert masked, "not masked after an escape code in caret notation"
    kept = lines[2] == unrelated
    assert kept, "masked where it is no token after a code"


class _Signed(SecretSettings):
    offset: Secret[int]


def test_a_negative_number_secret_is_not_masked_after_a_digit_or_letter(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    loaded = _load(_Signed, {"OFFSET": "-42"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        install_redaction(loaded, logger)
    offset = loaded.offset.get_secret_value()
    logger.info("offset=%d (%d) [%s] at %s", offset, offset, offset, offset)
    logger.info(json.dumps({"offset": offset}))
    written = f"first\n{offset}"
    logger.info(f"lines {written!r}")
    logger.info("range 10-42, build v2-42, 3.0e-42, run_-42, -421, -42x")  # a digit, letter or _ before -
    assert stream.getvalue().splitlines() == [
        f"offset={MASK} ({MASK}) [{MASK}] at {MASK}",
        f'{{"offset": {MASK}}}',
        f"lines 'first\\n{MASK}'",
        "range 10-42, build v2-42, 3.0e-42, run_-42, -421, -42x",
    ]


# A password with characters a URL must encode (#, @, /) and one it may leave (!).
DSN_PASSWORD = "Sx9#q@Lm/2!vR"  # check-secrets: allow


class _Dsn(SecretSettings):
    database_url: Secret[PostgresDsn]
    cache_url: Secret[AnyUrl]


def test_the_password_of_a_url_secret_is_masked_alone_and_in_other_forms_of_the_url(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    encoded = quote(DSN_PASSWORD, safe="")
    environ = {
        "DATABASE_URL": f"postgresql://app:{encoded}@db.internal:5432/app",
        # a 3-character password: masked as a whole token
        "CACHE_URL": "redis://:k9Z@cache:6379/0",  # check-secrets: allow
    }
    loaded = _load(_Dsn, environ)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        install_redaction(loaded, logger)
    # SQLAlchemy writes the URL with its own scheme and encodes only ":", "@" and "/" of the password.
    sqlalchemy_form = DSN_PASSWORD.replace("@", "%40").replace("/", "%2F")
    logger.info("engine %s", f"postgresql+psycopg://app:{sqlalchemy_form}@db.internal:5432/app")
    logger.info("connecting as app with password %s", DSN_PASSWORD)
    logger.info("pw=%s raw=%s", encoded, quote(DSN_PASSWORD))
    cache_line = "cache rediss://default:k9Z@cache.internal:6380 auth=k9Z"  # check-secrets: allow
    logger.info(f"{cache_line}, not k9Zx or 1k9Z")
    logger.info("url %s", loaded.database_url.get_secret_value())
    other = "replica postgresql://app:Sx9%23q@db2/app as app"  # check-secrets: allow
    logger.info(other)  # another password (a part of this one) in the same kind of URL
    lines = stream.getvalue().splitlines()
    assert_no_leak(stream.getvalue(), [DSN_PASSWORD, encoded, sqlalchemy_form], where="log output")
    assert lines[:4] == [
        f"engine postgresql+psycopg://app:{MASK}@db.internal:5432/app",
        f"connecting as app with password {MASK}",
        f"pw={MASK} raw={MASK}",
        f"cache rediss://default:{MASK}@cache.internal:6380 auth={MASK}, not k9Zx or 1k9Z",
    ]
    assert lines[4:] == [f"url {MASK}", other]
    assert {DSN_PASSWORD, "k9Z"} <= secret_values(loaded)  # what is masked; user names and hosts are not


def test_a_url_secret_with_a_too_short_password_is_named_in_the_warning(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    loaded = _load(_Dsn, {"DATABASE_URL": "postgresql://app:Zq@db/app", "CACHE_URL": "redis://cache:6379"})
    with pytest.warns(ShortSecretWarning) as caught:
        install_redaction(loaded, logger)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.endswith(": DATABASE_URL (a URL password of fewer than 3 characters: masked only in URLs)")
    logger.info("login Zq at postgresql://app:Zq@db/app")
    logger.info("engine postgresql+psycopg://app:Zq@db/app")  # another spelling: the password alone
    assert stream.getvalue().splitlines() == [
        f"login Zq at {MASK}",  # the whole URL still is a value; Zq alone is not masked
        f"engine postgresql+psycopg://app:{MASK}@db/app",
    ]


def test_none_and_empty_values_register_nothing(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    with pytest.warns(ShortSecretWarning, match=r": FLAG \(a bool\)$"):
        install_redaction({"TOKEN": None, "EMPTY": "", "FLAG": True, "PIN": "4821"}, logger)  # type: ignore[dict-item]
    logger.info("None of %s is %r; flag True; pin 4821", None, None)
    assert stream.getvalue() == f"None of None is None; flag True; pin {MASK}\n"


class _Wrapped(SecretSettings):
    tokens: Secret[dict[str, SecretStr]]


def test_a_secret_str_inside_a_mapping_registers_its_real_value(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    loaded = _Wrapped(tokens=Secret({"ci": SecretStr(API_TOKEN)}))
    given = {"JWT": SecretStr(JWT), "DB": Secret(DB_PASSWORD), "PIN": SecretStr("48")}
    with pytest.warns(ShortSecretWarning, match=r": PIN \(fewer than 3 characters\)$"):
        install_redaction(given, logger)
    install_redaction(loaded, logger)
    logger.info("tokens %s %s %s", API_TOKEN, JWT, DB_PASSWORD)
    logger.info("masked text %s", MASK)
    out = stream.getvalue()
    assert_no_leak(out, SECRETS, where="log output")
    assert out.splitlines() == [f"tokens {MASK} {MASK} {MASK}", f"masked text {MASK}"]
    assert MASK not in secret_values(loaded)
    assert API_TOKEN in secret_values(loaded)

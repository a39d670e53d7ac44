"""A field whose union admits a secret (``SecretStr | int``, ``int | SecretStr``, ``Secret[int] | None``):
repr() and the log redaction when it holds the secret member, ``None``, or a value of another member. The
decision (docs/settings.md, "A union that admits a secret"): a secret type shows its own mask, ``None`` is
shown, a value of another member is masked (a number there may be the PIN itself), unless that member is
marked ``Annotated[..., NotSecret]``."""

from __future__ import annotations

import io
import logging
from typing import Annotated

from pydantic import BaseModel, Secret, SecretStr

from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings import NotSecret, SecretSettings, install_redaction, secret_values
from tests.conftest import assert_no_leak

PIN = 482193  # a numeric PIN, as JSON or Python gives it: the int member holds it
PIN_TEXT = "pin-Text-Value-6f3a"  # check-secrets: allow
CODE = 739150
CODE_TEXT = "code-Text-Value-1b8e"  # check-secrets: allow
MAYBE = 615243
PORT_SECRET = "port-Secret-Value-9d4c"  # check-secrets: allow
DB_PORT_SECRET = "db-Port-Secret-3e7a"  # check-secrets: allow


class Database(BaseModel):
    host: str = "db"
    pin: SecretStr | int | None = None
    port: SecretStr | Annotated[int, NotSecret] = 5432


class UnionSettings(SecretSettings):
    pin: SecretStr | int | None = None
    code: int | SecretStr | None = None
    maybe: Secret[int] | None = None
    port: SecretStr | Annotated[int, NotSecret] = 8080
    db: Database = Database()


def _load(environ: dict[str, str]) -> UnionSettings:
    return UnionSettings.load(environ=environ, env_file=None, secrets_dir=None)


def _log(settings: UnionSettings, logger: logging.Logger, stream: io.StringIO, *lines: str) -> list[str]:
    """The lines as the handler wrote them, with the settings' redaction installed."""
    install_redaction(settings, logger)
    for line in lines:
        logger.info(line)
    return stream.getvalue().splitlines()


def test_the_secret_member_held_shows_its_own_mask(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    settings = _load(
        {
            "PIN": PIN_TEXT,
            "CODE": CODE_TEXT,
            "MAYBE": str(MAYBE),
            "PORT": PORT_SECRET,
            "DB__PIN": PIN_TEXT,
            "DB__PORT": DB_PORT_SECRET,
        }
    )
    assert isinstance(settings.pin, SecretStr) and isinstance(settings.code, SecretStr)
    assert isinstance(settings.port, SecretStr) and isinstance(settings.db.port, SecretStr)
    text = repr(settings)
    for part in (
        "pin=SecretStr('**********')",
        "code=SecretStr('**********')",
        "maybe=Secret('**********')",
        "port=SecretStr('**********')",
        "db=Database(host='db', pin=SecretStr('**********'), port=SecretStr('**********'))",
    ):
        assert part in text, f"repr does not show {part}"
    lines = _log(
        settings,
        logger,
        stream,
        f"pin {PIN_TEXT} code {CODE_TEXT} maybe {MAYBE}",
        f"ports {PORT_SECRET} {DB_PORT_SECRET}",
    )
    assert lines == [f"pin {MASK} code {MASK} maybe {MASK}", f"ports {MASK} {MASK}"]
    out = stream.getvalue()
    secrets = [PIN_TEXT, CODE_TEXT, str(MAYBE), PORT_SECRET, DB_PORT_SECRET]
    assert_no_leak(text + str(settings) + out, secrets, where="repr and log output")


def test_a_number_held_by_a_union_admitting_a_secret_is_masked(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    # Validated into the int member: a number passed in Python, and one in a nested model's JSON.
    settings = UnionSettings.load(environ={"DB": f'{{"pin": {PIN}}}'}, env_file=None, secrets_dir=None)
    settings = UnionSettings(pin=PIN, code=CODE, db=settings.db, _env_file=None)
    assert (settings.pin, settings.code, settings.db.pin) == (PIN, CODE, PIN)
    text = repr(settings)
    for part in (f"pin={MASK!r}", f"code={MASK!r}", f"db=Database(host='db', pin={MASK!r}, port=5432)"):
        assert part in text, f"repr does not show {part}"
    assert {str(PIN), str(CODE)} <= secret_values(settings)
    assert _log(settings, logger, stream, f"pin={PIN} code={CODE}") == [f"pin={MASK} code={MASK}"]
    assert_no_leak(text + str(settings) + stream.getvalue(), [str(PIN), str(CODE)], where="repr and logs")


def test_none_held_by_a_secret_union_is_shown(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    settings = _load({})
    assert settings.maybe is None
    assert "maybe=None" in repr(settings)
    assert _log(settings, logger, stream, "maybe None") == ["maybe None"]


def test_a_number_of_a_member_marked_not_secret_is_shown_and_logged(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    settings = UnionSettings(port=8443, db={"port": 6543}, _env_file=None)
    assert (settings.port, settings.db.port) == (8443, 6543)
    text = repr(settings)
    assert "port=8443" in text and "port=6543)" in text
    assert not {"8443", "6543"} & secret_values(settings)
    assert _log(settings, logger, stream, "listening on 8443, db on 6543") == [
        "listening on 8443, db on 6543"
    ]
    # The secret member of the same field is still masked.
    secret = UnionSettings(port=SecretStr(PORT_SECRET), db={"port": DB_PORT_SECRET}, _env_file=None)
    text = repr(secret)
    assert "port=SecretStr('**********')" in text and "port=SecretStr('**********'))" in text
    assert_no_leak(text, [PORT_SECRET, DB_PORT_SECRET], where="repr")


class MisMarked(SecretSettings):
    odd: Annotated[SecretStr, NotSecret] | int = 1


def test_a_secret_type_stays_masked_on_a_member_marked_not_secret(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    settings = MisMarked.load(environ={"ODD": PORT_SECRET}, env_file=None, secrets_dir=None)
    assert "odd=SecretStr('**********')" in repr(settings)
    install_redaction(settings, logger)
    logger.info("odd %s", PORT_SECRET)
    assert stream.getvalue() == f"odd {MASK}\n"

"""The password of a URL too short to mask on its own (1 or 2 characters) is masked in the user information
of any URL of a log line, as a longer one is (``postgres://app:**********@db``), and nowhere else: not
alone, not as a port, not after a colon or comma outside a URL."""

from __future__ import annotations

import io
import logging

import pytest
from pydantic import PostgresDsn, Secret, SecretStr

from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings import SecretSettings, ShortSecretWarning, install_redaction, secret_values

LONG = "Lq4-w8Rt"  # check-secrets: allow


class _Plain(SecretSettings):
    database_url: str  # a URL with a password in a plain field: its password is the secret
    replica_url: PostgresDsn


class _Declared(SecretSettings):
    database_url: SecretStr
    replica_url: Secret[PostgresDsn]


def _load(cls: type[SecretSettings], password: str) -> SecretSettings:
    environ = {
        "DATABASE_URL": f"postgres://app:{password}@db.internal:5432/app",
        "REPLICA_URL": f"postgresql://ro:{password}@replica1:5432,ro:{password}@replica2:5432/app",
    }
    return cls.load(environ=environ, env_file=None, secrets_dir=None)


def _logged_lines(
    logged: tuple[logging.Logger, io.StringIO], settings: SecretSettings, password: str
) -> list[str]:
    logger, stream = logged
    if len(password) < 3 and isinstance(settings, _Declared):
        with pytest.warns(ShortSecretWarning):
            install_redaction(settings, logger)
    else:
        install_redaction(settings, logger)
    logger.info("engine postgresql+psycopg://app:%s@db.internal:5432/app", password)  # SQLAlchemy's
    logger.info("replica postgres://ro:%s@replica1,ro:%s@replica2/app", password, password)
    logger.info("cache redis://:%s@cache:6379/0 ready", password)
    return stream.getvalue().splitlines()


MASKED_LINES = [
    f"engine postgresql+psycopg://app:{MASK}@db.internal:5432/app",
    f"replica postgres://ro:{MASK}@replica1,ro:{MASK}@replica2/app",
    f"cache redis://:{MASK}@cache:6379/0 ready",
]


@pytest.mark.parametrize("cls", [_Plain, _Declared], ids=["plain", "declared"])
@pytest.mark.parametrize("password", ["Zq", "8", "80", LONG], ids=["two", "one", "port-like", "long"])
def test_a_url_password_is_masked_in_any_url_whatever_its_length(
    logged: tuple[logging.Logger, io.StringIO], cls: type[SecretSettings], password: str
) -> None:
    lines = _logged_lines(logged, _load(cls, password), password)
    masked = lines == MASKED_LINES  # compared into a boolean: a failed comparison would print the password
    assert masked, f"a {len(password)}-character URL password is not masked as in {MASKED_LINES}"


def test_a_plain_urls_short_password_shows_the_url_as_a_long_ones_does(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    short, long = _load(_Plain, "Zq"), _load(_Plain, LONG)
    install_redaction(short, logger)
    install_redaction(long, logger)
    logger.info("short %s", short.database_url)  # type: ignore[attr-defined]
    logger.info("long %s", long.database_url)  # type: ignore[attr-defined]
    shown = f"postgres://app:{MASK}@db.internal:5432/app"
    masked = stream.getvalue().splitlines() == [f"short {shown}", f"long {shown}"]
    assert masked, "a short URL password is not masked as a long one is (its ':' and '@' kept)"
    assert not any(len(value) < 3 or value.startswith(":") for value in secret_values(short))


@pytest.mark.parametrize("cls", [_Plain, _Declared], ids=["plain", "declared"])
def test_a_short_password_is_not_masked_outside_a_urls_user_information(
    logged: tuple[logging.Logger, io.StringIO], cls: type[SecretSettings]
) -> None:
    logger, stream = logged
    settings = _load(cls, "80")
    if cls is _Declared:
        with pytest.warns(ShortSecretWarning):
            install_redaction(settings, logger)
    else:
        install_redaction(settings, logger)
    innocent = [
        "listening on http://0.0.0.0:80/ and http://[::1]:80",  # ports
        "proxy http://cache:80 up; GET http://cache:80/a@b?u=x:80@y",  # a port, then "@" in the path
        "took 80 ms, code 80, (80), '80', x=80",  # the password alone: too short to mask
        "at 10:80@noon, ports 8080,x:80@y",  # ":80@" and ",x:80@" outside a URL
    ]
    for line in innocent:
        logger.info(line)
    assert stream.getvalue().splitlines() == innocent

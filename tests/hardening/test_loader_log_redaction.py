"""install_redaction masks every loaded value in every log record: escaped forms, ``extra`` fields, handlers
added after it (``logging.basicConfig()``), loggers that do not propagate (uvicorn's ``dictConfig``)."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from autoaudit_secrets.settings import RedactionFilter, SecretSettings, install_redaction
from tests.conftest import REPO_ROOT, assert_no_leak

PEM = (
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPz9\n-----END PRIVATE KEY-----"  # check-secrets: allow
)
# a quote, a backslash and a double quote: repr and JSON escape them
PASSWORD = "Zq8v'pa" + 'ss\\w"rd-7713'  # check-secrets: allow
TOKEN = "tok-" + "Kp3QvXr8Lm2Nw"
SECRETS = [PEM, PASSWORD, TOKEN]


class _Conf(SecretSettings):
    signing_key: SecretStr
    db_password: SecretStr
    api_token: SecretStr


@pytest.fixture
def settings() -> _Conf:
    environ = {"SIGNING_KEY": PEM, "DB_PASSWORD": PASSWORD, "API_TOKEN": TOKEN}
    return _Conf.load(environ=environ, env_file=None, secrets_dir=None)


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Leave the root logger, the uvicorn loggers and the record factory as they were."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.filters[:], root.level, logging.getLogRecordFactory())
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "app")
    loggers = {name: logging.getLogger(name) for name in names}
    saved_loggers = {n: (lg.handlers[:], lg.filters[:], lg.level, lg.propagate) for n, lg in loggers.items()}
    yield
    root.handlers[:], root.filters[:] = saved[0], saved[1]
    root.setLevel(saved[2])
    logging.setLogRecordFactory(saved[3])
    for name, (handlers, filters, level, propagate) in saved_loggers.items():
        lg = loggers[name]
        lg.handlers[:], lg.filters[:], lg.propagate = handlers, filters, propagate
        lg.setLevel(level)


def _log_everything(logger: logging.Logger) -> None:
    logger.warning("repr %r", PEM)
    logger.warning("dict %s", {"password": PASSWORD, "token": TOKEN})
    logger.warning("json %s", json.dumps({"key": PEM, "password": PASSWORD}))
    logger.warning("escaped %s", PEM.replace("\n", "\\n"))
    logger.warning("extra", extra={"token": TOKEN, "ctx": {"password": PASSWORD}, "pem": repr(PEM)})
    try:
        raise KeyError(PASSWORD)
    except KeyError:
        logger.exception("failed for %s", TOKEN)


FORMAT = "%(levelname)s %(name)s %(message)s token=%(token)s ctx=%(ctx)s pem=%(pem)s"


class _Defaults(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        for name in ("token", "ctx", "pem"):
            record.__dict__.setdefault(name, "-")
        return super().format(record)


@pytest.mark.usefixtures("clean_logging")
def test_handlers_added_by_basic_config_after_install(settings: _Conf) -> None:
    handle = install_redaction(settings)  # before logging is configured, as a settings module would
    try:
        logging.getLogger().handlers.clear()
        stream = io.StringIO()
        logging.basicConfig(stream=stream, level=logging.INFO, force=True)
        logging.getLogger().handlers[0].setFormatter(_Defaults(FORMAT))
        _log_everything(logging.getLogger("app"))
        _log_everything(logging.getLogger())
    finally:
        handle.uninstall()
    out = stream.getvalue()
    assert out.count("WARNING app ") == 5 and "KeyError" in out and "**********" in out
    assert_no_leak(out, SECRETS, where="log output of a handler added after install")


@pytest.mark.usefixtures("clean_logging")
def test_uvicorn_style_loggers_that_do_not_propagate(settings: _Conf) -> None:
    handle = install_redaction(settings)
    stream = io.StringIO()
    try:
        # uvicorn configures its loggers with dictConfig when it starts: own handlers, propagate=False.
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "formatters": {"default": {"()": _Defaults, "fmt": FORMAT}},
                "handlers": {
                    "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": stream}
                },
                "loggers": {
                    "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
                    "uvicorn.error": {"level": "INFO"},
                    "uvicorn.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
                },
            }
        )
        _log_everything(logging.getLogger("uvicorn.error"))
        logging.getLogger("uvicorn.access").info('GET /health?token=%s HTTP/1.1" 200', TOKEN)
    finally:
        handle.uninstall()
    out = stream.getvalue()
    assert "uvicorn.access GET /health?token=**********" in out
    assert_no_leak(out, SECRETS, where="uvicorn log output")


def _documented_logging_config() -> dict[str, Any]:
    """The ``LOGGING`` dict of the uvicorn snippet in docs/settings.md, run as written."""
    text = (REPO_ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if 'RedactionFilter"}' in b)
    namespace: dict[str, Any] = {}
    exec(block[: block.index("settings = Settings.load()")], namespace)
    config: dict[str, Any] = namespace["LOGGING"]
    return config


@pytest.mark.usefixtures("clean_logging")
def test_the_documented_uvicorn_dict_config(settings: _Conf, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("uvicorn")  # installed with examples/autoaudit-api
    handle = install_redaction(settings)
    try:
        logging.config.dictConfig(_documented_logging_config())
        access = logging.getLogger("uvicorn.access")
        # uvicorn's access log call: its AccessFormatter reads the five args, so they must stay a tuple.
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/health?token={TOKEN}", "1.1", 200)
        _log_everything(logging.getLogger("uvicorn.error"))
        # A record that did not come through the record factory: the filter named in the config masks it.
        record = logging.makeLogRecord(
            {"name": "uvicorn", "msg": "raw %r", "args": (PASSWORD,), "levelno": 30}
        )
        logging.getLogger("uvicorn").handle(record)
    finally:
        handle.uninstall()
    out = capsys.readouterr()
    assert '127.0.0.1:5000 - "GET /health?token=********** HTTP/1.1" 200' in out.out
    assert "raw '**********'" in out.err and "KeyError" in out.err
    assert_no_leak(out.out + out.err, SECRETS, where="uvicorn log output")


def test_uninstall_restores_the_record_factory(settings: _Conf) -> None:
    before = logging.getLogRecordFactory()
    handle = install_redaction(settings, logging.getLogger("app"))
    assert logging.getLogRecordFactory() is not before
    handle.uninstall()
    assert logging.getLogRecordFactory() is before
    assert RedactionFilter().mask(TOKEN) == TOKEN  # nothing installed any more

"""install_redaction: a logging filter masking loaded secret values everywhere in a record."""

from __future__ import annotations

import io
import logging

import pytest
from settings_schemas import API_TOKEN, DB_PASSWORD, JWT, SECRETS, AppSettings

from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings import RedactionFilter, install_redaction, secret_values
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

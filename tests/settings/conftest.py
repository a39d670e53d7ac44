"""Fixtures for the settings tests: the schema module from tests/data/settings and value-free environments."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import DATA_DIR

SCHEMA_DIR = DATA_DIR / "settings"
if str(SCHEMA_DIR) not in sys.path:
    sys.path.insert(0, str(SCHEMA_DIR))


@pytest.fixture
def chdir_tmp(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Run the test in an empty working directory (so no stray .env is read)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A fresh logger writing each record's message to a string, and nowhere else; redaction installed on it
    is removed afterwards.

    It is made outside the logging manager (not ``getLogger``): pytest attaches its capture handlers to every
    registered logger that does not propagate, and would print the records of a failed test, values and all,
    under "Captured log call"."""
    stream = io.StringIO()
    logger = logging.Logger(f"autoaudit-test-{id(stream)}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)
    for f in list(logger.filters):
        handle = getattr(f, "_autoaudit_handle", None)
        if handle is not None:
            handle.uninstall()  # also stops masking this logger's records at creation
        logger.removeFilter(f)

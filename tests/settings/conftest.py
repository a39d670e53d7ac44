"""Fixtures for the settings tests: the schema module from tests/data/settings and value-free environments."""

from __future__ import annotations

import sys

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

"""A raw value where a secret type is declared: pydantic lets ``settings.api_key = "..."`` (no
``validate_assignment``) and ``model_construct(api_key="...")`` put a ``str`` in a ``SecretStr`` field.
repr()/str() of the settings must not show it, and install_redaction must mask it in log lines."""

from __future__ import annotations

import io
import logging

from pydantic import BaseModel, Field, SecretStr

from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings import SecretSettings, install_redaction
from tests.conftest import assert_no_leak

LOADED = "loaded-Api-Key-Value-3f9a"  # check-secrets: allow
ASSIGNED = "assigned-Api-Key-Value-8c21"  # check-secrets: allow
CONSTRUCTED = "constructed-Db-Password-4e77"  # check-secrets: allow
LISTED = "listed-Token-Value-b5d0"  # check-secrets: allow
RAW = [ASSIGNED, CONSTRUCTED, LISTED]


class Database(BaseModel):
    host: str = "db"
    password: SecretStr


class Settings(SecretSettings):
    api_key: SecretStr
    tokens: list[SecretStr] = Field(default_factory=list)
    db: Database | None = None


def _loaded() -> Settings:
    return Settings.load(environ={"API_KEY": LOADED}, env_file=None, secrets_dir=None)


def test_repr_masks_a_raw_value_assigned_to_a_secret_field() -> None:
    settings = _loaded()
    settings.api_key = ASSIGNED  # type: ignore[assignment]
    settings.tokens = [SecretStr(LOADED), LISTED]  # type: ignore[list-item]
    for shown in (repr(settings), str(settings)):
        assert_no_leak(shown, [*RAW, LOADED], where="repr")
    expected = f"Settings(api_key='{MASK}', tokens=[SecretStr('{MASK}'), '{MASK}'], db=None)"
    assert repr(settings) == expected


def test_repr_masks_raw_values_of_model_construct_nested_too() -> None:
    settings = Settings.model_construct(api_key=ASSIGNED, db=Database.model_construct(password=CONSTRUCTED))
    shown = repr(settings)
    assert_no_leak(shown, RAW, where="repr")
    assert shown == f"Settings(api_key='{MASK}', tokens=[], db=Database(host='db', password='{MASK}'))"


def test_install_redaction_masks_raw_values_in_secret_fields(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    settings = Settings.model_construct(
        api_key=ASSIGNED, tokens=[LISTED], db=Database.model_construct(password=CONSTRUCTED)
    )
    install_redaction(settings, logger)
    logger.info("key %s, token %s, db password %s", ASSIGNED, LISTED, CONSTRUCTED)
    assert_no_leak(stream.getvalue(), RAW, where="log output")
    assert stream.getvalue() == f"key {MASK}, token {MASK}, db password {MASK}\n"

"""Every way of building settings fails with a value-free error, whatever shape the values come in."""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

from autoaudit_secrets.settings import InvalidSettingsError, SecretSettings
from tests.conftest import assert_no_leak

SIGNING = "sign-Kx93Lm20Qp7Vd"  # check-secrets: allow
PASSWORD = "pass-Tz61Wc48Nb5Hs"  # check-secrets: allow
TOKEN = "tok-Gh27Rf90Ys3Ue"  # check-secrets: allow
DICT_KEY = "key-Bq58Jn14Xa6Lp"  # check-secrets: allow
SECRETS = (SIGNING, PASSWORD, TOKEN, DICT_KEY)


class _Db(BaseModel):
    host: str = "localhost"
    password: SecretStr

    @field_validator("password")
    @classmethod
    def _not_a_word(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value().startswith("pass-"):
            raise ValueError(f"{value.get_secret_value()} starts with a word")  # echoes the value
        return value


class _Conf(SecretSettings):
    signing_key: str = Field(min_length=40)  # a secret by name only: pydantic would show it
    api_token: SecretStr = Field(min_length=40)
    port: int = 8000
    labels: dict[str, int] = Field(default_factory=dict)
    db: _Db | None = None


def _everything(exc: BaseException) -> str:
    """All an error shows: str/repr/args/vars, pydantic's errors() and json(), the cause/context chain, and
    the formatted traceback."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        if isinstance(current, ValidationError):
            parts += [repr(current.errors()), current.json()]
        elif isinstance(current, InvalidSettingsError):
            parts.append(repr(current.errors()))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.fixture(autouse=True)
def _no_stray_sources(chdir_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SIGNING_KEY", "API_TOKEN", "PORT", "LABELS", "DB", "DB__PASSWORD", "DB__HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI", "true")  # no .env, whatever the working directory holds


def test_dict_keys_from_the_environment_are_not_shown() -> None:
    environ = {"SIGNING_KEY": "s" * 40, "API_TOKEN": "t" * 40, "LABELS": json.dumps({DICT_KEY: "many"})}
    with pytest.raises(InvalidSettingsError) as info:
        _Conf.load(environ=environ, env_file=None, secrets_dir=None)
    assert dict(info.value.problems)["LABELS"].startswith("at **********: input should be a valid integer")
    assert_no_leak(_everything(info.value), [DICT_KEY], where="a dict key's location")


def test_values_nested_in_keyword_arguments_are_masked() -> None:
    given: dict[str, Any] = {
        "signing_key": "s" * 40,
        "api_token": "t" * 40,
        "labels": {DICT_KEY: "many"},
        "db": _Db.model_construct(password=SecretStr(PASSWORD)),
    }
    with pytest.raises(InvalidSettingsError) as info:
        _Conf(**given)
    problems = dict(info.value.problems)
    assert problems["LABELS"].startswith("at **********:")
    assert set(problems) == {"LABELS"}  # a model instance given as is is not revalidated
    with pytest.raises(InvalidSettingsError) as nested:
        _Conf(**{**given, "db": {"password": PASSWORD}})
    assert dict(nested.value.problems)["DB__PASSWORD"] == "********** starts with a word"
    assert_no_leak(_everything(info.value) + _everything(nested.value), SECRETS, where="init values")

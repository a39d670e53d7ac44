"""Settings errors survive pickling (multiprocessing, pytest-xdist, logging's QueueHandler) with their
message, problems and sources, and the pickle carries no value."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, SecretStr

from autoaudit_secrets._errors import SettingsError
from autoaudit_secrets.settings import InvalidSettingsError, SecretSettings
from tests.conftest import assert_no_leak

SIGNING = "sign-Rw40Hd71Kc9Zf"  # check-secrets: allow
PASSWORD = "pass-Mb83Ty26Qn4Js"  # check-secrets: allow
TOKEN = "tok-Pv15Xe62Lg8Wa"  # check-secrets: allow
SECRETS = (SIGNING, PASSWORD, TOKEN)


class _Db(BaseModel):
    password: SecretStr


class _Conf(SecretSettings):
    signing_key: str = Field(min_length=40)
    api_token: SecretStr = Field(min_length=40)
    db: _Db | None = None


def test_invalid_settings_error_survives_pickling_without_values() -> None:
    environ = {"SIGNING_KEY": SIGNING, "API_TOKEN": TOKEN, "DB__PASSWORD": PASSWORD}
    with pytest.raises(InvalidSettingsError) as info:
        _Conf.load(environ=environ, env_file=None, secrets_dir=None)
    err = info.value
    err.add_note("while starting the worker")
    data = pickle.dumps(err)
    back = pickle.loads(data)
    assert type(back) is InvalidSettingsError
    assert str(back) == str(err)
    assert back.problems == err.problems and back.schema == "_Conf"
    assert back.errors() == err.errors()
    assert back.sources == err.sources and back.sources_shown == err.sources_shown
    assert back.__notes__ == ["while starting the worker"]
    assert copy.deepcopy(err).problems == err.problems
    assert_no_leak(data.decode("latin-1"), SECRETS, where="pickled error")


def test_missing_variables_and_sources_survive_pickling() -> None:
    with pytest.raises(InvalidSettingsError) as info:
        _Conf.load(environ={}, env_file=None, secrets_dir=None)
    back = pickle.loads(pickle.dumps(info.value))
    assert back.sources_shown and "sources:" in str(back)
    assert [name for name, _ in back.problems] == ["SIGNING_KEY", "API_TOKEN"]


def test_a_plain_settings_error_pickles(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        _Conf.load(environ={}, env_file=tmp_path / "missing.env", secrets_dir=None)
    assert type(info.value) is SettingsError
    back = pickle.loads(pickle.dumps(info.value))
    assert type(back) is SettingsError and str(back) == str(info.value)


def _load_in_worker(environ: dict[str, str]) -> _Conf:
    return _Conf.load(environ=environ, env_file=None, secrets_dir=None)


def test_the_error_crosses_a_process_boundary() -> None:
    environ = {"SIGNING_KEY": SIGNING, "API_TOKEN": TOKEN}
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        future = pool.submit(_load_in_worker, environ)
        with pytest.raises(InvalidSettingsError) as info:
            future.result(timeout=120)
    assert [name for name, _ in info.value.problems] == ["SIGNING_KEY", "API_TOKEN"]
    assert "SIGNING_KEY: must have at least 40 characters" in str(info.value)

"""Every way of building settings fails with a value-free error: ``model_validate`` and its JSON/strings
variants, settings validated as a field of another model or through a ``TypeAdapter``, keyword arguments
holding nested data; and the errors survive pickling without carrying a value."""

from __future__ import annotations

import json
import pickle
import traceback
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field, SecretStr, TypeAdapter, ValidationError, field_validator

from autoaudit_secrets._errors import SettingsError
from autoaudit_secrets.settings import InvalidSettingsError, SecretSettings, SettingsConfigDict
from tests.conftest import assert_no_leak, assert_same_secret, run_cli

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


_DATA = {"signing_key": SIGNING, "api_token": TOKEN, "port": TOKEN, "db": {"password": PASSWORD}}
_BUILDERS = {
    "model_validate": lambda: _Conf.model_validate(_DATA),
    "model_validate_json": lambda: _Conf.model_validate_json(json.dumps(_DATA)),
    "model_validate_strings": lambda: _Conf.model_validate_strings(_DATA),
    "keyword arguments": lambda: _Conf(**_DATA),
}


@pytest.mark.parametrize("how", list(_BUILDERS))
def test_every_classmethod_raises_the_value_free_settings_error(how: str) -> None:
    with pytest.raises(SettingsError) as info:
        _BUILDERS[how]()
    err = info.value
    assert isinstance(err, InvalidSettingsError), type(err)
    problems = dict(err.problems)
    assert problems["SIGNING_KEY"] == "must have at least 40 characters"
    assert problems["API_TOKEN"] == "must have at least 40 characters"
    assert problems["PORT"].startswith("input should be a valid integer")
    assert problems["DB__PASSWORD"] == "********** starts with a word"
    assert err.__cause__ is None and err.__context__ is None
    assert_no_leak(_everything(err), SECRETS, where=f"error of {how}")
    # Error trackers record the locals of every frame of a traceback (the test's own frame aside).
    assert err.__traceback__ is not None
    tb = err.__traceback__.tb_next
    while tb is not None:
        where = f"locals of {tb.tb_frame.f_code.co_name}"
        assert_no_leak(repr(tb.tb_frame.f_locals), SECRETS, where=where)
        tb = tb.tb_next


@pytest.mark.parametrize(
    "how",
    [
        "a string",
        "invalid JSON",
        "from_attributes",
    ],
)
def test_input_pydantic_rejects_before_loading_is_not_shown(how: str) -> None:
    with pytest.raises(SettingsError) as info:
        if how == "a string":
            _Conf.model_validate(SIGNING)
        elif how == "invalid JSON":
            _Conf.model_validate_json('{"signing_key": "' + SIGNING)
        else:
            holder = type("Holder", (), {"signing_key": SIGNING, "api_token": TOKEN})()
            _Conf.model_validate(holder, from_attributes=True)
    text = _everything(info.value)
    assert text.startswith("Traceback") and "_Conf" in str(info.value)
    assert_no_leak(text, SECRETS, where=f"error for {how}")


def test_from_attributes_reports_by_variable_name() -> None:
    holder = type("Holder", (), {"signing_key": SIGNING, "api_token": TOKEN})()
    with pytest.raises(InvalidSettingsError) as info:
        _Conf.model_validate(holder, from_attributes=True)
    assert dict(info.value.problems)["SIGNING_KEY"] == "must have at least 40 characters"


class _Outer(BaseModel):  # plain pydantic: hide_input_in_errors is not set here
    settings: _Conf


@pytest.mark.parametrize("how", ["field of another model", "TypeAdapter"])
def test_settings_validated_by_pydantic_carry_no_value(how: str) -> None:
    with pytest.raises(ValidationError) as info:
        if how == "TypeAdapter":
            TypeAdapter(_Conf).validate_python(_DATA)
        else:
            _Outer.model_validate({"settings": _DATA})
    err = info.value
    assert_no_leak(_everything(err), SECRETS, where=how)
    (line,) = err.errors()
    cause = line["ctx"]["error"]
    assert isinstance(cause, InvalidSettingsError)
    assert dict(cause.problems)["SIGNING_KEY"] == "must have at least 40 characters"
    assert "SIGNING_KEY: must have at least 40 characters" in str(err)


def test_a_valid_model_still_validates_through_pydantic() -> None:
    data = {"signing_key": "s" * 40, "api_token": "t" * 40}
    outer = _Outer.model_validate({"settings": data})
    assert outer.settings.signing_key == "s" * 40
    assert_same_secret(TypeAdapter(_Conf).validate_python(data).api_token.get_secret_value(), "t" * 40)
    assert _Conf.model_validate(data).port == 8000
    same = _Conf.model_validate(outer.settings)
    assert same.signing_key == "s" * 40


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


def test_the_validation_error_of_an_outer_model_pickles_without_values() -> None:
    with pytest.raises(ValidationError) as wrapped:
        _Outer.model_validate({"settings": _DATA})
    data = pickle.dumps(wrapped.value)
    assert_no_leak(data.decode("latin-1"), SECRETS, where="pickled ValidationError")
    assert "SIGNING_KEY: must have at least 40 characters" in str(pickle.loads(data))


def test_cli_check_reports_model_validate_at_import(tmp_path: Path) -> None:
    (tmp_path / "strict_conf.py").write_text(
        "from pydantic import Field, SecretStr\n"
        "from autoaudit_secrets.settings import SecretSettings\n\n\n"
        "class Conf(SecretSettings):\n"
        "    signing_key: SecretStr = Field(min_length=40)\n"
        "    port: int = 1\n\n\n"
        f"settings = Conf.model_validate({{'signing_key': {SIGNING!r}, 'port': {TOKEN!r}}})\n",
        encoding="utf-8",
    )
    result = run_cli("autoaudit-secrets", "check", "--schema", "strict_conf:Conf", cwd=tmp_path, env={})
    assert result.returncode == 1, result.stderr
    assert "SIGNING_KEY: must have at least 40 characters" in result.stderr
    assert "PORT: input should be a valid integer" in result.stderr
    assert "Traceback" not in result.stderr
    assert_no_leak(result.output, SECRETS, where="CLI output")


def test_a_name_file_value_that_is_no_path_at_all_is_a_problem_of_its_variable() -> None:
    # A NUL byte (a binary secret pasted into API_TOKEN_FILE): open() refuses it with a ValueError.
    environ = {"SIGNING_KEY": "s" * 40, "API_TOKEN_FILE": "/tmp/\x00" + TOKEN}
    with pytest.raises(InvalidSettingsError) as info:
        _Conf.load(environ=environ, env_file=None, secrets_dir=None)
    message = dict(info.value.problems)["API_TOKEN"]
    assert message.startswith("cannot read the file API_TOKEN_FILE names (not a valid path)"), message
    assert_no_leak(_everything(info.value), SECRETS, where="NAME_FILE error")


class _Assigned(SecretSettings):
    model_config = SettingsConfigDict(validate_assignment=True)

    api_token: SecretStr
    port: int = 8000


def test_validate_assignment_errors_carry_no_value() -> None:
    settings = _Assigned(api_token=TOKEN)
    with pytest.raises(ValidationError) as info:
        settings.port = SIGNING  # type: ignore[assignment]
    assert "PORT: input should be a valid integer" in str(info.value)
    assert_no_leak(_everything(info.value), SECRETS, where="assignment error")
    assert settings.port == 8000

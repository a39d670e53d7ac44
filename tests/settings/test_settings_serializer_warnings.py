"""pydantic's serializer warns when a field holds a value of another type than declared (assigned without
``validate_assignment``, or ``model_construct``), and its warning quotes the value: ``input_value=...``.
SecretSettings' ``model_dump``/``model_dump_json`` name the field and the types only."""

from __future__ import annotations

import warnings

import pytest
from pydantic import PostgresDsn, SecretStr
from pydantic_core import PydanticSerializationError

from autoaudit_secrets.settings import SecretSettings
from tests.conftest import assert_no_leak, assert_same_secret

DSN_PASSWORD = "dsn-Serializer-Pw-6a1f"  # check-secrets: allow
TOKEN = "token-Serializer-Value-0c9e"  # check-secrets: allow
EXPECTED = (
    "Settings: serialized value may not be as expected: database_url (expected str, got PostgresDsn); "
    "retries (expected int, got str) (values not shown)"
)


class Settings(SecretSettings):
    api_key: SecretStr
    database_url: str = "postgres://app@db/app"
    retries: int = 3


def _mistyped() -> Settings:
    settings = Settings.load(environ={"API_KEY": TOKEN + "-loaded"}, env_file=None, secrets_dir=None)
    settings.database_url = PostgresDsn(f"postgres://app:{DSN_PASSWORD}@db/app")  # type: ignore[assignment]
    settings.retries = TOKEN  # type: ignore[assignment]
    return settings


@pytest.mark.parametrize("method", ["model_dump", "model_dump_json"])
def test_serializer_warnings_name_fields_and_types_never_a_value(method: str) -> None:
    settings = _mistyped()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dumped = getattr(settings, method)()
    messages = [str(warning.message) for warning in caught]
    assert_no_leak("\n".join(messages), [DSN_PASSWORD, TOKEN], where="serializer warnings")
    assert messages == [EXPECTED]
    assert caught[0].filename == __file__  # reported where model_dump was called
    unchanged = "retries" in dumped and TOKEN in str(dumped)  # a boolean: a failure would print the value
    assert unchanged, "the dumped data changed"


def test_warnings_error_raises_the_value_free_message() -> None:
    settings = _mistyped()
    with pytest.raises(PydanticSerializationError) as info:
        settings.model_dump(warnings="error")
    assert_no_leak(str(info.value), [DSN_PASSWORD, TOKEN], where="serialization error")
    assert str(info.value) == EXPECTED
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_a_well_typed_dump_warns_nothing_and_keeps_its_options() -> None:
    settings = Settings.load(environ={"API_KEY": TOKEN}, env_file=None, secrets_dir=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert settings.model_dump(exclude={"api_key"}) == {
            "database_url": "postgres://app@db/app",
            "retries": 3,
        }
        assert settings.model_dump_json(include={"retries"}) == '{"retries":3}'
    assert_same_secret(_mistyped().model_dump(warnings=False)["retries"], TOKEN)  # no warning asked: none

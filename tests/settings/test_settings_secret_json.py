"""``Secret[...]`` of a container or a model (``Secret[list[str]]``, ``Secret[dict[str, str]] | None``,
``Secret[Login]``, a nested model's ``Secret[list[str]]``) loads from JSON in an environment variable, a
``.env`` file or the secrets directory as the same type without ``Secret`` does, stays masked (repr, logs,
errors), and invalid JSON is one value-free problem naming its variable. Real environment variables, real
files, and the CLI as a subprocess."""

from __future__ import annotations

import io
import json
import logging
import shutil
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, Secret, field_validator
from secret_json_schemas import (
    HOST_PASSWORD,
    JSON_SECRETS,
    KEY_1,
    KEY_2,
    MODEL_PASSWORD,
    RING_KEY,
    TOKEN,
    TOKEN_NAME,
    PlainJsonSettings,
    SecretJsonSettings,
)

from autoaudit_secrets.settings import InvalidSettingsError, SecretSettings, install_redaction, secret_values
from tests.conftest import DATA_DIR, assert_no_leak, assert_same_secret, run_cli

VALUES = {
    "API_KEYS": json.dumps([KEY_1, KEY_2]),
    "TOKENS": json.dumps({TOKEN_NAME: TOKEN}),
    "KEY_RING": json.dumps([RING_KEY]),
    "LOGIN": json.dumps({"user": "app", "password": MODEL_PASSWORD}),
    "DB__PASSWORDS": json.dumps([HOST_PASSWORD]),
}


def _held(settings: SecretJsonSettings) -> dict[str, Any]:
    """The values behind the ``Secret`` wrappers, by variable."""
    login = settings.login.get_secret_value() if settings.login is not None else None
    return {
        "API_KEYS": settings.api_keys.get_secret_value(),
        "TOKENS": settings.tokens.get_secret_value() if settings.tokens is not None else None,
        "KEY_RING": settings.key_ring.get_secret_value(),
        "LOGIN": login.model_dump() if login is not None else None,
        "DB__PASSWORDS": settings.db.passwords.get_secret_value(),
    }


def _loaded_as_written(settings: SecretJsonSettings) -> dict[str, bool]:
    """For each variable of :data:`VALUES`, whether the settings hold what it says (booleans: a failed
    comparison of the values would print them)."""
    expected = {
        "API_KEYS": [KEY_1, KEY_2],
        "TOKENS": {TOKEN_NAME: TOKEN},
        "KEY_RING": frozenset({RING_KEY}),
        "LOGIN": {"user": "app", "password": MODEL_PASSWORD},
        "DB__PASSWORDS": [HOST_PASSWORD],
    }
    held = _held(settings)
    return {name: held[name] == value for name, value in expected.items()}


def _set_environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


# ---------------------------------------------------------------------------------------------- loading


def test_environment_variables_hold_json_as_without_secret(
    monkeypatch: pytest.MonkeyPatch, chdir_tmp: Path
) -> None:
    _set_environment(monkeypatch, VALUES)
    settings = SecretJsonSettings.load(env_file=None, secrets_dir=None)
    plain = PlainJsonSettings.load(env_file=None, secrets_dir=None)
    loaded = _loaded_as_written(settings)
    assert all(loaded.values()), loaded
    held = _held(settings)
    same = {
        "API_KEYS": held["API_KEYS"] == plain.api_keys,
        "TOKENS": held["TOKENS"] == plain.tokens,
        "KEY_RING": held["KEY_RING"] == plain.key_ring,
        "LOGIN": settings.login is not None and settings.login.get_secret_value() == plain.login,
    }
    assert all(same.values()), same
    assert isinstance(held["API_KEYS"], list) and isinstance(held["KEY_RING"], frozenset)


def test_a_dotenv_file_and_the_secrets_directory_hold_json_too(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "".join(f"{name}='{value}'\n" for name, value in VALUES.items() if name != "TOKENS"), encoding="utf-8"
    )
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "tokens").write_text(VALUES["TOKENS"] + "\n", encoding="utf-8")
    settings = SecretJsonSettings.load(env_file=env_file, environ={}, secrets_dir=secrets_dir)
    loaded = _loaded_as_written(settings)
    assert all(loaded.values()), loaded


def test_the_environment_overrides_the_dotenv_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"API_KEYS='{json.dumps([KEY_1])}'\n", encoding="utf-8")
    monkeypatch.setenv("API_KEYS", json.dumps([KEY_2]))
    settings = SecretJsonSettings.load(env_file=env_file, secrets_dir=None)
    assert_same_secret(
        settings.api_keys.get_secret_value(),
        [KEY_2],
        what="API_KEYS (the environment's value, over the .env file's)",
    )


def test_no_decode_still_hands_the_text_to_a_validator(
    monkeypatch: pytest.MonkeyPatch, chdir_tmp: Path
) -> None:
    # pydantic-settings' NoDecode (2.7+) keeps its meaning under Secret: the validator splits the text.
    no_decode = pytest.importorskip("pydantic_settings").__dict__.get("NoDecode")
    if no_decode is None:
        pytest.skip("pydantic-settings without NoDecode")

    class Split(SecretSettings):
        api_keys: Annotated[Secret[list[str]], no_decode]

        @field_validator("api_keys", mode="before")
        @classmethod
        def _split(cls, value: object) -> object:
            return value.split(",") if isinstance(value, str) else value

    monkeypatch.setenv("API_KEYS", f"{KEY_1},{KEY_2}")
    settings = Split.load(env_file=None, secrets_dir=None)
    assert_same_secret(
        settings.api_keys.get_secret_value(), [KEY_1, KEY_2], what="API_KEYS (split by the validator)"
    )


# ---------------------------------------------------------------------------------------------- masking


def test_repr_logs_and_secret_values_hide_every_item(
    monkeypatch: pytest.MonkeyPatch, chdir_tmp: Path, logged: tuple[logging.Logger, io.StringIO]
) -> None:
    _set_environment(monkeypatch, VALUES)
    settings = SecretJsonSettings.load(env_file=None, secrets_dir=None)
    assert_no_leak(repr(settings) + str(settings), JSON_SECRETS, where="repr", prefixes=True)
    assert_no_leak(settings.model_dump_json(), JSON_SECRETS, where="model_dump_json", prefixes=True)
    held = [secret in secret_values(settings) for secret in (KEY_1, KEY_2, TOKEN, RING_KEY, HOST_PASSWORD)]
    assert all(held), held
    logger, stream = logged
    install_redaction(settings, logger)
    plain = _held(settings)
    logger.info(
        "keys %s tokens %r ring %s db %s",
        plain["API_KEYS"],
        plain["TOKENS"],
        *plain["KEY_RING"],
        [*plain["DB__PASSWORDS"]],
    )
    logger.info("first key %s", KEY_1)
    assert_no_leak(stream.getvalue(), JSON_SECRETS, where="log", prefixes=True)
    assert stream.getvalue().count("**********") >= 6


# ---------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "text"),
    [  # ids by name: pytest shows a test's id
        pytest.param("API_KEYS", f'["{KEY_1}", ', id="API_KEYS-cut-short"),
        pytest.param("TOKENS", f"{{{TOKEN_NAME}: {TOKEN}}}", id="TOKENS-not-quoted"),
        pytest.param("KEY_RING", RING_KEY, id="KEY_RING-bare-value"),
        pytest.param("LOGIN", f"user=app password={MODEL_PASSWORD}", id="LOGIN-not-json"),
        # A nested model's field: named by its variable, not DB.
        pytest.param("DB__PASSWORDS", f"[{HOST_PASSWORD}]", id="DB__PASSWORDS-not-quoted"),
    ],
)
def test_invalid_json_names_its_variable_and_never_the_value(
    monkeypatch: pytest.MonkeyPatch, chdir_tmp: Path, name: str, text: str
) -> None:
    _set_environment(monkeypatch, {**VALUES, name: text, "DB__PORT": "not-a-port"})
    with pytest.raises(InvalidSettingsError) as info:
        SecretJsonSettings.load(env_file=None, secrets_dir=None)
    error = info.value
    assert_no_leak(str(error), JSON_SECRETS, where="error", prefixes=True)
    assert_no_leak(repr(error.errors()), JSON_SECRETS, where="errors()", prefixes=True)
    assert error.__cause__ is None and error.__context__ is None
    problems = dict(error.problems)
    assert sorted(problems) == sorted([name, "DB__PORT"])  # the other problem is still reported
    assert problems[name] == "is not valid JSON"
    assert problems["DB__PORT"].startswith("input should be a valid integer")
    assert f"  {name}: is not valid JSON" in str(error).splitlines()


def test_an_invalid_item_is_masked_in_the_error(monkeypatch: pytest.MonkeyPatch, chdir_tmp: Path) -> None:
    monkeypatch.setenv("API_KEYS", json.dumps([KEY_1, 7, {"note": KEY_2}]))
    monkeypatch.setenv("LOGIN", json.dumps({"user": MODEL_PASSWORD}))
    with pytest.raises(InvalidSettingsError) as info:
        SecretJsonSettings.load(env_file=None, secrets_dir=None)
    assert_no_leak(str(info.value), JSON_SECRETS, where="error", prefixes=True)
    problems = dict(info.value.problems)
    assert sorted(problems) == ["API_KEYS", "LOGIN"]
    assert problems["API_KEYS"].count("input should be a valid string") == 2
    assert problems["LOGIN"] == "at password: required but not set"  # the model inside Secret


def test_a_validator_quoting_the_items_is_masked(monkeypatch: pytest.MonkeyPatch, chdir_tmp: Path) -> None:
    class Checked(SecretSettings):
        api_keys: Secret[list[str]] = Field(default_factory=lambda: Secret([]))

        @field_validator("api_keys")
        @classmethod
        def _known(cls, value: Secret[list[str]]) -> Secret[list[str]]:
            keys = value.get_secret_value()
            raise ValueError(f"unknown keys {keys} (first {keys[0]!r})")

    monkeypatch.setenv("API_KEYS", json.dumps([KEY_1, KEY_2]))
    with pytest.raises(InvalidSettingsError) as info:
        Checked.load(env_file=None, secrets_dir=None)
    assert_no_leak(str(info.value), JSON_SECRETS, where="error", prefixes=True)
    assert info.value.problems[0][0] == "API_KEYS" and "unknown keys" in info.value.problems[0][1]


# ---------------------------------------------------------------------------------------------- NAME__KEY


class _Ring(BaseModel):
    keys: dict[str, Secret[list[str]] | None] = {}


class KeyedSecretSettings(SecretSettings):
    """Mappings of ``Secret[...]`` containers, whose items come as ``NAME__KEY`` variables."""

    api_keys: dict[str, Secret[list[str]]] = Field(default_factory=dict)
    ring: _Ring = _Ring()


class KeyedPlainSettings(SecretSettings):
    """The same without ``Secret``."""

    api_keys: dict[str, list[str]] = Field(default_factory=dict)
    ring: _Ring = _Ring()


def _keyed(settings: KeyedSecretSettings) -> dict[str, Any]:
    held = {f"api_keys.{key}": value.get_secret_value() for key, value in settings.api_keys.items()}
    held.update({f"ring.{k}": v.get_secret_value() for k, v in settings.ring.keys.items() if v is not None})
    return held


def test_the_items_of_a_mapping_of_secret_containers_load_from_json_in_every_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("API_KEYS__billing", json.dumps([KEY_1, KEY_2]))
    monkeypatch.setenv("RING__KEYS__main", json.dumps([RING_KEY]))
    env_file = tmp_path / ".env"
    env_file.write_text(f"API_KEYS__search='{json.dumps([TOKEN])}'\n", encoding="utf-8")
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "api_keys__ci").write_text(json.dumps([HOST_PASSWORD]) + "\n", encoding="utf-8")
    settings = KeyedSecretSettings.load(env_file=env_file, secrets_dir=secrets_dir)
    plain = KeyedPlainSettings.load(env_file=env_file, secrets_dir=secrets_dir)
    expected = {
        "api_keys.billing": [KEY_1, KEY_2],
        "api_keys.search": [TOKEN],
        "api_keys.ci": [HOST_PASSWORD],
        "ring.main": [RING_KEY],
    }
    held = _keyed(settings)
    loaded = {name: held.get(name) == value for name, value in expected.items()}
    assert all(loaded.values()), loaded  # booleans: a failed comparison would print the values
    assert sorted(held) == sorted(expected)
    same = {f"api_keys.{k}": v for k, v in plain.api_keys.items()} == {
        k: v for k, v in held.items() if k.startswith("api_keys.")
    }
    assert same, "not as without Secret"
    assert {KEY_1, KEY_2, TOKEN, HOST_PASSWORD, RING_KEY} <= secret_values(settings)
    assert_no_leak(repr(settings), JSON_SECRETS, where="repr", prefixes=True)


def test_an_item_that_is_not_json_is_a_problem_of_its_mapping_as_without_secret(
    monkeypatch: pytest.MonkeyPatch, chdir_tmp: Path
) -> None:
    monkeypatch.setenv("API_KEYS__billing", f"[{KEY_1}")
    problems = {}
    for schema in (KeyedSecretSettings, KeyedPlainSettings):
        with pytest.raises(InvalidSettingsError) as info:
            schema.load(env_file=None, secrets_dir=None)
        assert_no_leak(str(info.value), JSON_SECRETS, where="error", prefixes=True)
        problems[schema.__name__] = info.value.problems
    assert problems["KeyedSecretSettings"] == problems["KeyedPlainSettings"]
    assert problems["KeyedSecretSettings"] == (("API_KEYS", "at billing: input should be a valid list"),)


# ---------------------------------------------------------------------------------------------- CLI


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(DATA_DIR / "settings" / "secret_json_schemas.py", tmp_path / "secret_json_schemas.py")
    return tmp_path


def test_cli_check_loads_secret_containers_from_the_environment(workdir: Path) -> None:
    schema = "secret_json_schemas:SecretJsonSettings"
    result = run_cli("autoaudit-secrets", "check", "--strict", "--schema", schema, cwd=workdir, env=VALUES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: the settings satisfy {schema}\n")
    assert result.stderr == ""
    assert_no_leak(result.output, JSON_SECRETS, prefixes=True)


def test_cli_check_names_a_variable_that_is_not_json(workdir: Path) -> None:
    env = {**VALUES, "API_KEYS": f"{KEY_1},{KEY_2}", "DB__PASSWORDS": f"[{HOST_PASSWORD}"}
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "secret_json_schemas:SecretJsonSettings",
        cwd=workdir,
        env=env,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert "  API_KEYS: is not valid JSON" in lines and "  DB__PASSWORDS: is not valid JSON" in lines
    assert_no_leak(result.output, JSON_SECRETS, prefixes=True)

"""``NAME__KEY_FILE``: a mapping's item read from a file where the item is a secret, the item ``key_file``
where it is not (real files, real environments, ``autoaudit-secrets check`` as a subprocess)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from item_file_schemas import (
    ITEM_SECRETS,
    MAIN_PASSWORD,
    REPLICA_PASSWORD,
    SIGNING_KEY,
    TLS_KEY,
    ItemSettings,
    NeedsMainAndPort,
)
from pydantic import BaseModel, Field, SecretStr

from autoaudit_secrets.settings import InvalidSettingsError, SecretSettings
from tests.conftest import DATA_DIR, assert_no_leak, assert_same_secret, run_cli


def _load(environ: dict[str, str], env_file: Path | None = None) -> ItemSettings:
    return ItemSettings.load(environ=environ, env_file=env_file, secrets_dir=None)


def _secret_file(directory: Path, name: str, value: str) -> Path:
    path = directory / name
    path.write_text(value + "\n", encoding="utf-8")
    return path


def _revealed(items: dict[str, SecretStr]) -> dict[str, str]:
    return {key: value.get_secret_value() for key, value in items.items()}


def test_an_item_of_a_secret_mapping_is_read_from_its_file(tmp_path: Path) -> None:
    main = _secret_file(tmp_path, "main", MAIN_PASSWORD)
    replica = _secret_file(tmp_path, "replica", REPLICA_PASSWORD)
    env_file = tmp_path / ".env"
    env_file.write_text(f"databases__Replica_FILE={replica}\n", encoding="utf-8")  # any case, as NAME__KEY
    settings = _load({"DATABASES__MAIN_FILE": str(main)}, env_file)
    assert sorted(settings.databases) == ["main", "replica"]  # not main_file, replica_file
    assert_same_secret(_revealed(settings.databases), {"main": MAIN_PASSWORD, "replica": REPLICA_PASSWORD})
    assert_no_leak(repr(settings), ITEM_SECRETS, where="repr")


def test_an_item_inside_a_secret_or_a_models_secret_field_is_read_from_its_file(tmp_path: Path) -> None:
    signing = _secret_file(tmp_path, "signing", SIGNING_KEY)
    password = _secret_file(tmp_path, "password", REPLICA_PASSWORD)
    settings = _load(
        {
            "KEYS__SIGNING_FILE": str(signing),
            "SERVERS__A__HOST": "db1",
            "SERVERS__A__PASSWORD_FILE": str(password),
        }
    )
    assert settings.keys is not None
    assert_same_secret(settings.keys.get_secret_value(), {"signing": SIGNING_KEY})
    server = settings.servers["a"]
    assert server.host == "db1" and server.password is not None
    assert_same_secret(server.password.get_secret_value(), REPLICA_PASSWORD)


def test_in_a_mapping_of_plain_values_key_file_is_a_key(tmp_path: Path) -> None:
    # A path the application opens itself: the item ca_file holds the path, whether or not the file exists
    # and whether or not the item ca is set too (no "both set" error).
    certificate = tmp_path / "ca.pem"
    certificate.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    missing = tmp_path / "client.pem"
    settings = _load(
        {"PATHS__CA_FILE": str(certificate), "PATHS__CA": "ca", "PATHS__CLIENT_FILE": str(missing)}
    )
    assert settings.paths == {"ca_file": str(certificate), "ca": "ca", "client_file": str(missing)}


def test_a_models_own_file_field_is_that_field_not_a_reference(tmp_path: Path) -> None:
    key = _secret_file(tmp_path, "tls.key", TLS_KEY)
    settings = _load({"SERVERS__A__TLS_KEY_FILE": str(key)})
    server = settings.servers["a"]
    assert server.tls_key is None and server.tls_key_file == str(key)


def test_an_item_and_its_file_both_set_is_an_error(tmp_path: Path) -> None:
    main = _secret_file(tmp_path, "main", MAIN_PASSWORD)
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATABASES__MAIN={REPLICA_PASSWORD}\n", encoding="utf-8")
    with pytest.raises(InvalidSettingsError) as info:
        _load({"DATABASES__MAIN_FILE": str(main)}, env_file)
    assert info.value.problems == (
        ("DATABASES__MAIN", "both DATABASES__MAIN and DATABASES__MAIN_FILE are set; set only one"),
    )
    assert_no_leak(str(info.value), ITEM_SECRETS, where="error")


def test_an_unreadable_item_file_names_the_variable_and_never_a_secret_put_in_its_place(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "no-such-file"
    with pytest.raises(InvalidSettingsError) as info:
        _load({"DATABASES__MAIN_FILE": str(missing), "DATABASES__REPLICA_FILE": REPLICA_PASSWORD})
    problems = dict(info.value.problems)
    assert sorted(problems) == ["DATABASES__MAIN", "DATABASES__REPLICA"]
    assert (
        problems["DATABASES__MAIN"]
        == f"cannot read DATABASES__MAIN_FILE file {missing}: No such file or directory"
    )
    assert "DATABASES__REPLICA_FILE" in problems["DATABASES__REPLICA"]
    assert "does not look like a path" in problems["DATABASES__REPLICA"]
    assert_no_leak(str(info.value), ITEM_SECRETS, where="error")


def test_cli_check_loads_an_item_from_its_file(tmp_path: Path) -> None:
    shutil.copy(DATA_DIR / "settings" / "item_file_schemas.py", tmp_path / "item_file_schemas.py")
    # Not named "main": check lists the file's path, and "main" is how MAIN_PASSWORD begins (a leak of its
    # first 4 characters to assert_no_leak's prefixes check).
    main = _secret_file(tmp_path, "primary-db", MAIN_PASSWORD)
    env = {"DATABASES__MAIN_FILE": str(main)}
    result = run_cli(
        "autoaudit-secrets", "check", "--schema", "item_file_schemas:NeedsMain", cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: the settings satisfy item_file_schemas:NeedsMain\n")
    assert f"  read: {main} (DATABASES__MAIN_FILE)" in result.stdout.splitlines()
    assert_no_leak(result.output, ITEM_SECRETS, prefixes=True, where="check output")
    without = run_cli("autoaudit-secrets", "check", "--schema", "item_file_schemas:NeedsMain", cwd=tmp_path)
    assert without.returncode == 1 and "DATABASES: " in without.stderr  # the item main is what it checks


def test_an_item_file_is_listed_among_the_sources_read(tmp_path: Path) -> None:
    main = _secret_file(tmp_path, "main", MAIN_PASSWORD)
    with pytest.raises(InvalidSettingsError) as info:
        NeedsMainAndPort.load(environ={"DATABASES__MAIN_FILE": str(main)}, env_file=None, secrets_dir=None)
    assert info.value.problems == (("PORT", "required but not set"),)  # the item main was read
    assert f"read: {main} (DATABASES__MAIN_FILE)" in [str(note) for note in info.value.sources]


def test_a_secret_key_ending_in_file_comes_as_json_or_from_the_secrets_directory(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "databases__main_file").write_text(MAIN_PASSWORD, encoding="utf-8")  # no _FILE rule there
    from_directory = ItemSettings.load(environ={}, env_file=None, secrets_dir=secrets)
    assert_same_secret(_revealed(from_directory.databases), {"main_file": MAIN_PASSWORD})
    from_json = _load({"DATABASES": json.dumps({"replica_file": REPLICA_PASSWORD})})
    assert_same_secret(_revealed(from_json.databases), {"replica_file": REPLICA_PASSWORD})


class _Database(BaseModel):
    host: str = "db"
    tokens: dict[str, SecretStr] = Field(default_factory=dict)


class _Nested(SecretSettings):
    db: _Database = Field(default_factory=_Database)


def test_an_item_of_a_nested_models_secret_mapping_is_read_from_its_file(tmp_path: Path) -> None:
    main = _secret_file(tmp_path, "main", MAIN_PASSWORD)
    settings = _Nested.load(environ={"DB__TOKENS__MAIN_FILE": str(main)}, env_file=None, secrets_dir=None)
    assert_same_secret(_revealed(settings.db.tokens), {"main": MAIN_PASSWORD})

"""Secrets held in containers (``api_keys: list[str]``, ``tokens: dict[str, str]``, a list of models with a
password): repr, log redaction, errors, ``.env.example``, ``plain_secret_fields``, values from ``enc:``
entries, ``NAME_FILE`` and the secrets directory, and the ``check``/``example`` commands (subprocess).
Settings are loaded from real ``.env`` files."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pytest
from container_schemas import (
    ALLOWED_HOSTS,
    API_KEY_1,
    API_KEY_2,
    CONTAINER_SECRETS,
    DB_API_KEY,
    DB_PASSWORD,
    DEFAULT_URL_PASSWORD,
    DEMO_KEYS,
    DEMO_PASSWORDS,
    DEMO_REPLICA_PASSWORD,
    DEMO_TOKEN,
    PASSWORD_ITEM,
    REPLICA_PASSWORD,
    SERVICE_TOKEN,
    SIGNING_KEY,
    STOP_TOKENS,
    TOKEN,
    TOKEN_NAME,
    URL_PASSWORD,
    WEBHOOK,
    CleanContainerSettings,
    ContainerSettings,
    MarkedItemSettings,
    OpaqueSettings,
    Replica,
    ShapeSettings,
)
from pydantic import BaseModel, Field, Secret, SecretBytes, SecretStr, create_model, field_validator

from autoaudit_secrets._dotenv import parse_dotenv
from autoaudit_secrets._redact import MASK
from autoaudit_secrets.scan import is_secret_name
from autoaudit_secrets.settings import (
    InvalidSettingsError,
    NotSecret,
    SecretSettings,
    example_dotenv,
    install_redaction,
    plain_secret_fields,
    secret_env_names,
    secret_values,
)
from tests.conftest import DATA_DIR, assert_no_leak, run_cli

T = TypeVar("T", bound=SecretSettings)
UPSTREAM = f"https://bot:{URL_PASSWORD}@api.example.org/v1"
# Every container filled from the .env file (the defaults of api_keys and upstreams are replaced).
DOTENV_VALUES = {
    "API_KEYS": json.dumps([API_KEY_1, API_KEY_2]),
    "TOKENS": json.dumps({TOKEN_NAME: TOKEN}),
    "PASSWORDS": json.dumps([PASSWORD_ITEM]),
    "SIGNING_KEYS": json.dumps([SIGNING_KEY]),
    "SERVICE_TOKENS": json.dumps({"ci": [SERVICE_TOKEN]}),
    "WEBHOOK_SECRET": WEBHOOK,
    "DB__PASSWORD": DB_PASSWORD,
    "DB__API_KEYS": json.dumps([DB_API_KEY]),
    "REPLICAS": json.dumps([{"host": "r1", "password": REPLICA_PASSWORD}]),
    "UPSTREAMS": json.dumps([UPSTREAM]),
}
WARNED = [
    "API_KEYS",
    "TOKENS",
    "PASSWORDS",
    "SIGNING_KEYS",
    "SERVICE_TOKENS",
    "WEBHOOK_SECRET",
    "DB__PASSWORD",
    "DB__API_KEYS",
    "REPLICAS",
    "UPSTREAMS",
]


def _write_dotenv(path: Path, values: dict[str, str]) -> Path:
    path.write_text("".join(f"{name}='{value}'\n" for name, value in values.items()), encoding="utf-8")
    return path


def _load(cls: type[T], env_file: Path, environ: dict[str, str] | None = None) -> T:
    return cls.load(env_file=env_file, environ=environ or {}, secrets_dir=None)


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    """A .env file filling every container (the tests load it themselves: pytest prints the arguments of a
    failed test, and the settings would be one)."""
    return _write_dotenv(tmp_path / ".env", DOTENV_VALUES)


# ---------------------------------------------------------------------------------------------- detection


def test_the_class_lists_every_container_named_like_a_secret() -> None:
    found = plain_secret_fields(ContainerSettings)
    assert [(f.env_name, f.attrs, f.declared, f.fix) for f in found] == [
        ("API_KEYS", ("api_keys",), "list[str]", "list[SecretStr]"),
        ("TOKENS", ("tokens",), "dict[str, str]", "dict[str, SecretStr]"),
        ("PASSWORDS", ("passwords",), "tuple[str, ...]", "tuple[SecretStr, ...]"),
        ("SIGNING_KEYS", ("signing_keys",), "frozenset[str]", "frozenset[SecretStr]"),
        ("SERVICE_TOKENS", ("service_tokens",), "dict[str, list[str]]", "dict[str, list[SecretStr]]"),
        ("WEBHOOK_SECRET", ("webhook_secret",), "str | None", "SecretStr | None"),
        ("DB__PASSWORD", ("db", "password"), "str | None", "SecretStr | None"),
        ("DB__API_KEYS", ("db", "api_keys"), "list[str]", "list[SecretStr]"),
        # A model inside a list: the variable that feeds it, the field's attribute path.
        ("REPLICAS", ("replicas", "password"), "str", "SecretStr"),
    ]
    assert all(f.kind == "name" for f in found)
    assert str(found[0]) == (
        "API_KEYS: named like a secret but typed list[str], so model_dump() shows it; declare it "
        "list[SecretStr] (or Annotated[list[str], NotSecret] if it holds no secret)"
    )
    assert str(found[-1]).startswith("REPLICAS (field replicas.password): named like a secret but typed str")


def test_loaded_settings_add_a_container_holding_a_url_with_a_password(env_file: Path) -> None:
    settings = _load(ContainerSettings, env_file)
    found = plain_secret_fields(settings)
    assert [f.env_name for f in found] == WARNED
    assert (found[-1].kind, found[-1].declared, found[-1].fix) == ("url", "list[str]", "list[SecretStr]")
    assert_no_leak("\n".join(map(str, found)), CONTAINER_SECRETS, prefixes=True)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_keys", True),
        ("tokens", True),
        ("passwords", True),
        ("hmac_keys", True),
        ("credentials", True),
        ("stop_tokens", False),  # STOP_TOKEN: not a credential, as for the scanner
        ("cache_keys", False),
        ("keys", False),
        ("allowed_hosts", False),
        ("token_urls", False),
        # A plural followed by words the name rule sets aside (an environment, a version, digits).
        ("api_keys_prod", True),
        ("db_passwords_v2", True),
        ("access_tokens_staging", True),
        ("signing_keys_2", True),
        ("client_secrets_raw_old", True),
        # ... or by words that make the name about the secret: as in the singular, not a secret.
        ("passwords_policy_url", False),
        ("tokens_endpoint", False),
        ("keys_count", False),
        ("passwords_min_length", False),
        ("api_keys_file", False),
        ("stop_tokens_prod", False),
        ("cache_keys_v2", False),
        ("hashed_passwords_prod", False),
    ],
)
def test_a_containers_name_is_judged_in_the_singular_too(name: str, secret: bool) -> None:
    model = create_model("Named", __base__=SecretSettings, **{name: (list[str], [])})  # type: ignore[call-overload]
    assert bool(plain_secret_fields(model)) is secret


def test_a_plural_with_suffix_words_gets_the_verdict_of_its_singular() -> None:
    # Every combination: the container named in the plural is judged a secret exactly when the name rule
    # calls its singular one (the rule, not this test, says which suffixes matter).
    prefixes = ["", "api_", "db_", "cache_", "stop_", "github_", "access_", "sort_", "hashed_"]
    heads = ["key", "password", "token", "secret", "credential", "passphrase", "private_key", "pin"]
    suffixes = [
        "",
        "_prod",
        "_v2",
        "_2",
        "_staging_v3",
        "_value_prod",
        "_policy_url",
        "_endpoint",
        "_count",
        "_file",
        "_path",
        "_id",
        "_min_length",
        "_hint",
        "_url",
        "_name",
        "_dir",
        "_public",
        "_rotation_days",
    ]
    singular_of = {
        f"{prefix}{head}s{suffix}".upper(): f"{prefix}{head}{suffix}".upper()
        for prefix in prefixes
        for head in heads
        for suffix in suffixes
    }
    fields: dict[str, Any] = {name.lower(): (list[str], []) for name in singular_of}
    model = create_model("Plurals", __base__=SecretSettings, **fields)
    guessed = {found.env_name for found in plain_secret_fields(model)}
    differ = [
        plural for plural, singular in singular_of.items() if (plural in guessed) != is_secret_name(singular)
    ]
    assert differ == []
    assert {"API_KEYS_PROD", "DB_PASSWORDS_V2", "GITHUB_TOKENS_STAGING_V3"} <= guessed  # the rule says so


def test_a_str_field_keeps_the_scanners_name_rule() -> None:
    # The singular is for containers (a list of keys is named "keys"); a str named API_KEYS is judged as is.
    class Plural(SecretSettings):
        api_keys: str = ""
        api_key: str = ""

    assert [f.env_name for f in plain_secret_fields(Plural)] == ["API_KEY"]


def test_more_shapes_optional_annotated_nested_and_abstract() -> None:
    found = {f.env_name: (f.declared, f.fix) for f in plain_secret_fields(ShapeSettings)}
    assert found == {
        "FALLBACK_TOKENS": ("list[str] | None", "list[SecretStr] | None"),
        "ACCESS_TOKENS": ("list[str]", "list[SecretStr]"),
        "HMAC_KEYS": ("list[list[str]]", "list[list[SecretStr]]"),
        "NESTED_SECRETS": ("dict[str, dict[str, str]]", "dict[str, dict[str, SecretStr]]"),
        "CLIENT_SECRETS": ("Sequence[str]", "Sequence[SecretStr]"),
    }


def test_containers_of_secret_types_are_secret_fields_with_nothing_to_warn_about() -> None:
    assert plain_secret_fields(CleanContainerSettings) == []
    assert secret_env_names(CleanContainerSettings) == {"API_KEYS", "TOKENS"}


def test_a_marker_on_the_items_marks_the_container() -> None:
    # list[Annotated[str, NotSecret]] says what Annotated[list[str], NotSecret] says, and so for the values
    # of a dict, every item of a tuple, nested containers, an Optional, and models inside a list.
    assert plain_secret_fields(MarkedItemSettings) == []


def test_an_unmarked_place_keeps_the_container_a_secret() -> None:
    class PartlyMarked(SecretSettings):
        # One item of the tuple is not marked: the field is masked and warned about (more hidden, never less).
        signing_keys: tuple[Annotated[str, NotSecret], str] = ("a", "b")
        # A marker on a dict's keys says nothing of its values.
        hmac_keys: dict[Annotated[str, NotSecret], str] = Field(default_factory=dict)
        # An unmarked model inside a list is judged field by field, a marked sibling is not.
        replicas: list[Replica] = Field(default_factory=list)
        demo_replicas: list[Annotated[Replica, NotSecret]] = Field(default_factory=list)

    found = [(f.env_name, f.declared) for f in plain_secret_fields(PartlyMarked)]
    assert found == [
        ("SIGNING_KEYS", "tuple[str, str]"),
        ("HMAC_KEYS", "dict[str, str]"),
        ("REPLICAS", "str"),
    ]


def test_marked_items_are_shown_logged_and_written_as_they_are(
    tmp_path: Path, logged: tuple[logging.Logger, io.StringIO]
) -> None:
    env_file = _write_dotenv(
        tmp_path / ".env",
        {
            "PASSWORDS": json.dumps(DEMO_PASSWORDS),
            "SERVICE_TOKENS": json.dumps({"ci": [DEMO_TOKEN]}),
            "FALLBACK_TOKENS": json.dumps(DEMO_KEYS[:1]),
            "REPLICAS": json.dumps([{"host": "r1", "password": DEMO_REPLICA_PASSWORD}]),
        },
    )
    settings = _load(MarkedItemSettings, env_file)
    text = repr(settings)
    for fragment in (
        f"api_keys={DEMO_KEYS!r}",
        f"tokens={{'demo': {DEMO_TOKEN!r}}}",
        f"passwords={tuple(DEMO_PASSWORDS)!r}",
        f"service_tokens={{'ci': [{DEMO_TOKEN!r}]}}",
        f"fallback_tokens={DEMO_KEYS[:1]!r}",
        f"password={DEMO_REPLICA_PASSWORD!r}",
    ):
        assert fragment in text, fragment
    assert MASK not in text
    visible = {*DEMO_KEYS, DEMO_TOKEN, *DEMO_PASSWORDS, DEMO_REPLICA_PASSWORD}
    assert not visible & secret_values(settings)
    logger, stream = logged
    install_redaction(settings, logger)
    logger.info("%s %s %s", settings.api_keys, settings.tokens, settings.replicas)
    assert MASK not in stream.getvalue() and DEMO_REPLICA_PASSWORD in stream.getvalue()
    values = parse_dotenv(example_dotenv(MarkedItemSettings), interpolate=False)
    assert json.loads(values["API_KEYS"]) == DEMO_KEYS
    assert json.loads(values["TOKENS"]) == {"demo": DEMO_TOKEN}


# ---------------------------------------------------------------------------------------------- repr


def test_repr_and_str_mask_every_string_of_a_container_named_like_a_secret(
    env_file: Path,
) -> None:
    settings = _load(ContainerSettings, env_file)
    for text in (repr(settings), str(settings)):
        assert_no_leak(text, CONTAINER_SECRETS, where="repr", prefixes=True)
        for fragment in (
            f"api_keys=[{MASK!r}, {MASK!r}]",
            f"tokens={{{TOKEN_NAME!r}: {MASK!r}}}",  # the key is a name: kept
            f"passwords=({MASK!r},)",
            f"signing_keys=frozenset({{{MASK!r}}})",
            f"service_tokens={{'ci': [{MASK!r}]}}",
            f"webhook_secret={MASK!r}",
            f"db=Database(host='db', password={MASK!r}, api_keys=[{MASK!r}])",
            f"replicas=[Replica(host='r1', password={MASK!r})]",
            f"upstreams=['https://bot:{MASK}@api.example.org/v1']",
            # Shown as they are.
            f"allowed_hosts={ALLOWED_HOSTS!r}",
            f"stop_tokens={STOP_TOKENS!r}",
            f"demo_passwords={DEMO_PASSWORDS!r}",
            "port=8000",
        ):
            assert fragment in text, fragment


def test_repr_masks_the_other_shapes(tmp_path: Path) -> None:
    env_file = _write_dotenv(
        tmp_path / ".env",
        {
            "FALLBACK_TOKENS": json.dumps([API_KEY_1]),
            "ACCESS_TOKENS": json.dumps([API_KEY_2]),
            "KEY_RINGS": json.dumps([["ring-a"]]),
            "HMAC_KEYS": json.dumps([[SIGNING_KEY]]),
            "NESTED_SECRETS": json.dumps({"svc": {"prod": TOKEN}}),
            "CLIENT_SECRETS": json.dumps([PASSWORD_ITEM]),
        },
    )
    text = repr(_load(ShapeSettings, env_file))
    assert_no_leak(text, CONTAINER_SECRETS, where="repr", prefixes=True)
    assert f"hmac_keys=[[{MASK!r}]]" in text
    assert f"nested_secrets={{'svc': {{'prod': {MASK!r}}}}}" in text
    assert "key_rings=[['ring-a']]" in text


def test_fields_holding_anything_and_bytes(
    tmp_path: Path, logged: tuple[logging.Logger, io.StringIO]
) -> None:
    credentials = {
        "type": "service_account",
        "private_key": PASSWORD_ITEM,
        "nested": {"k": [TOKEN]},
        "port": 5,
    }
    env_file = _write_dotenv(
        tmp_path / ".env",
        {
            "CREDENTIALS": json.dumps(credentials),
            "API_KEYS": json.dumps([API_KEY_1, 7]),
            "PRIVATE_KEY": SIGNING_KEY,
            "METADATA": json.dumps({"dsn": UPSTREAM, "region": "eu"}),
        },
    )
    loaded = _load(OpaqueSettings, env_file)
    text = repr(loaded)
    assert_no_leak(text, CONTAINER_SECRETS, where="repr", prefixes=True)
    assert f"api_keys=[{MASK!r}, 7]" in text
    assert f"private_key=b'{MASK}'" in text
    assert f"'nested': {{'k': [{MASK!r}]}}, 'port': 5" in text
    assert f"metadata={{'dsn': 'https://bot:{MASK}@api.example.org/v1', 'region': 'eu'}}" in text
    found = {f.env_name: (f.kind, f.declared, f.fix) for f in plain_secret_fields(loaded)}
    # Where the type says Any, the fix names the secret type of what is there (not Secret[Any], which
    # validates nothing and types get_secret_value() as Any).
    assert found == {
        "CREDENTIALS": (
            "name",
            "dict[str, Any]",
            "dict[str, SecretStr | Secret[dict[str, list[str]]] | Secret[int]]",
        ),
        "API_KEYS": ("name", "list", "list[SecretStr | Secret[int]]"),
        "PRIVATE_KEY": ("name", "bytes | None", "SecretBytes | None"),
        "METADATA": ("url", "dict[str, Any]", "dict[str, SecretStr]"),
    }
    # Without values (the class alone): strings, what a variable gives.
    fixes = {f.env_name: f.fix for f in plain_secret_fields(OpaqueSettings)}
    assert fixes == {
        "CREDENTIALS": "dict[str, SecretStr]",
        "API_KEYS": "list[SecretStr]",
        "PRIVATE_KEY": "SecretBytes | None",
    }
    logger, stream = logged
    install_redaction(loaded, logger)
    logger.info("%s %s %s %s", loaded.credentials, loaded.api_keys, loaded.private_key, loaded.metadata)
    assert_no_leak(stream.getvalue(), CONTAINER_SECRETS, where="log", prefixes=True)


def test_the_values_and_model_dump_are_unchanged(env_file: Path) -> None:
    settings = _load(ContainerSettings, env_file)
    # As for a str secret: masking is for what is shown, the data stays exact (declare list[SecretStr] to
    # hide it there too). Compared into booleans: a failure must not print the values.
    dumped = settings.model_dump()
    unchanged = {
        "api_keys": settings.api_keys == [API_KEY_1, API_KEY_2],
        "tokens": settings.tokens == {TOKEN_NAME: TOKEN},
        "replica": settings.replicas[0].password == REPLICA_PASSWORD,
        "dump service_tokens": dumped["service_tokens"] == {"ci": [SERVICE_TOKEN]},
        "dump upstreams": dumped["upstreams"] == [UPSTREAM],
    }
    assert [name for name, same in unchanged.items() if not same] == []


# ---------------------------------------------------------------------------------------------- logs


def test_install_redaction_masks_every_item_of_a_secret_container(
    logged: tuple[logging.Logger, io.StringIO], env_file: Path
) -> None:
    settings = _load(ContainerSettings, env_file)
    logger, stream = logged
    install_redaction(settings, logger)
    logger.info("keys %s", settings.api_keys)
    logger.info("tokens %r", settings.tokens)
    logger.info("token for %s: %s", TOKEN_NAME, settings.tokens[TOKEN_NAME])
    logger.info("passwords %s, signing %s", settings.passwords, sorted(settings.signing_keys))
    logger.info("service %s", json.dumps(settings.service_tokens))
    logger.info("db %s / %s", settings.db.password, settings.db.api_keys[0])
    logger.info("replica %s", settings.replicas[0].password)
    logger.info("upstream %s", settings.upstreams[0])
    logger.info("all %s", settings.model_dump_json())
    logger.info("hosts %s", settings.allowed_hosts)
    lines = stream.getvalue().splitlines()
    assert_no_leak("\n".join(lines), CONTAINER_SECRETS, where="log", prefixes=True)
    assert lines[0] == f"keys ['{MASK}', '{MASK}']"
    assert lines[1] == f"tokens {{'{TOKEN_NAME}': '{MASK}'}}"
    assert lines[7] == f"upstream https://bot:{MASK}@api.example.org/v1"
    assert lines[9] == f"hosts {ALLOWED_HOSTS}"


def test_secret_values_hold_each_item_and_no_dict_key(env_file: Path) -> None:
    settings = _load(ContainerSettings, env_file)
    values = secret_values(settings)
    held = [secret in values for secret in (API_KEY_1, API_KEY_2, TOKEN, SERVICE_TOKEN, REPLICA_PASSWORD)]
    assert all(held), held
    assert TOKEN_NAME not in values and not set(ALLOWED_HOSTS) & values


# ---------------------------------------------------------------------------------------------- errors


def test_an_invalid_item_is_reported_by_variable_without_any_value(tmp_path: Path) -> None:
    env_file = _write_dotenv(
        tmp_path / ".env",
        {
            "API_KEYS": json.dumps([API_KEY_1, 7, {"note": API_KEY_2}]),
            "TOKENS": json.dumps({TOKEN_NAME: [TOKEN]}),
            "PASSWORDS": f'["{PASSWORD_ITEM}", ',  # not JSON
        },
    )
    with pytest.raises(InvalidSettingsError) as info:
        _load(ContainerSettings, env_file)
    text = str(info.value)
    assert_no_leak(text, CONTAINER_SECRETS, where="error", prefixes=True)
    assert_no_leak(repr(info.value.errors()), CONTAINER_SECRETS, where="errors()", prefixes=True)
    problems = dict(info.value.problems)
    assert sorted(problems) == ["API_KEYS", "PASSWORDS", "TOKENS"]
    assert problems["API_KEYS"].count("input should be a valid string") == 2
    assert problems["PASSWORDS"] == "is not valid JSON"
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_a_nested_list_that_is_not_json_is_named_by_its_variable(tmp_path: Path) -> None:
    # pydantic-settings names the top-level field (db); the problem belongs to DB__API_KEYS, and the model's
    # other variables still load (DB__PASSWORD), and the other problems are still reported (PORT).
    env_file = _write_dotenv(
        tmp_path / ".env", {"DB__API_KEYS": f"[{DB_API_KEY}", "DB__PASSWORD": DB_PASSWORD, "PORT": "x"}
    )
    with pytest.raises(InvalidSettingsError) as info:
        _load(ContainerSettings, env_file)
    assert_no_leak(str(info.value), CONTAINER_SECRETS, where="error", prefixes=True)
    problems = dict(info.value.problems)
    assert sorted(problems) == ["DB__API_KEYS", "PORT"]
    assert problems["DB__API_KEYS"] == "is not valid JSON"


def test_a_validator_quoting_the_list_is_masked(tmp_path: Path) -> None:
    class Checked(SecretSettings):
        api_keys: list[str] = Field(default_factory=list)

        @field_validator("api_keys")
        @classmethod
        def _known(cls, value: list[str]) -> list[str]:
            raise ValueError(f"unknown keys {value} (first {value[0]!r})")

    env_file = _write_dotenv(tmp_path / ".env", {"API_KEYS": json.dumps([API_KEY_1, API_KEY_2])})
    with pytest.raises(InvalidSettingsError) as info:
        _load(Checked, env_file)
    assert_no_leak(str(info.value), CONTAINER_SECRETS, where="error", prefixes=True)
    assert info.value.problems[0][0] == "API_KEYS" and "unknown keys" in info.value.problems[0][1]


# ---------------------------------------------------------------------------------------------- other sources


def test_containers_from_enc_values_name_file_and_the_secrets_directory(
    tmp_path: Path, logged: tuple[logging.Logger, io.StringIO]
) -> None:
    from autoaudit_secrets.crypto import encrypt_value, generate_private_key

    key = generate_private_key()
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(json.dumps({TOKEN_NAME: TOKEN}), encoding="utf-8")
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "passwords").write_text(json.dumps([PASSWORD_ITEM]) + "\n", encoding="utf-8")
    encrypted = encrypt_value("API_KEYS", json.dumps([API_KEY_1, API_KEY_2]), key.public_key)
    env_file = tmp_path / ".env"
    env_file.write_text(f"API_KEYS={encrypted}\nTOKENS_FILE={tokens_file}\n", encoding="utf-8")
    loaded = ContainerSettings.load(
        env_file=env_file, environ={"AUTOAUDIT_PRIVATE_KEY": key.to_text()}, secrets_dir=secrets_dir
    )
    opened = [
        loaded.api_keys == [API_KEY_1, API_KEY_2],
        loaded.tokens == {TOKEN_NAME: TOKEN},
        loaded.passwords == (PASSWORD_ITEM,),
    ]
    assert all(opened), opened
    assert_no_leak(repr(loaded), CONTAINER_SECRETS, where="repr", prefixes=True)
    logger, stream = logged
    install_redaction(loaded, logger)
    logger.info("loaded %s %s %s", loaded.api_keys, loaded.tokens, loaded.passwords)
    assert_no_leak(stream.getvalue(), CONTAINER_SECRETS, where="log", prefixes=True)


def test_an_invalid_item_of_an_enc_value_is_reported_without_any_value(tmp_path: Path) -> None:
    from autoaudit_secrets.crypto import encrypt_value, generate_private_key

    key = generate_private_key()
    encrypted = encrypt_value("API_KEYS", json.dumps([API_KEY_1, 7]), key.public_key)
    env_file = tmp_path / ".env"
    env_file.write_text(f"API_KEYS={encrypted}\n", encoding="utf-8")
    with pytest.raises(InvalidSettingsError) as info:
        _load(ContainerSettings, env_file, {"AUTOAUDIT_PRIVATE_KEY": key.to_text()})
    assert_no_leak(str(info.value), CONTAINER_SECRETS, where="error", prefixes=True)
    assert [name for name, _ in info.value.problems] == ["API_KEYS"]


# ---------------------------------------------------------------------------------------------- .env.example


def test_example_leaves_secret_containers_blank() -> None:
    text = example_dotenv(ContainerSettings)
    assert_no_leak(text, CONTAINER_SECRETS, where=".env.example", prefixes=True)
    values = parse_dotenv(text, interpolate=False)
    lines = text.splitlines()
    for name in ("API_KEYS", "TOKENS", "PASSWORDS", "SERVICE_TOKENS", "DB__API_KEYS", "REPLICAS"):
        assert values[name] == "", name
        assert lines[lines.index(f"{name}=") - 1] == "# secret", name
    # A default list holding a URL with a password: blank, the comment shows it masked.
    assert values["UPSTREAMS"] == ""
    assert DEFAULT_URL_PASSWORD not in text
    masked = json.dumps([f"https://bot:{MASK}@api.example.org/v1", "https://example.org/"])
    assert lines[lines.index("UPSTREAMS=") - 1] == f"# secret: the default holds a password ({masked})"
    # Written as they are.
    assert json.loads(values["ALLOWED_HOSTS"]) == ALLOWED_HOSTS
    assert json.loads(values["DEMO_PASSWORDS"]) == DEMO_PASSWORDS


def test_example_leaves_containers_of_secret_types_blank() -> None:
    values = parse_dotenv(example_dotenv(CleanContainerSettings), interpolate=False)
    assert values["API_KEYS"] == values["TOKENS"] == ""
    assert json.loads(values["ALLOWED_HOSTS"]) == ALLOWED_HOSTS


def test_example_writes_a_default_list_of_models_as_json_objects() -> None:
    class Server(BaseModel):
        host: str
        port: int = 443

    class Servers(SecretSettings):
        servers: list[Server] = Field(default_factory=lambda: [Server(host="a.example.org")])

    values = parse_dotenv(example_dotenv(Servers), interpolate=False)
    assert json.loads(values["SERVERS"]) == [{"host": "a.example.org", "port": 443}]


# ---------------------------------------------------------------------------------------------- the CLI


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(DATA_DIR / "settings" / "container_schemas.py", tmp_path / "container_schemas.py")
    _write_dotenv(tmp_path / ".env", DOTENV_VALUES)
    return tmp_path


def _warnings(stderr: str) -> list[str]:
    prefix = "autoaudit-secrets check: warning: "
    return [line.removeprefix(prefix) for line in stderr.splitlines() if line.startswith(prefix)]


def test_cli_check_strict_warns_about_each_secret_container(workdir: Path) -> None:
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--strict",
        "--schema",
        "container_schemas:ContainerSettings",
        cwd=workdir,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("ok: the settings satisfy container_schemas:ContainerSettings\n")
    assert f"read: {workdir / '.env'}" in result.stdout
    warned = _warnings(result.stderr)
    assert [line.split(" ", 1)[0].rstrip(":") for line in warned] == WARNED
    assert "declare it list[SecretStr]" in warned[0]
    assert "declare it dict[str, list[SecretStr]]" in warned[4]
    assert result.stderr.splitlines()[-1] == f"autoaudit-secrets check: --strict: {len(WARNED)} warnings"
    assert_no_leak(result.output, CONTAINER_SECRETS, prefixes=True)


def test_cli_check_suggests_the_secret_types_of_the_values_where_the_type_says_any(workdir: Path) -> None:
    env = {
        "CREDENTIALS": json.dumps({"type": "service_account", "private_key": PASSWORD_ITEM, "port": 5}),
        "API_KEYS": json.dumps([API_KEY_1, API_KEY_2]),
    }
    schema = "container_schemas:OpaqueSettings"
    result = run_cli(
        "autoaudit-secrets", "check", "--schema", schema, "--env-file", os.devnull, cwd=workdir, env=env
    )
    assert result.returncode == 0, result.stderr
    assert_no_leak(result.output, CONTAINER_SECRETS, prefixes=True)
    warned = _warnings(result.stderr)
    assert [line.split(" ", 1)[0].rstrip(":") for line in warned] == [
        "CREDENTIALS",
        "API_KEYS",
        "PRIVATE_KEY",
    ]
    assert (
        "typed dict[str, Any], so model_dump() shows it; declare it dict[str, SecretStr | Secret[int]] "
        in warned[0]
    )
    assert "typed list, so model_dump() shows it; declare it list[SecretStr] " in warned[1]
    assert "Secret[Any]" not in result.stderr


def test_the_suggested_types_load_the_values_they_were_inferred_from(tmp_path: Path) -> None:
    credentials = {
        "type": "service_account",
        "private_key": PASSWORD_ITEM,
        "nested": {"k": [TOKEN]},
        "port": 5,
    }
    env_file = _write_dotenv(tmp_path / ".env", {"CREDENTIALS": json.dumps(credentials)})
    loaded = _load(OpaqueSettings, env_file)
    (suggested,) = [f.fix for f in plain_secret_fields(loaded) if f.env_name == "CREDENTIALS"]
    # The schema a user writes from the suggestion.
    annotation = eval(suggested, {"Secret": Secret, "SecretStr": SecretStr, "SecretBytes": SecretBytes})
    fixed_schema = create_model("Fixed", __base__=SecretSettings, credentials=(annotation, ...))
    fixed: Any = _load(fixed_schema, env_file)
    held = {key: value.get_secret_value() for key, value in fixed.credentials.items()}
    same = held == credentials
    assert same, "the suggested type does not load the values"
    assert_no_leak(repr(fixed), CONTAINER_SECRETS, where="repr", prefixes=True)


def test_cli_check_strict_passes_containers_of_secret_types(workdir: Path) -> None:
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--strict",
        "--schema",
        "container_schemas:CleanContainerSettings",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert_no_leak(result.output, CONTAINER_SECRETS, prefixes=True)


def test_cli_check_strict_passes_containers_with_marked_items(workdir: Path) -> None:
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--strict",
        "--schema",
        "container_schemas:MarkedItemSettings",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_cli_example_leaves_secret_containers_blank(workdir: Path) -> None:
    result = run_cli(
        "autoaudit-secrets",
        "example",
        "--schema",
        "container_schemas:ContainerSettings",
        "-o",
        "-",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    assert_no_leak(result.output, CONTAINER_SECRETS, prefixes=True)
    values = parse_dotenv(result.stdout, interpolate=False)
    assert values["API_KEYS"] == values["UPSTREAMS"] == values["REPLICAS"] == ""
    assert json.loads(values["ALLOWED_HOSTS"]) == ALLOWED_HOSTS

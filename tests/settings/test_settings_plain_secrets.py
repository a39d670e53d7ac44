"""Secrets declared with a plain type (a ``str`` named like a secret, a URL with a password): repr, log
redaction, ``.env.example``, ``plain_secret_fields``, and the ``check``/``example`` commands (subprocess)."""

from __future__ import annotations

import io
import logging
import shutil
import warnings
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, unquote

import pytest
from plain_schemas import (
    CACHE_PASSWORD,
    DEFAULT_DSN_PASSWORD,
    ENCODED_PASSWORD,
    PASSWORD,
    PLAIN_SECRETS,
    REPLICA_PASSWORD,
    SHORT_PASSWORD,
    SIGNING_DEFAULT,
    STRIPE_KEY,
    TOKEN_URL,
    VISIBLE_TOKEN,
    CleanSettings,
    PlainSettings,
    UrlSettings,
)
from pydantic import AnyUrl, PostgresDsn

from autoaudit_secrets._dotenv import parse_dotenv
from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings import (
    NotSecret,
    SecretSettings,
    example_dotenv,
    install_redaction,
    plain_secret_fields,
    secret_values,
)
from tests.conftest import DATA_DIR, assert_no_leak, run_cli

REPLICA_URL = f"postgres://ro:{REPLICA_PASSWORD}@replica:5432/app"
FULL_ENV = {
    "PASSWORD": PASSWORD,
    "STRIPE_API_KEY": STRIPE_KEY,
    "REPLICA": REPLICA_URL,
    "CACHE__PASSWORD": CACHE_PASSWORD,
}


def _load(cls: type[SecretSettings], environ: dict[str, str]) -> SecretSettings:
    return cls.load(environ=environ, env_file=None, secrets_dir=None)


@pytest.fixture
def settings() -> PlainSettings:
    loaded = _load(PlainSettings, FULL_ENV)
    assert isinstance(loaded, PlainSettings)
    return loaded


# ---------------------------------------------------------------------------------------------- detection


def test_the_class_lists_str_fields_named_like_secrets() -> None:
    found = plain_secret_fields(PlainSettings)
    assert [(f.env_name, f.kind, f.declared, f.fix) for f in found] == [
        ("PASSWORD", "name", "str", "SecretStr"),
        ("STRIPE_API_KEY", "name", "str | None", "SecretStr | None"),
        ("SIGNING_KEY", "name", "str", "SecretStr"),
        ("CACHE__PASSWORD", "name", "str | None", "SecretStr | None"),
    ]
    assert found[3].attrs == ("cache", "password")


def test_loaded_settings_add_the_fields_holding_a_url_with_a_password(settings: PlainSettings) -> None:
    found = {f.env_name: f for f in plain_secret_fields(settings)}
    assert sorted(found) == [
        "CACHE__PASSWORD",
        "DATABASE_URL",
        "PASSWORD",
        "REPLICA",
        "SIGNING_KEY",
        "STRIPE_API_KEY",
    ]
    assert (found["DATABASE_URL"].kind, found["DATABASE_URL"].fix) == ("url", "SecretStr")
    assert (found["REPLICA"].declared, found["REPLICA"].fix) == (
        "PostgresDsn | None",
        "Secret[PostgresDsn] | None",
    )
    # Not listed: SecretStr fields, NotSecret fields, names about a secret (TOKEN_URL), URLs without password.
    assert not {"JWT_SECRET", "SESSION_TOKEN", "API_TOKEN", "TOKEN_URL", "HOMEPAGE"} & set(found)


def test_messages_name_the_variable_and_the_fix_and_hold_no_value(settings: PlainSettings) -> None:
    messages = [str(f) for f in plain_secret_fields(settings)]
    assert messages[0] == (
        "PASSWORD: named like a secret but typed str, so model_dump() shows it; declare it SecretStr "
        "(or Annotated[str, NotSecret] if it holds no secret)"
    )
    cache = next(m for m in messages if m.startswith("CACHE__PASSWORD"))
    assert cache.startswith("CACHE__PASSWORD (field cache.password): named like a secret")
    replica = next(m for m in messages if m.startswith("REPLICA"))
    assert "holds a URL with a password but typed PostgresDsn | None" in replica
    assert "declare it Secret[PostgresDsn] | None" in replica
    text = "\n".join(messages)
    assert "\n" not in "".join(m for m in messages)
    assert_no_leak(text, PLAIN_SECRETS, prefixes=True)
    assert "replica:5432" not in text  # the URL is not shown at all


def test_a_schema_without_plain_secrets_lists_nothing() -> None:
    assert plain_secret_fields(CleanSettings) == []
    assert plain_secret_fields(_load(CleanSettings, {})) == []


def test_the_marker_works_as_class_instance_and_inside_optional() -> None:
    class Marked(SecretSettings):
        a_password: Annotated[str, NotSecret] = "x"
        b_password: Annotated[str, NotSecret()] = "x"
        c_password: Annotated[str, NotSecret] | None = None
        d_password: str = "x"

    assert [f.env_name for f in plain_secret_fields(Marked)] == ["D_PASSWORD"]


def test_url_typed_field_named_like_a_secret_is_a_name_secret() -> None:
    class Hooks(SecretSettings):
        webhook_secret: AnyUrl | None = None

    [found] = plain_secret_fields(Hooks)
    assert (found.kind, found.declared, found.fix) == ("name", "AnyUrl | None", "Secret[AnyUrl] | None")


# ---------------------------------------------------------------------------------------------- repr


def test_repr_and_str_mask_plain_secrets_and_url_passwords(settings: PlainSettings) -> None:
    for text in (repr(settings), str(settings)):
        assert_no_leak(text, PLAIN_SECRETS, where="repr")
        assert f"password={MASK!r}" in text
        assert f"stripe_api_key={MASK!r}" in text
        assert f"signing_key={MASK!r}" in text
        assert f"database_url='postgres://app:{MASK}@localhost/app'" in text
        assert f"replica=PostgresDsn('postgres://ro:{MASK}@replica:5432/app')" in text
        assert f"cache=Cache(host='cache', password={MASK!r})" in text
        # Shown as they are: a NotSecret field, a URL without a password, other fields.
        assert f"session_token={VISIBLE_TOKEN!r}" in text
        assert f"token_url={TOKEN_URL!r}" in text
        assert "port=8000" in text


def test_the_values_themselves_and_model_dump_are_unchanged(settings: PlainSettings) -> None:
    # Masking is for what is shown; the data stays exact (declaring SecretStr is how to hide it there too).
    # Compared into booleans: a failure must not print the values.
    dumped = settings.model_dump()
    unchanged = {
        "password": settings.password == PASSWORD,
        "signing_key": settings.signing_key == SIGNING_DEFAULT,
        "cache.password": settings.cache.password == CACHE_PASSWORD,
        "dump stripe_api_key": dumped["stripe_api_key"] == STRIPE_KEY,
        "dump database_url": dumped["database_url"] == f"postgres://app:{DEFAULT_DSN_PASSWORD}@localhost/app",
    }
    assert [name for name, same in unchanged.items() if not same] == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgres://app:{REPLICA_PASSWORD}@db/app", f"postgres://app:{MASK}@db/app"),
        (f"redis://:{REPLICA_PASSWORD}@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
        # A raw "@" in the password: the user information runs to the last "@" before the path.
        (f"amqp://guest:{REPLICA_PASSWORD}@x@mq/vhost", f"amqp://guest:{MASK}@mq/vhost"),
        (f"postgres://app:{ENCODED_PASSWORD}@db/app", f"postgres://app:{MASK}@db/app"),
        (f"postgres://app:{REPLICA_PASSWORD}@db", f"postgres://app:{MASK}@db"),
        (f"postgres://app:{REPLICA_PASSWORD} x@db/app", f"postgres://app:{MASK}@db/app"),
    ],
    ids=["user-password", "password-only", "raw-at", "percent-encoded", "no-path", "blank-in-password"],
)
def test_repr_masks_the_password_of_a_url_in_any_str_field(url: str, shown: str) -> None:
    text = repr(_load(UrlSettings, {"UPSTREAM": url}))
    assert_no_leak(text, [REPLICA_PASSWORD, ENCODED_PASSWORD, unquote(ENCODED_PASSWORD)], where="repr")
    assert text == f"UrlSettings(upstream={shown!r})"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/path@x:y",
        "https://user@example.org/",
        "https://example.org:8443/a?b=c:d@e",
        "a:b@c",
    ],
    ids=["at-in-path", "user-only", "at-in-query", "no-scheme"],
)
def test_repr_leaves_urls_without_a_password_alone(url: str) -> None:
    loaded = _load(UrlSettings, {"UPSTREAM": url})
    assert repr(loaded) == f"UrlSettings(upstream={url!r})"
    assert plain_secret_fields(loaded) == []


# ---------------------------------------------------------------------------------------------- logs


def test_install_redaction_masks_plain_secrets_and_url_passwords(
    logged: tuple[logging.Logger, io.StringIO], settings: PlainSettings
) -> None:
    logger, stream = logged
    install_redaction(settings, logger)
    logger.info("login with %s", settings.password)
    logger.info("stripe %r", {"key": settings.stripe_api_key})
    logger.info("connecting to %s", settings.database_url)
    logger.info("replica at %s", settings.replica)
    logger.info("cache auth %s", settings.cache.password)
    logger.info("visible %s and %s", settings.session_token, settings.token_url)
    lines = stream.getvalue().splitlines()
    assert_no_leak("\n".join(lines), PLAIN_SECRETS, where="log")
    assert lines[2] == f"connecting to postgres://app:{MASK}@localhost/app"
    assert lines[3] == f"replica at postgres://ro:{MASK}@replica:5432/app"
    assert lines[5] == f"visible {VISIBLE_TOKEN} and {TOKEN_URL}"


def test_a_short_url_password_is_masked_as_a_token_as_a_url_secrets_is(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    # A URL password is no guess by name: the rule of URL secrets, 3 to 7 characters as a whole token.
    logger, stream = logged
    loaded = _load(UrlSettings, {"UPSTREAM": f"https://bot:{SHORT_PASSWORD}@api.example.org/v1"})
    install_redaction(loaded, logger)
    logger.info("upstream %s", loaded.upstream)
    logger.info("a word: %s", SHORT_PASSWORD)
    logger.info(f"inside a word: x{SHORT_PASSWORD}x")
    out = stream.getvalue().splitlines()
    assert_no_leak("\n".join(out[:2]), [SHORT_PASSWORD], where="log")
    assert out[:2] == [f"upstream https://bot:{MASK}@api.example.org/v1", f"a word: {MASK}"]
    kept = out[2] == f"inside a word: x{SHORT_PASSWORD}x"
    assert kept, "a 3-character value was masked inside a word"


def test_a_url_password_of_two_characters_is_masked_where_it_sits_in_the_url(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    loaded = _load(UrlSettings, {"UPSTREAM": "https://bot:Zq@api.example.org/v1"})  # check-secrets: allow
    install_redaction(loaded, logger)
    logger.info("upstream %s", loaded.upstream)
    logger.info("a word: Zq")  # alone, it would garble logs
    out = stream.getvalue().splitlines()
    assert_no_leak(out[0], [":Zq@"], where="log")
    assert out[0] == f"upstream https://bot:{MASK}@api.example.org/v1"  # as a longer one: ":" and "@" kept
    assert out[1] == "a word: Zq"


# A password with characters a URL must encode (#, @, /) and one it may leave (!).
DSN_PASSWORD = "Pq7#w@Xz/4!nK"  # check-secrets: allow


class _PlainDsn(SecretSettings):
    database_url: PostgresDsn
    cache_url: AnyUrl | None = None


def test_the_password_of_a_plain_url_field_is_masked_in_every_spelling_of_the_url(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    encoded = quote(DSN_PASSWORD, safe="")
    environ = {
        "DATABASE_URL": f"postgresql://app:{encoded}@db.internal:5432/app",
        "CACHE_URL": "redis://:k9Z@cache:6379/0",  # check-secrets: allow
    }
    loaded = _load(_PlainDsn, environ)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        install_redaction(loaded, logger)
    # SQLAlchemy writes the URL with its own scheme and encodes only ":", "@" and "/" of the password.
    sqlalchemy_form = DSN_PASSWORD.replace("@", "%40").replace("/", "%2F")
    logger.info("engine %s", f"postgresql+psycopg://app:{sqlalchemy_form}@db.internal:5432/app")
    logger.info("connecting as app with password %s", DSN_PASSWORD)
    logger.info("pw=%s raw=%s", encoded, quote(DSN_PASSWORD))
    logger.info("cache rediss://default:k9Z@cache.internal:6380 auth=k9Z, not k9Zx")  # check-secrets: allow
    logger.info("url %s", loaded.database_url)  # type: ignore[attr-defined]
    other = "replica postgresql://app:Pq7%23w@db2/app as app"  # check-secrets: allow
    logger.info(other)  # another password (a part of this one) in the same kind of URL
    out = stream.getvalue()
    assert_no_leak(out, [DSN_PASSWORD, encoded, sqlalchemy_form, ":k9Z@", "=k9Z,"], where="log output")
    assert out.splitlines() == [
        f"engine postgresql+psycopg://app:{MASK}@db.internal:5432/app",
        f"connecting as app with password {MASK}",
        f"pw={MASK} raw={MASK}",
        f"cache rediss://default:{MASK}@cache.internal:6380 auth={MASK}, not k9Zx",
        f"url postgresql://app:{MASK}@db.internal:5432/app",  # the user and host stay readable
        other,
    ]


def test_secret_values_include_plain_secrets_but_not_short_guesses() -> None:
    class Modes(SecretSettings):
        auth_token: str = "oidc"  # named like a secret, but 4 characters: not masked in logs
        api_key: str = "long-Enough-Key-42"

    values = secret_values(_load(Modes, {}))
    assert len(values) == 1 and "long-Enough-Key-42" in values and "oidc" not in values
    assert repr(_load(Modes, {})) == f"Modes(auth_token={MASK!r}, api_key={MASK!r})"  # repr masks both


# ---------------------------------------------------------------------------------------------- .env.example


def test_example_never_writes_a_plain_secret_or_a_url_password() -> None:
    text = example_dotenv(PlainSettings)
    assert_no_leak(text, PLAIN_SECRETS, where=".env.example", prefixes=True)
    values = parse_dotenv(text, interpolate=False)
    assert values["PASSWORD"] == values["STRIPE_API_KEY"] == values["CACHE__PASSWORD"] == ""
    assert values["SIGNING_KEY"] == ""  # its default is a value too
    assert values["DATABASE_URL"] == ""
    assert values["SESSION_TOKEN"] == VISIBLE_TOKEN  # marked NotSecret: its default is written
    assert values["TOKEN_URL"] == TOKEN_URL
    lines = text.splitlines()
    assert lines[lines.index("PASSWORD=") - 1] == "# secret"
    assert lines[lines.index("DATABASE_URL=") - 1] == (
        f"# secret: the default holds a password (postgres://app:{MASK}@localhost/app)"
    )


# ---------------------------------------------------------------------------------------------- the CLI


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(DATA_DIR / "settings" / "plain_schemas.py", tmp_path / "plain_schemas.py")
    return tmp_path


def _warnings(stderr: str) -> list[str]:
    prefix = "autoaudit-secrets check: warning: "
    return [line.removeprefix(prefix) for line in stderr.splitlines() if line.startswith(prefix)]


def test_cli_check_warns_one_line_per_field_and_exits_0(workdir: Path) -> None:
    result = run_cli(
        "autoaudit-secrets", "check", "--schema", "plain_schemas:PlainSettings", cwd=workdir, env=FULL_ENV
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: the settings satisfy plain_schemas:PlainSettings\n")
    warned = _warnings(result.stderr)
    assert [line.split(" ", 1)[0].rstrip(":") for line in warned] == [
        "PASSWORD",
        "STRIPE_API_KEY",
        "SIGNING_KEY",
        "DATABASE_URL",
        "REPLICA",
        "CACHE__PASSWORD",
    ]
    assert all("declare it Secret" in line and "NotSecret" in line for line in warned)
    assert len(result.stderr.splitlines()) == len(warned)  # nothing else on stderr
    assert_no_leak(result.output, PLAIN_SECRETS, prefixes=True)


def test_cli_check_strict_fails_on_a_warning(workdir: Path) -> None:
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--strict",
        "--schema",
        "plain_schemas:PlainSettings",
        cwd=workdir,
        env=FULL_ENV,
    )
    assert result.returncode == 1
    assert len(_warnings(result.stderr)) == 6
    assert result.stderr.splitlines()[-1] == "autoaudit-secrets check: --strict: 6 warnings"
    assert_no_leak(result.output, PLAIN_SECRETS, prefixes=True)


def test_cli_check_strict_passes_a_clean_schema(workdir: Path) -> None:
    result = run_cli(
        "autoaudit-secrets", "check", "--strict", "--schema", "plain_schemas:CleanSettings", cwd=workdir
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_cli_check_warns_by_name_when_the_settings_do_not_load(workdir: Path) -> None:
    # PASSWORD is missing: the load fails (exit 1) and the warnings come from the names alone.
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "plain_schemas:PlainSettings",
        cwd=workdir,
        env={"PORT": "x"},
    )
    assert result.returncode == 1
    assert "PASSWORD: required but not set" in result.stderr
    assert [line.split(" ", 1)[0].rstrip(":") for line in _warnings(result.stderr)] == [
        "PASSWORD",
        "STRIPE_API_KEY",
        "SIGNING_KEY",
        "CACHE__PASSWORD",
    ]


def test_cli_check_warns_about_a_url_password_only_when_there_is_one(workdir: Path) -> None:
    with_password = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "plain_schemas:UrlSettings",
        cwd=workdir,
        env={"UPSTREAM": REPLICA_URL},
    )
    assert with_password.returncode == 0
    assert _warnings(with_password.stderr) == [
        "UPSTREAM: holds a URL with a password but typed str, so model_dump() shows it; declare it SecretStr "
        "(or Annotated[str, NotSecret] if it holds no secret)"
    ]
    assert_no_leak(with_password.output, [REPLICA_PASSWORD])
    without = run_cli(
        "autoaudit-secrets",
        "check",
        "--strict",
        "--schema",
        "plain_schemas:UrlSettings",
        cwd=workdir,
        env={"UPSTREAM": "postgres://ro@replica/app"},
    )
    assert without.returncode == 0 and without.stderr == ""


def test_cli_example_leaves_plain_secrets_blank(workdir: Path) -> None:
    result = run_cli(
        "autoaudit-secrets", "example", "--schema", "plain_schemas:PlainSettings", "-o", "-", cwd=workdir
    )
    assert result.returncode == 0, result.stderr
    assert_no_leak(result.output, PLAIN_SECRETS, prefixes=True)
    values = parse_dotenv(result.stdout, interpolate=False)
    assert values["SIGNING_KEY"] == values["DATABASE_URL"] == ""

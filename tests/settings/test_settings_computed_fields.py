"""``@computed_field``: repr() and str() of settings show computed fields too, so a value built from a secret
(a DSN from a password, an authorization header from a token) must be masked there as the secret is."""

from __future__ import annotations

import hashlib
import io
import logging

from pydantic import BaseModel, SecretStr, computed_field

from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings import SecretSettings, install_redaction, secret_values
from tests.conftest import assert_no_leak

DB_PASSWORD = "db-Computed-Password-51f0"  # check-secrets: allow
API_TOKEN = "api-Computed-Token-9e2c7d"  # check-secrets: allow
REPLICA_PASSWORD = "replica-Computed-Pw-77ab"  # check-secrets: allow
PLAIN_PASSWORD = "plain-Computed-Pw-c3d4"  # check-secrets: allow
SIGNING_SEED = "signing-Seed-Value-0b1a"  # check-secrets: allow
DERIVED = hashlib.sha256(SIGNING_SEED.encode()).hexdigest()
SECRETS = [DB_PASSWORD, API_TOKEN, REPLICA_PASSWORD, PLAIN_PASSWORD, SIGNING_SEED, DERIVED]


class Replica(BaseModel):
    host: str
    password: SecretStr

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dsn(self) -> str:
        return f"postgresql://ro:{self.password.get_secret_value()}@{self.host}/app"


class Settings(SecretSettings):
    db_password: SecretStr
    api_token: SecretStr
    signing_seed: SecretStr
    cache_password: str  # a plain secret: masked by its name
    replicas: list[Replica]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def database_url(self) -> str:
        return f"postgresql://app:{self.db_password.get_secret_value()}@db.internal:5432/app"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_token.get_secret_value()}", "Accept": "application/json"}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def signing_key(self) -> str:  # named like a secret, its value known nowhere else
        return hashlib.sha256(self.signing_seed.get_secret_value().encode()).hexdigest()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cache_url(self) -> str:
        return f"redis://:{self.cache_password}@cache:6379/0"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def base_url(self) -> str:  # no secret: shown as it is
        return "https://api.internal/v1"


def _load() -> Settings:
    environ = {
        "DB_PASSWORD": DB_PASSWORD,
        "API_TOKEN": API_TOKEN,
        "SIGNING_SEED": SIGNING_SEED,
        "CACHE_PASSWORD": PLAIN_PASSWORD,
        "REPLICAS": f'[{{"host": "r1", "password": "{REPLICA_PASSWORD}"}}]',
    }
    return Settings.load(environ=environ, env_file=None, secrets_dir=None)


def test_repr_and_str_mask_secrets_in_computed_fields() -> None:
    settings = _load()
    for shown in (repr(settings), str(settings), f"{settings!r}"):
        assert_no_leak(shown, SECRETS, where="repr of settings with computed fields")
    text = repr(settings)
    expected = [
        f"replicas=[Replica(host='r1', password=SecretStr('**********'), dsn='postgresql://ro:{MASK}@r1/app')]",
        f"database_url='postgresql://app:{MASK}@db.internal:5432/app'",
        f"headers={{'Authorization': 'Bearer {MASK}', 'Accept': 'application/json'}}",
        f"signing_key='{MASK}'",
        f"cache_url='redis://:{MASK}@cache:6379/0'",
        "base_url='https://api.internal/v1'",
    ]
    missing = [part for part in expected if part not in text]
    assert missing == [], "these parts are not shown as expected"


def test_the_computed_values_themselves_are_unchanged() -> None:
    settings = _load()
    same = (
        settings.database_url == f"postgresql://app:{DB_PASSWORD}@db.internal:5432/app"
        and settings.headers["Authorization"] == f"Bearer {API_TOKEN}"
        and settings.signing_key == DERIVED
        and settings.model_dump()["replicas"][0]["dsn"] == f"postgresql://ro:{REPLICA_PASSWORD}@r1/app"
    )
    assert same, "a computed value changed"


# ---------------------------------------------------------------------------------------------- log lines
# install_redaction masks in log lines what repr masks of a computed field: a value known nowhere else in the
# settings (derived from a secret) is only known by computing the field.

BROKER_SEED = "broker-Seed-Value-4d2f"  # check-secrets: allow
SESSION_SEED = "session-Seed-Value-8e1c"  # check-secrets: allow
NODE_SEED = "node-Seed-Value-2a9b"  # check-secrets: allow
BROKER_PASSWORD = hashlib.sha256(BROKER_SEED.encode()).hexdigest()[:24]
SESSION_KEY = hashlib.sha256(SESSION_SEED.encode()).hexdigest()
NODE_TOKEN = hashlib.sha256(NODE_SEED.encode()).hexdigest()[:32]
DERIVED_SECRETS = [DERIVED, BROKER_PASSWORD, SESSION_KEY, NODE_TOKEN]
SEEDS = [SIGNING_SEED, BROKER_SEED, SESSION_SEED, NODE_SEED]


class Node(BaseModel):
    name: str
    seed: SecretStr

    @computed_field  # type: ignore[prop-decorator]
    @property
    def node_token(self) -> str:  # named like a secret, in a model inside a list
        return hashlib.sha256(self.seed.get_secret_value().encode()).hexdigest()[:32]


CALLS: dict[str, int] = {}  # how many times each computed field of DerivedSettings was called


def _called(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


class DerivedSettings(SecretSettings):
    signing_seed: SecretStr
    broker_seed: SecretStr
    session_seed: SecretStr
    nodes: list[Node]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def signing_key(self) -> str:  # named like a secret: masked whole in repr
        _called("signing_key")
        return hashlib.sha256(self.signing_seed.get_secret_value().encode()).hexdigest()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def broker_url(self) -> str:  # not named like a secret: the URL's password is masked in repr
        _called("broker_url")
        password = hashlib.sha256(self.broker_seed.get_secret_value().encode()).hexdigest()[:24]
        return f"amqp://app:{password}@mq.internal:5672/"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def session_secret(self) -> SecretStr:  # a secret type: repr shows SecretStr('**********')
        _called("session_secret")
        return SecretStr(hashlib.sha256(self.session_seed.get_secret_value().encode()).hexdigest())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def api_key_rotations(self) -> int:  # a number: nothing of it to mask, never called by the redaction
        _called("api_key_rotations")
        return 3

    @computed_field  # type: ignore[prop-decorator]
    @property
    def token_expired(self) -> bool:  # a bool named like a secret: never called by the redaction either
        _called("token_expired")
        return False


def _load_derived() -> DerivedSettings:
    environ = {
        "SIGNING_SEED": SIGNING_SEED,
        "BROKER_SEED": BROKER_SEED,
        "SESSION_SEED": SESSION_SEED,
        "NODES": f'[{{"name": "n1", "seed": "{NODE_SEED}"}}]',
    }
    return DerivedSettings.load(environ=environ, env_file=None, secrets_dir=None)


def test_log_lines_mask_the_secret_values_of_computed_fields(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    settings = _load_derived()
    install_redaction(settings, logger)
    logger.info("signing with %s", settings.signing_key)
    logger.info("broker at %s", settings.broker_url)
    logger.info("broker password %s, quoted %r", BROKER_PASSWORD, BROKER_PASSWORD)
    logger.info("broker as SQLAlchemy writes it: amqp://app:%s@mq.internal:5672", BROKER_PASSWORD)
    logger.info("session %s", settings.session_secret.get_secret_value())
    logger.info("node %s", settings.nodes[0].node_token)
    logger.info("headers %s", {"X-Signature": settings.signing_key, "X-Node": settings.nodes[0].node_token})
    out = stream.getvalue()
    assert_no_leak(out, [*DERIVED_SECRETS, *SEEDS], where="log output")
    lines = out.splitlines()
    assert lines[0] == f"signing with {MASK}"
    assert lines[1] == f"broker at amqp://app:{MASK}@mq.internal:5672/"  # the rest of the URL is no secret
    assert lines[4] == f"session {MASK}"
    assert lines[5] == f"node {MASK}"
    assert_no_leak(repr(settings), [*DERIVED_SECRETS, *SEEDS], where="repr")


def test_secret_values_hold_the_computed_secrets() -> None:
    values = secret_values(_load_derived())
    missing = [index for index, secret in enumerate(DERIVED_SECRETS) if secret not in values]
    assert missing == [], "these derived secrets (by index) are not among the values masked in logs"


def test_redaction_calls_only_the_computed_fields_that_can_hold_a_secret_once_each(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, _stream = logged
    settings = _load_derived()
    CALLS.clear()
    install_redaction(settings, logger)
    assert CALLS == {"signing_key": 1, "broker_url": 1, "session_secret": 1}

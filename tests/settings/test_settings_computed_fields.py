"""``@computed_field``: repr() and str() of settings show computed fields too, so a value built from a secret
(a DSN from a password, an authorization header from a token) must be masked there as the secret is."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, SecretStr, computed_field

from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings import SecretSettings
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

"""Schemas declaring secrets with plain types (tests/settings/test_settings_plain_secrets.py; the CLI imports
them through --schema)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, PostgresDsn, SecretStr

from autoaudit_secrets.settings import NotSecret, SecretSettings

# Values the tests search every output for (assert_no_leak).
PASSWORD = "Qx7plain-Password-Value-2718"
STRIPE_KEY = "Zr4plain-Stripe-Value-31415926"
DEFAULT_DSN_PASSWORD = "Jk8default-Dsn-Pass-4669"
REPLICA_PASSWORD = "Wm3replica-Dsn-Pass-1618"
CACHE_PASSWORD = "Vb2cache-Plain-Pass-1123"
SIGNING_DEFAULT = "Hn5dev-Signing-Default-5772"  # a development default of a str field named like a secret
ENCODED_PASSWORD = "Tg6p%40ss-Encoded-77"  # percent-encoded, as in a URL: "Tg6p@ss-Encoded-77"
SHORT_PASSWORD = "q7Z"  # a URL password shorter than the log-masking threshold
PLAIN_SECRETS = (
    PASSWORD,
    STRIPE_KEY,
    DEFAULT_DSN_PASSWORD,
    REPLICA_PASSWORD,
    CACHE_PASSWORD,
    SIGNING_DEFAULT,
)
# Values shown as they are: a field marked NotSecret, a URL about a secret.
VISIBLE_TOKEN = "visible-Session-Token-8080"
TOKEN_URL = "https://auth.example.org/oauth/token"


class Cache(BaseModel):
    host: str = "cache"
    password: str | None = None


class PlainSettings(SecretSettings):
    password: str
    stripe_api_key: str | None = None
    signing_key: str = SIGNING_DEFAULT
    database_url: str = f"postgres://app:{DEFAULT_DSN_PASSWORD}@localhost/app"
    replica: PostgresDsn | None = None
    token_url: str = TOKEN_URL
    session_token: Annotated[str, NotSecret] = VISIBLE_TOKEN
    api_token: Annotated[str | None, NotSecret()] = None
    homepage: str = "https://example.org/"
    cache: Cache = Cache()
    jwt_secret: SecretStr | None = None
    port: int = 8000


class CleanSettings(SecretSettings):
    host: str = "localhost"
    port: int = 8000
    api_token: SecretStr | None = None
    session_token: Annotated[str, NotSecret] = VISIBLE_TOKEN


class UrlSettings(SecretSettings):
    """One ``str`` field that is not named like a secret: whether its value has a password decides."""

    upstream: str = "https://example.org/"

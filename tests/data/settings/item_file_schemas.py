"""Schemas whose mapping fields take items as ``NAME__KEY`` variables, for the ``NAME__KEY_FILE`` tests
(imported in process and, via --schema, by the CLI)."""

from __future__ import annotations

from pydantic import BaseModel, Field, Secret, SecretStr, field_validator

from autoaudit_secrets.settings import SecretSettings

# Values read from files: assert_no_leak searches all output for them.
MAIN_PASSWORD = "main-Db-Password-7c1e"
REPLICA_PASSWORD = "replica-Db-Password-4b9d"
SIGNING_KEY = "signing-Key-Value-e8f2"
TLS_KEY = "tls-Key-Value-a93c"
ITEM_SECRETS = (MAIN_PASSWORD, REPLICA_PASSWORD, SIGNING_KEY, TLS_KEY)


class Server(BaseModel):
    host: str = "localhost"
    password: SecretStr | None = None
    tls_key: SecretStr | None = None
    tls_key_file: str | None = None  # a field of its own: TLS_KEY_FILE is it, not a reference to TLS_KEY


class ItemSettings(SecretSettings):
    databases: dict[str, SecretStr] = Field(
        default_factory=dict
    )  # items are secrets: NAME__KEY_FILE is a file reference
    paths: dict[str, str] = Field(default_factory=dict)  # plain items: NAME__KEY_FILE is the item key_file
    keys: Secret[dict[str, str]] | None = None  # the whole mapping is secret
    servers: dict[str, Server] = Field(default_factory=dict)  # a model's secret field inside a mapping


class NeedsMain(SecretSettings):
    """``check`` succeeds only when the item ``main`` is loaded."""

    databases: dict[str, SecretStr]

    @field_validator("databases")
    @classmethod
    def _has_main(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        if "main" not in value:
            raise ValueError("needs the item main")
        return value


class NeedsMainAndPort(NeedsMain):
    """A missing ``PORT``: the error lists the sources read."""

    port: int

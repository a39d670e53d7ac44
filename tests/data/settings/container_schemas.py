"""Schemas holding secrets in containers (tests/settings/test_settings_container_secrets.py; the CLI imports
them through --schema)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr

from autoaudit_secrets.settings import NotSecret, SecretSettings

# Values the tests search every output for (assert_no_leak).
API_KEY_1 = "Ka1container-Api-Key-2718"
API_KEY_2 = "Kb2container-Api-Key-3141"
TOKEN = "Tc3container-Token-1618"
PASSWORD_ITEM = "Pd4container-Pass-1123"
SIGNING_KEY = "Se5container-Signing-5772"
SERVICE_TOKEN = "Sf6service-Token-4669"
WEBHOOK = "Wg7webhook-Secret-8080"
DB_PASSWORD = "Dh8nested-Db-Pass-9090"
DB_API_KEY = "Di9nested-Api-Key-1414"
REPLICA_PASSWORD = "Rj1replica-Item-Pass-1732"
URL_PASSWORD = "Uk2url-Item-Pass-2236"
DEFAULT_KEY = "Dl3default-List-Key-2449"  # the default of a list named like a secret
DEFAULT_URL_PASSWORD = "Em4default-Url-Pass-2646"
CONTAINER_SECRETS = (
    API_KEY_1,
    API_KEY_2,
    TOKEN,
    PASSWORD_ITEM,
    SIGNING_KEY,
    SERVICE_TOKEN,
    WEBHOOK,
    DB_PASSWORD,
    DB_API_KEY,
    REPLICA_PASSWORD,
    URL_PASSWORD,
    DEFAULT_KEY,
    DEFAULT_URL_PASSWORD,
)
# Shown as they are: a dict key (a name), containers whose names hold no secret, a container marked NotSecret.
TOKEN_NAME = "billing"
ALLOWED_HOSTS = ["a.example.org", "b.example.org"]
STOP_TOKENS = ["</s>", "<|end|>"]
DEMO_PASSWORDS = ["demo-Visible-Pass-7071"]
# Shown as they are: the items of containers whose item type is marked NotSecret (MarkedItemSettings).
DEMO_KEYS = ["demo-Visible-Key-7272", "demo-Visible-Key-7373"]
DEMO_TOKEN = "demo-Visible-Token-7474"
DEMO_REPLICA_PASSWORD = "demo-Visible-Replica-7575"


class Database(BaseModel):
    host: str = "db"
    password: str | None = None
    api_keys: list[str] = Field(default_factory=list)


class Replica(BaseModel):
    host: str
    password: str


class ContainerSettings(SecretSettings):
    api_keys: list[str] = Field(default_factory=lambda: [DEFAULT_KEY])
    tokens: dict[str, str] = Field(default_factory=dict)
    passwords: tuple[str, ...] = ()
    signing_keys: frozenset[str] = frozenset()
    service_tokens: dict[str, list[str]] = Field(default_factory=dict)
    webhook_secret: str | None = None
    db: Database = Database()
    replicas: list[Replica] = Field(default_factory=list)
    upstreams: list[str] = Field(
        default_factory=lambda: [
            f"https://bot:{DEFAULT_URL_PASSWORD}@api.example.org/v1",
            "https://example.org/",
        ]
    )
    allowed_hosts: list[str] = Field(default_factory=lambda: list(ALLOWED_HOSTS))
    # The name rule's exceptions hold in the plural: STOP_TOKEN is no secret.
    stop_tokens: list[str] = Field(default_factory=lambda: list(STOP_TOKENS))
    demo_passwords: Annotated[list[str], NotSecret] = Field(default_factory=lambda: list(DEMO_PASSWORDS))
    port: int = 8000


class MarkedItemSettings(SecretSettings):
    """Containers named like a secret whose items are marked ``NotSecret``: nothing to warn about."""

    api_keys: list[Annotated[str, NotSecret]] = Field(default_factory=lambda: list(DEMO_KEYS))
    tokens: dict[str, Annotated[str, NotSecret()]] = Field(default_factory=lambda: {"demo": DEMO_TOKEN})
    passwords: tuple[Annotated[str, NotSecret], ...] = ()
    service_tokens: dict[str, list[Annotated[str, NotSecret]]] = Field(default_factory=dict)
    fallback_tokens: list[Annotated[str, NotSecret]] | None = None
    replicas: list[Annotated[Replica, NotSecret]] = Field(default_factory=list)


class ShapeSettings(SecretSettings):
    """One more shape each: Optional, Annotated with a constraint, nested containers, an abstract type."""

    fallback_tokens: list[str] | None = None
    access_tokens: Annotated[list[str], Field(min_length=1)] = Field(
        default_factory=lambda: ["x-placeholder"]
    )
    key_rings: list[list[str]] = Field(default_factory=list)  # not a secret name: its items are shown
    hmac_keys: list[list[str]] = Field(default_factory=list)
    nested_secrets: dict[str, dict[str, str]] = Field(default_factory=dict)
    client_secrets: Sequence[str] = ()


class CleanContainerSettings(SecretSettings):
    """Containers declared with secret types: nothing to warn about."""

    api_keys: list[SecretStr] = Field(default_factory=list)
    tokens: dict[str, SecretStr] | None = None
    allowed_hosts: list[str] = Field(default_factory=lambda: list(ALLOWED_HOSTS))


class OpaqueSettings(SecretSettings):
    """Fields holding anything (``Any``, a bare ``list``) and ``bytes``."""

    credentials: dict[str, Any] = Field(default_factory=dict)
    api_keys: list = Field(default_factory=list)  # type: ignore[type-arg]
    private_key: bytes | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

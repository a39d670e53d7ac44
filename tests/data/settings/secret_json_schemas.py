"""Schemas with ``Secret[...]`` of containers and models (tests/settings/test_settings_secret_json.py; the CLI
imports them through --schema): loaded from JSON like the same types without ``Secret``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, Secret

from autoaudit_secrets.settings import SecretSettings

# Values the tests search every output for (assert_no_leak).
KEY_1 = "Jn1secret-List-Key-3797"
KEY_2 = "Jo2secret-List-Key-4219"
TOKEN = "Jp3secret-Dict-Token-5813"
RING_KEY = "Jq4secret-Set-Key-6022"
HOST_PASSWORD = "Jr5secret-Nested-Pass-7389"
MODEL_PASSWORD = "Js6secret-Model-Pass-8451"
JSON_SECRETS = (KEY_1, KEY_2, TOKEN, RING_KEY, HOST_PASSWORD, MODEL_PASSWORD)
TOKEN_NAME = "billing"


class Login(BaseModel):
    user: str
    password: str


class Database(BaseModel):
    port: int = 5432
    passwords: Secret[list[str]] = Secret([])


class SecretJsonSettings(SecretSettings):
    api_keys: Secret[list[str]]
    tokens: Secret[dict[str, str]] | None = None
    key_ring: Annotated[Secret[frozenset[str]], Field(description="signing keys")] = Secret(frozenset())
    login: Secret[Login] | None = None
    db: Database = Database()


class PlainJsonSettings(SecretSettings):
    """The same variables without ``Secret``: what pydantic-settings decodes from JSON."""

    api_keys: list[str]
    tokens: dict[str, str] | None = None
    key_ring: frozenset[str] = frozenset()
    login: Login | None = None
    db: Database = Database()

"""Settings schemas used by tests/settings (imported in process and, via --schema, by the CLI)."""

from __future__ import annotations

import enum

from pydantic import BaseModel, Field, SecretStr, field_validator

from autoaudit_secrets.settings import SecretSettings, SettingsConfigDict

# Secret-looking values used across the tests; assert_no_leak searches all output for them.
JWT = "jwt-Secret-Value-0xA1B2C3"
DB_PASSWORD = "db-Password-Value-9f8e7d"
API_TOKEN = "api-Token-Value-5566aabb"
SHORT_JWT = "tooShort#1$"  # 11 characters: fails min_length=12
WEBHOOK = "webhook-Secret-Value-77"
SECRETS = (JWT, DB_PASSWORD, API_TOKEN, SHORT_JWT, WEBHOOK)


class Mode(enum.Enum):
    DEV = "dev"
    PROD = "prod"


class Database(BaseModel):
    host: str = "localhost"
    port: int = 5432
    password: SecretStr = Field(description="Database password")


class AppSettings(SecretSettings):
    """The shape of autoaudit-api's settings."""

    jwt_secret: SecretStr = Field(min_length=12, description="Signs session tokens.\nRotate yearly.")
    api_token: SecretStr | None = None
    port: int = Field(8000, description="HTTP port")
    debug: bool = False
    mode: Mode = Mode.DEV
    allowed_hosts: list[str] = Field(default_factory=lambda: ["localhost"])
    db: Database


class PrefixedSettings(SecretSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOAUDIT_")

    api_key: SecretStr
    region: str = "eu-west-1"
    db: Database | None = None


class ValidatedSettings(SecretSettings):
    """A validator whose message would echo the value if we let it."""

    webhook_secret: SecretStr
    label: str = "x"

    @field_validator("label")
    @classmethod
    def _no_spaces(cls, value: str) -> str:
        if " " in value:
            raise ValueError(f"no spaces allowed in {value}")
        return value


class NotSettings(BaseModel):
    x: int = 1

"""The service's configuration schema: every variable it needs, validated at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from autoaudit_secrets import SecretSettings


class ApiSettings(SecretSettings):
    """Configuration of autoaudit-api. Secrets are ``SecretStr``: never shown in logs, reprs or /config."""

    app_env: Literal["development", "test", "staging", "production"] = Field(
        "development", description="Deployment environment."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Root log level.")
    public_base_url: str = Field(
        "http://localhost:8000", description="URL the frontend uses to reach the API."
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins (JSON list).")

    database_url: SecretStr = Field(description="PostgreSQL DSN, password included (autoaudit-db).")
    redis_url: SecretStr = Field(description="Redis URL, password included (autoaudit-redis).")
    jwt_secret: SecretStr = Field(min_length=32, description="HMAC key signing access tokens (>= 32 chars).")
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = Field("HS256", description="JWT signing algorithm.")
    jwt_ttl_seconds: int = Field(900, gt=0, le=86400, description="Access token lifetime.")
    session_secret: SecretStr = Field(min_length=32, description="Key signing session cookies (>= 32 chars).")
    stripe_api_key: SecretStr = Field(description="Stripe secret key for billing.")
    sendgrid_api_key: SecretStr | None = Field(
        None, description="SendGrid key for e-mail; e-mail is off without it."
    )

"""Which plaintext values `encrypt` picks when no names are given."""

from __future__ import annotations

import pytest

from autoaudit_secrets.crypto import looks_secret

SECRET_NAMES = [
    "DB_PASSWORD", "POSTGRES_PASSWD", "REDIS_PASS", "SMTP_PWD", "JWT_SECRET", "GITHUB_TOKEN",
    "STRIPE_API_KEY",
    "AWS_SECRET_ACCESS_KEY", "SENTRY_DSN", "OAUTH_CLIENT_CREDENTIALS", "SIGNING_KEY", "ENCRYPTION_KEY",
    "db_password", "SESSION_COOKIE_SECRET", "PRIVATE_KEY", "WEBHOOK_SECRET",
]  # fmt: skip
PLAIN_NAMES = [
    "DEBUG", "PORT", "APP_ENV", "LOG_LEVEL", "AUTOAUDIT_PUBLIC_KEY", "AUTOAUDIT_PRIVATE_KEY",
    "SIGNING_KEY_ID", "TLS_KEY_FILE", "SSH_KEY_PATH", "STRIPE_PUBLIC_KEY", "TOKEN_TTL", "PASSWORD_LENGTH",
    "DATABASE_URL", "KEYBOARD_LAYOUT",
]  # fmt: skip


@pytest.mark.parametrize("name", SECRET_NAMES, ids=SECRET_NAMES)
def test_secret_names_are_picked(name: str) -> None:
    assert looks_secret(name, "some-value")


@pytest.mark.parametrize("name", PLAIN_NAMES, ids=PLAIN_NAMES)
def test_other_names_are_left_alone(name: str) -> None:
    assert not looks_secret(name, "some-value")


def test_values_decide_for_urls_and_for_empty_or_encrypted_values() -> None:
    assert looks_secret("DATABASE_URL", "postgres://app:hunter2@db:5432/app")  # check-secrets: allow
    assert looks_secret("BROKER", "amqp://:only-password@mq/")  # check-secrets: allow
    assert not looks_secret("DATABASE_URL", "postgres://app@db:5432/app")
    assert not looks_secret("HOMEPAGE", "https://example.test/a:b@c")
    assert not looks_secret("DB_PASSWORD", "")
    assert not looks_secret("DB_PASSWORD", "enc:v1:AAAA")

"""Schemas whose invalid values pydantic describes by quoting a part of them (imported in process and, via
--schema, by the CLI)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Base64Bytes, Base64Str, Secret

from autoaudit_secrets.settings import SecretSettings

# A Heroku-style API key (a UUID) with its last character wrong, and base64 of bytes that are not UTF-8.
BAD_UUID_KEY = "3f2a9c1e-7b4d-4e8a-9c2f-5d6e7f8a9b0q"
BAD_BASE64_KEY = "c2lnbmluZy1rZXk-"
NOT_UTF8 = "q6uruw=="  # decodes to 0xab 0xab 0xab 0xbb
SHORT_NOT_UTF8 = "/w=="  # decodes to 0xff


class DetailSettings(SecretSettings):
    api_key: Secret[UUID] | None = None
    signing_key: Secret[Base64Bytes] | None = None
    message_text: Base64Str | None = None  # no secret, but the decoded bytes are the value's
    request_id: UUID | None = None  # no secret: the detail stays

"""Typed settings: ``SecretSettings`` and its helpers.

Subclass :class:`SecretSettings`, declare fields (``SecretStr`` for secrets) and call ``MySettings.load()``.
``plain_secret_fields`` lists secrets declared with plain types (``str``, ``list[str]``, ``dict[str, str]``);
``Annotated[str, NotSecret]`` silences one.
See ``docs/settings.md`` for precedence, local vs CI, Docker secrets, errors and redaction.
"""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from .._errors import SettingsError
from ._base import (
    AUTO,
    Auto,
    InvalidSettingsError,
    SecretSettings,
    SourceNote,
    describe_sources,
    dotenv_files,
)
from ._ci import CI_MARKERS, is_ci
from ._plain import NotSecret, PlainSecret, plain_secret_fields
from ._redaction import RedactionFilter, RedactionHandle, ShortSecretWarning, install_redaction, secret_values
from ._schema import example_dotenv, import_schema, secret_env_names

__all__ = [
    "AUTO",
    "CI_MARKERS",
    "Auto",
    "InvalidSettingsError",
    "NotSecret",
    "PlainSecret",
    "RedactionFilter",
    "RedactionHandle",
    "SecretSettings",
    "SettingsConfigDict",
    "SettingsError",
    "ShortSecretWarning",
    "SourceNote",
    "describe_sources",
    "dotenv_files",
    "example_dotenv",
    "import_schema",
    "install_redaction",
    "is_ci",
    "plain_secret_fields",
    "secret_env_names",
    "secret_values",
]

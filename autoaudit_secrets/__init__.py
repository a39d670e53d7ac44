"""autoaudit-secrets: typed, encrypted settings and a secret scanner for the AutoAudit stack."""

from __future__ import annotations

from ._errors import AutoauditSecretsError, SettingsError

__version__ = "0.1.0"

__all__ = ["AutoauditSecretsError", "SettingsError", "__version__"]

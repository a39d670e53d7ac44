"""autoaudit-secrets: typed, encrypted settings and a secret scanner for the AutoAudit stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import AutoauditSecretsError, SettingsError

if TYPE_CHECKING:
    from .settings import SecretSettings, install_redaction, is_ci

__version__ = "0.1.0"

__all__ = [
    "AutoauditSecretsError",
    "SecretSettings",
    "SettingsError",
    "__version__",
    "install_redaction",
    "is_ci",
]

# The settings API pulls in pydantic; import it on first use so `import autoaudit_secrets` stays light.
_LAZY = {"SecretSettings": "settings", "install_redaction": "settings", "is_ci": "settings"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

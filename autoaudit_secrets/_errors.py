"""The error hierarchy.

Every error the library raises on purpose derives from :class:`AutoauditSecretsError`, whose ``str()`` is a
user-facing message that never contains a secret value. Each extension point has its own base class so callers
can catch one family without catching the others.
"""

from __future__ import annotations

__all__ = [
    "AutoauditSecretsError",
    "ConfigError",
    "CryptoError",
    "DecryptionError",
    "DotenvError",
    "ImageError",
    "KeyStoreError",
    "ReportError",
    "RuleError",
    "ScanError",
    "SettingsError",
    "UsageError",
]


class AutoauditSecretsError(Exception):
    """Root of every error raised by autoaudit-secrets; ``str(err)`` is safe to show to a user."""


class UsageError(AutoauditSecretsError):
    """The caller asked for something that cannot be done as asked (bad option, bad argument)."""


class DotenvError(AutoauditSecretsError):
    """A ``.env`` file could not be read, parsed or written."""


class SettingsError(AutoauditSecretsError, ValueError):
    """Settings are missing or invalid. Names every bad variable; never shows a value."""


class CryptoError(AutoauditSecretsError):
    """Base of encryption errors (bad envelope, bad key)."""


class DecryptionError(CryptoError):
    """An ``enc:`` value could not be opened: no key, wrong key, tampered, or moved to another variable."""


class KeyStoreError(CryptoError):
    """A private key could not be read from or written to a key store."""


class ScanError(AutoauditSecretsError):
    """Base of check-secrets errors at run time (unreadable root, git failure, ...)."""


class ConfigError(ScanError):
    """The check-secrets configuration (pyproject table, .check-secrets.toml, baseline) is invalid."""


class RuleError(ScanError):
    """A rule record is invalid (bad id, pattern that does not compile, failing example)."""


class ReportError(ScanError):
    """A report could not be produced in the requested format."""


class ImageError(ScanError):
    """A container image (archive or layout) could not be read: one line naming the image and the part."""

"""Redacted previews of secret values, shared by the loader, the CLI and every report."""

from __future__ import annotations

__all__ = ["MASK", "redact_preview"]

MASK = "**********"


def redact_preview(value: str, *, keep: int = 4) -> str:
    """Return a preview that identifies a secret to its owner without revealing it.

    At most ``keep`` leading characters are shown, and only when the value is long enough (>= 4x
    ``keep``) that they reveal little; short values are fully masked. The length is not revealed.
    """
    if keep <= 0 or len(value) < 4 * keep:
        return MASK
    return value[:keep] + "…" + MASK[:4]

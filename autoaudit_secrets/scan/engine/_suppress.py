"""Inline suppression comments: a finding on a line carrying one of these markers is dropped (and counted).

``check-secrets: allow`` is ours; ``gitleaks:allow`` and ``pragma: allowlist secret`` (detect-secrets) are
honoured so that a repository migrates in one step.
"""

from __future__ import annotations

import re

from ._lazyre import LazyRegex

__all__ = ["ALLOW_MARKERS", "line_allows"]

ALLOW_MARKERS = ("check-secrets: allow", "gitleaks:allow", "pragma: allowlist secret")
_ALLOW = LazyRegex(
    r"check-secrets\s*:\s*allow|gitleaks\s*:\s*allow|pragma\s*:\s*allowlist[ -]secret", re.IGNORECASE
)


def line_allows(line: str) -> bool:
    """True when ``line`` carries an inline allow marker."""
    return bool(_ALLOW.search(line))

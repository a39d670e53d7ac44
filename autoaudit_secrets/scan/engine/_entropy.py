"""Shannon entropy of candidate secrets (bits per character)."""

from __future__ import annotations

import math
from collections import Counter

__all__ = ["shannon_entropy"]


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character; 0.0 for the empty string."""
    if not value:
        return 0.0
    length = len(value)
    return -sum((n / length) * math.log2(n / length) for n in Counter(value).values())

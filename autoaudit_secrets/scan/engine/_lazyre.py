"""Regular expressions compiled on first use (``import`` stays cheap: pre-commit start-up counts)."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LazyRegex"]


class LazyRegex:
    """A stand-in for ``re.compile(pattern, flags)`` that compiles on first attribute access."""

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = re.compile(self._pattern, self._flags)
            self._compiled = compiled
        return getattr(compiled, name)

"""Regular expressions compiled on first use (``import`` stays cheap: pre-commit start-up counts)."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LazyRegex"]

# The methods looked up most (on hot paths: every candidate of a rule): bound to the instance once compiled,
# so later look-ups are plain slot reads instead of a ``__getattr__`` call each.
_BOUND = ("match", "search", "fullmatch", "sub", "split", "finditer", "findall")


class LazyRegex:
    """A stand-in for ``re.compile(pattern, flags)`` that compiles on first attribute access."""

    __slots__ = ("_compiled", "_flags", "_pattern", *_BOUND)

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __reduce__(self) -> tuple[type[LazyRegex], tuple[str, int]]:
        # the recipe, not the compiled state (a spawn worker or a copy compiles on its own first use)
        return (LazyRegex, (self._pattern, self._flags))

    def __getattr__(self, name: str) -> Any:
        # only called for what is not set: the bound methods before the first use, and other attributes
        if name.startswith("__") or name in ("_compiled", "_pattern", "_flags"):
            raise AttributeError(name)  # a half-built instance (copy, pickle): never recurse into itself
        compiled = self._compiled
        if compiled is None:
            compiled = re.compile(self._pattern, self._flags)
            self._compiled = compiled
            for method in _BOUND:
                object.__setattr__(self, method, getattr(compiled, method))
        return getattr(compiled, name)

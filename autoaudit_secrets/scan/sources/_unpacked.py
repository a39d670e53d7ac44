"""The decompressed bytes that all the archives of one run may take together (``--max-unpacked-total``).

Each archive is read within its own budget (``--max-unpacked``), which stops one bomb. A tree, a history or an
image holding a thousand bombs would still take a thousand budgets: about a second of decompression each. This
total bounds their sum. Once it is spent, further archives are not opened; each counts as an archive read
partly, so the run never reports clean about what it did not read.

The total is charged once per archive, when its reading ends, with what it took. An archive that starts while
some of the total is left may take at most that much (its own budget is cut to it), but archives read at the
same time in other worker processes each see the same amount left: the total is exceeded by at most one
archive's budget per worker process. Worker processes share the count (:meth:`UnpackedTotal.share`, before
they start).

Kept apart from :mod:`._archive` (which imports :mod:`zipfile`): a scan creates its total before it knows
whether anything is an archive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

__all__ = ["DEFAULT_UNPACKED_TOTAL", "UnpackedTotal"]

DEFAULT_UNPACKED_TOTAL = 4 * 1024**3


class UnpackedTotal:
    """The decompressed bytes the archives of one run may still take (see the module docstring)."""

    __slots__ = ("_shared", "_spent", "limit")

    def __init__(self, limit: int = DEFAULT_UNPACKED_TOTAL) -> None:
        self.limit = limit
        self._spent = 0
        self._shared: Any = None  # a multiprocessing Value once shared

    def share(self, context: BaseContext) -> UnpackedTotal:
        """Move the count to shared memory, so that worker processes started afterwards (with ``context``)
        and given this object charge one total. Returns ``self``."""
        if self._shared is None:
            self._shared = context.Value("q", self._spent)
        return self

    @property
    def spent(self) -> int:
        """The decompressed bytes charged so far."""
        shared = self._shared
        return self._spent if shared is None else int(shared.value)

    def left(self) -> int:
        """What archives may still take (0: none is opened any more)."""
        return max(self.limit - self.spent, 0)

    def charge(self, count: int) -> None:
        """Count ``count`` decompressed bytes one archive took."""
        shared = self._shared
        if shared is None:
            self._spent += count
            return
        with shared.get_lock():
            shared.value += count

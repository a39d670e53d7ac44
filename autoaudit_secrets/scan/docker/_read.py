"""Reading the files the Docker analyzers look at beside the one being scanned (compose files, workflows,
Dockerfiles, ignore files, build-context files): regular files only, never blocking, size-capped."""

from __future__ import annotations

import os
from pathlib import Path

from ..._dotenv import read_regular_file

__all__ = ["read_bytes", "read_text"]

_DEFAULT_LIMIT = 10 * 1024 * 1024


def read_bytes(path: Path, limit: int = _DEFAULT_LIMIT) -> bytes | None:
    """The bytes of ``path`` (symlinks followed), or ``None`` when it is missing, unreadable, larger than
    ``limit``, or not a regular file: a FIFO in a build context must not hang the scan, nor ``/dev/zero``
    behind a symlink fill the memory."""
    try:
        if os.stat(path).st_size > limit:
            return None
        data = read_regular_file(path)
    except (OSError, ValueError):
        return None
    return data if len(data) <= limit else None


def read_text(path: Path, limit: int = _DEFAULT_LIMIT) -> str | None:
    """:func:`read_bytes` decoded as UTF-8 (undecodable bytes replaced), or ``None``."""
    data = read_bytes(path, limit)
    return None if data is None else data.decode("utf-8", errors="replace")

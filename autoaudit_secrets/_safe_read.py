"""Safe reading of files that may be hostile: regular files only, opened without blocking, optionally
size-capped.

Used by the loader (``.env``, ``NAME_FILE``, key files), the scanner's configuration and baseline reading, and
the Docker analyzers for the files beside the one being scanned (compose files, workflows, Dockerfiles, ignore
files, build-context files)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["NotRegularFileError", "is_null_device", "read_bytes", "read_regular_file", "read_text"]

_DEFAULT_LIMIT = 10 * 1024 * 1024


class NotRegularFileError(OSError):
    """Raised by :func:`read_regular_file` for a FIFO, socket, device or directory (``strerror`` says so)."""


def is_null_device(info: os.stat_result) -> bool:
    """Whether ``info`` (from ``os.stat``) describes the null device, the one non-regular file we read."""
    if not stat.S_ISCHR(info.st_mode):
        return False
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return (info.st_dev, info.st_ino) == (null.st_dev, null.st_ino) or info.st_rdev == null.st_rdev


def read_regular_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of ``path``, which must be a regular file (symlinks followed).

    A FIFO is opened without blocking and refused, as are directories, sockets and devices other than
    ``/dev/null`` (read as empty): reading one
    would hang (a FIFO with no writer, ``/dev/zero``) or fail obscurely. Raises :class:`OSError`
    (:class:`NotRegularFileError` for the non-regular cases; ``FileNotFoundError`` when missing).
    """
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    )
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if is_null_device(info):
            return b""  # `--env-file /dev/null`: deliberately nothing
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "is a directory"
                if stat.S_ISDIR(info.st_mode)
                else "not a regular file (FIFO, socket or device)"
            )
            raise NotRegularFileError(errno.EINVAL, kind)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, max(info.st_size + 1, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


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

"""Safe reading of files that may be hostile: regular files only, opened without blocking, optionally
size-capped.

Used by the loader (``.env``, ``NAME_FILE``, key files), the scanner's configuration and baseline reading, and
the Docker analyzers for the files beside the one being scanned (compose files, workflows, Dockerfiles, ignore
files, build-context files)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "NotRegularFileError",
    "head_and_tail",
    "is_null_device",
    "prepend_read",
    "read_bytes",
    "read_regular_file",
    "read_stream",
    "read_text",
    "read_up_to",
]

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


_BLOCK = 1024 * 1024


def head_and_tail(
    read: Callable[[int], bytes], size: int, chunk: int, first: bytes = b""
) -> list[tuple[bytes, int]]:
    """The parts of a ``size``-byte stream too large to scan whole, read sequentially with ``read`` (a file,
    or a tar member that cannot seek; ``first`` is what was already read of it): its first ``chunk`` bytes up
    to the last line end in them, and its last ``chunk`` bytes from the first line start in them, each with
    the number of lines before it (the middle is counted in blocks, never held). One part when no tail is
    left."""
    head_raw = first + read(chunk - len(first)) if len(first) < chunk else first
    cut = head_raw.rfind(b"\n") + 1
    head = head_raw[:cut] if cut > 0 else head_raw  # never half a line (nor half a UTF-8 character)
    tail_start = max(len(head), size - chunk)
    newlines = head.count(b"\n")
    if tail_start <= len(head_raw):
        newlines += head_raw[len(head) : tail_start].count(b"\n")
        tail = head_raw[tail_start:] + read(max(size - len(head_raw), 0))
    else:
        newlines += head_raw[len(head) :].count(b"\n")
        remaining = tail_start - len(head_raw)
        while remaining > 0:
            block = read(min(remaining, _BLOCK))
            if not block:
                break
            newlines += block.count(b"\n")
            remaining -= len(block)
        tail = read(chunk)
    start = tail.find(b"\n") + 1
    if tail_start > len(head) and 0 < start < len(tail):  # drop the partial line the tail starts in
        newlines += 1
        tail = tail[start:]
    return [(head, 0), (tail, newlines)] if tail else [(head, 0)]


def read_stream(read: Callable[[int], bytes], limit: int | None) -> list[tuple[bytes, int]]:
    """A stream of unknown length (standard input) as :func:`head_and_tail` gives a file's parts: all of it
    when it holds at most ``limit`` bytes (``None``: no limit), else its first and last ``limit / 2`` bytes,
    the head up to the last line end in it and the tail from the first line start in it, with the number of
    lines before the tail (the middle is counted as it streams past, never held)."""
    held = bytearray()
    while limit is None or len(held) <= limit:
        block = read(_BLOCK if limit is None else min(_BLOCK, limit + 1 - len(held)))
        if not block:
            return [(bytes(held), 0)]
        held += block
    assert limit is not None
    chunk = max(limit // 2, 1)
    head_raw = bytes(held[:chunk])
    window = held[chunk:]  # the last bytes seen: the tail, once the stream ends
    newlines = head_raw.count(b"\n")
    while True:
        if len(window) > chunk:
            newlines += window.count(b"\n", 0, len(window) - chunk)
            del window[: len(window) - chunk]
        block = read(_BLOCK)
        if not block:
            break
        window += block
    cut = head_raw.rfind(b"\n") + 1
    head = head_raw[:cut] if cut > 0 else head_raw  # never half a line (nor half a UTF-8 character)
    tail = bytes(window)
    start = tail.find(b"\n") + 1
    if 0 < start < len(tail):  # drop the partial line the tail starts in
        newlines += 1
        tail = tail[start:]
    return [(head, 0), (tail, newlines)]


def read_up_to(read: Callable[[int], bytes], count: int) -> bytes:
    """Up to ``count`` bytes from ``read`` (fewer only at the end), asked for in blocks of at most 1 MiB."""
    chunks: list[bytes] = []
    while count > 0:
        block = read(min(count, _BLOCK))
        if not block:
            break
        chunks.append(block)
        count -= len(block)
    return b"".join(chunks)


def prepend_read(first: bytes, read: Callable[[int], bytes]) -> Callable[[int], bytes]:
    """A ``read`` that gives ``first`` (bytes already read from a stream) before what ``read`` gives."""
    pending = [first]

    def reader(count: int) -> bytes:
        if pending and pending[0]:
            data, rest = pending[0][:count], pending[0][count:]
            pending[0] = rest
            return data
        return read(count)

    return reader

"""Atomic file replacement: a temp file in the same directory, the old mode kept, then ``os.replace``."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from ._errors import AutoauditSecretsError

__all__ = ["atomic_write_bytes", "atomic_write_text", "write_target"]

_DEFAULT_MODE = 0o600


def write_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` must replace: a symlink is written through to its final target.

    Replacing the link itself by a regular file would silently detach it from the file it shares (a
    ``.env`` linked from a secrets folder, a report or baseline path linked into a CI artifact folder). A
    dangling link yields the path it points to (the write creates that file); a link loop is returned as is
    (the write then fails with a one-line error).
    """
    target = Path(path)
    if target.is_symlink():
        return Path(os.path.realpath(target))
    return target


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, default_mode: int = _DEFAULT_MODE
) -> None:
    """Replace ``path`` with ``data`` so that readers see either the old or the new file, never a mix.

    The permission bits of an existing file are kept; a new file gets ``default_mode`` (0600: these files hold
    secrets or their hashes). A symlink is written through to its target (:func:`write_target`), never
    replaced; a device, FIFO, socket or directory is refused (:class:`AutoauditSecretsError`). On any failure
    the old file is left untouched and the temp file removed.
    """
    target = write_target(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        mode = default_mode
    except OSError as exc:
        raise AutoauditSecretsError(f"cannot write {target}: {exc.strerror}") from None
    else:
        if not stat.S_ISREG(info.st_mode):
            # Never replace a device, FIFO or socket by a file: as root, `-o /dev/null` would turn the
            # machine's /dev/null into a regular file.
            kind = (
                "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file (device, FIFO or socket)"
            )
            raise AutoauditSecretsError(f"cannot write {path}: {kind}")
        mode = stat.S_IMODE(info.st_mode)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise AutoauditSecretsError(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise AutoauditSecretsError(f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", default_mode: int = _DEFAULT_MODE
) -> None:
    """Text variant of :func:`atomic_write_bytes` (no newline translation)."""
    atomic_write_bytes(path, text.encode(encoding), default_mode=default_mode)

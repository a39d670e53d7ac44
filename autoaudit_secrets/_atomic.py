"""Atomic file replacement: a 0600 temp file in the same directory, the old mode, owner and group kept, then
``os.replace``; read-only files refused, temp files never left behind."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from pathlib import Path

from ._errors import AutoauditSecretsError

__all__ = [
    "STALE_TEMP_SECONDS",
    "atomic_create_bytes",
    "atomic_write_bytes",
    "atomic_write_text",
    "remove_stale_temp_files",
    "write_refusal",
    "write_target",
]

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


# A temp file older than this is left over from a write that was killed (kill -9, power loss): removed by
# the next write of the same file. A live write keeps its temp file for milliseconds; the margin is for slow
# disks.
STALE_TEMP_SECONDS = 60.0


def _temp_name_pattern(name: str) -> re.Pattern[str]:
    # tempfile.mkstemp(prefix=".NAME.", suffix=".tmp") adds 8 characters of [a-z0-9_].
    return re.compile(re.escape(f".{name}.") + r"[a-z0-9_]{8}" + re.escape(".tmp"))


def remove_stale_temp_files(target: Path, *, older_than: float = STALE_TEMP_SECONDS) -> list[str]:
    """Remove the temp files an earlier, killed write of ``target`` left next to it; returns their names.

    Only regular files named as :func:`atomic_write_bytes` names them, owned by this user and not modified
    for ``older_than`` seconds, are removed (a concurrent writer's fresh temp file is left alone). Errors are
    ignored: this is housekeeping, never a reason to fail a write.
    """
    directory = target.parent if str(target.parent) else Path(".")
    pattern = _temp_name_pattern(target.name)
    removed: list[str] = []
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < older_than:
                continue
            if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(entry.name)
    return removed


def _refusal(target: Path, info: os.stat_result) -> str | None:
    """Why the existing ``target`` must not be replaced, or ``None``."""
    if not stat.S_ISREG(info.st_mode):
        # Never replace a device, FIFO or socket by a file: as root, `-o /dev/null` would turn the
        # machine's /dev/null into a regular file.
        return "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file (device, FIFO or socket)"
    if stat.S_IMODE(info.st_mode) & 0o222 == 0 or not os.access(target, os.W_OK):
        # Replacing goes through the directory, so it would succeed: honour the file's own permission (even as
        # root, for whom os.access always says yes, a file nobody may write is read-only on purpose).
        return f"the file is read-only (make it writable first, e.g. chmod u+w {target})"
    return None


def write_refusal(path: str | os.PathLike[str]) -> str | None:
    """Why :func:`atomic_write_bytes` would refuse to replace ``path`` (read-only, not a regular file), or
    ``None``; lets a command check before it does something it cannot take back (store a new key)."""
    target = write_target(path)
    try:
        info = os.stat(target)
    except OSError:
        return None  # missing (created) or unreadable (the write reports it)
    return _refusal(target, info)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, default_mode: int = _DEFAULT_MODE
) -> None:
    """Replace ``path`` with ``data`` so that readers see either the old or the new file, never a mix.

    An existing file keeps its permission bits, owner and group (when they cannot be kept, the write is
    refused rather than done with other ownership); a read-only file is refused. A new file gets
    ``default_mode`` (0600: these files hold secrets or their hashes). A symlink is written through to its
    target (:func:`write_target`), never replaced; a device, FIFO, socket or directory is refused. The data
    goes to a temp file created 0600 next to the target, removed on any failure or interruption
    (``KeyboardInterrupt`` included); one left by a killed process is removed by a later write
    (:func:`remove_stale_temp_files`). Every refusal is an :class:`AutoauditSecretsError` with one line.
    """
    target = write_target(path)
    directory = target.parent if str(target.parent) else Path(".")
    info: os.stat_result | None
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise AutoauditSecretsError(f"cannot write {target}: {exc.strerror}") from None
    if info is not None:
        refusal = _refusal(target, info)
        if refusal is not None:
            raise AutoauditSecretsError(f"cannot write {path}: {refusal}")
    mode = default_mode if info is None else stat.S_IMODE(info.st_mode)
    remove_stale_temp_files(target)
    tmp_name: str | None = None
    try:
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise AutoauditSecretsError(f"cannot write {target}: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as handle:
            if info is not None:
                _keep_owner(handle.fileno(), target, info)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise AutoauditSecretsError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _keep_owner(fd: int, target: Path, info: os.stat_result) -> None:
    """Give the temp file the owner and group of the file it replaces, or refuse the write."""
    if not hasattr(os, "fchown"):  # pragma: no cover - not POSIX
        return
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) == (info.st_uid, info.st_gid):
        return
    try:
        os.fchown(fd, info.st_uid, info.st_gid)
    except OSError:
        raise AutoauditSecretsError(
            f"cannot write {target}: it belongs to user {info.st_uid}, group {info.st_gid}, which a rewrite "
            "by this user cannot keep; edit it as its owner"
        ) from None


def atomic_create_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int = _DEFAULT_MODE) -> None:
    """Create the new file ``path`` holding ``data`` with ``mode``, all at once: the data goes to a 0600 temp
    file that is then hard-linked to ``path``, which fails if anything (even a dangling symlink) is there
    already: an existing file is never overwritten. :class:`AutoauditSecretsError` on any failure."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.link(tmp_name, target)
    except FileExistsError:
        raise AutoauditSecretsError(f"cannot create {target}: it already exists") from None
    except OSError as exc:
        raise AutoauditSecretsError(f"cannot create {target}: {exc.strerror}") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", default_mode: int = _DEFAULT_MODE
) -> None:
    """Text variant of :func:`atomic_write_bytes` (no newline translation)."""
    atomic_write_bytes(path, text.encode(encoding), default_mode=default_mode)

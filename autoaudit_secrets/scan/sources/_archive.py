"""Archives, opened and their members scanned as files (in a tree, in git history, in image layers, on
standard input); nothing is ever extracted.

Recognised by their first bytes, never by name: zip and the formats built on it (jar, war, whl, apk, nupkg,
docx, xlsx, ...), tar, compressed tar (gzip, zstd, bzip2, xz), and a single compressed file (a
``dump.sql.gz``, a ``backup.sql.xz``). A member is reported as ``ARCHIVE!MEMBER`` (``app.zip!config/.env``;
nested archives add one ``!`` per level), and the file analyzers that own the member's own name run on it.
(A history scan first picks the binary files worth reading by name, :mod:`._archive_names`, then asks their
first bytes.)

The archive is hostile input:

* every decompressed byte, nested archives included, is charged to one budget per archive of the tree
  (:class:`ArchiveLimits.unpacked`): a bomb stops the archive's reading instead of running for hours; and
  to the run's total (:class:`ArchiveLimits.total`, see :mod:`._unpacked`): a thousand bombs stop there;
* a member larger than the file size limit is read head and tail, as a large file is, never held whole;
* archives inside archives are opened down to :attr:`ArchiveLimits.depth` levels (a nested archive is held
  in memory, within the budget, because zip needs to seek);
* a member name is only ever a label (``..`` and absolute names are normalised away);
* anything malformed, encrypted, compressed in an unsupported way, nested too deep or over the budget ends
  or skips that part of the reading, and the archive is then counted as read partly: never reported clean
  about what could not be read.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..._errors import ImageError
from ..._safe_read import prepend_read, read_stream, read_up_to
from ._image_tar import Budget, ByteStream, TarReader, compression_of, is_tar_header, normalize_member_name
from ._tree import UNICODE_BOMS
from ._unpacked import UnpackedTotal

__all__ = ["SEPARATOR", "ArchiveLimits", "ArchiveReader", "Member", "archive_kind", "hold"]

SEPARATOR = "!"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; the end record of an empty zip
_PEEK = 512  # enough to tell every kind above (a tar header is 512 bytes)
# A single compressed file is named after the archive without these (and a .tgz, .tbz2, ... is a tar)
_COMPRESSED_SUFFIXES = (".gz", ".zst", ".zstd", ".bz2", ".xz")
_TAR_SUFFIXES = (".tgz", ".tbz2", ".tbz", ".txz", ".tzst")
# Extensions of members that are binary by their format, never read (archive formats are not among them:
# those are opened)
_BINARY_MEMBERS = frozenset(
    "class dex so dll dylib exe o obj lib pyc pyd png jpg jpeg gif ico icns webp bmp tif tiff psd "  # noqa: SIM905
    "woff woff2 ttf otf eot mp3 mp4 m4a wav ogg flac avi mov mkv webm".split()
)


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """How far archives are opened. ``depth`` 0 opens none; 1 opens the tree's archives but not archives
    inside them. ``unpacked`` bounds the decompressed bytes read from one archive of the tree, nested
    archives included; ``member_size`` (``None``: no limit) is the file size limit members are read by.
    ``total`` (``None``: none) is what all the archives of the run may still unpack together: an archive
    opened when it is spent is not read, one opened before is read within what is left of it."""

    depth: int = 2
    unpacked: int = 256 * 1024 * 1024
    member_size: int | None = 10 * 1024 * 1024
    members: int = 100_000  # members read from one archive of the tree, nested ones included
    nested_size: int = 64 * 1024 * 1024  # a nested archive is held in memory (zip seeks): at most this
    total: UnpackedTotal | None = None
    # An archive of git history, an image layer or standard input is held (see hold): at most this
    held_size: int = 1024**3


def archive_kind(head: bytes) -> str | None:
    """``"zip"``, ``"tar"`` or ``"compressed"`` (gzip, zstd, bzip2 or xz: a tar or a single file inside)
    from a file's first bytes (512 suffice), else ``None``."""
    if head.startswith(_ZIP_MAGICS):
        return "zip"
    if compression_of(head):
        return "compressed"
    if head[257:262] == b"ustar" and is_tar_header(head[:_PEEK]):  # (ustar, GNU and pax; not v7)
        return "tar"
    return None


def hold(
    first: bytes, read: Callable[[int], bytes], size: int | None, limits: ArchiveLimits
) -> BinaryIO | None:
    """An archive that comes as a stream (a git blob, a layer's member, standard input) held so that it can
    be opened (zip seeks): ``first``, then what ``read`` gives, up to ``size`` bytes in all (``None``: to the
    end). In memory up to :attr:`ArchiveLimits.nested_size` bytes, in a temporary file beyond (a Spring Boot
    jar is often over 100 MB); ``None`` when it is larger than :attr:`ArchiveLimits.held_size` (what was
    read of it is dropped). The caller closes it (the temporary file goes then)."""
    import tempfile

    limit = limits.held_size
    if size is not None and size > limit:
        return None
    held = tempfile.SpooledTemporaryFile(max_size=limits.nested_size)  # noqa: SIM115 (handed to the caller)
    try:
        held.write(first)
        count = len(first)
        while size is None or count < size:
            block = read(_HOLD_BLOCK if size is None else min(_HOLD_BLOCK, size - count))
            if not block:
                break
            count += len(block)
            if count > limit:
                held.close()
                return None
            held.write(block)
        held.seek(0)
    except BaseException:
        held.close()
        raise
    return held  # type: ignore[return-value]


_HOLD_BLOCK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Member:
    """One member read: ``path`` as reported (``app.zip!config/.env``), ``name`` its own path inside its
    archive (what the analyzers' name checks look at), ``parts`` its bytes as the file readers give them:
    whole, or head and tail with the lines before the tail."""

    path: str
    name: str
    parts: list[tuple[bytes, int]]


class _Stop(Exception):
    """The reading of the whole archive of the tree ends here (the budget is spent)."""


class ArchiveReader:
    """The members of one archive of the tree. After iterating :meth:`members`, ``complete`` says
    whether everything in it was read, ``skipped`` counts members that could not be (encrypted, unsupported,
    malformed, nested deeper than the limit or too large to hold)."""

    def __init__(self, relpath: str, limits: ArchiveLimits) -> None:
        self.relpath = relpath
        self.limits = limits
        left = None if limits.total is None else limits.total.left()
        self.budget = Budget(limits.unpacked if left is None else min(limits.unpacked, left))
        self.refused = left == 0  # the run's total is spent: not opened
        self.complete = True
        self.skipped = 0
        self.count = 0

    def members(self, raw: BinaryIO) -> Iterator[Member]:
        """The members of the archive read from ``raw`` (seekable, positioned at its start). None when the
        run's total is spent: the archive is then not read whole (``complete`` is False)."""
        if self.refused:
            self.complete = False
            return
        total = self.limits.total
        try:
            yield from self._read(raw, self.relpath, 1)
        except _Stop:
            self.complete = False
        finally:
            if total is not None:
                total.charge(self.budget.used)

    def _charge(self, count: int) -> None:
        try:
            self.budget.charge(count, self.relpath)
        except ImageError:
            raise _Stop from None

    def _lacking(self) -> None:
        self.complete = False
        self.skipped += 1

    def _broken(self, exc: ImageError) -> None:
        """A stream that broke: over the budget ends the whole archive, anything else only this part."""
        if self.budget.used > self.budget.limit:
            raise _Stop from exc
        self._lacking()

    def _read(self, raw: BinaryIO, path: str, depth: int) -> Iterator[Member]:
        head = raw.read(_PEEK)
        raw.seek(0)
        kind = archive_kind(head)
        if kind == "zip":
            yield from self._zip(raw, path, depth)
        elif kind is not None:
            yield from self._tar_or_single(raw, path, depth)

    def _zip(self, raw: BinaryIO, path: str, depth: int) -> Iterator[Member]:
        try:
            archive = zipfile.ZipFile(raw)
            infos = archive.infolist()
        except Exception:  # hostile bytes: whatever zipfile raises, the archive is unread
            self._lacking()
            return
        for info in infos:
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:  # encrypted: nothing to read without the password
                self._lacking()
                continue
            try:
                stream = archive.open(info)
            except Exception:  # unsupported compression, a damaged header, ...
                self._lacking()
                continue
            with stream:
                yield from self._member(stream.read, info.filename, path, depth, charge=True)

    def _tar_or_single(self, raw: BinaryIO, path: str, depth: int) -> Iterator[Member]:
        before = self.budget.used
        try:  # (a stream whose module is missing, a corrupt or truncated one: ImageError)
            stream = ByteStream(raw, path, self.budget)
            head = stream.read(_PEEK)
        except ImageError:
            self._lacking()
            return
        if not is_tar_header(head):  # one compressed file: its name is the archive's without the suffix
            if not stream.compression:
                return
            inner = path.rsplit("/", 1)[-1].rsplit(SEPARATOR, 1)[-1]
            lower = inner.lower()
            for suffix in _COMPRESSED_SUFFIXES + _TAR_SUFFIXES:
                if lower.endswith(suffix) and len(inner) > len(suffix):
                    inner = inner[: -len(suffix)] + (".tar" if suffix in _TAR_SUFFIXES else "")
                    break
            yield from self._member(prepend_read(head, stream.read), inner, path, depth, charge=False)
            return
        raw.seek(0)
        self.budget.used = before  # the tar is read again from its start: what the look took is not spent
        try:
            reader = TarReader(ByteStream(raw, path, self.budget))
            for entry in reader:
                if entry.kind != "file":
                    continue  # folders, links and devices hold nothing to scan
                yield from self._member(reader.read, entry.name, path, depth, charge=False)
        except ImageError as exc:  # malformed, truncated or over the budget
            self._broken(exc)

    def _member(
        self, read: Callable[[int], bytes], name: str, path: str, depth: int, *, charge: bool
    ) -> Iterator[Member]:
        """One member, read with ``read``; ``charge``: its bytes are not yet charged to the budget (a tar's
        are, by the stream they come through)."""
        self.count += 1
        if self.count > self.limits.members:
            raise _Stop
        shown = normalize_member_name(name) or _without_climbing(name)
        inner_path = f"{path}{SEPARATOR}{shown}"
        suffix = name.rpartition(".")[2]
        if suffix.lower() in _BINARY_MEMBERS and "/" not in suffix:
            # a compiled class, an image, a native library: binary, as reading it would show; only its name
            # is looked at (a jar holds thousands of classes, each unpacked for nothing otherwise)
            yield Member(path=inner_path, name=shown, parts=[(b"\x00", 0)])
            return

        spent = False  # the budget ran out inside this member: what was read of it is still scanned

        def reading(count: int) -> bytes:
            nonlocal spent
            if spent:
                return b""
            try:
                data = read(count)
            except ImageError:  # (a tar's stream charges the budget itself)
                if self.budget.used <= self.budget.limit:
                    raise
                spent = True
                return b""
            if charge:
                room = self.budget.limit - self.budget.used
                try:
                    self._charge(len(data))
                except _Stop:  # the bytes up to the budget are still scanned
                    spent = True
                    return data[: max(room, 0)]
            return data

        try:
            head = read_up_to(reading, _PEEK)
            if archive_kind(head) is not None:
                if depth >= self.limits.depth:
                    self._lacking()  # nested deeper than the limit: not opened
                    return
                cap = self.limits.nested_size
                data = head + read_up_to(reading, cap + 1 - len(head))
                if spent:
                    raise _Stop  # a part of an archive cannot be opened
                if len(data) > cap:
                    self._lacking()  # too large to hold: not opened
                    return
                yield from self._read(io.BytesIO(data), inner_path, depth + 1)
                return
            if b"\x00" in head and not head.startswith(UNICODE_BOMS):
                # binary, as the scan judges a file by its first bytes: only its name is looked at, so the
                # rest (a .class, an image) is never unpacked
                parts = [(head, 0)]
            else:
                # (when the budget runs out inside it, its head and the last bytes read before that are
                # scanned: a key at the top of a huge dump is still found)
                parts = read_stream(prepend_read(head, reading), self.limits.member_size)
        except _Stop:
            raise
        except ImageError as exc:  # a compressed stream that ends early or breaks
            self._broken(exc)
            return
        except Exception:  # zipfile's CRC and decompression errors on hostile bytes
            self._lacking()
            return
        yield Member(path=inner_path, name=shown, parts=parts)
        if spent:
            raise _Stop


def _without_climbing(name: str) -> str:
    """A member name that climbs out (``../x``) as a label: its ``..``, ``.`` and empty parts dropped."""
    return "/".join(p for p in name.split("/") if p not in ("", ".", "..")) or "?"

"""Streaming, hostile-input-safe reading of tar archives and their compression, for container images.

Nothing is ever extracted: a tar is read front to back, one 512-byte header at a time, and a member's bytes
are handed to the caller (or skipped) in place. The reader is our own — a few dozen lines for the formats
images use (ustar, GNU long names, pax headers) — so that every malformed input becomes one
:class:`ImageError` line instead of whatever a general-purpose extractor raises, no member list grows with
the archive, and nothing a member says (its name, its link target, its size) is ever used as a place on disk.

* :class:`ByteStream` reads a raw file through gzip, zstd, bzip2 or xz (recognised by magic bytes, not by
  name) and charges every decompressed byte to a :class:`Budget`: a tar bomb stops with an error instead of
  running for hours;
* :class:`TarReader` yields :class:`TarMember` records; for the current member, :meth:`TarReader.read` gives
  its bytes (bounded) and the rest is skipped when the next header is asked for.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, NoReturn

from ..._errors import ImageError

__all__ = [
    "Budget",
    "ByteStream",
    "TarMember",
    "TarReader",
    "compression_of",
    "is_tar_header",
    "normalize_member_name",
]

_BLOCK = 512
_CHUNK = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_XZ_MAGIC = b"\xfd7zXZ\x00"
# "BZh", the block size digit, then a block's magic (pi) or, for an empty stream, the end-of-stream magic
_BZIP2_BLOCK_MAGICS = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")
_HEAD = 16  # raw bytes that tell the compression
_XZ_MEMORY = 128 * 1024 * 1024  # what an xz stream may need to be unpacked
_STEP = 4 * _CHUNK  # decompressed bytes produced per step, at most (a bomb never sits in memory)
_MAX_META = 1024 * 1024  # a pax header or a GNU long name larger than this is not an image's
_ZERO_BLOCK = bytes(_BLOCK)


class Budget:
    """How many decompressed bytes may still be read (a tar bomb's defence); shared by every stream of a
    run."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def charge(self, count: int, label: str) -> None:
        self.used += count
        if self.used > self.limit:
            raise ImageError(
                f"{label}: more than {_size(self.limit)} unpacked (a tar bomb?); "
                "raise --max-unpacked to scan it"
            )


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= scale and count % scale == 0:
            return f"{count // scale} {unit}"
    return f"{count} bytes"


def compression_of(head: bytes) -> str:
    """``"gzip"``, ``"zstd"``, ``"bzip2"``, ``"xz"`` or ``""`` (none) from a stream's first bytes (10
    suffice)."""
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(_ZSTD_MAGIC):
        return "zstd"
    if head.startswith(_XZ_MAGIC):
        return "xz"
    if (
        head.startswith(b"BZh")
        and head[3:4].isdigit()
        and head[3:4] != b"0"
        and head[4:10] in _BZIP2_BLOCK_MAGICS
    ):
        return "bzip2"
    return ""


def is_tar_header(block: bytes) -> bool:
    """Whether ``block`` (512 bytes) is a valid tar header (checksum), or the zero block of an empty tar."""
    if len(block) < _BLOCK:
        return False
    if block[:_BLOCK] == _ZERO_BLOCK:
        return True
    return _checksum_ok(block[:_BLOCK])


def _checksum_ok(block: bytes) -> bool:
    field = block[148:156].rstrip(b"\x00 ").lstrip(b" ")
    try:
        stored = int(field or b"-1", 8)
    except ValueError:
        return False
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    if stored == unsigned:
        return True
    signed = sum(b - 256 if b > 127 else b for b in block[:148] + block[156:]) + 8 * 32
    return stored == signed


class ByteStream:
    """A raw binary file read through its compression (gzip, zstd, bzip2 or xz, each also as several
    concatenated streams; else as is).

    Every byte produced counts against ``budget``, and at most a few MiB are decompressed at a time (a bomb
    never sits in memory); when the budget runs out, the bytes up to it are still given, then the next read
    is :class:`ImageError`; so is a stream that ends early, naming ``label``. ``consumed`` counts raw
    (compressed) bytes read."""

    def __init__(self, raw: BinaryIO, label: str, budget: Budget) -> None:
        self._raw = raw
        self._hasher = hashlib.sha256()
        self.label = label
        self._budget = budget
        self._buf = bytearray()
        self._pos = 0
        self._eof = False
        self._withheld = 0  # decompressed bytes beyond the budget, not given: the next fill fails
        self.consumed = 0
        head = self._raw_read(_HEAD)
        self.compression = compression_of(head)
        self._pending = head  # raw bytes read but not yet decompressed
        self._gzip: Any = None
        # zstd, bzip2 and xz: a decompressor per stream (frame), each with needs_input, eof and unused_data
        self._framed: _Framed | None = (
            _framed(self.compression, label) if self.compression not in ("", "gzip") else None
        )
        self._decompressor: Any = self._framed.new() if self._framed is not None else None
        self._frames = 0  # streams ended so far
        if self.compression == "gzip":
            self._gzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._fed = False  # the current stream's decompressor has been given input

    def _raw_read(self, count: int) -> bytes:
        data = self._raw.read(count)
        self.consumed += len(data)
        self._hasher.update(data)
        return data

    def raw_digest(self) -> str:
        """``sha256:<hex>`` of the raw bytes read so far (after :meth:`drain`: of the whole stream)."""
        return "sha256:" + self._hasher.hexdigest()

    def hash_rest(self) -> str:
        """Read the rest of the raw stream without decompressing it; its :meth:`raw_digest`."""
        while self._raw_read(_CHUNK):
            pass
        self._eof = True
        return self.raw_digest()

    def _next_output(self) -> bytes | None:
        """The next piece of decompressed data (b"" when a step produced none), or None at the end."""
        if self._framed is not None:
            return self._next_framed(self._framed)
        if self._pending:
            raw, self._pending = self._pending, b""
        else:
            raw = self._raw_read(_CHUNK)
        if self._gzip is None:
            return raw or None
        if not raw:
            if not self._gzip.eof:
                raise ImageError(f"{self.label}: truncated (the gzip stream ends early)")
            return None
        try:
            out: bytes = self._gzip.decompress(raw, _STEP)
        except zlib.error:
            raise ImageError(f"{self.label}: corrupt gzip data") from None
        if self._gzip.unconsumed_tail:
            self._pending = self._gzip.unconsumed_tail
        elif self._gzip.eof and self._gzip.unused_data:
            rest = self._gzip.unused_data
            if rest.startswith(_GZIP_MAGIC):  # concatenated gzip members
                self._gzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self._pending = rest
            # anything else after the gzip end (padding) is ignored, as gzip(1) does
        return out

    def _next_framed(self, framed: _Framed) -> bytes | None:
        """:meth:`_next_output` for zstd, bzip2 and xz: at most :data:`_STEP` bytes per step, stream after
        stream; input that ends inside a stream is an error (never a short layer read as whole)."""
        if self._decompressor.eof:  # a stream ended: another one follows, or the end
            self._frames += 1
            rest = self._decompressor.unused_data
            self._decompressor = framed.new()
            self._fed = False
            self._pending = rest + self._pending
        raw = b""
        if self._decompressor.needs_input:
            if self._pending:
                raw, self._pending = self._pending, b""
            else:
                raw = self._raw_read(_CHUNK)
            if not self._fed and self._frames and framed.trailer_ends:
                # after a bzip2 or xz stream: another one (xz pads between them with NUL bytes), or trailing
                # bytes that end the reading, as bzip2(1) and xz(1) ignore them
                raw = self._after_stream(raw, framed.magic)
            if not raw:
                if self._fed:
                    self._truncated()
                return None
            self._fed = True
        try:
            out: bytes = self._decompressor.decompress(raw, _STEP)
        except framed.errors:
            raise ImageError(f"{self.label}: corrupt {self.compression} data") from None
        return out

    def _after_stream(self, raw: bytes, magic: bytes) -> bytes:
        """What follows a finished bzip2 or xz stream: the next stream's raw bytes, or b"" (the end)."""
        while True:
            if self.compression == "xz":
                raw = raw.lstrip(b"\x00")  # stream padding
            if len(raw) >= len(magic):
                return raw if raw.startswith(magic) else self._ignore_rest()
            more = self._raw_read(_CHUNK)
            if not more:
                if raw and magic.startswith(raw):
                    self._truncated()  # a next stream's first bytes only
                return b""
            raw += more

    def _ignore_rest(self) -> bytes:
        self._pending = b""
        while self._raw_read(_CHUNK):
            pass
        return b""

    def _truncated(self) -> NoReturn:
        raise ImageError(f"{self.label}: truncated (the {self.compression} stream ends early)")

    def _fill(self) -> bool:
        """Append decompressed bytes to the buffer; False at the end of the stream."""
        while True:
            if self._withheld:
                self._budget.charge(self._withheld, self.label)  # over the budget: raises
            out = self._next_output()
            if out is None:
                self._eof = True
                return False
            if out:
                room = self._budget.limit - self._budget.used
                if len(out) > room:  # the bytes up to the budget are still given, the rest never
                    self._withheld = len(out) - max(room, 0)
                    out = out[: max(room, 0)]
                    if not out:
                        continue
                self._budget.charge(len(out), self.label)
                if self._pos > _CHUNK:
                    del self._buf[: self._pos]
                    self._pos = 0
                self._buf += out
                return True

    def read(self, count: int) -> bytes:
        """Up to ``count`` bytes (fewer only at the end of the stream)."""
        while len(self._buf) - self._pos < count and not self._eof:
            if not self._fill():
                break
        end = min(self._pos + count, len(self._buf))
        data = bytes(self._buf[self._pos : end])
        self._pos = end
        return data

    def read_exact(self, count: int, what: str) -> bytes:
        data = self.read(count)
        if len(data) != count:
            raise ImageError(f"{self.label}: truncated ({what} ends early)")
        return data

    def skip(self, count: int, what: str) -> None:
        while count > 0:
            available = len(self._buf) - self._pos
            if available <= 0:
                if self._eof or not self._fill():
                    raise ImageError(f"{self.label}: truncated ({what} ends early)")
                continue
            step = min(available, count)
            self._pos += step
            count -= step

    def drain(self) -> None:
        """Read to the end (so that a gzip stream's end is checked); the bytes are discarded."""
        while not self._eof:
            self._pos = len(self._buf)
            if not self._fill():
                break


@dataclass(frozen=True, slots=True)
class _Framed:
    """A compression read stream by stream: a new decompressor per stream, the errors its data can raise,
    the magic bytes a stream starts with, and whether bytes after a stream that are not another one end
    the reading (bzip2, xz) or are an error (zstd)."""

    new: Callable[[], Any]
    errors: tuple[type[BaseException], ...]
    magic: bytes
    trailer_ends: bool


def _framed(compression: str, label: str) -> _Framed:
    if compression == "zstd":
        zstd = _zstd(label)
        return _Framed(zstd.ZstdDecompressor, (zstd.ZstdError,), _ZSTD_MAGIC, trailer_ends=False)
    try:
        if compression == "bzip2":
            import bz2

            return _Framed(bz2.BZ2Decompressor, (OSError, ValueError, EOFError), b"BZh", trailer_ends=True)
        import lzma

        return _Framed(
            # (the stream's header names the dictionary size, up to 1.5 GiB: a hostile one would have that
            # allocated; every preset of xz(1) needs 65 MiB at most)
            lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ, memlimit=_XZ_MEMORY),
            (lzma.LZMAError, EOFError),
            _XZ_MAGIC,
            trailer_ends=True,
        )
    except ImportError:  # a Python built without libbz2 or liblzma
        raise ImageError(
            f"{label}: {compression}-compressed, and this Python was built without its {compression} module"
        ) from None


def _zstd(label: str) -> Any:
    """The ``compression.zstd`` module: the standard library's from Python 3.14, else its backport (a
    dependency of autoaudit-secrets before 3.14)."""
    import importlib

    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImageError(
        f"{label}: zstd-compressed, and backports.zstd (a dependency of autoaudit-secrets before Python "
        "3.14) is missing: pip install backports.zstd"
    )


@dataclass(frozen=True, slots=True)
class TarMember:
    """One tar entry. ``name`` is as stored (``surrogateescape`` for bytes that are not UTF-8); ``kind`` is
    ``file``, ``dir``, ``symlink``, ``hardlink``, ``sparse`` or ``other`` (devices, FIFOs)."""

    name: str
    kind: str
    size: int
    linkname: str = ""


_KINDS = {
    b"0": "file",
    b"\x00": "file",
    b"7": "file",
    b"1": "hardlink",
    b"2": "symlink",
    b"5": "dir",
    b"3": "other",
    b"4": "other",
    b"6": "other",
    b"S": "sparse",
}


def _cstr(field: bytes) -> bytes:
    end = field.find(b"\x00")
    return field if end < 0 else field[:end]


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _number(field: bytes, label: str) -> int:
    if field and field[0] & 0x80:  # GNU base-256
        value = int.from_bytes(field[1:], "big")
        return -value if field[0] & 0x40 else value
    text = field.replace(b"\x00", b" ").strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise ImageError(f"{label}: corrupt tar header (bad number field)") from None


def _pax_records(data: bytes, label: str) -> dict[str, str]:
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            raise ImageError(f"{label}: corrupt pax header") from None
        if length <= 0 or pos + length > len(data):
            raise ImageError(f"{label}: corrupt pax header")
        record = data[space + 1 : pos + length].rstrip(b"\n")
        key, sep, value = record.partition(b"=")
        if sep:
            records[key.decode("utf-8", "replace")] = _decode(value)
        pos += length
    return records


class TarReader:
    """Iterate over the members of a tar read from a :class:`ByteStream`; :meth:`read` gives the current
    member's bytes. Raises :class:`ImageError` for anything that is not a well-formed tar."""

    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream
        self.label = stream.label
        self._remaining = 0  # unread data bytes of the current member
        self._padding = 0

    def _skip_current(self) -> None:
        if self._remaining or self._padding:
            self.stream.skip(self._remaining + self._padding, "a member")
        self._remaining = self._padding = 0

    def _read_meta(self, size: int) -> bytes:
        if size > _MAX_META:
            raise ImageError(f"{self.label}: oversized tar metadata header ({size} bytes)")
        data = self.stream.read_exact(size, "a tar header")
        self.stream.skip(-size % _BLOCK, "a tar header")
        return data

    def __iter__(self) -> Iterator[TarMember]:
        long_name: str | None = None
        long_link: str | None = None
        pax: dict[str, str] = {}
        first = True
        while True:
            self._skip_current()
            block = self.stream.read(_BLOCK)
            if not block:
                if first:
                    raise ImageError(f"{self.label}: not a tar archive (empty)")
                raise ImageError(f"{self.label}: truncated (no end-of-archive marker)")
            if len(block) < _BLOCK:
                raise ImageError(f"{self.label}: truncated (a tar header ends early)")
            if block == _ZERO_BLOCK:
                return  # end of archive (what follows, a second zero block or padding, is not read)
            if not _checksum_ok(block):
                what = "not a tar archive" if first else "corrupt tar header (checksum)"
                raise ImageError(f"{self.label}: {what}")
            first = False
            typeflag = block[156:157]
            size = _number(block[124:136], self.label)
            if size < 0:
                raise ImageError(f"{self.label}: corrupt tar header (negative size)")
            if typeflag in (b"x", b"g", b"L", b"K"):
                data = self._read_meta(size)
                if typeflag == b"x":
                    pax = _pax_records(data, self.label)
                elif typeflag == b"L":
                    long_name = _decode(_cstr(data))
                elif typeflag == b"K":
                    long_link = _decode(_cstr(data))
                continue  # a global pax header ('g') sets nothing we use
            name_raw = _cstr(block[0:100])
            if block[257:263] == b"ustar\x00":  # POSIX: a prefix field (GNU uses those bytes otherwise)
                prefix = _cstr(block[345:500])
                if prefix:
                    name_raw = prefix + b"/" + name_raw
            name = long_name if long_name is not None else _decode(name_raw)
            linkname = long_link if long_link is not None else _decode(_cstr(block[157:257]))
            if "path" in pax:
                name = pax["path"]
            if "linkpath" in pax:
                linkname = pax["linkpath"]
            if "size" in pax:
                try:
                    size = int(pax["size"])
                except ValueError:
                    raise ImageError(f"{self.label}: corrupt pax header (size)") from None
                if size < 0:
                    raise ImageError(f"{self.label}: corrupt pax header (size)")
            long_name = long_link = None
            pax = {}
            kind = _KINDS.get(typeflag, "other")
            if typeflag in (b"1", b"2", b"3", b"4", b"5", b"6"):
                size = 0  # links, devices, folders and FIFOs carry no data blocks
            self._remaining = size
            self._padding = -size % _BLOCK
            yield TarMember(name=name, kind=kind, size=size, linkname=linkname)

    def read(self, count: int) -> bytes:
        """Up to ``count`` more bytes of the current member's data."""
        count = min(count, self._remaining)
        if count <= 0:
            return b""
        data = self.stream.read_exact(count, "a member's data")
        self._remaining -= count
        return data

    @property
    def remaining(self) -> int:
        """Unread bytes of the current member."""
        return self._remaining


def normalize_member_name(name: str) -> str | None:
    """A member name as a ``/``-separated path relative to the image root (``./a//b/`` -> ``a/b``), or
    ``None`` when ``..`` would leave the root (a path traversal name) or nothing is left."""
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts) if parts else None

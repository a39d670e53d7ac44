"""Archives in a scanned tree (``scan.sources._archive``): real zip, tar, gzip, zstd, bzip2 and xz files made
at test time, hostile ones included. The CLI's view of them is in
``tests/cli/test_check_secrets_archives.py``."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import random
import secrets
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from autoaudit_secrets.scan.sources._archive import ArchiveLimits, ArchiveReader, archive_kind, hold
from autoaudit_secrets.scan.sources._git import BlobReader
from autoaudit_secrets.scan.sources._image_tar import _zstd
from tests.conftest import git, make_tar, make_zip


def _read(data: bytes, limits: ArchiveLimits | None = None) -> tuple[dict[str, bytes], ArchiveReader]:
    reader = ArchiveReader("a", limits or ArchiveLimits())
    members = {m.path: b"".join(part for part, _ in m.parts) for m in reader.members(io.BytesIO(data))}
    return members, reader


def test_kinds_are_told_by_their_first_bytes_not_by_name() -> None:
    assert archive_kind(make_zip({"x": b"1"})[:512]) == "zip"
    assert archive_kind(make_zip({})[:512]) == "zip"  # an empty zip is its end record alone
    assert archive_kind(make_tar({"x": b"1"})[:512]) == "tar"
    assert archive_kind(make_tar({"x": b"1"}, "w:gz")[:512]) == "compressed"
    assert archive_kind(bytes(512)) is None  # zeros are no empty tar in a tree
    assert archive_kind(b"PK but not a zip") is None
    assert archive_kind(b"plain text\n" * 60) is None
    assert archive_kind(bz2.compress(b"x")[:512]) == archive_kind(bz2.compress(b"")[:512]) == "compressed"
    assert archive_kind(lzma.compress(b"x")[:512]) == "compressed"
    assert archive_kind(b"BZh9 looks like bzip2 to a three-byte check\n") is None


def test_members_of_every_kind_and_nested_archives_are_read_with_their_paths() -> None:
    inner = make_zip({"deep/config.yml": b"token: 1\n"})
    data = make_tar(
        {"srv/app.py": b"x = 1\n", "./libs//inner.zip": inner, "dir/../etc/hosts": b"127.0.0.1 localhost\n"},
        "w:gz",
    )
    members, reader = _read(data)
    assert members == {
        "a!srv/app.py": b"x = 1\n",
        "a!libs/inner.zip!deep/config.yml": b"token: 1\n",
        "a!etc/hosts": b"127.0.0.1 localhost\n",
    }
    assert reader.complete and reader.skipped == 0
    zstd = _zstd("test")  # the standard library's from Python 3.14, else our dependency's backport
    members, reader = _read(zstd.compress(make_tar({"a.env": b"K=v\n"})))
    assert members == {"a!a.env": b"K=v\n"} and reader.complete


def test_a_single_compressed_file_is_one_member_named_without_its_suffix(tmp_path: Path) -> None:
    reader = ArchiveReader("backups/dump.sql.gz", ArchiveLimits())
    found = list(reader.members(io.BytesIO(gzip.compress(b"INSERT 1;\n"))))
    assert [(m.path, m.name) for m in found] == [("backups/dump.sql.gz!dump.sql", "dump.sql")]
    assert reader.complete


@pytest.mark.parametrize(
    ("compress", "suffix"), [(bz2.compress, "bz2"), (lzma.compress, "xz")], ids=["bzip2", "xz"]
)
def test_bzip2_and_xz_hold_a_tar_or_a_single_file(compress: Callable[[bytes], bytes], suffix: str) -> None:
    members, reader = _read(compress(make_tar({"srv/.env": b"K=v\n", "srv/app.py": b"x = 1\n"})))
    assert members == {"a!srv/.env": b"K=v\n", "a!srv/app.py": b"x = 1\n"} and reader.complete
    reader = ArchiveReader(f"backups/dump.sql.{suffix}", ArchiveLimits())
    found = list(reader.members(io.BytesIO(compress(b"INSERT 1;\n"))))
    assert [(m.path, m.parts) for m in found] == [
        (f"backups/dump.sql.{suffix}!dump.sql", [(b"INSERT 1;\n", 0)])
    ]
    assert reader.complete


@pytest.mark.parametrize(
    ("compress", "padding"), [(bz2.compress, b""), (lzma.compress, b"\x00" * 8)], ids=["bzip2", "xz"]
)
def test_bzip2_and_xz_streams_concatenated_trailing_bytes_and_truncation(
    compress: Callable[[bytes], bytes], padding: bytes
) -> None:
    """As bzip2(1) and xz(1) read them: concatenated streams are one file (pbzip2 and pixz write such), xz
    pads between streams with NULs, bytes after the last stream that start no other one are left; a stream
    cut short is read partly, never whole."""
    first, second = b"part one\n" * 3000, b"part two\n" * 3000
    both = compress(first) + padding + compress(second)
    members, reader = _read(both)
    assert members == {"a!a": first + second} and reader.complete
    members, reader = _read(compress(first) + b"trailing junk, not a stream")
    assert members == {"a!a": first} and reader.complete
    members, reader = _read(compress(first) + padding + compress(second)[:3])  # a next stream's start only
    assert not reader.complete
    members, reader = _read(both[: len(compress(first)) // 2])
    assert not reader.complete and all(second not in text for text in members.values())


def test_an_xz_stream_that_asks_for_a_huge_dictionary_is_not_unpacked() -> None:
    """An xz block header names its dictionary size (up to 1.5 GiB here): the stream is not unpacked with
    that much memory but counted as read partly; every preset of xz(1) (-9e: 64 MiB) is still read."""
    text = b"hello key\n" * 1000
    data = bytearray(lzma.compress(text))
    header = 12 + (data[12] + 1) * 4  # the stream header (12 bytes), then the first block's header
    assert data[14:16] == b"\x21\x01"  # one filter: LZMA2, with one byte of properties (the dictionary)
    data[16] = 37  # (2 | 1) << (37 // 2 + 11): 1.5 GiB
    data[header - 4 : header] = zlib.crc32(bytes(data[12 : header - 4])).to_bytes(4, "little")
    members, reader = _read(bytes(data))
    assert members == {} and not reader.complete
    members, reader = _read(lzma.compress(text, preset=9 | lzma.PRESET_EXTREME))
    assert members == {"a!a": text} and reader.complete


def test_the_bytes_up_to_the_budget_are_read_however_the_stream_is_unpacked() -> None:
    """A budget smaller than a decompression step (4 MiB) or a read block (1 MiB): the member's bytes up to
    the budget are still scanned, then the reading stops and says so. (Each step's output was once charged
    whole, so a step that crossed the budget gave nothing: a key on the first line of a compressed dump was
    never seen with a budget under 4 MiB.)"""
    dump = b"-- key line\n" + b"INSERT INTO t VALUES (1, 'row');\n" * 200_000  # 6.6 MB
    zstd = _zstd("test")
    budget = 256 * 1024
    for name, data in [
        ("dump.sql.gz", gzip.compress(dump)),
        ("dump.sql.zst", zstd.compress(dump)),
        ("dump.sql.bz2", bz2.compress(dump)),
        ("dump.sql.xz", lzma.compress(dump)),
        ("dump.zip", make_zip({"dump.sql": dump})),
        ("dump.tar.gz", make_tar({"dump.sql": dump}, "w:gz")),
    ]:
        reader = ArchiveReader(name, ArchiveLimits(unpacked=budget, member_size=64 * 1024))
        (member,) = reader.members(io.BytesIO(data))
        head = member.parts[0][0]
        assert head.startswith(b"-- key line\n"), name
        assert not reader.complete and reader.budget.used > budget, name
        assert sum(len(part) for part, _ in member.parts) <= 64 * 1024, name


def test_names_that_climb_out_are_labels_without_the_climb() -> None:
    members, _ = _read(make_tar({"../../../home/u/.ssh/id_rsa": b"k\n", "/abs/.env": b"A=1\n"}))
    assert sorted(members) == ["a!abs/.env", "a!home/u/.ssh/id_rsa"]


def test_nesting_stops_at_the_depth_and_says_so() -> None:
    level3 = make_zip({"c.txt": b"three\n"})
    level2 = make_zip({"b.zip": level3, "b.txt": b"two\n"})
    data = make_zip({"a.zip": level2, "a.txt": b"one\n"})
    members, reader = _read(data, ArchiveLimits(depth=2))
    assert sorted(members) == ["a!a.txt", "a!a.zip!b.txt"]
    assert not reader.complete and reader.skipped == 1
    members, reader = _read(data, ArchiveLimits(depth=3))
    assert sorted(members) == ["a!a.txt", "a!a.zip!b.txt", "a!a.zip!b.zip!c.txt"] and reader.complete


def test_a_bomb_stops_at_the_unpacked_budget_and_what_came_before_it_is_kept() -> None:
    bomb = make_zip(
        {"1-first.txt": b"before\n", "2-bomb.bin": b"a" * (200 * 1024 * 1024), "3-after.txt": b"x\n"}
    )
    assert len(bomb) < 1024 * 1024
    members, reader = _read(bomb, ArchiveLimits(unpacked=4 * 1024 * 1024, member_size=1024))
    # the bomb spent the budget: what was read of it is scanned (head and last bytes, as for a large file),
    # the rest of the archive is unread, and said so
    assert list(members) == ["a!1-first.txt", "a!2-bomb.bin"] and len(members["a!2-bomb.bin"]) <= 1024
    assert not reader.complete
    tar_bomb = make_tar({"big": b"b\n" * (25 * 1024 * 1024), "after": b"y\n"}, "w:gz")
    members, reader = _read(tar_bomb, ArchiveLimits(unpacked=8 * 1024 * 1024))
    assert "a!after" not in members and not reader.complete


def test_a_large_member_is_read_head_and_tail_never_whole() -> None:
    body = b"".join(b"line %d\n" % i for i in range(100_000))
    reader = ArchiveReader("a", ArchiveLimits(member_size=64 * 1024))
    (member,) = reader.members(io.BytesIO(make_zip({"big.log": body})))
    assert len(member.parts) == 2 and sum(len(p) for p, _ in member.parts) <= 64 * 1024
    head, tail = member.parts
    assert body.startswith(head[0]) and body.endswith(tail[0])
    assert tail[1] == body.count(b"\n", 0, len(body) - len(tail[0]))  # the tail's real line number


def test_members_beyond_the_count_limit_are_not_read_and_said_so() -> None:
    data = make_zip({f"f{i}.txt": b"%d\n" % i for i in range(10)})
    members, reader = _read(data, ArchiveLimits(members=4))
    assert len(members) == 4 and not reader.complete


def test_encrypted_damaged_and_unsupported_members_are_skipped_and_counted() -> None:
    data = bytearray(make_zip({"open.txt": b"1\n", "locked.txt": b"2\n"}, method=zipfile.ZIP_STORED))
    # set the "encrypted" flag of locked.txt in its local header and its central directory entry
    for signature in (b"PK\x03\x04", b"PK\x01\x02"):
        at = data.find(signature, data.find(signature) + 1)  # the second member's header
        flags = 6 if signature == b"PK\x03\x04" else 8
        data[at + flags] |= 0x01
    members, reader = _read(bytes(data))
    assert list(members) == ["a!open.txt"] and reader.skipped == 1 and not reader.complete
    damaged = make_zip({"x.txt": b"1\n"})[:30] + secrets.token_bytes(200)
    members, reader = _read(damaged)
    assert members == {} and not reader.complete
    truncated_gzip = make_tar({"x.txt": b"hello\n" * 1000}, "w:gz")[:-40]
    members, reader = _read(truncated_gzip)
    assert not reader.complete


@pytest.mark.parametrize("seed", range(60))
def test_corrupted_archives_of_every_kind_never_raise(seed: int) -> None:
    """Hostile bytes: a valid archive of each kind with bytes flipped, cut short or both, read to the end.
    Whatever comes out, nothing escapes but members and the "read partly" verdict."""
    rng = random.Random(seed)
    files = {f"d{i}/f{i}.txt": rng.randbytes(rng.randrange(0, 3000)) for i in range(4)}
    files["n/inner.zip"] = make_zip({"x.env": b"A=1\n" * 50})
    kinds = [
        make_zip(files),
        make_zip(files, method=zipfile.ZIP_STORED),
        make_tar(files),
        make_tar(files, "w:gz"),
        _zstd("test").compress(make_tar(files)),
        bz2.compress(make_tar(files)),
        lzma.compress(make_tar(files)),
        gzip.compress(b"".join(files.values())),
        lzma.compress(b"".join(files.values())),
    ]
    for data in kinds:
        damaged = bytearray(data)
        for _ in range(rng.randrange(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.5:
            del damaged[rng.randrange(1, len(damaged)) :]
        members, _ = _read(bytes(damaged), ArchiveLimits(unpacked=1 << 22))
        assert all(path.startswith("a!") for path in members)


def test_a_zstd_archive_without_the_zstd_module_is_said_to_be_read_partly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autoaudit_secrets._errors import ImageError
    from autoaudit_secrets.scan.sources import _image_tar

    data = _zstd("test").compress(make_tar({"a.env": b"K=v\n"}))

    def missing(label: str) -> None:
        raise ImageError(f"{label}: zstd-compressed, and backports.zstd is missing")

    monkeypatch.setattr(_image_tar, "_zstd", missing)
    members, reader = _read(data)
    assert members == {} and not reader.complete


def test_binary_members_are_not_unpacked_beyond_what_tells_them_binary() -> None:
    """A member that starts with a NUL byte (an image, a bomb of zeros) is binary after its first 512 bytes,
    as the tree scan judges a file; a compiled class or another binary format is not unpacked at all."""
    zeros = make_zip({"zeros.dat": bytes(100 * 1024 * 1024), "after.txt": b"x\n"})
    members, reader = _read(zeros, ArchiveLimits(unpacked=4 * 1024 * 1024))
    assert members == {"a!zeros.dat": bytes(512), "a!after.txt": b"x\n"}
    assert reader.complete and reader.budget.used < 64 * 1024
    classes = make_zip({f"com/x/C{i}.class": b"\xca\xfe\xba\xbe" + bytes(4000) for i in range(200)})
    members, reader = _read(classes)
    assert len(members) == 200 and reader.budget.used == 0  # (their names still reach the analyzers)
    assert set(members.values()) == {b"\x00"}


def test_a_streamed_archive_is_held_in_memory_then_in_a_temporary_file_up_to_its_limit() -> None:
    limits = ArchiveLimits(nested_size=1000, held_size=10_000)
    data = make_zip({f"m{i}.txt": b"%d\n" % i for i in range(40)})
    assert 1000 < len(data) <= 10_000
    stream = io.BytesIO(data[10:])
    with hold(data[:10], stream.read, None, limits) as held:  # (to the end of the stream)
        assert held is not None and held.read() == data
    stream = io.BytesIO(data[10:])
    held = hold(data[:10], stream.read, len(data), limits)
    assert held is not None
    assert [m.name for m in ArchiveReader("a", limits).members(held)] == [f"m{i}.txt" for i in range(40)]
    held.close()
    small = ArchiveLimits(nested_size=100, held_size=len(data) - 1)
    assert hold(data[:10], io.BytesIO(data[10:]).read, None, small) is None  # larger than it may hold
    assert hold(b"", io.BytesIO(data).read, len(data), small) is None  # (its size told up front)


def test_a_blob_is_held_from_git_and_one_too_large_is_read_past(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    big = make_zip({f"m{i}.txt": secrets.token_hex(64).encode() for i in range(60)})
    small = make_zip({"a.txt": b"a\n"})
    ids = []
    for data in (big, small, big):
        (tmp_path / "blob").write_bytes(data)
        ids.append(git(tmp_path, "hash-object", "-w", "blob").strip())
    limits = ArchiveLimits(nested_size=1024, held_size=len(big) - 1)
    with BlobReader(tmp_path) as blobs:
        assert blobs.hold(ids[0], limits) is None  # too large: read past, and the next answer is in step
        held = blobs.hold(ids[1], limits)
        assert held is not None and held.read() == small
        held.close()
        roomy = ArchiveLimits(nested_size=1024, held_size=len(big))
        held = blobs.hold(ids[2], roomy)  # over nested_size: in a temporary file
        assert held is not None and held.read() == big
        held.close()
        assert blobs.hold("0" * 40, roomy) is None  # missing
        assert blobs.read(ids[1]) == small

"""The run's unpacked total (``--max-unpacked-total``): what all the archives of one run may decompress
together, across worker processes; real archives, real processes."""

from __future__ import annotations

import io
import multiprocessing
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig
from autoaudit_secrets.scan._model import ScanOptions
from autoaudit_secrets.scan.engine._scanner import Scanner
from autoaudit_secrets.scan.sources._archive import ArchiveLimits, ArchiveReader
from autoaudit_secrets.scan.sources._git import GitMode, GitSelection, HistoryOptions, HistoryScan
from autoaudit_secrets.scan.sources._unpacked import UnpackedTotal
from tests.conftest import git, make_zip
from tests.scan.sources.test_image_archives import _image
from tests.scan.sources.test_image_hostile import scan

MEMBER = 64 * 1024  # the decompressed size of each archive below
ARCHIVE = make_zip({"notes.txt": b"k" * (MEMBER - 1) + b"\n"})


def _read(total: UnpackedTotal) -> ArchiveReader:
    reader = ArchiveReader("a.zip", ArchiveLimits(total=total))
    for _ in reader.members(io.BytesIO(ARCHIVE)):
        pass
    return reader


def test_archives_are_read_while_the_total_lasts_then_cut_then_refused() -> None:
    total = UnpackedTotal(2 * MEMBER + MEMBER // 2)
    first, second = _read(total), _read(total)
    assert first.complete and second.complete and total.spent == 2 * MEMBER
    third = _read(total)
    assert not third.complete and third.budget.limit == MEMBER // 2  # cut to what was left of the total
    assert total.left() == 0
    fourth = _read(total)
    assert not fourth.complete and fourth.refused and fourth.count == 0  # not opened at all


def test_no_total_leaves_each_archive_its_own_budget() -> None:
    readers = [ArchiveReader("a.zip", ArchiveLimits(unpacked=MEMBER)) for _ in range(5)]
    for reader in readers:
        assert [m.name for m in reader.members(io.BytesIO(ARCHIVE))] == ["notes.txt"]
    assert all(r.complete for r in readers)


def _charge_in_child(total: UnpackedTotal, count: int) -> None:
    total.charge(count)


@pytest.mark.parametrize(
    "method", sorted({"spawn", *multiprocessing.get_all_start_methods()} & {"fork", "spawn"})
)
def test_worker_processes_charge_one_shared_total(method: str) -> None:
    context = multiprocessing.get_context(method)
    total = UnpackedTotal(1000).share(context)
    total.charge(100)
    children = [context.Process(target=_charge_in_child, args=(total, 200)) for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    assert total.spent == 700 and total.left() == 300


def test_a_tree_scan_s_workers_share_the_total(tmp_path: Path) -> None:
    """Ten archives in ten folders, each with a filler that sends the folders to different chunks of the
    pool. With a total of 3.5 archives, at most 3 archives are read whole in one process and one more per
    other worker; a total per worker would let both workers read up to 3 each."""
    for n in range(10):
        folder = tmp_path / f"d{n}"
        folder.mkdir()
        (folder / "a.zip").write_bytes(ARCHIVE)
        (folder / "filler.txt").write_text("plain text, nothing secret\n" * 45_000)
    scanner = Scanner(ScanConfig())
    alone = scanner.scan(ScanOptions(root=tmp_path, jobs=1, max_unpacked_total=3 * MEMBER + MEMBER // 2))
    assert 10 - alone.stats.archives_incomplete == 3
    pooled = scanner.scan(ScanOptions(root=tmp_path, jobs=2, max_unpacked_total=3 * MEMBER + MEMBER // 2))
    assert 10 - pooled.stats.archives_incomplete <= 4
    unbounded = scanner.scan(ScanOptions(root=tmp_path, jobs=2))
    assert unbounded.stats.archives_incomplete == 0


def test_a_history_s_parts_share_the_total(tmp_path: Path) -> None:
    """Ten commits, each adding an archive; scanned in parts by three worker processes. A total per part
    would read all ten whole."""
    git(tmp_path, "init", "-q", "-b", "main")
    for n in range(10):
        (tmp_path / f"a{n}.zip").write_bytes(ARCHIVE)
        git(tmp_path, "add", "-A")
        git(tmp_path, "commit", "-qm", f"archive {n}")
    scanner = Scanner(ScanConfig())
    settings = HistoryOptions(archive_unpacked_total=3 * MEMBER + MEMBER // 2)
    with HistoryScan(tmp_path, GitSelection(GitMode.ALL), jobs=1) as history:
        _, alone = history.run(scanner, settings)
    assert alone.archives_incomplete == 7
    with HistoryScan(tmp_path, GitSelection(GitMode.ALL), jobs=3, min_part=1) as history:
        _, parts = history.run(scanner, settings)
    assert 10 - parts.archives_incomplete <= 3 + 2
    with HistoryScan(tmp_path, GitSelection(GitMode.ALL), jobs=3, min_part=1) as history:
        _, unbounded = history.run(scanner, HistoryOptions())
    assert unbounded.archives_incomplete == 0


def test_an_image_s_archives_share_the_total(tmp_path: Path) -> None:
    layer = [(f"opt/a{n}.zip", ARCHIVE, "file") for n in range(6)]
    image = _image(tmp_path, layer)
    scanner = Scanner(ScanConfig())
    bounded = scan(scanner, image, archive_unpacked_total=2 * MEMBER)
    assert bounded.stats.archives_incomplete == 4
    assert scan(scanner, image).stats.archives_incomplete == 0

"""What a merge commit adds of its own, for ``check-secrets git``, without asking git for combined diffs.

A line counts as added by a merge only when it is in none of its parents' versions of the file: a line
written while resolving the merge (an "evil merge"). Lines inherited from a parent were reported at the commit
that introduced them on that side.

``git log --merges --raw --cc`` lists, per merge, the files whose merged version differs from *every*
parent's (with the blob ids of all of them) without working out any diff: it is cheap. For those files, the
lines of the merged version are compared, as a set, with the lines of the parents' versions, read from
``git cat-file``. (Asking ``git log -p --cc`` for the combined diffs costs git a sixth of a whole history's
patches on a history of many merged pull requests, for a few hundred files; reading the versions and
comparing their lines costs a fraction.) A line that a parent has elsewhere in the file is not new: moving a
line is not writing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._model import CommitInfo
from ._patch import _COMMIT_MARK, _NULL_SHA, CommitChanges, FileChange, _parse_commit_line, _unquote_path

__all__ = ["MergeFile", "MergeFiles", "merge_changes", "merge_lines", "parse_merge_listing"]

_BINARY_PROBE = 8000  # as git: a NUL byte in the first 8,000 bytes makes a file binary


@dataclass(frozen=True, slots=True)
class MergeFile:
    """One file whose merged version differs from every parent's version."""

    path: str
    blob: str
    parent_blobs: tuple[str, ...]  # the versions of the parents that have the file (null ids left out)


@dataclass(frozen=True, slots=True)
class MergeFiles:
    """A merge commit and the files it changes relative to every parent."""

    commit: CommitInfo
    parents: int
    files: tuple[MergeFile, ...]


def parse_merge_listing(data: bytes) -> dict[str, MergeFiles]:
    """Read ``git log --merges --raw --cc --no-renames --no-abbrev`` output whose commit headers are written
    as ``\\x01<sha> <parent>...\\x1f<author email>\\x1f<ISO date>``: the merges that list at least one file
    (those that list none change nothing of their own), by commit id. Deleted files and submodule entries
    are left out (a merge that only has those still counts)."""
    merges: dict[str, MergeFiles] = {}
    commit: CommitInfo | None = None
    parents = 0
    files: list[MergeFile] = []
    listed = False

    def close() -> None:
        if commit is not None and listed:
            merges[commit.sha] = MergeFiles(commit, parents, tuple(files))

    for line in data.split(b"\n"):
        if line.startswith(_COMMIT_MARK):
            close()
            commit, parents = _parse_commit_line(line)
            files, listed = [], False
        elif line.startswith(b"::") and commit is not None:
            listed = True
            meta, tab, raw_path = line.partition(b"\t")
            fields = meta[parents:].split()  # ":" per parent, then modes, ids and the status letters
            if not tab or len(fields) < 2 * (parents + 1):
                continue
            modes, ids = fields[: parents + 1], fields[parents + 1 : 2 * (parents + 1)]
            blob = ids[-1].decode("ascii", "replace")
            if blob in _NULL_SHA or modes[-1] == b"160000":  # deleted by the merge, or a submodule
                continue
            olds = tuple(
                sha
                for mode, raw in zip(modes[:-1], ids[:-1], strict=True)
                if (sha := raw.decode("ascii", "replace")) not in _NULL_SHA and mode != b"160000"
            )
            files.append(MergeFile(_unquote_path(raw_path), blob, olds))
    close()
    return merges


def _same_head(a: bytes, b: bytes) -> int:
    """How many bytes of whole lines ``a`` and ``b`` begin with alike."""
    n = min(len(a), len(b))
    view = memoryview(b)
    if a.startswith(view[:n]):
        if len(a) == len(b):
            return n
        same = n
    else:  # alike over `same` bytes, not over `unlike` (halved until they meet; compared in place)
        same, unlike = 0, n
        while unlike - same > 1:
            mid = (same + unlike) // 2
            if a.startswith(view[same:mid], same):
                same = mid
            else:
                unlike = mid
    return a.rfind(b"\n", 0, same) + 1


def _same_tail(a: bytes, b: bytes, most: int) -> int:
    """How many bytes of whole lines ``a`` and ``b`` end with alike, at most ``most``."""
    la, lb = len(a), len(b)
    view = memoryview(b)
    if a.endswith(view[lb - most :]):
        size = most
    else:  # alike over the last `size` bytes, not over the last `unlike`
        size, unlike = 0, most
        while unlike - size > 1:
            mid = (size + unlike) // 2
            if a.endswith(view[lb - mid : lb - size], 0, la - size):
                size = mid
            else:
                unlike = mid
    if size == 0:
        return 0
    start_a, start_b = la - size, lb - size
    if (start_a == 0 or a[start_a - 1] == 10) and (start_b == 0 or b[start_b - 1] == 10):
        return size
    newline = a.find(b"\n", start_a)  # the tail begins with the next whole line
    return 0 if newline < 0 else la - newline - 1


def merge_lines(merged: bytes, parents: Sequence[bytes]) -> tuple[set[int], bytes]:
    """The 1-based numbers of the lines of ``merged`` that are new to every parent version, and those lines,
    each ended by a newline (as a patch's added text).

    Against each parent, the lines the two versions begin and end with alike are set aside: a line of the
    merged version is new only when it lies in the part that differs from every parent, and no parent has
    it in the part of its own that differs (a line moved is not a line written)."""
    start, end = 0, len(merged)
    alike: list[tuple[int, int]] = []
    for parent in parents:
        head = _same_head(merged, parent)
        tail = _same_tail(merged, parent, min(len(merged), len(parent)) - head)
        start, end = max(start, head), min(end, len(merged) - tail)
        if start >= end:
            return set(), b""  # every line of the merged version is where some parent has it
        alike.append((head, tail))
    known: set[bytes] = set()
    for parent, (head, tail) in zip(parents, alike, strict=True):
        differs = parent[head : len(parent) - tail].split(b"\n")
        if differs[-1] == b"":
            differs.pop()  # what follows the last newline is not a line
        known.update(differs)
    lines = merged[start:end].split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    first = merged.count(b"\n", 0, start) + 1
    numbers = [n for n, line in enumerate(lines, first) if line not in known]
    if not numbers:
        return set(), b""
    return set(numbers), b"\n".join([lines[n - first] for n in numbers]) + b"\n"


def merge_changes(merge: MergeFiles, read: Callable[[str], bytes | None]) -> CommitChanges:
    """The :class:`CommitChanges` of a merge: per listed file, the lines new to every parent. ``read`` gives
    a blob's contents (None: unreadable, left out)."""
    out: list[FileChange] = []
    for file in merge.files:
        data = read(file.blob)
        if data is None:
            continue
        new_file = not file.parent_blobs
        if b"\0" in data[:_BINARY_PROBE]:
            out.append(FileChange(file.path, file.blob, frozenset(), b"", True, new_file, file.parent_blobs))
            continue
        olds = [old for blob in file.parent_blobs if (old := read(blob)) is not None]
        if len(olds) < len(file.parent_blobs):
            olds = []  # a parent's version unreadable: every line of the merged one is looked at
        numbers, text = merge_lines(data, olds)
        if numbers:
            out.append(FileChange(file.path, file.blob, numbers, text, False, new_file, file.parent_blobs))
    return CommitChanges(merge.commit, tuple(out), merge.parents)

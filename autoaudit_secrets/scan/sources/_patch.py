"""``git log -p -U0`` and ``git diff -U0`` output as :class:`CommitChanges`, for ``check-secrets git``.

The output is read as raw byte chunks, not as a list of lines: the structural parts are matched by compiled
expressions over the chunk, so the work done in Python is per commit, per file and per hunk, not per line.

* a commit starts with its header line, ``\\x01<sha> <parent>...\\x1f<author email>\\x1f<ISO date>``;
* a file section starts with ``diff --git``; its usual header
  (``index``, ``---``, ``+++`` and a ``new file mode`` or ``deleted file mode`` line) is one match, anything
  else (renames, mode changes, binary files, quoted paths) is read a line at a time;
* with ``-U0`` a plain hunk is its removed lines, then its added lines (each may be followed by a ``\\ No
  newline at end of file`` line): one match gives both, checked against the hunk header's counts — lines are
  only ever recognised by those counts (a removed ``--- x`` or an added ``+++ y`` line is content, never a
  header). Should the counts disagree with what the match found, the hunk is read by its counts alone. A
  hunk's added text is a slice of the chunk without the ``+`` prefixes; its line numbers come from its header,
  and so does the place of a hunk that only removes lines (``+c,0``: after new line ``c``).

Merges are not read from patches (git writes none for them without ``--cc``): see :mod:`._merges`.

A part that a chunk boundary may have cut (a header line, a hunk that ends where the chunk ends) waits for the
next chunk; the result is the same whatever the chunk sizes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from ..._errors import ScanError
from .._model import CommitInfo

__all__ = ["CommitChanges", "FileChange", "LineRanges", "parse_chunks", "parse_patch"]

_NULL_SHA = frozenset({"0" * 40, "0" * 64})
_COMMIT_MARK = b"\x01"
_FIELD_SEP = "\x1f"
# The git log option that writes each commit's header as this parser reads it (see _parse_commit_line).
_COMMIT_FORMAT = f"--format={_COMMIT_MARK.decode()}%H %P{_FIELD_SEP}%ae{_FIELD_SEP}%aI"
_MAX_FILES_PER_ITEM = 256


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file as changed by one commit (or by the index)."""

    path: str  # "/"-separated, relative to the repository root
    blob: str | None  # the new blob id; None when git did not show one
    added: AbstractSet[int]  # 1-based line numbers, in the new version, that the change added
    added_text: bytes = b""  # those lines in ascending order, each ended by a newline
    binary: bool = False
    new_file: bool = False
    # the blob ids of the version(s) before the change (one per parent of a merge; empty for a new file)
    old_blobs: tuple[str, ...] = ()
    old_path: str | None = None  # the path before the change when it differs (a rename)
    # where the change only removed lines: per hunk that adds none, the new line they stood after (0: at the
    # top), ascending. What an analyzer reads around them may mean something else now (a YAML key moved under
    # another parent, a Dockerfile line joined to the instruction above it, an allow comment gone)
    removed_after: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CommitChanges:
    """The changed files of one commit; ``commit`` is None for the staged changes (not yet a commit). A
    commit that changes very many files comes as several consecutive items with the same ``commit``."""

    commit: CommitInfo | None
    files: tuple[FileChange, ...]
    parents: int = 1


# ------------------------------------------------------------------------------------------- header fields


def _unquote_path(raw: bytes) -> str:
    """Decode a path as git prints it in a diff header: plain, or C-quoted when it has special characters."""
    if raw[:1] == b'"' and len(raw) >= 2 and raw.endswith(b'"'):
        body = raw[1:-1]
        out = bytearray()
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == 0x5C and i + 1 < len(body):  # backslash escape
                nxt = body[i + 1]
                if 0x30 <= nxt <= 0x37 and i + 4 <= len(body):
                    out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                    i += 4
                    continue
                out.append(_C_ESCAPES.get(nxt, nxt))
                i += 2
                continue
            out.append(ch)
            i += 1
        raw = bytes(out)
    # As the walker names files (os.fsdecode): a name that is not UTF-8 keeps its bytes as lone surrogates, so
    # fingerprints and baselines match between `scan` and `git`, and reports can give back the exact name.
    return raw.decode("utf-8", errors="surrogateescape")


_C_ESCAPES = {ord("n"): 10, ord("t"): 9, ord("r"): 13, ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("v"): 11}


def _header_path(line: bytes) -> str:
    """The new path from ``diff --git a/x b/y`` (used when no ``+++`` line follows)."""
    rest = line[len(b"diff --git ") :]
    if rest.startswith(b'"') or rest.endswith(b'"'):
        start = rest.rfind(b' "')
        second = rest[start + 1 :] if start >= 0 else rest
        return _unquote_path(second).removeprefix("b/")
    half = (len(rest) - 1) // 2  # "a/x b/x": both halves have the same length when the path did not change
    if rest[half : half + 3] == b" b/":
        return _unquote_path(rest[half + 3 :])
    idx = rest.rfind(b" b/")
    return _unquote_path(rest[idx + 3 :]) if idx >= 0 else ""


def _parse_commit_line(line: bytes) -> tuple[CommitInfo, int]:
    text = line[1:].decode("utf-8", errors="replace")
    head, _, rest = text.partition(_FIELD_SEP)
    email, _, date = rest.partition(_FIELD_SEP)
    shas = head.split()
    if not shas:
        raise ScanError("unexpected output from git log (no commit id)")
    return CommitInfo(shas[0], email, date.strip()), len(shas) - 1


def _old_blobs(pre: bytes) -> tuple[str, ...]:
    """The blob id before ``..`` in an ``index`` line, unless it is missing or the null id."""
    blob = pre.decode("ascii", errors="replace")
    return () if not blob or blob in _NULL_SHA else (blob,)


class LineRanges(AbstractSet[int]):
    """Line numbers kept as ascending runs ``(first, count)``, as a patch's hunks add them: most files' added
    lines are never looked at one by one (no token candidate, no format check), so no set of every number is
    built for them."""

    __slots__ = ("_runs", "_starts")

    def __init__(self, runs: list[tuple[int, int]]) -> None:
        self._runs = runs  # not overlapping (git writes a file's hunks in order: sorted once, when asked)
        self._starts: list[int] | None = None

    def _first_lines(self) -> list[int]:
        starts = self._starts
        if starts is None:
            self._runs.sort()
            starts = self._starts = [first for first, _ in self._runs]
        return starts

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, int):
            return False
        starts = self._first_lines()
        index = bisect.bisect_right(starts, number) - 1
        if index < 0:
            return False
        first, count = self._runs[index]
        return number < first + count

    def __iter__(self) -> Iterator[int]:
        self._first_lines()
        for first, count in self._runs:
            yield from range(first, first + count)

    def __len__(self) -> int:
        return sum(count for _, count in self._runs)

    def __bool__(self) -> bool:
        return bool(self._runs)

    def __repr__(self) -> str:
        return f"LineRanges({self._runs!r})"


# ----------------------------------------------------------------------------------------------- the parser


class _FileBuilder:
    """One file section being read. ``parts``: each hunk's added lines, without their ``+``, each ended by a
    newline; ``removed``: see :attr:`FileChange.removed_after`."""

    __slots__ = (
        "added",
        "binary",
        "blob",
        "deleted",
        "header",
        "new_file",
        "old_blobs",
        "old_path",
        "parts",
        "path",
        "removed",
    )

    def __init__(
        self,
        header: bytes,
        *,
        path: str | None = None,
        old_path: str | None = None,
        blob: str | None = None,
        old_blobs: tuple[str, ...] = (),
        new_file: bool = False,
        deleted: bool = False,
    ) -> None:
        self.header = header
        self.path = path
        self.old_path = old_path
        self.blob = blob
        self.old_blobs = old_blobs
        self.new_file = new_file
        self.deleted = deleted
        self.binary = False
        self.added: list[tuple[int, int]] = []  # (first line, count) per hunk that adds lines
        self.parts: list[bytes] = []
        self.removed: list[int] = []

    def build(self) -> FileChange | None:
        if self.deleted or not (self.added or self.binary or self.removed):
            return None
        path = self.path or _header_path(self.header)  # binary files have no "+++" line
        if not path:
            return None
        parts = self.parts
        text = parts[0] if len(parts) == 1 else b"".join(parts)
        return FileChange(
            path,
            self.blob,
            LineRanges(self.added),
            text,
            self.binary,
            self.new_file,
            () if self.new_file else self.old_blobs,
            self.old_path if self.old_path != path else None,
            tuple(self.removed),
        )


# (Possessive quantifiers: nothing is ever given back, so the engine keeps no backtracking state per line.)
# The usual header of a file section: [new|deleted file mode], index, and the ---/+++ pair (a binary file, a
# mode change or a rename has other lines: those are read one at a time).
_FILE = re.compile(
    rb"(diff --git [^\n]*+)\n"
    rb"(?:(new|deleted) file mode ([0-7]++)\n)?+"
    rb"index ([0-9a-f]++)\.\.([0-9a-f]++)(?: ([0-7]++))?+\n"
    rb"(?:--- ([^\n]*+)\n\+\+\+ ([^\n]*+)\n)?+"
)
# A plain hunk: its header's counts, then its removed lines, then its added lines (each run may be followed by
# a "\ No newline at end of file" line). Whether the runs hold the numbers of lines the header says is
# checked: content lines are only recognised by the counts.
_HUNK = re.compile(
    rb"@@ -\d++(?:,(\d++))?+ \+(\d++)(?:,(\d++))?+ @@.*+\n"
    rb"((?:-.*+\n)*+)(\\.*+\n)?+"
    rb"((?:\+.*+\n)*+)(?:\\.*+\n)?+"
)
_MORE = -1  # what a reader returns when the part it reads may go on in the next chunk


class _Parser:
    """The state of one patch stream: the commit being read, its files, the file section being read."""

    def __init__(self, staged: bool) -> None:
        self.staged = staged
        self.started = staged
        self.commit: CommitInfo | None = None
        self.parents = 1
        self.files: list[FileChange] = []
        self.current: _FileBuilder | None = None
        self.out: list[CommitChanges] = []  # finished items, handed over after each chunk

    # -------------------------------------------------------------------------------------- commits, files

    def flush(self) -> None:
        current = self.current
        if current is not None:
            if not current.deleted and (current.added or current.binary or current.removed):
                built = current.build()
                if built is not None:
                    self.files.append(built)
            self.current = None

    def start_commit(self, line: bytes) -> None:
        self.flush()
        if self.started and (self.commit is not None or self.staged):
            self.out.append(CommitChanges(self.commit, tuple(self.files), self.parents))
        self.files = []
        self.commit, self.parents = _parse_commit_line(line)
        self.started = True

    def start_file(self, current: _FileBuilder) -> None:
        self.flush()
        if len(self.files) >= _MAX_FILES_PER_ITEM and (self.commit is not None or self.staged):
            # a huge commit (an initial import) is handed over in parts: memory stays bounded
            self.out.append(CommitChanges(self.commit, tuple(self.files), self.parents))
            self.files = []
        self.current = current

    def finish(self) -> None:
        self.flush()
        if self.started and (self.commit is not None or self.staged):
            self.out.append(CommitChanges(self.commit, tuple(self.files), self.parents))

    # ------------------------------------------------------------------------------------------ the text

    def parse(self, data: bytes, pos: int, limit: int, final: bool) -> int:
        """Read ``data[pos:limit]`` (whole lines); returns where reading stopped: ``limit``, or the start of
        a part that may go on past ``limit`` when more output is to come (not ``final``)."""
        file_match = _FILE.match
        hunk_match = _HUNK.match
        find = data.find
        while pos < limit:
            first = data[pos]
            if first == 0x40:  # "@": a hunk
                current = self.current
                if current is None:
                    pos = find(b"\n", pos) + 1
                    continue
                numbers = current.added
                parts = current.parts
                removed_after = current.removed
                while True:  # the file's hunks, one after the other
                    m = hunk_match(data, pos, limit)
                    if m is None:  # not a hunk header: ignored
                        pos = find(b"\n", pos) + 1
                        break
                    end = m.end()
                    if end == limit and not final:
                        return pos  # more lines of this hunk may follow
                    removed_n, start, added_n, removed, no_newline, added = m.groups()
                    try:
                        n_removed = int(removed_n) if removed_n else 1
                        n_added = int(added_n) if added_n else 1
                        first_line = int(start)
                    except ValueError:  # a number too long for int(): not a hunk header git writes
                        pos = find(b"\n", pos) + 1
                        break
                    # (every line of `added` starts with "+": one "+" goes per line)
                    text = added[1:].replace(b"\n+", b"\n")
                    if (
                        len(text) == len(added) - n_added
                        and removed.count(b"\n") == n_removed
                        and (n_removed or no_newline is None)
                    ):
                        if n_added:
                            numbers.append((first_line, n_added))
                            parts.append(text)
                        pos = end
                    else:
                        end = self.counted_hunk(
                            current, data, pos, limit, final, n_removed, first_line, n_added
                        )
                        if end == _MORE:
                            return pos
                        pos = end
                    if n_removed and not n_added:
                        removed_after.append(first_line)  # (git numbers such a hunk by the line before it)
                    if pos >= limit or data[pos] != 0x40:
                        break
            elif first == 0x01:  # a commit
                end = find(b"\n", pos)
                self.start_commit(data[pos:end])
                pos = end + 1
                if pos < limit and data[pos] == 0x0A:
                    pos += 1  # the empty line after it
            elif first == 0x64 and (m := file_match(data, pos, limit)) is not None:  # "d": diff --git
                header, change, mode, pre, post, index_mode, minus, plus = m.groups()
                post_id = post.decode("ascii")
                current = _FileBuilder(
                    header,
                    blob=None if post_id in _NULL_SHA else post_id,
                    old_blobs=_old_blobs(pre),
                    new_file=change == b"new",
                    # a deleted file, or a submodule commit (not a file)
                    deleted=change == b"deleted" or mode == b"160000" or index_mode == b"160000",
                )
                self.start_file(current)
                if plus is not None:
                    if minus[2:] == plus[2:] and minus[:2] == b"a/" and plus[:2] == b"b/":
                        # the usual case: the path is not quoted and did not change
                        current.path = current.old_path = (
                            plus[2:].rstrip(b"\t").decode("utf-8", errors="surrogateescape")
                        )
                    else:
                        self.minus_line(current, minus)
                        self.plus_line(current, plus)
                pos = m.end()
            else:
                end = find(b"\n", pos)
                self.line(data[pos:end])
                pos = end + 1
        return pos

    def line(self, line: bytes) -> None:
        """A line outside the hunks, alone."""
        first = line[:1]
        current = self.current
        if first == b"-":
            if current is not None and current.path is None and line.startswith(b"--- "):
                self.minus_line(current, line[4:])
            # the new path comes from "+++"
        elif first == b"d":
            if line.startswith(b"diff --git "):
                self.start_file(_FileBuilder(line))
            elif current is not None and line.startswith(b"deleted file mode"):
                current.deleted = True
        elif first == b"\x01":
            self.start_commit(line)
        elif current is None:
            return
        elif first == b"i" and line.startswith(b"index "):
            spec, _, mode = line[6:].partition(b" ")
            pre, _, post_bytes = spec.partition(b"..")
            post = post_bytes.decode("ascii", errors="replace")
            current.blob = None if post in _NULL_SHA else post
            current.old_blobs = _old_blobs(pre)
            if mode == b"160000":
                current.deleted = True  # a submodule commit, not a file
        elif first == b"+" and line.startswith(b"+++ "):
            self.plus_line(current, line[4:])
        elif first == b"n" and line.startswith(b"new file mode"):
            current.new_file = True
            if line.endswith(b" 160000"):
                current.deleted = True
        elif first == b"B" and line.startswith(b"Binary files ") and line.endswith(b" differ"):
            current.binary = True
            if line.endswith(b" and /dev/null differ"):
                current.deleted = True

    @staticmethod
    def minus_line(current: _FileBuilder, source: bytes) -> None:
        source = source.rstrip(b"\t")
        if source != b"/dev/null":
            current.old_path = _unquote_path(source).removeprefix("a/")

    @staticmethod
    def plus_line(current: _FileBuilder, target: bytes) -> None:
        target = target.rstrip(b"\t")
        if target == b"/dev/null":
            current.deleted = True
        else:
            current.path = _unquote_path(target).removeprefix("b/")

    # ----------------------------------------------------------------------------------- hunks, line by line

    @staticmethod
    def counted_hunk(
        current: _FileBuilder,
        data: bytes,
        pos: int,
        limit: int,
        final: bool,
        n_removed: int,
        first_line: int,
        n_added: int,
    ) -> int:
        """A plain hunk whose lines disagree with its header: its lines taken by the header's counts alone
        (the removed lines, a ``\\`` line, the added lines, a ``\\`` line), whatever they hold. Returns where
        the hunk ends, or :data:`_MORE`."""
        find = data.find
        at = find(b"\n", pos) + 1
        for _ in range(n_removed):
            if at >= limit:
                if not final:
                    return _MORE
                break
            at = find(b"\n", at) + 1
        if n_removed:
            if at >= limit and not final:
                return _MORE
            if data[at : at + 1] == b"\\" and at < limit:
                at = find(b"\n", at) + 1
        if not n_added:
            return at
        begin = at
        taken = 0
        while taken < n_added:
            if at >= limit:
                if not final:
                    return _MORE
                break
            at = find(b"\n", at) + 1
            taken += 1
        if at >= limit and not final:
            return _MORE
        if taken:  # (at the end of a truncated output, only the lines there count)
            current.parts.append(data[begin : at - 1][1:].replace(b"\n+", b"\n") + b"\n")
            current.added.append((first_line, taken))
        if at < limit and data[at : at + 1] == b"\\":
            at = find(b"\n", at) + 1
        return at


def parse_chunks(chunks: Iterable[bytes], *, staged: bool = False) -> Iterator[CommitChanges]:
    """Turn ``git log -p -U0 --full-index`` output — commit headers written as ``\\x01<sha>
    <parent>...\\x1f<author email>\\x1f<ISO date>`` — or ``git diff -U0 --full-index`` output
    (``staged=True``: one :class:`CommitChanges` with ``commit=None``) into :class:`CommitChanges`, one per
    commit. ``chunks`` are the output as read, cut anywhere; a last line without its newline counts.

    Deleted files and changes that neither add nor remove a line (pure renames, mode changes) are left out; a
    change that only removes lines is kept (no added line, its ``removed_after`` places) for the analyzers;
    binary files are kept (flagged) so that checks by file name can still see them; submodule entries are left
    out."""
    parser = _Parser(staged)
    data = b""
    waiting = 0  # bytes left unread by the last pass: read again only with at least as many new ones
    for chunk in chunks:
        if not chunk:
            continue
        data = data + chunk if data else chunk
        if waiting and len(data) < 2 * waiting:
            continue  # a long hunk across chunks: reading it again with each chunk would cost O(n²)
        limit = data.rfind(b"\n") + 1
        pos = parser.parse(data, 0, limit, False)
        data = data[pos:]
        waiting = len(data) if pos < limit else 0
        if parser.out:
            yield from parser.out
            parser.out.clear()
    if data:
        if not data.endswith(b"\n"):
            data += b"\n"
        parser.parse(data, 0, len(data), True)
    parser.finish()
    yield from parser.out


def parse_patch(lines: Iterable[bytes], *, staged: bool = False) -> Iterator[CommitChanges]:
    """:func:`parse_chunks` for output given as lines without their newline."""
    data = b"\n".join(lines)
    return parse_chunks([data + b"\n"] if data else [], staged=staged)

"""Git history and index as a stream of added lines, for ``check-secrets git``.

Everything goes through the ``git`` command line, streamed; nothing of the history is held in memory beyond a
bounded read-ahead buffer:

* one ``git log -p -U0`` (or ``git diff --cached -U0``) pipe gives, per commit (oldest first, parents before
  children), each changed file's path, its new blob id, the line numbers the commit added and their text. A
  reader thread starts it before the rules are loaded, so git works on the other core meanwhile;
* the added text goes through the matcher's byte-level prefilter: most files stop there;
* for the few that may hold a token — and for files a format-aware analyzer reads (Dockerfiles, compose
  files, CI workflows, ``.env``) — one ``git cat-file --batch`` process hands out the file as of the commit,
  the engine scans it whole, and only findings on the added lines are kept.

Merge commits are read as dense combined diffs (``--cc``): a line counts as added by a merge only when it is
new relative to *every* parent — a line written while resolving the merge. Lines inherited from a parent
were reported at the commit that introduced them on that side. Renames are detected (``-M``): a moved file
is compared with its source, so only its edited lines count.

Each secret is reported once per run, at the first commit that added it: the deduplication key is ``(rule
id, secret value)`` — the same secret copied to a second file is the same leak — and, for findings that carry
no value (a Dockerfile practice, a file sensitive by its name), ``(rule id, path)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
import queue
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from ..._errors import ScanError, UsageError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
from .._model import CommitInfo, Finding, ScanStats

__all__ = [
    "BlobReader",
    "ChangeStream",
    "CommitChanges",
    "DocumentScanner",
    "FileChange",
    "GitMode",
    "GitProgress",
    "GitScanOptions",
    "GitSelection",
    "dedupe_key",
    "find_repo_root",
    "iter_changes",
    "parse_patch",
    "resolve_revisions",
    "scan_changes",
]

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_NULL_SHA = frozenset({"0" * 40, "0" * 64})
_COMMIT_MARK = b"\x01"
_FIELD_SEP = "\x1f"

# Options that make the output independent of the user's git configuration.
_GIT_CONFIG = (
    "-c", "core.quotePath=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "log.showSignature=false",
    "-c", "diff.relative=false",
    "-c", "diff.suppressBlankEmpty=false",
    # git log writes metadata in i18n.logOutputEncoding, which defaults to a repository's i18n.commitEncoding
    # (Latin-1 in old repositories): we decode UTF-8.
    "-c", "i18n.logOutputEncoding=UTF-8",
)  # fmt: skip
_PATCH_OPTIONS = (
    "-p",
    "-U0",
    "--full-index",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--no-relative",
    "-M",
)
_READ_AHEAD = 64 * 1024 * 1024  # bytes of git output buffered ahead of the scan, at most


class GitMode(enum.Enum):
    """Which changes ``check-secrets git`` reads."""

    STAGED = "staged"  # the index vs HEAD (vs the empty tree before the first commit): pre-commit
    SINCE = "since"  # commits after REF up to HEAD: a pull request
    RANGE = "range"  # an ``A..B`` (or ``A...B``) revision range
    ALL = "all"  # every commit reachable from any ref


@dataclass(frozen=True, slots=True)
class GitSelection:
    """The mode plus its argument (the REF of ``--since``, the range of ``--range``)."""

    mode: GitMode
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file as changed by one commit (or by the index)."""

    path: str  # "/"-separated, relative to the repository root
    blob: str | None  # the new blob id; None when git did not show one
    added: AbstractSet[int]  # 1-based line numbers, in the new version, that the change added
    added_text: bytes = b""  # those lines, newline-separated (for the prefilter)
    binary: bool = False
    new_file: bool = False


@dataclass(frozen=True, slots=True)
class CommitChanges:
    """The changed files of one commit; ``commit`` is None for the staged changes (not yet a commit). A
    commit that changes very many files comes as several consecutive items with the same ``commit``."""

    commit: CommitInfo | None
    files: tuple[FileChange, ...]
    parents: int = 1


class DocumentScanner(Protocol):
    """What git modes need from the engine: scan one document, keeping findings on some lines."""

    def scan_document(
        self, relpath: str, text: str, *, lines: AbstractSet[int] | None = None
    ) -> list[Finding]: ...


GitProgress = Callable[[int, int], None]  # (commits read, files scanned)


# ----------------------------------------------------------------------------------------- running git


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # Never let a terminal pager, an editor or a credential prompt get involved; keep messages in English.
    env.update({"GIT_PAGER": "cat", "PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    env.pop("GIT_EXTERNAL_DIFF", None)
    return env


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "git failed"


def _run_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *_GIT_CONFIG, *args],
            cwd=root,
            env=_git_env(),
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except FileNotFoundError:
        raise ScanError("git is not installed (no 'git' on PATH)") from None
    except NotADirectoryError:
        raise ScanError(f"not a directory: {root}") from None


def find_repo_root(path: Path) -> Path:
    """The top folder of the work tree containing ``path``; :class:`ScanError` outside a repository."""
    if not path.is_dir():
        raise ScanError(f"not a directory: {path}")
    proc = _run_git(path, "rev-parse", "--show-toplevel")
    if proc.returncode != 0 or not proc.stdout.strip():
        raise ScanError(f"not a git repository: {path}")
    return Path(proc.stdout.strip())


def _has_head(root: Path) -> bool:
    return _run_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode == 0


def _verify_commit(root: Path, ref: str) -> str:
    if not ref or ref.startswith("-") or any(c in ref for c in "\n\r\0"):
        raise UsageError(f"not a valid git revision: {ref!r}")
    proc = _run_git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if proc.returncode != 0:
        hint = ""
        if _run_git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true":
            hint = " (this is a shallow clone: fetch the history, e.g. actions/checkout with fetch-depth: 0)"
        from .._config import printable

        raise ScanError(f"unknown git revision: {printable(ref, 200)}{hint}")
    return proc.stdout.strip()


def resolve_revisions(root: Path, selection: GitSelection) -> list[str]:
    """The ``git log`` revision arguments for a history mode, every named commit checked first.

    Raises :class:`ScanError` for a revision git does not know and :class:`UsageError` for a malformed one."""
    if selection.mode is GitMode.ALL:
        return ["--all"]
    if selection.mode is GitMode.STAGED:
        return []
    ref = selection.ref or ""
    if selection.mode is GitMode.SINCE:
        base = _verify_commit(root, ref)
        if not _has_head(root):
            raise ScanError("the repository has no commits (HEAD does not point to a commit)")
        return [f"{base}..HEAD"]
    # RANGE
    sep = "..." if "..." in ref else ".."
    left, found, right = ref.partition(sep)
    if not found:
        raise UsageError(f"--range expects A..B, got {ref!r}")
    left_sha = _verify_commit(root, left or "HEAD")
    right_sha = _verify_commit(root, right or "HEAD")
    return [f"{left_sha}{sep}{right_sha}"]


# --------------------------------------------------------------------------------------------- patch parsing


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
    """The new path from ``diff --git a/x b/y`` or ``diff --cc y`` (used when no ``+++`` line follows)."""
    if line.startswith((b"diff --cc ", b"diff --combined ")):
        return _unquote_path(line.split(b" ", 2)[2])
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
    return CommitInfo(sha=shas[0], author_email=email, date=date.strip()), len(shas) - 1


def _plus_range(header: bytes, ncols: int) -> tuple[int, int]:
    """(first line, count) of the new side of a hunk header ``@@ -a,b +c,d @@`` (``@@@ ... @@@`` combined)."""
    parts = header.split(b" ", ncols + 2)
    plus = parts[ncols + 1] if len(parts) > ncols + 1 else b"+0,0"
    start, _, count = plus[1:].partition(b",")
    return int(start), (int(count) if count else 1)


class _FileBuilder:
    __slots__ = ("added", "binary", "blob", "combined", "deleted", "header", "new_file", "path", "text")

    def __init__(self, header: bytes, combined: bool) -> None:
        self.header = header
        self.combined = combined
        self.path: str | None = None
        self.blob: str | None = None
        self.added: set[int] = set()
        self.text: list[bytes] = []
        self.binary = False
        self.deleted = False
        self.new_file = False

    def build(self) -> FileChange | None:
        if self.deleted or not (self.added or self.binary):
            return None
        path = self.path or _header_path(self.header)  # binary files have no "+++" line
        if not path:
            return None
        text = self.text
        return FileChange(
            path,
            self.blob,
            self.added,
            (text[0] if len(text) == 1 else b"\n".join(text)) + b"\n" if text else b"",
            self.binary,
            self.new_file,
        )


def parse_patch(lines: Iterable[bytes], *, staged: bool = False) -> Iterator[CommitChanges]:
    """Turn ``git log -p -U0 --full-index --cc`` output — commit headers written as ``\\x01<sha>
    <parent>...\\x1f<author email>\\x1f<ISO date>`` — or ``git diff -U0 --full-index`` output
    (``staged=True``: one :class:`CommitChanges` with ``commit=None``) into :class:`CommitChanges`, one per
    commit. ``lines`` are the output's lines without their newline.

    Deleted files and changes that add no line (pure renames, mode changes) are left out; binary files are
    kept (flagged) so that checks by file name can still see them; submodule entries are left out."""
    return _parse_chunks(iter([list(lines)]), staged=staged)


class _Lines:
    """The output's lines, a chunk at a time, with look-ahead across chunk boundaries."""

    __slots__ = ("buf", "chunks", "pos")

    def __init__(self, chunks: Iterator[list[bytes]]) -> None:
        self.chunks = chunks
        self.buf: list[bytes] = []
        self.pos = 0

    def fill(self, need: int) -> bool:
        """Make ``buf[pos:pos + need]`` available if the output has that many lines left."""
        while len(self.buf) - self.pos < need:
            chunk = next(self.chunks, None)
            if chunk is None:
                return len(self.buf) > self.pos
            self.buf = self.buf[self.pos :] + chunk if self.pos < len(self.buf) else chunk
            self.pos = 0
        return True


_MAX_FILES_PER_ITEM = 256
_HUNK = re.compile(rb"@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _parse_chunks(chunks: Iterator[list[bytes]], *, staged: bool) -> Iterator[CommitChanges]:
    src = _Lines(chunks)
    commit: CommitInfo | None = None
    parents = 1
    files: list[FileChange] = []
    current: _FileBuilder | None = None
    started = staged
    buf: list[bytes] = []
    pos = end = 0
    hunk = _HUNK.match

    def flush() -> None:
        nonlocal current
        if current is not None:
            built = current.build()
            if built is not None:
                files.append(built)
            current = None

    while True:
        if pos >= end:
            src.pos = pos
            if not src.fill(1):
                break
            buf, pos, end = src.buf, src.pos, len(src.buf)
        line = buf[pos]
        pos += 1
        first = line[:1]
        if first == b"-":
            continue  # "--- a/path": the new path comes from "+++"
        if first == b"@":
            if current is None:
                continue
            src.pos = pos
            m = hunk(line)
            if current.combined or m is None:
                if current.combined:
                    _combined_hunk(src, current, line)
            else:
                removed = int(m[1]) if m[1] is not None else 1
                start = int(m[2])
                count = int(m[3]) if m[3] is not None else 1
                src.fill(removed + count + 2)
                buf = src.buf
                at = src.pos + removed
                if removed and at < len(buf) and buf[at][:1] == b"\\":
                    at += 1  # "\ No newline at end of file" after the removed lines
                if count:
                    block = b"\n".join(buf[at : at + count])
                    current.text.append(block[1:].replace(b"\n+", b"\n"))
                    current.added.update(range(start, start + count))
                    at += count
                    if at < len(buf) and buf[at][:1] == b"\\":
                        at += 1
                src.pos = at
            buf, pos, end = src.buf, src.pos, len(src.buf)
        elif first == b"d":
            if line.startswith(b"diff "):
                flush()
                if len(files) >= _MAX_FILES_PER_ITEM and (commit is not None or staged):
                    # a huge commit (an initial import) is handed over in parts: memory stays bounded
                    yield CommitChanges(commit, tuple(files), parents)
                    files = []
                current = _FileBuilder(line, not line.startswith(b"diff --git "))
            elif current is not None and line.startswith(b"deleted file mode"):
                current.deleted = True
        elif first == b"\x01":
            flush()
            if started and (commit is not None or staged):
                yield CommitChanges(commit, tuple(files), parents)
            files = []
            commit, parents = _parse_commit_line(line)
            started = True
        elif current is None:
            continue
        elif first == b"i" and line.startswith(b"index "):
            spec, _, mode = line[6:].partition(b" ")
            post = spec.partition(b"..")[2].decode("ascii", errors="replace")
            current.blob = None if post in _NULL_SHA else post
            if mode == b"160000":
                current.deleted = True  # a submodule commit, not a file
        elif first == b"+" and line.startswith(b"+++ "):
            target = line[4:].rstrip(b"\t")
            if target == b"/dev/null":
                current.deleted = True
            else:
                current.path = _unquote_path(target).removeprefix("b/")
        elif first == b"n" and line.startswith(b"new file mode"):
            current.new_file = True
            if line.endswith(b" 160000"):
                current.deleted = True
        elif first == b"B" and line.startswith(b"Binary files ") and line.endswith(b" differ"):
            current.binary = True
            if line.endswith(b" and /dev/null differ"):
                current.deleted = True
    flush()
    if started and (commit is not None or staged):
        yield CommitChanges(commit, tuple(files), parents)


def _combined_hunk(src: _Lines, current: _FileBuilder, header: bytes) -> None:
    """Read one hunk of a combined diff: a line is added only when every parent's column says ``+``."""
    ncols = len(header) - len(header.lstrip(b"@")) - 1
    new_line, _ = _plus_range(header, ncols)
    texts: list[bytes] = []
    while src.fill(1):
        line = src.buf[src.pos]
        first = line[:1]
        if first not in (b"+", b"-", b" ", b"\\"):
            break
        src.pos += 1
        if first == b"\\":
            continue
        cols = line[:ncols]
        if b"-" in cols:
            continue
        if cols.count(b"+") == ncols:
            current.added.add(new_line)
            texts.append(line[ncols:])
        new_line += 1
    if texts:
        current.text.append(b"\n".join(texts))


# ----------------------------------------------------------------------------------------- streaming sources


class _GitPipe:
    """A ``git`` process whose output a background thread reads ahead (up to ``_READ_AHEAD`` bytes), so that
    git keeps working while the caller is busy; stderr goes to a temp file (no deadlock)."""

    def __init__(
        self, root: Path, args: Sequence[str], stdin: bytes | None = None, read_ahead: int = _READ_AHEAD
    ) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()/kill()
        self._input = stdin
        try:
            self.proc = subprocess.Popen(
                ["git", *_GIT_CONFIG, *args],
                cwd=root,
                env=_git_env(),
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                bufsize=0,
            )
        except FileNotFoundError:
            self._stderr.close()
            raise ScanError("git is not installed (no 'git' on PATH)") from None
        _widen_pipe(self.proc.stdout)
        self._chunks: queue.Queue[bytes | None] = queue.Queue()
        self._room = threading.Semaphore(max(read_ahead // _CHUNK, 2))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="check-secrets-git-reader", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        try:
            if self._input is not None and self.proc.stdin is not None:
                # git reads every revision from stdin before it writes anything: no deadlock
                with contextlib.suppress(BrokenPipeError):
                    self.proc.stdin.write(self._input)
                self.proc.stdin.close()
            while not self._stop.is_set():
                while not self._room.acquire(timeout=0.1):
                    if self._stop.is_set():
                        return
                chunk = os.read(fd, _CHUNK)
                if not chunk:
                    break
                self._chunks.put(chunk)
        except OSError:
            pass
        finally:
            self._chunks.put(None)

    def line_chunks(self) -> Iterator[list[bytes]]:
        """The output's lines, without their newline, a list per chunk read."""
        rest = b""
        while True:
            chunk = self._chunks.get()
            if chunk is None:
                break
            self._room.release()
            parts = (rest + chunk).split(b"\n")
            rest = parts.pop()
            yield parts
        if rest:
            yield [rest]

    def finish(self) -> None:
        """Wait for git and raise :class:`ScanError` with git's first message line when it failed."""
        self._thread.join()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        code = self.proc.wait()
        self._stderr.seek(0)
        message = self._stderr.read(4096).decode("utf-8", errors="replace")
        self._stderr.close()
        if code != 0:
            raise ScanError(f"git failed: {_first_line(message)}")

    def kill(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.proc.kill()
        self._thread.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc.wait()
        self._stderr.close()


_CHUNK = 1 << 18


def _widen_pipe(stream: IO[bytes] | None) -> None:
    """Let git write up to 1 MiB ahead without blocking (Linux; elsewhere the default pipe size stays): the
    reader thread needs the GIL to drain the pipe, and every stall on a full 64 KiB pipe costs git time."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if stream is None or setsize is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(stream.fileno(), setsize, 1 << 20)


class ChangeStream:
    """The changes of a :class:`GitSelection`, oldest commit first (topological order, parents before
    children), or one :class:`CommitChanges` with ``commit=None`` for the staged changes.

    Creating it checks the revisions and starts git at once (so git runs while the caller prepares);
    iterate it once. Use as a context manager, or call :meth:`close`, to stop git early. Histories of at
    least ``2 * min_shard`` commits are read by up to ``jobs`` git processes in parallel (0: one per CPU
    but one, at most 4), each producing the patches of a consecutive part of the commits."""

    def __init__(self, root: Path, selection: GitSelection, *, jobs: int = 0, min_shard: int = 500) -> None:
        self._pipes: list[_GitPipe] = []
        self._done = False
        if selection.mode is GitMode.STAGED:
            base = "HEAD" if _has_head(root) else EMPTY_TREE
            self._staged = True
            self._pipes.append(_GitPipe(root, ["diff", "--cached", *_PATCH_OPTIONS, base, "--"]))
            return
        self._staged = False
        revisions = resolve_revisions(root, selection)
        # one core stays with the scan itself; git gets the others (parallel parts cost some CPU overall)
        jobs = jobs or min(max((os.cpu_count() or 1) - 1, 1), 4)
        log = [
            "log",
            *_PATCH_OPTIONS,
            "--cc",
            "--root",
            "--no-show-signature",
            "--no-notes",
            f"--format={_COMMIT_MARK.decode()}%H %P{_FIELD_SEP}%ae{_FIELD_SEP}%aI",
        ]
        if jobs > 1:
            proc = _run_git(root, "rev-list", "--topo-order", "--reverse", *revisions, "--")
            if proc.returncode != 0:
                raise ScanError(f"git failed: {_first_line(proc.stderr)}")
            ids = proc.stdout.split()
            if len(ids) >= min_shard * 2:
                # Patches are what git spends its time on: several git processes each write the patches of
                # a consecutive part of the commits, read in order; the later parts wait in their buffers.
                jobs = min(jobs, len(ids) // min_shard)
                size = -(-len(ids) // jobs)
                for start in range(0, len(ids), size):
                    part = "".join(f"{sha}\n" for sha in ids[start : start + size]).encode("ascii")
                    self._pipes.append(
                        _GitPipe(
                            root,
                            [*log, "--no-walk=unsorted", "--stdin"],
                            stdin=part,
                            read_ahead=_READ_AHEAD // jobs,
                        )
                    )
                return
        self._pipes.append(_GitPipe(root, [*log, "--topo-order", "--reverse", *revisions, "--"]))

    def _line_chunks(self) -> Iterator[list[bytes]]:
        for pipe in self._pipes:
            yield from pipe.line_chunks()
            pipe.finish()

    def __iter__(self) -> Iterator[CommitChanges]:
        try:
            yield from _parse_chunks(self._line_chunks(), staged=self._staged)
        except BaseException:
            self.close()
            raise
        self._done = True

    def close(self) -> None:
        if not self._done:
            self._done = True
            for pipe in self._pipes:
                pipe.kill()

    def __enter__(self) -> ChangeStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def iter_changes(root: Path, selection: GitSelection) -> Iterator[CommitChanges]:
    """Stream the changes of ``selection`` in ``root`` (see :class:`ChangeStream`)."""
    with ChangeStream(root, selection) as stream:
        yield from stream


class BlobReader:
    """Blob contents by id, from one long-lived ``git cat-file --batch`` process."""

    def __init__(self, root: Path) -> None:
        try:
            self._proc = subprocess.Popen(
                ["git", *_GIT_CONFIG, "cat-file", "--batch"],
                cwd=root,
                env=_git_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=1 << 20,
            )
        except FileNotFoundError:
            raise ScanError("git is not installed (no 'git' on PATH)") from None
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in = self._proc.stdin
        self._out = self._proc.stdout

    def read(self, blob_id: str, *, max_size: int | None = None) -> bytes | None:
        """The contents of one blob; None for a missing object or one larger than ``max_size`` bytes."""
        return self.read_many([blob_id], max_size=max_size)[0]

    def read_many(self, blob_ids: Sequence[str], *, max_size: int | None = None) -> list[bytes | None]:
        """The contents of each blob, in order; None for a missing object (e.g. a submodule commit) and for
        a blob larger than ``max_size`` bytes (read past, never held in memory)."""
        results: list[bytes | None] = []
        # Requests are tiny; send them in chunks small enough never to fill the pipe while answers wait.
        for start in range(0, len(blob_ids), 256):
            chunk = blob_ids[start : start + 256]
            try:
                self._in.write("".join(f"{b}\n" for b in chunk).encode("ascii"))
                self._in.flush()
            except BrokenPipeError:
                raise ScanError("git cat-file stopped unexpectedly") from None
            for _ in chunk:
                header = self._out.readline()
                if not header:
                    raise ScanError("git cat-file stopped unexpectedly")
                parts = header.split()
                if len(parts) < 3 or parts[-1] == b"missing":
                    results.append(None)
                    continue
                size = int(parts[2])
                if max_size is not None and size > max_size:
                    left = size + 1
                    while left > 0:
                        skipped = len(self._out.read(min(left, 1 << 20)))
                        if not skipped:
                            raise ScanError("git cat-file stopped unexpectedly")
                        left -= skipped
                    results.append(None)
                    continue
                data = self._out.read(size)
                self._out.read(1)  # the newline after the contents
                results.append(data if parts[1] == b"blob" else None)
        return results

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._in.close()
        with contextlib.suppress(OSError):
            self._out.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# -------------------------------------------------------------------------------------------------- scanning


def dedupe_key(finding: Finding) -> tuple[str, str, str]:
    """What makes two findings the same leak across commits: the rule and the secret value (or, for findings
    without a value, the rule and the path)."""
    if finding.secret:
        return (finding.rule_id, "v", finding.secret)
    return (finding.rule_id, "p", finding.path)


@dataclass(frozen=True, slots=True)
class GitScanOptions:
    """How :func:`scan_changes` treats each file.

    ``decode`` turns bytes into text (None: binary). ``might_match(data)`` may say bytes certainly hold no
    token: it is asked about the added lines, and a file whose added lines cannot match is not read at all.
    ``analyzed(path)`` says a format-aware analyzer reads the path: such files are always read and scanned
    (a binary one with empty text, for checks by name). ``skip_path`` excludes paths; files over
    ``max_file_size`` bytes are skipped."""

    decode: Callable[[bytes], str | None]
    might_match: Callable[[bytes], bool] | None = None
    analyzed: Callable[[str], bool] | None = None
    skip_path: Callable[[str], bool] | None = None
    max_file_size: int = 10 * 1024 * 1024


def scan_changes(
    scanner: DocumentScanner,
    changes: Iterable[CommitChanges],
    blobs: BlobReader,
    options: GitScanOptions,
    *,
    progress: GitProgress | None = None,
) -> tuple[list[Finding], ScanStats]:
    """Scan what each change added and report each secret once, at the first change (in the order of
    ``changes``) that put it on an added line, with its commit attached.

    A file is read (as of its commit) and scanned whole only when its added lines may hold a token or an
    analyzer reads its path; findings are then kept on the added lines only."""
    started = time.perf_counter()
    stats = ScanStats()
    seen: set[tuple[str, str, str]] = set()
    findings: list[Finding] = []
    commits = 0
    files_done = 0
    last_report = 0.0
    skip_path = options.skip_path
    might_match = options.might_match
    analyzed_paths: dict[str, bool] = {}
    last_commit: CommitInfo | None = None
    for window in _windows(changes):
        # The prefilter looks at a whole window of commits at once; when something in it may match, halves
        # are asked until the files that may match are found (a few calls, not one per file).
        candidates: set[int] | None = None
        if might_match is not None:
            texts = [(id(f), f.added_text) for c in window for f in c.files if not f.binary]
            candidates = _may_match(texts, might_match)
        for change in window:
            if change.commit is None or change.commit is not last_commit:
                commits += 1
                last_commit = change.commit
            for file in change.files:
                if skip_path is not None and skip_path(file.path):
                    stats.files_skipped += 1
                    continue
                files_done += 1
                analyzed = analyzed_paths.get(file.path)
                if analyzed is None:
                    analyzed = options.analyzed is not None and options.analyzed(file.path)
                    analyzed_paths[file.path] = analyzed
                if file.binary:
                    stats.files_skipped += 1
                    if not (analyzed and file.new_file):
                        continue
                    text = ""  # a new binary file: only the checks by name apply
                    lines: AbstractSet[int] | None = None
                else:
                    stats.bytes_scanned += len(file.added_text)
                    if not analyzed and candidates is not None and id(file) not in candidates:
                        stats.files_scanned += 1
                        continue
                    data = blobs.read(file.blob, max_size=options.max_file_size) if file.blob else None
                    if data is None or len(data) > options.max_file_size:
                        stats.files_skipped += 1
                        continue
                    decoded = options.decode(data)
                    if decoded is None:
                        stats.files_skipped += 1
                        continue
                    stats.files_scanned += 1
                    text, lines = decoded, file.added
                for finding in scanner.scan_document(file.path, text, lines=lines):
                    key = dedupe_key(finding)
                    if key in seen:
                        continue
                    seen.add(key)
                    findings.append(
                        finding if change.commit is None else _with_commit(finding, change.commit)
                    )
            if progress is not None:
                now = time.perf_counter()
                if now - last_report >= 0.1:
                    last_report = now
                    progress(commits, files_done)
    if progress is not None:
        progress(commits, files_done)
    stats.seconds = time.perf_counter() - started
    return findings, stats


def _may_match(texts: Sequence[tuple[int, bytes]], might_match: Callable[[bytes], bool]) -> set[int]:
    """The keys of the texts the prefilter cannot rule out, asking about groups first (bisection)."""
    found: set[int] = set()
    pending = [(0, len(texts))]
    while pending:
        lo, hi = pending.pop()
        if hi <= lo:
            continue
        joined = texts[lo][1] if hi - lo == 1 else b"\n".join(t for _, t in texts[lo:hi])
        if not might_match(joined):
            continue
        if hi - lo == 1:
            found.add(texts[lo][0])
        else:
            mid = (lo + hi) // 2
            pending += [(mid, hi), (lo, mid)]
    return found


def _windows(
    changes: Iterable[CommitChanges], files: int = 48, size: int = 64 * 1024
) -> Iterator[list[CommitChanges]]:
    """Consecutive commits grouped until they hold ``files`` changed files or ``size`` bytes of added text."""
    window: list[CommitChanges] = []
    count = total = 0
    for change in changes:
        window.append(change)
        count += len(change.files)
        total += sum(len(f.added_text) for f in change.files)
        if count >= files or total >= size:
            yield window
            window, count, total = [], 0, 0
    if window:
        yield window


def _with_commit(finding: Finding, commit: CommitInfo) -> Finding:
    return dataclasses.replace(finding, commit=commit)

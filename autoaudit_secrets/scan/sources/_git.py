"""Git history and index as a stream of added lines, for ``check-secrets git``.

Everything goes through the ``git`` command line, streamed; nothing of the history is held in memory beyond a
bounded read-ahead buffer:

* one ``git log -p -U0`` (or ``git diff --cached -U0``) pipe gives, per commit (oldest first, parents before
  children), each changed file's path, its new blob id, the line numbers the commit added and their text. A
  reader thread starts it before the rules are loaded, so git works on the other core meanwhile;
* the added text goes through the matcher's byte-level prefilter; only the added lines that may hold a
  token are decoded and scanned (positions are mapped back to the file's lines);
* files a format-aware analyzer reads (Dockerfiles, compose files, CI workflows, ``.env``, sensitive files)
  are fetched as of the commit from one ``git cat-file --batch`` process when the commit changes them; the
  analyzer's findings are compared with what it found in the version(s) before the change (remembered per
  blob), and only new ones are reported. Where a change only removes lines, the lines around them are judged
  too (the analyzer's ``may_change``, as for added lines): what is left may read differently;
* a long history is split into consecutive parts of its commit list, scanned by worker processes with their
  own git; the parts' findings are put back in commit order (the same report as one process).
* the messages of the commits (all of them: also those without a patch) and of annotated tags come from one
  more ``git cat-file --batch`` (see :mod:`._messages`) and go through the token rules, each at its place in
  the order of the commits: after the commit's files.

A line counts as added by a merge commit only when it is new relative to *every* parent — a line written
while resolving the merge; lines inherited from a parent were reported at the commit that introduced them on
that side. Git writes no patches for merges: a background thread compares the merged versions of the files
that differ from every parent with the parents' versions (see :mod:`._merges`), and each merge's changes
take their place in commit order. Renames are detected (``-M``): a moved file is compared with its source,
so only its edited lines count.

Each secret is reported once per run, at the first commit that added it (see :func:`dedupe_key`).
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import enum
import functools
import hashlib
import io
import os
import queue
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol, TypeVar

from ..._errors import ScanError, UsageError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
from .._gitenv import git_env
from .._model import AnalysisContext, CommitInfo, FileAnalyzer, Finding, Match, ScanStats
from ._archive_names import archive_by_name
from ._merges import MergeFiles, merge_changes, merge_lines, parse_merge_listing
from ._messages import GitMessage, MessageReader, TagPlan, TagRef, plan_tags
from ._patch import _COMMIT_FORMAT, CommitChanges, FileChange, parse_chunks, parse_patch
from ._unpacked import DEFAULT_UNPACKED_TOTAL, UnpackedTotal

if TYPE_CHECKING:
    from ..engine._matcher import Prescan
    from ._archive import ArchiveLimits, Member

__all__ = [
    "BlobReader",
    "ChangeStream",
    "CommitChanges",
    "CommitPlan",
    "FileChange",
    "GitMode",
    "GitProgress",
    "GitScanOptions",
    "GitSelection",
    "HistoryOptions",
    "HistoryScan",
    "HistoryScanner",
    "dedupe_key",
    "find_repo_root",
    "finding_scope",
    "is_bare",
    "iter_changes",
    "object_kinds",
    "parse_patch",
    "parse_push_updates",
    "plan_commits",
    "resolve_revisions",
    "scan_changes",
    "scan_options",
]

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

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
    # Deleted files are left out (lower case excludes): their patch is every line of the old version, removed,
    # which the parser drops anyway (nothing is added, and there is no version left to analyze). git then
    # neither inflates nor writes them: FastAPI's 32,947 commits give 416 MB of patches instead of 557 MB and
    # git's CPU goes from 13.6 s to 11.6 s. A rename is paired before the filter, so it stays a rename.
    "--diff-filter=d",
)
# Bytes of git output buffered ahead of the scan, at most, shared by the git processes. Not more: the git of a
# later part, held back while the scan reads an earlier part, keeps working on the other core until the end
# instead of finishing early and leaving the scan alone (WrongSecrets: 1.77 s with 32 MiB per part, 1.65 s
# with 8 MiB; FastAPI's 32,947 commits: 13.6 s and 13.9 s).
_READ_AHEAD = 16 * 1024 * 1024
# Bytes of a later part's output that go to a temp file, at most, once its share of _READ_AHEAD is full: its
# git works meanwhile (at a lower priority, see _GitPipe: so that it does not finish early at the cost of the
# part being read, as the note above says) instead of waiting for the scan to reach its part, without holding
# the output in memory. FastAPI's 32,947 commits: 12.1 -> 11.1 s (the newer half's patches, ~250 MB, are
# written ahead); WrongSecrets: 1.60 -> 1.56 s.
_SPILL = 512 * 1024 * 1024


class GitMode(enum.Enum):
    """Which changes ``check-secrets git`` reads."""

    STAGED = "staged"  # the index vs HEAD (vs the empty tree before the first commit): pre-commit
    SINCE = "since"  # commits after REF up to HEAD: a pull request
    RANGE = "range"  # an ``A..B`` (or ``A...B``) revision range
    ALL = "all"  # every commit reachable from any ref
    PUSH = "push"  # what a push brings that no ref reaches yet: a pre-receive hook (see parse_push_updates)


@dataclass(frozen=True, slots=True)
class GitSelection:
    """The mode plus its argument (the REF of ``--since``, the range of ``--range``, the ref updates of a
    push: ``(old, new, ref name)`` as a pre-receive hook reads them)."""

    mode: GitMode
    ref: str | None = None
    updates: tuple[tuple[str, str, str], ...] = ()


_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def parse_push_updates(text: str) -> tuple[tuple[str, str, str], ...]:
    """The ref updates a pre-receive hook reads on its standard input, one per line: ``<old id> <new id>
    <ref name>`` (an id of zeros: a ref created, or deleted). Raises :class:`UsageError` naming the first line
    that is not one (by number only)."""
    updates: list[tuple[str, str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(" ", 2)
        if len(parts) != 3 or not all(_OBJECT_ID.fullmatch(p) for p in parts[:2]) or not parts[2].strip():
            raise UsageError(
                f"--pre-receive: line {number} of standard input is not '<old id> <new id> <ref name>'"
            )
        updates.append((parts[0], parts[1], parts[2].strip()))
    return tuple(updates)


def object_kinds(root: Path, names: Sequence[str]) -> list[tuple[str, str]]:
    """``(id, type)`` of each object name (``<id>^{}`` and the like allowed), ``("", "missing")`` for one git
    cannot read: one ``git cat-file --batch-check`` for them all."""
    if not names:
        return []
    try:
        proc = subprocess.run(
            ["git", *_GIT_CONFIG, "cat-file", "--batch-check=%(objectname) %(objecttype)"],
            cwd=root,
            env=git_env(),
            input="".join(f"{name}\n" for name in names).encode("utf-8", "surrogateescape"),
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise ScanError(_NO_GIT) from None
    if proc.returncode != 0:
        raise ScanError(f"git failed: {_first_line(proc.stderr.decode('utf-8', 'replace'))}")
    out: list[tuple[str, str]] = []
    lines = proc.stdout.decode("ascii", "replace").splitlines()
    for index in range(len(names)):
        fields = lines[index].rsplit(" ", 1) if index < len(lines) else []
        out.append((fields[0], fields[1]) if len(fields) == 2 and fields[1] != "missing" else ("", "missing"))
    return out


@functools.lru_cache(maxsize=4)
def _pushed(
    root: Path, updates: tuple[tuple[str, str, str], ...]
) -> tuple[tuple[str, ...], tuple[TagRef, ...]]:
    """The commits a push's ref updates point at (tags peeled), and its annotated tags; deletions are left
    out. A tag of something else than a commit (a tree, a blob) brings no commit."""
    news = list(dict.fromkeys(new for _, new, _ in updates if new.strip("0")))
    kinds = object_kinds(root, [name for new in news for name in (f"{new}^{{}}", new)])
    commits: list[str] = []
    targets: dict[str, str] = {}  # tag id -> the commit it points at ("" when something else)
    for new, (peeled, peeled_kind), (_, kind) in zip(news, kinds[0::2], kinds[1::2], strict=True):
        if peeled_kind == "missing" or kind == "missing":
            raise ScanError(f"git cannot read the pushed object {new}: nothing of it was scanned")
        if peeled_kind == "commit":
            commits.append(peeled)
        if kind == "tag":
            targets[new] = peeled if peeled_kind == "commit" else ""
    tags: dict[str, TagRef] = {}
    for _, new, ref in updates:
        if new in targets and new not in tags:
            tags[new] = TagRef(new, ref.removeprefix("refs/tags/"), targets[new])
    return tuple(dict.fromkeys(commits)), tuple(tags.values())


class DocumentScanner(Protocol):
    """What git modes need from the engine: scan one document, keeping findings on some lines."""

    def scan_document(
        self, relpath: str, text: str, *, lines: AbstractSet[int] | None = None
    ) -> list[Finding]: ...


GitProgress = Callable[[int, int], None]  # (commits read, files scanned)


# ----------------------------------------------------------------------------------------- running git


_NO_GIT = "git is not installed (no 'git' on PATH)"


def _first_line(text: str) -> str:
    """git's first error line (``fatal:``, ``error:``; before it, ``warning:`` and ``hint:`` lines only
    explain), else its first line; for an object that a partial clone lacks, what to do about it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("fatal: ", "error: "))]
    if not lines:
        return "git failed"
    first = (errors or lines)[0].removeprefix("fatal: ").removeprefix("error: ")
    if "lazy fetching disabled" in text or "transport '" in text:
        # a partial clone: check-secrets never fetches (see _gitenv.UNTRUSTED_REPO_CONFIG)
        first += (
            " (a partial clone lacks this object and a scan never fetches: clone without --filter, or fetch"
            " the missing objects, first)"
        )
    elif "unable to read" in first or "missing blob object" in first or "bad object" in first:
        # an incomplete or damaged copy (objects left out or lost): nothing of it may be taken for clean
        first += " (this copy of the repository lacks an object: `git fsck` lists what is missing)"
    return first


def _run_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *_GIT_CONFIG, *args],
            cwd=root,
            env=git_env(),
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except FileNotFoundError:
        raise ScanError(_NO_GIT) from None
    except NotADirectoryError:
        raise ScanError(f"not a directory: {root}") from None


def find_repo_root(path: Path) -> Path:
    """The top folder of the work tree containing ``path``, or the repository folder itself when it is bare
    (a ``git clone --mirror`` kept for audits: every branch, tag and pull request ref, no work tree);
    :class:`ScanError` outside a repository."""
    if not path.is_dir():
        raise ScanError(f"not a directory: {path}")
    proc = _run_git(path, "rev-parse", "--show-toplevel")
    if proc.returncode == 0 and proc.stdout.strip():
        return Path(proc.stdout.strip())
    bare = _run_git(path, "rev-parse", "--is-bare-repository", "--absolute-git-dir")
    answer = bare.stdout.split("\n")
    if bare.returncode == 0 and answer[0] == "true" and len(answer) > 1 and answer[1]:
        return Path(answer[1])
    raise ScanError(f"not a git repository: {path}")


def is_bare(root: Path) -> bool:
    """``root`` (from :func:`find_repo_root`) is a bare repository: it has no index to stage files in."""
    return _run_git(root, "rev-parse", "--is-bare-repository").stdout.strip() == "true"


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
    if selection.mode is GitMode.PUSH:
        # the commits no ref reaches before the push: in a pre-receive hook the refs are not updated yet
        commits, _ = _pushed(root, selection.updates)
        return [*commits, "--not", "--all"]
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


# ----------------------------------------------------------------------------------------- streaming sources


class _TimeUp(Exception):
    """A history scan's deadline passed while it waited for git (caught by :meth:`_HistoryScan.run`)."""


_Q = TypeVar("_Q")


def _get(source: queue.Queue[_Q], deadline: float | None) -> _Q:
    """The next item of ``source``; :class:`_TimeUp` once ``deadline`` (``time.monotonic()``) has passed."""
    if deadline is None:
        return source.get()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _TimeUp
        with contextlib.suppress(queue.Empty):
            return source.get(timeout=left)


def _wait(event: threading.Event, deadline: float | None) -> None:
    """Wait for ``event``; :class:`_TimeUp` once ``deadline`` has passed."""
    if deadline is None:
        event.wait()
    elif not event.wait(max(deadline - time.monotonic(), 0.0)):
        raise _TimeUp


class _GitPipe:
    """A ``git`` process whose output a background thread reads ahead, so that git keeps working while the
    caller is busy: up to ``read_ahead`` bytes in memory, then up to ``spill`` bytes more in a temp file (the
    output of a later part of a history, which the scan reads only after the earlier parts); stderr goes to a
    temp file (no deadlock)."""

    def __init__(
        self,
        root: Path,
        args: Sequence[str],
        stdin: bytes | None = None,
        read_ahead: int = _READ_AHEAD,
        spill: int = 0,
        on_end: Callable[[], None] | None = None,
        on_held: Callable[[], None] | None = None,
        on_starved: Callable[[], None] | None = None,
    ) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()/kill()
        self._input = stdin
        # Told (see ChangeStream._start): by the reader thread when git's output ends, and the first time git
        # is held back because the memory it may write ahead is full; by the scan when it keeps waiting for
        # this git.
        self._on_end = on_end
        self._on_held = on_held
        self._on_starved = on_starved
        try:
            self.proc = subprocess.Popen(
                ["git", *_GIT_CONFIG, *args],
                cwd=root,
                env=git_env(),
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                bufsize=0,
            )
        except FileNotFoundError:
            self._stderr.close()
            raise ScanError(_NO_GIT) from None
        _widen_pipe(self.proc.stdout)
        if spill and hasattr(os, "setpriority"):
            # a git that writes ahead yields some CPU to the scan and the git it reads now: on a history whose
            # parts cost git about what they cost the scan, running ahead at full priority only moves the
            # work (WrongSecrets: +0.05 s at 0, -0.04 s at 4; FastAPI: -13% at 0, -8% at 4)
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, self.proc.pid, 4)
        # a chunk in memory, or where one stands in the spill file (offset, size); None: the end
        self._chunks: queue.Queue[bytes | tuple[int, int] | None] = queue.Queue()
        self._room = threading.Semaphore(max(read_ahead // _CHUNK, 2))
        self._spill_room = spill
        self._spill: IO[bytes] | None = None
        self._spill_lock = threading.Lock()  # the reader thread appends, the scan reads back
        self._spilled = 0  # bytes written to the spill file
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
            done = False
            while not done and not self._stop.is_set():
                spilling = False
                if not self._room.acquire(blocking=False):
                    # memory is full: on to the spill file while it has room, else wait for the scan
                    spilling = self._spilled + _CHUNK <= self._spill_room
                    if not spilling and self._on_held is not None:
                        # git is held back (a CPU free): the next part's git may work meanwhile
                        with contextlib.suppress(Exception):  # (if it cannot start, the scan will say why)
                            self._on_held()
                        self._on_held = None
                    while not spilling and not self._room.acquire(timeout=0.1):
                        if self._stop.is_set():
                            return
                pieces: list[bytes] = []
                size = 0
                while size < _CHUNK:
                    piece = os.read(fd, _CHUNK - size)
                    if not piece:
                        done = True
                        break
                    pieces.append(piece)
                    size += len(piece)
                    if self._chunks.empty():
                        break  # the scan may be waiting for it: handed over now
                    if len(piece) < _SMALL_READ:
                        # the reader is busy and git writes a little at a time: a nap lets the pipe fill, so
                        # that chunks are large (each read and each chunk costs a hand-over of the GIL)
                        time.sleep(_NAP)
                if pieces:
                    chunk = pieces[0] if len(pieces) == 1 else b"".join(pieces)
                    if spilling:
                        self._chunks.put(self._write_spill(chunk))
                    else:
                        self._chunks.put(chunk)
                elif not spilling:
                    self._room.release()
        except OSError:
            pass
        finally:
            if self._on_end is not None and not self._stop.is_set():
                with contextlib.suppress(Exception):  # (starting the next git failed: the scan will say so)
                    self._on_end()
            self._chunks.put(None)

    def _write_spill(self, chunk: bytes) -> tuple[int, int]:
        with self._spill_lock:
            if self._spill is None:
                self._spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()/kill()
            offset = self._spilled
            self._spill.seek(offset)
            self._spill.write(chunk)
            self._spilled += len(chunk)
        return offset, len(chunk)

    def _read_spill(self, offset: int, size: int) -> bytes:
        with self._spill_lock:
            assert self._spill is not None
            self._spill.seek(offset)
            return self._spill.read(size)

    def chunks(self, deadline: float | None = None) -> Iterator[bytes]:
        """The output as read, chunk by chunk; ended by a newline (added when git wrote none). Raises
        :class:`_TimeUp` when ``deadline`` passes while it waits for git."""
        last = b"\n"
        first: float | None = None  # when the first chunk came
        waited = 0.0  # how long the scan waited for git since then
        starved = self._on_starved
        while True:
            if starved is not None and first is not None and self._chunks.empty():
                began = time.perf_counter()
                item = _get(self._chunks, deadline)
                now = time.perf_counter()
                waited += now - began
                if waited >= _STARVED_SECONDS and waited >= _STARVED_SHARE * (now - first):
                    starved()  # git, not the scan, is what the scan waits for: more git is wanted
                    starved = None
            else:
                item = _get(self._chunks, deadline)
                if first is None:
                    first = time.perf_counter()
            if item is None:
                break
            if isinstance(item, tuple):
                chunk = self._read_spill(*item)
            else:
                self._room.release()
                chunk = item
            yield chunk
            last = chunk
        if not last.endswith(b"\n"):
            yield b"\n"  # the next git process's output starts a line

    def finish(self) -> None:
        """Wait for git and raise :class:`ScanError` with git's first message line when it failed."""
        self._thread.join()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        code = self.proc.wait()
        self._close_spill()
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
        self._close_spill()
        self._stderr.close()

    def _close_spill(self) -> None:
        with self._spill_lock:
            if self._spill is not None:
                self._spill.close()
                self._spill = None


_CHUNK = 1 << 18
_SMALL_READ = 1 << 15
_NAP = 0.001
# The scan is starved by a git when it has waited for its output this long, and this share of the time since
# the first chunk (not a pause while git works through one large file)
_STARVED_SECONDS = 0.05
_STARVED_SHARE = 0.1


def _widen_pipe(stream: IO[bytes] | None) -> None:
    """Let git write up to 1 MiB ahead without blocking (Linux; elsewhere the default pipe size stays): the
    reader thread needs the GIL to drain the pipe, and every stall on a full 64 KiB pipe costs git time."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if stream is None or setsize is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(stream.fileno(), setsize, 1 << 20)


_LOG = (
    "log",
    *_PATCH_OPTIONS,
    "--root",
    "--no-show-signature",
    "--no-notes",
    _COMMIT_FORMAT,
)
# Per merge, the files that differ from every parent, with their blob ids, without working out a diff (renames
# not followed): see _merges.
_MERGE_LISTING = (
    "log",
    "--merges",
    "--raw",
    "--cc",
    "--no-renames",
    "--no-abbrev",
    "--no-show-signature",
    "--no-notes",
    _COMMIT_FORMAT,
)


def _lines(ids: Sequence[str]) -> bytes:
    return "".join(f"{sha}\n" for sha in ids).encode("ascii")


@dataclass(frozen=True, slots=True)
class CommitPlan:
    """The commits of a history whose changes are read (oldest first, topological order), how many merges
    were left out because they change nothing — no file of theirs differs from its version in *every*
    parent —, and the files of the merges that do (see :mod:`._merges`)."""

    commits: list[str]
    quiet_merges: int = 0
    merges: dict[str, MergeFiles] = dataclasses.field(default_factory=dict)
    # every commit of the revisions, in order, those left out included (their messages are read all the same)
    order: list[str] = dataclasses.field(default_factory=list)


class BackgroundGit:
    """A git command started at once, its output kept in a temp file (it runs while the caller prepares) and
    read when needed."""

    def __init__(self, root: Path, args: Sequence[str]) -> None:
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in output()/kill()
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 - closed in output()/kill()
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["git", *_GIT_CONFIG, *args],
                cwd=root,
                env=git_env(),
                stdin=subprocess.DEVNULL,
                stdout=self._out,
                stderr=self._err,
            )
        except FileNotFoundError:
            self._proc = None
            self._close()
            raise ScanError(_NO_GIT) from None

    def output(self) -> bytes:
        """Its output, once it has ended; a :class:`ScanError` with git's first error line when it failed."""
        try:
            code = self._proc.wait() if self._proc is not None else 1
            if code != 0:
                self._err.seek(0)
                raise ScanError(f"git failed: {_first_line(self._err.read(4096).decode('utf-8', 'replace'))}")
            self._out.seek(0)
            return self._out.read()
        finally:
            self._close()

    def kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait()
        self._close()

    def _close(self) -> None:
        self._out.close()
        self._err.close()


class _MergeListing:
    """``git log --merges --raw --cc`` of some revisions, started at once and read when needed."""

    def __init__(self, root: Path, revisions: Sequence[str]) -> None:
        self._git = BackgroundGit(root, [*_MERGE_LISTING, *revisions, "--"])

    def result(self) -> dict[str, MergeFiles]:
        return parse_merge_listing(self._git.output())

    def kill(self) -> None:
        self._git.kill()


def _topological(root: Path, revisions: Sequence[str]) -> tuple[list[str], set[str]]:
    """The commits of ``revisions``, oldest first in topological order, and which of them are merges."""
    proc = _run_git(root, "rev-list", "--topo-order", "--reverse", "--parents", *revisions, "--")
    if proc.returncode != 0:
        raise ScanError(f"git failed: {_first_line(proc.stderr)}")
    ids: list[str] = []
    merges: set[str] = set()
    for line in proc.stdout.splitlines():
        shas = line.split()
        if shas:
            ids.append(shas[0])
            if len(shas) > 2:
                merges.add(shas[0])
    return ids, merges


def plan_commits(root: Path, revisions: Sequence[str]) -> CommitPlan:
    """The :class:`CommitPlan` of ``revisions`` (``git log`` arguments). The two git commands it takes run
    side by side: the commits in order, and the merges with what they change."""
    listing = _MergeListing(root, revisions)
    try:
        ids, merges = _topological(root, revisions)
    except BaseException:
        listing.kill()
        raise
    changing = listing.result() if merges else {}
    quiet = merges - changing.keys()
    return CommitPlan([sha for sha in ids if sha not in quiet], len(quiet), changing, ids)


# Blobs asked of git ahead, at most, while the changes of merges are worked out (a few merges' files).
_MERGE_PREFETCH = 64


class ChangeStream:
    """The changes of a :class:`GitSelection`, oldest commit first (topological order, parents before
    children), or one :class:`CommitChanges` with ``commit=None`` for the staged changes.

    Creating it checks the revisions and starts git at once, in the background (so git works while the
    caller prepares); iterate it once. Use as a context manager, or call :meth:`close`, to stop git early.
    The commits read are those of the selection, or exactly ``commits`` (with ``merges``, the files of those
    that are merges: :attr:`CommitPlan.merges`). Merges that change nothing, and commits that only delete
    files (or change nothing), are left out and counted (:attr:`quiet_merges`, :attr:`quiet_commits`). The
    patches of the other commits come from up to ``jobs`` git processes (0: one per CPU but one, at most 4)
    when there are at least ``2 * min_shard`` of them, each writing those of a consecutive part, a later
    part's git started when it is wanted (see :meth:`_start`); a background thread works out meanwhile what
    each merge adds (see :mod:`._merges`)."""

    def __init__(
        self,
        root: Path,
        selection: GitSelection,
        *,
        jobs: int = 0,
        min_shard: int = 500,
        commits: Sequence[str] | None = None,
        merges: dict[str, MergeFiles] | None = None,
    ) -> None:
        self._root = root
        self._pipes: list[_GitPipe] = []
        # per part of the commits: its stdin, memory share and spill room (see _start); started in order
        self._parts: list[tuple[bytes, int, int]] = []
        self._done = False
        self._error: BaseException | None = None
        self._started = threading.Event()
        self._lock = threading.Lock()
        self._listing: _MergeListing | None = None
        # per merge in commit order: its changes, None when it changes nothing, or what went wrong
        self._merges: queue.Queue[CommitChanges | BaseException | None] = queue.Queue()
        self._merges_before: dict[str, int] = {}  # commit -> how many merges come before it
        self._merge_count = 0
        #: merges left out because they change nothing (known once the stream has been read)
        self.quiet_merges = 0
        #: other commits git left out: those that only delete files or change nothing (known once read)
        self.quiet_commits = 0
        self._asked = 0  # commits whose patches git was asked for
        self._order: list[str] = []  # every commit of the selection, in order (see order())
        #: when waiting for git stops (a time.monotonic() value; None: never): iterating raises _TimeUp
        self.deadline: float | None = None
        if selection.mode is GitMode.STAGED:
            base = "HEAD" if _has_head(root) else EMPTY_TREE
            self._staged = True
            self._pipes.append(_GitPipe(root, ["diff", "--cached", *_PATCH_OPTIONS, base, "--"]))
            self._started.set()
            return
        self._staged = False
        # one core stays with the scan itself; git gets the others (parallel parts cost some CPU overall)
        jobs = jobs or min(max((os.cpu_count() or 1) - 1, 1), 4)
        if commits is not None:  # exactly these (a worker's part of a history)
            known = merges or {}
            order = list(commits)
            self._begin(root, order, {sha for sha in order if sha in known}, jobs, min_shard)
            thread = threading.Thread(
                target=self._work_out_merges,
                args=([sha for sha in order if sha in known], lambda: known),
                name="check-secrets-git-merges",
                daemon=True,
            )
            thread.start()
            return
        revisions = resolve_revisions(root, selection)  # a bad revision is an error now, not mid-stream

        def start() -> None:
            try:
                listing = self._listing = _MergeListing(root, revisions)
                ids, merge_ids = _topological(root, revisions)
                self._order = ids
                self._begin(root, ids, merge_ids, jobs, min_shard)
            except BaseException as exc:  # handed to the reader
                self._error = exc
                self._started.set()
                if self._listing is not None:
                    self._listing.kill()
                return
            self._work_out_merges([sha for sha in ids if sha in merge_ids], listing.result)

        threading.Thread(target=start, name="check-secrets-git-plan", daemon=True).start()

    def order(self) -> list[str]:
        """Every commit of the selection (merges and commits that change nothing included), oldest first in
        topological order, once known (waits for it; empty when git failed, or when the stream was given its
        ``commits``)."""
        self._started.wait()
        return self._order

    def _begin(
        self, root: Path, order: list[str], merges: AbstractSet[str], jobs: int, min_shard: int
    ) -> None:
        """Start git on the commits of ``order`` that are not merges; note where the merges come."""
        count = 0
        before = self._merges_before
        for sha in order:
            if sha in merges:
                count += 1
            else:
                before[sha] = count
        self._merge_count = count
        try:
            self._start(root, [sha for sha in order if sha not in merges], jobs, min_shard)
        finally:
            self._started.set()

    def _work_out_merges(self, order: list[str], listing: Callable[[], dict[str, MergeFiles]]) -> None:
        """Queue each merge of ``order``, in order: its changes, or None when it changes nothing."""
        out = self._merges
        try:
            if not order:
                return
            changing = listing()
            with BlobReader(self._root) as blobs:
                for start in range(0, len(order), _MERGE_PREFETCH):
                    if self._done:
                        return
                    batch = [changing.get(sha) for sha in order[start : start + _MERGE_PREFETCH]]
                    blobs.prefetch(
                        blob
                        for merge in batch
                        if merge is not None
                        for file in merge.files
                        for blob in (file.blob, *file.parent_blobs)
                    )
                    for merge in batch:
                        out.put(None if merge is None else merge_changes(merge, blobs.read))
        except BaseException as exc:
            out.put(exc)

    def _start(self, root: Path, commits: list[str], jobs: int, min_shard: int) -> None:
        """Start git on the first part of ``commits``; the later parts' gits start when they are wanted.

        Patches are what git spends its time on: each git process writes the patches of a consecutive part of
        the commits, read in order; a later part waits in its buffers (memory, then a temp file). A later
        part's git starts when the git before it is done, is held back by a full buffer (a CPU is free), or
        when the scan keeps waiting for the git it reads. Not before: on a history whose patches cost git less
        than they cost the scan (WrongSecrets: 26 MB of patches, 2.3 s of git), a second git at once only
        takes CPU from the scan, for output that would wait in a buffer anyway; where git is the larger cost
        (FastAPI: 416 MB), the first git fills its buffer early and the second starts then."""
        if not commits:
            return
        self._asked = len(commits)
        parts = min(jobs, len(commits) // min_shard) if jobs > 1 and len(commits) >= 2 * min_shard else 1
        size = -(-len(commits) // parts)
        self._parts = [
            (
                _lines(commits[first : first + size]),
                _READ_AHEAD // parts,
                # a later part's git goes on into a temp file while the scan reads the earlier parts
                _SPILL // (parts - 1) if first else 0,
            )
            for first in range(0, len(commits), size)
        ]
        self._start_next()

    def _start_next(self) -> None:
        """Start the next part's git (none when every part has one, or when the stream is done)."""
        with self._lock:
            if self._done or len(self._pipes) >= len(self._parts):
                return
            stdin, read_ahead, spill = self._parts[len(self._pipes)]
            later = len(self._pipes) + 1 < len(self._parts)
            self._pipes.append(
                _GitPipe(
                    self._root,
                    [*_LOG, "--no-walk=unsorted", "--stdin"],
                    stdin=stdin,
                    read_ahead=read_ahead,
                    spill=spill,
                    on_end=self._start_next if later else None,
                    on_held=self._start_next if later else None,
                    on_starved=self._start_next if later else None,
                )
            )

    def _chunks(self) -> Iterator[bytes]:
        _wait(self._started, self.deadline)
        if self._error is not None:
            raise self._error
        index = 0
        while True:
            if index >= len(self._pipes):
                self._start_next()  # (its start when the git before it ended failed: tried again, raising)
                if index >= len(self._pipes):
                    return
            pipe = self._pipes[index]
            yield from pipe.chunks(self.deadline)
            pipe.finish()
            index += 1

    def _next_merge(self) -> CommitChanges | None:
        got = _get(self._merges, self.deadline)
        if isinstance(got, BaseException):
            raise got
        if got is None:
            self.quiet_merges += 1
        return got

    def __iter__(self) -> Iterator[CommitChanges]:
        try:
            taken = 0  # merges taken from the queue
            read = 0  # commits read (a commit of very many files comes in several items, one after another)
            last = ""
            for change in parse_chunks(self._chunks(), staged=self._staged):
                if change.commit is not None:
                    if change.commit.sha != last:
                        last = change.commit.sha
                        read += 1
                    due = self._merges_before.get(change.commit.sha, taken)
                    while taken < due:
                        taken += 1
                        if (merge := self._next_merge()) is not None:
                            yield merge
                yield change
            while taken < self._merge_count:
                taken += 1
                if (merge := self._next_merge()) is not None:
                    yield merge
            self.quiet_commits = max(self._asked - read, 0)
        except BaseException:
            self.close()
            raise
        self._done = True

    def close(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        for pipe in self._pipes:
            pipe.kill()
        if self._listing is not None:
            self._listing.kill()

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


def _talk_to_git(root: Path, args: Sequence[str], *, bufsize: int = -1) -> subprocess.Popen[bytes]:
    """A long-lived git process that answers questions on its stdin (``cat-file --batch``, ``check-attr``)."""
    try:
        return subprocess.Popen(
            ["git", *_GIT_CONFIG, *args],
            cwd=root,
            env=git_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=bufsize,
        )
    except FileNotFoundError:
        raise ScanError(_NO_GIT) from None


def _read_to_nul(stream: IO[bytes]) -> bytes:
    """Bytes up to the next NUL (left out); raises :class:`ScanError` when the stream ends first."""
    out = bytearray()
    while (byte := stream.read(1)) != b"\0":
        if not byte:
            raise ScanError("git check-attr stopped unexpectedly")
        out += byte
    return bytes(out)


# At most this many blob requests of a BlobReader wait for their answers (see BlobReader.prefetch)
_PENDING_MAX = 256


class BlobReader:
    """Blob contents by id, from one long-lived ``git cat-file --batch`` process (and, when asked, blob
    sizes from ``cat-file --batch-check`` and ``diff`` attributes from ``check-attr``, see :meth:`sizes` and
    :meth:`marked_binary`).

    :meth:`prefetch` asks for blobs ahead of need: git looks them up while the caller works on something
    else, and :meth:`read` then finds them answered. (Under load, each request answered on the spot costs a
    wait for the scheduler to run git: half a millisecond, hundreds of times in a long history.) At most
    ``keep`` bytes of prefetched contents are held; a blob beyond that is asked for again when read."""

    def __init__(self, root: Path, *, keep: int = 32 * 1024 * 1024) -> None:
        self._proc = _talk_to_git(root, ["cat-file", "--batch"], bufsize=1 << 20)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in = self._proc.stdin
        self._out = self._proc.stdout
        _widen_pipe(self._out)
        self._keep = keep
        self._root = root
        self._check: subprocess.Popen[bytes] | None = None  # see sizes()
        self._attrs: subprocess.Popen[bytes] | None = None  # see marked_binary()
        self._marked: dict[str, bool] = {}
        self._pending: list[tuple[str, int | None]] = []  # asked for, answers not read yet (in order)
        self._ready: dict[tuple[str, int | None], bytes | None] = {}
        self._held = 0

    def prefetch(self, blob_ids: Iterable[str], *, max_size: int | None = None) -> None:
        """Ask for these blobs now; their contents are read when needed (see :meth:`read`)."""
        wanted = [
            key
            for key in dict.fromkeys((b, max_size) for b in blob_ids)
            if key not in self._ready and key not in self._pending
        ]
        # Requests waiting for their answers are kept few (256 at most), so the pipes never fill up: git
        # stops reading requests while its answers wait to be read, and a write of many requests at once
        # would wait for it forever (a merge of thousands of files asks for that many blobs).
        for start in range(0, len(wanted), _PENDING_MAX):
            chunk = wanted[start : start + _PENDING_MAX]
            if len(self._pending) + len(chunk) > _PENDING_MAX:
                self._drain()
            self._send([b for b, _ in chunk])
            self._pending.extend(chunk)

    def forget(self, blob_ids: Iterable[str], *, max_size: int | None = None) -> None:
        """Drop the prefetched contents of these blobs if they were not read."""
        for blob_id in blob_ids:
            data = self._ready.pop((blob_id, max_size), None)
            self._held -= len(data or b"")

    def read(self, blob_id: str, *, max_size: int | None = None) -> bytes | None:
        """The contents of one blob; None for a missing object or one larger than ``max_size`` bytes."""
        key = (blob_id, max_size)
        if key in self._pending:
            self._drain()
        if key in self._ready:
            data = self._ready.pop(key)
            self._held -= len(data or b"")
            return data
        return self.read_many([blob_id], max_size=max_size)[0]

    def read_many(self, blob_ids: Sequence[str], *, max_size: int | None = None) -> list[bytes | None]:
        """The contents of each blob, in order; None for a missing object (e.g. a submodule commit) and for
        a blob larger than ``max_size`` bytes (read past, never held in memory)."""
        self._drain()
        results: list[bytes | None] = []
        # Requests are tiny; send them in chunks small enough never to fill the pipe while answers wait.
        for start in range(0, len(blob_ids), 256):
            chunk = blob_ids[start : start + 256]
            self._send(chunk)
            results.extend(self._answer(max_size) for _ in chunk)
        return results

    def sizes(self, blob_ids: Sequence[str]) -> dict[str, int]:
        """The size in bytes of each of these blobs that exists, from a second git process, ``cat-file
        --batch-check`` (started on first use): git reads an object's header, not its contents."""
        if self._check is None:
            self._check = _talk_to_git(self._root, ["cat-file", "--batch-check"])
        check = self._check
        assert check.stdin is not None and check.stdout is not None
        sizes: dict[str, int] = {}
        for start in range(0, len(blob_ids), 256):  # (never enough to fill a pipe while answers wait)
            chunk = blob_ids[start : start + 256]
            try:
                check.stdin.write("".join(f"{b}\n" for b in chunk).encode("ascii"))
                check.stdin.flush()
            except BrokenPipeError:
                raise ScanError("git cat-file stopped unexpectedly") from None
            for blob_id in chunk:
                parts = check.stdout.readline().split()
                if not parts:
                    raise ScanError("git cat-file stopped unexpectedly")
                if len(parts) == 3 and parts[1] == b"blob" and parts[2].isdigit():
                    sizes[blob_id] = int(parts[2])
        return sizes

    def marked_binary(self, paths: Sequence[str]) -> set[str]:
        """Those of ``paths`` that the repository's attributes make binary to ``git diff`` (``-diff``, or the
        ``binary`` macro), asked once per path of a third process, ``git check-attr --stdin -z diff``."""
        unknown = [p for p in dict.fromkeys(paths) if p not in self._marked]
        if unknown:
            if self._attrs is None:
                self._attrs = _talk_to_git(self._root, ["check-attr", "--stdin", "-z", "diff"])
            attrs = self._attrs
            assert attrs.stdin is not None and attrs.stdout is not None
            for path in unknown:
                try:
                    attrs.stdin.write(path.encode("utf-8", "surrogateescape") + b"\0")
                    attrs.stdin.flush()
                except BrokenPipeError:
                    raise ScanError("git check-attr stopped unexpectedly") from None
                # the answer: path, attribute and value, each ended by a NUL
                fields = [_read_to_nul(attrs.stdout) for _ in range(3)]
                self._marked[path] = fields[2] == b"unset"
        return {p for p in paths if self._marked[p]}

    def _send(self, blob_ids: Sequence[str]) -> None:
        try:
            self._in.write("".join(f"{b}\n" for b in blob_ids).encode("ascii"))
            self._in.flush()
        except BrokenPipeError:
            raise ScanError("git cat-file stopped unexpectedly") from None

    def _drain(self) -> None:
        """Read the answers to every prefetch request, keeping what fits in ``keep`` bytes."""
        pending, self._pending = self._pending, []
        for key in pending:
            data = self._answer(key[1])
            if self._held + len(data or b"") <= self._keep:
                self._ready[key] = data
                self._held += len(data or b"")

    def hold(self, blob_id: str, limits: ArchiveLimits) -> BinaryIO | None:
        """One blob, held as ``_archive.hold`` holds an archive to open it (in memory, or in a temporary file
        when large); None for a missing object, one that is not a blob or one larger than
        ``limits.held_size`` (read past, never held)."""
        from ._archive import hold

        self._drain()
        self._send([blob_id])
        kind, size = self._header()
        if size is None:
            return None
        if kind != b"blob" or size > limits.held_size:
            self._skip(size + 1)
            return None
        held = hold(b"", self._out.read, size, limits)
        self._out.read(1)  # the newline after the contents
        return held

    def _header(self) -> tuple[bytes, int | None]:
        """The object type and size of the next answer (size None: missing)."""
        header = self._out.readline()
        if not header:
            raise ScanError("git cat-file stopped unexpectedly")
        parts = header.split()
        if len(parts) < 3 or parts[-1] == b"missing":
            return b"", None
        return parts[1], int(parts[2])

    def _skip(self, count: int) -> None:
        while count > 0:
            skipped = len(self._out.read(min(count, 1 << 20)))
            if not skipped:
                raise ScanError("git cat-file stopped unexpectedly")
            count -= skipped

    def _answer(self, max_size: int | None) -> bytes | None:
        kind, size = self._header()
        if size is None:
            return None
        if max_size is not None and size > max_size:
            self._skip(size + 1)
            return None
        data = self._out.read(size)
        self._out.read(1)  # the newline after the contents
        return data if kind == b"blob" else None

    def close(self) -> None:
        procs = [p for p in (self._proc, self._check, self._attrs) if p is not None]
        for proc in procs:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# -------------------------------------------------------------------------------------------------- scanning


def _in_history(analyzer: FileAnalyzer, path: str) -> bool:
    """Whether ``analyzer`` runs on ``path`` in a history scan: its optional ``applies_to_history`` says so
    (see :class:`~autoaudit_secrets.scan._model.FileAnalyzer`); an analyzer without it does."""
    applies: Callable[[str], bool] | None = getattr(analyzer, "applies_to_history", None)
    return applies is None or bool(applies(path))


class HistoryScanner(Protocol):
    """What git modes need from the engine (:class:`~autoaudit_secrets.scan.engine._scanner.Scanner`)."""

    def scan_lines(
        self, relpath: str, text: str, numbers: Sequence[int], *, prescan: Prescan | None = None
    ) -> list[Finding]: ...

    def analyzers_for(self, relpath: str) -> list[FileAnalyzer]: ...

    def analyze_document(
        self,
        relpath: str,
        text: str,
        analyzers: list[FileAnalyzer],
        *,
        root: Path | None = None,
        count_suppressed: AbstractSet[int] | None = None,
        ctx: AnalysisContext | None = None,
    ) -> list[Finding]: ...

    def merge_same_place(self, findings: list[Finding]) -> list[Finding]: ...

    def is_token_rule(self, rule_id: str) -> bool: ...

    def context(self, root: Path | None = None) -> AnalysisContext: ...

    def scan_archive(
        self,
        relpath: str,
        opener: Callable[[], BinaryIO],
        stats: ScanStats,
        limits: ArchiveLimits,
        *,
        skip: Callable[[Member], bool] | None = None,
    ) -> list[Finding]: ...


DedupeKey = tuple[str, ...]
FILE_SCOPE = "file"


def finding_scope(analyzer: object) -> str:
    """``"file"`` for an analyzer whose findings are about a file as a whole (a file sensitive by its name is
    the same finding whatever line holds the evidence), else ``"line"``."""
    return str(getattr(analyzer, "finding_scope", "line"))


def _identity(finding: Finding, scope: str) -> DedupeKey:
    """What a finding is within one file, across its versions: the rule and the secret value; for a finding
    without a value, the rule and — unless it is about the whole file — its message (which names what it is
    about: the ``COPY`` source, the variable; never a secret)."""
    if finding.secret:
        return (finding.rule_id, "v", finding.secret)
    if scope == FILE_SCOPE:
        return (finding.rule_id, "p")
    return (finding.rule_id, "m", finding.message)


def dedupe_key(finding: Finding, scope: str = "line") -> DedupeKey:
    """What makes two findings the same leak across commits: the rule and the secret value — the same secret
    copied to a second file is the same leak —; for findings without a value, the rule, the path and (unless
    the finding is about the whole file) its message: a second secret-named ``ARG`` or ``COPY`` of another
    secret file added to a Dockerfile later is another finding."""
    key = _identity(finding, scope)
    return key if finding.secret else (*key[:2], finding.path, *key[2:])


@dataclass(frozen=True, slots=True)
class GitScanOptions:
    """How :func:`scan_changes` treats each file.

    ``decode`` turns bytes into text (None: binary). ``prescan`` is the matcher's byte-level scan (one call
    per window of changed files says which files' added lines may hold a token); else ``might_match(data)``
    may say bytes certainly hold no
    token: it is asked about the added lines, and lines that cannot match are not decoded or scanned.
    ``skip_path`` excludes paths; a file whose added lines exceed ``max_file_size`` bytes is skipped, and
    larger files are not read for the analyzers. ``root``
    is the repository's top folder (the analyzers' context). ``archive_depth`` (0: none),
    ``archive_unpacked`` and ``unpacked_total`` (what all of them may still unpack together; None: no bound)
    say how archives added or changed are opened (see :meth:`_HistoryScan._archive`). Once ``deadline``
    has passed, the scan stops (see :meth:`_HistoryScan._not_reached`)."""

    decode: Callable[[bytes], str | None]
    might_match: Callable[[bytes], bool] | None = None
    prescan: Callable[[bytes], Prescan | None] | None = None
    skip_path: Callable[[str], bool] | None = None
    max_file_size: int = 10 * 1024 * 1024
    root: Path | None = None
    archive_depth: int = 2  # (as ScanOptions.max_archive_depth)
    archive_unpacked: int = 256 * 1024 * 1024
    unpacked_total: UnpackedTotal | None = None
    deadline: float | None = None  # (a time.monotonic() value: see HistoryOptions.deadline)


# Files git calls binary are read, to find text, up to this size (2 MiB: a text of a million characters in
# UTF-16); see _HistoryScan._binary_text
_BINARY_TEXT_MAX = 2 * 1024 * 1024
# Extensions of binary formats, whose files are not read to find text unless the attributes made them binary
_BINARY_EXTENSIONS = frozenset(
    "png jpg jpeg gif ico icns webp bmp tif tiff psd zip gz tgz bz2 xz zst 7z rar jar war ear aar apk class"  # noqa: SIM905
    " dex pdf woff woff2 ttf otf eot exe dll so dylib o a lib obj pyc pyd whl mp3 mp4 m4a wav ogg flac avi"
    " mov mkv webm docx xlsx pptx odt ods sqlite sqlite3 db jks keystore p12 pfx der bin mo ds_store".split()
)
_IDENTITY_CACHE = 4096  # analyzed file versions remembered (identities only)
# The texts whose token matches a history scan's analysis context remembers: how many, how long each may be,
# how many characters in all.
_DETECT_MEMO = 4096
_DETECT_MEMO_TEXT = 16 * 1024
_DETECT_MEMO_CHARS = 4 * 1024 * 1024
_REMEMBER = 8192  # answers remembered for the analyzers (see _RememberingContext.remember)
_T = TypeVar("_T")
_END = 1 << 62  # a position after every message
_MESSAGE_BATCH = 512  # messages read and prefiltered at once, at most
_MESSAGE_BATCH_BYTES = 8 * 1024 * 1024  # ... and their bytes (beyond the last one)


class _RememberingContext:
    """The analysis context of one history scan. The analyzers of a file's versions ask ``detect`` about the
    same values again and again — a workflow's ``env`` values and ``run`` scripts, a Dockerfile's ``ENV``
    lines, unchanged from one version to the next (WrongSecrets: 5,288 questions, 608 distinct texts) —:
    each answer is remembered (the oldest go first), and so are the analyzers' own answers about a piece of
    a file (:meth:`remember`)."""

    __slots__ = ("_chars", "_ctx", "_detected", "_remembered", "root")

    def __init__(self, ctx: AnalysisContext) -> None:
        self.root = ctx.root
        self._ctx = ctx
        self._detected: dict[tuple[str | None, str], tuple[Match, ...]] = {}
        self._chars = 0
        self._remembered: dict[Hashable, object] = {}

    def remember(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """What ``compute()`` gave for ``key`` before, else its answer now (kept). ``key`` names everything
        the answer depends on besides this context (see ``_config_values.remembered``)."""
        memo = self._remembered
        if key in memo:
            return memo[key]  # type: ignore[return-value]
        answer = compute()
        memo[key] = answer
        if len(memo) > _REMEMBER:
            del memo[next(iter(memo))]
        return answer

    def detect(self, text: str, relpath: str | None = None) -> Sequence[Match]:
        key = (relpath, text)
        found = self._detected.get(key)
        if found is None:
            found = tuple(self._ctx.detect(text, relpath))
            if len(text) <= _DETECT_MEMO_TEXT:
                memo = self._detected
                memo[key] = found
                self._chars += len(text)
                while len(memo) > _DETECT_MEMO or self._chars > _DETECT_MEMO_CHARS:
                    oldest = next(iter(memo))
                    del memo[oldest]
                    self._chars -= len(oldest[1])
        return found

    def is_secret_name(self, name: str) -> bool:
        return self._ctx.is_secret_name(name)

    def is_placeholder(self, value: str) -> bool:
        return self._ctx.is_placeholder(value)


def _binary_by_name(path: str) -> bool:
    """Whether a file that git calls binary is one by its name as well: a known binary format, or a name
    without any dot (an executable, as a rule: WrongSecrets' history commits a hundred versions of its
    challenge binaries). UTF-16 text is written by Windows tools, under names with an extension."""
    name = path.rpartition("/")[2]
    return "." not in name or name.rpartition(".")[2].lower() in _BINARY_EXTENSIONS


def _member_identity(member: Member) -> tuple[str, bytes]:
    """An archive member's path and a digest of its parts: equal for the same member in two versions of an
    archive (the archive's own path is the same prefix in both)."""
    digest = hashlib.blake2b(digest_size=16)
    for data, lines_before in member.parts:
        digest.update(lines_before.to_bytes(8, "little") + len(data).to_bytes(8, "little") + data)
    return member.path, digest.digest()


class _HistoryScan:
    """The state of one history scan: the secrets reported so far and, per analyzed file version, what its
    analyzers found (so that a version's findings are compared with its parent's, not reported again).

    With ``messages`` (see :mod:`._messages`), the commits' and tags' messages are scanned too, each in its
    place in the order of the history: a commit's message after the commit's file changes, then the messages
    of the tags pointing at it. A secret is reported once, at the first of these places."""

    def __init__(
        self,
        scanner: HistoryScanner,
        blobs: BlobReader,
        options: GitScanOptions,
        progress: GitProgress | None = None,
        messages: MessageReader | None = None,
        order: Sequence[str] | Callable[[], Sequence[str]] = (),
    ) -> None:
        self.scanner = scanner
        self.blobs = blobs
        self.options = options
        self.progress = progress
        self.stats = ScanStats()
        self.seen: set[DedupeKey] = set()
        self.found: list[tuple[DedupeKey, Finding]] = []
        self.commits = 0
        self.files_done = 0
        self._analyzers: dict[str, list[FileAnalyzer]] = {}
        self._identities: dict[tuple[str, str, str], frozenset[DedupeKey]] = {}
        self._ctx: _RememberingContext | None = None
        # messages: read from `messages` ahead of the scan (a window's at once, for one prescan), scanned in
        # their places; `order` gives the commits' places (positions)
        self._messages: Iterator[GitMessage] | None = iter(messages) if messages is not None else None
        self._order = order
        self._positions: dict[str, int] | None = None
        self._pending: list[tuple[GitMessage, bool]] = []  # read, not scanned yet: (message, may match)
        self._pulled = -1  # the position of the last message read from `messages`
        self._exhausted = False  # `messages` has no more
        #: whether the scan stopped at the options' deadline (the commits it did not finish then are counted
        #: in stats.commits_unscanned)
        self.stopped = False

    def run(self, changes: Iterable[CommitChanges]) -> None:
        started = time.perf_counter()
        last_report = 0.0
        might_match = self.options.might_match
        prescan = self.options.prescan
        deadline = self.options.deadline
        if deadline is not None and isinstance(changes, ChangeStream):
            changes.deadline = deadline
        last_commit: CommitInfo | None = None
        windows = (self._binary_text(window) for window in _windows(changes))
        window = self._next_window(windows)
        wanted = self._prefetch(window) if window is not None else []
        while window is not None:
            if deadline is not None and time.monotonic() >= deadline:
                self.stopped = True
                break
            # the files the analyzers of the next window will read are asked of git before this one is
            # scanned: they are looked up meanwhile
            upcoming = self._next_window(windows)
            upcoming_wanted = self._prefetch(upcoming) if upcoming is not None else []
            # The prefilter looks at a whole window of commits at once; when something in it may match,
            # halves are asked until the files that may match are found (a few calls, not one per file).
            candidates: dict[int, Prescan | None] | None = None
            if prescan is not None:
                texts = [(id(f), f.added_text) for c in window for f in c.files if f.added_text]
                candidates = _prescan_candidates(texts, prescan)
            elif might_match is not None:
                texts = [(id(f), f.added_text) for c in window for f in c.files if f.added_text]
                candidates = dict.fromkeys(_may_match(texts, might_match))
            if self._messages is not None:
                self._read_messages(window)
            for change in window:
                if change.commit is None or change.commit is not last_commit:
                    if self._messages is not None and change.commit is not None:
                        self._scan_messages(self._position(change.commit.sha))
                    self.commits += 1
                    last_commit = change.commit
                for file in change.files:
                    hit = candidates is None or id(file) in candidates
                    self._file(
                        change.commit, file, hit, None if candidates is None else candidates.get(id(file))
                    )
                if self.progress is not None:
                    now = time.perf_counter()
                    if now - last_report >= 0.1:
                        last_report = now
                        self.progress(self.commits, self.files_done)
            self.blobs.forget(wanted, max_size=self.options.max_file_size)
            window, wanted = upcoming, upcoming_wanted
        if self.stopped:
            self.stats.commits_unscanned += self._not_reached(last_commit)
        elif self._messages is not None:
            # the messages of the last commit, and of those the patches left out at the end
            self._scan_messages(_END)
        if self.progress is not None:
            self.progress(self.commits, self.files_done)
        self.stats.seconds = time.perf_counter() - started

    def _next_window(self, windows: Iterator[list[CommitChanges]]) -> list[CommitChanges] | None:
        """The next window, or None at the end, or when the deadline passed while git was awaited
        (:attr:`stopped`)."""
        if self.stopped:
            return None
        try:
            return next(windows, None)
        except _TimeUp:
            self.stopped = True
            return None

    def _not_reached(self, last: CommitInfo | None) -> int:
        """How many commits of the order a scan that stopped did not finish: those after ``last`` (the last
        commit whose changes it began), and ``last`` too (a commit of very many files comes in several
        items: it may not be done, and its message is not scanned yet)."""
        if not callable(self._order) and not self._order:
            return 1  # the staged changes
        # (when the deadline came before git listed the commits, this waits for the listing: the count
        # is reported, and listing commits costs git far less than writing their patches)
        order = self._order() if callable(self._order) else self._order
        if last is None:
            return len(order) or 1
        return len(order) - max(self._position(last.sha), 0)

    # -- messages -----------------------------------------------------------------------------------------

    def _position(self, sha: str) -> int:
        """A commit's place in the order of the history (-1 when unknown: no message is due before it)."""
        positions = self._positions
        if positions is None:
            order = self._order() if callable(self._order) else self._order
            positions = self._positions = {commit: index for index, commit in enumerate(order)}
        return positions.get(sha, -1)

    def _read_messages(self, window: list[CommitChanges]) -> None:
        """Read the messages due before the window's last commit (with one prescan for them all, up to a
        batch)."""
        last = next((c.commit for c in reversed(window) if c.commit is not None), None)
        if last is not None:
            self._pull_messages(self._position(last.sha))

    def _pull_messages(self, position: int) -> bool:
        """Read messages until one placed at ``position`` or later is read, there are no more, or a batch is
        read (:data:`_MESSAGE_BATCH` messages or :data:`_MESSAGE_BATCH_BYTES`: what waits in memory stays
        bounded); ask the prefilter about them at once. Whether any was read."""
        source = self._messages
        if source is None or self._exhausted or self._pulled >= position:
            return False
        new: list[GitMessage] = []
        size = 0
        for message in source:
            new.append(message)
            size += len(message.data)
            self._pulled = message.position
            if message.position >= position or len(new) >= _MESSAGE_BATCH or size >= _MESSAGE_BATCH_BYTES:
                break
        else:
            self._exhausted = True
        if not new:
            return False
        texts = [(index, m.data) for index, m in enumerate(new)]
        candidates: dict[int, Prescan | None] | None = None
        if self.options.prescan is not None:
            candidates = _prescan_candidates(texts, self.options.prescan)
        elif self.options.might_match is not None:
            candidates = dict.fromkeys(_may_match(texts, self.options.might_match))
        for index, message in enumerate(new):
            hit = candidates is None or index in candidates
            self._pending.append((message, hit))
        return True

    def _scan_messages(self, position: int) -> None:
        """Scan the messages placed before ``position`` (reading them first when they are not read yet)."""
        pending = self._pending
        while True:
            self._scan_pending(position)
            if pending or not self._pull_messages(position):
                return  # (what is left is placed at ``position`` or later; or nothing is)

    def _scan_pending(self, position: int) -> None:
        pending = self._pending
        done = 0
        for message, hit in pending:
            if message.position >= position:
                break
            done += 1
            if message.truncated:
                self.stats.messages_truncated.append(message.origin)
            if hit:
                # (the prefilter looked at the raw bytes, which a message with odd bytes does not decode
                # to: the text is scanned whole, without the prescan's offsets)
                text, numbers = message.lines()
                for finding in self.scanner.scan_lines("", text, numbers):
                    self._report(
                        message.commit, dataclasses.replace(finding, git_message=message.origin), "line"
                    )
        if done:
            del pending[:done]

    def _binary_text(self, window: list[CommitChanges]) -> list[CommitChanges]:
        """``window`` with each file that git calls binary but that is text made a text change, read as the
        tree scan reads it. git writes no patch for

        * UTF-16 and UTF-32 text (it holds NUL bytes): a secret in a PowerShell script or a ``.reg`` export
          that a Windows tool saved as UTF-16 would pass ``check-secrets git --staged`` and then fail the tree
          scan;
        * a text file that the repository's ``.gitattributes`` marks binary (``-diff``, ``binary``): a
          common way to quiet the diffs of lockfiles, SQL dumps or ``.env`` files, and a repository's own
          attributes must not hide a file from the scan.

        Read (at most :data:`_BINARY_TEXT_MAX` bytes; sizes are asked first, so that a large binary is not):
        the files git calls binary whose name is not a binary format (:func:`_binary_by_name`), and those
        whose attributes make them binary whatever their name. For a text one, the lines added are those of
        the new version that the version(s) before did not have (as for a merge, see :func:`merge_lines`)."""
        options = self.options
        candidates = [
            f
            for change in window
            for f in change.files
            if f.binary and f.blob and (options.skip_path is None or not options.skip_path(f.path))
        ]
        if not candidates:
            return window
        by_name = [f.path for f in candidates if _binary_by_name(f.path)]
        marked = self.blobs.marked_binary(by_name) if by_name else set()
        blobs = [f.blob for f in candidates if f.blob and (f.path in marked or not _binary_by_name(f.path))]
        if not blobs:
            return window
        limit = min(_BINARY_TEXT_MAX, options.max_file_size)
        small = {b for b, size in self.blobs.sizes(blobs).items() if size <= limit}
        if not small:
            return window
        out: list[CommitChanges] = []
        for change in window:
            if any(f.binary and f.blob in small for f in change.files):
                files = tuple(
                    self._as_text(f, limit) if f.binary and f.blob in small else f for f in change.files
                )
                change = dataclasses.replace(change, files=files)
            out.append(change)
        return out

    def _as_text(self, file: FileChange, limit: int) -> FileChange:
        """``file`` (binary to git) as a text change when its version is text to the tree scan, else
        unchanged."""
        new = self._text_version(file.blob, limit)
        if new is None:
            return file
        olds = [] if file.new_file else [self._text_version(b, limit) for b in file.old_blobs]
        known = [old for old in olds if old is not None]
        # a version before that is unreadable or binary: every line is looked at
        numbers, text = merge_lines(new, known if len(known) == len(olds) else [])
        return dataclasses.replace(file, binary=False, added=numbers, added_text=text, removed_after=())

    def _text_version(self, blob: str | None, limit: int) -> bytes | None:
        """A version's text, UTF-8 encoded, when the tree scan would read it as text."""
        data = self.blobs.read(blob, max_size=limit) if blob else None
        text = self.options.decode(data) if data is not None else None
        return None if text is None else text.encode("utf-8", "surrogatepass")

    def _analyzers_of(self, path: str) -> list[FileAnalyzer]:
        analyzers = self._analyzers.get(path)
        if analyzers is None:
            analyzers = self._analyzers[path] = [
                a for a in self.scanner.analyzers_for(path) if _in_history(a, path)
            ]
        return analyzers

    def _wanted(self, window: list[CommitChanges]) -> list[str]:
        """The blobs the analyzers may read for a window's changed files (as of their commits)."""
        options = self.options
        return [
            f.blob
            for change in window
            for f in change.files
            if f.blob
            and not f.binary
            and len(f.added_text) <= options.max_file_size
            and (options.skip_path is None or not options.skip_path(f.path))
            and self._analyzers_of(f.path)
        ]

    def _prefetch(self, window: list[CommitChanges]) -> list[str]:
        wanted = self._wanted(window)
        if wanted:
            self.blobs.prefetch(wanted, max_size=self.options.max_file_size)
        return wanted

    # -- one changed file ---------------------------------------------------------------------------------

    def _file(
        self, commit: CommitInfo | None, file: FileChange, candidate: bool, prescan: Prescan | None
    ) -> None:
        options, stats, path = self.options, self.stats, file.path
        if not (file.added or file.binary):
            self._removals(commit, file)
            return
        if options.skip_path is not None and options.skip_path(path):
            stats.paths_excluded += 1
            return
        self.files_done += 1
        analyzers = self._analyzers_of(path)
        tokens: list[Finding] = []
        text: str | None = None
        added: str | None = None
        if file.binary:
            if self._archive(commit, file):
                return
            stats.files_skipped += 1
            if not analyzers:
                return
            text = ""  # only the checks by name apply
        elif len(file.added_text) > options.max_file_size:
            # as a tree scan does with a large file: its first and last max_file_size / 2 bytes of added lines
            # (a new file's added lines are the file), so a key at the top of a committed dump is found
            stats.files_truncated += 1
            stats.files_scanned += 1
            for finding in self._large(path, file):
                self._report(commit, finding, "line")
            return
        else:
            stats.bytes_scanned += len(file.added_text)
            stats.files_scanned += 1
            if candidate or analyzers:
                added = options.decode(file.added_text)
            if candidate and added:
                numbers = sorted(file.added)
                tokens = self.scanner.scan_lines(path, added, numbers, prescan=prescan)
                if file.old_blobs and (bodies := _key_body_lines(added, numbers, tokens)):
                    text = self._version_text(file.blob)
                    if text is not None:
                        tokens.extend(self._key_blocks(path, text, bodies))
        if analyzers and not tokens and added is not None and file.old_blobs:
            # an analyzer that is sure the added lines cannot give it a new finding is not run (the version
            # is analyzed later, from its blob, if a child's change needs to be compared with it); it judges
            # them in the file as of the commit, read now (and given to the analyzers that do run)
            if text is None:
                text = self._version_text(file.blob)
            if text is None:  # unreadable, too large or binary now: nothing to analyze, no token finding
                return
            analyzers = self._may_give_findings(analyzers, file, added, text)
        if analyzers:
            self._with_analyzers(commit, file, analyzers, tokens, text)
        else:
            for finding in tokens:
                self._report(commit, finding, "line")

    def _archive(self, commit: CommitInfo | None, file: FileChange) -> bool:
        """Open ``file`` when it is an archive (by its name, then its first bytes) and report what its
        members hold, as the tree scan does (``ARCHIVE!MEMBER``); False when it is not one, or too large to
        hold (then counted as an archive read partly, and treated as any binary file).

        Each version an archive is added or changed in is read whole; its members that the version before
        had byte for byte are not scanned again (see :meth:`_archive_members`), and a secret already
        reported (in an earlier version, or anywhere else) is not reported again, as for text files."""
        options = self.options
        if options.archive_depth <= 0 or not file.blob:
            return False
        if not archive_by_name(file.path):
            return False
        from ._archive import ArchiveLimits, archive_kind

        limits = ArchiveLimits(
            depth=options.archive_depth,
            unpacked=options.archive_unpacked,
            member_size=options.max_file_size,
            total=options.unpacked_total,
        )
        held = self.blobs.hold(file.blob, limits)
        if held is None:  # larger than an archive is held (or gone): not opened, and said so
            self.stats.archives_incomplete += 1
            return False
        with held:
            if archive_kind(held.read(512)) is None:
                return False
            held.seek(0)
            before = self._archive_members(file, limits)
            found = self.scanner.scan_archive(
                file.path,
                lambda: held,
                self.stats,
                limits,
                skip=(lambda member: _member_identity(member) in before) if before else None,
            )
        for finding in found:
            self._report(commit, finding, "line")
        return True

    def _archive_members(self, file: FileChange, limits: ArchiveLimits) -> set[tuple[str, bytes]]:
        """The members (name and a digest of what was read of them) of the archive's version(s) before the
        change: a member that one of them already had, byte for byte, is not scanned again (as lines a
        change did not add are not); one that changed is scanned whole."""
        from ._archive import ArchiveReader, archive_kind

        members: set[tuple[str, bytes]] = set()
        for blob in () if file.new_file else file.old_blobs:
            held = self.blobs.hold(blob, limits)
            if held is None:
                continue
            with held, contextlib.suppress(OSError):
                if archive_kind(held.read(512)) is not None:
                    held.seek(0)
                    reader = ArchiveReader(file.path, limits)
                    members.update(_member_identity(m) for m in reader.members(held))
        return members

    def _removals(self, commit: CommitInfo | None, file: FileChange) -> None:
        """A change that only removes lines: no token rule has anything to look at, but an analyzer may read
        the lines around them differently now (a key moved under ``secrets:``, a line joined to a ``RUN``
        continued above it, an instruction whose ``# check-secrets: allow`` comment went): the analyzers whose
        ``may_change`` says so about those lines run on the file as of the commit, as for added lines. (Not
        counted as a file scanned: the change adds nothing.)"""
        options, path = self.options, file.path
        if not file.removed_after or not file.old_blobs or not file.blob:
            return
        analyzers = self._analyzers_of(path)
        if not analyzers or (options.skip_path is not None and options.skip_path(path)):
            return
        text = self._version_text(file.blob)
        if text is None:
            return
        analyzers = self._may_give_findings(analyzers, file, "", text)
        if analyzers:
            self._with_analyzers(commit, file, analyzers, [], text)

    def _key_blocks(self, path: str, text: str, bodies: Sequence[int]) -> list[Finding]:
        """Token findings in the key blocks (``BEGIN`` line to ``END`` line, as of the commit) that hold the
        added key body lines ``bodies``: a key rotated in place adds its body only."""
        lines = text.split("\n")
        found: list[Finding] = []
        done = 0  # the last line of the blocks scanned
        for number in bodies:
            if number <= done:
                continue
            block = _key_block(lines, number)
            if block is not None:
                first, last = block
                done = last
                chunk = "".join(f"{line}\n" for line in lines[first - 1 : last])
                found.extend(self.scanner.scan_lines(path, chunk, range(first, last + 1)))
        return found

    def _version_text(self, blob: str | None) -> str | None:
        """A file's text as of a commit, from its blob; None when there is no blob or it is unreadable, larger
        than ``max_file_size`` or binary."""
        data = self.blobs.read(blob, max_size=self.options.max_file_size) if blob else None
        return self.options.decode(data) if data is not None else None

    def _may_give_findings(
        self, analyzers: list[FileAnalyzer], file: FileChange, added: str, text: str
    ) -> list[FileAnalyzer]:
        """The analyzers whose ``may_change`` says the change (its ``added`` text, and the lines around what
        it only removed) could give ``text``, the file as of the commit, a finding it did not have."""
        numbers: Sequence[int] = sorted(file.added)
        if file.removed_after:
            source = text.split("\n")
            numbers = _around_removals(file.added, file.removed_after, source)
            added = "\n".join([source[n - 1] for n in numbers])
        return [a for a in analyzers if self._may_change(a, added, text, numbers)]

    def _large(self, path: str, file: FileChange) -> list[Finding]:
        """Token findings in the head and the tail of added lines too large to scan whole."""
        from ..._safe_read import head_and_tail

        data = file.added_text
        numbers = sorted(file.added)
        half = max(self.options.max_file_size // 2, 1)
        found: list[Finding] = []
        for part, before in head_and_tail(io.BytesIO(data).read, len(data), half):
            self.stats.bytes_scanned += len(part)
            text = self.options.decode(part)
            count = part.count(b"\n")
            if text and count:
                found.extend(self.scanner.scan_lines(path, text, numbers[before : before + count]))
        return found

    def _may_change(self, analyzer: FileAnalyzer, added: str, text: str, numbers: Sequence[int]) -> bool:
        """What the analyzer's optional ``may_change(added, ctx, text, lines)`` says of the added lines (their
        text, the file as of the commit, their line numbers); True for an analyzer without one."""
        may_change: Callable[[str, AnalysisContext, str, Sequence[int]], bool] | None = getattr(
            analyzer, "may_change", None
        )
        if may_change is None:
            return True
        return bool(may_change(added, self._context(), text, numbers))

    def _context(self) -> _RememberingContext:
        if self._ctx is None:
            self._ctx = _RememberingContext(self.scanner.context(self.options.root))
        return self._ctx

    def _with_analyzers(
        self,
        commit: CommitInfo | None,
        file: FileChange,
        analyzers: list[FileAnalyzer],
        tokens: list[Finding],
        text: str | None,
    ) -> None:
        """Run the analyzers on the file as of the commit; report what the version before did not have."""
        path = file.path
        if text is None:
            text = self._version_text(file.blob)
            if text is None:  # unreadable, too large or binary now: the token findings stand alone
                for finding in tokens:
                    self._report(commit, finding, "line")
                return
        found: list[Finding] = []
        new_places: dict[tuple[str, int, int], str] = {}  # (rule, line, column) -> scope
        for analyzer in analyzers:
            scope = finding_scope(analyzer)
            results = self.scanner.analyze_document(
                path, text, [analyzer], count_suppressed=file.added, ctx=self._context()
            )
            if file.blob:
                self._remember(
                    (analyzer.id, path, file.blob), frozenset(_identity(f, scope) for f in results)
                )
            if not results:
                continue
            found.extend(results)
            seen = self.seen
            if all(dedupe_key(f, scope) in seen for f in results):
                # each would be reported under a key reported already, a no-op whatever the version before
                # had: that version need not be analyzed (most changes to a Dockerfile whose secret-named
                # ARG was reported when added)
                continue
            before = self._before(analyzer, file)
            for finding in results:
                if _identity(finding, scope) not in before:
                    new_places[(finding.rule_id, finding.line, finding.column)] = scope
        if not found:
            for finding in tokens:
                self._report(commit, finding, "line")
            return
        # a token finding at the place of an analyzer's finding is that finding (reported now, or earlier when
        # the version before had it)
        merged = self.scanner.merge_same_place([*tokens, *found]) if tokens else found
        for finding in merged:
            if self.scanner.is_token_rule(finding.rule_id):
                self._report(commit, finding, "line")
                continue
            # (merging may have replaced the object: its message then names the token rule)
            scope_of = new_places.get((finding.rule_id, finding.line, finding.column))
            if scope_of is not None:
                self._report(commit, finding, scope_of)

    def _before(self, analyzer: FileAnalyzer, file: FileChange) -> frozenset[DedupeKey]:
        """What ``analyzer`` found in the version(s) before the change: nothing for a new file; for a merge,
        what any parent had."""
        if file.new_file or not file.old_blobs:
            return frozenset()
        old_path = file.old_path or file.path
        out: frozenset[DedupeKey] = frozenset()
        for blob in file.old_blobs:
            out |= self._analyzed(analyzer, old_path, blob, binary=file.binary)
        return out

    def _analyzed(
        self, analyzer: FileAnalyzer, path: str, blob: str, *, binary: bool
    ) -> frozenset[DedupeKey]:
        key = (analyzer.id, path, blob)
        known = self._identities.get(key)
        if known is not None:
            return known
        ids: set[DedupeKey] = set()
        if analyzer.applies_to(path):
            text: str | None = ""
            if not binary:
                text = self._version_text(blob)
            if text is not None:
                scope = finding_scope(analyzer)
                results = self.scanner.analyze_document(
                    path, text, [analyzer], count_suppressed=frozenset(), ctx=self._context()
                )
                ids.update(_identity(f, scope) for f in results)
        known = frozenset(ids)
        self._remember(key, known)
        return known

    def _remember(self, key: tuple[str, str, str], ids: frozenset[DedupeKey]) -> None:
        cache = self._identities
        cache.pop(key, None)
        cache[key] = ids
        if len(cache) > _IDENTITY_CACHE:
            del cache[next(iter(cache))]  # the least recently stored

    def _report(self, commit: CommitInfo | None, finding: Finding, scope: str) -> None:
        key = dedupe_key(finding, scope)
        if key in self.seen:
            return
        self.seen.add(key)
        self.found.append((key, finding if commit is None else dataclasses.replace(finding, commit=commit)))


def scan_changes(
    scanner: HistoryScanner,
    changes: Iterable[CommitChanges],
    blobs: BlobReader,
    options: GitScanOptions,
    *,
    progress: GitProgress | None = None,
) -> tuple[list[Finding], ScanStats]:
    """Scan what each change added and report each secret once, at the first change (in the order of
    ``changes``) that put it on an added line, with its commit attached.

    Token rules look at the added lines only (those the prefilter cannot rule out). The analyzers of a
    file (Dockerfile, compose, CI workflow, ``.env``, sensitive files) run on the file as of the commit,
    only when the commit changes it, and report what the file's version before the change did not have."""
    scan = _HistoryScan(scanner, blobs, options, progress)
    scan.run(changes)
    return [f for _, f in scan.found], scan.stats


# A line of key material as PEM, OpenSSH and PGP armour write it (64 or 70 characters, the last line shorter),
# possibly indented or quoted in a configuration file.
_KEY_BODY_LINE = re.compile(r"[ \t]*[\"']?[A-Za-z0-9+/]{24,80}={0,2}[\"']?[ \t]*\r?")
# A line of key material anywhere in a text that is given with a newline in front: the leading newline lets re
# look for candidates with a fast search for that character (a pattern that begins with ^ is tried at every
# position: twice the time over the added text of every changed file)
_KEY_BODY_ANY = re.compile(r"\n" + _KEY_BODY_LINE.pattern + r"(?=\n|\Z)")
_KEY_BEGIN = re.compile(r"[ \t\"']*-{4,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}")
_KEY_END = re.compile(r"[ \t\"']*-{4,5} ?END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}")
_KEY_BLOCK_LINES = 200  # lines a key block may span (a 4096-bit RSA key: 51)
# what else a key block holds: shorter key lines (its last), armour headers ("Proc-Type: 4,ENCRYPTED"), blanks
_KEY_BLOCK_LINE = re.compile(
    r"[ \t]*[\"']?"
    r"(?:[A-Za-z0-9+/]{1,80}={0,2}|=[A-Za-z0-9+/]{4}|[A-Za-z-]{2,20}: ?[^\r]{0,100})?"
    r"[\"']?[ \t]*\r?"
)


def _key_body_lines(added: str, numbers: Sequence[int], tokens: Sequence[Finding]) -> list[int]:
    """The numbers of the added lines that read as key material (a whole line of base64) and that no token
    finding covers: a key whose ``BEGIN`` line the change did not add (see ``_HistoryScan._key_blocks``)."""
    if not _KEY_BODY_ANY.search("\n" + added):
        return []
    covered = [(f.line, f.end_line) for f in tokens]
    return [
        number
        for number, line in zip(numbers, added.split("\n"), strict=False)
        if len(line) >= 24
        and _KEY_BODY_LINE.fullmatch(line)
        and not any(first <= number <= last for first, last in covered)
    ]


def _key_block(lines: Sequence[str], number: int) -> tuple[int, int] | None:
    """The first and last line numbers (1-based) of the private key block holding line ``number``: its
    ``BEGIN`` line above, through key material and armour headers, and its ``END`` line below."""
    first = number
    while True:
        first -= 1
        if first < 1 or number - first > _KEY_BLOCK_LINES:
            return None
        line = lines[first - 1]
        if _KEY_BEGIN.match(line):
            break
        if not _KEY_BLOCK_LINE.fullmatch(line):
            return None  # not a key's lines all the way up
    last = number
    while True:
        last += 1
        if last > len(lines) or last - first > _KEY_BLOCK_LINES:
            return None
        line = lines[last - 1]
        if _KEY_END.match(line):
            return first, last
        if not _KEY_BLOCK_LINE.fullmatch(line):
            return None


def _around_removals(
    added: AbstractSet[int], removed_after: Sequence[int], source: Sequence[str]
) -> list[int]:
    """The numbers (1-based, ascending) of the added lines and of the lines of ``source`` (the new version,
    split at newlines) around each place where lines were only removed: the line they stood after, and the
    first line after them that was not added — and, while that one is blank or a comment, the next ones up to
    one that is not (an allow comment may have stood above an instruction, past other comments). What an
    analyzer's ``may_change`` is asked about, in context, for a change that removes lines."""
    count = len(source)
    lines = set(added)
    for after in removed_after:
        if 0 < after <= count:
            lines.add(after)
        below = after + 1
        while below in added:
            below += 1
        while 0 < below <= count:
            lines.add(below)
            stripped = source[below - 1].strip()
            if stripped and not stripped.startswith("#"):
                break
            below += 1
    return sorted(lines)


def _prescan_candidates(
    texts: Sequence[tuple[int, bytes]], prescan: Callable[[bytes], Prescan | None]
) -> dict[int, Prescan | None] | None:
    """The texts where the matcher's prescan of all of them joined (each preceded by a newline, as its first
    line is in its file) ends a candidate match, each with its share of the prescan (the ends inside it,
    reused when the text is scanned); None: every text (no prescan, or too many candidates)."""
    if not texts:
        return {}
    result = prescan(b"\n".join([b"", *(t for _, t in texts)]))
    if result is None or result.overflow or result.has_unprefiltered:
        return None
    if not result.ends:
        return {}
    starts: list[int] = []
    offset = 0
    for _, text in texts:
        offset += 1  # the newline before it
        starts.append(offset)
        offset += len(text)
    shares: dict[int, dict[int, list[int]]] = {}
    for pattern, ends in result.ends.items():
        for end in ends:
            index = bisect.bisect_right(starts, end - 1) - 1
            if index >= 0:
                shares.setdefault(index, {}).setdefault(pattern, []).append(end - starts[index])
    from ..engine._matcher import Prescan

    return {
        texts[index][0]: Prescan(len(texts[index][1]), ends, False, False, texts[index][1])
        for index, ends in shares.items()
    }


def _may_match(texts: Sequence[tuple[int, bytes]], might_match: Callable[[bytes], bool]) -> set[int]:
    """The keys of the texts the prefilter cannot rule out, asking about groups first (bisection). Each text
    is preceded by a newline, as its first line is in its file (a token may need a delimiter before it)."""
    found: set[int] = set()
    pending = [(0, len(texts))]
    while pending:
        lo, hi = pending.pop()
        if hi <= lo:
            continue
        joined = b"\n" + texts[lo][1] if hi - lo == 1 else b"\n".join([b"", *(t for _, t in texts[lo:hi])])
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


# ------------------------------------------------------------------------------------------ whole histories


@dataclass(frozen=True, slots=True)
class HistoryOptions:
    """The settings of a history scan that cross to worker processes (``archive_depth`` and
    ``archive_unpacked``: see :class:`GitScanOptions`; ``archive_unpacked_total``: what all the archives of
    the run may unpack together, see :mod:`._unpacked`)."""

    exclude: tuple[str, ...] = ()
    max_file_size: int = 10 * 1024 * 1024
    archive_depth: int = 2
    archive_unpacked: int = 256 * 1024 * 1024
    archive_unpacked_total: int = DEFAULT_UNPACKED_TOTAL
    # When the scan stops, as a time.monotonic() value (None: never). The commits not reached by then are
    # counted in ScanStats.commits_unscanned, never passed as clean. (The clock is the system's monotonic
    # clock — CLOCK_MONOTONIC, mach_absolute_time, QueryPerformanceCounter — so worker processes share it.)
    deadline: float | None = None


def scan_options(
    scanner: object, root: Path, settings: HistoryOptions, total: UnpackedTotal | None = None
) -> GitScanOptions:
    """The :class:`GitScanOptions` of ``scanner`` (its matcher's byte-level prefilter) and ``settings``;
    ``total``: the run's unpacked total when worker processes share it (else a new one)."""
    from ._tree import decode_document, matchable

    skip_path: Callable[[str], bool] | None = None
    if settings.exclude:
        import pathspec

        spec = pathspec.GitIgnoreSpec.from_lines(list(settings.exclude))

        def skip_path(path: str) -> bool:
            return bool(spec.match_file(matchable(path)))

    return GitScanOptions(
        decode=decode_document,
        prescan=_prescan(getattr(scanner, "detector", None)),
        skip_path=skip_path,
        max_file_size=settings.max_file_size,
        root=root,
        archive_depth=settings.archive_depth,
        archive_unpacked=settings.archive_unpacked,
        unpacked_total=total if total is not None else UnpackedTotal(settings.archive_unpacked_total),
        deadline=settings.deadline,
    )


def _prescan(detector: object) -> Callable[[bytes], Prescan | None] | None:
    prescan = getattr(detector, "prescan", None)
    return prescan if callable(prescan) else None


# Histories of at least this many commits per worker are split into parts scanned by worker processes.
_MIN_PART = 400
# Up to this many jobs, a history is scanned in this process while that many git processes write its patches
# (on two cores, git's patches are half the work: two workers, each with its own git, only fight for them).
_IN_PROCESS_JOBS = 2


class HistoryScan:
    """One ``check-secrets git`` run: git is started at once, in the background (before the rules are loaded).
    With up to two ``jobs`` the scan runs in this process while as many git processes write the patches of
    consecutive parts of the history. With more, a long history (at least ``2 * min_part`` commits) is split
    into consecutive parts of its topologically ordered commits, each scanned by a worker process with its
    own git, and the parts' findings are put back in order — the output is the same whatever ``jobs``."""

    def __init__(
        self, root: Path, selection: GitSelection, *, jobs: int = 0, min_part: int = _MIN_PART
    ) -> None:
        self.root = root
        self.jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
        self.parts: list[list[str]] = []  # every commit of each part, in order (see _run_parts)
        self.merges: dict[str, MergeFiles] = {}
        self.stream: ChangeStream | None = None
        # the messages of the commits and tags (not for the staged changes: no commit yet)
        self.messages: MessageReader | None = None
        self._order: list[str] | Callable[[], list[str]] = []
        self._quiet: set[str] = set()  # the merges left out of the parts' patches (they change nothing)
        self._tags = TagPlan()
        self.quiet_merges = 0
        # The build context a Dockerfile's COPY is checked against: the working tree for the staged changes
        # and a pull request's commits (it holds what they build); for a whole history or a range, none —
        # today's files say nothing about what an old Dockerfile copied, so its sources are judged by name.
        self.tree_is_context = selection.mode in (GitMode.STAGED, GitMode.SINCE)
        every_tag: TagPlan | bool = selection.mode is GitMode.ALL
        if selection.mode is GitMode.PUSH:
            # the annotated tags pushed (not refs yet: no listing has them), read after the commits
            every_tag = TagPlan({}, _pushed(root, selection.updates)[1])
        if selection.mode is not GitMode.STAGED and self.jobs > _IN_PROCESS_JOBS:
            plan = plan_commits(root, resolve_revisions(root, selection))
            ids, self.quiet_merges, self.merges = plan.commits, plan.quiet_merges, plan.merges
            self._order = order = plan.order
            if len(ids) >= 2 * min_part:
                count = max(self.jobs, min(3 * self.jobs, len(ids) // min_part))  # a few parts per worker
                # the parts are cut from every commit's place (a merge left out still has its message)
                size = -(-len(order) // count)
                self.parts = [order[start : start + size] for start in range(0, len(order), size)]
                self._quiet = set(order) - set(ids)
                self._tags = (
                    every_tag if isinstance(every_tag, TagPlan) else plan_tags(root, order, every=every_tag)
                )
                return
            self.stream = ChangeStream(root, selection, commits=ids, merges=plan.merges, jobs=1)
            self.messages = MessageReader(root, order, every_tag)
            return
        self.stream = ChangeStream(root, selection, jobs=self.jobs, min_shard=min_part)
        if selection.mode is not GitMode.STAGED:
            self._order = self.stream.order
            self.messages = MessageReader(root, self.stream.order, every_tag)

    def run(
        self, scanner: HistoryScanner, settings: HistoryOptions, *, progress: GitProgress | None = None
    ) -> tuple[list[Finding], ScanStats]:
        """Scan; findings in the order of the commits that introduced them (each secret once)."""
        started = time.perf_counter()
        with contextlib.ExitStack() as stack:
            context = self.root
            if not self.tree_is_context:
                context = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="check-secrets-git-")))
            if self.stream is not None:
                with self.stream, BlobReader(self.root) as blobs:
                    options = scan_options(scanner, context, settings)
                    scan = _HistoryScan(scanner, blobs, options, progress, self.messages, self._order)
                    scan.run(self.stream)
                    self.quiet_merges = self.quiet_merges or self.stream.quiet_merges
                    quiet = self.quiet_merges + self.stream.quiet_commits
                found, stats = [f for _, f in scan.found], scan.stats
                if progress is not None and quiet:
                    progress(scan.commits + quiet, scan.files_done)
            else:
                found, stats = self._run_parts(scanner, settings, context, progress)
        stats.seconds = time.perf_counter() - started
        return found, stats

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
        if self.messages is not None:
            self.messages.close()

    def __enter__(self) -> HistoryScan:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run_parts(
        self, scanner: HistoryScanner, settings: HistoryOptions, context: Path, progress: GitProgress | None
    ) -> tuple[list[Finding], ScanStats]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        prepare = getattr(getattr(getattr(scanner, "detector", None), "matcher", None), "prepare", None)
        if callable(prepare):
            prepare()  # compile (or load) the pattern database once; forked workers inherit it
        load_analyzers = getattr(scanner, "file_analyzers", None)
        if callable(load_analyzers):
            load_analyzers()  # import the analyzer modules once, before the fork
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        mp_context = multiprocessing.get_context(method)
        total = UnpackedTotal(settings.archive_unpacked_total).share(mp_context)  # one for all the parts
        combined = _Combined()
        suppressed = 0
        with ProcessPoolExecutor(
            max_workers=min(self.jobs, len(self.parts)),
            mp_context=mp_context,
            initializer=_init_worker,
            initargs=(scanner, self.root, settings, context, total),
        ) as pool:
            futures = [
                pool.submit(
                    _scan_part,
                    [sha for sha in part if sha not in self._quiet],
                    {sha: self.merges[sha] for sha in part if sha in self.merges},
                    part,
                    self._tags.part(part, last=number == len(self.parts) - 1),
                )
                for number, part in enumerate(self.parts)
            ]
            try:
                for future in futures:  # in order: the first part to introduce a secret reports it
                    part = future.result()
                    combined.add(part.found, part.stats, part.commits, part.files)
                    suppressed += part.suppressed
                    if progress is not None:
                        progress(combined.commits, combined.files)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        if progress is not None and self.quiet_merges:
            progress(combined.commits + self.quiet_merges, combined.files)  # (the plan left them out)
        counter = getattr(scanner, "suppressed", None)
        if isinstance(counter, int):
            scanner.suppressed = counter + suppressed  # type: ignore[attr-defined]
        return combined.found, combined.stats


class _Combined:
    """The findings and counts of a history's parts, added in the parts' order: a secret is reported by the
    first part that has it (the parts are consecutive in topological order)."""

    def __init__(self) -> None:
        self.seen: set[DedupeKey] = set()
        self.found: list[Finding] = []
        self.stats = ScanStats()
        self.commits = 0
        self.files = 0

    def add(
        self, found: Iterable[tuple[DedupeKey, Finding]], stats: ScanStats, commits: int, files: int
    ) -> None:
        for key, finding in found:
            if key not in self.seen:
                self.seen.add(key)
                self.found.append(finding)
        self.stats.add_counts(stats)
        self.commits += commits
        self.files += files


@dataclass(frozen=True, slots=True)
class _PartResult:
    found: list[tuple[DedupeKey, Finding]]
    stats: ScanStats
    suppressed: int
    commits: int
    files: int


# The scanner and settings of this worker process (set once by the pool initializer; process-local).
_worker_state: dict[str, object] = {}


def _init_worker(
    scanner: HistoryScanner, root: Path, settings: HistoryOptions, context: Path, total: UnpackedTotal
) -> None:
    _worker_state.update(scanner=scanner, root=root, settings=settings, context=context, total=total)


def _scan_part(
    commits: list[str], merges: dict[str, MergeFiles], order: list[str], tags: TagPlan
) -> _PartResult:
    """Scan one part of a history: the patches of ``commits``, and the messages of every commit of ``order``
    (merges left out of ``commits`` included) and of ``tags``."""
    scanner = _worker_state["scanner"]
    root = _worker_state["root"]
    settings = _worker_state["settings"]
    context = _worker_state["context"]
    total = _worker_state["total"]
    assert isinstance(root, Path) and isinstance(settings, HistoryOptions) and isinstance(context, Path)
    assert isinstance(total, UnpackedTotal)
    if settings.deadline is not None and time.monotonic() >= settings.deadline:
        return _PartResult([], ScanStats(commits_unscanned=len(order)), 0, 0, 0)  # (git is not started)
    before = getattr(scanner, "suppressed", 0)
    stream = ChangeStream(root, GitSelection(GitMode.ALL), commits=commits, merges=merges, jobs=1)
    with stream, BlobReader(root) as blobs, MessageReader(root, order, tags) as messages:
        options = scan_options(scanner, context, settings, total)
        scan = _HistoryScan(scanner, blobs, options, messages=messages, order=order)  # type: ignore[arg-type]
        scan.run(stream)
    return _PartResult(
        scan.found,
        scan.stats,
        getattr(scanner, "suppressed", 0) - before,
        scan.commits + stream.quiet_commits,
        scan.files_done,
    )

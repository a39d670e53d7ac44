"""Git history and index as a stream of changed files, for ``check-secrets git``.

Everything goes through the ``git`` command line, streamed, and nothing of the history is held in memory
beyond a small batch of commits:

* one ``git log --raw -z -c`` (or ``git diff --cached --raw -z``) pipe lists, per commit (oldest first,
  parents before children), each changed file's path, its new blob id and its blob in each parent;
* one ``git cat-file --batch`` process hands out each new blob, so the engine sees the file as of that
  commit — format-aware analyzers (Dockerfiles, compose files) see the whole file;
* for the rare file that has a finding not reported yet, ``git diff -U0 <base blob> <new blob>`` tells
  which lines the commit added, and findings are kept only on those lines.

Computing the patch of every commit (``git log -p``) is what dominates the cost of a history scan; this
design avoids it and stays exact: a secret is reported at the first commit, in topological order, whose
*added* lines carry it.

Merge commits (``-c``): only files that differ from every parent are looked at, and a line counts as added by
a merge only when it is new relative to every parent that has the file — a line written while resolving the
merge. Lines inherited from a parent were reported at the commit that introduced them on that side. Renames
are detected (``-M``): a moved file is diffed against its source, so only its edited lines count.

Each secret is reported once per run: the deduplication key is ``(rule id, secret value)`` — the same secret
copied to a second file is the same leak — and, for findings that carry no value (a Dockerfile practice, a
file sensitive by its name), ``(rule id, path)``. A secret present before the scanned range (``--since``,
``--range``, ``--staged``) is not reported when a commit merely touches its file.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import enum
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from .._errors import ScanError, UsageError
from ._model import CommitInfo, Finding, ScanStats

__all__ = [
    "BlobDiffer",
    "BlobReader",
    "CommitChanges",
    "DocumentScanner",
    "FileChange",
    "GitMode",
    "GitProgress",
    "GitScanOptions",
    "GitSelection",
    "dedupe_key",
    "find_repo_root",
    "hunk_added_lines",
    "iter_changes",
    "parse_raw",
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
)  # fmt: skip
_RAW_OPTIONS = (
    "--raw",
    "-z",
    "--no-abbrev",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-M",
    "--no-relative",
)
_NOT_BLOB_MODES = frozenset({b"160000", b"000000"})  # a submodule commit; no file


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
    blob: str  # the new blob id
    bases: tuple[str, ...] = ()  # its blob in each parent that had it (a rename: the source); () = new file


@dataclass(frozen=True, slots=True)
class CommitChanges:
    """The changed files of one commit; ``commit`` is None for the staged changes (not yet a commit)."""

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
        raise ScanError(f"unknown git revision: {ref}")
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


# ------------------------------------------------------------------------------------ raw change listing


def _parse_commit_header(token: bytes) -> tuple[CommitInfo, int]:
    text = token[1:].decode("utf-8", errors="replace")
    head, _, rest = text.partition(_FIELD_SEP)
    email, _, date = rest.partition(_FIELD_SEP)
    shas = head.split()
    if not shas:
        raise ScanError("unexpected output from git log (no commit id)")
    return CommitInfo(sha=shas[0], author_email=email, date=date.strip()), len(shas) - 1


def _raw_entry(token: bytes) -> tuple[int, str | None, tuple[str, ...]]:
    """``(path tokens that follow, post-image blob or None to skip, base blobs)`` of one raw-diff record
    (``:old-mode new-mode old-sha new-sha status``, or its combined ``::`` form for merges)."""
    colons = len(token) - len(token.lstrip(b":"))
    fields = token[colons:].split()
    modes = fields[: colons + 1]
    shas = [s.decode("ascii", errors="replace") for s in fields[colons + 1 : 2 * colons + 2]]
    status = fields[-1].decode("ascii", errors="replace") if fields else ""
    paths = 2 if colons == 1 and status[:1] in ("R", "C") else 1
    if len(modes) != colons + 1 or len(shas) != colons + 1:
        return paths, None, ()
    new_sha, new_mode = shas[-1], modes[-1]
    if new_sha in _NULL_SHA or new_mode in _NOT_BLOB_MODES:
        return paths, None, ()  # deleted, or a submodule
    bases = tuple(
        sha
        for sha, mode in zip(shas[:-1], modes[:-1], strict=True)
        if sha not in _NULL_SHA and mode not in _NOT_BLOB_MODES
    )
    return paths, new_sha, bases


def parse_raw(tokens: Iterable[bytes], *, staged: bool = False) -> Iterator[CommitChanges]:
    """Turn the NUL-separated tokens of ``git log --raw -z -c`` (commit headers written as
    ``\\x01<sha> <parent>...\\x1f<author email>\\x1f<ISO date>``) or of ``git diff --raw -z``
    (``staged=True``: one :class:`CommitChanges` with ``commit=None``) into :class:`CommitChanges`.

    Deleted files and submodules are left out; a rename or copy keeps its source blob as base."""
    commit: CommitInfo | None = None
    parents = 1
    files: list[FileChange] = []
    started = staged
    remaining = 0  # path tokens still to read for the current record
    blob: str | None = None
    bases: tuple[str, ...] = ()
    for token in tokens:
        if remaining:
            remaining -= 1
            if remaining == 0 and blob is not None:
                files.append(FileChange(token.decode("utf-8", errors="replace"), blob, bases))
            continue
        token = token.lstrip(b"\n")
        if not token:
            continue
        if token.startswith(_COMMIT_MARK):
            if started and (commit is not None or staged):
                yield CommitChanges(commit, tuple(files), parents)
            files = []
            commit, parents = _parse_commit_header(token)
            started = True
        elif token.startswith(b":"):
            remaining, blob, bases = _raw_entry(token)
    if started and (commit is not None or staged):
        yield CommitChanges(commit, tuple(files), parents)


def hunk_added_lines(diff: bytes) -> frozenset[int]:
    """The post-image line numbers a ``git diff -U0`` output adds (read from its ``@@`` hunk headers)."""
    added: set[int] = set()
    for line in diff.split(b"\n"):
        if not line.startswith(b"@@ "):
            continue
        parts = line.split(b" ")
        plus = next((p for p in parts[1:] if p.startswith(b"+")), None)
        if plus is None:
            continue
        start, _, count = plus[1:].partition(b",")
        n = int(count) if count else 1
        added.update(range(int(start), int(start) + n))
    return frozenset(added)


# ----------------------------------------------------------------------------------- streaming sources


class _GitPipe:
    """A ``git`` process whose stdout is read incrementally; its stderr goes to a temp file (no deadlock)."""

    def __init__(self, root: Path, args: Sequence[str]) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()/kill()
        try:
            self.proc = subprocess.Popen(
                ["git", *_GIT_CONFIG, *args],
                cwd=root,
                env=_git_env(),
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                stdin=subprocess.DEVNULL,
                bufsize=1 << 20,
            )
        except FileNotFoundError:
            self._stderr.close()
            raise ScanError("git is not installed (no 'git' on PATH)") from None

    def chunks(self) -> Iterator[bytes]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while chunk := os.read(fd, 1 << 18):
            yield chunk

    def finish(self) -> None:
        """Wait for git and raise :class:`ScanError` with git's first message line when it failed."""
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        code = self.proc.wait()
        self._stderr.seek(0)
        message = self._stderr.read(4096).decode("utf-8", errors="replace")
        self._stderr.close()
        if code != 0:
            raise ScanError(f"git failed: {_first_line(message)}")

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc.wait()
        self._stderr.close()


def _split_nul(chunks: Iterable[bytes]) -> Iterator[bytes]:
    rest = b""
    for chunk in chunks:
        if not chunk:
            continue
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def iter_changes(root: Path, selection: GitSelection) -> Iterator[CommitChanges]:
    """Stream the changed files of ``selection`` in ``root``: one :class:`CommitChanges` per commit, oldest
    first (topological order, parents before children), or a single one with ``commit=None`` for the staged
    changes. Only the listing is read here (``--raw``); contents come from :class:`BlobReader`."""
    if selection.mode is GitMode.STAGED:
        base = "HEAD" if _has_head(root) else EMPTY_TREE
        args: list[str] = ["diff", "--cached", *_RAW_OPTIONS, base, "--"]
        staged = True
    else:
        revisions = resolve_revisions(root, selection)
        args = [
            "log",
            *_RAW_OPTIONS,
            "-c",  # merges: files that differ from every parent, with each parent's blob
            "--root",
            "--topo-order",
            "--reverse",
            "--no-show-signature",
            "--no-notes",
            f"--format={_COMMIT_MARK.decode()}%H %P{_FIELD_SEP}%ae{_FIELD_SEP}%aI",
            *revisions,
            "--",
        ]
        staged = False
    pipe = _GitPipe(root, args)
    try:
        yield from parse_raw(_split_nul(pipe.chunks()), staged=staged)
    except BaseException:
        pipe.kill()
        raise
    pipe.finish()


class BlobDiffer:
    """Which lines of a changed file its commit added: ``git diff -U0`` between the base blob(s) and the new
    one, run only for the few files that have findings."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def added(self, change: FileChange) -> frozenset[int] | None:
        """1-based added line numbers; None when every line is new (a new file). For a merge, a line counts
        only when it is new relative to every parent that has the file (a line of the merge resolution)."""
        if not change.bases:
            return None
        result: frozenset[int] | None = None
        for base in dict.fromkeys(change.bases):
            if base == change.blob:
                return frozenset()
            proc = subprocess.run(
                ["git", *_GIT_CONFIG, "diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv",
                 "--text", base, change.blob],
                cwd=self._root,
                env=_git_env(),
                capture_output=True,
                check=False,
            )  # fmt: skip
            if proc.returncode not in (0, 1):
                raise ScanError(f"git diff failed: {_first_line(proc.stderr.decode('utf-8', 'replace'))}")
            lines = hunk_added_lines(proc.stdout)
            result = lines if result is None else result & lines
        return result


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

    def read_many(self, blob_ids: Sequence[str]) -> list[bytes | None]:
        """The contents of each blob, in order; None for a missing object (e.g. a submodule commit)."""
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


# -------------------------------------------------------------------------------------------- scanning


def dedupe_key(finding: Finding) -> tuple[str, str, str]:
    """What makes two findings the same leak across commits: the rule and the secret value (or, for findings
    without a value, the rule and the path)."""
    if finding.secret:
        return (finding.rule_id, "v", finding.secret)
    return (finding.rule_id, "p", finding.path)


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # UTF-32 BOMs start with these too


@dataclass(frozen=True, slots=True)
class GitScanOptions:
    """How :func:`scan_changes` treats each file.

    ``decode`` turns bytes into text (None: binary). ``might_match(data)`` may say the bytes certainly hold no
    token (the file is then skipped cheaply). ``analyzed(path)`` says a format-aware analyzer looks at the
    path: such files are always scanned, binary ones with empty text (checks by name). ``skip_path``
    excludes paths; files over ``max_file_size`` bytes are skipped."""

    decode: Callable[[bytes], str | None]
    might_match: Callable[[bytes], bool] | None = None
    analyzed: Callable[[str], bool] | None = None
    skip_path: Callable[[str], bool] | None = None
    max_file_size: int = 10 * 1024 * 1024
    batch_blobs: int = 512


def _batches(changes: Iterable[CommitChanges], size: int) -> Iterator[list[CommitChanges]]:
    batch: list[CommitChanges] = []
    count = 0
    for change in changes:
        batch.append(change)
        count += len(change.files)
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def scan_changes(
    scanner: DocumentScanner,
    changes: Iterable[CommitChanges],
    blobs: BlobReader,
    differ: BlobDiffer,
    options: GitScanOptions,
    *,
    progress: GitProgress | None = None,
) -> tuple[list[Finding], ScanStats]:
    """Scan each changed file as of its commit and report each secret once, at the first commit (in the
    order of ``changes``) that added it on an added line, with that commit attached.

    A file is first scanned whole; only when that yields a finding not seen before are its added lines
    worked out (:class:`BlobDiffer`) and the file scanned again keeping findings on those lines. A secret
    found but not on an added line was there before the scanned range: it is not reported, and not looked
    for again in that file."""
    started = time.perf_counter()
    stats = ScanStats()
    seen: set[tuple[str, str, str]] = set()
    preexisting: set[tuple[tuple[str, str, str], str]] = set()
    findings: list[Finding] = []
    commits = 0
    files_done = 0
    last_report = 0.0
    skip_path = options.skip_path
    analyzed_paths: dict[str, bool] = {}
    for batch in _batches(changes, options.batch_blobs):
        wanted: list[FileChange] = []
        for change in batch:
            for file in change.files:
                if skip_path is not None and skip_path(file.path):
                    stats.files_skipped += 1
                else:
                    wanted.append(file)
        contents = dict(zip((f.blob for f in wanted), blobs.read_many([f.blob for f in wanted]), strict=True))
        for change in batch:
            commits += 1
            for file in change.files:
                if file.blob not in contents or (skip_path is not None and skip_path(file.path)):
                    continue
                data = contents[file.blob]
                if data is None or len(data) > options.max_file_size:
                    stats.files_skipped += 1
                    continue
                files_done += 1
                stats.bytes_scanned += len(data)
                analyzed = analyzed_paths.get(file.path)
                if analyzed is None:
                    analyzed = options.analyzed is not None and options.analyzed(file.path)
                    analyzed_paths[file.path] = analyzed
                if (
                    not analyzed
                    and options.might_match is not None
                    and not data.startswith(_BOMS)
                    and not options.might_match(data)
                ):
                    stats.files_scanned += 1
                    continue
                text = options.decode(data)
                if text is None:
                    stats.files_skipped += 1
                    if not analyzed:
                        continue
                    text = ""
                else:
                    stats.files_scanned += 1
                whole = scanner.scan_document(file.path, text)
                fresh = [
                    f
                    for f in whole
                    if dedupe_key(f) not in seen and (dedupe_key(f), f.path) not in preexisting
                ]
                if not fresh:
                    continue
                added = differ.added(file)
                kept = fresh if added is None else scanner.scan_document(file.path, text, lines=added)
                for finding in kept:
                    key = dedupe_key(finding)
                    if key in seen:
                        continue
                    seen.add(key)
                    findings.append(
                        finding if change.commit is None else _with_commit(finding, change.commit)
                    )
                for finding in fresh:
                    if dedupe_key(finding) not in seen:
                        preexisting.add((dedupe_key(finding), finding.path))
            if progress is not None:
                now = time.perf_counter()
                if now - last_report >= 0.1:
                    last_report = now
                    progress(commits, files_done)
    if progress is not None:
        progress(commits, files_done)
    stats.seconds = time.perf_counter() - started
    return findings, stats


def _with_commit(finding: Finding, commit: CommitInfo) -> Finding:
    return dataclasses.replace(finding, commit=commit)

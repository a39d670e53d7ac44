"""Git history and index as a stream of changed files, for ``check-secrets git``.

Everything goes through the ``git`` command line, streamed:

* one ``git log -p -U0`` (or ``git diff --cached -U0``) pipe is read line by line and turned into
  :class:`CommitChanges` — per commit, each changed file's post-image blob id and the set of line numbers
  the commit added to it (nothing of the history is kept beyond the commit being read);
* one ``git cat-file --batch`` process hands out the post-image of each changed file, so format-aware
  analyzers (Dockerfiles, compose files) see the whole file, while findings are kept only on added lines.

Merge commits are read as dense combined diffs (``--cc``): a line counts as added by a merge only when it is
new relative to *every* parent — a line written while resolving the merge. Lines inherited from one parent
were already reported at the commit that introduced them on that parent's side. Renames are detected
(``-M``) so a moved file is not reported again; only its edited lines count.

Each secret is reported once per run, at the oldest commit (topological order, parents first) that added
it: the deduplication key is ``(rule id, secret value)``; for findings that carry no value (a file that is
sensitive by its name), ``(rule id, path)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from .._errors import ScanError, UsageError
from ._model import CommitInfo, Finding, ScanStats

__all__ = [
    "BlobReader",
    "CommitChanges",
    "DocumentScanner",
    "FileChange",
    "GitMode",
    "GitProgress",
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
)  # fmt: skip
_DIFF_OPTIONS = (
    "-p",
    "-U0",
    "--full-index",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "-M",
)


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
    blob: str | None  # the post-image blob id; None when git did not show one
    added: frozenset[int]  # 1-based line numbers, in the post-image, that the change added
    binary: bool = False


@dataclass(frozen=True, slots=True)
class CommitChanges:
    """The changed files of one commit; ``commit`` is None for the staged changes (not yet a commit)."""

    commit: CommitInfo | None
    files: tuple[FileChange, ...]
    parents: int = 1


class DocumentScanner(Protocol):
    """What git modes need from the engine: scan one document, keeping findings on some lines."""

    def scan_document(
        self, relpath: str, text: str, *, lines: Iterable[int] | None = None
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


# --------------------------------------------------------------------------------------- patch parsing


def _unquote_path(raw: bytes) -> str:
    """Decode a path as git prints it in a diff header: plain, or C-quoted when it has special characters."""
    if raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2:
        body = raw[1:-1]
        out = bytearray()
        i = 0
        simple = {
            ord("n"): 10,
            ord("t"): 9,
            ord("r"): 13,
            ord("a"): 7,
            ord("b"): 8,
            ord("f"): 12,
            ord("v"): 11,
        }
        while i < len(body):
            ch = body[i]
            if ch == 0x5C and i + 1 < len(body):  # backslash
                nxt = body[i + 1]
                if 0x30 <= nxt <= 0x37 and i + 4 <= len(body):
                    out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                    i += 4
                    continue
                out.append(simple.get(nxt, nxt))
                i += 2
                continue
            out.append(ch)
            i += 1
        raw = bytes(out)
    return raw.decode("utf-8", errors="replace")


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path


def _parse_range(spec: bytes) -> tuple[int, int]:
    start, _, count = spec.partition(b",")
    return int(start), (int(count) if count else 1)


class _FileBuilder:
    __slots__ = ("added", "binary", "blob", "combined", "deleted", "header_path", "parents", "path")

    def __init__(self, header_path: str, combined: bool) -> None:
        self.header_path = header_path
        self.path: str | None = None
        self.blob: str | None = None
        self.added: set[int] = set()
        self.binary = False
        self.deleted = False
        self.combined = combined
        self.parents = 1

    def build(self) -> FileChange | None:
        if self.deleted:
            return None
        path = self.path or self.header_path
        if not path:
            return None
        return FileChange(path=path, blob=self.blob, added=frozenset(self.added), binary=self.binary)


def _header_path(line: bytes) -> str:
    """The post-image path from ``diff --git a/x b/y`` / ``diff --cc y`` (when no ``+++`` line follows)."""
    if line.startswith(b"diff --cc ") or line.startswith(b"diff --combined "):
        return _unquote_path(line.split(b" ", 2)[2])
    rest = line[len(b"diff --git ") :]
    if rest.startswith(b'"'):
        # "a/..." "b/..." — the second quoted string
        end = rest.find(b'" ', 1)
        second = rest[end + 2 :] if end > 0 else rest
        return _strip_prefix(_unquote_path(second), "b/")
    # a/x b/x: without quoting the two halves are the same length when the path did not change
    half = (len(rest) - 1) // 2
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
    return CommitInfo(sha=shas[0], author_email=email, date=date.strip()), max(len(shas) - 1, 0)


def parse_patch(lines: Iterable[bytes], *, staged: bool = False) -> Iterator[CommitChanges]:
    """Turn ``git log -p -U0 --full-index`` output (commit headers written as ``\\x01<sha> <parents>
    \\x1f<author email>\\x1f<ISO date>``) or ``git diff -U0 --full-index`` output (``staged=True``) into a
    stream of :class:`CommitChanges`, one per commit, holding only what is needed to scan it."""
    commit: CommitInfo | None = None
    parents = 1
    files: list[FileChange] = []
    current: _FileBuilder | None = None
    in_hunk = False
    started = staged
    # combined-diff hunk state
    ncols = 0
    new_line = 0

    def flush_file() -> None:
        nonlocal current
        if current is not None:
            built = current.build()
            if built is not None and (built.added or built.binary):
                files.append(built)
        current = None

    for raw in lines:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if in_hunk:
            first = line[:1]
            if first in (b"+", b"-", b" ", b"\\"):
                if current is not None and current.combined and first != b"\\":
                    cols = line[:ncols]
                    if b"-" not in cols:
                        if cols.count(b"+") == ncols:
                            current.added.add(new_line)
                        new_line += 1
                continue
            in_hunk = False
        if line.startswith(_COMMIT_MARK):
            flush_file()
            if started and commit is not None:
                yield CommitChanges(commit, tuple(files), parents)
            files = []
            commit, parents = _parse_commit_line(line)
            started = True
            continue
        if line.startswith(b"diff "):
            flush_file()
            combined = not line.startswith(b"diff --git ")
            current = _FileBuilder(_header_path(line), combined)
            continue
        if current is None:
            continue
        if line.startswith(b"@@"):
            marker_len = len(line) - len(line.lstrip(b"@"))
            parts = line.split(b" ")
            if current.combined:
                ncols = marker_len - 1
                # @@@ -a,b -c,d +e,f @@@
                plus = next((p for p in parts[1 : ncols + 2] if p.startswith(b"+")), b"+0,0")
                new_line, _ = _parse_range(plus[1:])
            else:
                plus = parts[2] if len(parts) > 2 else b"+0,0"
                start, count = _parse_range(plus[1:])
                current.added.update(range(start, start + count))
            in_hunk = True
            continue
        if line.startswith(b"index "):
            spec = line[6:].split(b" ", 1)[0]
            _, _, post = spec.partition(b"..")
            blob = post.decode("ascii", errors="replace")
            current.blob = None if blob in _NULL_SHA else blob
            continue
        if line.startswith(b"+++ "):
            target = line[4:]
            if target == b"/dev/null":
                current.deleted = True
            else:
                current.path = _strip_prefix(_unquote_path(target.rstrip(b"\t")), "b/")
            continue
        if line.startswith(b"Binary files ") and line.endswith(b" differ"):
            current.binary = True
            if line.endswith(b" and /dev/null differ"):
                current.deleted = True
            continue
        if line.startswith(b"deleted file mode"):
            current.deleted = True
            continue
    flush_file()
    if started and (commit is not None or staged):
        yield CommitChanges(commit, tuple(files), parents)


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

    def lines(self) -> Iterator[bytes]:
        assert self.proc.stdout is not None
        yield from self.proc.stdout

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


def iter_changes(root: Path, selection: GitSelection) -> Iterator[CommitChanges]:
    """Stream the changes of ``selection`` in ``root``: oldest commit first (topological order), or one
    :class:`CommitChanges` with ``commit=None`` for the staged changes."""
    if selection.mode is GitMode.STAGED:
        base = "HEAD" if _has_head(root) else EMPTY_TREE
        args: list[str] = ["diff", "--cached", *_DIFF_OPTIONS, "--no-relative", base, "--"]
        staged = True
    else:
        revisions = resolve_revisions(root, selection)
        args = [
            "log",
            *_DIFF_OPTIONS,
            "--no-relative",
            "--cc",
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
        yield from parse_patch(pipe.lines(), staged=staged)
    except BaseException:
        pipe.kill()
        raise
    pipe.finish()


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


@dataclass(slots=True)
class _Counters:
    commits: int = 0
    files: int = 0
    last_report: float = field(default=0.0)


def scan_changes(
    scanner: DocumentScanner,
    changes: Iterable[CommitChanges],
    blobs: BlobReader,
    *,
    decode: Callable[[bytes], str | None],
    skip_path: Callable[[str], bool] | None = None,
    max_file_size: int = 10 * 1024 * 1024,
    progress: GitProgress | None = None,
) -> tuple[list[Finding], ScanStats]:
    """Scan each changed file's post-image, keep findings on the lines the commit added, attach the commit,
    and drop every finding already reported at an earlier commit (see :func:`dedupe_key`).

    ``decode`` turns blob bytes into text, or None for a binary file (skipped); ``skip_path`` excludes
    paths."""
    started = time.perf_counter()
    stats = ScanStats()
    seen: set[tuple[str, str, str]] = set()
    findings: list[Finding] = []
    counters = _Counters()
    for change in changes:
        counters.commits += 1
        wanted = [
            f
            for f in change.files
            if f.blob is not None and f.added and not f.binary and not (skip_path and skip_path(f.path))
        ]
        stats.files_skipped += len(change.files) - len(wanted)
        contents = blobs.read_many([f.blob for f in wanted if f.blob is not None]) if wanted else []
        for file, data in zip(wanted, contents, strict=True):
            if data is None or len(data) > max_file_size:
                stats.files_skipped += 1
                continue
            text = decode(data)
            if text is None:
                stats.files_skipped += 1
                continue
            stats.files_scanned += 1
            stats.bytes_scanned += len(data)
            counters.files += 1
            for finding in scanner.scan_document(file.path, text, lines=file.added):
                key = dedupe_key(finding)
                if key in seen:
                    continue
                seen.add(key)
                if change.commit is not None:
                    finding = _with_commit(finding, change.commit)
                findings.append(finding)
        if progress is not None:
            now = time.perf_counter()
            if now - counters.last_report >= 0.1:
                counters.last_report = now
                progress(counters.commits, counters.files)
    if progress is not None:
        progress(counters.commits, counters.files)
    stats.seconds = time.perf_counter() - started
    return findings, stats


def _with_commit(finding: Finding, commit: CommitInfo) -> Finding:
    return dataclasses.replace(finding, commit=commit)

"""Walking a tree the way git would see it, and decoding file bytes into text.

* ``.gitignore`` files are honoured at every level, also outside a git repository (``pathspec``'s gitignore
  semantics: nested files, ``!`` negation, directory patterns); a deeper file overrides a shallower one, and
  files inside an ignored directory cannot be re-included (as in git). ``no_ignore`` turns this off. Inside a
  git work tree, files git tracks are scanned even when a pattern matches them (``git ls-files``), as git
  ignores only untracked files.
* ``exclude`` globs (gitignore-style, relative to the root) are always honoured; ``.git/`` is always skipped.
* Symbolic links are followed only when they resolve inside the root, and a directory is entered once (no
  loops).
* Files larger than ``max_file_size`` are listed all the same (and named in ``too_large``): the scanner reads
  only their first and last parts. Unreadable entries inside the tree are skipped and counted; a path named
  explicitly that cannot be read is an error (never reported as clean).
"""

from __future__ import annotations

import codecs
import os
import stat
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..._errors import ScanError, UsageError

__all__ = [
    "UNICODE_BOMS",
    "WalkResult",
    "decode_document",
    "exclude_matcher",
    "in_shard",
    "matchable",
    "target_relpaths",
    "walk",
]

_SNIFF = 8192
# A document starting so is UTF-16 or UTF-32 text (these are also prefixes of the UTF-32 BOMs), whose NUL
# bytes do not make it binary (see Scanner.scan_bytes)
UNICODE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1b\x08")


def walk_topdown(top: str | os.PathLike[str]) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top, followlinks=False)`` without recursion (Python 3.11's ``os.walk`` recurses once per
    level, so a deep enough tree raises RecursionError). Top-down: callers may prune ``dirnames`` in place.
    Symbolic links to directories are listed in ``dirnames`` but never entered."""
    stack = [os.fspath(top)]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as scan:
                entries = list(scan)
        except OSError:
            continue
        dirnames: list[str] = []
        filenames: list[str] = []
        links: set[str] = set()
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                dirnames.append(entry.name)
                if entry.is_symlink():
                    links.add(entry.name)
            else:
                filenames.append(entry.name)
        yield current, dirnames, filenames
        stack.extend(os.path.join(current, d) for d in reversed(dirnames) if d not in links)


def decode_document(data: bytes) -> str | None:
    """Decode a file's bytes to text, or ``None`` for a binary file.

    A byte-order mark selects UTF-8/UTF-16/UTF-32; otherwise a NUL byte (or many control bytes) in the first 8
    KiB means binary; valid UTF-8 decodes as UTF-8, anything else as latin-1 (so offsets stay one byte per
    character).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                return data[len(bom) :].decode(encoding, errors="replace")
    head = data[:_SNIFF]
    if b"\x00" in head:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    controls = sum(1 for b in head if b < 32 and b not in _TEXT_CONTROLS)
    if head and controls > len(head) // 10:
        return None
    return data.decode("latin-1")


def matchable(relpath: str) -> str:
    """``relpath`` as glob matching can take it: a name that is not valid UTF-8 (``os.fsdecode`` keeps its odd
    bytes as lone surrogates, which the RE2-backed matcher cannot encode) gets U+FFFD per odd byte — a ``?``
    or ``*`` still matches there, and no configured (UTF-8) glob could spell the byte anyway."""
    if relpath.isascii():
        return relpath
    try:
        relpath.encode("utf-8")
    except UnicodeEncodeError:
        return relpath.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return relpath


def in_shard(relpath: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``relpath`` belongs to shard ``(K, N)`` (1-based): a stable hash (CRC-32 of the UTF-8 path) mod
    N."""
    if shard is None:
        return True
    k, n = shard
    return zlib.crc32(relpath.encode("utf-8", "surrogateescape")) % n == k - 1


@dataclass(slots=True)
class WalkResult:
    """Files to scan (relative ``/`` paths, absolute paths, sizes) and how many were skipped; ``excluded``:
    how many files and folders ``exclude`` left out (see ``ScanStats.paths_excluded``); ``ignored``: the files
    and folders (these with a trailing ``/``) left out because a ``.gitignore`` ignores them."""

    files: list[tuple[str, str, int]] = field(default_factory=list)
    skipped: int = 0
    excluded: int = 0
    too_large: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def ignored_matcher(self) -> Callable[[str], bool]:
        """Whether a relative path is one of :attr:`ignored` or lies in one of its folders."""
        ignored = frozenset(self.ignored)

        def is_ignored(relpath: str) -> bool:
            if not ignored:
                return False
            if relpath in ignored:
                return True
            cut = relpath.find("/")
            while cut > 0:
                if relpath[: cut + 1] in ignored:
                    return True
                cut = relpath.find("/", cut + 1)
            return False

        return is_ignored


class _Ignores:
    """The stack of ``.gitignore`` specs that apply to one directory."""

    def __init__(self, specs: tuple[tuple[str, object], ...] = ()) -> None:
        self.specs = specs  # (directory relpath prefix "" or "a/b/", GitIgnoreSpec)

    def child(self, dir_rel: str, abs_dir: str) -> _Ignores:
        path = os.path.join(abs_dir, ".gitignore")
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            return self
        import pathspec

        spec = pathspec.GitIgnoreSpec.from_lines(lines)
        prefix = f"{dir_rel}/" if dir_rel else ""
        return _Ignores((*self.specs, (prefix, spec)))

    def ignored(self, relpath: str, is_dir: bool) -> bool:
        relpath = matchable(relpath)
        for prefix, spec in reversed(self.specs):
            sub = relpath[len(prefix) :]
            result = spec.check_file(sub + "/" if is_dir else sub)  # type: ignore[attr-defined]
            if result.include is not None:
                return bool(result.include)
        return False


class _Tracked:
    """The files git tracks under the root (``git ls-files``), asked for lazily — only once a ``.gitignore``
    pattern matches something: git's ignore rules apply to untracked files only, so a force-added file is
    scanned. Outside a work tree (or without git) nothing is tracked and pure gitignore matching applies."""

    def __init__(self, root_real: str) -> None:
        self._root = root_real
        self._files: frozenset[str] | None = None
        self._dirs: frozenset[str] = frozenset()

    def _load(self) -> frozenset[str]:
        import subprocess

        files: set[str] = set()
        try:
            proc = subprocess.run(
                ["git", "-C", self._root, "ls-files", "-z", "--cached"],
                capture_output=True,
                check=False,
                timeout=60,
                env=_git_env(),
            )
        except (OSError, subprocess.SubprocessError):
            proc = None
        if proc is not None and proc.returncode == 0:
            files = {os.fsdecode(p) for p in proc.stdout.split(b"\0") if p}
        dirs: set[str] = set()
        for path in files:
            cut = path.rfind("/")
            while cut > 0:
                parent = path[:cut]
                if parent in dirs:
                    break
                dirs.add(parent)
                cut = path.rfind("/", 0, cut)
        self._dirs = frozenset(dirs)
        self._files = frozenset(files)
        return self._files

    def covers(self, relpath: str, is_dir: bool) -> bool:
        """Whether git tracks ``relpath`` (a directory: some file under it)."""
        files = self._files if self._files is not None else self._load()
        return relpath in self._dirs if is_dir else relpath in files


def _git_env() -> dict[str, str]:
    # The root's own repository: a hook's GIT_DIR/GIT_WORK_TREE (possibly relative) must not redirect git.
    from .._gitenv import harden

    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARS}
    env["GIT_OPTIONAL_LOCKS"] = "0"
    return harden(env)


_GIT_LOCATION_VARS = frozenset({"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR"})


def _exclude_spec(exclude: Sequence[str]) -> object | None:
    if not exclude:
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(list(exclude))


def _excluded(spec: object | None, relpath: str, is_dir: bool) -> bool:
    if spec is None:
        return False
    relpath = matchable(relpath)
    return bool(spec.match_file(relpath + "/" if is_dir else relpath))  # type: ignore[attr-defined]


def exclude_matcher(exclude: Sequence[str]) -> Callable[[str], bool]:
    """A test for ``/``-separated file paths relative to the root: does an ``exclude`` glob match it (or one
    of its parent directories)?"""
    spec = _exclude_spec(exclude)
    if spec is None:
        return lambda relpath: False

    def excluded(relpath: str) -> bool:
        parts = relpath.split("/")
        for i in range(1, len(parts)):
            if _excluded(spec, "/".join(parts[:i]), True):
                return True
        return _excluded(spec, relpath, False)

    return excluded


def target_relpaths(root: Path, paths: Sequence[Path]) -> list[str]:
    """``paths`` (relative to ``root`` or absolute) as ``/``-separated paths relative to the root (``""`` for
    the root itself), the way :func:`walk` names them. Paths outside the root are left out."""
    root_real = os.path.realpath(root)
    out: list[str] = []
    for target in paths:
        abs_target = target if target.is_absolute() else Path(root_real) / target
        rel = os.path.relpath(os.path.abspath(abs_target), root_real).replace(os.sep, "/")
        if rel == ".":
            rel = ""
        if rel != ".." and not rel.startswith("../"):
            out.append(rel)
    return out


def _check_readable(real: str, target: Path, *, directory: bool) -> None:
    """A path named explicitly must be readable: skipping it would report "no findings" about a file nobody
    looked at. Raises :class:`ScanError` naming it."""
    try:
        if directory:
            with os.scandir(real):
                pass
        else:
            flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
            os.close(os.open(real, flags))
    except OSError as exc:
        from .._config import printable

        reason = exc.strerror or type(exc).__name__
        raise ScanError(f"{printable(str(target))}: cannot read: {reason}") from None


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def walk(
    root: Path,
    paths: Sequence[Path] = (),
    *,
    no_ignore: bool = False,
    exclude: Sequence[str] = (),
    max_file_size: int = 10 * 1024 * 1024,
    shard: tuple[int, int] | None = None,
    on_file: Callable[[str, str, int], None] | None = None,
    uncounted: Sequence[str] = (),
) -> WalkResult:
    """List the files to scan under ``root`` (or only ``paths``: files or directories, relative to the root
    or absolute inside it). Explicitly named files are scanned even when a ``.gitignore`` ignores them, but
    not when ``exclude`` does. What ``exclude`` leaves out is counted (:attr:`WalkResult.excluded`) unless
    an ``uncounted`` glob matches it too (check-secrets' own files). Raises :class:`UsageError` for a missing
    root or a path outside it.

    With ``on_file``, each file is handed over as soon as it is found (``(relpath, abspath, size)``, in walk
    order) instead of being collected in ``files``: scanning starts while the walk goes on."""
    try:
        root_real = os.path.realpath(root)
        if not os.path.isdir(root_real):
            raise UsageError(f"not a directory: {root}")
    except OSError as exc:
        raise ScanError(f"cannot read {root}: {exc.strerror}") from None
    exclude_spec = _exclude_spec(exclude)
    own_spec = _exclude_spec(uncounted)
    tracked = _Tracked(root_real)
    result = WalkResult()
    visited: set[tuple[int, int]] = set()
    seen_files: set[str] = set()

    # A file can be reached twice only when several targets overlap.
    dedupe = len(paths) > 1

    def add_file(rel: str, abs_path: str, st: os.stat_result) -> None:
        if shard is not None and not in_shard(rel, shard):
            return
        if dedupe:
            if rel in seen_files:
                return
            seen_files.add(rel)
        if st.st_size > max_file_size:
            result.too_large.append(rel)  # still scanned: its first and last parts
        if on_file is not None:
            on_file(rel, abs_path, st.st_size)
        else:
            result.files.append((rel, abs_path, st.st_size))

    def left_out(rel: str, is_dir: bool) -> bool:
        """Whether ``exclude`` leaves the path out (counted, when it is not one of our own files)."""
        if not _excluded(exclude_spec, rel, is_dir):
            return False
        if in_shard(rel, shard):  # (each counted by one shard)
            result.excluded += not _excluded(own_spec, rel, is_dir)
        return True

    def inside(real: str) -> bool:
        return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)

    def open_dir(
        abs_dir: str, rel_dir: str, ignores: _Ignores
    ) -> tuple[list[os.DirEntry[str]], _Ignores] | None:
        try:
            st = os.stat(abs_dir)
        except OSError:
            return None
        key = (st.st_dev, st.st_ino)
        if key in visited:
            return None
        visited.add(key)
        if not no_ignore:
            ignores = ignores.child(rel_dir, abs_dir)
        try:
            with os.scandir(abs_dir) as scan:
                entries = list(scan)
        except OSError:
            result.skipped += 1
            return None
        entries.sort(key=_entry_name)
        return entries, ignores

    def walk_dir(abs_dir: str, rel_dir: str, ignores: _Ignores) -> None:
        # Depth-first, directories in name order (the first path to reach a directory through a symlink is
        # the one reported), with an explicit stack: a tree nested deeper than Python's recursion limit must
        # not crash the scan. A directory's files are handed over as its entries are read; its subdirectories
        # are opened (and marked visited) when their turn comes, as a recursive walk would.
        stack: list[tuple[str, str, _Ignores]] = [(abs_dir, rel_dir, ignores)]
        isreg, isdir = stat.S_ISREG, stat.S_ISDIR
        while stack:
            abs_dir, rel_dir, ignores = stack.pop()
            opened = open_dir(abs_dir, rel_dir, ignores)
            if opened is None:
                continue
            entries, ignores = opened
            prefix = f"{rel_dir}/" if rel_dir else ""
            check_ignores = not no_ignore and bool(ignores.specs)
            subdirs: list[tuple[str, str, _Ignores]] = []
            est: os.stat_result | None
            for entry in entries:
                name = entry.name
                try:
                    if entry.is_symlink():
                        real = os.path.realpath(entry.path)
                        if not inside(real):
                            result.skipped += 1
                            continue
                        target = os.stat(real)
                        est, is_dir = target, isdir(target.st_mode)
                    elif entry.is_dir(follow_symlinks=False):
                        est, is_dir = None, True  # (d_type: no stat; open_dir stats it)
                    else:
                        est = entry.stat(follow_symlinks=False)
                        is_dir = False
                except OSError:
                    result.skipped += 1
                    continue
                if name == ".git":  # the repository (or a worktree's gitdir pointer)
                    continue
                rel = prefix + name
                if exclude_spec is not None and left_out(rel, is_dir):
                    continue
                if check_ignores and ignores.ignored(rel, is_dir) and not tracked.covers(rel, is_dir):
                    result.ignored.append(rel + "/" if is_dir else rel)
                    continue
                if is_dir:
                    subdirs.append((entry.path, rel, ignores))
                elif est is not None and isreg(est.st_mode):
                    add_file(rel, entry.path, est)
                elif in_shard(rel, shard):
                    result.skipped += 1  # a FIFO, socket or device: never opened, but counted
            stack.extend(reversed(subdirs))

    def ignores_for(rel_dir: str) -> _Ignores:
        ignores = _Ignores()
        if no_ignore:
            return ignores
        parts = rel_dir.split("/") if rel_dir else []
        current_abs = root_real
        ignores = ignores.child("", current_abs)
        for i, part in enumerate(parts[:-1] if parts else []):
            current_abs = os.path.join(current_abs, part)
            ignores = ignores.child("/".join(parts[: i + 1]), current_abs)
        return ignores

    targets = list(paths) or [Path(root_real)]
    for target in targets:
        abs_target = target if target.is_absolute() else Path(root_real) / target
        real = os.path.realpath(abs_target)
        if not inside(real):
            raise UsageError(f"path is outside the scanned root: {target}")
        if not os.path.exists(real):
            raise UsageError(f"no such file or directory: {target}")
        rel = os.path.relpath(os.path.abspath(abs_target), root_real).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        if os.path.isdir(real):
            _check_readable(real, target, directory=True)
            if rel and (
                left_out(rel, True)
                or (not no_ignore and ignores_for(rel).ignored(rel, True) and not tracked.covers(rel, True))
            ):
                continue
            parent_ignores = ignores_for(rel) if rel else _Ignores()
            walk_dir(real, rel, parent_ignores)
        else:
            if left_out(rel, False):
                continue
            st = os.stat(real)
            if not stat.S_ISREG(st.st_mode):  # a FIFO, socket or device: never opened (it could block)
                result.skipped += 1
                continue
            _check_readable(real, target, directory=False)
            add_file(rel, real, st)
    result.files.sort()
    return result

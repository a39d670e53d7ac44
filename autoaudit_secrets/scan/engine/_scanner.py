"""The check-secrets scanner: token rules, file/tree analyzers, suppression and configuration, over a tree.

:class:`Scanner` is the one entry point the CLI, git modes and analyzers use. It holds no global state; a
worker process builds its own copy.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ..._errors import AutoauditSecretsError, ScanError
from ..._redact import redact_preview
from ..._safe_read import head_and_tail, prepend_read, read_stream, read_up_to
from .._model import (
    AnalysisContext,
    FileAnalyzer,
    Finding,
    Match,
    Rule,
    ScanConfig,
    ScanOptions,
    ScanResult,
    ScanStats,
    TreeAnalyzer,
)
from ..sources._pdf import PDF_MAGIC, blank_encoded_streams
from ..sources._tree import (
    UNICODE_BOMS,
    WalkResult,
    decode_document,
    exclude_matcher,
    matchable,
    target_relpaths,
    walk,
)
from ..sources._unpacked import UnpackedTotal
from ._detector import Detector
from ._filters import is_placeholder as _is_placeholder
from ._filters import is_secret_name as _is_secret_name
from ._linear import ValueAllowlist
from ._matcher import MatcherBackend, Prescan
from ._suppress import line_allows

if TYPE_CHECKING:
    from ..analyzers._registry import FileAnalyzerSet
    from ..sources._archive import ArchiveLimits, Member

__all__ = ["Scanner"]

# Below these sizes a scan stays in this process (pre-commit: a few small files must not pay for worker
# start-up); a few large files are worth workers.
_PARALLEL_MIN_FILES = 2
_DEFAULT_OPTIONS = ScanOptions(root=Path("."))
_PARALLEL_MIN_BYTES = 4 * 1024 * 1024
# Work is handed to workers in chunks of about this many bytes, a file counting _FILE_COST on top of its size.
_CHUNK_BYTES = 1024 * 1024
_FILE_COST = 2048


class _Context:
    """The :class:`~autoaudit_secrets.scan._model.AnalysisContext` handed to analyzers."""

    def __init__(self, scanner: Scanner, root: Path) -> None:
        self.root = root
        self._scanner = scanner

    def detect(self, text: str, relpath: str | None = None) -> Sequence[Match]:
        return self._scanner.detect(text, relpath)

    def is_secret_name(self, name: str) -> bool:
        return _is_secret_name(name, self._scanner.config.secret_names)

    def is_placeholder(self, value: str) -> bool:
        # (a token format's prefix on a value too short to be one: xoxb-111-222-xyz)
        return _is_placeholder(value) or self._scanner.detector.is_token_stand_in(value)


class Scanner:
    """Scans documents and trees with the token rules and the registered analyzers.

    ``rules`` defaults to every built-in rule plus ``config.extra_rules``; ``config.enabled_rules`` /
    ``disabled_rules`` then select which run. ``matcher`` forces a backend (``"hyperscan"``, ``"re2"``,
    ``"re"``;
    default: ``$CHECK_SECRETS_MATCHER`` or the best installed).
    """

    def __init__(
        self,
        config: ScanConfig,
        *,
        rules: Sequence[Rule] | None = None,
        matcher: str | MatcherBackend | None = None,
    ) -> None:
        self.config = config
        if rules is None:
            from ..rules._registry import load_rules

            all_rules: tuple[Rule, ...] = load_rules(config.extra_rules)
        else:
            known = {r.id for r in rules}
            all_rules = tuple(rules) + tuple(r for r in config.extra_rules if r.id not in known)
        self.rules = tuple(r for r in all_rules if self._rule_enabled(r.id))
        self._token_rule_ids = frozenset(r.id for r in self.rules)
        self.detector = Detector(
            self.rules,
            secret_names=config.secret_names,
            backend=matcher,
            untrusted=frozenset(r.id for r in config.extra_rules),
        )
        self._allow_values = ValueAllowlist(config.allow_values)
        self._allow_paths: object | None = None
        if config.allow_paths:
            import pathspec

            self._allow_paths = pathspec.GitIgnoreSpec.from_lines(list(config.allow_paths))
        self._file_analyzers: FileAnalyzerSet | None = None
        self._tree_analyzers: list[TreeAnalyzer] | None = None
        self._root = Path(".")
        self.suppressed = 0
        #: Larger files are scanned partly (see :meth:`scan_file`); :meth:`scan` sets it from its options.
        self.max_file_size: int | None = None
        # archives in the tree: how deep they are opened (0: not at all), the unpacked bytes of each, and what
        # all of them may still unpack together in this run (shared with the worker processes)
        self.archive_depth = _DEFAULT_OPTIONS.max_archive_depth
        self.archive_unpacked = _DEFAULT_OPTIONS.max_unpacked
        self.unpacked_total = UnpackedTotal(_DEFAULT_OPTIONS.max_unpacked_total)
        #: Worker processes compute the slow fingerprints of their findings (``ScanOptions.fingerprints``).
        self.fingerprints_in_workers = False

    # -- configuration -------------------------------------------------------------------------------------

    def _rule_enabled(self, rule_id: str) -> bool:
        if rule_id in self.config.disabled_rules:
            return False
        enabled = self.config.enabled_rules
        return enabled is None or rule_id in enabled

    @property
    def matcher_name(self) -> str:
        """The matcher backend in use (``hyperscan``, ``re2`` or ``re``)."""
        return self.detector.backend.value

    @property
    def matcher_fallback(self) -> str | None:
        """Why the automatically chosen matcher is slower than Hyperscan and how to fix it (one line), or
        ``None`` (Hyperscan in use, or a matcher forced with ``$CHECK_SECRETS_MATCHER``)."""
        return self.detector.matcher.fallback

    def file_analyzers(self) -> list[FileAnalyzer]:
        """Every file analyzer (all of them imported)."""
        return self._analyzer_set().all()

    def analyzers_for(self, relpath: str) -> list[FileAnalyzer]:
        """The file analyzers that apply to ``relpath``; an analyzer's module is imported only once a file
        name could concern it."""
        return self._analyzer_set().for_path(relpath)

    def _analyzer_set(self) -> FileAnalyzerSet:
        if self._file_analyzers is None:
            from ..analyzers._registry import FileAnalyzerSet

            self._file_analyzers = FileAnalyzerSet()
        return self._file_analyzers

    def tree_analyzers(self) -> list[TreeAnalyzer]:
        if self._tree_analyzers is None:
            from ..analyzers._registry import load_tree_analyzers

            self._tree_analyzers = load_tree_analyzers()
        return self._tree_analyzers

    def _tree_analyzers_for(self, options: ScanOptions) -> list[TreeAnalyzer]:
        """The tree analyzers a scan needs: all of them for a directory; for named files only those that
        something in scope concerns — the named files and the entries of their folders and of the folders
        above them, up to the root (naming three source files beside no Dockerfile loads no Docker code and
        walks no tree for Dockerfiles)."""
        if not options.paths:
            return self.tree_analyzers()
        root = os.path.realpath(options.root)
        under = root.rstrip(os.sep) + os.sep
        names: set[str] = set()
        folders: set[str] = set()
        for target in options.paths:
            path = os.path.realpath(target if target.is_absolute() else options.root / target)
            if os.path.isdir(path):
                return self.tree_analyzers()
            names.add(os.path.basename(path).lower())
            folder = os.path.dirname(path)
            while folder not in folders and (folder == root or folder.startswith(under)):
                folders.add(folder)
                folder = os.path.dirname(folder)
        for folder in folders:
            try:
                names.update(name.lower() for name in os.listdir(folder))
            except OSError:
                continue
        from ..analyzers._registry import load_tree_analyzers

        return load_tree_analyzers(sorted(names))

    def set_root(self, root: Path) -> None:
        """The folder analyzers look beside a document in (a Dockerfile's build context). :meth:`scan` sets
        it; a source whose documents are not files on disk (a container layer) sets an empty folder."""
        self._root = root

    def context(self, root: Path | None = None) -> _Context:
        """An analysis context (``detect``, ``is_secret_name``, ``is_placeholder``) rooted at ``root``."""
        return _Context(self, root if root is not None else self._root)

    # -- documents ---------------------------------------------------------------------------------------

    def detect(self, text: str, relpath: str | None = None) -> list[Match]:
        """Token-rule matches in ``text`` (base64 layers included), after placeholder and allowlist
        filtering; judged as the file ``relpath`` is, or as a configuration's value (``None``)."""
        return [m for m in self.detector.detect(text, relpath) if not self._value_allowed(m.secret(text))]

    def _value_allowed(self, secret: str) -> bool:
        return bool(self._allow_values) and self._allow_values.allows(secret)

    def _path_allowed(self, relpath: str) -> bool:
        spec = self._allow_paths
        return spec is not None and bool(spec.match_file(matchable(relpath)))  # type: ignore[attr-defined]

    def scan_document(
        self, relpath: str, text: str, *, lines: AbstractSet[int] | None = None
    ) -> list[Finding]:
        """Findings in one document: token rules, applicable file analyzers, inline ``check-secrets: allow``
        comments, and the configuration's allowlists and rule selection.

        ``lines`` keeps only findings on those 1-based lines (git mode: the added lines); findings about the
        whole file (line 0) are kept. ``relpath`` is ``/``-separated, relative to the scan root."""
        return self._scan_text(relpath, text, lines, None, None)

    def scan_lines(
        self, relpath: str, text: str, numbers: Sequence[int], *, prescan: Prescan | None = None
    ) -> list[Finding]:
        """Token findings in some lines of a document (git mode: the lines a commit added), placed in the
        document.

        ``text`` holds the lines numbered ``numbers`` (1-based, ascending), each ended by a newline. A match
        that would join lines which are not neighbours in the document is not one: the runs of consecutive
        lines are then scanned one by one. Inline ``check-secrets: allow`` comments, the allowlists and the
        rule selection apply; the file analyzers do not run (see :meth:`analyze_document`). ``prescan`` is
        the matcher's prescan of ``text``'s bytes, when the caller has it."""
        if self._path_allowed(relpath) or not text:
            return []
        before = self.suppressed
        found = self._postfilter(self._token_findings(relpath, text, prescan), text, None)
        out: list[Finding] = []
        for f in found:
            first, last = numbers[f.line - 1], numbers[f.end_line - 1]
            if last - first != f.end_line - f.line:
                self.suppressed = before
                return self._scan_runs(relpath, text, numbers)
            out.append(dataclasses.replace(f, line=first, end_line=last) if first != f.line else f)
        return out

    def _scan_runs(self, relpath: str, text: str, numbers: Sequence[int]) -> list[Finding]:
        lines = text.split("\n")
        out: list[Finding] = []
        start = 0
        for index in range(1, len(numbers) + 1):
            if index == len(numbers) or numbers[index] != numbers[index - 1] + 1:
                run = "".join(f"{line}\n" for line in lines[start:index])
                out.extend(self.scan_lines(relpath, run, numbers[start:index]))
                start = index
        return out

    def analyze_document(
        self,
        relpath: str,
        text: str,
        analyzers: list[FileAnalyzer],
        *,
        root: Path | None = None,
        count_suppressed: AbstractSet[int] | None = None,
        ctx: AnalysisContext | None = None,
    ) -> list[Finding]:
        """The findings of ``analyzers`` alone on one document (``text`` is "" for a binary file), through
        inline allow comments, the allowlists and the rule selection. Findings allowed inline are counted as
        suppressed only on the lines of ``count_suppressed`` (all when None). ``ctx`` is the analyzers'
        context when the caller has one of this scanner's (else one rooted at ``root``)."""
        if self._path_allowed(relpath) or not analyzers:
            return []
        found = self._analyzer_findings(
            relpath, text, analyzers, ctx if ctx is not None else self.context(root)
        )
        return self._postfilter(found, text, None, count=count_suppressed)

    def merge_same_place(self, findings: list[Finding]) -> list[Finding]:
        """One finding per place between token rules and analyzers (see :func:`_merge_same_place`)."""
        return _merge_same_place(findings, self._token_rule_ids)

    def is_token_rule(self, rule_id: str) -> bool:
        """Whether ``rule_id`` is one of the (enabled) token rules, not an analyzer check."""
        return rule_id in self._token_rule_ids

    def _scan_text(
        self,
        relpath: str,
        text: str,
        lines: AbstractSet[int] | None,
        prescan: Prescan | None,
        analyzers: list[FileAnalyzer] | None,
    ) -> list[Finding]:
        if self._path_allowed(relpath):
            return []
        findings: list[Finding] = []
        if text:
            findings.extend(self._token_findings(relpath, text, prescan))
        token_count = len(findings)
        findings.extend(self._analyzer_findings(relpath, text, analyzers))
        kept = self._postfilter(findings, text, lines)
        if token_count and len(findings) > token_count:
            kept = _merge_same_place(kept, self._token_rule_ids)
        if kept and relpath.endswith((".baseline", ".json")):
            from .._migrate import drop_peer_file_data  # a detect-secrets baseline lists SHA-1s, not secrets

            kept = drop_peer_file_data(text, kept)
        return kept

    def _token_findings(self, relpath: str, text: str, prescan: Prescan | None = None) -> list[Finding]:
        hits = self.detector.detect_hits(text, relpath, prescan)
        if not hits:
            return []
        starts = _line_starts(text)
        out: list[Finding] = []
        for hit in hits:
            m = hit.match
            rule = m.rule
            line, column = _position(starts, m.secret_start)
            end_line, end_column = _position(starts, max(m.secret_start, m.secret_end - 1))
            out.append(
                Finding(
                    rule_id=rule.id,
                    severity=rule.severity,
                    path=relpath,
                    line=line,
                    column=column,
                    end_line=end_line,
                    end_column=end_column + 1,
                    message=f"{rule.name} found",
                    preview=redact_preview(hit.secret, keep=rule.preview_keep),
                    secret=hit.secret,
                )
            )
        return out

    def _analyzer_findings(
        self,
        relpath: str,
        text: str,
        analyzers: list[FileAnalyzer] | None,
        ctx: AnalysisContext | None = None,
    ) -> list[Finding]:
        out: list[Finding] = []
        if analyzers is None:
            analyzers = self.analyzers_for(relpath)
        for analyzer in analyzers:
            if ctx is None:
                ctx = self.context()
            try:
                out.extend(analyzer.analyze(relpath, text, ctx))
            except AutoauditSecretsError:
                raise
            except Exception as exc:  # a bug in one analyzer: one clear line, never the file's content
                raise ScanError(f"analyzer {analyzer.id} failed on {relpath}: {type(exc).__name__}") from exc
        return out

    def _postfilter(
        self,
        findings: Iterable[Finding],
        text: str,
        lines: AbstractSet[int] | None,
        *,
        count: AbstractSet[int] | None = None,
    ) -> list[Finding]:
        kept: list[Finding] = []
        text_lines: list[str] | None = None
        allow_by_line: dict[int, bool] = {}
        for f in findings:
            if not self._rule_enabled(f.rule_id):
                continue
            if lines is not None and f.line >= 1 and f.line not in lines:
                continue  # (findings about a whole file, line 0, are kept)
            if f.secret and self._value_allowed(f.secret):
                continue
            if self._path_allowed(f.path):
                continue
            if text and f.line >= 1:
                if text_lines is None:
                    text_lines = text.split("\n")
                allowed = allow_by_line.get(f.line)
                if allowed is None:  # once per line: a minified file is one huge line with many findings
                    allowed = f.line <= len(text_lines) and line_allows(text_lines[f.line - 1])
                    allow_by_line[f.line] = allowed
                if allowed:
                    if count is None or f.line in count:
                        self.suppressed += 1
                    continue
            kept.append(f)
        return kept

    # -- trees -----------------------------------------------------------------------------------------------

    def scan_file(self, relpath: str, abs_path: str, stats: ScanStats) -> list[Finding]:
        """Read, decode and scan one file (binary files only get the analyzers' by-name checks).

        A file larger than :attr:`max_file_size` is scanned partly: its first and last ``max_file_size / 2``
        bytes (cut at line ends), so a key at the top of a big dump is still found; counted in
        ``files_truncated``."""
        parts = _read_regular(abs_path, self.max_file_size)
        if parts is None:
            stats.files_skipped += 1
            stats.unreadable.append(relpath)
            return []
        if self.archive_depth > 0 and _may_be_archive(parts[0][0]):
            found = self._scan_archive(relpath, abs_path, parts[0][0], stats)
            if found is not None:
                return found
        return self._scan_parts(relpath, parts, stats)

    def _scan_archive(
        self, relpath: str, abs_path: str, head: bytes, stats: ScanStats
    ) -> list[Finding] | None:
        """The findings in the archive file ``relpath`` (see :meth:`scan_archive`), or ``None`` when it is
        not one."""
        from ..sources._archive import archive_kind

        if archive_kind(head[:512]) is None:
            return None
        limits = self._archive_limits()
        return self.scan_archive(
            relpath, lambda: os.fdopen(os.open(abs_path, _READ_FLAGS), "rb"), stats, limits
        )

    def _archive_limits(self) -> ArchiveLimits:
        """How this run opens archives (``--max-archive-depth``, ``--max-unpacked``, ``--max-file-size``,
        ``--max-unpacked-total``)."""
        from ..sources._archive import ArchiveLimits

        return ArchiveLimits(
            depth=self.archive_depth,
            unpacked=self.archive_unpacked,
            member_size=self.max_file_size,
            total=self.unpacked_total,
        )

    def scan_archive(
        self,
        relpath: str,
        opener: Callable[[], BinaryIO],
        stats: ScanStats,
        limits: ArchiveLimits,
        *,
        skip: Callable[[Member], bool] | None = None,
    ) -> list[Finding]:
        """The findings in the members of the archive ``relpath`` (see ``sources._archive``), read from what
        ``opener`` opens, but for those ``skip`` says (a history scan's members unchanged since the version
        before). Its own name goes to the analyzers' by-name checks, as a binary file's does; each member
        counts as a file scanned or skipped, an archive not read whole in ``archives_incomplete``."""
        from ..sources._archive import ArchiveReader

        if self._path_allowed(relpath):
            return []  # allow-paths that match the archive cover all its members
        analyzers = self.analyzers_for(relpath)
        findings = self._scan_text(relpath, "", None, None, analyzers) if analyzers else []
        reader = ArchiveReader(relpath, limits)
        try:
            with opener() as raw:
                for member in reader.members(raw):
                    if skip is not None and skip(member):
                        continue
                    findings.extend(
                        self._scan_parts(member.path, member.parts, stats, self.analyzers_for(member.name))
                    )
        except OSError:
            reader.complete = False
        stats.files_skipped += reader.skipped
        stats.archives_incomplete += not reader.complete
        return findings

    def _scan_parts(
        self,
        relpath: str,
        parts: list[tuple[bytes, int]],
        stats: ScanStats,
        analyzers: list[FileAnalyzer] | None = None,
    ) -> list[Finding]:
        """Scan a document read whole (one part) or as its head and tail (see ``head_and_tail``);
        ``analyzers`` as for :meth:`scan_bytes`."""
        if len(parts) > 1:
            stats.files_truncated += 1
        findings = self.scan_bytes(relpath, parts[0][0], stats, analyzers=analyzers)
        for data, lines_before in parts[1:]:
            tail = self.scan_bytes(relpath, data, stats, analyzers=[], count=False)
            findings.extend(
                dataclasses.replace(f, line=f.line + lines_before, end_line=f.end_line + lines_before)
                for f in tail
                if f.line >= 1
            )
        return findings

    def scan_bytes(
        self,
        relpath: str,
        data: bytes,
        stats: ScanStats,
        *,
        binary: bool = False,
        analyzers: list[FileAnalyzer] | None = None,
        count: bool = True,
    ) -> list[Finding]:
        """Decode and scan one document's bytes, wherever they come from (a file, a container layer's member).

        ``binary`` says the caller already knows the bytes are not text (say, by their magic bytes): only the
        analyzers' by-name checks run. ``stats`` counts the document as scanned or skipped (not with
        ``count=False``: the tail of a file whose head was counted). ``analyzers`` overrides the file
        analyzers that apply to ``relpath`` (``[]``: token rules only)."""
        stats.bytes_scanned += len(data)
        if analyzers is None:
            analyzers = self.analyzers_for(relpath)
        if binary:
            stats.files_skipped += count
            return self._scan_text(relpath, "", None, None, analyzers) if analyzers else []
        unicode_bom = data.startswith(UNICODE_BOMS)
        if not unicode_bom and b"\x00" in data[:8192]:  # binary: only the analyzers' by-name checks
            stats.files_skipped += count
            return self._scan_text(relpath, "", None, None, analyzers) if analyzers else []
        if data.startswith(PDF_MAGIC):
            data = blank_encoded_streams(data)  # (a PDF's encoded stream data is no text: see _pdf)
        if analyzers and not unicode_bom:
            analyzers = _wanting(analyzers, data)
        prescan = None if unicode_bom else self.detector.prescan(data)
        if (
            prescan is not None
            and prescan.empty
            and not analyzers
            and not self.detector.starts_with_base64(data)
        ):
            stats.files_scanned += count
            return []
        text = decode_document(data)
        if text is None:
            stats.files_skipped += count
            return self._scan_text(relpath, "", None, None, analyzers) if analyzers else []
        stats.files_scanned += count
        return self._scan_text(relpath, text, None, prescan, analyzers)

    def scan_stream(self, relpath: str, read: Callable[[int], bytes], options: ScanOptions) -> ScanResult:
        """Scan one document read from a stream (standard input) as if it were the file ``relpath`` of
        ``options.root``: the file analyzers that own that name run on it, findings are reported and
        baselined under it, and the configuration's filters apply as to that file. ``read(n)`` returns at
        most ``n`` bytes, ``b""`` at the end. A document larger than ``options.max_file_size`` is scanned as
        its first and last halves of that size (counted in ``files_truncated``), like a file. The tree
        analyzers do not run (there is no tree). Raises :class:`ScanError` when the stream cannot be read."""
        started = time.perf_counter()
        stats = self._start(options)
        try:
            head = read_up_to(read, 512)
            if self.archive_depth > 0 and _may_be_archive(head):
                found = self._stream_archive(relpath, head, read, stats)
                if found is not None:
                    return self._result(found, stats, started)
            parts = read_stream(prepend_read(head, read), options.max_file_size)
        except OSError as exc:
            raise ScanError(f"cannot read standard input: {exc.strerror or exc}") from None
        return self._result(self._scan_parts(relpath, parts, stats), stats, started)

    def _stream_archive(
        self, relpath: str, head: bytes, read: Callable[[int], bytes], stats: ScanStats
    ) -> list[Finding] | None:
        """The findings in an archive read from a stream that began with ``head`` (see :meth:`scan_archive`),
        or None when it is not one. It is held to be opened (zip seeks; see ``_archive.hold``): one too large
        to hold is not opened, but counted as an archive read partly and as a skipped binary file."""
        from ..sources._archive import archive_kind, hold

        if archive_kind(head) is None:
            return None
        limits = self._archive_limits()
        held = hold(head, read, None, limits)
        if held is None:
            stats.archives_incomplete += 1
            return self.scan_bytes(relpath, head, stats, binary=True)
        with held:
            return self.scan_archive(relpath, lambda: held, stats, limits)

    def _start(self, options: ScanOptions) -> ScanStats:
        """This run's counters, with the run's root and file size limit set and nothing suppressed yet."""
        self._root = options.root
        self.suppressed = 0
        self.max_file_size = options.max_file_size
        self.archive_depth = options.max_archive_depth
        self.archive_unpacked = options.max_unpacked
        self.unpacked_total = UnpackedTotal(options.max_unpacked_total)
        return ScanStats(matcher=self.matcher_name, matcher_fallback=self.matcher_fallback)

    def _result(
        self,
        findings: list[Finding],
        stats: ScanStats,
        started: float,
        fingerprints: dict[tuple[str, str, str], str] | None = None,
    ) -> ScanResult:
        """The run's findings, sorted by path, line, column and rule; its time and suppressions counted."""
        findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule_id))
        stats.findings_suppressed += self.suppressed
        stats.seconds = time.perf_counter() - started
        return ScanResult(findings=findings, stats=stats, fingerprints=fingerprints or {})

    def scan(self, options: ScanOptions) -> ScanResult:
        """Walk ``options.root`` (or ``options.paths``), scan every file, then run the tree analyzers.

        ``options.jobs`` worker processes (0: CPU count) are used when the scan is large enough;
        ``options.shard`` keeps a deterministic part of the files. Findings are sorted by path, line, column
        and rule."""
        started = time.perf_counter()
        stats = self._start(options)
        self.fingerprints_in_workers = options.fingerprints
        exclude = tuple(dict.fromkeys((*self.config.exclude, *options.config.exclude)))
        jobs = options.jobs if options.jobs > 0 else (os.cpu_count() or 1)
        dispatch = _Dispatch(self, jobs, stats)
        try:
            walked = walk(
                options.root,
                options.paths,
                no_ignore=options.no_ignore,
                exclude=exclude,
                max_file_size=options.max_file_size,
                shard=options.shard,
                on_file=dispatch.add,
                uncounted=options.own_files,
            )
        except BaseException:
            dispatch.abort()
            raise
        stats.files_skipped += walked.skipped
        stats.paths_excluded += walked.excluded
        findings: list[Finding] = dispatch.finish()
        if options.paths and stats.unreadable:
            # A file named explicitly that could not be read is an error, never "no findings".
            named = set(target_relpaths(options.root, options.paths))
            for relpath in stats.unreadable:
                if relpath in named:
                    from .._config import printable

                    raise ScanError(f"{printable(relpath)}: cannot read it (named on the command line)")
        if options.shard is None or options.shard[0] == 1:
            ctx = self.context(options.root)
            tree_findings: list[Finding] = []
            for analyzer in self._tree_analyzers_for(options):
                tree_findings.extend(analyzer.analyze_tree(options.root, ctx))
            findings.extend(self._filter_tree_findings(tree_findings, options, exclude, walked))
        return self._result(findings, stats, started, dispatch.fingerprints)

    def _filter_tree_findings(
        self, tree_findings: list[Finding], options: ScanOptions, exclude: Sequence[str], walked: WalkResult
    ) -> list[Finding]:
        """Tree-analyzer findings through the same filters as file findings: ``exclude`` (of the finding's
        file or of the Dockerfile/compose file it was found through), allow-paths, rule selection, value
        allowlist and inline allow comments in the finding's file. With explicit ``paths``, a finding is kept
        when its file or its related file lies within one of them.

        A build found through a Dockerfile, compose file or workflow that a ``.gitignore`` ignores (a clone
        or vendored project in an ignored folder) is left out, as the walk leaves that file out; the files a
        build would send are judged whether git ignores them or not (docker does not read ``.gitignore``:
        an ignored ``.env`` is the usual leak)."""
        if not tree_findings:
            return []
        excluded = exclude_matcher(exclude)
        ignored = walked.ignored_matcher()
        targets = target_relpaths(options.root, options.paths) if options.paths else None
        by_path: dict[str, list[Finding]] = {}
        for f in tree_findings:
            related = _related_path(f.related)
            if excluded(f.path) or (related is not None and (excluded(related) or ignored(related))):
                continue
            if targets is not None and not (
                _within(f.path, targets) or (related is not None and _within(related, targets))
            ):
                continue
            by_path.setdefault(f.path, []).append(f)
        kept: list[Finding] = []
        for relpath, group in by_path.items():
            text = ""
            if any(f.line >= 1 for f in group):
                text = self._read_for_suppression(options.root, relpath, options.max_file_size)
            kept.extend(self._postfilter(group, text, None))
        return kept

    @staticmethod
    def _read_for_suppression(root: Path, relpath: str, limit: int) -> str:
        from ..._safe_read import read_bytes  # regular files only, never blocking, size-capped

        data = read_bytes(root / relpath, limit)
        if data is None:
            return ""
        return decode_document(data) or ""

    def __getstate__(self) -> dict[str, object]:
        # A scanner crosses to "spawn" workers as its recipe; compiled databases are rebuilt (or loaded)
        # there.
        return {
            "config": self.config,
            "rules": self.rules,
            "matcher": self.detector.backend.value,
            "max_file_size": self.max_file_size,
            "fingerprints_in_workers": self.fingerprints_in_workers,
            "archives": (self.archive_depth, self.archive_unpacked),
            "unpacked_total": self.unpacked_total,  # (shared memory, once a pool starts: see _start_pool)
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        rules = state["rules"]
        config = state["config"]
        assert isinstance(config, ScanConfig) and isinstance(rules, tuple)
        self.__init__(config, rules=rules, matcher=str(state["matcher"]))  # type: ignore[misc]
        limit = state.get("max_file_size")
        self.max_file_size = limit if isinstance(limit, int) else None
        self.fingerprints_in_workers = bool(state.get("fingerprints_in_workers"))
        archives = state.get("archives")
        if isinstance(archives, tuple):
            self.archive_depth, self.archive_unpacked = archives
        total = state.get("unpacked_total")
        if isinstance(total, UnpackedTotal):
            self.unpacked_total = total


class _Dispatch:
    """Feeds walked files to this process or, once the scan proves large, to a pool of worker processes (the
    walk goes on while workers scan). Small scans (pre-commit) never start a pool."""

    def __init__(self, scanner: Scanner, jobs: int, stats: ScanStats) -> None:
        self.scanner = scanner
        self.jobs = jobs
        self.stats = stats
        self.pending: list[tuple[str, str, int]] = []
        self.pending_bytes = 0
        self.count = 0
        self.total = 0
        self.pool: Any = None
        self.futures: list[Any] = []
        self.fingerprints: dict[tuple[str, str, str], str] = {}

    def add(self, relpath: str, abs_path: str, size: int) -> None:
        self.pending.append((relpath, abs_path, size))
        self.pending_bytes += size + _FILE_COST
        self.count += 1
        self.total += size
        if self.pool is None:
            if self.jobs > 1 and self.total >= _PARALLEL_MIN_BYTES and self.count >= _PARALLEL_MIN_FILES:
                self._start_pool()
                # what was collected so far goes out in chunks too: the workers share it from the start
                # (one chunk of it made the first worker scan all of it while the others waited)
                collected, self.pending, self.pending_bytes = self.pending, [], 0
                for item in collected:
                    self.pending.append(item)
                    self.pending_bytes += item[2] + _FILE_COST
                    if self.pending_bytes >= _CHUNK_BYTES:
                        self._submit()
        elif self.pending_bytes >= _CHUNK_BYTES:
            self._submit()

    def _start_pool(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from . import _worker

        self.scanner.detector.matcher.prepare()  # compile (or load) once; forked workers inherit it
        self.scanner.file_analyzers()
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        self.scanner.unpacked_total.share(context)  # one total for the workers' archives
        self.pool = ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=context,
            initializer=_worker.init,
            initargs=(self.scanner, method),
        )

    def _submit(self) -> None:
        from . import _worker

        if self.pending:
            self.futures.append(self.pool.submit(_worker.scan_chunk, self.pending))
        self.pending, self.pending_bytes = [], 0

    def abort(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def finish(self) -> list[Finding]:
        findings: list[Finding] = []
        if self.pool is None:
            for rel, abs_path, _ in self.pending:
                findings.extend(self.scanner.scan_file(rel, abs_path, self.stats))
            return findings
        self._submit()
        try:
            for future in self.futures:
                chunk_findings, chunk_stats, suppressed, computed = future.result()
                self.fingerprints.update(computed)
                findings.extend(chunk_findings)
                self.stats.add_counts(chunk_stats)
                self.scanner.suppressed += suppressed
        finally:
            self.pool.shutdown(cancel_futures=True)
        return findings


def _wanting(analyzers: list[FileAnalyzer], data: bytes) -> list[FileAnalyzer]:
    """The analyzers that may find something in a file of these bytes: those without a ``wants(data)``
    question, and those whose answer is yes (see :class:`FileAnalyzer`). A file none of them wants keeps the
    fast path of a file no token rule matches (it is not even decoded)."""
    return [a for a in analyzers if (wants := getattr(a, "wants", None)) is None or wants(data)]


def _merge_same_place(findings: list[Finding], token_rule_ids: AbstractSet[str]) -> list[Finding]:
    """One finding per place: when a format analyzer reports the very value a token rule found, the analyzer's
    finding stays (it names the mistake and the fix) and carries the token rule's id in its message; the token
    rule's finding goes, unless it is the more severe one. The finding that stays has the token rule's
    severity: the rule knows the value's format (a Stripe test-mode key is a warning), the analyzer only the
    name it is assigned to, so one value has one severity whatever found it.

    "The very value" is judged on the line and the value, whatever the quoting: the two findings share a line,
    their column spans overlap, and the token's secret is the analyzer's value or lies inside it (an analyzer
    may report ``"value"`` with its quotes, or a whole ``user:password`` pair around the token). A token found
    in what a value decodes to (a PEM key in base64) spans the very value: the same span is the same value."""
    analyzers_on: dict[int, list[int]] = {}
    for index, f in enumerate(findings):
        if f.secret and f.line >= 1 and f.rule_id not in token_rule_ids:
            analyzers_on.setdefault(f.line, []).append(index)
    if not analyzers_on:
        return findings
    out = list(findings)
    drop: set[int] = set()
    for index, f in enumerate(findings):
        if f.rule_id not in token_rule_ids or not f.secret:
            continue
        other = next(
            (i for i in analyzers_on.get(f.line, ()) if i not in drop and _same_value(findings[i], f)), None
        )
        if other is None:
            continue
        analyzer = out[other]
        if f.severity.rank > analyzer.severity.rank:
            drop.add(other)
            continue
        message = (
            analyzer.message if f.rule_id in analyzer.message else f"{analyzer.message} (rule {f.rule_id})"
        )
        if message != analyzer.message or f.severity is not analyzer.severity:
            out[other] = dataclasses.replace(analyzer, message=message, severity=f.severity)
        drop.add(index)
    return [f for i, f in enumerate(out) if i not in drop]


def _same_value(analyzer: Finding, token: Finding) -> bool:
    """Whether an analyzer's finding and a token rule's finding on the same line are about one value."""
    if token.secret not in analyzer.secret:
        # (a token of a decoded layer: its secret is the decoded text, its span the encoded value's)
        return (analyzer.column, analyzer.end_line, analyzer.end_column) == (
            token.column,
            token.end_line,
            token.end_column,
        )
    a_end = (
        analyzer.end_column if analyzer.end_line == analyzer.line else analyzer.column + len(analyzer.secret)
    )
    t_end = token.end_column if token.end_line == token.line else token.column + len(token.secret)
    return analyzer.column < max(t_end, token.column + 1) and token.column < max(a_end, analyzer.column + 1)


# First bytes of zip, gzip, zstd, xz and bzip2, and the magic of a ustar/GNU/pax tar header: a file that
# starts so is asked whether it is an archive (sources._archive, imported only then).
_ARCHIVE_STARTS = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"\xfd7zXZ\x00", b"BZh")


def _may_be_archive(head: bytes) -> bool:
    return head.startswith(_ARCHIVE_STARTS) or head[257:262] == b"ustar"


_READ_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)


def _read_regular(abs_path: str, limit: int | None = None) -> list[tuple[bytes, int]] | None:
    """A regular file's bytes as ``[(bytes, lines before them)]``, or ``None``: opened without blocking (a
    FIFO swapped in after the walk must not hang the scan) and checked to be a regular file before reading.

    A file larger than ``limit`` gives two parts: its first ``limit / 2`` bytes up to the last line end in
    them, and its last ``limit / 2`` bytes from the first line start in them, with the number of lines before
    that (counted by reading the middle in blocks, never holding it).

    Otherwise bare ``os.read`` of the size ``fstat`` gives, plus one byte: one read for a file that does not
    change under us (a buffered file object costs more than the read itself on small files); a file that grew
    or came up short is read on to its end."""
    try:
        fd = os.open(abs_path, _READ_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        size = info.st_size
        if limit is not None and size > limit:
            with os.fdopen(fd, "rb", closefd=False) as handle:
                return head_and_tail(handle.read, size, max(limit // 2, 1))
        data = os.read(fd, size + 1)
        if len(data) == size:
            return [(data, 0)]
        chunks = [data]
        while chunk := os.read(fd, max(size, 1 << 16)):
            chunks.append(chunk)
        return [(b"".join(chunks), 0)]
    except OSError:
        return None
    finally:
        os.close(fd)


def _related_path(related: str | None) -> str | None:
    """The file part of a finding's ``related`` place (``"app/Dockerfile:12"`` -> ``"app/Dockerfile"``)."""
    if not related:
        return None
    head, sep, tail = related.rpartition(":")
    return head if sep and tail.isdigit() else related


def _within(relpath: str, targets: Sequence[str]) -> bool:
    return any(t == "" or relpath == t or relpath.startswith(t.rstrip("/") + "/") for t in targets)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


def _position(starts: list[int], offset: int) -> tuple[int, int]:
    index = bisect.bisect_right(starts, offset) - 1
    return index + 1, offset - starts[index] + 1

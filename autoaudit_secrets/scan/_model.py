"""Data types shared by every part of check-secrets: rules, findings, options, and the analyzer interfaces.

This module is the contract between the engine, the rules, the Docker/compose/CI analyzers, git
modes, baselines and reporters. It imports nothing heavy.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from .sources._unpacked import DEFAULT_UNPACKED_TOTAL

__all__ = [
    "AnalysisContext",
    "CommitInfo",
    "Confidence",
    "FileAnalyzer",
    "Finding",
    "ImageOrigin",
    "Match",
    "MessageOrigin",
    "OutputFormat",
    "Rule",
    "ScanConfig",
    "ScanOptions",
    "ScanResult",
    "ScanStats",
    "Severity",
    "TreeAnalyzer",
]


class Severity(enum.Enum):
    """How bad a finding is. ``error``: a secret or secret file is exposed. ``warning``: a risky practice."""

    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return 0 if self is Severity.WARNING else 1

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


class Confidence(enum.Enum):
    """How specific a rule's pattern is. ``high``: a self-identifying token format (a fixed prefix,
    a checksum); ``medium``: needs a keyword nearby; ``low``: generic, needs entropy or a secret-ish
    name."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class OutputFormat(enum.Enum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    CSV = "csv"
    JUNIT = "junit"


@dataclass(frozen=True, slots=True)
class Rule:
    """One detection rule, loaded from the declarative TOML records under ``scan/rules/data``.

    ``id`` is stable forever: it is part of the baseline and SARIF contract. ``pattern`` is Python
    ``re`` syntax restricted to what Hyperscan and RE2 also accept (no look-around, no
    back-references). ``secret_group`` names the capture group holding the secret (0 = the whole
    match). ``keywords`` are lower-case literals, one of which must occur in the text for the rule to
    be tried.
    """

    id: str
    name: str
    description: str
    remediation: str
    pattern: str
    severity: Severity = Severity.ERROR
    confidence: Confidence = Confidence.HIGH
    provider: str = ""
    secret_group: int | str = 0
    keywords: tuple[str, ...] = ()
    min_entropy: float | None = None
    case_insensitive: bool = False
    filters: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    examples: tuple[str, ...] = field(default=(), repr=False)
    negative_examples: tuple[str, ...] = field(default=(), repr=False)

    @property
    def preview_keep(self) -> int:
        """Leading characters a redacted preview of this rule's secret may show: 4 (a provider prefix,
        usually) for high-confidence token formats, none for everything else — a password or a generic secret
        may be human-chosen, and a few characters of it are a real hint; a private key's secret is its key
        material, which has no prefix to show."""
        if self.confidence is not Confidence.HIGH or {"password", "generic", "private-key"} & set(self.tags):
            return 0
        return 4


@dataclass(frozen=True, slots=True)
class Match:
    """A rule's hit inside one text: character offsets of the whole match and of the secret within it."""

    rule: Rule
    start: int
    end: int
    secret_start: int
    secret_end: int

    def secret(self, text: str) -> str:
        return text[self.secret_start : self.secret_end]


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """Where a finding from git history was introduced."""

    sha: str
    author_email: str
    date: str  # ISO 8601


@dataclass(frozen=True, slots=True)
class ImageOrigin:
    """Where a finding in a container image is: the image, and the layer or configuration part holding it.

    ``created_by`` is the history entry (the Dockerfile instruction) of the layer or of the configuration
    step, with every secret found in it and every build-argument value masked. ``deleted_in`` is the 1-based
    index of a later layer that deletes (whiteout) or replaces the file: the bytes are still in the image."""

    image: str  # as named on the command line (plus ``@tag`` when an archive holds several images)
    platform: str = ""  # ``os/arch[/variant]`` when known
    layer_index: int = 0  # 1-based; 0 for the image configuration
    layer_digest: str = ""  # the layer's uncompressed digest (``diff_id``) when known, else its blob digest
    created_by: str = ""
    history_index: int = 0  # 1-based step of the image history that made the layer or holds the finding
    config_field: str = ""  # for configuration findings: ``history``, ``Env``, ``Labels``, ``Cmd``, ...
    deleted_in: int = 0


@dataclass(frozen=True, slots=True)
class MessageOrigin:
    """Where a finding in a git message is (``check-secrets git``): the message of a commit, or of an
    annotated tag. Such a finding has no file: its ``path`` is empty, and its ``line`` and ``column`` are in
    the message (subject line 1, then the body). For a tag, ``tagger_email`` and ``date`` are the tagger's,
    and the finding's ``commit`` is the commit the tag points to (None for a tag of a tree or a blob)."""

    kind: str  # "commit" or "tag"
    sha: str  # the commit's id, or the tag object's id
    tag: str = ""  # kind "tag": the tag's name (its ref without ``refs/tags/``)
    tagger_email: str = ""
    date: str = ""  # kind "tag": when it was tagged (ISO 8601)

    @property
    def fingerprint_path(self) -> str:
        """What stands for the path in a fingerprint (see :mod:`._fingerprint`): ``\\0commit-message`` or
        ``\\0tag-message``. No file path holds a NUL, so it never meets a file's; and it names the kind of
        message only, not the commit: a baselined secret stays baselined when the history is rewritten
        (rebased), as a file's does when code moves."""
        return f"\0{self.kind}-message"


@dataclass(frozen=True, slots=True)
class AnalyzerCheck:
    """A format analyzer's check: its catalog record (stable id, severity, title, how to fix it) for reports
    and ``rules``."""

    id: str
    severity: Severity
    title: str
    remediation: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem. ``secret`` stays in memory (for fingerprints and baselines) and is never printed,
    serialised or shown by ``repr``; reports use ``preview``."""

    rule_id: str
    severity: Severity
    path: str  # relative to the scanned root, "/"-separated; "" for a git message (see ``git_message``)
    line: int  # 1-based
    column: int  # 1-based, in characters
    end_line: int
    end_column: int
    message: str  # one line, no secret value
    preview: str  # redacted
    secret: str = field(default="", repr=False, compare=False)
    commit: CommitInfo | None = None
    # For findings about a file as a whole, or found through another file (a Dockerfile's COPY), the
    # related place.
    related: str | None = None
    # For findings in a container image (``check-secrets image``): the image, layer and instruction.
    image: ImageOrigin | None = None
    # For findings in a commit or tag message (``check-secrets git``): which message; ``path`` is then "".
    git_message: MessageOrigin | None = None


@dataclass(slots=True)
class ScanStats:
    files_scanned: int = 0
    files_skipped: int = 0  # binary, unreadable or special files (named on the command line: an error)
    # What ``exclude`` globs (the configuration's and --exclude) left out, never read: files and folders of a
    # tree (a folder counts once: what it holds is not listed), paths in an image, changed files in a history
    # (each time a commit changes one). check-secrets' own files (a baseline inside the root) do not count.
    paths_excluded: int = 0
    files_truncated: int = 0  # larger than max_file_size: only their first and last parts were scanned
    # Archives in the tree not read whole: damaged, encrypted or unsupported members, nested deeper than
    # max_archive_depth, or more unpacked bytes or members than allowed.
    archives_incomplete: int = 0
    # Git commit and tag messages (check-secrets git) of which only the first and last parts were scanned
    # (larger than sources._messages.MESSAGE_MAX), in the order of the history.
    messages_truncated: list[MessageOrigin] = field(default_factory=list)
    # Commits (check-secrets git) not scanned, or not to the end, because --time-limit was reached: the scan
    # stopped there (1 for staged changes not scanned whole).
    commits_unscanned: int = 0
    # Files that could not be read (relative paths, not in reports); one named explicitly is an error.
    unreadable: list[str] = field(default_factory=list)
    bytes_scanned: int = 0
    seconds: float = 0.0
    findings_suppressed: int = 0
    findings_baselined: int = 0
    matcher: str = ""
    # Set when the matcher was chosen automatically and is not Hyperscan: why, and how to install it.
    matcher_fallback: str | None = None

    def add_counts(self, other: ScanStats) -> None:
        """Add what ``other`` (a worker's part of the same run) read, skipped and could not read."""
        self.files_scanned += other.files_scanned
        self.files_skipped += other.files_skipped
        self.paths_excluded += other.paths_excluded
        self.files_truncated += other.files_truncated
        self.archives_incomplete += other.archives_incomplete
        self.messages_truncated.extend(other.messages_truncated)
        self.commits_unscanned += other.commits_unscanned
        self.unreadable.extend(other.unreadable)
        self.bytes_scanned += other.bytes_scanned


@runtime_checkable
class AnalysisContext(Protocol):
    """What the engine offers to analyzers: the token detector and the shared value/name judgements."""

    root: Path

    def detect(self, text: str, relpath: str | None = None) -> Sequence[Match]:
        """Every token-rule match (provider formats, private keys, JWTs, URLs with credentials, ...) in
        ``text``, base64-decoded layers included, after placeholder and allowlist filtering. ``text`` is
        judged as a value of a configuration (``None``), or as the whole file ``relpath`` is by the scan
        (source code is not configuration: the rules for unquoted ``NAME=value`` lines skip it)."""
        ...

    def is_secret_name(self, name: str) -> bool:
        """True when a variable/key name says it holds a secret (any case style), or the schema says so."""
        ...

    def is_placeholder(self, value: str) -> bool:
        """True for empty values, placeholders (``changeme``, ``<your-key>``, ``xxxx``) and references
        (``${VAR}``, ``$VAR``, ``{{ x }}``, ``${{ secrets.X }}``, ``enc:`` envelopes)."""
        ...


@runtime_checkable
class FileAnalyzer(Protocol):
    """Extra, format-aware checks for some files (Dockerfiles, compose files, CI workflows, ``.env`` files).

    The engine still runs its token rules on every file; an analyzer adds what needs the file's structure.

    An analyzer may also have ``may_change(added, ctx, text, lines) -> bool``: whether the lines a commit
    added (``added``, numbered ``lines`` in ``text``, the file as of the commit) could give the file a finding
    it did not have. A history scan may skip the analyzer on a change it answers False for; an analyzer
    without it always runs.

    And ``wants(data: bytes) -> bool``: whether a file of these (undecoded, not UTF-16) bytes could give it a
    finding at all -- a cheap question for an analyzer of a common file type whose findings need a marker
    (a Kubernetes Secret's ``kind``). A scan of files skips the analyzer on a file it answers False for, so
    the file keeps the fast path of one no token rule matches; ``analyze`` must still judge on its own.

    And ``applies_to_history(relpath) -> bool``: whether it runs on the changes a history scan reads (default:
    where ``applies_to`` says). A history scan reads the file as of each commit that changes it for every
    analyzer that applies, so an analyzer of a common, often large file type may narrow it there."""

    id: str

    def applies_to(self, relpath: str) -> bool: ...

    def analyze(self, relpath: str, text: str, ctx: AnalysisContext) -> Iterable[Finding]:
        """Findings for one file. ``text`` is "" for a binary file (sensitive-file checks still apply by
        name)."""
        ...


@runtime_checkable
class TreeAnalyzer(Protocol):
    """Checks that look at a scanned root as a whole (a Docker build context and what it would copy)."""

    id: str

    def analyze_tree(self, root: Path, ctx: AnalysisContext) -> Iterator[Finding]: ...


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """What ``[tool.check-secrets]`` / ``.check-secrets.toml`` and the command line configure.
    Immutable; passed explicitly (there is no global configuration)."""

    disabled_rules: frozenset[str] = frozenset()
    # When set, only these rule ids run.
    enabled_rules: frozenset[str] | None = None
    # gitignore-style globs, relative to the root: findings in matching files are dropped.
    allow_paths: tuple[str, ...] = ()
    # Regular expressions matched (search) against the secret value: matching findings are dropped.
    allow_values: tuple[str, ...] = ()
    # gitignore-style globs of files not to scan at all.
    exclude: tuple[str, ...] = ()
    extra_rules: tuple[Rule, ...] = ()
    # Env-var names that hold secrets whatever they look like (from ``--schema``: every SecretStr field).
    secret_names: frozenset[str] = frozenset()
    fail_on: Severity = Severity.ERROR
    # ``schema`` specs of a configuration file that were not imported (the file was not trusted: importing a
    # module of the scanned tree would run its code); the CLI warns about them.
    ignored_schema: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """One ``check-secrets scan`` run."""

    root: Path
    paths: tuple[Path, ...] = ()  # empty: the whole root
    config: ScanConfig = ScanConfig()
    no_ignore: bool = False
    max_file_size: int = 10 * 1024 * 1024
    jobs: int = 0  # 0: os.cpu_count()
    shard: tuple[int, int] | None = None  # (K, N), 1 <= K <= N
    # A report or baseline will need fingerprints: worker processes compute the slow ones for their findings.
    fingerprints: bool = False
    # Archives in the tree (zip, jar, tar, .tar.gz, .gz, ...): how many levels are opened (0: none; 1: not
    # the archives inside them), how many unpacked bytes each archive of the tree may give, and all of them
    # together (see sources._unpacked).
    max_archive_depth: int = 2
    max_unpacked: int = 256 * 1024 * 1024
    max_unpacked_total: int = DEFAULT_UNPACKED_TOTAL
    # Anchored globs of check-secrets' own files inside the root (the baseline, the cache folder): left out of
    # the scan (the CLI also puts them in the configuration's ``exclude``), not counted in paths_excluded.
    own_files: tuple[str, ...] = ()


@dataclass(slots=True)
class ScanResult:
    findings: list[Finding]
    stats: ScanStats
    # Fingerprints the worker processes computed, by (rule id, path, secret) (see ScanOptions.fingerprints).
    fingerprints: dict[tuple[str, str, str], str] = field(default_factory=dict)

"""Options and output shared by every check-secrets command that reports findings (``scan``, ``git ...``).

A command calls :func:`add_common_options` on its parser, :func:`config_from_args` to get the
:class:`ScanConfig` for its root, runs its scan, and returns :func:`emit`'s exit code::

    def _run(args):
        root = ...
        config = config_from_args(args, root)
        result = Scanner(config).scan(options)
        return emit(result.findings, result.stats, args, root=root)

:func:`emit` drops findings the configuration excludes (rule on/off, ``allow-paths``, ``allow-values``: a
no-op when the engine did it already, and not counted, like the engine's) and those ``--baseline`` accepts
(counted in ``findings_baselined``), writes the report (stdout or ``--output``), and returns 0 (nothing at
or above ``--fail-on``) or 1.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import stat
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import AutoauditSecretsError, ReportError, ScanError, UsageError
from ..scan._config import check_globs, load_config, override_config, printable, resolve_schema_names
from ..scan._fingerprint import FingerprintCache
from ..scan._model import Finding, OutputFormat, Rule, ScanConfig, ScanOptions, ScanStats, Severity
from ._common import EXIT_FINDINGS, EXIT_OK, Command, ExitCode

if TYPE_CHECKING:
    from ..scan._baseline import Baseline

__all__ = [
    "DEFAULT_ARCHIVE_DEPTH",
    "DEFAULT_UNPACKED",
    "DEFAULT_UNPACKED_TOTAL",
    "SINCE_BASE_ATTR",
    "TREE_CACHE_ATTR",
    "add_archive_options",
    "add_common_options",
    "add_config_ref_option",
    "add_trust_option",
    "apply_config_filters",
    "config_from_args",
    "emit",
    "fingerprint_cache",
    "guarded",
    "matchable",
    "parse_jobs",
    "parse_seconds",
    "parse_shard",
    "parse_size",
    "remember_config",
    "rule_catalog",
]

_CONFIG_ATTR = "_check_secrets_config"
_CACHE_ATTR = "_check_secrets_fingerprints"


def guarded(command: Command) -> Command:
    """Wrap a command so that an unexpected exception becomes a one-line error (exit 2), not a traceback.

    Only the exception's type is shown: its message might quote scanned content. ``OSError`` shows the file
    and the reason. Set ``CHECK_SECRETS_DEBUG=1`` to get the traceback instead."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> ExitCode:
        try:
            return command(args)
        except (AutoauditSecretsError, KeyboardInterrupt, BrokenPipeError):
            raise
        except OSError as exc:
            if os.environ.get("CHECK_SECRETS_DEBUG"):
                raise
            where = f"{printable(str(exc.filename))}: " if exc.filename else ""
            raise ScanError(f"{where}{exc.strerror or type(exc).__name__}") from None
        except Exception as exc:
            if os.environ.get("CHECK_SECRETS_DEBUG"):
                raise
            raise ScanError(
                f"internal error ({type(exc).__name__}); set CHECK_SECRETS_DEBUG=1 for a traceback"
            ) from None

    return run


DEFAULT_ARCHIVE_DEPTH = ScanOptions(root=Path(".")).max_archive_depth
DEFAULT_UNPACKED = ScanOptions(root=Path(".")).max_unpacked
DEFAULT_UNPACKED_TOTAL = ScanOptions(root=Path(".")).max_unpacked_total


def _parse_depth(text: str) -> int:
    try:
        depth = int(text)
    except ValueError:
        depth = -1
    if not 0 <= depth <= 16:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 16, got {text!r}")
    return depth


def add_archive_options(parser: argparse.ArgumentParser, which: str, *, unpacked: bool = True) -> None:
    """Add ``--max-archive-depth``, ``--max-unpacked-total`` and (with ``unpacked``) ``--max-unpacked``;
    ``which`` says which archives are opened."""
    parser.add_argument(
        "--max-archive-depth",
        type=_parse_depth,
        default=DEFAULT_ARCHIVE_DEPTH,
        metavar="N",
        help=f"open archives {which} (zip, jar, tar, .tar.gz, .gz, ...) and archives inside them down "
        f"to N levels; 0: never (default: {DEFAULT_ARCHIVE_DEPTH})",
    )
    parser.add_argument(
        "--max-unpacked-total",
        type=parse_size,
        default=DEFAULT_UNPACKED_TOTAL,
        metavar="SIZE",
        help=f"unpacked bytes read from all the archives {which} together (many zip bombs); archives met "
        "once it is spent are not opened and the summary says so (default: 4G)",
    )
    if not unpacked:
        return
    parser.add_argument(
        "--max-unpacked",
        type=parse_size,
        default=DEFAULT_UNPACKED,
        metavar="SIZE",
        help="unpacked bytes read from one archive, nested ones included; the rest of it is not "
        "read and the summary says so (default: 256M)",
    )


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Add the report, baseline and configuration options every scanning command shares."""
    group = parser.add_argument_group("report and configuration")
    group.add_argument(
        "--format",
        choices=[f.value for f in OutputFormat],
        default=OutputFormat.TEXT.value,
        help="report format (default: text)",
    )
    group.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    group.add_argument(
        "--baseline", metavar="FILE", help="do not report findings accepted in FILE (check-secrets baseline)"
    )
    group.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: .check-secrets.toml, else [tool.check-secrets] of pyproject.toml, "
        "at the root)",
    )
    group.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        default=None,
        help="lowest severity that makes the exit code 1 (default: the configuration's, else error)",
    )
    group.add_argument(
        "--schema",
        metavar="MODULE:CLASS",
        action="append",
        default=[],
        help="settings class whose secret fields' env names are secrets wherever assigned (repeatable)",
    )
    add_trust_option(group)
    group.add_argument(
        "--enable",
        metavar="RULE",
        action="append",
        default=[],
        help="run only this rule (repeatable; also re-enables a rule the configuration disables)",
    )
    group.add_argument("--disable", metavar="RULE", action="append", default=[], help="do not run this rule")
    group.add_argument(
        "--exclude", metavar="GLOB", action="append", default=[], help="gitignore-style glob not to scan"
    )
    color = group.add_mutually_exclusive_group()
    color.add_argument(
        "--color", dest="color", action="store_true", default=None, help="colour the text report"
    )
    color.add_argument("--no-color", dest="color", action="store_false", help="never colour the text report")


def add_trust_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--trust-config``: let the configuration file's ``schema`` key import its settings classes."""
    parser.add_argument(
        "--trust-config",
        action="store_true",
        help="import the settings classes the configuration's `schema` key names (runs code of the scanned "
        "tree: never on untrusted changes such as pull requests)",
    )


def add_config_ref_option(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, git: bool = False
) -> None:
    """``--config-ref REF``: read the configuration (and a ``--baseline`` file of the repository) as of a git
    revision, not from the working tree. With ``git``, also ``--worktree-config`` (``--since`` reads them as
    of its base unless given)."""
    default = " (default with --since: its REF)" if git else ""
    parser.add_argument(
        "--config-ref",
        metavar="REV",
        help="read the configuration, and a --baseline file of the repository, as of this git revision"
        f"{default}, never from the working tree (pull requests: the base branch, e.g. origin/main)",
    )
    if git:
        parser.add_argument(
            "--worktree-config",
            action="store_true",
            help="with --since, read the configuration from the working tree, as the other modes do (trusts "
            "the changes being scanned; a change that weakens the scan is named on stderr)",
        )


TREE_CACHE_ATTR = "_check_secrets_tree_cache"


def _keep_cache_out_of(root: Path) -> Path | None:
    """Never read the pattern cache from inside the scanned tree. A CI workspace can be ``$HOME``, so a
    repository could ship ``.cache/autoaudit-secrets/`` with a crafted compiled Hyperscan database (which is
    deserialised, not validated): then this run caches in a private folder of the temp
    directory instead (``$XDG_CACHE_HOME`` is set for this process and its workers). Returns the folder that
    was avoided, or ``None``."""
    from ..scan.engine._matcher import cache_dir

    try:
        cache = cache_dir().resolve()
        inside = cache == root.resolve() or root.resolve() in cache.parents
    except (OSError, RuntimeError):
        return None
    if not inside:
        return None
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else 0
    private = Path(tempfile.gettempdir()) / f"autoaudit-secrets-cache-{uid}"
    try:
        private.mkdir(mode=0o700, exist_ok=True)
        info = private.lstat()
        if (
            not stat.S_ISDIR(info.st_mode)
            or info.st_mode & 0o077
            or (hasattr(os, "getuid") and info.st_uid != uid)
        ):
            raise PermissionError  # someone else's or a shared folder: do not trust it either
    except OSError:
        private = Path(tempfile.mkdtemp(prefix="autoaudit-secrets-cache-"))
    os.environ["XDG_CACHE_HOME"] = str(private)
    return cache


def config_from_args(args: argparse.Namespace, root: Path) -> ScanConfig:
    """The configuration for a scan of ``root``: the configuration file (``--config`` or the one found at
    ``root``) with the command-line options on top. Remembered on ``args`` for :func:`emit`.

    The file belongs to the scanned tree: its ``schema`` key is imported only with ``--trust-config``, else
    ignored with a one-line warning."""
    inside = _keep_cache_out_of(root)
    if inside is not None:
        setattr(args, TREE_CACHE_ATTR, inside)  # still excluded from the scan (see _scan_cmds._own_files)
    config_file = Path(args.config) if getattr(args, "config", None) else None
    trusted = bool(getattr(args, "trust_config", False))
    config = _file_config(args, root, config_file, trusted)
    if config.ignored_schema and hasattr(args, "trust_config"):
        print(
            "check-secrets: warning: the configuration's `schema` key is ignored (importing it would run "
            "code of the scanned tree); pass --schema MODULE:CLASS, or --trust-config for a trusted tree",
            file=sys.stderr,
        )
    names: frozenset[str] = frozenset()
    for spec in getattr(args, "schema", None) or ():
        try:
            names |= resolve_schema_names(spec)
        except AutoauditSecretsError as exc:
            # One line: a settings problem list (value-free) is joined.
            detail = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            detail = detail.replace(":; ", ": ")
            raise UsageError(f"--schema {printable(spec, 80)}: {detail}") from None
    fail_on = getattr(args, "fail_on", None)
    exclude = list(getattr(args, "exclude", None) or ())
    try:
        check_globs(exclude, "--exclude")
    except AutoauditSecretsError as exc:
        raise UsageError(str(exc)) from None
    enable = list(getattr(args, "enable", None) or ())
    disable = list(getattr(args, "disable", None) or ())
    _check_rule_ids(config, [*enable, *disable])
    config = override_config(
        config,
        enable=enable,
        disable=disable,
        exclude=exclude,
        fail_on=Severity(fail_on) if fail_on else None,
        secret_names=names,
    )
    remember_config(args, config)
    return config


#: Set by ``git --since REF`` on ``args``: the configuration is read as of REF unless ``--config-ref`` names
#: another revision or ``--worktree-config`` is given.
SINCE_BASE_ATTR = "_check_secrets_since_base"


def _file_config(args: argparse.Namespace, root: Path, config_file: Path | None, trusted: bool) -> ScanConfig:
    """The configuration file's part: from the working tree, or as of ``--config-ref`` (or the base of
    ``git --since``), with one stderr line when the working tree's differs from the one used."""
    explicit = getattr(args, "config_ref", None)
    base = getattr(args, SINCE_BASE_ATTR, None)
    worktree_wanted = bool(getattr(args, "worktree_config", False))
    if explicit is not None and worktree_wanted:
        raise UsageError("--config-ref and --worktree-config exclude each other")
    ref = explicit if explicit is not None else (None if worktree_wanted else base)
    if ref is None:
        config = load_config(root, config_file, trust_schema=trusted)
        if base is not None:
            _say_if_weaker(config, root, base, config_file)
        return config
    from ..scan._config_ref import load_config_at

    option = "--config-ref" if explicit is not None else "--since"
    loaded = load_config_at(root, ref, config_file, trust_schema=trusted, option=option)
    setattr(args, _CONFIG_REF_ATTR, ref)
    _say_if_worktree_differs(loaded.config, root, ref, config_file, since=explicit is None)
    return loaded.config


_CONFIG_REF_ATTR = "_check_secrets_config_ref"


def _say_if_worktree_differs(
    used: ScanConfig, root: Path, ref: str, config_file: Path | None, *, since: bool
) -> None:
    """One stderr line when the working tree's configuration, which is not used, differs from ``ref``'s:
    a warning naming how it would scan less, else a note."""
    shown = printable(ref, 80)
    why = f"--since reads it as of its base {shown}" if since else f"--config-ref {shown}"
    difference = _worktree_difference(used, root, config_file, shown)
    if difference:
        print(f"check-secrets: {difference}; not used ({why})", file=sys.stderr)


def _worktree_difference(used: ScanConfig, root: Path, config_file: Path | None, shown: str) -> str | None:
    try:
        worktree = load_config(root, config_file)
    except AutoauditSecretsError as exc:
        # (a configuration error names the file and key, never a value)
        return f"note: the working tree's configuration does not load ({exc})"
    if _comparable(worktree) == _comparable(used):
        return None
    from ..scan._config_ref import weakenings

    weaker = weakenings(_comparable(worktree), _comparable(used))
    if weaker:
        return f"warning: the working tree's configuration scans less than {shown}'s ({'; '.join(weaker)})"
    return f"note: the working tree's configuration differs from {shown}'s"


def _say_if_weaker(used: ScanConfig, root: Path, base: str, config_file: Path | None) -> None:
    """With ``--worktree-config``: one warning line when the working tree's configuration, used, scans less
    than the base's (nothing when the base's cannot be read: the scan does not depend on it)."""
    from ..scan._config_ref import load_config_at, weakenings

    try:
        reference = load_config_at(root, base, config_file, option="--since").config
    except AutoauditSecretsError:
        return
    weaker = weakenings(_comparable(used), _comparable(reference))
    if weaker:
        print(
            f"check-secrets: warning: the configuration in use (--worktree-config) scans less than "
            f"{printable(base, 80)}'s ({'; '.join(weaker)})",
            file=sys.stderr,
        )


def _comparable(config: ScanConfig) -> ScanConfig:
    """``config`` without what ``--trust-config`` adds (the schema's names): compared as read."""
    return replace(config, secret_names=frozenset(), ignored_schema=())


def remember_config(args: argparse.Namespace, config: ScanConfig) -> None:
    """Make ``config`` the configuration :func:`emit` uses for this run (after a command adjusted it)."""
    setattr(args, _CONFIG_ATTR, config)


def _check_rule_ids(config: ScanConfig, ids: Sequence[str]) -> None:
    if not ids:
        return
    from ..scan._config import known_rule_ids

    valid = known_rule_ids() | {r.id for r in config.extra_rules}
    for rule_id in ids:
        if rule_id not in valid:
            raise UsageError(f"unknown rule id {rule_id[:80]!r} (see `check-secrets rules`)")


def fingerprint_cache(args: argparse.Namespace) -> FingerprintCache:
    """The fingerprint cache of this command run (one per ``args``; sized by ``--jobs`` when present)."""
    cache = getattr(args, _CACHE_ATTR, None)
    if not isinstance(cache, FingerprintCache):
        jobs = getattr(args, "jobs", 0)
        cache = FingerprintCache(jobs=jobs if isinstance(jobs, int) else 0)
        setattr(args, _CACHE_ATTR, cache)
    return cache


def rule_catalog(config: ScanConfig) -> dict[str, Rule]:
    """Rule records by id for report texts and listings: the format analyzers' checks, the built-in rules and
    the configuration's extra rules."""
    from ..scan._config import analyzer_checks
    from ..scan.rules._registry import load_rules

    catalog = analyzer_checks()
    catalog.update((r.id, r) for r in load_rules(config.extra_rules))
    return catalog


def apply_config_filters(findings: Sequence[Finding], config: ScanConfig) -> tuple[list[Finding], int]:
    """Drop findings of disabled (or not enabled) rules, in ``allow-paths`` files, or whose secret matches an
    ``allow-values`` regex. Returns ``(kept, dropped)``."""
    from ..scan.engine._linear import ValueAllowlist

    allow_values = ValueAllowlist(config.allow_values)  # linear time: the repository wrote them
    path_spec = None
    if config.allow_paths:
        import pathspec

        path_spec = pathspec.GitIgnoreSpec.from_lines(config.allow_paths)
    kept: list[Finding] = []
    for finding in findings:
        if finding.rule_id in config.disabled_rules:
            continue
        if config.enabled_rules is not None and finding.rule_id not in config.enabled_rules:
            continue
        if path_spec is not None and path_spec.match_file(matchable(finding.path)):
            continue
        if finding.secret and allow_values and allow_values.allows(finding.secret):
            continue
        kept.append(finding)
    return kept, len(findings) - len(kept)


def matchable(path: str) -> str:
    """``path`` as text a glob matcher can take: the bytes of a name that is not UTF-8 (lone surrogates,
    which the RE2 backend cannot encode) become U+FFFD, which ``*`` and ``?`` still match."""
    if path.isascii():
        return path
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return path


def _use_color(args: argparse.Namespace) -> bool:
    choice = getattr(args, "color", None)
    if choice is not None:
        return bool(choice)
    if getattr(args, "output", None) or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _tool_version() -> str:
    from .. import __version__

    return __version__


def emit(findings: list[Finding], stats: ScanStats, args: argparse.Namespace, *, root: Path) -> int:
    """Filter, baseline, report, and return the exit code (0 clean, 1 findings at or above ``--fail-on``).

    ``findings`` have paths relative to ``root``; ``stats`` is not modified (the report shows a copy with
    the baselined count added)."""
    from ..scan.report import ReportContext, render_report

    config = getattr(args, _CONFIG_ATTR, None)
    if not isinstance(config, ScanConfig):
        config = config_from_args(args, root)
    kept, _ = apply_config_filters(findings, config)
    cache = fingerprint_cache(args)
    baseline_file = getattr(args, "baseline", None)
    if baseline_file:
        baseline = _baseline(Path(baseline_file), root, getattr(args, _CONFIG_REF_ATTR, None))
        if baseline is not None:
            kept, accepted = baseline.split(kept, cache)
            stats = replace(stats, findings_baselined=stats.findings_baselined + len(accepted))
    fmt = OutputFormat(getattr(args, "format", None) or OutputFormat.TEXT.value)
    ctx = ReportContext(
        root=root,
        # JSON and CSV show no rule texts; a clean report needs none either.
        rules=rule_catalog(config) if kept and fmt not in (OutputFormat.JSON, OutputFormat.CSV) else {},
        fingerprints=cache,
        color=_use_color(args) and fmt is OutputFormat.TEXT,
        tool_version=_tool_version(),
        fail_on=config.fail_on,
    )
    report = render_report(fmt, kept, stats, ctx)
    _write(report, getattr(args, "output", None))
    if fmt is OutputFormat.CSV:
        # CSV has rows for findings only: what was scanned, skipped or read partly goes to stderr, so an
        # empty file is never the whole story
        from ..scan.report._text import summary_line

        print(summary_line(kept, stats, ctx), file=sys.stderr)  # (ctx has no colours: not a text report)
    failing = any(f.severity.at_least(config.fail_on) for f in kept)
    return EXIT_FINDINGS if failing else EXIT_OK


def _baseline(path: Path, root: Path, ref: str | None) -> Baseline | None:
    """The ``--baseline`` file: from disk, or as of the configuration's revision when there is one and the
    file is part of the repository (a pull request could add its own secret to it); ``None`` when that
    revision has no such file (one note line: nothing is accepted)."""
    if ref is None:
        from ..scan._baseline import load_baseline

        return load_baseline(path)
    from ..scan._config_ref import load_baseline_at

    baseline, where = load_baseline_at(root, ref, path)
    if baseline is None:
        print(
            f"check-secrets: note: {where} does not exist: no finding is accepted by a baseline (--baseline "
            f"is read as of {printable(ref, 80)}, like the configuration)",
            file=sys.stderr,
        )
    return baseline


def warn_slow_matcher(note: str | None) -> None:
    """The one stderr line of a run whose matcher fell back from Hyperscan (``note`` says why and the fix)."""
    if note:
        print(f"check-secrets: warning: {note}", file=sys.stderr, flush=True)


def _write(report: str, output: str | None) -> None:
    if not output:
        sys.stdout.write(report)
        return
    from .._atomic import atomic_write_text

    if _is_stream(output):
        # `-o /dev/stdout`, `-o /dev/null`, a FIFO, `-o >(jq ...)`: written to, never replaced by a file.
        try:
            with open(output, "wb") as handle:
                handle.write(report.encode("utf-8"))
        except OSError as exc:
            raise ReportError(f"cannot write {printable(output)}: {exc.strerror}") from None
        return
    try:
        atomic_write_text(output, report, default_mode=0o644)
    except AutoauditSecretsError as exc:
        raise ReportError(str(exc)) from None


def _is_stream(output: str) -> bool:
    """Whether ``output`` (symlinks followed) exists and is a device, FIFO or socket."""
    try:
        mode = os.stat(output).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


_SHARD = re.compile(r"([0-9]+)/([0-9]+)")
_SIZE = re.compile(r"([0-9]+)\s*([kmg]i?b?|b)?", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_jobs(text: str) -> int:
    """``--jobs N`` of ``scan`` and ``git``: 0 means the CPU count; capped, since each job is a process."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid job count {text[:20]!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("job count must be >= 0 (0: CPU count)")
    limit = max(32, 4 * (os.cpu_count() or 1))
    if value > limit:
        # Each job is a process: -j 100000 would try to start that many on a large tree.
        raise argparse.ArgumentTypeError(f"job count must be at most {limit}")
    return value


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` with ``1 <= K <= N`` -> ``(K, N)``; an ``argparse`` type (bad input is a usage error)."""
    match = _SHARD.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid shard {text[:20]!r}: expected K/N, e.g. 2/3")
    k, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"invalid shard {text[:20]!r}: need 1 <= K <= N")
    return k, n


def parse_seconds(text: str) -> float:
    """A positive duration in seconds: ``4.5``, ``600``; an ``argparse`` type."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid duration {text[:20]!r}: expected seconds (4.5)") from None
    if not 0 < value <= _MAX_SECONDS:  # (also refuses nan; inf is over the bound)
        raise argparse.ArgumentTypeError(f"duration must be over 0 and at most {_MAX_SECONDS:,} seconds")
    return value


_MAX_SECONDS = 7 * 24 * 3600


def parse_size(text: str) -> int:
    """A byte size: ``1048576``, ``512k``, ``10M``, ``1GiB`` (powers of 1024); an ``argparse`` type."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid size {text[:20]!r}: expected e.g. 1048576, 512k, 10M")
    unit = (match.group(2) or "").lower()[:1]
    size = int(match.group(1)) * _UNITS[unit]
    if size <= 0:
        raise argparse.ArgumentTypeError("size must be positive")
    return size

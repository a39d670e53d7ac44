"""``check-secrets git``: scan staged changes, a pull request's commits, a revision range, or all history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .._errors import ScanError, UsageError
from ..scan._model import Finding, ScanConfig, ScanOptions, ScanStats
from ._common import STARTED
from ._scan_output import (
    SINCE_BASE_ATTR,
    add_archive_options,
    add_common_options,
    add_config_ref_option,
    config_from_args,
    emit,
    guarded,
    parse_jobs,
    parse_seconds,
    parse_size,
    warn_slow_matcher,
)

__all__ = ["register", "run_git_scan"]

_DEFAULT_MAX_FILE_SIZE = ScanOptions(root=Path(".")).max_file_size


def register(subparsers: Any) -> None:
    """Add ``git`` to the check-secrets parser."""
    parser = subparsers.add_parser(
        "git",
        help="scan git history or staged changes",
        description="Scan what git commits add: the staged changes (pre-commit), the commits after a base "
        "(pull requests), a revision range, every commit of every ref, or what a push brings (a server's "
        "pre-receive hook), and (not --staged) the commits' "
        "and annotated tags' messages. Each secret is reported once, at the commit that introduced it, with "
        "its author and date. Exit 0: clean; 1: findings at or "
        "above --fail-on; 2: usage or runtime error (not a repository, unknown revision).",
    )
    mode = parser.add_argument_group("what to scan (exactly one)").add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--staged", action="store_true", help="lines added in the index vs HEAD (pre-commit hooks)"
    )
    mode.add_argument(
        "--since", metavar="REF", help="commits after REF up to HEAD (pull requests: origin/main)"
    )
    mode.add_argument("--range", metavar="A..B", help="the commits of a revision range (A..B or A...B)")
    mode.add_argument("--all", action="store_true", help="every commit reachable from any ref")
    mode.add_argument(
        "--pre-receive",
        action="store_true",
        help="as a server's pre-receive hook: the commits and annotated tags a push brings that no ref "
        "reaches yet (the ref updates are read from standard input); a finding rejects the push",
    )
    parser.add_argument(
        "repo", nargs="?", default=".", metavar="PATH", help="a folder inside the repository (default: .)"
    )
    parser.add_argument(
        "--max-file-size",
        type=parse_size,
        default=_DEFAULT_MAX_FILE_SIZE,
        metavar="SIZE",
        help="skip larger files (bytes, or with k/M/G; default: 10M)",
    )
    add_archive_options(parser, "that commits add or change")
    parser.add_argument(
        "--jobs",
        "-j",
        type=parse_jobs,
        default=0,
        metavar="N",
        help="worker processes scanning parts of a long history in parallel, each with its own git "
        "(default: the CPU count; 1: one process)",
    )
    parser.add_argument(
        "--time-limit",
        type=parse_seconds,
        default=None,
        metavar="SECONDS",
        help="stop scanning this many seconds after the start (e.g. 4.5 under a server's 5 s limit for "
        "pre-receive hooks): the findings so far are reported, the commits not scanned are counted, and the "
        "exit code is 2, never 0 (default: no limit)",
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress")
    add_common_options(parser)
    add_config_ref_option(parser, git=True)
    parser.set_defaults(func=guarded(_cmd_git))


def _selection(args: argparse.Namespace) -> Any:
    from ..scan.sources._git import GitMode, GitSelection

    if args.staged:
        return GitSelection(GitMode.STAGED)
    if args.all:
        return GitSelection(GitMode.ALL)
    if args.pre_receive:
        from ..scan.sources._git import parse_push_updates

        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        return GitSelection(GitMode.PUSH, updates=parse_push_updates(text))
    if args.since is not None:
        return GitSelection(GitMode.SINCE, args.since)
    return GitSelection(GitMode.RANGE, args.range)


class _Progress:
    """A one-line counter rewritten in place on stderr."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, commits: int, files: int) -> None:
        self.shown = True
        sys.stderr.write(f"\rcheck-secrets: {commits} commit{'s'[: commits != 1]}, {files} files scanned")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _cmd_git(args: argparse.Namespace) -> int:
    root, _, findings, stats = run_git_scan(args, _selection(args))
    code = emit(findings, stats, args, root=root)
    if stats.commits_unscanned:
        # the report says what was found before the scan stopped; the run itself is not a pass
        count = stats.commits_unscanned
        hint = (
            "push fewer commits at a time (the older ones first: each push scans only what the server does "
            "not have yet)"
            if args.pre_receive
            else "run again with a larger --time-limit, or without one"
        )
        commits = f"{count:,} commit{'s'[: count != 1]}"
        raise ScanError(f"--time-limit of {args.time_limit:g} s reached: {commits} not scanned; {hint}")
    return code


def run_git_scan(
    args: argparse.Namespace, selection: Any
) -> tuple[Path, ScanConfig, list[Finding], ScanStats]:
    """Scan ``selection`` of the repository holding ``args.repo``: its root, the configuration, the findings
    (sorted by commit date, then place) and the statistics."""
    from ..scan.sources._git import GitMode, HistoryOptions, HistoryScan, find_repo_root, is_bare

    root = find_repo_root(Path(args.repo))
    if selection.mode is GitMode.STAGED and is_bare(root):
        raise UsageError(f"--staged needs a work tree, and {root} is a bare repository (try --all)")
    if getattr(args, "since", None) is not None:
        # A pull request's working tree holds its own configuration, which could allow-list what it adds:
        # the base's is used (see _scan_output._file_config).
        setattr(args, SINCE_BASE_ATTR, args.since)
    config = config_from_args(args, root)
    limit = getattr(args, "time_limit", None)
    deadline = STARTED + limit if limit is not None else None
    # git starts now and works on its own while the rules load and compile
    with HistoryScan(root, selection, jobs=args.jobs) as history:
        try:
            from ..scan.engine._scanner import Scanner
        except ImportError as exc:
            raise ScanError(f"the scanning engine is not available ({exc.name})") from None
        scanner = Scanner(config)
        warn_slow_matcher(scanner.matcher_fallback)
        settings = HistoryOptions(
            exclude=tuple(config.exclude),
            max_file_size=args.max_file_size,
            archive_depth=args.max_archive_depth,
            archive_unpacked=args.max_unpacked,
            archive_unpacked_total=args.max_unpacked_total,
            deadline=deadline,
        )
        show = args.progress if args.progress is not None else sys.stderr.isatty()
        progress = _Progress() if show else None
        try:
            findings, stats = history.run(scanner, settings, progress=progress)
        finally:
            if progress is not None:
                progress.close()
    stats.matcher = scanner.matcher_name
    stats.matcher_fallback = scanner.matcher_fallback
    stats.findings_suppressed += scanner.suppressed
    findings.sort(key=lambda f: (f.commit.date if f.commit else "", f.path, f.line, f.column, f.rule_id))
    return root, config, findings, stats

"""``check-secrets scan``, ``check-secrets baseline create`` and ``check-secrets rules``."""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import ScanError, UsageError
from ..scan._config import printable
from ..scan._model import Finding, ScanConfig, ScanOptions, ScanResult, ScanStats
from ._common import EXIT_OK
from ._scan_output import (
    DEFAULT_ARCHIVE_DEPTH,
    DEFAULT_UNPACKED,
    DEFAULT_UNPACKED_TOTAL,
    TREE_CACHE_ATTR,
    add_archive_options,
    add_common_options,
    add_config_ref_option,
    add_trust_option,
    config_from_args,
    emit,
    fingerprint_cache,
    guarded,
    parse_jobs,
    parse_shard,
    parse_size,
    remember_config,
    rule_catalog,
    warn_slow_matcher,
)

if TYPE_CHECKING:
    from ..scan._fingerprint import FingerprintCache

__all__ = ["register"]

_DEFAULT_MAX_FILE_SIZE = ScanOptions(root=Path(".")).max_file_size


def register(subparsers: Any) -> None:
    """Add ``scan``, ``baseline`` and ``rules`` to the check-secrets parser."""
    scan = subparsers.add_parser(
        "scan",
        help="scan files and directories for secrets",
        description="Scan files and directories for secrets. Exit 0: clean; 1: findings at or above "
        "--fail-on; 2: usage or runtime error.",
    )
    _add_walk_options(scan)
    add_common_options(scan)
    add_config_ref_option(scan)
    scan.set_defaults(func=guarded(_cmd_scan))

    baseline = subparsers.add_parser("baseline", help="manage baselines of accepted findings")
    baseline.set_defaults(func=_baseline_without_command)
    baseline_sub = baseline.add_subparsers(title="baseline commands", metavar="COMMAND")
    create = baseline_sub.add_parser(
        "create",
        help="record every current finding in a baseline file",
        description="Scan like `check-secrets scan` and write every finding to a baseline file (keyed "
        "hashes, no secret), so later scans with --baseline FILE only report new findings.",
    )
    create.add_argument(
        "--output", "-o", dest="baseline_output", metavar="FILE", required=True, help="baseline file to write"
    )
    _add_baseline_scan_options(create, "record every finding of its whole history")
    create.set_defaults(func=guarded(_cmd_baseline_create))
    update = baseline_sub.add_parser(
        "update",
        help="drop the entries no longer found; accept chosen new findings",
        description="Scan like `baseline create` and bring a baseline up to date: entries whose finding is "
        "gone are removed (the secret is reported again should it come back), the others kept, and new "
        "findings are accepted only when named with --accept or with --accept-new. The file keeps its key "
        "and mode, and is written atomically.",
    )
    update.add_argument(
        "--baseline", metavar="FILE", required=True, help="the baseline file to update (it must exist)"
    )
    update.add_argument(
        "--accept",
        metavar="FINDING",
        action="append",
        default=[],
        help="also accept this new finding: PATH:LINE as the text report shows it, or its fingerprint from "
        "a JSON, SARIF or CSV report (repeatable; each must name a current finding)",
    )
    update.add_argument(
        "--accept-new", action="store_true", help="accept every new finding (what `baseline create` would)"
    )
    _add_baseline_scan_options(update, "update from every finding of its whole history", whole_root=True)
    update.set_defaults(func=guarded(_cmd_baseline_update))

    rules = subparsers.add_parser("rules", help="list the detection rules")
    rules.add_argument("--format", choices=["table", "json"], default="table", help="default: table")
    rules.add_argument("--config", metavar="FILE", help="also list this configuration's extra rules")
    rules.set_defaults(func=guarded(_cmd_rules))


def _add_baseline_scan_options(
    parser: argparse.ArgumentParser, git_all: str, *, whole_root: bool = False
) -> None:
    """What ``baseline create`` and ``baseline update`` scan: the options of ``scan`` (for ``update``, a
    whole folder only), or ``--image`` and ``--git-all``."""
    _add_walk_options(parser, whole_root=whole_root)
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: found at the root)")
    add_config_ref_option(parser)
    parser.add_argument(
        "--schema", metavar="MODULE:CLASS", action="append", default=[], help="as for scan (repeatable)"
    )
    add_trust_option(parser)
    parser.add_argument("--enable", metavar="RULE", action="append", default=[], help="as for scan")
    parser.add_argument("--disable", metavar="RULE", action="append", default=[], help="as for scan")
    parser.add_argument("--exclude", metavar="GLOB", action="append", default=[], help="as for scan")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--image",
        action="store_true",
        help="the PATHs are container images (as for `check-secrets image`), not files to scan",
    )
    source.add_argument(
        "--git-all",
        action="store_true",
        help=f"the PATH (default .) is in a git repository: {git_all}, as `check-secrets git --all` reports "
        "them (added lines, commit and tag messages)",
    )


def _baseline_without_command(args: argparse.Namespace) -> int:
    raise UsageError("baseline needs a command: create or update (see check-secrets baseline --help)")


def _add_walk_options(parser: argparse.ArgumentParser, *, whole_root: bool = False) -> None:
    """The options of a tree scan; ``whole_root``: only a folder to scan whole (``baseline update``: no
    standard input, no ``--shard``)."""
    if whole_root:
        parser.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="the folder the baseline's scans use (default: .), or with --image the images, with "
            "--git-all a folder of the repository",
        )
        parser.set_defaults(stdin_name=None, shard=None)
    else:
        parser.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="files or directories (default: .); - reads standard input",
        )
        parser.add_argument(
            "--stdin-name",
            metavar="NAME",
            help="with PATH -: the file name the input is scanned and reported as (default: stdin); its "
            "analyzers run, e.g. .env, Dockerfile, compose.yaml",
        )
    parser.add_argument("--no-ignore", action="store_true", help="do not honour .gitignore files")
    parser.add_argument(
        "--max-file-size",
        type=parse_size,
        default=_DEFAULT_MAX_FILE_SIZE,
        metavar="SIZE",
        help="skip larger files (bytes, or with k/M/G; default: 10M)",
    )
    add_archive_options(parser, "in the tree")
    parser.add_argument(
        "--jobs", "-j", type=parse_jobs, default=0, metavar="N", help="worker processes (default: CPU count)"
    )
    if not whole_root:
        parser.add_argument(
            "--shard",
            type=parse_shard,
            default=None,
            metavar="K/N",
            help="scan only the K-th of N deterministic parts of the files (CI fan-out)",
        )


def _root_and_paths(args: argparse.Namespace) -> tuple[Path, tuple[Path, ...]]:
    """The root (finding paths are relative to it) and the paths to scan within it (empty: all of it).

    The root is the single PATH when it is a directory, else the current directory."""
    given = [Path(p) for p in (args.paths or ["."])]
    for path in given:
        if not os.path.lexists(path):
            raise UsageError(f"{_shown(path)}: no such file or directory")
        _refuse_special(path)
    if len(given) == 1 and given[0].is_dir():
        return given[0].resolve(), ()
    cwd = Path(os.getcwd())
    resolved = []
    for path in given:
        absolute = Path(os.path.abspath(path))  # normalises "..", keeps symlinks as named
        try:
            absolute.relative_to(cwd)
        except ValueError:
            raise UsageError(
                f"{_shown(path)}: outside the current directory (the root of a multi-path or file scan); "
                "cd first"
            ) from None
        resolved.append(absolute)
    return cwd, tuple(resolved)


def _shown(path: Path) -> str:
    """``path`` for a one-line message: control characters escaped (a name must not drive the terminal)."""
    return printable(str(path))


def _refuse_special(path: Path) -> None:
    """A FIFO, socket or device named on the command line is refused: reading one would block or never end
    (inside a directory the walk skips them)."""
    try:
        info = os.stat(path)
    except OSError:
        return  # a dangling link or a loop: the walk reports it as skipped
    if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
        raise UsageError(f"{_shown(path)}: not a regular file or directory (FIFO, socket or device)")


def _run_scan(args: argparse.Namespace) -> tuple[Path, ScanConfig, ScanResult]:
    name = _stdin_name(args)
    if name is not None:
        return _run_stdin_scan(args, name)
    root, paths = _root_and_paths(args)
    config = config_from_args(args, root)
    own_files = _own_files(args, root)
    if own_files:
        config = replace(config, exclude=(*config.exclude, *own_files))
        remember_config(args, config)
    options = ScanOptions(
        root=root,
        paths=paths,
        config=config,
        no_ignore=args.no_ignore,
        max_file_size=args.max_file_size,
        jobs=args.jobs,
        shard=args.shard,
        fingerprints=_needs_fingerprints(args),
        max_archive_depth=getattr(args, "max_archive_depth", DEFAULT_ARCHIVE_DEPTH),
        max_unpacked=getattr(args, "max_unpacked", DEFAULT_UNPACKED),
        max_unpacked_total=getattr(args, "max_unpacked_total", DEFAULT_UNPACKED_TOTAL),
        own_files=own_files,
    )
    result: ScanResult = _scanner(config).scan(options)
    fingerprint_cache(args).add(result.fingerprints)  # the slow ones, computed by the worker processes
    return root, config, result


def _stdin_name(args: argparse.Namespace) -> str | None:
    """The name standard input is scanned as when the PATHs are ``-``, else ``None``; usage errors for the
    options that cannot go with it."""
    given = getattr(args, "stdin_name", None)
    if "-" not in (args.paths or ()):
        if given is not None:
            raise UsageError("--stdin-name goes with the PATH - (standard input)")
        return None
    if len(args.paths) > 1:
        raise UsageError(
            "- (standard input) is scanned alone: name no other PATH with it (./- is a file named -)"
        )
    if getattr(args, "shard", None) is not None:
        raise UsageError("--shard does not apply to - (standard input)")
    return _checked_stdin_name("stdin" if given is None else given)


def _checked_stdin_name(name: str) -> str:
    """``name`` as a ``/``-separated path relative to the root (``./`` and repeated ``/`` dropped), or a
    usage error: it is where findings are reported, what baselines record and what ``allow-paths`` match."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if (
        not parts
        or name.startswith("/")
        or ".." in parts
        or "\\" in name
        or any(not ch.isprintable() for ch in name)
    ):
        raise UsageError(
            f"--stdin-name {printable(name)}: give a relative file name such as .env or app/config.yaml "
            "(no .., no absolute path, no backslash, no control character)"
        )
    return "/".join(parts)


def _run_stdin_scan(args: argparse.Namespace, name: str) -> tuple[Path, ScanConfig, ScanResult]:
    """Scan standard input as the file ``name`` of the current directory (the root)."""
    stream = getattr(sys.stdin, "buffer", None)  # None when the process has no standard input
    if stream is None:
        raise UsageError("- reads standard input, and this process has none")
    root = Path(os.getcwd())
    config = config_from_args(args, root)
    options = ScanOptions(
        root=root,
        config=config,
        max_file_size=args.max_file_size,
        fingerprints=_needs_fingerprints(args),
        max_archive_depth=args.max_archive_depth,
        max_unpacked=args.max_unpacked,
        max_unpacked_total=args.max_unpacked_total,
    )
    result: ScanResult = _scanner(config).scan_stream(name, stream.read, options)
    return root, config, result


def _needs_fingerprints(args: argparse.Namespace) -> bool:
    """Whether this run's output shows or matches fingerprints (every format but text, a baseline)."""
    fmt = getattr(args, "format", None)
    return bool(
        fmt not in (None, "text") or getattr(args, "baseline", None) or getattr(args, "baseline_output", None)
    )


def _own_files(args: argparse.Namespace, root: Path) -> tuple[str, ...]:
    """Anchored exclude globs for our own files inside the root: the baseline file and a ``baseline create``
    output (they hold hashes, never worth scanning), and the cache folder (``~/.cache/autoaudit-secrets``,
    where older versions kept every rule's example tokens: a scan of the home folder, or of a CI workspace
    that is ``$HOME``, would otherwise report hundreds of them)."""
    globs = []
    names: list[str | Path] = [
        n for n in (getattr(args, "baseline", None), getattr(args, "baseline_output", None)) if n
    ]
    names.append(_cache_dir())
    avoided = getattr(args, TREE_CACHE_ATTR, None)  # a cache folder inside the root, not used this run
    if isinstance(avoided, Path):
        names.append(avoided)
    for name in names:
        try:
            rel = Path(name).resolve().relative_to(root.resolve())
        except (ValueError, OSError, RuntimeError):
            continue
        if rel.parts:
            globs.append("/" + _glob_escape(rel.as_posix()))
    return tuple(globs)


def _cache_dir() -> Path:
    from ..scan.engine._matcher import cache_dir

    return cache_dir()


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _scanner(config: ScanConfig) -> Any:
    try:
        from ..scan.engine._scanner import Scanner
    except ImportError as exc:
        raise ScanError(f"cannot load the scanning engine: {exc}") from None
    scanner = Scanner(config)
    warn_slow_matcher(scanner.matcher_fallback)
    return scanner


def _cmd_scan(args: argparse.Namespace) -> int:
    root, _, result = _run_scan(args)
    return emit(result.findings, result.stats, args, root=root)


def _cmd_baseline_create(args: argparse.Namespace) -> int:
    from ..scan._baseline import create_baseline, write_baseline

    _refuse_to_clobber(Path(args.baseline_output))
    findings = _baseline_findings(args)
    baseline = create_baseline(findings, fingerprint_cache(args))
    write_baseline(Path(args.baseline_output), baseline)
    print(
        f"check-secrets: baseline {args.baseline_output}: {len(baseline.entries)} accepted "
        f"finding{'' if len(baseline.entries) == 1 else 's'}",
        file=sys.stderr,
    )
    return EXIT_OK


def _cmd_baseline_update(args: argparse.Namespace) -> int:
    from ..scan._baseline import load_baseline, update_baseline, write_baseline

    target = Path(args.baseline)
    if not os.path.lexists(target):
        raise UsageError(f"{_shown(target)} does not exist (make one with `check-secrets baseline create`)")
    if not (args.image or args.git_all) and (
        len(args.paths) > 1 or (args.paths and not Path(args.paths[0]).is_dir())
    ):
        # a part of the root would make the entries of the rest look gone (and a folder is the root: the
        # paths of findings, and so their fingerprints, are relative to it)
        raise UsageError(
            "baseline update scans a whole root: one folder (default .), as the baseline's scans do"
        )
    old = load_baseline(target)
    accept = _Acceptance(args.accept)
    findings = _baseline_findings(args)
    cache = fingerprint_cache(args)
    unmatched = accept.unmatched(findings, cache)
    if unmatched:
        raise UsageError(
            f"--accept {printable(unmatched, 80)}: no current finding is there or has that fingerprint"
        )
    done = update_baseline(
        old,
        findings,
        cache,
        accept=(lambda _: True) if args.accept_new else (lambda f: accept.wants(f, cache)),
    )
    if old.entries and not done.kept and findings and not args.accept_new:
        # nothing of the baseline is found while something is: the paths, which fingerprints depend on,
        # are likely relative to another folder than the one it was made in
        raise UsageError(
            f"none of the {len(old.entries)} entries of {_shown(target)} matches one of the {len(findings)} "
            "current findings: was it made in another folder? Run update where it was made (finding paths "
            "are relative to the scanned folder), or make it again with `baseline create`"
        )
    changed = done.baseline.to_json() != old.to_json()
    if changed:
        write_baseline(target, done.baseline)
    summary = (
        f"check-secrets: baseline {_shown(target)} {'updated' if changed else 'unchanged'}: {done.kept} "
        f"kept, {done.removed} removed (no longer found), {done.accepted} accepted"
    )
    if done.not_accepted:
        them = "it" if done.not_accepted == 1 else "them"
        summary += (
            f"; {done.not_accepted} new finding{'s'[: done.not_accepted != 1]} not accepted "
            f"(`check-secrets scan --baseline {_shown(target)}` reports {them})"
        )
    print(summary, file=sys.stderr)
    return EXIT_OK


class _Acceptance:
    """The findings ``baseline update --accept`` names: by fingerprint (32 hex digits, as JSON, SARIF and CSV
    reports give it) or by place (``PATH:LINE``, or ``PATH:LINE:COLUMN`` as the text report starts a
    finding)."""

    def __init__(self, specs: list[str]) -> None:
        self.fingerprints: dict[str, str] = {}  # fingerprint -> the spec as given
        self.places: dict[tuple[str, int], str] = {}  # (path, line) -> the spec as given
        for spec in specs:
            text = spec.strip()
            if _FINGERPRINT.fullmatch(text):
                self.fingerprints[text.lower()] = spec
                continue
            parts = text.rstrip(":").split(":")
            if len(parts) >= 3 and parts[-1].isdigit() and parts[-2].isdigit():
                parts = parts[:-1]  # PATH:LINE:COLUMN
            path, line = ":".join(parts[:-1]).replace("\\", "/").removeprefix("./"), parts[-1]
            if not path or not line.isdigit() or int(line) < 1:
                raise UsageError(
                    f"--accept {printable(spec, 80)}: expected PATH:LINE (where the text report puts a "
                    "finding) or a fingerprint (32 hex digits)"
                )
            self.places[(path, int(line))] = spec

    def wants(self, finding: Finding, cache: FingerprintCache) -> bool:
        return (finding.path, finding.line) in self.places or (
            bool(self.fingerprints) and cache.get(finding) in self.fingerprints
        )

    def unmatched(self, findings: list[Finding], cache: FingerprintCache) -> str | None:
        """The first ``--accept`` that names no finding of ``findings`` (a typo accepts nothing)."""
        if self.fingerprints:
            cache.prepare(findings)
        places = {(f.path, f.line) for f in findings}
        prints = {cache.get(f) for f in findings} if self.fingerprints else set()
        for place, spec in self.places.items():
            if place not in places:
                return spec
        for value, spec in self.fingerprints.items():
            if value not in prints:
                return spec
        return None


_FINGERPRINT = re.compile(r"[0-9a-fA-F]{32}")


def _baseline_findings(args: argparse.Namespace) -> list[Finding]:
    """What ``baseline create`` or ``update`` records: the findings of the scan its options describe, after
    the configuration's allow lists."""
    from ._scan_output import apply_config_filters

    if args.stdin_name is not None and (args.image or args.git_all):
        raise UsageError("--stdin-name goes with the PATH - (standard input), not with --image or --git-all")
    if args.image:
        from ._scan_image import run_image_scan

        if not args.paths:
            raise UsageError("baseline create --image needs the image archives or layout folders to scan")
        _, config, result = run_image_scan(args, args.paths)
    elif args.git_all:
        from ..scan.sources._git import GitMode, GitSelection
        from ._scan_git import run_git_scan

        if len(args.paths) > 1:
            raise UsageError("baseline create --git-all takes one PATH (a folder of the repository)")
        args.repo = args.paths[0] if args.paths else "."
        args.progress = False
        _, config, findings, _ = run_git_scan(args, GitSelection(GitMode.ALL))
        result = ScanResult(findings, ScanStats())
    else:
        _, config, result = _run_scan(args)
    findings, _ = apply_config_filters(result.findings, config)
    return findings


def _refuse_to_clobber(target: Path) -> None:
    """``baseline create -o FILE`` replaces an existing baseline, never another file (``-o .env`` or
    ``-o settings.py`` typed by mistake would destroy it)."""
    from .._errors import ConfigError
    from ..scan._baseline import load_baseline

    try:
        if os.stat(target).st_size == 0:
            return
    except OSError:
        return  # missing (or unreadable: the write reports it)
    try:
        load_baseline(target)
    except ConfigError:
        raise UsageError(
            f"{_shown(target)} exists and is not a check-secrets baseline: not overwritten (remove it first, "
            "or choose another file)"
        ) from None


def _cmd_rules(args: argparse.Namespace) -> int:
    config = config_from_args(args, Path.cwd())
    rules = sorted(rule_catalog(config).values(), key=lambda r: r.id)
    if args.format == "json":
        items: list[dict[str, Any]] = [
            {
                "id": r.id,
                "name": r.name,
                "severity": r.severity.value,
                "confidence": r.confidence.value,
                "provider": r.provider,
                "description": r.description,
                "remediation": r.remediation,
                "references": list(r.references),
                "tags": list(r.tags),
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps({"rules": items}, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max((len(r.id) for r in rules), default=2)
    lines = [f"{'ID':<{width}}  {'SEVERITY':<8}  {'CONFIDENCE':<10}  NAME"]
    # A configuration's extra rules name themselves: escaped, a repository's file must not drive the terminal.
    lines += [
        f"{printable(r.id):<{width}}  {r.severity.value:<8}  {r.confidence.value:<10}  {printable(r.name)}"
        for r in rules
    ]
    lines.append(f"{len(rules)} rules")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK

"""``check-secrets migrate gitleaks|detect-secrets``: a peer's configuration or baseline, carried over."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .._errors import UsageError
from ..scan._config import printable
from ._common import EXIT_OK
from ._scan_output import guarded

__all__ = ["register"]

_GITLEAKS_NAMES = (".gitleaks.toml", "gitleaks.toml", ".github/.gitleaks.toml")


def register(subparsers: Any) -> None:
    """Add ``migrate gitleaks`` and ``migrate detect-secrets`` to the check-secrets parser."""
    migrate = subparsers.add_parser(
        "migrate",
        help="carry over a gitleaks configuration or a detect-secrets baseline",
        description="Translate another scanner's files into ours, and say what could not be carried over.",
    )
    migrate.set_defaults(func=_without_command)
    sub = migrate.add_subparsers(title="migrate commands", metavar="COMMAND")

    gitleaks = sub.add_parser(
        "gitleaks",
        help="write the [tool.check-secrets] table equivalent to a .gitleaks.toml",
        description="Read a gitleaks configuration (allowlists, disabled rules, custom rules) and write the "
        "equivalent [tool.check-secrets] table. Custom rules are written commented out: ours need a sample "
        "token in `examples`.",
    )
    gitleaks.add_argument(
        "config", nargs="?", metavar="FILE", help="default: .gitleaks.toml or gitleaks.toml"
    )
    gitleaks.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        default=".check-secrets.toml",
        help="default: .check-secrets.toml; - for stdout",
    )
    gitleaks.add_argument("--force", action="store_true", help="replace an existing output file")
    gitleaks.set_defaults(func=guarded(_cmd_gitleaks))

    ds = sub.add_parser(
        "detect-secrets",
        help="turn a .secrets.baseline into a check-secrets baseline",
        description="Re-scan the tree and accept the findings whose values the detect-secrets baseline "
        "lists (its SHA-1 hashes) for the same file, except entries audited as real secrets.",
    )
    ds.add_argument(
        "baseline_file",
        nargs="?",
        default=".secrets.baseline",
        metavar="FILE",
        help="default: .secrets.baseline",
    )
    ds.add_argument(
        "--output",
        "-o",
        dest="baseline_output",
        metavar="FILE",
        default=".check-secrets-baseline.json",
        help="default: .check-secrets-baseline.json",
    )
    ds.add_argument(
        "--root", metavar="DIR", help="the tree the baseline describes (default: the baseline's folder)"
    )
    ds.set_defaults(func=guarded(_cmd_detect_secrets))


def _without_command(args: argparse.Namespace) -> int:
    raise UsageError("migrate needs a tool: gitleaks or detect-secrets (see check-secrets migrate --help)")


def _report(title: str, carried: list[str], not_carried: list[str]) -> None:
    lines = [title]
    lines += [f"  carried: {printable(c, 300)}" for c in carried]
    lines += [f"  not carried: {printable(c, 300)}" for c in not_carried]
    print("\n".join(lines), file=sys.stderr)


def _cmd_gitleaks(args: argparse.Namespace) -> int:
    from .._atomic import atomic_write_text
    from ..scan._config import ConfigSource, known_rule_ids, parse_config_table
    from ..scan._migrate import migrate_gitleaks
    from ..scan.rules._registry import parse_rule_table

    source = (
        Path(args.config)
        if args.config
        else next((Path(n) for n in _GITLEAKS_NAMES if Path(n).exists()), None)
    )
    if source is None:
        raise UsageError("no gitleaks configuration here (.gitleaks.toml or gitleaks.toml); name the file")
    output = args.output
    if output != "-" and os.path.lexists(output) and not args.force:
        raise UsageError(f"{printable(output)} exists: not overwritten (--force replaces it, -o - prints)")
    where = ConfigSource(Path(output), "[tool.check-secrets]")
    result = migrate_gitleaks(
        source,
        known_rule_ids=known_rule_ids(),
        check_table=lambda table: parse_config_table(table, where),
        check_rule=lambda record: parse_rule_table(record, source=str(source)),
    )
    ignore_file = source.parent / ".gitleaksignore"
    if ignore_file.exists():
        result.not_carried.append(
            ".gitleaksignore: its fingerprints name commits and lines; accept what remains with "
            "`check-secrets baseline create` after review"
        )
    if output == "-":
        sys.stdout.write(result.toml)
    else:
        atomic_write_text(output, result.toml, default_mode=0o644)
    _report(
        f"check-secrets: {printable(str(source))} -> {'stdout' if output == '-' else printable(output)}: "
        f"{len(result.carried)} carried, {len(result.not_carried)} not carried",
        result.carried,
        result.not_carried,
    )
    return EXIT_OK


def _cmd_detect_secrets(args: argparse.Namespace) -> int:
    from ..scan._baseline import create_baseline, write_baseline
    from ..scan._migrate import carry_decisions, read_detect_secrets_baseline
    from ._scan_cmds import _DEFAULT_MAX_FILE_SIZE, _refuse_to_clobber, _run_scan
    from ._scan_output import apply_config_filters, fingerprint_cache

    source = Path(args.baseline_file)
    peer = read_detect_secrets_baseline(source)
    root = Path(args.root) if args.root else (source.parent if str(source.parent) else Path("."))
    if not root.is_dir():
        raise UsageError(f"{printable(str(root))}: not a directory")
    _refuse_to_clobber(Path(args.baseline_output))
    scan_args = argparse.Namespace(
        paths=[str(root)],
        no_ignore=False,
        max_file_size=_DEFAULT_MAX_FILE_SIZE,
        jobs=0,
        shard=None,
        config=None,
        baseline=str(source),
        baseline_output=args.baseline_output,
    )
    _, config, result = _run_scan(scan_args)
    findings, _ = apply_config_filters(result.findings, config)
    kept, unmatched, confirmed = carry_decisions(findings, peer)
    baseline = create_baseline(kept, fingerprint_cache(scan_args))
    write_baseline(Path(args.baseline_output), baseline)
    not_carried = []
    if unmatched:
        not_carried.append(
            f"{unmatched} accepted entr{'y' if unmatched == 1 else 'ies'} matched no finding of ours (our "
            "rules do not report that value, or the file changed): nothing to carry"
        )
    if confirmed:
        not_carried.append(
            f"{confirmed} finding{'' if confirmed == 1 else 's'} audited as real secrets (is_secret: true) "
            "stay reported: rotate and remove them"
        )
    for name, patterns in peer.filters:
        not_carried.append(_filter_advice(name, patterns))
    new = len(findings) - len(kept)
    _report(
        f"check-secrets: {printable(str(source))} -> {printable(args.baseline_output)}: "
        f"{len(baseline.entries)} accepted finding{'' if len(baseline.entries) == 1 else 's'} of "
        f"{peer.entries} entries; {new} finding{'' if new == 1 else 's'} not in the detect-secrets baseline "
        "will be reported",
        [],
        not_carried,
    )
    return EXIT_OK


def _filter_advice(name: str, patterns: tuple[str, ...]) -> str:
    """What to write instead of one of detect-secrets' regex filters (file globs converted where simple)."""
    from ..scan._migrate import regex_to_globs

    if name == "should_exclude_file":
        globs = [g for p in patterns for g in regex_to_globs(p)]
        simple = all(regex_to_globs(p) for p in patterns)
        suggestion = f"exclude = {globs!r}" if globs and simple else "`exclude` globs (regexes too complex)"
        return f"--exclude-files: write {suggestion} in [tool.check-secrets]"
    if name == "should_exclude_secret":
        return "--exclude-secrets: write its regexes as `allow-values` in [tool.check-secrets]"
    return (
        "--exclude-lines: no line filter here; use an inline `check-secrets: allow` comment or `allow-values`"
    )

"""Accuracy of the built-in rules over the shared token-example corpus, per source.

    python benchmarks/corpus_report.py [--corpus PATH] [--as code|config] [--misses N] [--json]

The corpus (``../shared/corpora/token-examples.jsonl`` next to the repository, or
``$CHECK_SECRETS_CORPUS``) holds, per rule of two public scanners (``noseyparker``, ``kingfisher``), strings
those scanners expect to flag (``examples``) and strings they expect not to flag (``negative_examples``).
Every string is scanned as one document with the real engine (``Scanner(ScanConfig()).scan_document``),
either as a source file (``--as code``, the default: rules tagged ``config-only`` do not apply) or as a
``.env`` file (``--as config``).

- A positive counts as *flagged* when it yields any finding.
- A negative counts as *wrongly flagged* when it yields any finding. Negatives that are, verbatim, a
  positive example of another corpus rule (a user token listed as a negative of the bot-token rule) are left
  out: flagging them is right.

The report prints counts, shares and the corpus rule names whose examples we miss or whose negatives we
flag -- never an example value.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "token-examples.jsonl"
# How each corpus string is presented to the engine: the corpus carries no file names.
MODES = {"code": "corpus/snippet.txt", "config": "corpus/snippet.env"}


@dataclass
class SourceFigures:
    """Counts for one corpus source (or ``all``)."""

    records: int = 0
    positives: int = 0
    flagged: int = 0
    negatives: int = 0
    wrongly_flagged: int = 0
    negatives_excluded: int = 0
    missed_by_rule: Counter[str] = field(default_factory=Counter)
    false_positive_by_rule: Counter[str] = field(default_factory=Counter)
    our_rules_on_negatives: Counter[str] = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        """Share of positive examples flagged."""
        return self.flagged / self.positives if self.positives else 0.0

    @property
    def false_positive_rate(self) -> float:
        """Share of (counted) negative examples wrongly flagged."""
        return self.wrongly_flagged / self.negatives if self.negatives else 0.0


def default_corpus_path() -> Path:
    """``$CHECK_SECRETS_CORPUS`` when set, else ``<repo>/../shared/corpora/token-examples.jsonl``."""
    env = os.environ.get("CHECK_SECRETS_CORPUS")
    return Path(env) if env else DEFAULT_CORPUS


def load_corpus(path: Path) -> list[dict[str, object]]:
    """The corpus records, one JSON object per line."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _strings(record: dict[str, object], key: str) -> list[str]:
    value = record.get(key) or []
    return [str(v) for v in value] if isinstance(value, list) else []


def evaluate(records: list[dict[str, object]], *, mode: str = "code") -> dict[str, SourceFigures]:
    """Run every example and negative example through the engine; figures per source plus ``"all"``."""
    from autoaudit_secrets.scan._model import ScanConfig
    from autoaudit_secrets.scan.engine._scanner import Scanner

    relpath = MODES[mode]
    scanner = Scanner(ScanConfig())
    all_positives = {e for r in records for e in _strings(r, "examples")}
    figures: dict[str, SourceFigures] = {}
    for record in records:
        source = str(record.get("source", "?"))
        name = str(record.get("rule_name", "?"))
        keys = (source, "all")
        for key in keys:
            figures.setdefault(key, SourceFigures()).records += 1
        for text in _strings(record, "examples"):
            hit = bool(scanner.scan_document(relpath, text))
            for key in keys:
                f = figures[key]
                f.positives += 1
                f.flagged += hit
                if not hit:
                    f.missed_by_rule[name] += 1
        for text in _strings(record, "negative_examples"):
            if text in all_positives:
                for key in keys:
                    figures[key].negatives_excluded += 1
                continue
            found = scanner.scan_document(relpath, text)
            for key in keys:
                f = figures[key]
                f.negatives += 1
                if found:
                    f.wrongly_flagged += 1
                    f.false_positive_by_rule[name] += 1
                    f.our_rules_on_negatives.update({x.rule_id for x in found})
    return figures


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def render(figures: dict[str, SourceFigures], *, mode: str = "code", misses: int = 40) -> str:
    """Plain-text report: per-source table, then the most-missed corpus rules and the wrongly flagged ones."""
    lines = [
        f"corpus strings scanned as {MODES[mode]!r} ({mode})",
        "source       records positives  flagged  share  negatives  wrongly  share  (negatives excluded)",
    ]
    for source in sorted(figures, key=lambda s: (s == "all", s)):
        f = figures[source]
        lines.append(
            f"{source:<12} {f.records:>7} {f.positives:>9} {f.flagged:>8} {_pct(f.recall)} {f.negatives:>10}"
            f" {f.wrongly_flagged:>8} {_pct(f.false_positive_rate)}  ({f.negatives_excluded})"
        )
    for source in sorted(s for s in figures if s != "all"):
        f = figures[source]
        lines.append("")
        lines.append(
            f"[{source}] corpus rules with missed examples ({len(f.missed_by_rule)} rules,"
            f" {sum(f.missed_by_rule.values())} examples; top {misses}):"
        )
        for name, count in f.missed_by_rule.most_common(misses):
            lines.append(f"  {count:>3}  {name}")
        if f.false_positive_by_rule:
            lines.append(f"[{source}] corpus rules whose negatives we flag:")
            for name, count in f.false_positive_by_rule.most_common():
                lines.append(f"  {count:>3}  {name}")
            lines.append(
                f"[{source}] our rules firing on negatives: "
                + ", ".join(f"{r} ({n})" for r, n in f.our_rules_on_negatives.most_common())
            )
    return "\n".join(lines)


def as_json(figures: dict[str, SourceFigures]) -> dict[str, dict[str, object]]:
    """The figures as plain data (no example values)."""
    return {
        s: {
            "records": f.records,
            "positives": f.positives,
            "flagged": f.flagged,
            "recall": round(f.recall, 4),
            "negatives": f.negatives,
            "wrongly_flagged": f.wrongly_flagged,
            "false_positive_rate": round(f.false_positive_rate, 4),
            "negatives_excluded": f.negatives_excluded,
            "missed_by_rule": dict(f.missed_by_rule),
        }
        for s, f in figures.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-source accuracy of the built-in rules over the corpus.")
    parser.add_argument("--corpus", type=Path, default=None, help="path of token-examples.jsonl")
    parser.add_argument("--as", dest="mode", choices=sorted(MODES), default="code", help="present strings as")
    parser.add_argument("--misses", type=int, default=40, help="missed corpus rules to list per source")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    path = args.corpus or default_corpus_path()
    if not path.is_file():
        print(f"corpus not found: {path}", file=sys.stderr)
        return 2
    figures = evaluate(load_corpus(path), mode=args.mode)
    if args.json:
        print(json.dumps(as_json(figures), indent=2, sort_keys=True))
    else:
        print(render(figures, mode=args.mode, misses=args.misses))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    raise SystemExit(main())

"""Accuracy of the built-in rules over the shared token-example corpus, per source.

    python benchmarks/corpus_report.py [--corpus PATH] [--as code|config] [--misses N] [--json]

The corpus (``../shared/corpora/token-examples.jsonl`` next to the repository, or
``$CHECK_SECRETS_CORPUS``) holds, per rule of two public scanners (``noseyparker``, ``kingfisher``), strings
those scanners expect to flag (``examples``) and strings they expect not to flag (``negative_examples``).
Every string is scanned as one document with the real engine (``Scanner(ScanConfig()).scan_document``),
either as a source file (``--as code``, the default: rules tagged ``config-only`` do not apply) or as a
``.env`` file (``--as config``).

- A positive counts as *flagged* when it yields any finding. Positives filled in by hand -- a run of six or
  more consecutive alphabet or digit characters (``1234567890abcdef…``, ``aBcDeF…``) or of one repeated
  character (``000000``, ``XXXXXX``) -- are left out of the share (counted as ``positives excluded``): they
  are right-format placeholders, which check-secrets deliberately does not report (issue 11, item 8). The raw
  share over every positive is printed too.
- A negative counts as *wrongly flagged* when it yields any finding. Negatives that are, verbatim, a
  positive example of another corpus rule (a user token listed as a negative of the bot-token rule) are left
  out: flagging them is right.

The report prints counts, shares and the corpus rule names whose examples we miss or whose negatives we
flag -- never an example value.

    python benchmarks/corpus_report.py --realworld [--peers] [--misses N] [--json]

reports instead the labelled real-world corpus (``tests/data/realworld/<class>.jsonl``, issue 11): every
case is written as a file under ``<case id>/<file name>`` of one temporary tree, the tree is scanned once, and
per class

- a positive counts as *found* when an **error** finding covers the line of its ``secret``;
- a negative counts as a *false positive* when any **error** finding lands in its file;
- recall = found / positives, precision = found / (found + false positives).

With ``--peers`` the same tree is scanned by gitleaks and betterleaks (installed into ``benchmarks/.peers`` by
``benchmarks/_peers.py``; never project dependencies) and scored the same way (their findings have no
severity: all count). The report names case ids, never values.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "token-examples.jsonl"
# How each corpus string is presented to the engine: the corpus carries no file names.
MODES = {"code": "corpus/snippet.txt", "config": "corpus/snippet.env"}
REALWORLD_DIR = REPO_ROOT / "tests" / "data" / "realworld"


@dataclass
class SourceFigures:
    """Counts for one corpus source (or ``all``)."""

    records: int = 0
    positives: int = 0
    flagged: int = 0
    positives_excluded: int = 0  # hand-filled placeholders (see is_placeholder_example)
    excluded_flagged: int = 0
    negatives: int = 0
    wrongly_flagged: int = 0
    negatives_excluded: int = 0
    missed_by_rule: Counter[str] = field(default_factory=Counter)
    false_positive_by_rule: Counter[str] = field(default_factory=Counter)
    our_rules_on_negatives: Counter[str] = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        """Share of positive examples flagged (hand-filled placeholders left out)."""
        return self.flagged / self.positives if self.positives else 0.0

    @property
    def raw_recall(self) -> float:
        """Share of all positive examples flagged, placeholders included."""
        total = self.positives + self.positives_excluded
        return (self.flagged + self.excluded_flagged) / total if total else 0.0

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


_EXAMPLE_UUID = "123e4567-e89b-12d3-a456-426614174000"


def is_placeholder_example(text: str) -> bool:
    """A corpus string filled in by hand: among its letters and digits, a run of six or more consecutive
    characters (ascending or descending, case-insensitive: ``123456``, ``abcdef``, ``aBcDeF``) or six repeats
    of one character; two such rows typed in turn, seven characters of each (``1a2b3c4d5e6f7g``); or the UUID
    that documentation writes for any UUID (``123e4567-e89b-12d3-a456-…``, of
    Wikipedia's and OpenAPI's examples: 29 kingfisher examples use it as a key). Random tokens practically
    never hold any of these. (Kept independent of the engine's own placeholder filter, so that changes of the
    engine cannot move this yardstick.)"""
    low = text.lower()
    if _EXAMPLE_UUID in low:
        return True
    up = down = same = 1
    for a, b in itertools.pairwise(low):
        if not (a.isalnum() and b.isalnum()):
            up = down = same = 1
            continue
        step = ord(b) - ord(a)
        up = up + 1 if step == 1 else 1
        down = down + 1 if step == -1 else 1
        same = same + 1 if step == 0 else 1
        if max(up, down, same) >= 6:
            return True
    return _two_rows_in_turn(low)


def _two_rows_in_turn(low: str) -> bool:
    """Two ascending rows typed in turn (``1a2b3c4d5e6f7g``): seven characters of each, every other one."""
    rows = [0, 0]  # the current run of ascending steps of each row, by the parity of the position
    for i in range(2, len(low)):
        a, b = low[i - 2], low[i]
        row = i % 2
        step_ok = a.isalnum() and b.isalnum() and low[i - 1].isalnum() and ord(b) - ord(a) in (1, -9)
        rows[row] = rows[row] + 1 if step_ok else 0
        if min(rows) >= 6:
            return True
    return False


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
            placeholder = is_placeholder_example(text)
            for key in keys:
                f = figures[key]
                if placeholder:
                    f.positives_excluded += 1
                    f.excluded_flagged += hit
                    continue
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
        "source       records positives  flagged  share  negatives  wrongly  share  (negatives excluded)"
        "  placeholders (flagged)  raw share",
    ]
    for source in sorted(figures, key=lambda s: (s == "all", s)):
        f = figures[source]
        lines.append(
            f"{source:<12} {f.records:>7} {f.positives:>9} {f.flagged:>8} {_pct(f.recall)} {f.negatives:>10}"
            f" {f.wrongly_flagged:>8} {_pct(f.false_positive_rate)}  ({f.negatives_excluded:>3})"
            f"                 {f.positives_excluded:>4} ({f.excluded_flagged:>4}) {_pct(f.raw_recall)}"
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
            "positives_excluded": f.positives_excluded,
            "excluded_flagged": f.excluded_flagged,
            "raw_recall": round(f.raw_recall, 4),
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
    parser.add_argument("--realworld", action="store_true", help="report the real-world corpus instead")
    parser.add_argument("--peers", action="store_true", help="with --realworld: add gitleaks, betterleaks")
    args = parser.parse_args(argv)
    if args.realworld:
        return realworld_main(peers=args.peers, misses=args.misses, as_json_output=args.json)
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


# ------------------------------------------------------------------------------------- real-world corpus

REALWORLD_LABELS = frozenset({"positive", "negative"})
_REALWORLD_KEYS = frozenset({"id", "class", "file", "content", "secret", "label", "note"})


@dataclass(frozen=True)
class Case:
    """One labelled real-world case: a whole file and, for a positive, the one secret it holds."""

    id: str
    cls: str
    file: str
    content: str
    secret: str | None
    label: str
    note: str

    @property
    def relpath(self) -> str:
        """Where the case is written inside the corpus tree (its own directory keeps file names apart)."""
        return f"{self.id}/{self.file}"

    @property
    def secret_lines(self) -> tuple[int, int]:
        """First and last 1-based line of the secret (0, 0 for a negative)."""
        if self.secret is None:
            return (0, 0)
        start = self.content.index(self.secret)
        first = self.content.count("\n", 0, start) + 1
        return first, first + self.secret.count("\n")


def load_realworld(directory: Path = REALWORLD_DIR) -> list[Case]:
    """Every case of ``<directory>/*.jsonl``, checked: known keys, ids unique, class = file stem, a positive's
    secret inside its content, a negative without one. Raises ``ValueError`` naming the case id."""
    cases: list[Case] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                raw = json.loads(line)
                where = f"{path.name}:{number}"
                if not isinstance(raw, dict) or set(raw) != _REALWORLD_KEYS:
                    raise ValueError(f"{where}: a case needs exactly the keys {sorted(_REALWORLD_KEYS)}")
                case = Case(
                    id=str(raw["id"]),
                    cls=str(raw["class"]),
                    file=str(raw["file"]),
                    content=str(raw["content"]),
                    secret=None if raw["secret"] is None else str(raw["secret"]),
                    label=str(raw["label"]),
                    note=str(raw["note"]),
                )
                if case.id in seen:
                    raise ValueError(f"{where}: duplicate id {case.id}")
                seen.add(case.id)
                if case.cls != path.stem:
                    raise ValueError(f"{where}: case {case.id} has class {case.cls!r}, not {path.stem!r}")
                if case.label not in REALWORLD_LABELS:
                    raise ValueError(f"{where}: case {case.id}: label must be positive or negative")
                if (case.label == "positive") != (case.secret is not None):
                    raise ValueError(f"{where}: case {case.id}: a positive has a secret, a negative has none")
                if case.secret is not None and (not case.secret or case.secret not in case.content):
                    raise ValueError(f"{where}: case {case.id}: the secret is not in the content")
                if not case.file or case.file.startswith("/") or ".." in case.file.split("/"):
                    raise ValueError(f"{where}: case {case.id}: file must be a relative path")
                cases.append(case)
    return cases


def write_realworld(root: Path, cases: Iterable[Case]) -> None:
    """Write every case as ``root/<id>/<file>`` (exact UTF-8 bytes, no newline translation)."""
    for case in cases:
        target = root / case.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(case.content.encode("utf-8"))


# (path relative to the corpus root) -> [(first line, last line)] of error findings; line 0 = the whole file
ErrorLines = Mapping[str, list[tuple[int, int]]]


@dataclass
class ClassFigures:
    """Counts for one class (or ``all``) of the real-world corpus."""

    positives: int = 0
    found: int = 0
    negatives: int = 0
    false_positives: int = 0
    missed: list[str] = field(default_factory=list)  # case ids
    flagged: list[str] = field(default_factory=list)  # case ids of negatives with an error finding

    @property
    def recall(self) -> float:
        """Share of positives found (1.0 without positives)."""
        return self.found / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        """found / (found + false positives) (1.0 when nothing was reported)."""
        reported = self.found + self.false_positives
        return self.found / reported if reported else 1.0


def score_realworld(cases: Iterable[Case], errors: ErrorLines) -> dict[str, ClassFigures]:
    """Per-class (and ``all``) figures of one tool's error findings over the cases."""
    figures: dict[str, ClassFigures] = {}
    for case in cases:
        spans = errors.get(case.relpath, [])
        for key in (case.cls, "all"):
            f = figures.setdefault(key, ClassFigures())
            if case.secret is not None:
                first, last = case.secret_lines
                hit = any(start <= last and end >= first for start, end in spans if start > 0)
                f.positives += 1
                f.found += hit
                if not hit:
                    f.missed.append(case.id)
            else:
                f.negatives += 1
                if spans:
                    f.false_positives += 1
                    f.flagged.append(case.id)
    return figures


def ours_error_lines(root: Path) -> dict[str, list[tuple[int, int]]]:
    """Scan ``root`` once with check-secrets (every file, ignore files not honoured); errors by path."""
    from autoaudit_secrets.scan._model import ScanConfig, ScanOptions, Severity
    from autoaudit_secrets.scan.engine._scanner import Scanner

    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True, jobs=1))
    out: dict[str, list[tuple[int, int]]] = {}
    for f in result.findings:
        if f.severity is Severity.ERROR:
            out.setdefault(f.path, []).append((f.line, max(f.line, f.end_line)))
    return out


def _peer_lines(items: Iterable[tuple[str, int, int]]) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for path, start, end in items:
        out.setdefault(path.removeprefix("./"), []).append((start, max(start, end)))
    return out


def gitleaks_error_lines(root: Path, exe: Path, report: Path) -> dict[str, list[tuple[int, int]]]:
    """gitleaks ``dir`` over ``root``; every finding (gitleaks has no severities) by path."""
    cmd = [str(exe), "dir", ".", "--no-banner", "--exit-code", "0", "--log-level", "error"]
    cmd += ["--report-format", "json", "--report-path", str(report)]
    subprocess.run(cmd, cwd=root, capture_output=True, check=False, timeout=600)
    data = json.loads(report.read_text(encoding="utf-8"))
    return _peer_lines((str(x["File"]), int(x["StartLine"]), int(x["EndLine"])) for x in data)


def betterleaks_error_lines(root: Path, exe: Path, report: Path) -> dict[str, list[tuple[int, int]]]:
    """betterleaks over ``root`` (its terminal output shows secrets: discarded); every finding by path."""
    cmd = [str(exe), "--no-banner", "--log-level", "error", "--output", str(report), "."]
    subprocess.run(cmd, cwd=root, capture_output=True, check=False, timeout=600)
    data = json.loads(report.read_text(encoding="utf-8"))
    items = data.get("findings") or [] if isinstance(data, dict) else data
    return _peer_lines(
        (str(x["location"]["path"]), int(x["location"]["start_line"]), int(x["location"]["end_line"]))
        for x in items
    )


def evaluate_realworld(cases: list[Case], *, peers: bool = False) -> dict[str, dict[str, ClassFigures]]:
    """Figures per tool (``check-secrets``, and with ``peers`` ``gitleaks``/``betterleaks``) per class."""
    out: dict[str, dict[str, ClassFigures]] = {}
    with tempfile.TemporaryDirectory(prefix="realworld-") as tmp:
        root = Path(tmp) / "corpus"
        write_realworld(root, cases)
        out["check-secrets"] = score_realworld(cases, ours_error_lines(root))
        if peers:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from _peers import ensure_peers

            found = ensure_peers()
            reports = Path(tmp)
            out["gitleaks"] = score_realworld(
                cases, gitleaks_error_lines(root, found.gitleaks, reports / "gitleaks.json")
            )
            out["betterleaks"] = score_realworld(
                cases, betterleaks_error_lines(root, found.betterleaks, reports / "betterleaks.json")
            )
    return out


def render_realworld(results: dict[str, dict[str, ClassFigures]], *, misses: int = 40) -> str:
    """Per-class table of every tool, then our missed positives and flagged negatives (ids only)."""
    tools = list(results)
    classes = sorted({c for r in results.values() for c in r}, key=lambda c: (c == "all", c))
    head = f"{'class':<22} {'pos':>4} {'neg':>4}"
    for tool in tools:
        head += f" | {tool[:13]:>13} rec  prec"
    lines = ["real-world corpus (errors only): recall = found/positives, precision = found/(found+FP)", head]
    for cls in classes:
        base = results[tools[0]][cls]
        row = f"{cls:<22} {base.positives:>4} {base.negatives:>4}"
        for tool in tools:
            f = results[tool][cls]
            row += f" | {f.found:>5}/{f.false_positives:<3} FP {f.recall:4.2f} {f.precision:5.2f}"
        lines.append(row)
    ours = results[tools[0]]
    for cls in classes:
        if cls == "all":
            continue
        f = ours[cls]
        if f.missed:
            lines.append(f"[{cls}] missed ({len(f.missed)}): " + ", ".join(f.missed[:misses]))
        if f.flagged:
            lines.append(f"[{cls}] false positives ({len(f.flagged)}): " + ", ".join(f.flagged[:misses]))
    return "\n".join(lines)


def realworld_json(results: dict[str, dict[str, ClassFigures]]) -> dict[str, dict[str, dict[str, object]]]:
    """The figures as plain data (case ids, never values)."""
    return {
        tool: {
            cls: {
                "positives": f.positives,
                "found": f.found,
                "negatives": f.negatives,
                "false_positives": f.false_positives,
                "recall": round(f.recall, 4),
                "precision": round(f.precision, 4),
                "missed": f.missed,
                "flagged": f.flagged,
            }
            for cls, f in per_class.items()
        }
        for tool, per_class in results.items()
    }


def realworld_main(*, peers: bool, misses: int, as_json_output: bool) -> int:
    cases = load_realworld()
    if not cases:
        print(f"no real-world cases under {REALWORLD_DIR}", file=sys.stderr)
        return 2
    results = evaluate_realworld(cases, peers=peers)
    if as_json_output:
        print(json.dumps(realworld_json(results), indent=2, sort_keys=True))
    else:
        print(render_realworld(results, misses=misses))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    raise SystemExit(main())

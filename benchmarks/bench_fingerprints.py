"""Benchmark: what fingerprints cost in JSON and SARIF reports, against the text report.

Run: ``.venv/bin/python benchmarks/bench_fingerprints.py [--tokens 2000] [--passwords 0] [--repeat 3]``
(``--json`` for machine-readable output). It builds a tree of files holding that many distinct token
findings (random GitHub-style tokens: high entropy, fast keyed fingerprints) and a few low-entropy
passwords (memory-hard scrypt fingerprints), then times ``check-secrets scan`` in text, json and sarif as
real subprocesses (best of ``--repeat``, wall clock, start-up included). The target (issue 12): JSON/SARIF
at most 1.5x the text time for 2,000 token findings (one scrypt per finding used to make it 35 s against
0.3 s). Files go to a temp directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "check-secrets"
_ALNUM = string.ascii_letters + string.digits


def _tree(root: Path, tokens: int, passwords: int) -> None:
    per_file = 50
    for start in range(0, tokens, per_file):
        lines = [
            f'TOKEN_{i} = "ghp_{"".join(secrets.choice(_ALNUM) for _ in range(36))}"\n'
            for i in range(start, min(start + per_file, tokens))
        ]
        (root / f"tokens_{start // per_file:04d}.py").write_text("".join(lines))
    words = ["Summer", "Winter", "Autumn", "Spring", "Dragon", "Monkey"]
    for i in range(passwords):
        (root / f"svc{i}.env").write_text(f"DB_PASSWORD={words[i % len(words)]}{2000 + i}!\n")


def _time(root: Path, env: dict[str, str], fmt: str, repeat: int) -> tuple[float, int]:
    best = float("inf")
    findings = 0
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run(
            [str(BIN), "scan", "--format", fmt],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
        best = min(best, time.perf_counter() - started)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"scan --format {fmt} failed: {proc.stderr.strip()}")
        if fmt == "json":
            findings = len(json.loads(proc.stdout)["findings"])
    return best, findings


def bench(tokens: int, passwords: int, repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "tree"
        root.mkdir()
        _tree(root, tokens, passwords)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp}
        _time(root, env, "text", 1)  # warm the rule and pattern caches
        text_s, _ = _time(root, env, "text", repeat)
        json_s, findings = _time(root, env, "json", repeat)
        sarif_s, _ = _time(root, env, "sarif", repeat)
        return {
            "tokens": float(tokens),
            "passwords": float(passwords),
            "findings": float(findings),
            "text_s": text_s,
            "json_s": json_s,
            "sarif_s": sarif_s,
            "json_ratio": json_s / text_s,
            "sarif_ratio": sarif_s / text_s,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=2000, help="distinct token findings (default 2000)")
    parser.add_argument(
        "--passwords", type=int, default=0, help="low-entropy password findings besides (default 0)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per format; the best counts (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    row = bench(args.tokens, args.passwords, args.repeat)
    if args.json:
        print(json.dumps(row, indent=2))
        return 0
    header = f"{'findings':>9} {'text':>7} {'json':>7} {'sarif':>7} {'json/text':>10} {'sarif/text':>11}"
    print(header + "   (seconds)")
    print(
        f"{int(row['findings']):>9} {row['text_s']:>7.2f} {row['json_s']:>7.2f} {row['sarif_s']:>7.2f} "
        f"{row['json_ratio']:>10.2f} {row['sarif_ratio']:>11.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

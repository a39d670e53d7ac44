"""Benchmark: ``autoaudit-secrets`` commands that rewrite every line of a large ``.env``.

Run: ``.venv/bin/python benchmarks/bench_env_edit.py [--lines 16000,100000,400000] [--json]``. For each size
it builds a ``.env`` with a public key, that many plain settings and 10 secret-looking values, then times
``encrypt`` (every secret-looking value), ``decrypt --in-place`` and ``rotate --store stdout`` as real
subprocesses (wall clock, start-up included). Editing is linear: the time per 100,000 lines should stay flat
as the file grows (the editor used to be quadratic: 16,000 lines took 5 s, 400,000 over 10 minutes).
Files go to a temp directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "autoaudit-secrets"


def _run(folder: Path, env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(
        [str(BIN), *args], cwd=folder, env=env, capture_output=True, text=True, check=False, timeout=3600
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.strip()}")
    return elapsed, proc.stdout


def bench(lines: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp}
        _, key = _run(folder, env, "keygen", "--store", "stdout")
        env["AUTOAUDIT_PRIVATE_KEY"] = key.strip()
        with (folder / ".env").open("a", encoding="utf-8") as handle:
            handle.writelines(f"SETTING_{i}=value-{i}\n" for i in range(lines))
            handle.writelines(f"SERVICE_{i}_TOKEN=tok-{i}-bench\n" for i in range(10))  # check-secrets: allow
        result = {"lines": float(lines)}
        for label, args in (
            ("encrypt_s", ["encrypt"]),
            ("decrypt_in_place_s", ["decrypt", "--in-place"]),
            ("rotate_s", ["rotate", "--store", "stdout"]),
        ):
            elapsed, out = _run(folder, env, *args)
            result[label] = elapsed
            if label == "rotate_s":
                env["AUTOAUDIT_PRIVATE_KEY"] = out.strip()
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", default="16000,100000,400000", help="comma-separated file sizes")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    sizes = [int(item) for item in args.lines.split(",") if item.strip()]
    rows = [bench(size) for size in sizes]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'lines':>9} {'encrypt':>9} {'decrypt -i':>11} {'rotate':>9}   (seconds, wall clock)")
    for row in rows:
        print(
            f"{int(row['lines']):>9} {row['encrypt_s']:>9.2f} {row['decrypt_in_place_s']:>11.2f} "
            f"{row['rotate_s']:>9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

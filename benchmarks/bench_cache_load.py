"""Benchmark: what loading the rules and the compiled pattern database costs a fresh ``check-secrets`` process
(the pre-commit hook pays it on every commit; goal: <= 10 ms together).

Each run is a new Python process of a plain ``pip install .`` of this checkout (no extras, in
``benchmarks/.peers/default-venv``, as ``bench_scan.py --default-install`` uses), after the imports a scan
needs, timing with ``time.perf_counter``:

* **rules**: ``load_rules()`` — the packaged rule index (``scan/rules/data/index.py``, from the bytecode pip
  compiled at install) loaded, checked against the rule data files' digest and turned into ``Rule`` records;
* **database**: the Hyperscan database of those rules loaded from ``~/.cache/autoaudit-secrets`` (the first
  run compiles it; that run is not counted), with its scratch space;
* **detector**: building the ``Detector`` between the two (not a cache load; shown for completeness).

Prints the median and best of ``--runs`` processes per step and whether rules + database meet the goal.

Usage: ``python benchmarks/bench_cache_load.py [--runs 21] [--python PATH]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _peers import ensure_default_install  # noqa: E402

GOAL_MS = 10.0

_PROBE = """
import json, time
from autoaudit_secrets.scan.rules._registry import load_rules
from autoaudit_secrets.scan.engine._detector import Detector
import hyperscan  # (the import of the dependency is not a cache load)
t0 = time.perf_counter()
rules = load_rules()
t1 = time.perf_counter()
detector = Detector(rules)
t2 = time.perf_counter()
detector.matcher._hyperscan_db()  # (what a scan's first document loads; prepare() adds a rarer twin)
t3 = time.perf_counter()
print(json.dumps({"rules": (t1 - t0) * 1e3, "detector": (t2 - t1) * 1e3, "database": (t3 - t2) * 1e3,
                  "backend": detector.backend.value}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument(
        "--python", type=Path, help="a Python with autoaudit-secrets installed (default: a plain install)"
    )
    args = parser.parse_args()
    python = args.python.absolute() if args.python else ensure_default_install().parent / "python"
    # (run outside the checkout: `python -c` would import the package from the current folder)
    probe = [str(python), "-c", _PROBE]
    here = tempfile.gettempdir()
    subprocess.run(probe, check=True, capture_output=True, cwd=here)  # compiles the database once
    samples: list[dict[str, float]] = []
    backend = "?"
    for _ in range(args.runs):
        out = subprocess.run(probe, check=True, capture_output=True, text=True, cwd=here).stdout
        row = json.loads(out)
        backend = row.pop("backend")
        samples.append(row)
    print(f"fresh processes: {args.runs}, matcher: {backend}, {python}")
    for step in ("rules", "detector", "database"):
        values = [s[step] for s in samples]
        print(f"  {step:9} median {statistics.median(values):6.2f} ms   best {min(values):6.2f} ms")
    loads = [s["rules"] + s["database"] for s in samples]
    median = statistics.median(loads)
    verdict = "meets" if median <= GOAL_MS else "misses"
    print(
        f"  rules + database: median {median:.2f} ms, best {min(loads):.2f} ms: "
        f"{verdict} the {GOAL_MS:g} ms goal"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

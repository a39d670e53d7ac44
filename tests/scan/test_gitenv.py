"""The environment of check-secrets' git children (``scan/_gitenv.py``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from autoaudit_secrets.scan._gitenv import git_env
from tests.conftest import git


def test_git_children_get_the_allocator_tuning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    tunables = git_env()["GLIBC_TUNABLES"].split(":")
    assert "glibc.malloc.mmap_threshold=16777216" in tunables
    assert "glibc.malloc.trim_threshold=67108864" in tunables


def test_the_users_own_tunables_are_kept_and_come_last(monkeypatch: pytest.MonkeyPatch) -> None:
    # glibc applies the tunables in order: the user's, after ours, win
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=4096:glibc.malloc.arena_max=1")
    tunables = git_env()["GLIBC_TUNABLES"].split(":")
    assert tunables[-2:] == ["glibc.malloc.mmap_threshold=4096", "glibc.malloc.arena_max=1"]
    assert tunables.index("glibc.malloc.mmap_threshold=16777216") < tunables.index(
        "glibc.malloc.mmap_threshold=4096"
    )


def test_git_runs_with_that_environment(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.txt").write_text("one\n")
    git(root, "add", "a.txt")
    git(root, "-c", "user.name=T", "-c", "user.email=t@example.test", "commit", "-q", "-m", "first")
    proc = subprocess.run(
        ["git", "log", "-p", "--format=%s"], cwd=root, env=git_env(), capture_output=True, check=True
    )
    assert b"first" in proc.stdout and b"+one" in proc.stdout
    assert proc.stderr == b""

"""A scanned repository's own ``.git/config`` runs no command in whoever scans it (issue 12: the scanned
repository is hostile input). git reads that configuration itself: ``core.fsmonitor`` names a program that
git runs whenever it reads the index, and in a partial clone a missing object is fetched from the
"promisor" remote with whatever transport or program the configuration names. Every mode that runs git is
tried on real repositories; each planted command would create a marker file.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, run_cli


def _repo(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.name", "Test Author")
    git(root, "config", "user.email", "author@example.test")
    (root / "app.py").write_text("print('hello')\n")
    git(root, "add", "app.py")
    git(root, "commit", "-q", "-m", "first")
    return root


@pytest.mark.parametrize(
    "command",
    [
        ["check-secrets", "git", "--staged"],
        ["check-secrets", "git", "--all"],
        ["check-secrets", "git", "--since", "HEAD"],
        ["check-secrets", "scan", "."],
    ],
)
def test_fsmonitor_of_the_scanned_repository_is_not_run(tmp_path: Path, command: list[str]) -> None:
    repo = _repo(tmp_path / "repo")
    marker = tmp_path / "fsmonitor-ran"
    (repo / "new.py").write_text("x = 1\n")
    git(repo, "add", "new.py")
    git(repo, "config", "core.fsmonitor", f"touch {shlex.quote(str(marker))}; echo")
    # (git itself runs it: the planted setting works, so the test can fail)
    git(repo, "ls-files", "--cached")
    assert marker.exists()
    marker.unlink()
    result = run_cli(*command, cwd=repo)
    assert result.returncode == 0, result.output
    assert not marker.exists()


def test_a_partial_clone_never_fetches_a_missing_object(tmp_path: Path) -> None:
    """A blob missing from a "partial clone" whose promisor remote is a command: git would run it to fetch
    the blob. The scan fails with a one-line error instead (it does not report clean either)."""
    repo = _repo(tmp_path / "repo")
    (repo / "config.py").write_text("DEBUG = True\n")
    git(repo, "add", "config.py")
    git(repo, "commit", "-q", "-m", "config")
    blob = git(repo, "rev-parse", "HEAD:config.py").strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # loose objects: this one is gone now
    marker = tmp_path / "fetch-ran"
    git(repo, "config", "remote.origin.url", f"ext::sh -c touch% {marker}")
    git(repo, "config", "remote.origin.promisor", "true")
    git(repo, "config", "protocol.ext.allow", "always")
    git(repo, "config", "extensions.partialClone", "origin")
    git(repo, "config", "core.repositoryformatversion", "1")
    # (git itself runs it)
    env = {**os.environ, "GIT_NO_LAZY_FETCH": "0"}
    subprocess.run(["git", "cat-file", "-p", blob], cwd=repo, env=env, capture_output=True, check=False)
    assert marker.exists()
    marker.unlink()
    result = run_cli("check-secrets", "git", "--all", cwd=repo)
    assert result.returncode == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert "partial clone" in line and blob in line and "Traceback" not in line
    assert not marker.exists()


def test_a_repository_that_lacks_an_object_is_an_error_that_says_so(tmp_path: Path) -> None:
    """A copy without a promisor remote that lacks a blob (objects lost, or left out by a mirror): one line
    naming the object and what to run, exit 2 -- never a clean report."""
    repo = _repo(tmp_path / "repo")
    (repo / "config.py").write_text("DEBUG = True\n")
    git(repo, "add", "config.py")
    git(repo, "commit", "-q", "-m", "config")
    blob = git(repo, "rev-parse", "HEAD:config.py").strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    result = run_cli("check-secrets", "git", "--all", cwd=repo)
    assert result.returncode == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert blob in line and "git fsck" in line and "Traceback" not in line

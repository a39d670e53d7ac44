"""``check-secrets git`` on unusual repositories: empty, unborn branch, detached HEAD, shallow clone,
worktree, submodule, non-UTF-8 commit metadata; and ``scan`` of a tree holding our own rule cache.

Real repositories in temp folders, real subprocesses; tokens are made at run time and never printed.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

from tests.conftest import CliResult, assert_no_leak, git, run_cli


def _token() -> str:
    return "ghp_" + secrets.token_hex(18)


def _cs(cwd: Path, *args: str, **env: str) -> CliResult:
    return run_cli("check-secrets", *args, cwd=cwd, env=env or None, timeout=120)


def _paths(result: CliResult) -> list[str]:
    assert result.returncode in (0, 1), result.output
    return sorted(f["path"] for f in json.loads(result.stdout)["findings"])


def _commit(repo: Path, name: str, text: str, message: str = "add") -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)


@pytest.mark.parametrize("mode", [["--staged"], ["--all"]], ids=["staged", "all"])
def test_empty_repository_is_clean(git_repo: Path, mode: list[str]) -> None:
    result = _cs(git_repo, "git", *mode, "--no-progress")
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("mode", [["--since", "main"], ["--range", "main..HEAD"]], ids=["since", "range"])
def test_empty_repository_revision_is_one_line_error(git_repo: Path, mode: list[str]) -> None:
    result = _cs(git_repo, "git", *mode, "--no-progress")
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
    assert "unknown git revision" in result.stderr


def test_unborn_branch_staged_finds_the_staged_secret(git_repo: Path) -> None:
    token = _token()
    (git_repo / "app.py").write_text(f'TOKEN = "{token}"\n')
    git(git_repo, "add", "app.py")
    result = _cs(git_repo, "git", "--staged", "--no-progress", "--format", "json")
    assert result.returncode == 1
    assert _paths(result) == ["app.py"]
    assert_no_leak(result.output, [token])


def test_detached_head_and_latin1_commit_metadata(git_repo: Path) -> None:
    token = _token()
    _commit(git_repo, "base.txt", "x\n")
    git(git_repo, "config", "i18n.commitEncoding", "ISO-8859-1")
    (git_repo / "app.py").write_text(f'TOKEN = "{token}"\n')
    git(git_repo, "add", "app.py")
    # Latin-1 bytes in message and author (surrogateescape strings become those raw bytes in argv/env).
    latin1_email = os.fsdecode("j\u00e9r\u00f4me@example.test".encode("latin-1"))
    git(git_repo, "commit", "-q", "-m", os.fsdecode(b"caf\xe9"), env={"GIT_AUTHOR_EMAIL": latin1_email})
    git(git_repo, "checkout", "-q", "--detach", "HEAD")
    for mode in (["--all"], ["--since", "HEAD~1"], ["--range", "main~1..HEAD"]):
        result = _cs(git_repo, "git", *mode, "--no-progress", "--format", "json")
        assert result.returncode == 1, result.output
        (finding,) = json.loads(result.stdout)["findings"]
        assert finding["path"] == "app.py"
        assert finding["commit"]["author_email"] == "j\u00e9r\u00f4me@example.test"
        assert_no_leak(result.output, [token])


def test_shallow_clone_since_beyond_its_depth_says_so(git_repo: Path, tmp_path: Path) -> None:
    for index in range(3):
        _commit(git_repo, f"f{index}.txt", f"{index}\n")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{git_repo}", str(clone))
    result = _cs(clone, "git", "--since", "HEAD~2", "--no-progress")
    assert result.returncode == 2
    assert "shallow clone" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _cs(clone, "git", "--all", "--no-progress").returncode == 0


def test_worktree_and_submodule(git_repo: Path, tmp_path: Path) -> None:
    token, other = _token(), _token()
    _commit(git_repo, "app.py", f'TOKEN = "{token}"\n')
    worktree = tmp_path / "wt"
    git(git_repo, "worktree", "add", "-q", str(worktree), "HEAD")
    (worktree / "new.py").write_text(f'OTHER = "{other}"\n')
    git(worktree, "add", "new.py")
    assert _paths(_cs(worktree, "git", "--all", "--no-progress", "--format", "json")) == ["app.py"]
    assert _paths(_cs(worktree, "git", "--staged", "--no-progress", "--format", "json")) == ["new.py"]

    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, "init", "-q", "-b", "main")
    git(outer, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(git_repo), "sub")
    git(outer, "commit", "-q", "-m", "sub")
    # The superproject's history holds a gitlink, not the submodule's files; a scan of the tree sees them.
    assert _paths(_cs(outer, "git", "--all", "--no-progress", "--format", "json")) == []
    assert _paths(_cs(outer, "scan", ".", "--format", "json")) == ["sub/app.py"]
    assert _paths(_cs(outer / "sub", "git", "--all", "--no-progress", "--format", "json")) == ["app.py"]


def test_scan_of_a_home_folder_does_not_report_our_own_rule_cache(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("nothing here\n")
    env = {"HOME": str(home)}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _cs(elsewhere, "scan", ".", **env).returncode == 0  # fills HOME/.cache/autoaudit-secrets
    assert (home / ".cache" / "autoaudit-secrets").is_dir(), "the rule cache is not where this test expects"
    first = _cs(home, "scan", ".", "--format", "json", **env)
    second = _cs(home, "scan", ".", "--format", "json", **env)
    assert _paths(first) == [] and _paths(second) == []
    assert first.returncode == 0 and second.returncode == 0
    assert _paths(_cs(tmp_path, "scan", "home", "--format", "json", **env)) == []


def test_revision_arguments_are_escaped_and_never_options(git_repo: Path) -> None:
    _commit(git_repo, "a.txt", "x\n")
    for args in (
        ["--since", "x\x1b]0;title\x07\x1b[2J"],
        ["--range", "HEAD..--output=pwned"],
        ["--since", "--output=pwned"],
    ):
        result = _cs(git_repo, "git", *args, "--no-progress")
        assert result.returncode == 2, result.output
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (git_repo / "pwned").exists()


@pytest.mark.parametrize("command", [["scan", "."], ["git", "--all"]], ids=["scan", "git"])
def test_absurd_job_counts_are_refused(git_repo: Path, command: list[str]) -> None:
    result = _cs(git_repo, *command, "--jobs", "100000")
    assert result.returncode == 2
    assert "job count must be at most" in result.stderr


def test_git_history_with_a_non_utf8_file_name_and_excludes(git_repo: Path) -> None:
    token = _token()
    with open(os.path.join(os.fsencode(git_repo), b"n\xffame.py"), "w") as handle:
        handle.write(f'TOKEN = "{token}"\n')
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-q", "-m", "odd name")
    for fmt in ("json", "sarif", "text"):
        result = _cs(git_repo, "git", "--all", "--no-progress", "--exclude", "*.log", "--format", fmt)
        assert result.returncode == 1, result.output
        assert_no_leak(result.output, [token])
    excluded = _cs(git_repo, "git", "--all", "--no-progress", "--exclude", "n*me.py")
    assert excluded.returncode == 0, excluded.output


def test_a_baseline_from_scan_accepts_the_git_finding_of_a_non_utf8_name(git_repo: Path) -> None:
    token = _token()
    with open(os.path.join(os.fsencode(git_repo), b"n\xffame.py"), "w") as handle:
        handle.write(f'TOKEN = "{token}"\n')
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-q", "-m", "odd name")
    base = git_repo.parent / "base.json"
    assert _cs(git_repo, "baseline", "create", ".", "-o", str(base)).returncode == 0
    result = _cs(git_repo, "git", "--all", "--no-progress", "--baseline", str(base), "--format", "json")
    assert result.returncode == 0, result.output  # same path, same fingerprint in both modes
    assert json.loads(result.stdout)["stats"]["findings_baselined"] == 1
    assert_no_leak(result.output + base.read_text(), [token])

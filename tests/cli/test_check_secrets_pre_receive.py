"""``check-secrets git --pre-receive`` as a server's hook: a real bare repository whose ``pre-receive`` hook
runs the real console script, and real ``git push`` from a clone (git keeps the pushed objects in a
quarantine folder while the hook runs; the scan must read them there). Every token is random per test and no
output may contain one."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN_DIR, assert_no_leak, git, run_cli

_ALPHABET = string.ascii_letters + string.digits


def _token() -> str:
    """A GitHub classic personal access token shape (a built-in rule: the server reads no pushed config)."""
    return "ghp_" + "".join(secrets.choice(_ALPHABET) for _ in range(36))


class Server:
    """A bare repository with the hook, and a clone to push from."""

    def __init__(self, tmp_path: Path) -> None:
        self.bare = tmp_path / "server.git"
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(self.bare))
        self.work = tmp_path / "work"
        git(tmp_path, "clone", "-q", str(self.bare), str(self.work))
        git(self.work, "symbolic-ref", "HEAD", "refs/heads/main")
        self.tokens: list[str] = []
        self.hook(True)

    def hook(self, on: bool, *options: str) -> None:
        hook = self.bare / "hooks" / "pre-receive"
        if not on:
            hook.unlink(missing_ok=True)
            return
        hook.write_text(
            f'#!/bin/sh\nexec "{BIN_DIR / "check-secrets"}" git --pre-receive {" ".join(options)}\n',
            encoding="utf-8",
        )
        hook.chmod(0o755)

    def token(self) -> str:
        value = _token()
        self.tokens.append(value)
        return value

    def commit(self, name: str, text: str, message: str = "change") -> str:
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", message)
        return git(self.work, "rev-parse", "HEAD").strip()

    def push(self, *refspecs: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_SYSTEM": os.devnull,
            "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        result = subprocess.run(
            ["git", "push", "origin", *refspecs],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert_no_leak(result.stdout + result.stderr, self.tokens)
        return result

    def has(self, name: str) -> bool:
        """The server holds this object (a commit id, or a ref name that resolves)."""
        command = ["git", "cat-file", "-e", name]
        proc = subprocess.run(command, cwd=self.bare, capture_output=True, check=False)
        return proc.returncode == 0


@pytest.fixture
def server(tmp_path: Path) -> Server:
    made = Server(tmp_path)
    made.commit("app.py", "x = 1\n", "init")
    assert made.push("main").returncode == 0
    return made


def test_a_push_that_adds_a_secret_is_rejected_naming_the_rule_and_commit(server: Server) -> None:
    sha = server.commit("settings.py", f'GITHUB_TOKEN = "{server.token()}"\n', "add settings")
    result = server.push("main")
    assert result.returncode != 0, result.stderr
    assert "pre-receive hook declined" in result.stderr
    assert "settings.py:1" in result.stderr and "github-pat-classic" in result.stderr
    assert sha[:12] in result.stderr
    assert not server.has(sha)  # the quarantined objects were dropped with the push


def test_a_secret_behind_clean_commits_and_on_a_new_branch_is_found(server: Server) -> None:
    git(server.work, "checkout", "-q", "-b", "feature")
    server.commit("a.py", f"key = '{server.token()}'\n", "add a")
    server.commit("a.py", "key = None\n", "remove it again")
    result = server.push("feature")  # a new branch: its old id is all zeros
    assert result.returncode != 0 and "a.py:1" in result.stderr, result.stderr


def test_commits_the_server_has_are_not_scanned_again(server: Server) -> None:
    server.hook(False)
    server.commit("old.py", f"token = '{server.token()}'\n", "an old leak, pushed before the hook")
    assert server.push("main").returncode == 0
    server.hook(True)
    # a new branch at a commit the server has: nothing new
    result = server.push("main:refs/heads/copy")
    assert result.returncode == 0 and "no findings" in result.stderr, result.stderr
    # a clean commit on top: only it is new
    server.commit("new.py", "y = 2\n")
    result = server.push("main")
    assert result.returncode == 0 and "no findings" in result.stderr, result.stderr


def test_a_pushed_configuration_cannot_allow_list_its_own_secret(server: Server) -> None:
    server.commit(".check-secrets.toml", 'exclude = ["leak.py"]\n')
    server.commit("pyproject.toml", '[tool.check-secrets]\nexclude = ["leak.py"]\n')
    server.commit("leak.py", f"t = '{server.token()}'\n")
    result = server.push("main")
    assert result.returncode != 0 and "leak.py:1" in result.stderr, result.stderr


def test_a_pushed_annotated_tag_message_is_scanned_and_a_deletion_passes(server: Server) -> None:
    git(server.work, "tag", "-a", "v1", "-m", f"release notes\n\ndeploy token {server.token()}\n")
    result = server.push("v1")
    assert result.returncode != 0 and "tag message of v1" in result.stderr, result.stderr
    git(server.work, "tag", "-a", "v2", "-m", "a clean release")
    assert server.push("v2").returncode == 0 and server.has("refs/tags/v2")
    result = server.push(":refs/tags/v2")  # a deletion: nothing to scan
    assert result.returncode == 0 and not server.has("refs/tags/v2"), result.stderr


@pytest.mark.parametrize("text", ["garbage\n", "0000 1111 refs/heads/main\n", f"{'a' * 40} {'b' * 40}\n"])
def test_malformed_hook_input_is_one_line_exit_2(server: Server, text: str) -> None:
    result = run_cli("check-secrets", "git", "--pre-receive", cwd=server.bare, input=text)
    assert result.returncode == 2, result.output
    assert result.stderr.strip().count("\n") == 0 and "line 1 of standard input" in result.stderr
    assert "Traceback" not in result.output


def test_an_unknown_pushed_object_is_an_error_not_a_clean_pass(server: Server) -> None:
    line = f"{'0' * 40} {'f' * 40} refs/heads/ghost\n"
    result = run_cli("check-secrets", "git", "--pre-receive", cwd=server.bare, input=line)
    assert result.returncode == 2 and "cannot read the pushed object" in result.stderr, result.output


def test_a_baseline_made_in_the_bare_repository_accepts_a_known_secret_pushed_again(
    server: Server, tmp_path: Path
) -> None:
    server.hook(False)
    token = server.token()
    server.commit("old.py", f"token = '{token}'\n", "an old leak, pushed before the hook")
    server.commit("old.py", "token = None\n", "removed, still in the history")
    assert server.push("main").returncode == 0
    baseline = tmp_path / "accepted.json"
    made = run_cli("check-secrets", "baseline", "create", "--git-all", "-o", str(baseline), cwd=server.bare)
    assert made.returncode == 0 and "1 accepted finding" in made.output, made.output
    assert_no_leak(baseline.read_text(encoding="utf-8"), [token], where="baseline")
    server.commit("old.py", f"token = '{token}'\n", "the same value again, in a new commit")
    server.hook(True)
    assert server.push("main").returncode != 0  # new to the refs: scanned, and reported without a baseline
    hook = server.bare / "hooks" / "pre-receive"
    script = hook.read_text(encoding="utf-8").replace("--pre-receive", f"--pre-receive --baseline {baseline}")
    hook.write_text(script, encoding="utf-8")
    result = server.push("main")
    assert result.returncode == 0 and "1 baselined" in result.stderr, result.stderr


def test_a_push_the_hook_cannot_scan_in_its_time_limit_is_rejected_saying_how_to_push(server: Server) -> None:
    # (a server may kill a slow hook — GitHub Enterprise Server after 5 s — and refuse the push without a
    # word; with --time-limit below that, the pusher is told why, and how to get through)
    server.hook(True, "--time-limit", "0.000001")
    shas = [server.commit(f"f{n}.py", f"x = {n}\n") for n in range(3)]
    result = server.push("main")
    assert result.returncode != 0
    assert "--time-limit of 1e-06 s reached: 3 commits not scanned" in result.stderr, result.stderr
    assert "push fewer commits at a time" in result.stderr
    assert not server.has(shas[-1])
    server.hook(True, "--time-limit", "600")
    assert server.push("main").returncode == 0 and server.has(shas[-1])

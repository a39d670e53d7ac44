"""``check-secrets git`` end to end: real repositories in temp folders, the real console script.

The repositories carry a ``.check-secrets.toml`` with one extra rule for a made-up token format, so the
tests exercise the git modes (which commit, which line, once per secret) independently of the built-in rule
set; every token is random per test and no output may contain one.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, assert_no_leak, git, run_cli

RULE_ID = "zz-test-token"
CONFIG = f"""
[[rules]]
id = "{RULE_ID}"
name = "Test token"
description = "A made-up token format used by the git-mode tests."
remediation = "Remove it from the repository and its history."
pattern = 'zzt_[a-f0-9]{{32}}'
keywords = ["zzt_"]
examples = ["zzt_9f86d081884c7d659a2feaa0c55ad015"]
"""
_PASS_ENV = ("CHECK_SECRETS_MATCHER",)


class Repo:
    """A temp repository plus the tokens planted in it (checked against every output)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tokens: list[str] = []
        (path / ".check-secrets.toml").write_text(CONFIG, encoding="utf-8")
        git(path, "config", "user.name", "Test Author")
        git(path, "config", "user.email", "author@example.test")

    def token(self) -> str:
        value = "zzt_" + secrets.token_hex(16)
        self.tokens.append(value)
        return value

    def write(self, rel: str, text: str | bytes) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")

    def commit(self, message: str, *, email: str | None = None) -> str:
        git(self.path, "add", "-A", "--", ".", ":!.check-secrets.toml")
        env = {"GIT_AUTHOR_EMAIL": email} if email else None
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.head()

    def commit_config(self, message: str = "check-secrets configuration") -> str:
        """Commit the configuration file (the other commits leave it out): ``git --since REF`` reads it as of
        REF."""
        git(self.path, "add", "--", ".check-secrets.toml")
        git(self.path, "commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return git(self.path, "rev-parse", "HEAD").strip()

    def run(self, *args: str, cwd: Path | None = None) -> CliResult:
        env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
        result = run_cli("check-secrets", "git", *args, cwd=cwd or self.path, env=env)
        assert_no_leak(result.output, self.tokens)
        assert "Traceback" not in result.stderr
        return result

    def findings(self, *args: str) -> tuple[int, list[dict[str, Any]]]:
        result = self.run(*args, "--format", "json")
        assert result.returncode in (0, 1), result.stderr
        report = json.loads(result.stdout)
        return result.returncode, [f for f in report["findings"] if f["rule"] == RULE_ID]


@pytest.fixture
def repo(git_repo: Path) -> Repo:
    return Repo(git_repo)


def lines_with(*items: str, filler: int = 5) -> str:
    body = [f"line {i}" for i in range(filler)]
    return "\n".join([*body, *items]) + "\n"


# ------------------------------------------------------------------------------------------------ --staged


def test_staged_before_the_first_commit(repo: Repo) -> None:
    token = repo.token()
    repo.write("app.py", lines_with(f'key = "{token}"'))
    git(repo.path, "add", "app.py")
    code, found = repo.findings("--staged")
    assert code == 1
    assert [(f["path"], f["line"]) for f in found] == [("app.py", 6)]
    assert "commit" not in found[0]


def test_staged_reports_only_staged_added_lines(repo: Repo) -> None:
    old = repo.token()
    repo.write("app.py", lines_with(f'old = "{old}"'))
    repo.commit("base")
    staged, unstaged = repo.token(), repo.token()
    repo.write("app.py", lines_with(f'old = "{old}"', f'new = "{staged}"'))
    git(repo.path, "add", "app.py")
    repo.write("app.py", lines_with(f'old = "{old}"', f'new = "{staged}"', f'later = "{unstaged}"'))
    repo.write("untracked.py", f'x = "{repo.token()}"\n')
    code, found = repo.findings("--staged")
    assert code == 1
    # the committed secret on line 6 was there before; the unstaged and untracked ones are not in the index
    assert [(f["path"], f["line"]) for f in found] == [("app.py", 7)]


def test_staged_is_clean_once_committed(repo: Repo) -> None:
    repo.write("app.py", lines_with(f'key = "{repo.token()}"'))
    git(repo.path, "add", "app.py")
    assert repo.run("--staged").returncode == 1
    repo.commit("leak")
    result = repo.run("--staged")
    assert result.returncode == 0, result.output


# --------------------------------------------------------------------------------------- history modes


def test_all_reports_a_deleted_secret_at_the_commit_that_added_it(repo: Repo) -> None:
    repo.write("config.yaml", lines_with("name: x"))
    repo.commit("base")
    token = repo.token()
    repo.write("config.yaml", lines_with("name: x", f"token: {token}", filler=8))
    leak = repo.commit("leak", email="leaker@example.test")
    repo.write("config.yaml", lines_with("name: x", "more: y", filler=8))
    repo.commit("remove it")
    assert token not in (repo.path / "config.yaml").read_text()
    code, found = repo.findings("--all")
    assert code == 1
    assert len(found) == 1
    finding = found[0]
    assert (finding["path"], finding["line"]) == ("config.yaml", 10)
    assert finding["commit"]["sha"] == leak
    assert finding["commit"]["author_email"] == "leaker@example.test"
    assert finding["commit"]["date"].startswith(
        git(repo.path, "log", "-1", "--format=%aI", leak).strip()[:10]
    )


def test_each_secret_is_reported_once_at_its_first_commit(repo: Repo) -> None:
    token = repo.token()
    repo.write("a.py", lines_with(f'k = "{token}"'))
    first = repo.commit("add")
    for i in range(3):
        repo.write("a.py", lines_with(f"# edit {i}", f'k = "{token}"'))
        repo.commit(f"edit {i}")
    repo.write("copy/b.py", f'k2 = "{token}"\n')
    repo.commit("copy it")
    _, found = repo.findings("--all")
    assert [(f["path"], f["commit"]["sha"]) for f in found] == [("a.py", first)]


def test_since_covers_the_pull_request_commits_only(repo: Repo) -> None:
    old = repo.token()
    repo.write("settings.py", lines_with(f'OLD = "{old}"', filler=10))
    base = repo.commit("base")
    # a later commit touches the file holding an old secret: not this range's leak
    repo.write("settings.py", lines_with(f'OLD = "{old}"', "DEBUG = False", filler=10))
    repo.commit("touch")
    token = repo.token()
    repo.write("deploy/env.sh", f"export TOKEN={token}\n")
    leak = repo.commit("leak")
    (repo.path / "deploy/env.sh").unlink()
    repo.commit("oops, delete it")
    # (the configuration, with the test rule, is not committed: --since reads it as of its base otherwise)
    code, found = repo.findings("--since", base, "--worktree-config")
    assert code == 1
    assert [(f["path"], f["line"], f["commit"]["sha"]) for f in found] == [("deploy/env.sh", 1, leak)]
    # --range selects the same commits
    _, ranged = repo.findings("--range", f"{base}..HEAD")
    assert [f["commit"]["sha"] for f in ranged] == [leak]
    # and a range after the leak is clean
    assert repo.findings("--range", f"{leak}..HEAD") == (0, [])


def test_secret_only_on_another_branch(repo: Repo) -> None:
    repo.write("README.md", "hello\n")
    base = repo.commit("base")
    git(repo.path, "checkout", "-q", "-b", "experiment")
    repo.write("exp.py", f'T = "{repo.token()}"\n')
    side = repo.commit("experiment")
    git(repo.path, "checkout", "-q", "main")
    repo.write("README.md", "hello\nworld\n")
    repo.commit("main moves on")
    _, found = repo.findings("--all")
    assert [f["commit"]["sha"] for f in found] == [side]
    assert repo.findings("--since", base) == (0, [])


def conflicting_branches(repo: Repo, *, topic_line: str) -> None:
    repo.write("f.txt", "a\nb\nc\n")
    repo.commit("base")
    git(repo.path, "checkout", "-q", "-b", "topic")
    repo.write("f.txt", f"a\n{topic_line}\nc\n")
    repo.commit("topic")
    git(repo.path, "checkout", "-q", "main")
    repo.write("f.txt", "a\nfrom main\nc\n")
    repo.commit("main")
    with pytest.raises(subprocess.CalledProcessError):
        git(repo.path, "merge", "-q", "topic")


def test_secret_written_in_a_merge_resolution_is_reported_at_the_merge(repo: Repo) -> None:
    conflicting_branches(repo, topic_line="from topic")
    token = repo.token()
    repo.write("f.txt", f"a\nfrom main\nfrom topic\nkey={token}\nc\n")
    merge = repo.commit("merge")
    _, found = repo.findings("--all")
    assert [(f["path"], f["line"], f["commit"]["sha"]) for f in found] == [("f.txt", 4, merge)]


def test_secret_inherited_from_a_parent_is_not_reported_again_at_the_merge(repo: Repo) -> None:
    token = repo.token()
    conflicting_branches(repo, topic_line=f"key={token}")
    topic = git(repo.path, "rev-parse", "topic").strip()
    repo.write("f.txt", f"a\nfrom main\nkey={token}\nc\n")
    repo.commit("merge")
    _, found = repo.findings("--all")
    assert [(f["line"], f["commit"]["sha"]) for f in found] == [(2, topic)]
    # a pull request whose base is main's pre-merge commit sees the topic commit, not the merge
    _, since = repo.findings("--since", "HEAD^1", "--worktree-config")
    assert [f["commit"]["sha"] for f in since] == [topic]


def test_renamed_file_is_not_reported_again(repo: Repo) -> None:
    token = repo.token()
    body = lines_with(f'K = "{token}"', filler=20)
    repo.write("old/name.py", body)
    first = repo.commit("add")
    (repo.path / "new").mkdir()
    git(repo.path, "mv", "old/name.py", "new/name.py")
    repo.write("new/name.py", body.replace("line 3\n", "line three\n"))
    renamed = repo.commit("rename")
    _, found = repo.findings("--all")
    assert [(f["path"], f["commit"]["sha"]) for f in found] == [("old/name.py", first)]
    # scanning only the rename commit: the secret was there before it
    assert repo.findings("--range", f"{first}..{renamed}") == (0, [])


def test_amended_commit(repo: Repo) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write("a.py", f'x = 1\nk = "{repo.token()}"\n')
    repo.commit("leak")
    # amending the secret away: the original commit is no longer reachable from any ref
    repo.write("a.py", "x = 1\nk = load()\n")
    git(repo.path, "commit", "-q", "--amend", "-am", "no leak")
    assert repo.findings("--all") == (0, [])
    token = repo.token()
    repo.write("a.py", f'x = 1\nk = "{token}"\n')
    git(repo.path, "commit", "-q", "--amend", "-am", "leak after all")
    _, found = repo.findings("--all")
    assert [f["commit"]["sha"] for f in found] == [repo.head()]


def test_binary_files_are_skipped(repo: Repo) -> None:
    token = repo.token()
    repo.write("blob.bin", b"\x00\x01" + f"k={token}\n".encode() + b"\x00" * 64)
    repo.write("text.txt", "nothing here\n")
    repo.commit("binary")
    code, found = repo.findings("--all")
    assert (code, found) == (0, [])


def all_rules(repo: Repo, *args: str) -> list[tuple[str, str, int, str]]:
    result = repo.run(*args, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    found = json.loads(result.stdout)["findings"]
    return [(f["rule"], f["path"], f["line"], f.get("commit", {}).get("sha", "")) for f in found]


def test_analyzers_see_whole_files_in_history(repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python:3.11-slim\nRUN pip install app\n")
    repo.commit("base image")
    token = repo.token()
    repo.write("Dockerfile", f"FROM python:3.11-slim\nENV API_TOKEN={token}\nRUN pip install app\n")
    leak = repo.commit("configure")
    repo.write("Dockerfile", "FROM python:3.11-slim\nRUN pip install app\n")
    repo.commit("remove")
    found = all_rules(repo, "--all")
    assert ("docker-env-secret", "Dockerfile", 2, leak) in found
    assert {(path, line, sha) for _, path, line, sha in found} == {("Dockerfile", 2, leak)}


def test_a_new_binary_keystore_is_flagged_by_name(repo: Repo) -> None:
    repo.write("certs/keystore.p12", b"\x30\x82\x00\x01\x00binary keystore")
    sha = repo.commit("keystore")
    repo.write("certs/keystore.p12", b"\x30\x82\x00\x01\x00binary keystore, renewed")
    repo.commit("renew")
    found = all_rules(repo, "--all")
    assert [(rule, path, commit) for rule, path, _, commit in found] == [
        ("sensitive-file-pkcs12", "certs/keystore.p12", sha)
    ]


def test_max_file_size_scans_the_head_and_tail_of_historical_files(repo: Repo) -> None:
    """Like a tree scan: added lines beyond --max-file-size are scanned in their first and last halves (a key
    at the top of a committed dump is found); the middle is not, and the report says a file was cut."""
    top, middle, bottom = repo.token(), repo.token(), repo.token()
    filler = "filler line\n" * 1500
    repo.write("big.txt", f"k = {top}\n{filler}k = {middle}\n{filler}k = {bottom}\n")
    sha = repo.commit("big file")

    def lines(*args: str) -> tuple[list[int], dict[str, Any]]:
        result = repo.run("--all", "--format", "json", *args)
        report = json.loads(result.stdout)
        found = [f for f in report["findings"] if f["rule"] == RULE_ID]
        assert all(f["commit"]["sha"] == sha and f["path"] == "big.txt" for f in found)
        return sorted(f["line"] for f in found), report["stats"]

    whole, stats = lines()
    assert whole == [1, 1502, 3003] and stats["files_truncated"] == 0
    cut, stats = lines("--max-file-size", "10k")
    assert cut == [1, 3003] and stats["files_truncated"] == 1


def test_allow_comment_works_in_git_modes(repo: Repo) -> None:
    repo.write("a.py", f'k = "{repo.token()}"  # check-secrets: allow\n')
    repo.commit("allowed")
    result = repo.run("--all", "--format", "json")
    assert result.returncode == 0, result.output
    report = json.loads(result.stdout)
    assert report["findings"] == []
    assert report["stats"]["findings_suppressed"] >= 1
    repo.write("b.py", f'k = "{repo.token()}"\n')
    git(repo.path, "add", "b.py")
    assert repo.run("--staged").returncode == 1


def test_configuration_applies_in_git_modes(repo: Repo) -> None:
    repo.write("vendor/lib.py", f'k = "{repo.token()}"\n')
    repo.commit("vendored")
    assert repo.run("--all").returncode == 1
    assert repo.run("--all", "--exclude", "vendor/**").returncode == 0
    assert repo.run("--all", "--disable", RULE_ID).returncode == 0


def test_changed_files_left_out_by_exclude_are_counted_not_called_skipped(repo: Repo) -> None:
    repo.write("vendor/lib.py", f'k = "{repo.token()}"\n')
    repo.write("app.py", "print('hello')\n")
    repo.commit("vendored")
    repo.write("vendor/lib.py", "k = 'gone'\n")
    repo.commit("vendored again")

    def stats(*args: str) -> dict[str, Any]:
        result = repo.run("--all", "--format", "json", *args)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)["stats"]
        assert isinstance(data, dict)
        return data

    excluded = stats("--exclude", "vendor/**")
    # each time a commit changes an excluded file: twice here; not "skipped" (binary, unreadable, special)
    assert (excluded["paths_excluded"], excluded["files_skipped"], excluded["files_scanned"]) == (2, 0, 1)
    text = repo.run("--all", "--exclude", "vendor/**").stdout.strip().splitlines()[-1]
    assert text.endswith(", 2 excluded by exclude globs)"), text
    everything = stats("--exclude", "*")
    assert (everything["paths_excluded"], everything["files_scanned"]) == (3, 0)


def test_baseline_from_a_scan_survives_a_line_move_in_git_mode(repo: Repo) -> None:
    token = repo.token()
    repo.write("app.py", lines_with(f'K = "{token}"', filler=3))
    repo.commit("known secret")
    baseline = repo.path.parent / "baseline.json"
    env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
    created = run_cli("check-secrets", "baseline", "create", "-o", str(baseline), ".", cwd=repo.path, env=env)
    assert created.returncode == 0, created.output
    assert_no_leak(baseline.read_text(), repo.tokens, where="baseline")
    base = repo.head()
    # move the line: the secret is now on an added line of a new commit
    repo.write("app.py", "\n".join(["# header", "# more", f'K = "{token}"', "line 0", "line 1"]) + "\n")
    repo.commit("move it")
    assert repo.run("--since", base, "--worktree-config").returncode == 1
    result = repo.run("--since", base, "--worktree-config", "--baseline", str(baseline), "--format", "json")
    assert result.returncode == 0, result.output
    assert json.loads(result.stdout)["stats"]["findings_baselined"] == 1
    # a new secret is still reported through the same baseline
    repo.write("other.py", f'X = "{repo.token()}"\n')
    repo.commit("new one")
    assert repo.run("--since", base, "--worktree-config", "--baseline", str(baseline)).returncode == 1


def test_sarif_and_text_reports_carry_the_commit(repo: Repo) -> None:
    repo.write("a.py", f'k = "{repo.token()}"\n')
    sha = repo.commit("leak")
    sarif = repo.run("--all", "--format", "sarif")
    assert sarif.returncode == 1
    [result] = json.loads(sarif.stdout)["runs"][0]["results"]
    assert result["properties"]["commit"]["sha"] == sha
    text = repo.run("--all", "--no-color")
    assert text.returncode == 1
    assert sha[:12] in text.stdout


def test_subfolder_path_argument(repo: Repo) -> None:
    repo.write("sub/a.py", f'k = "{repo.token()}"\n')
    repo.commit("leak")
    result = repo.run("--all", ".", cwd=repo.path / "sub")
    assert result.returncode == 1
    result = repo.run("--all", str(repo.path / "sub"), cwd=repo.path.parent)
    assert result.returncode == 1


def test_a_bare_mirror_is_scanned_with_every_ref_and_has_nothing_staged(repo: Repo, tmp_path: Path) -> None:
    # An audit keeps a `git clone --mirror`: no work tree, and refs a plain clone leaves out (pull requests)
    repo.write("a.txt", "x\n")
    repo.commit("base")
    git(repo.path, "checkout", "-q", "-b", "topic")
    repo.write("app.py", f'k = "{repo.token()}"\n')
    leak = repo.commit("leak on a pull request's branch")
    git(repo.path, "checkout", "-q", "main")
    git(repo.path, "update-ref", "refs/pull/7/head", leak)
    git(repo.path, "branch", "-q", "-D", "topic")  # only the pull request ref holds the commit now
    mirror = tmp_path / "audit.git"
    git(tmp_path, "clone", "-q", "--mirror", f"file://{repo.path}", str(mirror))
    (mirror / ".check-secrets.toml").write_text(CONFIG, encoding="utf-8")  # the test rule, at the root
    code, found = repo.findings("--all", str(mirror))
    assert code == 1 and [(f["path"], f["commit"]["sha"]) for f in found] == [("app.py", leak)]
    result = repo.run("--staged", str(mirror))
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0, result.stderr
    assert "bare repository" in result.stderr


# ----------------------------------------------------------------------------------------------- errors


def test_not_a_repository_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run_cli("check-secrets", "git", "--all", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "not a git repository" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "no-such-branch"), "unknown git revision"),
        (("--range", "main..nope"), "unknown git revision"),
        (("--range", "main"), "--range expects A..B"),
        (("--since", "--output=x"), "expected one argument"),
        ((), "one of the arguments"),
        (("--all", "--staged"), "not allowed with"),
    ],
    ids=["unknown-since", "unknown-range-end", "range-not-a-range", "option-as-ref", "no-mode", "two-modes"],
)
def test_bad_arguments_are_one_line_exit_2(repo: Repo, args: tuple[str, ...], message: str) -> None:
    repo.write("a.txt", "x\n")
    repo.commit("base")
    result = repo.run(*args)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert message in result.stderr


def test_unknown_base_in_a_shallow_clone_hints_at_fetching_history(repo: Repo, tmp_path: Path) -> None:
    for i in range(3):
        repo.write("a.txt", f"{i}\n")
        repo.commit(f"c{i}")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow))
    result = run_cli("check-secrets", "git", "--since", "HEAD~2", cwd=shallow)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "shallow clone" in result.stderr and "fetch-depth: 0" in result.stderr


def test_since_in_a_repository_without_commits(repo: Repo) -> None:
    result = repo.run("--since", "main")
    assert result.returncode == 2
    assert "unknown git revision" in result.stderr


def test_progress_only_when_asked_or_on_a_terminal(repo: Repo) -> None:
    repo.write("a.txt", "x\n")
    repo.commit("base")
    quiet = repo.run("--all")
    assert quiet.returncode == 0
    assert "commit" not in quiet.stderr  # stderr is a pipe here: no progress line
    shown = repo.run("--all", "--progress")
    assert "1 commit" in shown.stderr

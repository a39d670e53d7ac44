"""Where the configuration of a pull-request scan comes from: ``git --since BASE`` and ``--config-ref REV``
read it (and a ``--baseline`` file of the repository) as of a git revision, never from the pull request's
working tree, so a pull request cannot allow-list the secret it adds.

Real repositories in temp folders, the real console script; the secrets are GitHub tokens generated per
test (a built-in rule: the configuration under test is exactly what must not decide whether they are found).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from tests.conftest import CliResult, assert_no_leak, git, run_cli


def _github_token() -> str:
    return "ghp_" + secrets.token_hex(18)


class PullRequest:
    """A repository whose ``main`` is the base and whose ``pr`` branch (checked out) holds the changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tokens: list[str] = []
        git(path, "config", "user.name", "Test Author")
        git(path, "config", "user.email", "author@example.test")

    def token(self) -> str:
        value = _github_token()
        self.tokens.append(value)
        return value

    def write(self, rel: str, text: str) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def commit(self, message: str) -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.path, "rev-parse", "HEAD").strip()

    def branch(self) -> None:
        git(self.path, "checkout", "-q", "-b", "pr")

    def run(self, *args: str, cwd: Path | None = None) -> CliResult:
        result = run_cli("check-secrets", *args, cwd=cwd or self.path)
        assert_no_leak(result.output, self.tokens)
        assert "Traceback" not in result.output
        return result

    def paths(self, *args: str) -> tuple[int, list[str], str]:
        """(exit code, paths of the findings, stderr) of a JSON run."""
        result = self.run(*args, "--format", "json")
        assert result.returncode in (0, 1), result.output
        return (
            result.returncode,
            sorted(f["path"] for f in json.loads(result.stdout)["findings"]),
            result.stderr,
        )


@pytest.fixture
def pr(git_repo: Path) -> PullRequest:
    repo = PullRequest(git_repo)
    repo.write("README.md", "hello\n")
    repo.commit("base")
    return repo


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


# Each way a pull request's .check-secrets.toml could hide the token it adds in leak/key.py.
WEAKENINGS = {
    "allow-paths": ('allow-paths = ["**"]\n', "allow-paths: 1 glob more"),
    "exclude": ('exclude = ["leak/"]\n', "exclude: 1 glob more"),
    "disable": ('disable = ["github-pat-classic"]\n', "disables github-pat-classic"),
    "enable": ('enable = ["aws-access-key-id"]\n', "enable: only 1 rule run"),
}


@pytest.mark.parametrize("key", list(WEAKENINGS), ids=str)
def test_a_pull_request_cannot_allow_list_the_secret_it_adds(pr: PullRequest, key: str) -> None:
    config, phrase = WEAKENINGS[key]
    pr.branch()
    pr.write("leak/key.py", f"{pr.token()}\n")  # (not an assignment: only github-pat-classic finds it)
    pr.write(".check-secrets.toml", config)
    pr.commit("add a token, and a configuration that hides it")
    # the pull request's configuration does hide it when trusted ...
    code, found, stderr = pr.paths("git", "--since", "main", "--worktree-config")
    assert (code, found) == (0, [])
    assert phrase in one_line(stderr) and "warning" in stderr
    # ... but --since reads the configuration as of its base (here: none, the defaults)
    code, found, stderr = pr.paths("git", "--since", "main")
    assert (code, found) == (1, ["leak/key.py"])
    line = one_line(stderr)
    assert "warning" in line and phrase in line and "not used" in line and "main" in line


def test_an_allow_values_regex_holding_the_secret_is_never_shown(pr: PullRequest) -> None:
    pr.branch()
    token = pr.token()
    pr.write("app.py", f'TOKEN = "{token}"\n')
    # the regex is the secret itself: the warning counts regexes, never quotes them (run() checks)
    pr.write("pyproject.toml", f"[tool.check-secrets]\nallow-values = ['^{token}$']\n")
    pr.commit("token allow-listed by value")
    code, found, stderr = pr.paths("git", "--since", "main")
    assert (code, found) == (1, ["app.py"])
    assert "allow-values: 1 regex more" in one_line(stderr)


def test_a_baseline_added_by_the_pull_request_does_not_accept_its_secret(pr: PullRequest) -> None:
    pr.branch()
    pr.write("app.py", f'TOKEN = "{pr.token()}"\n')
    created = pr.run("baseline", "create", "-o", "baseline.json", ".")
    assert created.returncode == 0, created.output
    pr.commit("token, accepted by a new baseline")
    code, found, stderr = pr.paths(
        "git", "--since", "main", "--worktree-config", "--baseline", "baseline.json"
    )
    assert (code, found) == (0, [])
    code, found, stderr = pr.paths("git", "--since", "main", "--baseline", "baseline.json")
    assert (code, found) == (1, ["app.py"])
    assert "main:baseline.json does not exist" in one_line(stderr)


def test_a_baseline_of_the_base_branch_is_honoured(pr: PullRequest) -> None:
    token = pr.token()
    pr.write("app.py", f'TOKEN = "{token}"\n')
    created = pr.run("baseline", "create", "-o", "baseline.json", ".")
    assert created.returncode == 0, created.output
    (pr.path / "app.py").unlink()
    pr.commit("accept a known (test) token")
    pr.branch()
    pr.write("app.py", f'TOKEN = "{token}"\n')
    pr.commit("the accepted token comes in")
    assert pr.paths("git", "--since", "main", "--baseline", "baseline.json")[:2] == (0, [])
    assert pr.paths("git", "--since", "main")[:2] == (1, ["app.py"])


def test_a_configuration_change_landed_on_the_base_branch_is_honoured(pr: PullRequest) -> None:
    pr.write(".check-secrets.toml", 'allow-paths = ["fixtures/**"]\n')
    pr.commit("fixtures hold fake tokens")
    pr.branch()
    pr.write("fixtures/fake.py", f'TOKEN = "{pr.token()}"\n')
    pr.write("src/app.py", f'TOKEN = "{pr.token()}"\n')
    pr.commit("a fixture, and a real leak")
    code, found, stderr = pr.paths("git", "--since", "main")
    assert (code, found) == (1, ["src/app.py"])
    assert stderr.strip() == ""  # the working tree's configuration is the base's: nothing to say
    # the pull request tightening it: a note (not used until merged), and the base's is what runs
    pr.write(".check-secrets.toml", "")
    pr.commit("no more allow-listed fixtures")
    code, found, stderr = pr.paths("git", "--since", "main")
    assert (code, found) == (1, ["src/app.py"])
    line = one_line(stderr)
    assert line.startswith("check-secrets: note:") and "differs" in line


def test_fail_on_raised_by_the_pull_request_is_named(pr: PullRequest) -> None:
    pr.write(".check-secrets.toml", 'fail-on = "warning"\n')
    pr.commit("warnings fail too")
    pr.branch()
    pr.write(".check-secrets.toml", 'fail-on = "error"\n')
    pr.commit("only errors")
    result = pr.run("git", "--since", "main")
    assert result.returncode == 0, result.output
    assert "fail-on: error instead of warning" in one_line(result.stderr)


def test_a_broken_configuration_in_the_pull_request_does_not_stop_the_scan(pr: PullRequest) -> None:
    pr.branch()
    pr.write("app.py", f'TOKEN = "{pr.token()}"\n')
    pr.write(".check-secrets.toml", "allow-paths = [\n")
    pr.commit("broken configuration")
    code, found, stderr = pr.paths("git", "--since", "main")
    assert (code, found) == (1, ["app.py"])
    assert "does not load" in one_line(stderr)


def test_a_broken_configuration_at_the_base_is_a_one_line_error(pr: PullRequest) -> None:
    pr.write(".check-secrets.toml", "no-such-key = 1\n")
    pr.commit("typo")
    pr.branch()
    pr.write(".check-secrets.toml", "")
    pr.commit("fix the typo")
    result = pr.run("git", "--since", "main")
    assert result.returncode == 2
    assert "main:.check-secrets.toml: no-such-key: unknown key" in one_line(result.stderr)
    assert pr.run("git", "--since", "main", "--worktree-config").returncode == 0


# ------------------------------------------------------------------------------------- --config-ref REV


def test_scan_with_config_ref_ignores_the_working_tree_configuration(pr: PullRequest) -> None:
    pr.write("sub/.check-secrets.toml", 'allow-paths = ["vendor/**"]\n')
    pr.commit("vendored code is not ours")
    pr.branch()
    pr.write("sub/vendor/lib.py", f'TOKEN = "{pr.token()}"\n')
    pr.write("sub/src/app.py", f'TOKEN = "{pr.token()}"\n')
    pr.write("sub/.check-secrets.toml", 'allow-paths = ["vendor/**", "src/**"]\n')
    assert pr.paths("scan", "sub")[:2] == (0, [])
    # the configuration is looked up at the scanned folder's place in the repository, as of main
    code, found, stderr = pr.paths("scan", "sub", "--config-ref", "main")
    assert (code, found) == (1, ["src/app.py"])
    assert "allow-paths: 1 glob more" in one_line(stderr) and "--config-ref main" in stderr


def test_config_ref_reads_an_explicit_config_file_of_the_repository_at_the_revision(pr: PullRequest) -> None:
    pr.write("ci/secrets.toml", 'disable = ["generic-password"]\n')
    pr.commit("CI configuration")
    pr.branch()
    pr.write("app.py", f"{pr.token()}\n")
    pr.write("ci/secrets.toml", 'disable = ["generic-password", "github-pat-classic"]\n')
    pr.commit("token, and its rule disabled")
    assert pr.paths("git", "--all", "--config", "ci/secrets.toml")[:2] == (0, [])
    code, found, stderr = pr.paths("git", "--all", "--config", "ci/secrets.toml", "--config-ref", "main")
    assert (code, found) == (1, ["app.py"])
    assert "disables github-pat-classic" in one_line(stderr)
    # a --config FILE that the revision does not have is an error, not the defaults
    result = pr.run("git", "--all", "--config", "ci/other.toml", "--config-ref", "main")
    assert result.returncode == 2
    assert "main:ci/other.toml: configuration file not found" in one_line(result.stderr)


def test_config_ref_equal_to_the_working_tree_is_quiet(pr: PullRequest) -> None:
    before = pr.commit("nothing configured yet")
    pr.write(".check-secrets.toml", 'exclude = ["docs/**"]\n')
    pr.write("docs/example.md", f"token: {pr.token()}\n")
    pr.commit("configured, and an example token in the docs")
    result = pr.run("scan", ".", "--config-ref", "HEAD")
    assert result.returncode == 0, result.output
    assert result.stderr.strip() == ""
    result = pr.run("scan", ".", "--config-ref", before)
    assert result.returncode == 1, result.output
    assert "exclude: 1 glob more" in one_line(result.stderr)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("scan", ".", "--config-ref", "no-such-branch"),
            "--config-ref: unknown git revision: no-such-branch",
        ),
        (("git", "--all", "--config-ref", "no-such-branch"), "--config-ref: unknown git revision"),
        (("git", "--since", "no-such-branch"), "--since: unknown git revision: no-such-branch"),
        (("scan", ".", "--config-ref=--output=x"), "not a valid git revision"),
        (("scan", ".", "--config-ref", "main\x1b[2J"), "not a valid git revision"),
        (("git", "--all", "--config-ref", "main", "--worktree-config"), "exclude each other"),
    ],
    ids=["scan", "git", "since", "option-as-ref", "escape", "both"],
)
def test_a_bad_revision_is_a_one_line_error(pr: PullRequest, args: tuple[str, ...], message: str) -> None:
    result = pr.run(*args)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith("check-secrets: error:") and message in line
    assert "\x1b" not in line


def test_config_ref_outside_a_repository_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_cli("check-secrets", "scan", ".", "--config-ref", "main", cwd=tmp_path)
    assert result.returncode == 2
    assert "--config-ref needs a git repository" in one_line(result.stderr)


def test_a_symbolic_link_at_the_revision_is_not_followed(pr: PullRequest) -> None:
    pr.write("real.toml", 'allow-paths = ["**"]\n')
    (pr.path / ".check-secrets.toml").symlink_to("real.toml")
    pr.commit("configuration through a link")
    result = pr.run("scan", ".", "--config-ref", "HEAD")
    assert result.returncode == 2
    assert "HEAD:.check-secrets.toml: configuration file is not a regular file" in one_line(result.stderr)


def test_a_config_file_outside_the_repository_is_read_from_disk(pr: PullRequest, tmp_path: Path) -> None:
    # a file the CI provides is not part of the scanned tree: --config-ref does not look for it in git
    provided = tmp_path / "ci-provided.toml"
    provided.write_text('allow-paths = ["fixtures/**"]\n', encoding="utf-8")
    pr.write("pyproject.toml", "[project]\nname = 'x'\n")  # no [tool.check-secrets]: no configuration
    pr.commit("a pyproject without a table")
    pr.branch()
    pr.write("fixtures/fake.py", f"{pr.token()}\n")
    pr.commit("a fixture")
    assert pr.paths("git", "--since", "main")[:2] == (1, ["fixtures/fake.py"])
    code, found, stderr = pr.paths("git", "--since", "main", "--config", str(provided))
    assert (code, found, stderr.strip()) == (0, [], "")

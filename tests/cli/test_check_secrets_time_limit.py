"""``check-secrets git --time-limit SECONDS``: a scan that reaches its limit stops, reports what it found,
counts the commits it did not scan in every format, and exits 2 — never 0 ("clean") about commits nobody
read.

The limit is counted from the program's start, so a limit of a microsecond has always passed when the scan
begins: those runs are deterministic, as is the engine-level test where the clock jumps past the deadline
right after the first secret is found.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from autoaudit_secrets.scan._config import load_config
from autoaudit_secrets.scan._model import Finding, ScanConfig
from autoaudit_secrets.scan.engine._scanner import Scanner
from autoaudit_secrets.scan.report import SCHEMA_PATH
from autoaudit_secrets.scan.sources import _git
from autoaudit_secrets.scan.sources._git import GitMode, GitSelection, HistoryOptions, HistoryScan
from tests.cli.test_check_secrets_git import RULE_ID, Repo
from tests.conftest import DATA_DIR, fast_import_history, git

_TINY = "0.000001"  # always over by the time git is asked anything


@pytest.fixture
def repo(git_repo: Path) -> Repo:
    return Repo(git_repo)


def _history(repo: Repo, commits: int, tokens: dict[int, str]) -> int:
    """``commits`` commits written with fast-import, one file each; commit ``n`` in ``tokens`` adds that
    token. Returns how many commits the history has."""
    fast_import_history(
        repo.path,
        commits,
        lambda n: f"value = {n}\n" + (f"key = {tokens[n]}\n" if n in tokens else ""),
        lambda n: f"f{n}.txt",
    )
    return int(git(repo.path, "rev-list", "--all", "--count"))


def _json(result: Any) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_a_scan_stopped_by_the_limit_exits_2_and_counts_the_commits_not_scanned(repo: Repo) -> None:
    total = _history(repo, 40, {5: repo.token()})
    result = repo.run("--all", "--time-limit", _TINY, "--format", "json")
    assert result.returncode == 2, result.stderr
    report = _json(result)
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(report)
    assert report["stats"]["commits_unscanned"] == total == 40
    assert report["findings"] == []  # nothing was read: nothing found, and not "clean" either
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "check-secrets: error: --time-limit of 1e-06 s reached: 40 commits not scanned; "
        "run again with a larger --time-limit, or without one"
    )


def test_the_text_sarif_and_junit_reports_say_so_too(repo: Repo) -> None:
    _history(repo, 12, {})
    text = repo.run("--all", "--time-limit", _TINY)
    assert text.returncode == 2
    assert "12 commits not scanned (--time-limit reached)" in text.stdout
    assert "no findings" in text.stdout  # (of what was read: the same line says what was not)
    sarif = repo.run("--all", "--time-limit", _TINY, "--format", "sarif")
    assert sarif.returncode == 2
    log = _json(sarif)
    sarif_schema = json.loads((DATA_DIR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    run = log["runs"][0]
    assert run["properties"]["commitsUnscanned"] == 12
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "12 commit(s) not scanned" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    junit = repo.run("--all", "--time-limit", _TINY, "--format", "junit")
    assert junit.returncode == 2 and "12 commits not scanned" in junit.stdout


def test_a_limit_not_reached_changes_nothing(repo: Repo) -> None:
    _history(repo, 30, {3: repo.token(), 29: repo.token()})
    unlimited = repo.run("--all", "--format", "json")
    limited = repo.run("--all", "--format", "json", "--time-limit", "600")
    assert unlimited.returncode == limited.returncode == 1
    first, second = _json(unlimited), _json(limited)
    assert second["stats"]["commits_unscanned"] == first["stats"]["commits_unscanned"] == 0
    assert second["findings"] == first["findings"]
    assert len([f for f in first["findings"] if f["rule"] == RULE_ID]) == 2
    sarif = _json(repo.run("--all", "--format", "sarif", "--time-limit", "600"))
    assert "invocations" not in sarif["runs"][0]


def test_the_staged_changes_not_scanned_count_as_one(repo: Repo) -> None:
    repo.write("a.py", f"key = '{repo.token()}'\n")
    git(repo.path, "add", "a.py")
    result = repo.run("--staged", "--time-limit", _TINY, "--format", "json")
    assert result.returncode == 2
    assert _json(result)["stats"]["commits_unscanned"] == 1
    assert "1 commit not scanned" in result.stderr


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon", "1e9"])
def test_a_bad_limit_is_a_one_line_usage_error(repo: Repo, value: str) -> None:
    _history(repo, 2, {})
    result = repo.run("--all", "--time-limit", value)
    assert result.returncode == 2
    assert "--time-limit" in result.stderr and len(result.stderr.strip().splitlines()) <= 2


class _Clock:
    """``time`` as the history scan sees it, whose monotonic clock jumps an hour ahead once told to."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def test_the_findings_before_the_stop_are_kept_and_the_rest_counted(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, last = repo.token(), repo.token()
    total = _history(repo, 300, {2: first, 299: last})
    clock = _Clock()
    monkeypatch.setattr(_git, "time", clock)
    scanner = Scanner(load_config(repo.path))  # (with the test token's rule)
    real_scan_lines = scanner.scan_lines

    def scan_lines(*args: Any, **kwargs: Any) -> list[Finding]:
        found = real_scan_lines(*args, **kwargs)
        if any(f.rule_id == RULE_ID for f in found):
            clock.ahead = 3600.0  # the deadline passes right after the first secret is found
        return found

    monkeypatch.setattr(scanner, "scan_lines", scan_lines)
    settings = HistoryOptions(deadline=time.monotonic() + 600)
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=1) as history:
        findings, stats = history.run(scanner, settings)
    ours = [f for f in findings if f.rule_id == RULE_ID]
    assert [f.path for f in ours] == ["f2.txt"]  # the first secret, not the one of the last commit
    # the commits of the first window (48 files) were scanned whole, the rest were not
    assert 0 < stats.commits_unscanned < total
    assert stats.commits_unscanned >= total - 48 - 3


def test_worker_processes_that_start_after_the_deadline_count_their_commits(repo: Repo) -> None:
    total = _history(repo, 60, {10: repo.token()})
    settings = HistoryOptions(deadline=time.monotonic() - 1)  # already passed
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=3, min_part=5) as history:
        assert len(history.parts) > 1
        findings, stats = history.run(Scanner(ScanConfig()), settings)
    assert findings == [] and stats.commits_unscanned == total

"""Text files that git calls binary, in ``check-secrets git``: UTF-16 and UTF-32 text (NUL bytes; a tree scan
reads them by their byte-order mark) and text files that the repository's ``.gitattributes`` marks binary.
git writes no patch for them; the history and pre-commit scans read them as the tree scan does, with the same
lines and columns.

Real repositories in temp folders; tokens are random per test and never appear in any output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_check_secrets_git import RULE_ID, Repo
from tests.conftest import git, run_cli

ENCODINGS = ["utf-16", "utf-16-be", "utf-32"]  # "utf-16" and "utf-32" write a little-endian BOM


@pytest.fixture
def repo(git_repo: Path) -> Repo:
    return Repo(git_repo)


def _encode(text: str, encoding: str) -> bytes:
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # the -be codec writes no BOM
    return data


def _tokens(repo: Repo, *args: str) -> list[dict[str, Any]]:
    return repo.findings(*args)[1]


def _script(lines: list[str]) -> str:
    return "".join(f"{line}\r\n" for line in lines)  # as Windows tools write it


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_staged_unicode_file_is_scanned_like_the_tree(repo: Repo, encoding: str) -> None:
    token = repo.token()
    repo.write(
        "deploy.ps1",
        _encode(_script(["# deploy", "$ErrorActionPreference = 'Stop'", f'$Key = "{token}"']), encoding),
    )
    git(repo.path, "add", "deploy.ps1")
    [staged] = _tokens(repo, "--staged")
    assert (staged["path"], staged["line"]) == ("deploy.ps1", 3)
    tree = run_cli("check-secrets", "scan", ".", "--format", "json", cwd=repo.path)
    [in_tree] = [f for f in json.loads(tree.stdout)["findings"] if f["path"] == "deploy.ps1"]
    assert in_tree["rule"] == RULE_ID
    assert (in_tree["line"], in_tree["column"]) == (staged["line"], staged["column"])


def test_history_reports_each_secret_at_the_commit_that_added_it(repo: Repo) -> None:
    first, second = repo.token(), repo.token()
    lines = ["# settings", f'$First = "{first}"', "$Region = 'eu-west-1'"]
    repo.write("settings.ps1", _encode(_script(lines), "utf-16"))
    added_first = repo.commit("settings")
    lines.insert(2, f'$Second = "{second}"')
    lines[0] = "# settings, edited"
    repo.write("settings.ps1", _encode(_script(lines), "utf-16"))
    added_second = repo.commit("a second key")
    findings = _tokens(repo, "--all")
    assert sorted((f["line"], f["commit"]["sha"]) for f in findings) == [(2, added_first), (3, added_second)]
    # the second commit changed line 1 too, without a token: nothing else, and the first key is not
    # reported again at the second commit
    assert len(findings) == 2


def test_lines_removed_or_kept_give_no_new_finding(repo: Repo) -> None:
    token = repo.token()
    lines = ["# old", f'$Key = "{token}"', "$Other = 1"]
    repo.write("a.ps1", _encode(_script(lines), "utf-16"))
    added = repo.commit("key")
    repo.write("a.ps1", _encode(_script(["# new header", *lines[1:]]), "utf-16"))
    repo.commit("header only")
    repo.write("a.ps1", _encode(_script(lines[:1]), "utf-16"))
    repo.commit("key removed")
    [finding] = _tokens(repo, "--all")
    assert finding["commit"]["sha"] == added


def test_real_binary_files_stay_unread(repo: Repo) -> None:
    """A file with NUL bytes and no byte-order mark is binary to both scans: a token in it is not reported
    (as by the tree scan), and the run counts it as skipped."""
    token = repo.token()
    repo.write(
        "logo.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + f' key = "{token}" '.encode() + b"\x00" * 64
    )
    repo.commit("binary")
    assert _tokens(repo, "--all") == []
    result = repo.run("--all", "--no-color")
    assert "1 skipped" in result.stdout


def test_unicode_file_over_the_size_limit_is_counted_as_skipped(repo: Repo) -> None:
    token = repo.token()
    filler = [f"# line {n} of a long script" for n in range(100)]
    repo.write("big.ps1", _encode(_script([*filler, f'$Key = "{token}"']), "utf-16"))
    repo.commit("big")
    result = repo.run("--all", "--no-color", "--max-file-size", "2k")
    assert result.returncode == 0
    assert "1 skipped" in result.stdout
    assert [f["line"] for f in _tokens(repo, "--all")] == [101]


def test_evil_merge_line_in_a_unicode_file_is_found(repo: Repo) -> None:
    base = ["# base", "$A = 1", "$B = 2"]
    repo.write("m.ps1", _encode(_script(base), "utf-16"))
    repo.commit("base")
    git(repo.path, "checkout", "-q", "-b", "side")
    repo.write("m.ps1", _encode(_script([*base, "$C = 3"]), "utf-16"))
    repo.commit("side")
    git(repo.path, "checkout", "-q", "-")
    repo.write("m.ps1", _encode(_script(["# base, main", *base[1:]]), "utf-16"))
    repo.commit("main")
    git(repo.path, "merge", "-q", "--no-commit", "-s", "ours", "side")
    token = repo.token()
    repo.write(
        "m.ps1", _encode(_script(["# base, main", *base[1:], "$C = 3", f'$Key = "{token}"']), "utf-16")
    )
    merge = repo.commit("merge with a line of its own")
    [finding] = _tokens(repo, "--all")
    assert (finding["line"], finding["commit"]["sha"]) == (5, merge)


@pytest.mark.parametrize("name", ["tool", "bin/runner", "logo.PNG", "app.exe", "store.p12"])
def test_binary_formats_by_name_are_not_read_for_a_bom(repo: Repo, name: str) -> None:
    """git's binary files named as a binary format, or with no extension at all (executables), are not
    read looking for UTF-16 text: their content is not a text file's whatever it begins with."""
    token = repo.token()
    repo.write(name, _encode(_script([f'key = "{token}"']), "utf-16"))
    repo.commit("binary by name")
    assert _tokens(repo, "--all") == []


@pytest.mark.parametrize("name", [".env", "settings.reg", "export.CSV", "dir.with.dots/app.config"])
def test_names_of_text_formats_are_read(repo: Repo, name: str) -> None:
    token = repo.token()
    repo.write(name, _encode(_script(["# header", f'key = "{token}"']), "utf-16"))
    repo.commit("text by name")
    [finding] = _tokens(repo, "--all")
    assert (finding["path"], finding["line"]) == (name, 2)


ATTRIBUTES = "*.env -diff\nsecrets.txt binary\ndeploy_key -diff\nnotes.png -diff\n"


@pytest.mark.parametrize("name", ["prod.env", "secrets.txt", "deploy_key", "notes.png"])
def test_text_marked_binary_by_the_repository_is_scanned(repo: Repo, name: str) -> None:
    """The repository's attributes make these text files binary to git, whatever their name (an
    extensionless one, a binary format's extension): they are read all the same."""
    repo.write(".gitattributes", ATTRIBUTES)
    repo.commit("attributes")
    token = repo.token()
    repo.write(name, f"# {name}\nvalue = 1\n")
    repo.commit("first version")
    repo.write(name, f"# {name}\nvalue = 1\nkey = {token}\n")
    added = repo.commit("a key")
    [finding] = _tokens(repo, "--all")
    assert (finding["path"], finding["line"], finding["commit"]["sha"]) == (name, 3, added)


def test_staged_text_marked_binary_is_scanned(repo: Repo) -> None:
    repo.write(".gitattributes", ATTRIBUTES)
    repo.commit("attributes")
    token = repo.token()
    repo.write("notes.txt.env", f"# notes\nkey = {token}\n")
    git(repo.path, "add", "notes.txt.env")
    [finding] = _tokens(repo, "--staged")
    assert (finding["path"], finding["line"]) == ("notes.txt.env", 2)

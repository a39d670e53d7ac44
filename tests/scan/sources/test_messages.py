"""Commit and annotated tag messages in history scans (``check-secrets git``, sources/_messages.py).

Real repositories in temp folders, the real console script (``Repo.run``: every output is checked for the
planted tokens), and the history scan's API where the ``--jobs`` parts or a baseline need it. Tokens follow a
made-up format (the ``zz-test-token`` rule of the repositories' configuration) and are random per test.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from autoaudit_secrets._errors import ScanError
from autoaudit_secrets.scan._baseline import create_baseline
from autoaudit_secrets.scan._fingerprint import FingerprintCache
from autoaudit_secrets.scan._model import Finding, Rule, ScanConfig
from autoaudit_secrets.scan.engine._scanner import Scanner
from autoaudit_secrets.scan.report import SCHEMA_PATH
from autoaudit_secrets.scan.sources._git import GitMode, GitSelection, HistoryOptions, HistoryScan
from autoaudit_secrets.scan.sources._messages import MessageReader, TagPlan, TagRef, parse_object
from tests.cli.test_check_secrets_git import RULE_ID, Repo
from tests.conftest import DATA_DIR, assert_no_leak, git, run_cli

TEST_RULE = Rule(
    id=RULE_ID,
    name="Test token",
    description="A made-up token format used by the git-mode tests.",
    remediation="Remove it.",
    pattern="zzt_[a-f0-9]{32}",
    keywords=("zzt_",),
)


@pytest.fixture
def repo(git_repo: Path) -> Repo:
    return Repo(git_repo)


def _findings(repo: Repo, *args: str) -> list[dict[str, Any]]:
    result = repo.run(*args, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["rule"] == RULE_ID]


def _places(found: list[dict[str, Any]]) -> list[tuple[str, str, str, int]]:
    """(path, kind of message or "", its sha or the commit's, line) per finding."""
    out = []
    for f in found:
        message = f.get("git_message")
        if message is None:
            out.append((f["path"], "", f["commit"]["sha"], f["line"]))
        else:
            out.append((f["path"], message["kind"], message["sha"], f["line"]))
    return out


def _tag(repo: Repo, name: str, message: str, target: str = "HEAD") -> str:
    git(repo.path, "tag", "-a", name, "-m", message, target)
    return git(repo.path, "rev-parse", name).strip()


def _api_scan(root: Path, selection: GitSelection, *, jobs: int = 1, min_part: int = 400) -> list[Finding]:
    with HistoryScan(root, selection, jobs=jobs, min_part=min_part) as history:
        findings, _ = history.run(Scanner(ScanConfig(extra_rules=(TEST_RULE,))), HistoryOptions())
    return [f for f in findings if f.rule_id == RULE_ID]


# ------------------------------------------------------------------------------------------ commit messages


def test_tokens_in_a_subject_and_in_a_body_are_reported_in_their_messages(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    subject_token, body_token = repo.token(), repo.token()
    first = repo.commit(f"fix: rotate the key, the old one was {subject_token}")
    repo.write("a.txt", "b\n")
    second = repo.commit(f"second\n\nThe deploy used\n  {body_token} until today\n")
    found = sorted(_findings(repo, "--all"), key=lambda f: f["line"])
    assert _places(found) == [("", "commit", first, 1), ("", "commit", second, 4)]
    assert found[0]["column"] == len("fix: rotate the key, the old one was ") + 1
    assert found[1]["column"] == 3
    assert found[0]["commit"]["sha"] == first and found[1]["commit"]["sha"] == second
    dates = git(repo.path, "log", "--format=%ae %aI", "--reverse").split("\n")
    assert [f"{f['commit']['author_email']} {f['commit']['date']}" for f in found] == dates[:2]
    text = repo.run("--all").stdout
    assert f"commit message of {first[:12]}, line 1, column 38: error [{RULE_ID}]" in text
    assert f"commit message of {second[:12]}, line 4, column 3: error [{RULE_ID}]" in text


def test_messages_of_empty_commits_and_merges_that_change_nothing_are_read(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("base")
    empty_token, merge_token, edit_token = repo.token(), repo.token(), repo.token()
    empty = repo.commit(f"empty {empty_token}")  # (--allow-empty: no patch at all)
    git(repo.path, "checkout", "-q", "-b", "feature")
    repo.write("b.txt", "b\n")
    repo.commit("feature")
    git(repo.path, "checkout", "-q", "main")
    repo.write("c.txt", "c\n")
    repo.commit("main side")
    git(repo.path, "merge", "-q", "--no-ff", "feature", "-m", f"Merge feature\n\nwith {merge_token}")
    quiet_merge = repo.head()
    git(repo.path, "checkout", "-q", "-b", "other", "HEAD~1")
    repo.write("d.txt", "d\n")
    repo.commit("other")
    git(repo.path, "checkout", "-q", "main")
    git(repo.path, "merge", "-q", "--no-ff", "--no-commit", "other")
    repo.write("c.txt", "c, edited while merging\n")
    edit_merge = repo.commit(f"Merge other, {edit_token}")
    expected = [("", "commit", empty, 1), ("", "commit", quiet_merge, 3), ("", "commit", edit_merge, 1)]
    assert sorted(_places(_findings(repo, "--all"))) == sorted(expected)
    # the same in worker processes (the parts are cut from every commit, quiet merges included)
    for jobs, min_part in ((1, 400), (2, 2), (4, 2)):
        found = _api_scan(repo.path, GitSelection(GitMode.ALL), jobs=jobs, min_part=min_part)
        shas = [(f.git_message.sha if f.git_message else "", f.line) for f in found]
        assert shas == [(sha, line) for _, _, sha, line in expected], (jobs, min_part)


def test_a_long_run_of_commits_that_change_nothing_is_read_in_batches_and_in_parts(repo: Repo) -> None:
    """1,200 empty commits after one that adds a file (fast-import): their messages are read in bounded
    batches at the end of the patches, and cut into parts with --jobs 4 (worker processes)."""
    early, late = repo.token(), repo.token()
    stream = [
        b"commit refs/heads/main\nmark :1\ncommitter T <t@example.test> 1700000000 +0000\ndata 4\nbase\n"
        b"M 100644 inline a.txt\ndata 2\na\n\n"
    ]
    for n in range(2, 1202):
        message = f"empty {n}" + (f" {early}" if n == 3 else f" {late}" if n == 1150 else "")
        stream.append(
            f"commit refs/heads/main\nmark :{n}\ncommitter T <t@example.test> {1700000000 + n} +0000\n"
            f"data {len(message)}\n{message}\nfrom :{n - 1}\n\n".encode()
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo.path, input=b"".join(stream), check=True)
    git(repo.path, "checkout", "-q", "-f", "main")
    ids = git(repo.path, "rev-list", "--reverse", "HEAD").split()
    expected = sorted([("", "commit", ids[2], 1), ("", "commit", ids[1149], 1)])
    one = repo.run("--all", "--format", "json", "--jobs", "1")
    four = repo.run("--all", "--format", "json", "--jobs", "4")
    assert json.loads(one.stdout)["findings"] == json.loads(four.stdout)["findings"]
    assert sorted(_places(_findings(repo, "--all"))) == expected


# --------------------------------------------------------------------------------------------------- tags


def test_annotated_tag_messages_are_read_and_lightweight_tags_have_none(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    tagged = repo.commit("release")
    tag_token, blob_token = repo.token(), repo.token()
    tag = _tag(repo, "v1.0", f"Release 1.0\n\nsigned off with {tag_token}")
    git(repo.path, "tag", "light")  # no object, no message
    blob = git(repo.path, "rev-parse", "HEAD:a.txt").strip()
    blob_tag = _tag(repo, "blob-tag", f"a tag of a blob {blob_token}", blob)
    nested_token = repo.token()
    git(
        repo.path,
        "-c",
        "advice.nestedTag=false",
        "tag",
        "-a",
        "nested",
        "-m",
        f"of v1.0 {nested_token}",
        "v1.0",
    )
    nested_tag = git(repo.path, "rev-parse", "nested").strip()
    found = sorted(_findings(repo, "--all"), key=lambda f: f["git_message"]["tag"], reverse=True)
    assert [f["git_message"]["tag"] for f in found] == ["v1.0", "nested", "blob-tag"]
    assert found[1]["git_message"]["sha"] == nested_tag
    assert found[1]["commit"]["sha"] == tagged, "a tag of a tag points, in the end, at the commit"
    assert [(f["path"], f["line"]) for f in found] == [("", 3), ("", 1), ("", 1)]
    found = [found[0], found[2]]
    assert _places(found) == [("", "tag", tag, 3), ("", "tag", blob_tag, 1)]
    assert found[0]["git_message"]["tag"] == "v1.0"
    assert found[0]["git_message"]["tagger_email"] == "author@example.test"
    assert found[0]["commit"]["sha"] == tagged
    assert "commit" not in found[1], "a tag of a blob points at no commit"
    text = repo.run("--all").stdout
    assert f"tag message of v1.0, line 3, column 17: error [{RULE_ID}]" in text
    assert f"    tag:    {tag[:12]} author@example.test " in text


# ------------------------------------------------------------------------------------------- reported once


def test_a_secret_in_a_file_and_in_messages_is_reported_once_in_the_file(repo: Repo) -> None:
    token = repo.token()
    repo.write("app.py", f'KEY = "{token}"\n')
    added = repo.commit(f"add the key {token}")
    _tag(repo, "v1", f"the key is {token}")
    assert _places(_findings(repo, "--all")) == [("app.py", "", added, 1)]


def test_a_secret_named_in_a_message_first_is_reported_there_once(repo: Repo) -> None:
    token = repo.token()
    repo.write("a.txt", "a\n")
    named = repo.commit(f"the new key will be {token}")
    repo.write("app.py", f'KEY = "{token}"\n')
    repo.commit(f"use {token}")
    assert _places(_findings(repo, "--all")) == [("", "commit", named, 1)]


# ---------------------------------------------------------------------------------------- --since, --range


def test_since_and_range_read_the_messages_of_their_commits_and_tags_only(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit_config()
    old = repo.commit(f"old {repo.token()}")
    _tag(repo, "old-tag", f"old tag {repo.token()}")
    repo.write("a.txt", "b\n")
    new = repo.commit(f"new {repo.token()}")
    new_tag = _tag(repo, "new-tag", f"new tag {repo.token()}")
    repo.write("a.txt", "c\n")
    repo.commit("later")
    _tag(repo, "detached", f"of an old commit {repo.token()}", old)
    expected = [("", "commit", new, 1), ("", "tag", new_tag, 1)]  # (reports: commits, then tags)
    assert _places(_findings(repo, "--since", old)) == expected
    assert _places(_findings(repo, "--range", f"{old}..HEAD")) == expected
    assert _places(_findings(repo, "--range", f"{old}..{new}")) == expected
    assert len([f for f in _findings(repo, "--all") if "git_message" in f]) == 5


def test_staged_reads_no_message(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit(f"committed {repo.token()}")
    repo.write("a.txt", "b\n")
    git(repo.path, "add", "a.txt")
    assert _findings(repo, "--staged") == []


# ------------------------------------------------------------------------------------------------ baselines


def test_a_baseline_records_and_suppresses_message_findings_across_runs_and_rewrites(
    repo: Repo, tmp_path: Path
) -> None:
    repo.write("a.txt", "a\n")
    commit_token, tag_token = repo.token(), repo.token()
    commit = repo.commit(f"leaked {commit_token}")
    _tag(repo, "v1", f"leaked {tag_token}")
    baseline = tmp_path / "baseline.json"
    created = run_cli("check-secrets", "baseline", "create", "--git-all", "-o", str(baseline), cwd=repo.path)
    assert created.returncode == 0, created.stderr
    assert_no_leak(created.output, repo.tokens)
    stored = baseline.read_text(encoding="utf-8")
    assert_no_leak(stored, repo.tokens, where="the baseline")
    entries = json.loads(stored)["findings"]
    assert sorted((e["rule"], e["path"], e["line"], e["git_message"]) for e in entries) == [
        (RULE_ID, "", 1, f"commit {commit}"),
        (RULE_ID, "", 1, "tag v1"),
    ]
    # the same as the library records from the same findings (keyed by the same fingerprints)
    findings = _api_scan(repo.path, GitSelection(GitMode.ALL))
    key = bytes.fromhex(json.loads(stored)["key"])
    again = create_baseline(findings, FingerprintCache(jobs=1), key=key)
    assert sorted(e.hash for e in again.entries) == sorted(e["hash"] for e in entries)
    first, second = (json.loads(repo.run("--all", "--format", "json").stdout) for _ in range(2))
    assert [f["fingerprint"] for f in first["findings"]] == [f["fingerprint"] for f in second["findings"]]
    result = repo.run("--all", "--format", "json", "--baseline", str(baseline))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["findings"] == [] and report["stats"]["findings_baselined"] == 2
    # a rebase (here: an amended message and a re-made tag) gives new ids; the accepted secrets stay accepted
    git(repo.path, "commit", "-q", "--amend", "-m", f"leaked {commit_token}, reworded")
    git(repo.path, "tag", "-f", "-a", "v1", "-m", f"leaked {tag_token}, reworded")
    assert len(_findings(repo, "--all")) == 2, "new ids, the same secrets"
    result = repo.run("--all", "--format", "json", "--baseline", str(baseline))
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["stats"]["findings_baselined"] == 2
    # a new secret in a message is not accepted
    repo.commit(f"another {repo.token()}")
    assert repo.run("--all", "--baseline", str(baseline)).returncode == 1


# ----------------------------------------------------------------------------------------- report formats


def test_json_and_sarif_carry_the_message_location_and_validate(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    commit = repo.commit(f"subject\n\n{repo.token()}")
    tag = _tag(repo, "v2", f"{repo.token()}")
    result = repo.run("--all", "--format", "json")
    report = json.loads(result.stdout)
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(report)
    messages = [f["git_message"] for f in report["findings"]]
    assert {"kind": "commit", "sha": commit} in messages
    assert any(m["kind"] == "tag" and m["sha"] == tag and m["tag"] == "v2" for m in messages)
    assert all(f["path"] == "" for f in report["findings"])
    sarif = json.loads(repo.run("--all", "--format", "sarif").stdout)
    schema = json.loads((DATA_DIR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    names = sorted(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in results)
    assert names == sorted([f"commit/{commit}/message", "tag/v2/message"])
    # (GitHub refuses a result without a physical location: one under .git/, which git never tracks)
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
    assert uris == sorted([f".git/commits/{commit}/message", ".git/tags/v2/message"])
    assert any(r["locations"][0]["message"]["text"].endswith("line 3, column 1") for r in results)
    assert {r["properties"]["git_message"]["kind"] for r in results} == {"commit", "tag"}


# ------------------------------------------------------------------------------------------ hostile input


def _raw_commit(
    repo: Repo, message: bytes, *, author: bytes = b"Evil <evil@example.test>", headers: bytes = b""
) -> str:
    tree = git(repo.path, "rev-parse", "HEAD^{tree}").strip()
    parent = repo.head()
    body = (
        f"tree {tree}\nparent {parent}\n".encode()
        + b"author "
        + author
        + b" 1700000000 +0130\ncommitter C <c@example.test> 1700000000 +0000\n"
        + headers
        + b"\n"
        + message
    )
    sha = (
        subprocess.run(
            ["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
            cwd=repo.path,
            input=body,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    git(repo.path, "update-ref", "refs/heads/hostile", sha)
    return sha


def test_a_hostile_message_is_read_within_bounds_and_never_printed(repo: Repo) -> None:
    """10 MB of invalid UTF-8, NUL bytes and terminal escapes, a token near its start, one in its middle
    (past what is read: not seen) and one at its end; an author address with an escape sequence."""
    repo.write("a.txt", "a\n")
    repo.commit("base")
    first, middle, last = repo.token(), repo.token(), repo.token()
    junk = b"\xff\xfe\x00 \x1b[2J\x1b]0;owned\x07 \xc3\x28 \x9b31m" * 40 + b"\n"  # one line of 1,000 bytes
    lines = [b"subject \x1b[31mred\x1b[0m", b"key " + first.encode() + b" \x00\xff"]
    lines += [junk.rstrip(b"\n")] * 5_000 + [b"middle " + middle.encode()] + [junk.rstrip(b"\n")] * 5_000
    lines += [b"\xff last " + last.encode() + b" \x1b[0m"]
    message = b"\n".join(lines) + b"\n"
    assert len(message) > 10_000_000
    sha = _raw_commit(repo, message, author=b"Evil <ev\x1b[31mil@\xff.test>")
    result = repo.run("--all", "--format", "json")
    assert result.returncode == 1, result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == RULE_ID]
    assert sorted(_places(found)) == [("", "commit", sha, 2), ("", "commit", sha, len(lines))]
    found.sort(key=lambda f: f["line"])
    assert found[1]["column"] == len(" last ") + 2  # (the odd byte is one character)
    assert found[0]["commit"]["date"] == git(repo.path, "log", "-1", "--format=%aI", sha).strip()
    assert found[0]["commit"]["date"].endswith("+01:30")
    for fmt in ("text", "sarif"):
        output = repo.run("--all", "--format", fmt).output
        assert "\x1b" not in output and "\x07" not in output and "\x00" not in output
    assert "\\x1b[31mil@" in repo.run("--all").stdout  # the address, escaped


def test_a_message_of_one_huge_line_is_read_in_part(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("base")
    token = repo.token()
    sha = _raw_commit(repo, b"x" * 1000 + b" " + token.encode() + b" " + b"\xff\x1b" * 1_500_000)
    result = repo.run("--all", "--format", "json")
    assert result.returncode == 1, result.stderr
    [found] = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == RULE_ID]
    assert (found["git_message"]["sha"], found["line"], found["column"]) == (sha, 1, 1002)


def _huge(token: str, size: int) -> bytes:
    """A message of about ``size`` bytes of lines, ``token`` in its middle (past what is read of it)."""
    filler = [b"filler line %06d of a generated changelog" % n for n in range(size // 84)]
    return b"\n".join([b"subject", *filler, token.encode(), *filler, b"end"]) + b"\n"


def test_a_message_read_in_part_is_counted_and_named_in_the_summary_and_the_stats(repo: Repo) -> None:
    """A commit message and a tag message over the 1 MiB cap (their middles are read past: the tokens there
    are not seen, which the run must say instead of looking clean), a commit whose headers alone exceed the
    cap (nothing of its message is read), and a message just under the cap (read whole, not counted)."""
    repo.write("a.txt", "a\n")
    repo.commit("base")
    under = _raw_commit(repo, _huge("no token here", 1_000_000))
    git(repo.path, "reset", "-q", "--hard", under)
    big_commit = _raw_commit(repo, _huge(repo.token(), 3_000_000))
    git(repo.path, "reset", "-q", "--hard", big_commit)
    (repo.path.parent / "tag-message").write_bytes(_huge(repo.token(), 1_500_000))
    git(repo.path, "tag", "-a", "big", "-F", str(repo.path.parent / "tag-message"), big_commit)
    tag = git(repo.path, "rev-parse", "big").strip()
    big_headers = _raw_commit(repo, b"short subject\n", headers=b"x-big " + b"h" * 1_200_000 + b"\n")
    git(repo.path, "reset", "-q", "--hard", big_headers)

    result = repo.run("--all")
    assert result.returncode == 0, result.stderr  # (the tokens are in the parts not read)
    summary = result.stdout.strip().splitlines()[-1]
    named = f"commit {big_commit[:12]}, tag big, commit {big_headers[:12]}"
    assert f", 3 git messages over 1 MiB scanned partly ({named}))" in summary, summary
    assert under[:12] not in summary

    report = json.loads(repo.run("--all", "--format", "json").stdout)
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(report)
    stats = report["stats"]
    assert stats["messages_truncated"] == 3
    listed = [(m["kind"], m["sha"], m.get("tag")) for m in stats["truncated_messages"]]
    assert listed == [("commit", big_commit, None), ("tag", tag, "big"), ("commit", big_headers, None)]
    sarif = json.loads(repo.run("--all", "--format", "sarif").stdout)
    sarif_schema = json.loads((DATA_DIR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    properties = sarif["runs"][0]["properties"]
    assert properties["messagesTruncated"] == 3
    assert properties["truncatedMessages"] == stats["truncated_messages"]
    # the same with the history cut into parts scanned by worker processes
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=3, min_part=1) as history:
        _, api_stats = history.run(Scanner(ScanConfig(extra_rules=(TEST_RULE,))), HistoryOptions())
    assert sorted(o.sha for o in api_stats.messages_truncated) == sorted([big_commit, tag, big_headers])


def test_a_history_of_ordinary_messages_reports_none_truncated(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("base\n\n" + "a body line\n" * 1000)
    _tag(repo, "v1", "release notes\n" * 100)
    result = repo.run("--all")
    assert result.returncode == 0, result.stderr
    assert "scanned partly" not in result.stdout
    stats = json.loads(repo.run("--all", "--format", "json").stdout)["stats"]
    assert stats["messages_truncated"] == 0 and "truncated_messages" not in stats


@pytest.mark.parametrize(
    ("encoding", "column"),
    [
        (b"ISO-8859-1", 6),  # "caf\xe9 " is 5 characters in Latin-1
        (b"rot13", 6),  # not a text encoding: read as UTF-8 (the odd byte is one replaced character)
        (b"base64", 6),
        (b"unicode_escape", 6),
        (b"no-such-encoding\x1b[2J", 6),
    ],
)
def test_a_message_in_another_or_a_bogus_encoding(repo: Repo, encoding: bytes, column: int) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("base")
    token = repo.token()
    sha = _raw_commit(
        repo, b"subject\ncaf\xe9 " + token.encode() + b"\n", headers=b"encoding " + encoding + b"\n"
    )
    result = repo.run("--all", "--format", "json")
    assert result.returncode == 1, result.stderr
    [found] = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == RULE_ID]
    assert (found["git_message"]["sha"], found["line"], found["column"]) == (sha, 2, column)


# -------------------------------------------------------------------------------------------- parse_object


def test_parse_object_reads_headers_encoding_and_line_numbers() -> None:
    commit = (
        b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
        b"author A <a@example.test> 1700000000 -0500\n"
        b"committer C <c@example.test> 1700000000 +0000\n"
        b"encoding ISO-8859-1\n"
        b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n author <not@this.one> 1 +0000\n"
        b" -----END PGP SIGNATURE-----\n"
        b"\n"
        b"caf\xe9\n\nbody\n"
    )
    parsed = parse_object(commit)
    assert parsed is not None
    encoding, person, parts = parsed
    assert (encoding, person) == (b"ISO-8859-1", b"A <a@example.test> 1700000000 -0500")
    assert parts == [(b"caf\xe9\n\nbody\n", 1)]
    # a headers-only object has no message; headers cut off by the reading cap are not guessed at
    assert parse_object(b"tree x\nauthor A <a@b> 1 +0000\n") == (b"", b"A <a@b> 1 +0000", [])
    assert parse_object(b"tree x\nauthor A <a@b> 1", b"tail\n", 3) is None
    # a huge message read as its head and tail: line numbers continue past the newlines read past
    head = b"tree x\n\nline 1\nline 2\npartial"
    tail = b"ial end\nlast 1\nlast 2\n"
    _, _, parts = parse_object(head, tail, 10)  # type: ignore[misc]
    # head lines 1-2, "partial..." is line 3 (kept as far as it is read), 10 newlines between: the tail's cut
    # line ends line 13
    assert parts == [(b"line 1\nline 2\npartial", 1), (b"last 1\nlast 2\n", 14)]


@pytest.mark.parametrize("kind", ["commit", "tag"])
def test_a_message_git_cannot_read_fails_the_scan(repo: Repo, kind: str) -> None:
    """An object listed but gone when its message is asked for (``<id> missing`` from ``git cat-file``)
    fails the read with a one-line error naming it, instead of being left out of a scan that would then
    look clean. (A whole history scan meets it only in a race with ``git gc`` or in a damaged repository;
    the reader is asked for an id that is in no repository.)"""
    repo.write("a.txt", "a\n")
    first = repo.commit("first")
    gone = "0123456789abcdef" * 2 + "01234567"
    tags = TagPlan(by_commit={first: (TagRef(gone, "v1", first),)}) if kind == "tag" else TagPlan()
    order = [first] if kind == "tag" else [first, gone]
    with MessageReader(repo.path, order, tags) as reader, pytest.raises(ScanError) as caught:
        list(reader)
    assert str(caught.value) == f"git cannot read {kind} {gone}: its message was not scanned"

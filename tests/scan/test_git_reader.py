"""The streaming git reader behind ``check-secrets git``: added lines, blob ids, commit info, real repos."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from autoaudit_secrets._errors import ScanError, UsageError
from autoaudit_secrets.scan.sources._git import (
    _LOG,
    BlobReader,
    ChangeStream,
    CommitChanges,
    FileChange,
    GitMode,
    GitSelection,
    find_repo_root,
    iter_changes,
    parse_patch,
    plan_commits,
    resolve_revisions,
)
from tests.conftest import git


def write(repo: Path, rel: str, text: str | bytes) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def changes(repo: Path, mode: GitMode, ref: str | None = None) -> list[CommitChanges]:
    return list(iter_changes(repo, GitSelection(mode, ref)))


def by_path(change: CommitChanges) -> dict[str, FileChange]:
    return {f.path: f for f in change.files}


def added(repo: Path, change: FileChange) -> frozenset[int]:
    """The added line numbers, checked against the added text the prefilter sees."""
    data = content(repo, change)
    assert data is not None
    lines = data.split(b"\n")
    assert change.added_text == b"".join(lines[n - 1] + b"\n" for n in sorted(change.added))
    return change.added


def content(repo: Path, change: FileChange) -> bytes | None:
    assert change.blob is not None
    with BlobReader(repo) as blobs:
        return blobs.read(change.blob)


def test_staged_before_first_commit_reads_every_line_of_new_files(git_repo: Path) -> None:
    write(git_repo, "a.txt", "one\ntwo\nthree\n")
    git(git_repo, "add", "a.txt")
    [staged] = changes(git_repo, GitMode.STAGED)
    assert staged.commit is None
    file = by_path(staged)["a.txt"]
    assert file.new_file
    assert added(git_repo, file) == {1, 2, 3}
    assert content(git_repo, file) == b"one\ntwo\nthree\n"


def test_staged_reads_only_added_lines_and_ignores_unstaged_edits(git_repo: Path) -> None:
    write(git_repo, "a.txt", "one\ntwo\nthree\n")
    commit_all(git_repo, "base")
    write(git_repo, "a.txt", "one\nTWO\nthree\nfour\n")
    git(git_repo, "add", "a.txt")
    write(git_repo, "a.txt", "one\nTWO\nthree\nfour\nunstaged\n")
    write(git_repo, "untracked.txt", "x\n")
    [staged] = changes(git_repo, GitMode.STAGED)
    files = by_path(staged)
    assert set(files) == {"a.txt"}
    assert added(git_repo, files["a.txt"]) == {2, 4}
    assert content(git_repo, files["a.txt"]) == b"one\nTWO\nthree\nfour\n"


def test_history_is_oldest_first_with_author_and_iso_date(git_repo: Path) -> None:
    write(git_repo, "a.txt", "1\n")
    first = commit_all(git_repo, "first")
    write(git_repo, "a.txt", "1\n2\n")
    git(
        git_repo,
        "commit",
        "-qam",
        "second",
        env={"GIT_AUTHOR_EMAIL": "other@example.test", "GIT_AUTHOR_DATE": "2024-02-03T04:05:06+01:00"},
    )
    second = git(git_repo, "rev-parse", "HEAD").strip()
    got = changes(git_repo, GitMode.ALL)
    assert [c.commit.sha for c in got if c.commit] == [first, second]
    last = got[-1].commit
    assert last is not None
    assert last.author_email == "other@example.test"
    assert last.date == "2024-02-03T04:05:06+01:00"
    assert added(git_repo, by_path(got[-1])["a.txt"]) == {2}


def test_amended_commit_replaces_the_original(git_repo: Path) -> None:
    write(git_repo, "a.txt", "base\n")
    commit_all(git_repo, "base")
    write(git_repo, "a.txt", "base\nfirst try\n")
    commit_all(git_repo, "edit")
    write(git_repo, "a.txt", "base\nsecond try\nmore\n")
    git(git_repo, "commit", "-q", "--amend", "-am", "edit (amended)")
    got = changes(git_repo, GitMode.ALL)
    assert len(got) == 2
    assert content(git_repo, by_path(got[-1])["a.txt"]) == b"base\nsecond try\nmore\n"
    assert added(git_repo, by_path(got[-1])["a.txt"]) == {2, 3}


def test_rename_with_an_edit_reports_only_the_edited_line_at_the_new_path(git_repo: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(1, 21))
    write(git_repo, "old/name.txt", body)
    commit_all(git_repo, "base")
    (git_repo / "new").mkdir()
    git(git_repo, "mv", "old/name.txt", "new/name.txt")
    write(git_repo, "new/name.txt", body.replace("line 7\n", "line seven\n"))
    commit_all(git_repo, "move")
    last = changes(git_repo, GitMode.ALL)[-1]
    assert by_path(last) == {"new/name.txt": by_path(last)["new/name.txt"]}
    file = by_path(last)["new/name.txt"]
    assert not file.new_file  # compared with the source of the rename
    assert added(git_repo, file) == {7}


def test_binary_files_are_flagged_with_their_blob(git_repo: Path) -> None:
    data = b"\x00\x01\x02binary\x00" * 10
    write(git_repo, "img.bin", data)
    commit_all(git_repo, "binary")
    [only] = changes(git_repo, GitMode.ALL)
    file = by_path(only)["img.bin"]
    assert file.binary
    assert file.new_file
    assert not file.added
    assert content(git_repo, file) == data


def test_deleted_files_are_not_listed_but_their_earlier_commit_is(git_repo: Path) -> None:
    write(git_repo, "gone.txt", "short-lived\n")
    write(git_repo, "keep.txt", "k\n")
    first = commit_all(git_repo, "add")
    (git_repo / "gone.txt").unlink()
    commit_all(git_repo, "delete")
    # git is not asked for the deleted file's patch (every line of it removed): the commit that only deletes
    # is left out, and counted
    with ChangeStream(git_repo, GitSelection(GitMode.ALL)) as stream:
        got = list(stream)
    assert [c.commit.sha for c in got if c.commit] == [first]
    assert "gone.txt" in by_path(got[0])
    assert stream.quiet_commits == 1


def test_a_deleted_file_is_not_written_by_git(git_repo: Path) -> None:
    write(git_repo, "gone.txt", "".join(f"line {n}\n" for n in range(50)))
    write(git_repo, "keep.txt", "k\n")
    shas = [commit_all(git_repo, "add")]
    (git_repo / "gone.txt").unlink()
    write(git_repo, "keep.txt", "k\nnew\n")
    shas.append(commit_all(git_repo, "delete and change"))
    write(git_repo, "moved.txt", "".join(f"line {n}\n" for n in range(50)) + "one more\n")
    shas.append(commit_all(git_repo, "back, renamed"))
    git(git_repo, "mv", "moved.txt", "renamed.txt")
    write(git_repo, "renamed.txt", "".join(f"line {n}\n" for n in range(50)) + "one more\nand another\n")
    shas.append(commit_all(git_repo, "rename and change"))
    log = git(git_repo, *_LOG, "--all")
    assert "deleted file mode" not in log and "-line 7" not in log
    assert "+new" in log  # the commit's other change is there
    assert "rename from moved.txt" in log and "+and another" in log  # a rename is still paired
    with ChangeStream(git_repo, GitSelection(GitMode.ALL)) as stream:
        got = list(stream)
    assert [c.commit.sha for c in got if c.commit] == shas
    assert stream.quiet_commits == 0
    assert set(by_path(got[1])) == {"keep.txt"}
    renamed = by_path(got[3])["renamed.txt"]
    assert renamed.old_path == "moved.txt"


def test_merge_counts_only_lines_new_to_every_parent(git_repo: Path) -> None:
    write(git_repo, "f.txt", "l1\nl2\nl3\n")
    commit_all(git_repo, "base")
    git(git_repo, "checkout", "-q", "-b", "topic")
    write(git_repo, "f.txt", "l1\nfrom topic\nl3\n")
    write(git_repo, "topic-only.txt", "t\n")
    commit_all(git_repo, "topic")
    git(git_repo, "checkout", "-q", "main")
    write(git_repo, "f.txt", "l1\nfrom main\nl3\n")
    commit_all(git_repo, "main")
    with pytest.raises(subprocess.CalledProcessError):  # the conflict makes git merge exit 1
        git(git_repo, "merge", "-q", "topic")
    write(git_repo, "f.txt", "l1\nresolution\nfrom topic\nl3\n")
    commit_all(git_repo, "merge")
    got = changes(git_repo, GitMode.ALL)
    merge = got[-1]
    assert merge.parents == 2
    files = by_path(merge)
    # topic-only.txt comes unchanged from one parent: not part of the merge's own changes
    assert set(files) == {"f.txt"}
    assert files["f.txt"].added == {2}
    assert files["f.txt"].added_text == b"resolution\n"


def test_clean_merge_adds_nothing(git_repo: Path) -> None:
    write(git_repo, "f.txt", "base\n")
    commit_all(git_repo, "base")
    git(git_repo, "checkout", "-q", "-b", "topic")
    write(git_repo, "t.txt", "topic\n")
    commit_all(git_repo, "topic")
    git(git_repo, "checkout", "-q", "main")
    write(git_repo, "m.txt", "main\n")
    commit_all(git_repo, "main")
    git(git_repo, "merge", "-q", "--no-edit", "topic")
    merge = git(git_repo, "rev-parse", "HEAD").strip()
    # every file of a clean merge is some parent's version: git is not even asked for its (empty) combined
    # diff, and the stream says how many such merges it left out
    with ChangeStream(git_repo, GitSelection(GitMode.ALL)) as stream:
        read = [c.commit.sha for c in stream if c.commit]
    assert merge not in read and len(read) == 3
    assert stream.quiet_merges == 1
    plan = plan_commits(git_repo, ["--all"])
    assert plan.quiet_merges == 1 and merge not in plan.commits


def test_since_and_range_select_commits_after_the_base(git_repo: Path) -> None:
    write(git_repo, "a.txt", "1\n")
    base = commit_all(git_repo, "base")
    write(git_repo, "a.txt", "1\n2\n")
    middle = commit_all(git_repo, "two")
    write(git_repo, "a.txt", "1\n2\n3\n")
    head = commit_all(git_repo, "three")
    since = [c.commit.sha for c in changes(git_repo, GitMode.SINCE, base) if c.commit]
    assert since == [middle, head]
    ranged = [c.commit.sha for c in changes(git_repo, GitMode.RANGE, f"{middle}..{head}") if c.commit]
    assert ranged == [head]


def test_only_branch_commits_are_seen_by_all_not_by_since(git_repo: Path) -> None:
    write(git_repo, "a.txt", "1\n")
    base = commit_all(git_repo, "base")
    git(git_repo, "checkout", "-q", "-b", "side")
    write(git_repo, "side.txt", "side\n")
    side = commit_all(git_repo, "side")
    git(git_repo, "checkout", "-q", "main")
    assert side in {c.commit.sha for c in changes(git_repo, GitMode.ALL) if c.commit}
    assert changes(git_repo, GitMode.SINCE, base) == []


def test_odd_paths_are_decoded(git_repo: Path) -> None:
    names = ["with space.txt", "ünïcode.txt", 'quo"te.txt', "tab\there.txt"]
    for name in names:
        write(git_repo, name, "x\n")
    commit_all(git_repo, "odd")
    [only] = changes(git_repo, GitMode.ALL)
    assert set(by_path(only)) == set(names)


def test_bad_revision_and_not_a_repository_are_scan_errors(git_repo: Path, tmp_path: Path) -> None:
    write(git_repo, "a.txt", "1\n")
    commit_all(git_repo, "base")
    with pytest.raises(ScanError, match="unknown git revision: no-such-ref"):
        resolve_revisions(git_repo, GitSelection(GitMode.SINCE, "no-such-ref"))
    with pytest.raises(UsageError):
        resolve_revisions(git_repo, GitSelection(GitMode.SINCE, "--output=/tmp/x"))
    with pytest.raises(UsageError):
        resolve_revisions(git_repo, GitSelection(GitMode.RANGE, "HEAD"))
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ScanError, match="not a git repository"):
        find_repo_root(plain)


def test_find_repo_root_from_a_subfolder(git_repo: Path) -> None:
    (git_repo / "sub" / "dir").mkdir(parents=True)
    assert find_repo_root(git_repo / "sub" / "dir").resolve() == git_repo.resolve()


def test_blob_reader_reports_missing_objects_as_none(git_repo: Path) -> None:
    write(git_repo, "a.txt", "hello\n")
    commit_all(git_repo, "base")
    blob = git(git_repo, "rev-parse", "HEAD:a.txt").strip()
    with BlobReader(git_repo) as blobs:
        assert blobs.read_many([blob, blob], max_size=3) == [None, None]  # too large: read past
        assert blobs.read_many([blob, "0123456789abcdef0123456789abcdef01234567", blob]) == [
            b"hello\n",
            None,
            b"hello\n",
        ]


def test_prefetched_blobs_read_like_blobs_asked_on_the_spot(git_repo: Path) -> None:
    # prefetch() asks git ahead of need; whatever is prefetched, kept, dropped or never asked for, each read
    # gives what an immediate read gives, in any order, mixed with read_many
    contents = {f"f{i}.txt": f"line {i}\n".encode() * (i * 40 + 1) for i in range(12)}
    for name, data in contents.items():
        write(git_repo, name, data)
    commit_all(git_repo, "blobs")
    ids = {name: git(git_repo, "rev-parse", f"HEAD:{name}").strip() for name in contents}
    missing = "0123456789abcdef0123456789abcdef01234567"
    order = [*sorted(ids)[::-1], *sorted(ids)[:4]]
    for keep in (0, 300, 1 << 20):  # nothing kept (all asked again), a few, all
        with BlobReader(git_repo, keep=keep) as blobs:
            blobs.prefetch([*ids.values(), missing], max_size=2000)
            blobs.prefetch(list(ids.values())[:3])  # the same blobs, no size limit: other answers
            assert blobs.read(missing, max_size=2000) is None
            for name in order:
                expected = contents[name] if len(contents[name]) <= 2000 else None
                assert blobs.read(ids[name], max_size=2000) == expected, (keep, name)
                assert blobs.read_many([ids[name]]) == [contents[name]]
            blobs.forget(ids.values(), max_size=2000)
            assert blobs.read(ids["f0.txt"]) == contents["f0.txt"]
            assert blobs._held >= 0


def test_submodules_and_deletions_are_not_listed(git_repo: Path, tmp_path: Path) -> None:
    write(git_repo, "a.txt", "1\n")
    first = commit_all(git_repo, "base")
    # a gitlink entry (submodule commit) without needing a second repository
    git(git_repo, "update-index", "--add", "--cacheinfo", f"160000,{first},sub")
    git(git_repo, "rm", "-q", "--cached", "a.txt")
    write(git_repo, "b.txt", "2\n")
    git(git_repo, "add", "b.txt")
    assert "sub" in git(git_repo, "diff", "--cached", "--name-only")
    [staged] = changes(git_repo, GitMode.STAGED)
    assert [f.path for f in staged.files] == ["b.txt"]
    commit_all(git_repo, "with a submodule entry")
    assert [f.path for f in changes(git_repo, GitMode.ALL)[-1].files] == ["b.txt"]


def test_no_newline_at_end_of_file_markers(git_repo: Path) -> None:
    write(git_repo, "a.txt", "one\ntwo")
    commit_all(git_repo, "base")
    write(git_repo, "a.txt", "one\nTWO")
    commit_all(git_repo, "edit")
    last = changes(git_repo, GitMode.ALL)[-1]
    assert by_path(last)["a.txt"].added == {2}
    assert by_path(last)["a.txt"].added_text == b"TWO\n"


def test_parse_patch_reads_hand_written_output() -> None:
    mark = "\x01"
    text = (
        f"{mark}{'a' * 40} {'b' * 40}\x1fdev@example.test\x1f2024-01-02T03:04:05+00:00\n"
        "\n"
        "diff --git a/x.py b/x.py\n"
        f"index {'1' * 40}..{'2' * 40} 100644\n"
        "--- a/x.py\n"
        "+++ b/x.py\n"
        "@@ -1,0 +2,2 @@\n"
        "+added one\n"
        "+diff --git looks like a header but is content\n"
        "@@ -9 +11 @@\n"
        "-old\n"
        "+new\n"
        "diff --git a/gone.py b/gone.py\n"
        "deleted file mode 100644\n"
        f"index {'3' * 40}..{'0' * 40}\n"
        "--- a/gone.py\n"
        "+++ /dev/null\n"
        "@@ -1 +0,0 @@\n"
        "-bye\n"
    )
    [change] = list(parse_patch(text.encode().split(b"\n")))
    assert change.commit is not None
    assert change.commit.sha == "a" * 40
    assert change.commit.author_email == "dev@example.test"
    assert change.parents == 1
    [file] = change.files
    assert (file.path, file.blob) == ("x.py", "2" * 40)
    assert file.added == {2, 3, 11}
    assert file.added_text == b"added one\ndiff --git looks like a header but is content\nnew\n"


def test_parallel_git_processes_give_the_same_stream(git_repo: Path) -> None:
    write(git_repo, "f.txt", "base\n")
    commit_all(git_repo, "base")
    for i in range(6):
        write(git_repo, f"f{i % 3}.txt", f"line {i}\n" * (i + 1))
        commit_all(git_repo, f"c{i}")
    git(git_repo, "checkout", "-q", "-b", "topic", "HEAD~3")
    write(git_repo, "t.txt", "topic\n")
    commit_all(git_repo, "topic")
    git(git_repo, "checkout", "-q", "main")
    git(git_repo, "merge", "-q", "--no-edit", "topic")
    for i in range(4):
        write(git_repo, "after.txt", f"after {i}\n")
        commit_all(git_repo, f"after {i}")
    selection = GitSelection(GitMode.ALL)
    with ChangeStream(git_repo, selection, jobs=1) as one:
        serial = list(one)
    with ChangeStream(git_repo, selection, jobs=3, min_shard=2) as three:
        parallel = list(three)
    assert len(serial) == 12  # 13 commits, less the clean merge
    assert parallel == serial
    shas = [c.commit.sha for c in serial if c.commit]
    merges = set(git(git_repo, "rev-list", "--merges", "--all").split())
    everything = git(git_repo, "rev-list", "--topo-order", "--reverse", "--all").split()
    assert shas == [sha for sha in everything if sha not in merges]


def test_prefilter_bisection_finds_exactly_the_files_that_may_match() -> None:
    from autoaudit_secrets.scan.sources._git import _may_match

    calls: list[bytes] = []

    def might_match(data: bytes) -> bool:
        calls.append(data)
        return b"TOKEN" in data

    texts = [(i, b"TOKEN here\n" if i in {3, 17, 18} else b"plain line\n") for i in range(40)]
    assert _may_match(texts, might_match) == {3, 17, 18}
    assert len(calls) < 40  # groups first, not one call per file
    calls.clear()
    assert _may_match([(i, b"quiet\n") for i in range(40)], might_match) == set()
    assert len(calls) == 1
    assert _may_match([], might_match) == set()


def test_a_huge_commit_comes_in_parts(git_repo: Path) -> None:
    for i in range(600):
        write(git_repo, f"d{i % 7}/f{i}.txt", f"{i}\n")
    first = commit_all(git_repo, "import")
    write(git_repo, "after.txt", "x\n")
    commit_all(git_repo, "after")
    items = changes(git_repo, GitMode.ALL)
    parts = [c for c in items if c.commit and c.commit.sha == first]
    assert len(parts) > 1
    assert all(len(c.files) <= 256 for c in parts)
    assert sorted(f.path for c in parts for f in c.files) == sorted(f"d{i % 7}/f{i}.txt" for i in range(600))
    assert items[-1].commit is not None and items[-1].commit.sha != first


# ------------------------------------------------------------------------------- the patch parser on its own


def _varied_history(repo: Path) -> None:
    """A small history holding what the patch parser must tell apart: content lines that look like headers,
    '\\ No newline' after removed and added lines, CRLF, an empty file, a binary file, quoted paths, a rename
    with an edit, a mode change, a deletion, a submodule entry, a commit without files and a merge whose
    resolution adds a line (a combined diff)."""
    tricky = "".join(
        f"{line}\n"
        for line in (
            "--- x",
            "+++ y",
            "diff --git a/q b/q",
            "@@ -1 +1 @@",
            "index 0000000..1111111",
            "\\ not a marker",
            "Binary files a/q and b/q differ",
            "new file mode 100644",
            "",
            "++ double",
        )
    )
    write(repo, "tricky.txt", tricky)
    write(repo, "nonl.txt", "one\ntwo")
    write(repo, "crlf.txt", b"first\r\nsecond\r\n")
    write(repo, "empty.txt", "")
    write(repo, "img.bin", b"\x00\x01binary\x00")
    write(repo, 'quo"te.txt', "q\n")
    write(repo, "tab\there.txt", "t\n")
    write(repo, "moved/from.txt", "".join(f"row {i}\n" for i in range(12)))
    commit_all(repo, "base")
    # a removed '--- x' and an added '+++ z' line in one hunk; '\ No newline' after both runs
    write(repo, "tricky.txt", tricky.replace("--- x\n", "+++ z\n-- w\n"))
    write(repo, "nonl.txt", "one\nTWO")
    write(repo, "crlf.txt", b"first\r\nthird\r\nsecond\r\n")
    write(repo, "img.bin", b"\x00\x02binary\x00")
    commit_all(repo, "edits")
    git(repo, "mv", "moved/from.txt", "moved/to.txt")
    write(repo, "moved/to.txt", "".join(f"row {i}\n" for i in range(12)).replace("row 5\n", "row five\n"))
    (repo / "tab\there.txt").chmod(0o755)
    (repo / 'quo"te.txt').unlink()
    first = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{first},sub")
    commit_all(repo, "rename, mode, delete, submodule")
    git(repo, "commit", "-q", "--allow-empty", "-m", "nothing")
    git(repo, "checkout", "-q", "-b", "topic")
    write(repo, "nonl.txt", "one\nfrom topic\n")
    commit_all(repo, "topic")
    git(repo, "checkout", "-q", "main")
    write(repo, "nonl.txt", "one\nfrom main\n")
    commit_all(repo, "main")
    with pytest.raises(subprocess.CalledProcessError):  # a conflict: git merge exits 1
        git(repo, "merge", "-q", "topic")
    write(repo, "nonl.txt", "one\nresolved\nfrom main\n")
    commit_all(repo, "merge")


def _log_output(repo: Path) -> bytes:
    """What ``check-secrets git --all`` reads from git for this repository, as one byte string."""
    from autoaudit_secrets.scan.sources._git import _LOG, _GitPipe

    ids = git(repo, "rev-list", "--topo-order", "--reverse", "--all").split()
    pipe = _GitPipe(
        repo, [*_LOG, "--no-walk=unsorted", "--stdin"], stdin="".join(f"{i}\n" for i in ids).encode()
    )
    data = b"".join(pipe.chunks())
    pipe.finish()
    return data


def _check_against_blobs(repo: Path, items: list[CommitChanges]) -> None:
    for item in items:
        for file in item.files:
            if not file.binary:
                added(repo, file)  # the added text is those lines of the new version


def test_parse_chunks_gives_the_same_result_wherever_the_output_is_cut(git_repo: Path) -> None:
    from autoaudit_secrets.scan.sources._patch import parse_chunks

    _varied_history(git_repo)
    data = _log_output(git_repo)
    whole = list(parse_chunks([data]))
    _check_against_blobs(git_repo, whole)
    files = {f.path: f for item in whole for f in item.files}
    assert {"tricky.txt", "nonl.txt", "crlf.txt", "img.bin", 'quo"te.txt', "tab\there.txt"} <= set(files)
    assert "sub" not in files and "empty.txt" not in files  # a submodule; an empty file adds no line
    # the merge and the empty commit: git writes no patch for a merge (what a merge adds is worked out from
    # its files' versions), and with deleted files left out (--diff-filter=d) it leaves out a commit without
    # a change listed
    assert all(item.files and item.parents < 2 for item in whole)
    empty = git(git_repo, "log", "--all", "--format=%H", "--grep=^nothing$").split()
    assert len(empty) == 1
    ordinary = set(git(git_repo, "rev-list", "--no-merges", "--all").split()) - set(empty)
    assert [item.commit.sha for item in whole if item.commit] == [
        sha
        for sha in git(git_repo, "rev-list", "--topo-order", "--reverse", "--all").split()
        if sha in ordinary
    ]
    for size in range(1, len(data) + 1):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert list(parse_chunks(chunks)) == whole, size


def test_removed_lines_are_placed_after_the_new_line_they_stood_below(git_repo: Path) -> None:
    from autoaudit_secrets.scan.sources._patch import parse_chunks

    rows = [f"row {n}\n" for n in range(1, 11)]
    write(git_repo, "rows.txt", "".join(rows))
    write(git_repo, "other.txt", "a\nb\nc\n")
    commit_all(git_repo, "base")
    # rows 1, 4-5 and 10 removed: at the top, in the middle, at the end
    write(git_repo, "rows.txt", "".join(rows[1:3] + rows[5:9]))
    write(git_repo, "other.txt", "a\nc\nd\n")  # a removal and an addition in two hunks
    removals = commit_all(git_repo, "removals")
    write(git_repo, "rows.txt", "".join([*rows[1:3], "six\n", *rows[6:9]]))  # a line replaced
    replaced = commit_all(git_repo, "a line replaced")
    data = _log_output(git_repo)
    whole = list(parse_chunks([data]))
    _check_against_blobs(git_repo, whole)
    files = {(item.commit.sha, f.path): f for item in whole if item.commit for f in item.files}
    only = files[(removals, "rows.txt")]
    assert (only.added, only.added_text, only.removed_after) == (set(), b"", (0, 2, 6))
    both = files[(removals, "other.txt")]
    assert (both.added, both.removed_after) == ({3}, (1,))
    assert files[(replaced, "rows.txt")].removed_after == ()  # the added line stands in their place
    for size in range(1, len(data) + 1):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert list(parse_chunks(chunks)) == whole, size


def test_staged_output_cut_anywhere_reads_the_same(git_repo: Path) -> None:
    from autoaudit_secrets.scan.sources._git import _PATCH_OPTIONS, _GitPipe
    from autoaudit_secrets.scan.sources._patch import parse_chunks

    _varied_history(git_repo)
    write(git_repo, "tricky.txt", "+++ staged\n--- too\n")
    write(git_repo, "nonl.txt", "one\nresolved\nfrom main")
    write(git_repo, "new.txt", "fresh\n")
    git(git_repo, "add", "-A")
    pipe = _GitPipe(git_repo, ["diff", "--cached", *_PATCH_OPTIONS, "HEAD", "--"])
    data = b"".join(pipe.chunks())
    pipe.finish()
    [whole] = parse_chunks([data], staged=True)
    assert whole.commit is None
    assert {f.path: f.added_text for f in whole.files} == {
        "tricky.txt": b"+++ staged\n--- too\n",
        "nonl.txt": b"from main\n",
        "new.txt": b"fresh\n",
    }
    for size in range(1, len(data) + 1):
        assert list(parse_chunks([data[i : i + size] for i in range(0, len(data), size)], staged=True)) == [
            whole
        ], size


def test_header_like_content_lines_are_content(git_repo: Path) -> None:
    _varied_history(git_repo)
    edits = next(
        c for c in changes(git_repo, GitMode.ALL) if "tricky.txt" in by_path(c) and c.files[0].old_blobs
    )
    file = by_path(edits)["tricky.txt"]
    # the hunk removes '--- x' and adds '+++ z' and '-- w': neither is read as the file's ---/+++ header
    assert (file.path, file.old_path) == ("tricky.txt", None)
    assert file.added == {1, 2}
    assert file.added_text == b"+++ z\n-- w\n"


def test_nul_bytes_and_crlf_in_added_lines_are_kept(git_repo: Path) -> None:
    # git looks for NUL bytes in the first 8000 bytes only: later ones are text in the patch
    body = b"x" * 8100 + b"\n"
    write(git_repo, "late-nul.txt", body)
    commit_all(git_repo, "base")
    write(git_repo, "late-nul.txt", body + b"a\x00b\r\n")
    commit_all(git_repo, "nul")
    file = by_path(changes(git_repo, GitMode.ALL)[-1])["late-nul.txt"]
    assert not file.binary
    assert file.added == {2}
    assert file.added_text == b"a\x00b\r\n"


def test_git_output_without_a_final_newline_ends_its_last_line(git_repo: Path) -> None:
    from autoaudit_secrets.scan.sources._git import _GitPipe

    write(git_repo, "nonl.txt", "one\ntwo")
    commit_all(git_repo, "base")
    pipe = _GitPipe(git_repo, ["show", "HEAD:nonl.txt"])
    data = b"".join(pipe.chunks())
    pipe.finish()
    # the next git process's output (a shard of a long history) must start on a line of its own
    assert data == b"one\ntwo\n"


def _one_file(patch: str) -> FileChange | None:
    """The file of a one-commit patch, given as git writes it."""
    from autoaudit_secrets.scan.sources._patch import parse_chunks

    head = f"\x01{'a' * 40} {'b' * 40}\x1fdev@example.test\x1f2024-01-02T03:04:05+00:00\n\n"
    [item] = parse_chunks([(head + patch).encode()])
    return item.files[0] if item.files else None


def _diff(hunks: str) -> str:
    return (
        f"diff --git a/f.txt b/f.txt\nindex {'1' * 40}..{'2' * 40} 100644\n--- a/f.txt\n+++ b/f.txt\n{hunks}"
    )


def test_hunk_lines_are_taken_by_the_header_counts() -> None:
    # a hunk that says it adds two lines takes the next two lines, whatever they look like
    file = _one_file(_diff("@@ -0,0 +1,2 @@\n+one\ndiff --git a/other b/other\n"))
    assert file is not None and file.added == {1, 2}
    assert file.added_text == b"one\ndiff --git a/other b/other\n"
    # '\ No newline' after the removed lines and after the added ones
    file = _one_file(
        _diff("@@ -3 +3 @@\n-old\n\\ No newline at end of file\n+new\n\\ No newline at end of file\n")
    )
    assert file is not None and (file.added, file.added_text) == ({3}, b"new\n")
    # a removed run without '-' (malformed): still the header's count
    file = _one_file(_diff("@@ -1,2 +1 @@\n-a\n+b\n+c\n"))
    assert file is not None and (file.added, file.added_text) == ({1}, b"c\n")


def test_removals_are_taken_by_the_header_counts() -> None:
    # hunks that add nothing: where their lines stood, by the new line above them (0: at the top)
    file = _one_file(_diff("@@ -1,2 +0,0 @@\n-a\n-b\n@@ -5 +3,0 @@\n-c\n@@ -9 +7 @@\n-d\n+e\n"))
    assert file is not None and (file.added, file.removed_after) == ({7}, (0, 3))
    # '\ No newline' after the removed lines; a removed line that looks like a header
    file = _one_file(_diff("@@ -3,2 +2,0 @@\n--- a/f.txt\n-x\n\\ No newline at end of file\n"))
    assert file is not None and (file.added, file.added_text, file.removed_after) == (set(), b"", (2,))
    # fewer removed lines than the header says (a truncated output): still placed
    file = _one_file(_diff("@@ -4,3 +3,0 @@\n-a\n"))
    assert file is not None and (file.added, file.removed_after) == (set(), (3,))
    # a deleted file is still left out
    deleted = f"diff --git a/f.txt b/f.txt\ndeleted file mode 100644\nindex {'1' * 40}..{'0' * 40}\n"
    assert _one_file(deleted + "--- a/f.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n") is None


def test_malformed_output_never_hangs_or_raises_other_errors() -> None:
    cases = [
        _diff("@@ -1 +1,3 @@\n-a\n+b\n"),  # truncated: only the lines there count
        _diff(f"@@ -1 +1,{'9' * 5000} @@\n+a\n"),  # a count int() cannot read
        _diff("@@ -1,999999999999 +1,999999999999 @@\n+a\n"),
        "diff --cc f.txt\n@@@ garbage @@@\n++a\n",
        "diff --cc f.txt\n@@@@ -1 -1 -1 +1,x @@@@\n+++a\n",
        "@@ -1 +1 @@\n+orphan hunk\n",
        "diff --git\n+++ \n--- \nindex \nBinary files  differ\n",
        "\\\n\n\n@@@\n",
    ]
    for patch in cases:
        for cut in (patch, patch.rstrip("\n"), patch[: len(patch) // 2]):
            _one_file(cut)  # no exception
    truncated = _one_file(_diff("@@ -1 +1,3 @@\n-a\n+b\n"))
    assert truncated is not None and (truncated.added, truncated.added_text) == ({1}, b"b\n")
    with pytest.raises(ScanError):
        list(parse_patch([b"\x01", b"diff --git a/x b/x"]))  # a commit header without an id


def test_empty_outputs() -> None:
    assert list(parse_patch([])) == []
    assert list(parse_patch([], staged=True)) == [CommitChanges(None, ())]
    [empty] = parse_patch([f"\x01{'a' * 40}\x1fx@example.test\x1f2024-01-02T03:04:05+00:00".encode()])
    assert empty.files == () and empty.parents == 0


def test_a_later_part_goes_on_into_a_spill_file_and_reads_back_the_same(git_repo: Path) -> None:
    """A git process whose output the scan does not read yet (a later part of the history) goes on writing
    past its memory share into a temp file, up to the spill limit; the output read back is git's, byte for
    byte, in order."""
    import time

    from autoaudit_secrets.scan.sources._git import _CHUNK, _LOG, _GitPipe

    for n in range(6):
        write(git_repo, f"big{n}.txt", "".join(f"line {n}-{i} " + "x" * 60 + "\n" for i in range(12_000)))
        commit_all(git_repo, f"big {n}")
    ids = git(git_repo, "rev-list", "--reverse", "--all").split()
    stdin = "".join(f"{sha}\n" for sha in ids).encode()
    expected = subprocess.run(
        ["git", *_LOG, "--no-walk=unsorted", "--stdin"],
        cwd=git_repo,
        input=stdin,
        capture_output=True,
        check=True,
    ).stdout
    assert len(expected) > 8 * _CHUNK

    def read(spill: int) -> tuple[bytes, int]:
        pipe = _GitPipe(
            git_repo,
            [*_LOG, "--no-walk=unsorted", "--stdin"],
            stdin=stdin,
            read_ahead=2 * _CHUNK,
            spill=spill,
        )
        # nobody reads: wait until git is done or its reader stops writing ahead (memory and spill full)
        deadline, last, still = time.monotonic() + 30, -1, 0
        while pipe.proc.poll() is None and time.monotonic() < deadline and still < 10:
            time.sleep(0.05)
            still = still + 1 if pipe._spilled == last else 0
            last = pipe._spilled
        data = b"".join(pipe.chunks())
        pipe.finish()
        return data, pipe._spilled

    spilled_data, spilled = read(spill=1 << 30)
    assert spilled_data == expected
    assert spilled >= len(expected) - 4 * _CHUNK  # all but the memory share (and git's pipe) went to the file
    capped_data, capped = read(spill=3 * _CHUNK)
    assert capped_data == expected and 0 < capped <= 3 * _CHUNK  # the limit holds: then git waits
    plain_data, none = read(spill=0)
    assert plain_data == expected and none == 0


def _big_history(git_repo: Path, commits: int = 6) -> list[str]:
    for n in range(commits):
        write(git_repo, f"big{n}.txt", "".join(f"line {n}-{i} " + "x" * 60 + "\n" for i in range(12_000)))
        commit_all(git_repo, f"big {n}")
    return git(git_repo, "rev-list", "--reverse", "--all").split()


def test_a_git_pipe_says_when_git_is_held_back_and_when_its_output_ends(git_repo: Path) -> None:
    """The reader thread tells its owner, once each: that git is held back (its memory share is full and
    there is no spill room: a CPU is free for another git), and that git's output has ended."""
    import threading

    from autoaudit_secrets.scan.sources._git import _CHUNK, _LOG, _GitPipe

    ids = _big_history(git_repo)
    stdin = "".join(f"{sha}\n" for sha in ids).encode()
    held, ended = threading.Event(), threading.Event()
    calls: list[str] = []

    def on_held() -> None:
        calls.append("held")
        held.set()

    def on_end() -> None:
        calls.append("end")
        ended.set()

    pipe = _GitPipe(
        git_repo, [*_LOG, "--no-walk=unsorted", "--stdin"], stdin=stdin, read_ahead=2 * _CHUNK,
        on_held=on_held, on_end=on_end,
    )  # fmt: skip
    assert held.wait(30), "nobody reads: git fills its share and is held back"
    assert not ended.is_set() and pipe.proc.poll() is None, "git waits for the scan"
    data = b"".join(pipe.chunks())
    pipe.finish()
    assert ended.is_set() and calls == ["held", "end"]
    assert data.count(b"\x01") == len(ids)

    quiet: list[str] = []
    small = _GitPipe(
        git_repo, ["show", "--no-patch", "HEAD"], on_held=lambda: quiet.append("held"),
        on_end=lambda: quiet.append("end"),
    )  # fmt: skip
    b"".join(small.chunks())
    small.finish()
    assert quiet == ["end"], "a small output never fills the memory share"


def test_a_killed_git_pipe_does_not_say_its_output_ended(git_repo: Path) -> None:
    from autoaudit_secrets.scan.sources._git import _CHUNK, _LOG, _GitPipe

    ids = _big_history(git_repo, 3)
    ended: list[bool] = []
    pipe = _GitPipe(
        git_repo, [*_LOG, "--no-walk=unsorted", "--stdin"], stdin="".join(f"{s}\n" for s in ids).encode(),
        read_ahead=2 * _CHUNK, on_end=lambda: ended.append(True),
    )  # fmt: skip
    pipe.kill()
    assert ended == []


def test_a_later_part_starts_its_git_only_when_wanted(git_repo: Path) -> None:
    """With two parts, the second part's git is not started with the first: it starts when the first git is
    held back by a full buffer or is done (here: the scan does not read, so the first git is held back). The
    changes read are those of one git."""
    import time

    from autoaudit_secrets.scan.sources import _git

    ids = _big_history(git_repo)
    selection = GitSelection(GitMode.ALL)
    with ChangeStream(git_repo, selection, jobs=1) as one:
        serial = list(one)
    original = _git._READ_AHEAD
    _git._READ_AHEAD = 4 * _git._CHUNK  # (a share of 2 chunks per part: the first git is held back early)
    try:
        with ChangeStream(git_repo, selection, jobs=2, min_shard=2) as two:
            two.order()  # the plan is made and the first git started
            assert len(two._parts) == 2
            deadline = time.monotonic() + 30
            while len(two._pipes) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(two._pipes) == 2, "the first git, held back, has the second started"
            first = two._pipes[0]
            assert first.proc.poll() is None, "...while the first still waits for the scan"
            parallel = list(two)
    finally:
        _git._READ_AHEAD = original
    assert parallel == serial and len(serial) == len(ids)

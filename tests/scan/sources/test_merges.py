"""What a merge adds of its own: the lines of its files new to every parent, from the versions' contents."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from autoaudit_secrets.scan.sources._git import _GIT_CONFIG, _MERGE_LISTING, BlobReader
from autoaudit_secrets.scan.sources._merges import merge_changes, merge_lines, parse_merge_listing
from tests.conftest import git
from tests.scan.test_git_reader import commit_all, write


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def _in_no_parent(merged: bytes, parents: list[bytes]) -> set[int]:
    """The lines whose text no parent has anywhere (what a merge must report, at the least)."""
    known = {line for parent in parents for line in _lines(parent)}
    return {n for n, line in enumerate(_lines(merged), 1) if line not in known}


def test_a_line_written_in_the_merge_is_found_at_its_number() -> None:
    base = [f"line {n}" for n in range(1, 41)]
    ours = base.copy()
    ours[3] = "ours"
    theirs = base.copy()
    theirs[30] = "theirs"
    merged = ours.copy()
    merged[30] = "theirs"
    merged.insert(20, "written while merging")

    def encode(lines: list[str]) -> bytes:
        return "".join(f"{line}\n" for line in lines).encode()

    numbers, text = merge_lines(encode(merged), [encode(ours), encode(theirs)])
    assert (numbers, text) == ({21}, b"written while merging\n")


def test_versions_taken_from_the_parents_add_nothing() -> None:
    ours, theirs = b"a\nb\nours\n", b"theirs\na\nb\n"
    assert merge_lines(ours, [ours, theirs]) == (set(), b"")
    assert merge_lines(b"theirs\na\nb\nours\n", [ours, theirs]) == (set(), b"")  # each side's change kept
    # a line moved within the changed part is not written anew
    assert merge_lines(b"b\na\n", [b"a\nb\n", b"a\nb\nc\n"]) == (set(), b"")


def test_a_new_file_and_a_last_line_without_newline() -> None:
    assert merge_lines(b"x\r\ny", []) == ({1, 2}, b"x\r\ny\n")
    numbers, _ = merge_lines(b"a\nb\nsecret", [b"a\nb\n", b"a\nb\nc"])
    assert numbers == {3}


def test_every_line_in_no_parent_is_reported() -> None:
    """Random merges of small files (few distinct lines: many repeats): a line that no parent has is always
    reported, with its text; a merge identical to a parent reports nothing."""
    rnd = random.Random(7)
    words = [b"a", b"b", b"c", b"dd", b"", b"eee"]

    def edit(lines: list[bytes]) -> list[bytes]:
        lines = list(lines)
        for _ in range(rnd.randint(0, 3)):
            choice = rnd.random()
            word = rnd.choice([*words, b"new%d" % rnd.randint(0, 3)])
            if choice < 0.4 and lines:
                lines[rnd.randrange(len(lines))] = word
            elif choice < 0.7:
                lines.insert(rnd.randint(0, len(lines)), word)
            elif lines:
                del lines[rnd.randrange(len(lines))]
        return lines

    def encode(lines: list[bytes]) -> bytes:
        return b"\n".join(lines) + (b"\n" if lines and rnd.random() < 0.8 else b"")

    for _ in range(5000):
        base = [rnd.choice(words) for _ in range(rnd.randint(0, 12))]
        merged = encode(edit(base))
        parents = [encode(edit(base)) for _ in range(rnd.randint(0, 3))]
        numbers, text = merge_lines(merged, parents)
        assert _in_no_parent(merged, parents) <= numbers, (merged, parents)
        source = merged.split(b"\n")
        assert text == b"".join(source[n - 1] + b"\n" for n in sorted(numbers))
        if merged in parents:
            assert not numbers


def _listing(repo: Path) -> bytes:
    return subprocess.run(
        ["git", *_GIT_CONFIG, *_MERGE_LISTING, "--all", "--"], cwd=repo, capture_output=True, check=True
    ).stdout


def test_listing_and_changes_of_a_conflicted_merge(git_repo: Path) -> None:
    write(git_repo, "conf\tfile.txt", "a\nb\nc\n")
    write(git_repo, "gone.txt", "g\n")
    write(git_repo, "same.txt", "s\n")
    commit_all(git_repo, "base")
    git(git_repo, "checkout", "-q", "-b", "topic")
    write(git_repo, "conf\tfile.txt", "a\ntopic\nc\n")
    write(git_repo, "gone.txt", "g2\n")
    commit_all(git_repo, "topic")
    git(git_repo, "checkout", "-q", "main")
    write(git_repo, "conf\tfile.txt", "a\nmain\nc\n")
    write(git_repo, "gone.txt", "g3\n")
    commit_all(git_repo, "main")
    with pytest.raises(subprocess.CalledProcessError):  # both sides changed both files
        git(git_repo, "merge", "-q", "topic")
    write(git_repo, "conf\tfile.txt", "a\nmain\nresolved\nc\n")
    (git_repo / "gone.txt").unlink()  # the merge deletes it: nothing to read
    write(git_repo, "only-in-merge.txt", "new\n")
    merge = commit_all(git_repo, "merge")
    listed = parse_merge_listing(_listing(git_repo))
    assert set(listed) == {merge}
    assert listed[merge].parents == 2 and listed[merge].commit.sha == merge
    assert [f.path for f in listed[merge].files] == ["conf\tfile.txt", "only-in-merge.txt"]
    with BlobReader(git_repo) as blobs:
        changes = merge_changes(listed[merge], blobs.read)
    got = {f.path: (sorted(f.added), f.added_text, f.new_file, len(f.old_blobs)) for f in changes.files}
    assert got == {
        "conf\tfile.txt": ([3], b"resolved\n", False, 2),
        "only-in-merge.txt": ([1], b"new\n", True, 0),
    }


def test_a_merge_of_thousands_of_files_is_scanned_to_its_end(git_repo: Path) -> None:
    """A merge resolving conflicts in 700 files asks for 2,100 blobs (each file's version and its parents').
    Asked all at once while none of the answers was read, git filled its output pipe, stopped reading the
    requests, and the scan waited forever (celery/celery's history). Now the requests wait in small batches:
    the run ends, and a line written in the merge is found. Run as the CLI in a subprocess, with a timeout:
    a hang fails the test instead of the suite."""
    rng = random.Random(7)
    filler = "".join(rng.choice("abcdefghij klmnop\n") for _ in range(6000))  # 6 kB per version

    def version(n: int, side: str) -> str:
        return f"{filler}\nfile {n}: {side}\n"

    for n in range(700):
        write(git_repo, f"src/f{n:03}.txt", version(n, "base"))
    commit_all(git_repo, "base")
    git(git_repo, "checkout", "-q", "-b", "topic")
    for n in range(700):
        write(git_repo, f"src/f{n:03}.txt", version(n, "topic"))
    commit_all(git_repo, "topic")
    git(git_repo, "checkout", "-q", "main")
    for n in range(700):
        write(git_repo, f"src/f{n:03}.txt", version(n, "main"))
    commit_all(git_repo, "main")
    with pytest.raises(subprocess.CalledProcessError):  # every file conflicts
        git(git_repo, "merge", "-q", "topic")
    for n in range(700):
        write(git_repo, f"src/f{n:03}.txt", version(n, "resolved"))
    password = "".join(rng.choice("bcdfghjkmnpqrstvwxzBCDFGHJKLMNPQRSTVWXZ23456789") for _ in range(18))
    write(git_repo, "src/f350.txt", version(350, "resolved") + f'db_password = "{password}"\n')
    commit_all(git_repo, "merge")
    run = subprocess.run(
        [sys.executable, "-m", "autoaudit_secrets._cli.scan_main", "git", "--all", "--format", "json", "."],
        cwd=git_repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    findings = json.loads(run.stdout)["findings"]
    assert [(f["path"], f["rule"]) for f in findings] == [("src/f350.txt", "generic-password")]

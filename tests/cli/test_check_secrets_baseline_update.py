"""``check-secrets baseline update`` as a real subprocess on real temp trees and repositories: stale entries
go (so that a secret that comes back is reported again), the others stay, and new findings are accepted only
when named. Every token is random per test; no output and no baseline may hold one."""

from __future__ import annotations

import json
import os
import secrets
import string
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import assert_no_leak, git, json_report, report_places, run_cli

_ALPHABET = string.ascii_letters + string.digits
RULE = "github-pat-classic"


class Tree:
    """A folder of files holding GitHub token shapes, and the baseline beside it."""

    def __init__(self, root: Path) -> None:
        self.root = root / "tree"
        self.root.mkdir()
        self.baseline = root / "baseline.json"
        self.tokens: list[str] = []

    def token(self) -> str:
        value = "ghp_" + "".join(secrets.choice(_ALPHABET) for _ in range(36))
        self.tokens.append(value)
        return value

    def write(self, name: str, token: str | None = None) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# settings\nTOKEN = '{token or self.token()}'\n", encoding="utf-8")

    def run(self, *args: str) -> Any:
        result = run_cli("check-secrets", *args, cwd=self.root)
        assert_no_leak(result.output, self.tokens)
        assert "Traceback" not in result.stderr
        return result

    def create(self) -> None:
        assert self.run("baseline", "create", "-o", str(self.baseline)).returncode == 0

    def update(self, *args: str) -> Any:
        return self.run("baseline", "update", "--baseline", str(self.baseline), *args)

    def entries(self) -> list[tuple[str, str, int]]:
        text = self.baseline.read_text(encoding="utf-8")
        assert_no_leak(text, self.tokens, where="baseline file")
        return sorted((e["rule"], e["path"], e["line"]) for e in json.loads(text)["findings"])

    def reported(self) -> list[tuple[str, str, int]]:
        result = self.run("scan", "--baseline", str(self.baseline), "--format", "json")
        return report_places(json_report(result))


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path)


def test_an_entry_whose_secret_is_gone_is_removed_so_the_secret_is_reported_if_it_comes_back(
    tree: Tree,
) -> None:
    tree.write("a.py")
    kept = tree.token()
    tree.write("b.py", kept)
    tree.create()
    key = json.loads(tree.baseline.read_text())["key"]
    removed = (tree.root / "a.py").read_text()
    (tree.root / "a.py").write_text("TOKEN = None\n")
    result = tree.update()
    assert result.returncode == 0, result.stderr
    assert "updated: 1 kept, 1 removed (no longer found), 0 accepted" in result.stderr
    assert tree.entries() == [(RULE, "b.py", 2)]
    assert json.loads(tree.baseline.read_text())["key"] == key  # the other entries keep their hashes
    # the old baseline would have accepted it silently; the updated one does not
    (tree.root / "a.py").write_text(removed)
    assert tree.reported() == [(RULE, "a.py", 2)]


def test_new_findings_are_accepted_only_when_named(tree: Tree) -> None:
    tree.write("a.py")
    tree.create()
    tree.write("b.py")
    tree.write("src/c.py")
    tree.write("d.py")
    before = tree.baseline.read_bytes()
    nothing = tree.update()
    assert nothing.returncode == 0
    assert "unchanged: 1 kept, 0 removed" in nothing.stderr
    assert "3 new findings not accepted" in nothing.stderr
    assert tree.baseline.read_bytes() == before  # not rewritten
    # by place, as the text report shows it (with or without the column), and by fingerprint
    report = json_report(tree.run("scan", "--format", "json"))
    fingerprint = next(f["fingerprint"] for f in report["findings"] if f["path"] == "d.py")
    result = tree.update("--accept", "b.py:2", "--accept", "./src/c.py:2:10:", "--accept", fingerprint)
    assert result.returncode == 0, result.stderr
    assert "updated: 1 kept, 0 removed (no longer found), 3 accepted" in result.stderr
    assert tree.entries() == [(RULE, "a.py", 2), (RULE, "b.py", 2), (RULE, "d.py", 2), (RULE, "src/c.py", 2)]
    assert tree.reported() == []


def test_accept_new_takes_every_new_finding(tree: Tree) -> None:
    tree.create()  # empty: nothing to accept yet
    assert tree.entries() == []
    tree.write("a.py")
    tree.write("b.py")
    result = tree.update("--accept-new")
    assert result.returncode == 0 and "2 accepted" in result.stderr
    assert tree.entries() == [(RULE, "a.py", 2), (RULE, "b.py", 2)]


def test_an_accept_that_names_no_finding_is_an_error_and_changes_nothing(tree: Tree) -> None:
    tree.write("a.py")
    tree.create()
    (tree.root / "a.py").write_text("gone\n")
    tree.write("b.py")
    before = tree.baseline.read_bytes()
    for wrong in ("b.py:3", "nope.py:2", "0123456789abcdef0123456789abcdef"):
        result = tree.update("--accept", wrong)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            f"check-secrets: error: --accept {wrong}: no current finding is there or has that fingerprint"
        )
    for malformed in ("b.py", "b.py:0", ":2"):
        result = tree.update("--accept", malformed)
        assert result.returncode == 2 and "expected PATH:LINE" in result.stderr
    assert tree.baseline.read_bytes() == before  # the stale entry was not removed by a failed run


def test_it_scans_a_whole_root_and_stops_when_the_root_looks_wrong(tree: Tree) -> None:
    tree.write("src/a.py")
    tree.write("docs/b.py")
    tree.create()
    before = tree.baseline.read_bytes()
    # a part of the root would make the entries of the rest look gone
    for partial in (("src", "docs"), ("src/a.py",)):
        result = tree.update(*partial)
        assert result.returncode == 2 and "scans a whole root" in result.stderr, result.stderr
    # one folder is a root of its own: paths (and fingerprints) are relative to it, so nothing matches
    wrong_root = tree.update("src")
    assert wrong_root.returncode == 2
    assert "none of the 2 entries" in wrong_root.stderr
    assert "was it made in another folder?" in wrong_root.stderr
    assert tree.baseline.read_bytes() == before
    # (where every secret is gone, there is nothing to be wrong about)
    (tree.root / "src" / "a.py").write_text("gone\n")
    (tree.root / "docs" / "b.py").write_text("gone\n")
    assert "0 kept, 2 removed" in tree.update().stderr
    assert tree.entries() == []


def test_the_file_keeps_its_mode_and_must_exist_and_be_a_baseline(tree: Tree) -> None:
    tree.write("a.py")
    tree.create()
    os.chmod(tree.baseline, 0o600)
    (tree.root / "a.py").write_text("gone\n")
    assert tree.update().returncode == 0 and tree.entries() == []
    assert os.stat(tree.baseline).st_mode & 0o777 == 0o600
    missing = tree.run("baseline", "update", "--baseline", str(tree.root / "nope.json"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    other = tree.root / "settings.env"
    other.write_text("A=1\n")
    bad = tree.run("baseline", "update", "--baseline", str(other))
    assert bad.returncode == 2 and other.read_text() == "A=1\n"
    sharded = tree.update("--shard", "1/2")
    assert sharded.returncode == 2 and "--shard" in sharded.stderr


def test_a_version_1_baseline_becomes_version_2_with_its_entries(tree: Tree) -> None:
    tree.write("a.py")
    tree.write("b.py")
    # a version 1 file, as older releases wrote it: scheme v1 fingerprints under the file's key
    from autoaudit_secrets.scan._fingerprint import keyed_hash, legacy_fingerprint

    key = secrets.token_bytes(32)
    entries = [
        {"hash": keyed_hash(key, legacy_fingerprint(RULE, path, v)), "rule": RULE, "path": path, "line": 2}
        for path, v in (("a.py", tree.tokens[0]), ("b.py", tree.tokens[1]))
    ]
    document = {
        "format": "check-secrets-baseline",
        "version": 1,
        "hash": "hmac-sha256(key, fingerprint)",
        "key": key.hex(),
        "findings": entries,
    }
    tree.baseline.write_text(json.dumps(document), encoding="utf-8")
    assert tree.reported() == []
    (tree.root / "b.py").write_text("gone\n")
    result = tree.update()
    assert result.returncode == 0 and "1 kept, 1 removed" in result.stderr, result.stderr
    data = json.loads(tree.baseline.read_text())
    assert data["version"] == 2 and data["key"] == key.hex()
    assert tree.entries() == [(RULE, "a.py", 2)]
    assert tree.reported() == []


def test_git_all_updates_from_the_whole_history(tmp_path: Path) -> None:
    tree = Tree(tmp_path)
    git(tree.root, "init", "-q")
    git(tree.root, "config", "user.name", "T")
    git(tree.root, "config", "user.email", "t@example.test")
    tree.write("a.py")
    git(tree.root, "add", "-A")
    git(tree.root, "commit", "-q", "-m", "one")
    assert tree.run("baseline", "create", "--git-all", "-o", str(tree.baseline)).returncode == 0
    tree.write("b.py")
    git(tree.root, "add", "-A")
    git(tree.root, "commit", "-q", "-m", "two")
    result = tree.update("--git-all", "--accept", "b.py:2")
    assert result.returncode == 0 and "1 kept, 0 removed (no longer found), 1 accepted" in result.stderr
    history = tree.run("git", "--all", "--baseline", str(tree.baseline), "--format", "json")
    assert history.returncode == 0 and json.loads(history.stdout)["findings"] == []


def test_accepting_a_secret_at_one_place_accepts_it_at_its_other_places_in_the_file(tree: Tree) -> None:
    tree.create()
    token = tree.token()
    (tree.root / "a.py").write_text(f"# a\nTOKEN = '{token}'\nAGAIN = '{token}'\n", encoding="utf-8")
    result = tree.update("--accept", "a.py:2")
    assert result.returncode == 0, result.stderr
    assert "1 accepted" in result.stderr and "not accepted" not in result.stderr
    assert tree.reported() == []

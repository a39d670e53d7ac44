"""The walker: .gitignore semantics outside git, excludes, binaries and encodings, size limit, symlinks, huge
lines."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autoaudit_secrets._errors import UsageError
from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions, decode_document
from autoaudit_secrets.scan.sources._tree import in_shard, walk
from tests.conftest import run_cli

GH = "ghp_" + "Zp8Tn4Ws1Yc6Jd0Hf5Ug2Ea9Ib3Ko7Mz1Pq4"


def files(root: Path, **kwargs: object) -> list[str]:
    return [rel for rel, _, _ in walk(root, **kwargs).files]  # type: ignore[arg-type]


def write(root: Path, rel: str, text: str = "x\n") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_nested_gitignore_with_negation_outside_git(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.log\nbuild/\n/top-only.txt\n")
    write(tmp_path, "a.log")
    write(tmp_path, "top-only.txt")
    write(tmp_path, "sub/top-only.txt")
    write(tmp_path, "build/out.py")
    write(tmp_path, "src/keep.py")
    write(tmp_path, "src/.gitignore", "!important.log\nlocal/\n")
    write(tmp_path, "src/important.log")
    write(tmp_path, "src/other.log")
    write(tmp_path, "src/local/x.py")
    assert not (tmp_path / ".git").exists()
    assert files(tmp_path) == [
        ".gitignore",
        "src/.gitignore",
        "src/important.log",
        "src/keep.py",
        "sub/top-only.txt",
    ]


def test_no_ignore_and_exclude(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.log\n")
    write(tmp_path, "a.log")
    write(tmp_path, "vendor/lib.py")
    write(tmp_path, "main.py")
    assert "a.log" in files(tmp_path, no_ignore=True)
    assert files(tmp_path, exclude=["vendor/", "*.gitignore"]) == ["main.py"]


def test_git_directory_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, ".git/config", "[core]\n")
    write(tmp_path, "a.py")
    assert files(tmp_path, no_ignore=True) == ["a.py"]


def test_files_over_max_file_size_are_listed_and_named(tmp_path: Path) -> None:
    # (the scanner reads their first and last parts: a big file is never silently left out)
    write(tmp_path, "big.txt", "y" * 5000)
    write(tmp_path, "small.txt", "y")
    result = walk(tmp_path, max_file_size=1000)
    assert (
        [r for r, _, _ in result.files] == ["big.txt", "small.txt"]
        and result.skipped == 0
        and result.too_large == ["big.txt"]
    )


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_out_of_root_and_loops(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "secret.txt", GH)
    root = tmp_path / "root"
    write(root, "real/a.py")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "escape-file.txt").symlink_to(outside / "secret.txt")
    (root / "real" / "loop").symlink_to(root, target_is_directory=True)
    (root / "inside-link.py").symlink_to(root / "real" / "a.py")
    assert files(root) == ["inside-link.py", "real/a.py"]
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, jobs=1))
    assert result.findings == []


def test_explicit_paths_relative_to_root_and_outside_root_refused(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "ignored.py\n")
    write(tmp_path, "ignored.py")
    write(tmp_path, "pkg/a.py")
    write(tmp_path, "pkg/b.py")
    assert files(tmp_path, paths=[Path("pkg/a.py"), Path("ignored.py")]) == ["ignored.py", "pkg/a.py"]
    assert files(tmp_path, paths=[Path("pkg")]) == ["pkg/a.py", "pkg/b.py"]
    with pytest.raises(UsageError):
        walk(tmp_path, [Path("/")])
    with pytest.raises(UsageError):
        walk(tmp_path, [Path("missing.py")])


def test_decode_document_encodings_and_binaries() -> None:
    text = f"token = {GH}\n"
    assert decode_document(text.encode()) == text
    assert decode_document(codecs.BOM_UTF8 + text.encode()) == text
    assert decode_document(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == text
    assert decode_document(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == text
    assert decode_document(codecs.BOM_UTF32_LE + text.encode("utf-32-le")) == text
    assert decode_document("café = 1\n".encode("latin-1")) == "café = 1\n"
    assert decode_document(b"\x7fELF\x02\x01\x01\x00\x00\x00" + b"\x00" * 100) is None
    assert decode_document(b"") == ""


def test_utf16_file_is_scanned(tmp_path: Path) -> None:
    (tmp_path / "w.ps1").write_bytes(codecs.BOM_UTF16_LE + f'$t = "{GH}"\r\n'.encode("utf-16-le"))
    result = Scanner(ScanConfig()).scan(ScanOptions(root=tmp_path, jobs=1))
    assert [(f.path, f.line) for f in result.findings] == [("w.ps1", 1)]


def test_shard_partition_is_stable_and_complete() -> None:
    paths = [f"dir{i % 13}/file{i}.py" for i in range(500)]
    parts = [[p for p in paths if in_shard(p, (k, 4))] for k in range(1, 5)]
    assert sorted(p for part in parts for p in part) == sorted(paths)
    assert all(60 < len(part) < 190 for part in parts)
    assert parts[2] == [p for p in paths if in_shard(p, (3, 4))]


def test_a_ten_megabyte_single_line_is_scanned_without_hanging(tmp_path: Path) -> None:
    """A minified bundle: one 10 MB line with a token in its middle. The scan is a real process under a
    timeout that a linear scan never comes near (about a second here) and that anything worse than linear
    in the line's length (per character, a look back to the start of the line) runs far past. How fast it
    is, is for benchmarks/bench_scan.py; this checks that it ends, with the token at its exact column."""
    chunk = "var a=function(b){return b.map(function(c){return c*2})};" * 20
    body = (chunk * (10_000_000 // len(chunk) + 1))[:10_000_000]
    body = body[:5_000_000] + f';var k="{GH}";' + body[5_000_000:]
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "app.min.js").write_text(body)
    result = run_cli(
        "check-secrets", "scan", "--jobs", "1", "--format", "json", str(tmp_path / "tree"), timeout=120
    )
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [f["column"] for f in findings if not f["rule"].startswith("generic")] == [
        5_000_000 + len(';var k="') + 1
    ]
    assert GH not in result.output


def test_a_tree_deeper_than_the_recursion_limit_is_walked(tmp_path: Path) -> None:
    # The scan runs under a small recursion limit, so a modest tree proves the walk (and every other tree
    # walk: build-context discovery) is not recursive, while the tree stays shallow enough for pytest's own
    # recursive clean-up of temp folders.
    limit = 150
    deep = tmp_path / "tree"
    deep.mkdir()
    for _ in range(limit + 50):
        deep = deep / "d"
        deep.mkdir()
    (deep / "leaf.txt").write_text("hello\n")
    code = (
        f"import sys; sys.setrecursionlimit({limit}); "
        "from autoaudit_secrets._cli.scan_main import main; main(sys.argv[1:])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "scan", "--format", "json", str(tmp_path / "tree")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stats"]["files_scanned"] == 1

"""``check-secrets git`` opens the archives that commits add or change (and that the index stages), as the
tree scan does: real repositories and archives made at test time, scanned by real subprocesses. Secret
values are made at run time and never printed."""

from __future__ import annotations

import bz2
import lzma
from pathlib import Path

import pytest

from tests.cli.test_check_secrets_archives import _key, _password
from tests.cli.test_check_secrets_cli import CONFIG  # the extra rule acme-api-key
from tests.conftest import CliResult, assert_no_leak, git, json_report, make_tar, make_zip, run_cli


def _git_scan(root: Path, *args: str) -> CliResult:
    return run_cli("check-secrets", "git", *args, cwd=root, timeout=60)


def _places(result: CliResult) -> list[tuple[str, str, str]]:
    """(rule, path, commit) of each finding of a JSON report."""
    findings = json_report(result)["findings"]
    assert isinstance(findings, list)
    return sorted((f["rule"], f["path"], f.get("commit", {}).get("sha", "")) for f in findings)


def _commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".check-secrets.toml").write_text(CONFIG)
    (tmp_path / "README.md").write_text("hello\n")
    _commit(tmp_path, "start")
    return tmp_path


def test_each_secret_in_an_archive_is_reported_once_at_the_commit_that_put_it_there(repo: Path) -> None:
    first, second, password = _key(), _key(), _password()
    (repo / "lib").mkdir()
    (repo / "lib" / "app.jar").write_bytes(make_zip({"config/app.properties": f"api={first}\n".encode()}))
    added = _commit(repo, "add the jar")
    # the jar is rebuilt with one more member: its first secret is not reported again
    (repo / "lib" / "app.jar").write_bytes(
        make_zip(
            {"config/app.properties": f"api={first}\n".encode(), ".env": f"DB_PASSWORD={password}\n".encode()}
        )
    )
    changed = _commit(repo, "rebuild the jar")
    (repo / "dump.tar.gz").write_bytes(make_tar({"db/seed.py": f"KEY = '{second}'\n".encode()}, "w:gz"))
    tarred = _commit(repo, "add a dump")
    result = _git_scan(repo, "--all", "--format", "json")
    assert result.returncode == 1, result.output
    assert_no_leak(result.output, [first, second, password])
    assert _places(result) == sorted(
        [
            ("acme-api-key", "lib/app.jar!config/app.properties", added),
            ("dotenv-plaintext-secret", "lib/app.jar!.env", changed),  # the .env analyzer ran on the member
            ("acme-api-key", "dump.tar.gz!db/seed.py", tarred),
        ]
    )
    # a pull request's commits: only what they added
    since = _git_scan(repo, "--since", added, "--format", "json")
    assert [p[1] for p in _places(since)] == ["dump.tar.gz!db/seed.py", "lib/app.jar!.env"]


def test_bzip2_and_xz_archives_in_history_are_opened(repo: Path) -> None:
    """The history scan picks the archives to read by name: a .tar.xz, a .tbz2 and a single .sql.bz2 too."""
    keys = [_key() for _ in range(3)]
    (repo / "release.tar.xz").write_bytes(
        lzma.compress(make_tar({"app/.env.prod": f"K={keys[0]}\n".encode()}))
    )
    (repo / "old.tbz2").write_bytes(bz2.compress(make_tar({"conf/app.ini": f"key = {keys[1]}\n".encode()})))
    (repo / "seed.sql.bz2").write_bytes(bz2.compress(f"INSERT INTO k VALUES ('{keys[2]}');\n".encode()))
    added = _commit(repo, "archives")
    result = _git_scan(repo, "--all", "--format", "json")
    assert result.returncode == 1, result.output
    assert [(p[1], p[2]) for p in _places(result) if p[0] == "acme-api-key"] == [
        ("old.tbz2!conf/app.ini", added),
        ("release.tar.xz!app/.env.prod", added),
        ("seed.sql.bz2!seed.sql", added),
    ]
    assert_no_leak(result.output, keys)


def test_an_archive_being_committed_is_opened_by_the_pre_commit_scan(repo: Path) -> None:
    key = _key()
    (repo / "backup.zip").write_bytes(make_zip({"settings.py": f"API = '{key}'\n".encode()}))
    git(repo, "add", "backup.zip")
    result = _git_scan(repo, "--staged")
    assert result.returncode == 1, result.output
    assert "backup.zip!settings.py:1:" in result.stdout
    assert_no_leak(result.output, [key])


def test_a_staged_binary_that_is_no_archive_by_name_does_not_load_the_archive_readers(repo: Path) -> None:
    """The pre-commit case with an image staged: it is binary, and not an archive by its name, so neither the
    archive readers nor zipfile are imported (about 40 ms); a staged .zip still is opened."""
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    git(repo, "add", "logo.png")
    code = (
        "import sys\n"
        "from autoaudit_secrets._cli.scan_main import main\n"
        "sys.argv = ['check-secrets', 'git', '--staged']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    readers = ('zipfile', 'autoaudit_secrets.scan.sources._archive')\n"
        "    print('archive readers:', sorted(m for m in readers if m in sys.modules), file=sys.stderr)\n"
    )
    result = run_cli("python", "-c", code, cwd=repo, timeout=60)
    assert result.returncode == 0, result.output
    assert "archive readers: []" in result.stderr
    (repo / "backup.zip").write_bytes(make_zip({"settings.py": b"x = 1\n"}))
    git(repo, "add", "backup.zip")
    opened = run_cli("python", "-c", code, cwd=repo, timeout=60)
    assert "'autoaudit_secrets.scan.sources._archive'" in opened.stderr and "'zipfile'" in opened.stderr


def test_depth_zero_leaves_archives_closed_and_counts_them_skipped(repo: Path) -> None:
    key = _key()
    (repo / "backup.zip").write_bytes(make_zip({"settings.py": f"API = '{key}'\n".encode()}))
    _commit(repo, "backup")
    opened = json_report(_git_scan(repo, "--all", "--format", "json"))
    result = _git_scan(repo, "--all", "--max-archive-depth", "0", "--format", "json")
    assert result.returncode == 0, result.output
    closed = json_report(result)
    assert len(opened["findings"]) == 1 and closed["findings"] == []  # type: ignore[arg-type]
    # the archive is a binary file again: skipped, and its member not scanned
    assert closed["stats"]["files_skipped"] == opened["stats"]["files_skipped"] + 1  # type: ignore[index]
    assert closed["stats"]["files_scanned"] == opened["stats"]["files_scanned"] - 1  # type: ignore[index]


def test_an_archive_over_the_unpacked_budget_is_said_to_be_read_partly(repo: Path) -> None:
    key = _key()
    filler = b"x = 1\n" * 50_000
    (repo / "big.zip").write_bytes(
        make_zip({"a.py": f"API = '{key}'\n".encode(), "b.py": filler, "c.py": filler})
    )
    _commit(repo, "big")
    result = _git_scan(repo, "--all", "--max-unpacked", "100k", "--format", "json")
    report = json_report(result)
    stats = report["stats"]
    assert isinstance(stats, dict) and stats["archives_incomplete"] == 1
    assert [p[1] for p in _places(result)] == ["big.zip!a.py"]  # what was read before the budget ran out
    assert "1 archive read partly" in _git_scan(repo, "--all", "--max-unpacked", "100k").stdout


def test_archives_over_the_run_s_total_are_not_opened_and_said_so(repo: Path) -> None:
    keys = [_key() for _ in range(3)]
    for n, key in enumerate(keys):
        (repo / f"a{n}.zip").write_bytes(
            make_zip({"a.py": f"API = '{key}'\n".encode() + b"x = 1\n" * 20_000})
        )
        _commit(repo, f"archive {n}")
    result = _git_scan(repo, "--all", "--max-unpacked-total", "150k", "--format", "json")
    stats = json_report(result)["stats"]
    assert isinstance(stats, dict) and stats["archives_incomplete"] == 2
    # the first archive, and the head of the second one's member, read before the total ran out
    assert [p[1] for p in _places(result)] == ["a0.zip!a.py", "a1.zip!a.py"]
    assert_no_leak(result.output, keys)


def test_exclude_and_damaged_archives(repo: Path) -> None:
    key = _key()
    (repo / "vendor").mkdir()
    (repo / "vendor" / "lib.zip").write_bytes(make_zip({"k.py": f"API = '{key}'\n".encode()}))
    (repo / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00\xff" * 200)  # a zip header, then garbage
    (repo / "fake.jar").write_bytes(b"\x7fELF" + b"\x00" * 100)  # not an archive at all
    _commit(repo, "vendor")
    result = _git_scan(repo, "--all", "--format", "json")
    assert result.returncode == 1, result.output
    assert [p[1] for p in _places(result)] == ["vendor/lib.zip!k.py"]
    stats = json_report(result)["stats"]
    assert isinstance(stats, dict) and stats["archives_incomplete"] == 1  # the damaged one, not the fake
    config = repo.parent / "exclude.toml"
    config.write_text(
        CONFIG.replace('exclude = [".check-secrets.toml"]', 'exclude = [".check-secrets.toml", "vendor/"]')
    )
    excluded = _git_scan(repo, "--all", "--config", str(config), "--format", "json")
    assert excluded.returncode == 0 and _places(excluded) == [], excluded.output

"""``check-secrets scan`` opens archives in the tree (zip/jar, tar, .tar.gz, .gz, .xz, .bz2): real archives
made at test time, scanned by real subprocesses. Secret values are made at run time and never printed."""

from __future__ import annotations

import bz2
import gzip
import lzma
import secrets
from pathlib import Path

import pytest

from tests.cli.test_check_secrets_cli import CONFIG  # the extra rule acme-api-key
from tests.conftest import CliResult, assert_no_leak, json_report, make_tar, make_zip, report_places, run_cli


def _key() -> str:
    return "acme_" + secrets.token_hex(16)


def _password() -> str:
    return "Q" + secrets.token_urlsafe(14).replace("-", "x").replace("_", "y") + "7z"


def _scan(root: Path, *args: str) -> CliResult:
    return run_cli("check-secrets", "scan", *args, cwd=root, timeout=60)


def _stat(report: dict[str, object], name: str) -> object:
    stats = report["stats"]
    assert isinstance(stats, dict)
    return stats[name]


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, list[str]]:
    """A tree holding a jar (a .env and a properties file inside), a .tar.gz with a zip inside it, and a
    gzip-compressed SQL dump; returns it with the secrets it holds."""
    keys = [_key() for _ in range(4)]
    password = _password()
    (tmp_path / ".check-secrets.toml").write_text(CONFIG)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.jar").write_bytes(
        make_zip(
            {
                "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n",
                "BOOT-INF/classes/application.properties": f"a=1\napi.key={keys[0]}\n".encode(),
                ".env": f"DB_PASSWORD={password}\n".encode(),
            }
        )
    )
    inner = make_zip({"deep/config.yml": f"token: {keys[1]}\n".encode()})
    (tmp_path / "backup.tar.gz").write_bytes(
        make_tar(
            {"srv/settings.py": f"x = 1\ny = 2\nKEY = '{keys[2]}'\n".encode(), "libs/inner.zip": inner},
            "w:gz",
        )
    )
    (tmp_path / "dump.sql.gz").write_bytes(gzip.compress(f"INSERT INTO t VALUES ('{keys[3]}');\n".encode()))
    return tmp_path, [*keys, password]


def test_members_are_scanned_and_reported_inside_their_archives(tree: tuple[Path, list[str]]) -> None:
    root, leaks = tree
    as_json = _scan(root, "--format", "json")
    report = json_report(as_json)
    places = report_places(report)
    assert [p for p in places if p[0] == "acme-api-key"] == [
        ("acme-api-key", "backup.tar.gz!libs/inner.zip!deep/config.yml", 1),
        ("acme-api-key", "backup.tar.gz!srv/settings.py", 3),
        ("acme-api-key", "dist/app.jar!BOOT-INF/classes/application.properties", 2),
        ("acme-api-key", "dump.sql.gz!dump.sql", 1),
    ]
    # the analyzers that own a member's name run on it: a .env inside the jar is a dotenv file
    assert ("dotenv-plaintext-secret", "dist/app.jar!.env", 1) in places
    assert _stat(report, "archives_incomplete") == 0
    as_text = _scan(root)
    assert (
        as_text.returncode == 1
        and "dist/app.jar!BOOT-INF/classes/application.properties:2:" in as_text.stdout
    )
    sarif = _scan(root, "--format", "sarif")
    assert '"uri": "backup.tar.gz%21srv/settings.py"' in sarif.stdout, sarif.output  # ! percent-encoded
    assert_no_leak(as_json.output + as_text.output + sarif.output, leaks)


def test_the_depth_limit_and_depth_zero(tree: tuple[Path, list[str]]) -> None:
    root, leaks = tree
    one = _scan(root, "--max-archive-depth", "1", "--format", "json")
    report = json_report(one)
    paths = {path for _, path, _ in report_places(report)}
    assert "backup.tar.gz!srv/settings.py" in paths
    assert not any("inner.zip" in p for p in paths)
    assert _stat(report, "archives_incomplete") == 1  # the zip inside was not opened: said so
    text = _scan(root, "--max-archive-depth", "1")
    assert "1 archive read partly" in text.stdout and "--max-archive-depth" in text.stdout
    none = json_report(_scan(root, "--max-archive-depth", "0", "--format", "json"))
    assert not any("!" in path for _, path, _ in report_places(none))
    assert _stat(none, "files_skipped") == 3 and _stat(none, "archives_incomplete") == 0  # binary, as before
    assert_no_leak(one.output + text.output, leaks)


def test_exclude_and_allow_paths_cover_an_archive_s_members(tree: tuple[Path, list[str]]) -> None:
    root, _ = tree
    excluded = json_report(_scan(root, "--exclude", "*.jar", "--format", "json"))
    assert not any(path.startswith("dist/app.jar") for _, path, _ in report_places(excluded))
    (root / ".check-secrets.toml").write_text(
        CONFIG.replace("[[rules]]", 'allow-paths = ["dist/"]\n\n[[rules]]', 1)
    )
    allowed = json_report(_scan(root, "--format", "json"))
    paths = {path for _, path, _ in report_places(allowed)}
    assert not any(path.startswith("dist/") for path in paths) and "dump.sql.gz!dump.sql" in paths


def test_a_baseline_accepts_a_member_s_finding(tree: tuple[Path, list[str]]) -> None:
    root, leaks = tree
    created = run_cli("check-secrets", "baseline", "create", "-o", "base.json", cwd=root, timeout=60)
    assert created.returncode == 0, created.output
    assert_no_leak((root / "base.json").read_text(), leaks, where="the baseline")
    assert "app.jar!BOOT-INF" in (root / "base.json").read_text()
    assert _scan(root, "--baseline", "base.json").returncode == 0


def test_a_bomb_ends_quickly_said_to_be_read_partly(tmp_path: Path) -> None:
    key = _key()
    (tmp_path / ".check-secrets.toml").write_text(CONFIG)
    bomb = make_zip({"1.txt": f"k = {key}\n".encode(), "2.bin": b"a" * (300 * 1024 * 1024), "3.txt": b"x\n"})
    (tmp_path / "bomb.zip").write_bytes(bomb)
    result = _scan(tmp_path, "--max-unpacked", "8M", "--format", "json")  # (timeout: 60 s)
    report = json_report(result)
    assert report_places(report) == [("acme-api-key", "bomb.zip!1.txt", 1)]
    assert _stat(report, "archives_incomplete") == 1
    assert_no_leak(result.output, [key])


def test_a_key_at_the_top_of_a_dump_larger_than_the_budget_is_still_found(tmp_path: Path) -> None:
    """A compressed database dump that unpacks to more than --max-unpacked: its reading stops there, and
    what was read of it (the head, as for a large file) is still scanned, in a zip, a .tar.gz, a .gz, a .xz
    and a .tar.bz2 — with a budget smaller than the 4 MiB a compressed stream is unpacked by at a time."""
    keys = [_key() for _ in range(5)]
    (tmp_path / ".check-secrets.toml").write_text(CONFIG)

    def dump(key: str) -> bytes:
        return f"-- {key}\n".encode() + b"INSERT INTO t VALUES (1, 'row');\n" * 100_000  # 3.3 MB

    (tmp_path / "backup.zip").write_bytes(make_zip({"dump.sql": dump(keys[0])}))
    (tmp_path / "backup.tar.gz").write_bytes(make_tar({"dump.sql": dump(keys[1])}, "w:gz"))
    (tmp_path / "dump.sql.gz").write_bytes(gzip.compress(dump(keys[2])))
    (tmp_path / "dump.sql.xz").write_bytes(lzma.compress(dump(keys[3])))
    (tmp_path / "old.tar.bz2").write_bytes(bz2.compress(make_tar({"dump.sql": dump(keys[4])})))
    result = _scan(tmp_path, "--max-unpacked", "1M", "--jobs", "1", "--format", "json")
    report = json_report(result)
    assert report_places(report) == [
        ("acme-api-key", "backup.tar.gz!dump.sql", 1),
        ("acme-api-key", "backup.zip!dump.sql", 1),
        ("acme-api-key", "dump.sql.gz!dump.sql", 1),
        ("acme-api-key", "dump.sql.xz!dump.sql", 1),
        ("acme-api-key", "old.tar.bz2!dump.sql", 1),
    ]
    assert _stat(report, "archives_incomplete") == 5
    assert_no_leak(result.output, keys)


def test_many_bombs_stop_at_the_run_s_total_and_say_so(tmp_path: Path) -> None:
    """Each archive within its own budget, but five of them over --max-unpacked-total: the first two are
    read, the third is cut short (the head of its member is still scanned), the last two are not opened;
    the last three are said to be read partly."""
    keys = [_key() for _ in range(5)]
    (tmp_path / ".check-secrets.toml").write_text(CONFIG)
    for n, key in enumerate(keys):
        member = f"k = {key}\n".encode() + b"x = 1\n" * (1024 * 1024 // 6)
        (tmp_path / f"bomb{n}.zip").write_bytes(make_zip({"big.txt": member}))
    result = _scan(tmp_path, "--max-unpacked-total", "2500k", "--jobs", "1", "--format", "json")
    report = json_report(result)
    assert [(rule, line) for rule, _, line in report_places(report)] == [("acme-api-key", 1)] * 3
    assert _stat(report, "archives_incomplete") == 3
    text = _scan(tmp_path, "--max-unpacked-total", "2500k", "--jobs", "1")
    assert "3 archives read partly" in text.stdout and "--max-unpacked-total" in text.stdout
    assert _stat(json_report(_scan(tmp_path, "--format", "json")), "archives_incomplete") == 0
    assert_no_leak(result.output + text.output, keys)


def test_archives_scanned_by_worker_processes_report_the_same(tree: tuple[Path, list[str]]) -> None:
    root, _ = tree
    (root / "filler.txt").write_text("plain text, nothing secret\n" * 200_000)  # over the pool's threshold
    (root / "broken.zip").write_bytes(b"PK\x03\x04" + secrets.token_bytes(300))
    pooled = json_report(_scan(root, "--jobs", "2", "--format", "json"))
    alone = json_report(_scan(root, "--jobs", "1", "--format", "json"))
    assert report_places(pooled) == report_places(alone) and len(report_places(alone)) >= 5
    assert _stat(pooled, "archives_incomplete") == _stat(alone, "archives_incomplete") == 1


@pytest.mark.parametrize("depth", ["-1", "x", "17"])
def test_a_bad_depth_is_a_usage_error(tmp_path: Path, depth: str) -> None:
    result = _scan(tmp_path, "--max-archive-depth", depth)
    assert (
        result.returncode == 2 and "--max-archive-depth" in result.stderr and "Traceback" not in result.stderr
    )

"""check-secrets image opens the archives inside layers (a Spring Boot jar, a wheel left in a pip cache, a
``.tar.gz``) as the tree scan opens them: hand-made docker-save archives holding real zip and tar files."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig
from autoaudit_secrets.scan.engine._scanner import Scanner
from autoaudit_secrets.scan.sources._archive import ArchiveLimits
from tests.conftest import assert_no_leak, make_tar, make_zip, run_cli
from tests.scan.sources.conftest import LEAKS
from tests.scan.sources.test_image_hostile import docker_archive, layer_tar, scan

TOKEN = LEAKS.run_token


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(ScanConfig())


def _image(tmp_path: Path, *layers: list[tuple[str, bytes | None, str]]) -> Path:
    return docker_archive(tmp_path / "image.tar", [gzip.compress(layer_tar(layer)) for layer in layers])


def test_members_of_archives_in_a_layer_are_scanned_where_they_are(scanner: Scanner, tmp_path: Path) -> None:
    jar = make_zip({"BOOT-INF/classes/application.properties": f"github.token={TOKEN}\n".encode()})
    wheel = make_zip({"pkg/.env": b"DB_PASSWORD=Zq8wPl2mXv7cRt4n\n"})
    seed = make_tar({"seed/settings.py": f"TOKEN = '{TOKEN}'\n".encode()}, "w:gz")
    image = _image(
        tmp_path,
        [("app/app.jar", jar, "file")],
        [
            ("root/.cache/pip/wheels/ab/pkg-1.0-py3-none-any.whl", wheel, "file"),
            ("srv/seed.tgz", seed, "file"),
        ],
    )
    result = scan(scanner, image)
    places = sorted(
        (f.path, f.rule_id, f.line, f.image.layer_index if f.image else 0) for f in result.findings
    )
    assert places == [
        ("app/app.jar!BOOT-INF/classes/application.properties", "github-pat-classic", 1, 1),
        ("root/.cache/pip/wheels/ab/pkg-1.0-py3-none-any.whl!pkg/.env", "dotenv-plaintext-secret", 1, 2),
        ("srv/seed.tgz!seed/settings.py", "github-pat-classic", 1, 2),
    ]
    assert result.stats.archives_incomplete == 0


def test_an_archive_deleted_by_a_later_layer_is_still_reported_with_that_layer(
    scanner: Scanner, tmp_path: Path
) -> None:
    jar = make_zip({"application.yml": f"token: {TOKEN}\n".encode()})
    image = _image(tmp_path, [("app/app.jar", jar, "file")], [("app/.wh.app.jar", b"", "file")])
    (finding,) = scan(scanner, image).findings
    assert finding.path == "app/app.jar!application.yml"
    assert finding.image is not None and finding.image.deleted_in == 2


def test_depth_zero_leaves_them_closed(scanner: Scanner, tmp_path: Path) -> None:
    jar = make_zip({"application.yml": f"token: {TOKEN}\n".encode()})
    result = scan(scanner, _image(tmp_path, [("app/app.jar", jar, "file")]), archive_depth=0)
    assert result.findings == [] and result.stats.files_skipped == 1


def test_the_compressed_documentation_of_os_packages_stays_closed(scanner: Scanner, tmp_path: Path) -> None:
    line = f"token = {TOKEN}\n".encode()
    image = _image(
        tmp_path,
        [
            ("usr/share/doc/git/changelog.Debian.gz", gzip.compress(line), "file"),
            ("usr/share/man/man1/git-credential.1.gz", gzip.compress(line), "file"),
            ("usr/share/info/git.info.gz", gzip.compress(line), "file"),
            ("srv/app/dump.sql.gz", gzip.compress(line), "file"),
        ],
    )
    result = scan(scanner, image)
    assert [f.path for f in result.findings] == ["srv/app/dump.sql.gz!dump.sql"]
    assert result.stats.files_skipped == 3


def test_an_archive_larger_than_memory_holds_is_opened_from_a_temporary_file(
    scanner: Scanner, tmp_path: Path
) -> None:
    """A fat jar over the 64 MiB an archive is held in memory (Spring Boot jars often are): held in a
    temporary file and opened all the same."""
    big = make_zip(
        {
            "BOOT-INF/lib/big.bin": b"\0" * (ArchiveLimits().nested_size + 1),
            "BOOT-INF/classes/application.properties": f"github.token={TOKEN}\n".encode(),
        },
        method=zipfile.ZIP_STORED,
    )
    image = docker_archive(tmp_path / "image.tar", [layer_tar([("app/app.jar", big, "file")])])
    result = scan(scanner, image)
    assert [f.path for f in result.findings] == ["app/app.jar!BOOT-INF/classes/application.properties"]
    assert result.stats.archives_incomplete == 0


def test_a_damaged_archive_is_counted_and_the_rest_of_the_layer_still_read(
    scanner: Scanner, tmp_path: Path
) -> None:
    image = _image(
        tmp_path,
        [
            ("opt/broken.zip", b"PK\x03\x04" + b"\xff" * 300, "file"),
            ("app/c.py", f"T = '{TOKEN}'\n".encode(), "file"),
        ],
    )
    result = scan(scanner, image)
    assert [f.path for f in result.findings] == ["app/c.py"]
    assert result.stats.archives_incomplete == 1


def test_the_cli_opens_them_and_takes_max_archive_depth(tmp_path: Path) -> None:
    jar = make_zip({"application.yml": f"token: {TOKEN}\n".encode()})
    image = _image(tmp_path, [("app/app.jar", jar, "file")])
    opened = run_cli("check-secrets", "image", str(image), cwd=tmp_path)
    assert opened.returncode == 1, opened.output
    assert "app/app.jar!application.yml:1:" in opened.stdout
    closed = run_cli("check-secrets", "image", str(image), "--max-archive-depth", "0", cwd=tmp_path)
    assert closed.returncode == 0, closed.output
    assert_no_leak(opened.output + closed.output, [TOKEN])

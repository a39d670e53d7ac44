"""Writes to a ``.env`` never lose data: symlinks written through, mode and CRLF kept, concurrent edits
serialised; CRLF and BOM files load like plain ones."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from autoaudit_secrets._dotenv import DotenvDocument, parse_dotenv, read_dotenv
from autoaudit_secrets.settings import SecretSettings

from .conftest import Project

# ------------------------------------------------------------------------------------------------ symlinks


def test_set_through_a_symlink_writes_the_target_and_keeps_the_link(project: Project) -> None:
    shared = project.path / "shared"
    shared.mkdir()
    real = shared / "app.env"
    project.env_file.rename(real)
    real.chmod(0o640)
    project.env_file.symlink_to(Path("shared") / "app.env")
    assert project.cli("set", "DB_PASSWORD", "pw-via-link").returncode == 0
    assert project.env_file.is_symlink(), "the link was replaced by a regular file"
    assert os.readlink(project.env_file) == str(Path("shared") / "app.env")
    assert "DB_PASSWORD" in read_dotenv(real)
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    got = project.cli("get", "DB_PASSWORD")
    assert got.returncode == 0 and got.stdout == "pw-via-link\n"
    # Every other writing command too.
    for args in (["encrypt", "PLAIN_TOKEN"], ["decrypt", "--in-place"], ["rotate", "--store", "stdout"]):
        if args[0] == "encrypt":
            real.write_text(real.read_text() + "PLAIN_TOKEN=abc\n")
        result = project.cli(*args)
        assert result.returncode == 0, result.stderr
        assert project.env_file.is_symlink(), args[0]
    assert not [p.name for p in shared.iterdir() if p.name != "app.env"], "temp or lock files left behind"


def test_dangling_symlink_is_created_at_its_target(tmp_path: Path) -> None:
    link = tmp_path / ".env"
    link.symlink_to("real.env")
    doc = DotenvDocument.load(link, missing_ok=True)
    doc.set("A", "1")
    doc.save(link)
    assert link.is_symlink()
    assert (tmp_path / "real.env").read_text() == "A=1\n"


def test_example_output_through_a_symlink(project: Project) -> None:
    (project.path / "hardening_schema.py").write_text(
        "from autoaudit_secrets.settings import SecretSettings\n"
        "class Conf(SecretSettings):\n    a: int = 1\n",
        encoding="utf-8",
    )
    (project.path / "docs.env").write_text("old\n")
    (project.path / ".env.example").symlink_to("docs.env")
    result = project.cli("example", "--schema", "hardening_schema:Conf")
    assert result.returncode == 0, result.stderr
    assert (project.path / ".env.example").is_symlink()
    assert "A=1" in (project.path / "docs.env").read_text()


# ---------------------------------------------------------------------------------------------------- CRLF


def _crlf_project(project: Project) -> None:
    text = project.env_file.read_text().replace("\n", "\r\n")
    project.env_file.write_bytes(("# windows\r\n" + text + "PLAIN_SECRET=abc\r\n").encode())


def test_every_writing_command_keeps_crlf(project: Project) -> None:
    _crlf_project(project)
    steps = [
        ["set", "DB_PASSWORD", "line1\nline2"],
        ["set", "NEW_TOKEN", "x'y"],
        ["encrypt", "PLAIN_SECRET"],
        ["rotate", "--store", "stdout"],
    ]
    for args in steps:
        result = project.cli(*args)
        assert result.returncode == 0, result.stderr
        if args[0] == "rotate":
            project.key = result.stdout.strip()
        data = project.env_file.read_bytes()
        assert b"\n" not in data.replace(b"\r\n", b""), f"bare LF after {args[0]}"
    result = project.cli("decrypt", "--in-place")
    assert result.returncode == 0, result.stderr
    data = project.env_file.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b""), "bare LF after decrypt --in-place"
    values = read_dotenv(project.env_file)
    assert (values["DB_PASSWORD"], values["NEW_TOKEN"], values["PLAIN_SECRET"]) == (
        "line1\nline2",
        "x'y",
        "abc",
    )


MULTILINE_LF = "A='l1\nl2'\nB=\"x\ny\\tz\"\nC=plain\n"


def test_crlf_file_loads_the_same_values_as_its_lf_twin(tmp_path: Path) -> None:
    lf = parse_dotenv(MULTILINE_LF, environ={})
    assert parse_dotenv(MULTILINE_LF.replace("\n", "\r\n"), environ={}) == lf
    doc = DotenvDocument.parse(MULTILINE_LF.replace("\n", "\r\n"))
    assert [doc.get(n) for n in "ABC"] == [lf[n] for n in "ABC"]


class _Conf(SecretSettings):
    a: str
    b: str
    c: str


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
def test_loader_reads_crlf_and_bom_files(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "win.env"
    path.write_bytes(bom + MULTILINE_LF.replace("\n", "\r\n").encode())
    conf = _Conf.load(env_file=path, environ={}, secrets_dir=None)
    assert (conf.a, conf.b, conf.c) == ("l1\nl2", "x\ny\tz", "plain")


def test_set_keeps_a_bom_and_reads_it(project: Project) -> None:
    project.env_file.write_bytes(b"\xef\xbb\xbf" + project.env_file.read_bytes())
    assert project.cli("set", "DB_PASSWORD", "pw-bom").returncode == 0
    assert project.env_file.read_bytes().startswith(b"\xef\xbb\xbfAUTOAUDIT_PUBLIC_KEY=")
    got = project.cli("get", "DB_PASSWORD")
    assert (got.returncode, got.stdout) == (0, "pw-bom\n")


# ------------------------------------------------------------------------------------------- concurrency


def _set_many(env_file: str, prefix: str, count: int) -> None:
    from autoaudit_secrets._cli.secrets_main import main

    sink = io.StringIO()
    for index in range(count):
        with contextlib.redirect_stderr(sink), contextlib.suppress(SystemExit):
            main(["set", f"{prefix}_{index}", f"value-{index}", "--env-file", env_file])


def test_concurrent_set_of_different_names_loses_nothing(project: Project) -> None:
    ctx = multiprocessing.get_context("fork")
    count = 40
    workers = [ctx.Process(target=_set_many, args=(str(project.env_file), p, count)) for p in ("A", "B", "C")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    names = set(read_dotenv(project.env_file))
    lost = sorted({f"{p}_{i}" for p in "ABC" for i in range(count)} - names)
    assert not lost, f"{len(lost)} update(s) lost"
    assert sorted(p.name for p in project.path.iterdir()) == [".env"], "temp or lock files left behind"

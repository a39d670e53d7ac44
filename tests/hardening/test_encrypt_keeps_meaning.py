"""Encrypting never changes what the loader yields: a value holding ``${VAR}`` (which loading expands) is
refused by ``encrypt``/``set`` unless ``--literal`` or single-quoted, and ``decrypt --in-place`` writes back
exactly the value the encrypted line loaded as."""

from __future__ import annotations

from pydantic import SecretStr

from autoaudit_secrets.settings import SecretSettings
from tests.conftest import assert_no_leak

from .conftest import Project, assert_one_line_error

DB_PASSWORD = "pw-7Hq2-expanded"  # check-secrets: allow


class _Conf(SecretSettings):
    database_url: SecretStr
    db_password: SecretStr | None = None


def _loaded(project: Project) -> str:
    conf = _Conf.load(
        env_file=project.env_file,
        environ={"AUTOAUDIT_PRIVATE_KEY": project.key, "DB_PASSWORD": DB_PASSWORD},
        secrets_dir=None,
    )
    return conf.database_url.get_secret_value()


def _append(project: Project, text: str) -> None:
    with project.env_file.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_encrypt_refuses_a_named_value_that_loading_expands(project: Project) -> None:
    for line in ("DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n",
                 'DATABASE_URL="postgres://app:${DB_PASSWORD:-x}@db/app"\n'):  # fmt: skip
        project.env_file.write_text(project.env_file.read_text().splitlines(keepends=True)[0] + line)
        before = project.env_file.read_bytes()
        assert _loaded(project) == f"postgres://app:{DB_PASSWORD}@db/app"
        result = project.cli("encrypt", "DATABASE_URL")
        assert_one_line_error(result)
        assert "DATABASE_URL" in result.stderr and "--literal" in result.stderr
        assert "expand" in result.stderr and "literal text" in result.stderr
        assert_no_leak(result.output, ["postgres://app", "DB_PASSWORD}"])
        assert project.env_file.read_bytes() == before


def test_encrypt_without_names_skips_such_a_value_and_says_why(project: Project) -> None:
    _append(project, "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\nAPI_TOKEN=tok-plain-123\n")
    result = project.cli("encrypt")
    assert result.returncode == 0, result.stderr
    assert "DATABASE_URL: not encrypted" in result.stderr and "--literal" in result.stderr
    assert "encrypted 1 value(s): API_TOKEN" in result.stderr
    assert "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n" in project.env_file.read_text()
    assert _loaded(project) == f"postgres://app:{DB_PASSWORD}@db/app"


def test_literal_and_single_quoted_values_encrypt_and_keep_their_meaning(project: Project) -> None:
    _append(project, "DATABASE_URL='postgres://app:${DB_PASSWORD}@db/app'\n")
    literal = "postgres://app:${DB_PASSWORD}@db/app"
    assert _loaded(project) == literal
    result = project.cli("encrypt", "DATABASE_URL")
    assert result.returncode == 0, result.stderr
    assert "DATABASE_URL=enc:v1:" in project.env_file.read_text()
    assert _loaded(project) == literal
    # An escaped reference in double quotes is literal too.
    project.env_file.write_text(
        project.env_file.read_text().splitlines(keepends=True)[0] + 'DATABASE_URL="a\\${DB_PASSWORD}"\n'
    )
    assert project.cli("encrypt", "DATABASE_URL").returncode == 0
    assert _loaded(project) == "a${DB_PASSWORD}"
    # --literal: the user accepts the literal text.
    project.env_file.write_text(
        project.env_file.read_text().splitlines(keepends=True)[0] + "DATABASE_URL=x${DB_PASSWORD}\n"
    )
    assert project.cli("encrypt", "--literal", "DATABASE_URL").returncode == 0
    assert _loaded(project) == "x${DB_PASSWORD}"


def test_set_refuses_a_reference_unless_literal(project: Project) -> None:
    before = project.env_file.read_bytes()
    for args, stdin in ((["set", "DATABASE_URL", "u:${DB_PASSWORD}@db"], None),
                        (["set", "DATABASE_URL"], "u:${DB_PASSWORD-x}@db\n")):  # fmt: skip
        result = project.cli(*args, input=stdin)
        assert_one_line_error(result)
        assert "--literal" in result.stderr
        assert_no_leak(result.output, ["u:${DB_PASSWORD", "@db"])
    assert project.env_file.read_bytes() == before
    # Not references: no braces, an unclosed brace, an invalid name.
    for value in ("p$ss", "a${", "${1X}"):
        assert project.cli("set", "DATABASE_URL", value).returncode == 0, value
    assert project.cli("set", "--literal", "DATABASE_URL", "u:${DB_PASSWORD}@db").returncode == 0
    assert _loaded(project) == "u:${DB_PASSWORD}@db"


def test_decrypt_in_place_keeps_what_the_encrypted_line_loaded_as(project: Project) -> None:
    for value in ("u:${DB_PASSWORD}@db", "it's ${DB_PASSWORD} and \\${HOME}"):
        assert project.cli("set", "--literal", "DATABASE_URL", value).returncode == 0
        assert _loaded(project) == value
        result = project.cli("decrypt", "--in-place")
        assert result.returncode == 0, result.stderr
        assert "enc:v1:" not in project.env_file.read_text()
        assert _loaded(project) == value, "decrypt --in-place changed what the line loads as"

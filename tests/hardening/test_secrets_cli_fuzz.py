"""Bad input to ``autoaudit-secrets`` (real subprocesses): one line on stderr, a non-zero exit, never a
traceback, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoaudit_secrets._dotenv import DotenvDocument, parse_dotenv
from autoaudit_secrets._errors import DotenvError
from tests.conftest import BIN_DIR

from .conftest import Project, assert_one_line_error

# ------------------------------------------------------------------------------------------- stdin and argv


def test_set_rejects_stdin_that_is_not_utf8(project: Project) -> None:
    before = project.env_file.read_bytes()
    result = project.cli_bytes(["set", "DB_PASSWORD"], stdin=b"\xff\xfepw\x80\n")
    assert_one_line_error(result)
    assert "not valid UTF-8" in result.stderr
    assert project.env_file.read_bytes() == before


def test_set_rejects_an_argument_that_is_not_utf8(project: Project) -> None:
    before = project.env_file.read_bytes()
    result = project.cli_bytes(["set", "DB_PASSWORD", b"pw-\xff\xfe-x"])
    assert_one_line_error(result)
    assert project.env_file.read_bytes() == before


def test_set_refuses_empty_stdin_instead_of_storing_an_empty_secret(project: Project) -> None:
    assert project.cli("set", "DB_PASSWORD", "first-value").returncode == 0
    before = project.env_file.read_bytes()
    result = project.cli_bytes(["set", "DB_PASSWORD"], stdin=b"")
    assert_one_line_error(result)
    assert project.env_file.read_bytes() == before
    # An empty value stays possible, deliberately.
    assert project.cli("set", "EMPTY", "").returncode == 0
    got = project.cli("get", "EMPTY")
    assert (got.returncode, got.stdout) == (0, "\n")
    assert project.cli("set", "EMPTY2", input="\n").returncode == 0


def test_names_that_are_not_utf8_or_not_names_are_one_line_errors(project: Project) -> None:
    for args in (["set", b"DB_\xff", "v"], ["get", b"A\xff"], ["set", "1BAD", "v"], ["set", "A B", "v"]):
        assert_one_line_error(project.cli_bytes(args))


# ------------------------------------------------------------------------------------- --env-file oddities


@pytest.mark.parametrize(
    "args",
    [
        ["get", "A"],
        ["set", "A", "v"],
        ["decrypt"],
        ["decrypt", "--in-place"],
        ["encrypt"],
        ["rotate", "--store", "stdout"],
        ["keygen", "--store", "stdout", "--force"],
        ["run", "--", "true"],
    ],
    ids=lambda args: "-".join(a.strip("-") for a in args),
)
@pytest.mark.parametrize("kind", ["fifo", "directory", "missing"])
def test_env_file_that_is_a_fifo_directory_or_missing(project: Project, args: list[str], kind: str) -> None:
    target = project.path / "weird"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    if kind == "missing" and args[0] == "keygen":
        # Creating a missing .env is keygen's job: it must succeed and write the public key there.
        created = project.cli(args[0], "--env-file", str(target), *args[1:], timeout=20)
        assert created.returncode == 0, created.stderr
        assert "AUTOAUDIT_PUBLIC_KEY=" in target.read_text()
        return
    # A FIFO with no writer used to block the command forever: the timeout makes that a failure.
    result = project.cli(args[0], "--env-file", str(target), *args[1:], timeout=20)
    assert_one_line_error(result)
    assert "weird" in result.stderr


def test_check_with_a_fifo_env_file_or_secret_does_not_hang(project: Project) -> None:
    (project.path / "hardening_schema.py").write_text(
        "from pydantic import SecretStr\n"
        "from autoaudit_secrets.settings import SecretSettings\n"
        "class Conf(SecretSettings):\n    db_password: SecretStr\n",
        encoding="utf-8",
    )
    fifo = project.path / "pipe"
    os.mkfifo(fifo)
    schema = ["check", "--schema", "hardening_schema:Conf"]
    assert_one_line_error(project.cli(*schema, "--env-file", str(fifo), timeout=20))
    # NAME_FILE pointing at a FIFO, and a FIFO in the secrets directory: reported as a problem (exit 1).
    by_file = project.cli(*schema, timeout=20, DB_PASSWORD_FILE=str(fifo))
    assert by_file.returncode == 1, by_file.stderr
    assert "DB_PASSWORD" in by_file.stderr and "not a regular file" in by_file.stderr
    secrets = project.path / "secrets"
    secrets.mkdir()
    os.mkfifo(secrets / "db_password")
    by_dir = project.cli(*schema, "--secrets-dir", str(secrets), timeout=20)
    assert by_dir.returncode == 1, by_dir.stderr
    assert "not a regular file" in by_dir.stderr
    assert "Traceback" not in by_file.output + by_dir.output


def test_private_key_file_that_is_a_fifo_does_not_hang(project: Project) -> None:
    assert project.cli("set", "DB_PASSWORD", "pw-value-1").returncode == 0
    fifo = project.path / "key.fifo"
    os.mkfifo(fifo)
    result = project.cli(
        "get", "DB_PASSWORD", timeout=20, AUTOAUDIT_PRIVATE_KEY="", AUTOAUDIT_PRIVATE_KEY_FILE=str(fifo)
    )
    assert_one_line_error(result)
    assert "not a regular file" in result.stderr


# ------------------------------------------------------------------------------------------ malformed files

MALFORMED = {
    "nul": b"A=x\x00y\nB=2\n",
    "invalid-utf8": b"A=1\nB=\xff\xfe\n",
    "utf16": "A=1\nB=2\n".encode("utf-16"),
    "crlf": b"A=1\r\nB='two'\r\n",
    "lone-cr": b"A=1\rB=2\r",
    "huge-line": b"A=" + b"x" * 3_000_000 + b"\n",
    "unterminated-single": b"A='abc\nB=2\n",
    "unterminated-double": b'A="abc\nB=2\n',
    "garbage-after-quote": b"A='x' y\n",
    "no-equals": b"JUST_A_NAME\n",
    "binary": bytes(range(256)),
    "bom": b"\xef\xbb\xbfA=1\n",
    "unclosed-braces": b"A=" + b"${A:-" * 40_000 + b"\n",
}


@pytest.mark.parametrize("content", list(MALFORMED.values()), ids=list(MALFORMED))
@pytest.mark.parametrize("command", ["get", "decrypt", "set", "encrypt"])
def test_malformed_env_files(project: Project, content: bytes, command: str) -> None:
    public = project.env_file.read_bytes()
    project.env_file.write_bytes(content + b"\n" + public if content.endswith(b"\n") else content)
    args = {"get": ["get", "A"], "decrypt": ["decrypt"], "set": ["set", "Z", "v"], "encrypt": ["encrypt"]}
    result = project.cli_bytes(args[command], timeout=60)
    assert "Traceback" not in result.output
    if result.returncode != 0:
        assert_one_line_error(result)


def test_long_line_of_unclosed_variable_references_parses_in_linear_time() -> None:
    # Each "${" without a "}" after it used to rescan the rest of the line: 50k of them took minutes.
    code = (
        "from autoaudit_secrets._dotenv import parse_dotenv, DotenvDocument\n"
        "t = 'A=' + '${A:-' * 50000 + '\\nB=\"' + '${B-' * 50000 + '\"\\n'\n"
        "v = parse_dotenv(t, environ={})\n"
        "assert v['A'].startswith('${A:-') and v['B'].startswith('${B-'), 'kept as written'\n"
        "DotenvDocument.parse(t).get('B')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------------------------------- argument combinations


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["nope"],
        ["set"],
        ["get"],
        ["get", "A", "B"],
        ["get", "A", "--in-place"],
        ["decrypt", "--store", "stdout"],
        ["keygen", "--store", "nowhere"],
        ["rotate", "--force"],
        ["run"],
        ["run", "--"],
        ["check"],
        ["check", "--schema"],
        ["example", "--schema", "no_such_mod:Conf"],
        ["encrypt", "AUTOAUDIT_PUBLIC_KEY"],
        ["encrypt", "NOT_THERE"],
        ["set", "AUTOAUDIT_PUBLIC_KEY", "x"],
        ["--env-file"],
    ],
    ids=lambda args: "-".join(a.strip("-") for a in args) or "none",
)
def test_wrong_argument_combinations(project: Project, args: list[str]) -> None:
    result = project.cli(*args)
    assert "Traceback" not in result.output
    assert result.returncode == 2
    if args:  # no command at all prints the help on stderr
        assert_one_line_error(result)


# --------------------------------------------------------------------------------------------- properties


_TEXT = st.text(
    alphabet=st.sampled_from(list("AB_=' \"\\#${}:-\n\r\t\x00xé\ufeff")), max_size=60
) | st.binary(max_size=80).map(lambda b: b.decode("utf-8", "replace"))


@given(st.one_of(st.binary(max_size=300), _TEXT.map(lambda text: text.encode("utf-8", "surrogatepass"))))
@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_bytes_as_env_file_through_every_reader(project: Project, data: bytes) -> None:
    project.env_file.write_bytes(data)
    for args in (["check", "--schema", "hardening_schema:Conf", "--env-file", ".env"], ["decrypt"],
                 ["get", "A"], ["set", "A", "v"]):  # fmt: skip
        result = project.cli_bytes(args, timeout=60)
        assert result.returncode in {0, 1, 2}
        assert "Traceback" not in result.stderr


@pytest.fixture(autouse=True)
def _schema_module(request: pytest.FixtureRequest) -> None:
    if "project" in request.fixturenames:
        project: Project = request.getfixturevalue("project")
        (project.path / "hardening_schema.py").write_text(
            "from pydantic import SecretStr\n"
            "from autoaudit_secrets.settings import SecretSettings\n"
            "class Conf(SecretSettings):\n    a: str = 'x'\n    db_password: SecretStr | None = None\n",
            encoding="utf-8",
        )


@given(_TEXT)
@settings(max_examples=400, deadline=None)
def test_parsers_raise_only_dotenv_error(text: str) -> None:
    for parse in (lambda: parse_dotenv(text, environ={}), lambda: DotenvDocument.parse(text).render()):
        try:
            parse()
        except DotenvError as exc:
            assert "\n" not in str(exc)


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_crlf_document_round_trips_any_value(value: str) -> None:
    doc = DotenvDocument.parse("A=1\r\nB='x'\r\n")
    doc.set("C", value)
    doc.set("A", value)
    text = doc.render()
    assert parse_dotenv(text, environ={}, interpolate=False) == {"A": value, "B": "x", "C": value}
    assert "\n" not in text.replace("\r\n", "")


def test_run_with_a_nul_byte_in_a_value_names_the_variable(project: Project) -> None:
    project.env_file.write_bytes(project.env_file.read_bytes() + b'NUL_VALUE="a\x00b"\n')
    result = project.cli("run", "--", "true")
    assert_one_line_error(result)
    assert "NUL_VALUE" in result.stderr and "NUL byte" in result.stderr


def test_keygen_into_a_missing_directory_says_it_cannot_write(project: Project) -> None:
    result = project.cli("keygen", "--store", "stdout", "--env-file", "no/such/dir/.env")
    assert_one_line_error(result)
    assert "cannot write" in result.stderr and "No such file or directory" in result.stderr


def test_utf16_env_file_is_named_with_the_fix(project: Project) -> None:
    (project.path / "ps.env").write_bytes("A=1\r\n".encode("utf-16"))
    for args in (["get", "A", "--env-file", "ps.env"], ["check", "--schema", "hardening_schema:Conf",
                                                       "--env-file", "ps.env"]):  # fmt: skip
        result = project.cli(*args)
        assert "UTF-16 text; save it as UTF-8" in result.stderr
        assert result.returncode in {1, 2} and "Traceback" not in result.stderr


def test_closed_stdout_does_not_turn_success_into_an_error(project: Project) -> None:
    tmp = project.path
    proc = subprocess.run(
        ["sh", "-c", f'"{BIN_DIR / "autoaudit-secrets"}" set DB_PASSWORD pw-closed >&-'],
        cwd=project.path,
        env={**{k: v for k, v in os.environ.items() if k in {"PATH", "PYTHONPATH"}}, "HOME": str(tmp)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert "DB_PASSWORD" in DotenvDocument.load(project.env_file).names()

"""DotenvFileAnalyzer: plaintext secrets in .env files, real-looking secrets in example files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoaudit_secrets.scan._model import Finding, Severity
from autoaudit_secrets.scan.analyzers._dotenv_files import (
    DotenvFileAnalyzer,
    is_dotenv_name,
    is_example_dotenv_name,
    iter_assignments,
)
from tests.conftest import assert_no_leak
from tests.scan._analyzer_fakes import FakeContext, fake_token

PW = "Lk3" + "wQ9zRt5M"  # short, human-chosen-looking
RANDOM = "tZ4q" + "Vw8LpX2nR6sK9yB3mJ7d"  # 24 characters, high entropy
TOKEN = fake_token("e")


def run(text: str, relpath: str = ".env", secret_names: frozenset[str] = frozenset()) -> list[Finding]:
    findings = list(DotenvFileAnalyzer().analyze(relpath, text, FakeContext(Path("."), secret_names)))
    for f in findings:
        assert f.severity is Severity.ERROR
        assert_no_leak(f.message + repr(f), [PW, RANDOM, TOKEN], where=f"finding {f.rule_id}")
    return findings


def ids_lines(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.rule_id, f.line, f.column) for f in findings]


@pytest.mark.parametrize(
    ("path", "is_env", "is_example"),
    [
        (".env", True, False),
        ("app/.env.local", True, False),
        (".env.production", True, False),
        (".envrc", True, False),
        ("deploy/prod.env", True, False),
        (".env.example", True, True),
        (".env.sample", True, True),
        (".env.template", True, True),
        ("example.env", True, True),
        ("src/.env.d.ts", False, False),
        (".env.gpg", False, False),
        (".env.yaml", False, False),
        (".env.local.example", True, True),
        (".env.production.local", True, False),
        (".environment", False, False),
        ("env.py", False, False),
        (".env/config", False, False),
    ],
)
def test_file_names(path: str, is_env: bool, is_example: bool) -> None:
    assert is_dotenv_name(path) is is_env
    assert DotenvFileAnalyzer().applies_to(path) is is_env
    if is_env:
        assert is_example_dotenv_name(path) is is_example


def test_plaintext_secret_under_a_secret_name(tmp_path: Path) -> None:
    text = f"APP_ENV=production\n# database\nDB_PASSWORD={PW}\n"
    findings = run(text)
    assert ids_lines(findings) == [("dotenv-plaintext-secret", 3, 13)]
    assert (findings[0].end_line, findings[0].end_column) == (3, 13 + len(PW))
    assert "DB_PASSWORD" in findings[0].message
    assert findings[0].secret == PW


@pytest.mark.parametrize(
    ("line", "column"),
    [
        (f"export API_TOKEN={PW}", 18),
        (f'API_TOKEN="{PW}"', 12),
        (f"API_TOKEN='{PW}'", 12),
        (f"API_TOKEN = {PW}  # rotated monthly", 13),
        (f"  API_TOKEN={PW}", 13),
    ],
    ids=["export", "double-quoted", "single-quoted", "spaces-and-comment", "indented"],
)
def test_syntax_variants(line: str, column: int) -> None:
    findings = run(f"# header\n{line}\n")
    assert ids_lines(findings) == [("dotenv-plaintext-secret", 2, column)]
    assert findings[0].secret == PW


def test_multiline_double_quoted_value_positions() -> None:
    text = f'LOG_LEVEL=INFO\nSIGNING_SECRET="first line\n  {PW}"\nAFTER=1\n'
    findings = run(text)
    assert [(f.rule_id, f.line) for f in findings] == [("dotenv-plaintext-secret", 2)]
    items = list(iter_assignments(text))
    assert [(i.name, i.line, i.end_line) for i in items] == [
        ("LOG_LEVEL", 1, 1),
        ("SIGNING_SECRET", 2, 3),
        ("AFTER", 4, 4),
    ]


@pytest.mark.parametrize(
    "value",
    [
        f"enc:v1:{'Q' * 48}",
        "",
        "changeme",
        "${VAULT_DB_PASSWORD}",
        "$DB_PASSWORD",
        "<your-password-here>",
        "true",
    ],
    ids=["enc", "empty", "placeholder", "reference", "bare-reference", "angle-placeholder", "boolean"],
)
def test_not_plaintext_secrets(value: str) -> None:
    assert run(f"DB_PASSWORD={value}\n") == []


def test_the_name_of_a_field_holding_the_same_secret_is_not_a_secret() -> None:
    text = "SMTP_PASSWORD=smtp_account_password\nDB_PASSWORD=current-password\nAPI_TOKEN=nextToken\n"
    assert run(text) == []


@pytest.mark.parametrize(
    "line",
    [
        f"SMTP_PASSWORD={PW}",
        "SMTP_PASSWORD=smtp_account_passw0rd",  # a digit: not a field's name
        "DB_PASSWORD=accessToken",  # another secret's word
        "DB_PASSWORD=CorrectHorseBatteryStaple",  # no secret word
        f"SESSION_SECRET={RANDOM}",
    ],
    ids=["chosen", "digit", "other-secret", "no-secret-word", "random"],
)
def test_values_that_are_not_field_names_are_still_reported(line: str) -> None:
    assert [f.rule_id for f in run(line + "\n")] == ["dotenv-plaintext-secret"]


@pytest.mark.parametrize(
    ("value", "reported"),
    [
        ("smtp_account_password", False),
        ("current-password", False),
        ("SmtpPassword", False),
        (PW, True),
        ("smtp_account_passw0rd", True),
    ],
    ids=["snake", "kebab", "pascal", "chosen", "digit"],
)
def test_dotenv_and_generic_rules_agree_on_field_names(value: str, reported: bool) -> None:
    """The real engine: a .env line and the same setting in a YAML file get the same verdict."""
    from autoaudit_secrets.scan import ScanConfig, Scanner

    scanner = Scanner(ScanConfig())
    in_dotenv = scanner.scan_document(".env", f"SMTP_PASSWORD={value}\n")
    in_yaml = scanner.scan_document("config/app.yml", f"smtp:\n  smtp_password: {value}\n")
    assert [f.rule_id for f in in_dotenv] == (["dotenv-plaintext-secret"] if reported else [])
    assert [f.rule_id for f in in_yaml] == (["generic-password-config"] if reported else [])


def test_ordinary_names_are_left_to_the_token_rules() -> None:
    assert run(f"APP_NAME=autoaudit\nGREETING={TOKEN}\n") == []


def test_file_and_path_names_are_not_secrets() -> None:
    assert run("JWT_SECRET_FILE=/run/secrets/jwt_secret\nSSH_KEY_PATH=/home/app/.ssh/id_ed25519\n") == []


@pytest.mark.parametrize("relpath", [".env.example", ".env.sample", "config/.env.template"])
def test_example_files_accept_fake_values(relpath: str) -> None:
    text = "DB_PASSWORD=\nAPI_TOKEN=changeme\nSESSION_SECRET=" + PW + "\nJWT_SECRET=${JWT_SECRET}\n"
    assert run(text, relpath) == []


def test_example_file_with_a_real_looking_secret() -> None:
    text = f"# copy to .env\nDB_PASSWORD=\nSESSION_SECRET={RANDOM}\nGREETING={TOKEN}\n"
    findings = run(text, ".env.example")
    assert ids_lines(findings) == [
        ("dotenv-example-real-secret", 3, 16),
        ("dotenv-example-real-secret", 4, 10),
    ]
    assert "placeholder" in findings[0].message


def test_schema_names_count_whatever_they_look_like() -> None:
    text = f"DSN={PW}\nSIGNING_MATERIAL={PW}\nREGION=eu-west-1\n"
    assert run(text) == []
    findings = run(text, secret_names=frozenset({"DSN", "SIGNING_MATERIAL"}))
    assert [(f.rule_id, f.line) for f in findings] == [
        ("dotenv-plaintext-secret", 1),
        ("dotenv-plaintext-secret", 2),
    ]


def test_garbage_lines_and_binary_are_ignored() -> None:
    assert run("this is not dotenv\n=novalue\n'unterminated\n") == []
    assert run("", ".env") == []
    unterminated = "DB_PASSWORD=" + '"' + PW + "\n"
    assert run(unterminated) == []


def test_every_check_is_in_the_rule_catalog() -> None:
    from autoaudit_secrets.scan._config import analyzer_checks
    from autoaudit_secrets.scan.analyzers._ci_workflows import CI_CHECKS
    from autoaudit_secrets.scan.analyzers._dotenv_files import DOTENV_CHECKS
    from autoaudit_secrets.scan.analyzers.docker._compose import COMPOSE_CHECKS

    catalog = analyzer_checks()
    for check in (*COMPOSE_CHECKS, *CI_CHECKS, *DOTENV_CHECKS):
        assert catalog[check.id].severity is check.severity
        assert catalog[check.id].remediation


# --- agreement with the strict reader (autoaudit_secrets._dotenv) -------------------------------------------

_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_UNQUOTED = st.from_regex(
    r"[A-Za-z0-9_./:@${}%=+#-]([A-Za-z0-9_./:@${}%=+# -]{0,12}[A-Za-z0-9_./:@${}%=+-])?", fullmatch=True
)
_SINGLE = st.text(st.characters(blacklist_characters="'\r", blacklist_categories=("Cs",)), max_size=15)
_DOUBLE = st.text(st.characters(blacklist_characters='"\\\r', blacklist_categories=("Cs",)), max_size=15)


@st.composite
def _dotenv_texts(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["unquoted", "single", "double", "empty", "comment", "blank"]))
        prefix = (
            draw(st.sampled_from(["", "export ", "  "])) + draw(_NAMES) + draw(st.sampled_from(["=", " = "]))
        )
        if kind == "unquoted":
            lines.append(prefix + draw(_UNQUOTED) + draw(st.sampled_from(["", "  # note"])))
        elif kind == "single":
            lines.append(prefix + "'" + draw(_SINGLE) + "'")
        elif kind == "double":
            lines.append(prefix + '"' + draw(_DOUBLE) + '"' + draw(st.sampled_from(["", " # note"])))
        elif kind == "empty":
            lines.append(prefix.rstrip())
        elif kind == "comment":
            lines.append("# " + draw(_UNQUOTED))
        else:
            lines.append("")
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))


@given(_dotenv_texts())
@settings(max_examples=300, deadline=None)
def test_assignments_agree_with_the_strict_reader(text: str) -> None:
    from autoaudit_secrets._dotenv import parse_dotenv

    expected = parse_dotenv(text, interpolate=False)
    items = list(iter_assignments(text))
    assert {i.name: i.value for i in items} == {k: v.replace("\r\n", "\n") for k, v in expected.items()}
    physical = text.replace("\r\n", "\n").split("\n")
    for item in items:
        first = item.value.split("\n")[0]
        line = physical[item.line - 1]
        assert line[item.column - 1 : item.column - 1 + len(first)] == first


def test_previews_hide_passwords_entirely_and_show_a_token_prefix() -> None:
    from autoaudit_secrets._redact import MASK

    by_name = run(f"SESSION_SECRET={RANDOM}\n")
    assert [f.preview for f in by_name] == [MASK]
    by_format = run(f"GREETING={TOKEN}\n", ".env.example")
    assert len(by_format) == 1
    assert by_format[0].preview.startswith(TOKEN[:4]) and by_format[0].preview != MASK

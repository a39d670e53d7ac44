"""Schema-aware scanning (issue 5 item 6): the env-var name of every SecretStr field of a ``--schema`` class
is secret-bearing in Dockerfiles, compose files, CI workflows and .env files, whatever the name looks like."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autoaudit_secrets.scan._model import ScanConfig, ScanOptions
from autoaudit_secrets.scan.engine._scanner import Scanner
from autoaudit_secrets.settings import import_schema, secret_env_names
from tests.conftest import assert_no_leak, run_cli

# Names no name heuristic calls secret; a value no token rule recognises. Built at run time.
VALUE = "Wn5" + "xR8tKq2"
SCHEMA_MODULE = """\
from pydantic import SecretStr

from autoaudit_secrets import SecretSettings


class Settings(SecretSettings):
    dsn: SecretStr
    signing_material: SecretStr
    region: str = "eu-west-1"
"""

# (rule id, path, marker on the expected line)
EXPECTED = {
    ("docker-env-secret", "Dockerfile", "ENV DSN="),
    ("compose-environment-secret", "compose.yaml", "SIGNING_MATERIAL:"),
    ("ci-env-secret", ".github/workflows/ci.yml", "DSN:"),
    ("dotenv-plaintext-secret", "config/app.env", "SIGNING_MATERIAL="),
}
OUR_RULES = {rule for rule, _, _ in EXPECTED}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    files = {
        "tests_pkg/__init__.py": SCHEMA_MODULE,
        "Dockerfile": f"FROM python:3.12-slim\nENV REGION=eu-west-1\nENV DSN={VALUE}\nUSER 10001\n",
        "compose.yaml": f"services:\n  api:\n    image: api\n    environment:\n"
        f"      SIGNING_MATERIAL: {VALUE}\n",
        ".github/workflows/ci.yml": f"on: push\njobs:\n  t:\n    runs-on: x\n    env:\n      DSN: {VALUE}\n"
        "    steps:\n      - run: make\n",
        "config/app.env": f"REGION=eu-west-1\nSIGNING_MATERIAL={VALUE}\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _line_of(path: Path, marker: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if marker in line)


def _expected(root: Path) -> set[tuple[str, str, int]]:
    return {(rule, rel, _line_of(root / rel, marker)) for rule, rel, marker in EXPECTED}


def test_schema_names_are_what_the_settings_class_says(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    assert secret_env_names(import_schema("tests_pkg:Settings")) == {"DSN", "SIGNING_MATERIAL"}


def test_without_the_schema_these_names_are_not_secret(tree: Path) -> None:
    findings = Scanner(ScanConfig()).scan(ScanOptions(root=tree, jobs=1)).findings
    assert [(f.rule_id, f.path, f.line) for f in findings if f.rule_id in OUR_RULES] == []


def test_with_secret_names_every_format_reports_them(tree: Path) -> None:
    config = ScanConfig(secret_names=frozenset({"DSN", "SIGNING_MATERIAL"}))
    findings = Scanner(config).scan(ScanOptions(root=tree, jobs=1)).findings
    got = {(f.rule_id, f.path, f.line) for f in findings if f.rule_id in OUR_RULES}
    assert got == _expected(tree)
    for f in findings:
        assert_no_leak(f.message + f.preview + repr(f), [VALUE], where=f"finding {f.rule_id}")


def test_cli_schema_option_end_to_end(tree: Path) -> None:
    plain = run_cli("check-secrets", "scan", ".", "--format", "json", cwd=tree)
    assert plain.returncode == 0, plain.stderr
    result = run_cli("check-secrets", "scan", ".", "--schema", "tests_pkg:Settings", cwd=tree)
    assert result.returncode == 1, result.stderr
    for rule, rel, line in _expected(tree):
        assert rule in result.output
        assert f"{rel}:{line}" in result.output
    assert_no_leak(result.output, [VALUE], where="check-secrets output")


def test_cli_bad_schema_is_a_one_line_error(tree: Path) -> None:
    result = run_cli("check-secrets", "scan", ".", "--schema", "tests_pkg:Missing", cwd=tree)
    assert result.returncode == 2
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_schema_from_the_configuration_file(tree: Path) -> None:
    (tree / ".check-secrets.toml").write_text('schema = "tests_pkg:Settings"\n')
    result = run_cli("check-secrets", "scan", ".", "--trust-config", cwd=tree)
    assert result.returncode == 1, result.stderr
    for rule, rel, line in _expected(tree):
        assert f"{rel}:{line}" in result.output and rule in result.output
    assert_no_leak(result.output, [VALUE], where="check-secrets output")

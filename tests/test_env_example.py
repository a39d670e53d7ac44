"""The root ``.env.example`` lists every environment variable the package reads; both CLIs answer
``--version``; the packaging metadata carries the licence."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

from autoaudit_secrets._dotenv import parse_dotenv
from tests.conftest import REPO_ROOT, run_cli

PACKAGE = REPO_ROOT / "autoaudit_secrets"
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# Module constants holding one variable name (PRIVATE_KEY_VAR, MATCHER_ENV) or a list of them (CI_MARKERS).
_NAME_CONSTANT = re.compile(r"_?[A-Z0-9_]*(?:_VAR|_ENV)")
_NAME_LIST_CONSTANT = re.compile(r"_?[A-Z0-9_]*_MARKERS")


def _string_constants(tree: ast.Module) -> dict[str, object]:
    constants: dict[str, object] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if isinstance(node, ast.AnnAssign):
            target = node.target
        if not isinstance(target, ast.Name) or node.value is None:  # type: ignore[union-attr]
            continue
        value = node.value  # type: ignore[union-attr]
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            constants[target.id] = value.value
        elif isinstance(value, (ast.Tuple, ast.List, ast.Set)):
            items = [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            constants[target.id] = tuple(items)
    return constants


def _is_environ(node: ast.expr) -> bool:
    text = ast.unparse(node)
    return text.endswith("environ") or text == "os.environ"


def variables_read_by_the_package() -> dict[str, str]:
    """``{variable: "file:line"}`` for every environment variable the package reads, found statically:
    ``environ.get(X)``, ``environ[X]``, ``os.getenv(X)`` with a literal or a module constant, constants named
    ``*_VAR``/``*_ENV`` (variable names handed to a reader), ``*_MARKERS`` lists, and ``*_var="NAME"``
    keyword arguments (``run_program(..., debug_var="AUTOAUDIT_SECRETS_DEBUG")``)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))}
    constants: dict[str, object] = {}
    for tree in trees.values():
        constants.update(_string_constants(tree))
    found: dict[str, str] = {}

    def add(name: object, path: Path, line: int) -> None:
        names = name if isinstance(name, tuple) else (name,)
        for item in names:
            if isinstance(item, str) and _ENV_NAME.fullmatch(item):
                found.setdefault(item, f"{path.relative_to(REPO_ROOT)}:{line}")

    def resolve(node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    for path, tree in trees.items():
        for name, value in _string_constants(tree).items():
            if _NAME_CONSTANT.fullmatch(name) or _NAME_LIST_CONSTANT.fullmatch(name):
                add(value, path, 0)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                reads = isinstance(func, ast.Attribute) and (
                    (func.attr == "get" and _is_environ(func.value)) or ast.unparse(func) == "os.getenv"
                )
                if reads and node.args:
                    add(resolve(node.args[0]), path, node.lineno)
                for keyword in node.keywords:
                    if keyword.arg and keyword.arg.endswith("_var"):
                        add(resolve(keyword.value), path, node.lineno)
            elif isinstance(node, ast.Subscript) and _is_environ(node.value):
                add(resolve(node.slice), path, node.lineno)
    return found


def documented_variables() -> set[str]:
    text = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_scan_finds_the_known_reads() -> None:
    """The static scan itself works: a scan that found nothing would make the next test pass vacuously."""
    found = variables_read_by_the_package()
    for name in ("AUTOAUDIT_PRIVATE_KEY", "AUTOAUDIT_PRIVATE_KEY_FILE", "AUTOAUDIT_PUBLIC_KEY", "APP_ENV",
                 "CHECK_SECRETS_MATCHER", "CHECK_SECRETS_DEBUG", "AUTOAUDIT_SECRETS_DEBUG", "CI",
                 "GITHUB_ACTIONS", "NO_COLOR"):  # fmt: skip
        assert name in found, name


def test_env_example_documents_every_variable_the_package_reads() -> None:
    documented = documented_variables()
    found = variables_read_by_the_package()
    undocumented = {name: where for name, where in found.items() if name not in documented}
    assert not undocumented, f"add these to .env.example: {undocumented}"


def test_env_example_is_a_valid_dotenv_file_that_sets_nothing() -> None:
    text = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    assert parse_dotenv(text, environ={}) == {}  # every line commented out: copying it changes nothing
    assert len(documented_variables()) >= 30


@pytest.mark.parametrize("program", ["autoaudit-secrets", "check-secrets"])
def test_version_on_both_commands(program: str, tmp_path: Path) -> None:
    result = run_cli(program, "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{program} {importlib.metadata.version('autoaudit-secrets')}\n"


def test_license_is_a_pep639_expression_with_the_apache_text() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "Apache-2.0"
    assert project["project"]["license-files"] == ["LICENSE"]
    text = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert importlib.metadata.metadata("autoaudit-secrets")["License-Expression"] == "Apache-2.0"

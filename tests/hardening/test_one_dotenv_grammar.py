"""One ``.env`` grammar: the loader, the editor and check-secrets' ``.env`` analyzer read the same values,
python-dotenv is not a dependency, and the scanner's lenient reading of a hostile file stays linear."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib

import pytest

from autoaudit_secrets._dotenv import parse_dotenv
from autoaudit_secrets.scan.analyzers._dotenv_files import iter_assignments
from tests.conftest import REPO_ROOT

PW = "Lk3" + "wQ9zRt5M"


def test_python_dotenv_is_neither_a_dependency_nor_imported() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [dep for dep in project["dependencies"] if dep.lower().startswith(("python-dotenv", "dotenv"))]
    for path in sorted((REPO_ROOT / "autoaudit_secrets").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            assert not [n for n in names if n.split(".")[0] == "dotenv"], path


@pytest.mark.parametrize(
    "text",
    [
        f"\ufeffDB_PASSWORD={PW}\nB=2\n",  # a BOM (Windows editors): the loader reads line 1, so must we
        f"DB_PASSWORD={PW}\u00a0\nB=2\n",  # a trailing no-break space is part of the value for the loader
        f"DB_PASSWORD={PW}\x0c # c\n",
        f"export  DB_PASSWORD = \"{PW}\\n\\t\"   # c\r\nB='x\r\ny'\r\n",
        f'A=\'{PW}\n${{B}}\'\nDB_PASSWORD="a\\"{PW}"#c\n',
    ],
    ids=["bom", "nbsp", "form-feed", "crlf-escapes", "multiline"],
)
def test_the_scanner_reads_what_the_loader_loads(text: str) -> None:
    loaded = parse_dotenv(text.removeprefix("\ufeff"), interpolate=False)
    items = list(iter_assignments(text))
    decoded = {
        i.name: parse_dotenv(f"X={i.quote}{i.value}{i.quote}\n", interpolate=False)["X"] for i in items
    }
    assert decoded == {k: v.replace("\r\n", "\n") for k, v in loaded.items()}
    lines = text.split("\n")
    for item in items:
        first = item.value.split("\n")[0]
        assert lines[item.line - 1][item.column - 1 :].startswith(first)


def test_a_hostile_file_of_quotes_is_read_in_one_pass() -> None:
    """200,000 lines of opening quotes (each pairs with the next line's) and an unclosed one: every value is
    read, nothing is rescanned per line, and the real secret on the last line is found at its place."""
    code = (
        "from autoaudit_secrets.scan.analyzers._dotenv_files import iter_assignments\n"
        f"text = \"A='\\n\" * 200_000 + 'B=\"\\n' + 'DB_PASSWORD={PW}\\n'\n"
        "items = list(iter_assignments(text))\n"
        "print(len(items), items[-1].name, items[-1].line, items[-1].column)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True, cwd=REPO_ROOT
    )
    assert proc.stdout.split() == ["100001", "DB_PASSWORD", "200002", "13"]

"""Documentation shows configuration files in its code blocks: those blocks are read as configuration (an
unquoted ``NAME=value`` line holds a value there), the rest of the document as documentation, where
``creds = Credentials(`` in a Python block assigns a variable (Prefect's MDX reference). OWASP WrongSecrets'
AsciiDoc explanations show an env file in an unlabeled fence. Real files scanned by the real scanner; the
passwords are random, made at run time."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from autoaudit_secrets.scan.engine._detector import config_blocks
from tests.conftest import random_chars


def _password() -> str:
    return (
        random_chars(string.ascii_letters, 6)
        + "-"
        + random_chars(string.ascii_letters + string.digits, 6)
        + "7!"
    )


def _scan(root: Path) -> list[tuple[str, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)


@pytest.mark.parametrize("name", ["guide.adoc", "README.md", "reference.mdx", "notes.markdown"])
def test_a_configuration_shown_in_a_code_block_is_read_as_one(tmp_path: Path, name: str) -> None:
    env, yaml, prose = _password(), _password(), _password()
    text = (
        "Keep the connection URL apart:\n\n"
        f"```\nDB_HOST=db.internal\n# the account\nDB_USER=dbadmin\nDB_PASS={env}\n```\n\n"
        f"```yaml\ndatabase:\n  password: {yaml}\n```\n\n"
        "```python\ncreds = Credentials(\n    password=get_password(),\n)\n```\n\n"
        f"Outside a block, DB_PASS={prose} is prose.\n\n"
        f"```\nsome output\nDB_PASS={prose}\n```\n"
    )
    (tmp_path / name).write_text(text, encoding="utf-8")
    lines = text.splitlines()
    expected = [(name, lines.index(f"DB_PASS={env}") + 1), (name, lines.index(f"  password: {yaml}") + 1)]
    assert [(path, line) for path, line, _ in _scan(tmp_path)] == expected


def test_asciidoc_source_blocks_by_their_language(tmp_path: Path) -> None:
    ini, python = _password(), _password()
    (tmp_path / "setup.adoc").write_text(
        f"[source,ini]\n----\n[database]\npassword = {ini}\n----\n\n"
        f"[source, python]\n----\ndb = connect(password=os.environ['PW'])\nDB_PASSWORD = '{python}'\n----\n",
        encoding="utf-8",
    )
    found = _scan(tmp_path)
    assert [(path, line) for path, line, _ in found] == [("setup.adoc", 4), ("setup.adoc", 10)]
    assert found[0][2].endswith("-config") and not found[1][2].endswith("-config")  # (the code rule's)


def test_block_spans() -> None:
    text = "a\n```env\nX=1\n```\n~~~~\nA=1\nB=2\n~~~~\n```\nunclosed\nC=3\n"
    spans = config_blocks(text)
    assert [text[a:b] for a, b in spans] == ["X=1\n", "A=1\nB=2\n"]
    opened = "```bash\nexport TOKEN=x\n"  # an unclosed block runs to the end
    assert [opened[a:b] for a, b in config_blocks(opened)] == ["export TOKEN=x\n"]
    assert config_blocks("no block here: DB_PASS=x\n") == []
    # many fences: one pass over the lines (hostile documentation cannot make it quadratic)
    many = "```\nA=1\nB=2\n```\n" * 20000
    assert len(config_blocks(many)) == 20000


def test_aws_s_example_secret_key_cut_short_is_still_its_example(tmp_path: Path) -> None:
    """coollabsio/coolify's Laravel guide shows ``AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI`` in an env block: the
    start of the key AWS's documentation publishes. Another value there is reported."""
    other = random_chars(string.ascii_letters + string.digits, 13)
    (tmp_path / "config.md").write_text(
        "```env\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\n```\n",
        encoding="utf-8",
    )
    assert _scan(tmp_path) == []
    (tmp_path / "config.md").write_text(f"```env\nAWS_SECRET_ACCESS_KEY={other}\n```\n", encoding="utf-8")
    assert [(path, line) for path, line, _ in _scan(tmp_path)] == [("config.md", 2)]

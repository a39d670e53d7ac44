"""One plain lower-case word under a key, token or secret name is a name of something, not a key: FastAPI's
history vendored SQLAlchemy, whose ``strategy_wildcard_key = "relationship"`` was a generic-secret error.
Random values of lower-case letters only under the same names stay reported, and so does a one-word
password (a leaked password, however weak). Random values are made at run time; results name lines only."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from autoaudit_secrets.scan.engine._filters import is_plain_word
from tests.conftest import assert_no_leak, run_cli

# (name, a word) as code and configuration hold them
WORDS = [
    ("strategy_wildcard_key", "relationship"),
    ("SECRET", "authentication"),
    ("api_token", "configuration"),
    ("client_secret", "international"),
]


def _lines(pairs: list[tuple[str, str]]) -> str:
    return "".join(f'    {name} = "{value}"\n' for name, value in pairs)


def _random_letters(n: int) -> str:
    """Random lower-case letters that do not happen to read as a word (about 1 in 7,000 of 16 letters would;
    the test is about the other 6,999)."""
    while True:
        # n different letters: letters drawn with repeats are, about once in 150 at 17 letters, too repetitive
        # for the entropy floor (fwjjlxfyxljyubhxx), which this test is not about
        value = "".join(secrets.SystemRandom().sample(string.ascii_lowercase, n))
        if not is_plain_word(value):
            return value


def _scan(root: Path) -> list[tuple[int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.line, f.rule_id) for f in result.findings)


def test_a_plain_word_under_a_key_token_or_secret_name_is_quiet(tmp_path: Path) -> None:
    (tmp_path / "relationships.py").write_text(f"class Relationship:\n{_lines(WORDS)}", encoding="utf-8")
    assert _scan(tmp_path) == []


def test_random_letters_and_one_word_passwords_stay_reported(tmp_path: Path) -> None:
    pairs = [(name, _random_letters(16 + i)) for i, (name, _) in enumerate(WORDS)]
    values = [value for _, value in pairs]
    pairs += [("DB_PASSWORD", "authentication"), ("admin_password", "administration")]
    (tmp_path / "settings.py").write_text(f"class Settings:\n{_lines(pairs)}", encoding="utf-8")
    assert [line for line, _ in _scan(tmp_path)] == [2, 3, 4, 5, 6, 7]
    result = run_cli("check-secrets", "scan", ".", "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 1
    assert_no_leak(result.output, values)

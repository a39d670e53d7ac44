"""Generic assignments across file formats: what a reviewer would call a hard-coded secret is found, what is
code, a reference, a placeholder, documentation or a non-secret value is not. Ids are indices, never
values."""

from __future__ import annotations

import json

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner
from tests.conftest import DATA_DIR

# (relpath, text) cases live in tests/data/scan (excluded from the project's own secret scan).
_CASES = json.loads((DATA_DIR / "scan" / "generic_cases.json").read_text(encoding="utf-8"))
FOUND: list[tuple[str, str]] = [(rel, text) for rel, text in _CASES["found"]]
QUIET: list[tuple[str, str]] = [(rel, text) for rel, text in _CASES["quiet"]]


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    # The dotenv analyzer's finding replaces a token rule's at the same value in a .env file (one finding per
    # place); here the generic rules themselves are under test.
    return Scanner(ScanConfig(disabled_rules=frozenset({"dotenv-plaintext-secret"})))


def _generic(scanner: Scanner, rel: str, text: str) -> list[str]:
    return [f.rule_id for f in scanner.scan_document(rel, text) if f.rule_id.startswith("generic")]


@pytest.mark.parametrize("index", range(len(FOUND)))
def test_generic_secret_found(scanner: Scanner, index: int) -> None:
    rel, text = FOUND[index]
    assert len(_generic(scanner, rel, text)) == 1, f"case {index} ({rel}) not found exactly once"


@pytest.mark.parametrize("index", range(len(QUIET)))
def test_generic_secret_quiet(scanner: Scanner, index: int) -> None:
    rel, text = QUIET[index]
    assert _generic(scanner, rel, text) == [], f"case {index} ({rel}) wrongly flagged"


def test_schema_secret_names_extend_the_name_check() -> None:
    text = "ACME_DSN = " + '"Xk8Rv4Yb1Nc6Qs0Jd5Hf7Tg2"\n'
    assert _generic(Scanner(ScanConfig()), "a.py", text) == []
    # the name has no secret word, so the pattern itself cannot fire: schema names serve analyzers'
    # is_secret_name
    scanner = Scanner(ScanConfig(secret_names=frozenset({"ACME_DSN"})))
    assert scanner.context().is_secret_name("ACME_DSN")

"""docs/rules.md is generated from the rule registry and must be current; it never shows an example value."""

from __future__ import annotations

import subprocess
import sys

from autoaudit_secrets.scan._model import Confidence, Rule, Severity
from autoaudit_secrets.scan.rules import load_rules
from autoaudit_secrets.scan.rules._docgen import GENERATED_MARK, render_rules_markdown
from tests.conftest import REPO_ROOT, assert_no_leak

DOC = REPO_ROOT / "docs" / "rules.md"


def test_docs_rules_md_is_current() -> None:
    expected = render_rules_markdown()
    actual = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    if actual != expected:
        old, new = actual.splitlines(), expected.splitlines()
        pairs = enumerate(zip(old, new, strict=False))
        first = next((i for i, (a, b) in pairs if a != b), min(len(old), len(new)))
        raise AssertionError(
            f"docs/rules.md is stale (first difference at line {first + 1}; {len(old)} vs {len(new)} lines):"
            " run `make docs` (python -m autoaudit_secrets.scan.rules._docgen > docs/rules.md)"
        )


def test_module_entry_point_prints_the_page() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "autoaudit_secrets.scan.rules._docgen"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == render_rules_markdown()


def test_every_rule_is_documented_with_its_fields() -> None:
    text = render_rules_markdown()
    assert GENERATED_MARK in text
    for rule in load_rules():
        block_start = text.index(f"#### `{rule.id}`\n")
        block = text[block_start : text.find("\n#### ", block_start + 1)]
        assert f"severity `{rule.severity.value}`" in block, rule.id
        assert f"confidence `{rule.confidence.value}`" in block, rule.id
        assert "*Remediation:*" in block, rule.id
        for ref in rule.references:
            assert f"<{ref}>" in block, rule.id


def test_no_example_value_reaches_the_page() -> None:
    text = render_rules_markdown()
    values = [v for r in load_rules() for v in (*r.examples, *r.negative_examples)]
    assert_no_leak(text, values, where="docs/rules.md")


def _rule(rule_id: str, provider: str, **kw: object) -> Rule:
    return Rule(
        id=rule_id,
        name=f"{rule_id} name",
        description=f"{rule_id} description\nsecond line",
        remediation="Revoke | rotate it.",
        pattern="x",
        provider=provider,
        **kw,  # type: ignore[arg-type]
    )


def test_grouping_by_area_and_provider_with_checks_table() -> None:
    rules = [
        _rule("zz-b", "Zeta", severity=Severity.WARNING),
        _rule("zz-a", "Zeta", confidence=Confidence.MEDIUM, references=("https://docs.example.org/fmt",)),
        _rule("aa-a", "Alpha"),
    ]
    checks = [_rule("sensitive-file-demo", ""), _rule("docker-demo", ""), _rule("dotenv-demo", "")]
    text = render_rules_markdown(rules, checks)
    assert "**3 token rules** (2 providers) and **3 analyzer checks**" in text
    # unknown data file -> one "other" area; providers sorted, rules sorted by id within a provider
    positions = [text.index(s) for s in ("### Alpha", "### Zeta", "#### `zz-a`", "#### `zz-b`")]
    assert positions == sorted(positions)
    assert "zz-b description second line" in text  # descriptions folded onto one line
    assert "severity `warning`, confidence `high`" in text
    assert "<https://docs.example.org/fmt>" in text
    assert "| `docker-demo` | `error` | docker-demo name | Revoke \\| rotate it. |" in text
    assert text.index("### Sensitive files") < text.index("### Dockerfiles") < text.index("### .env files")

"""Tokens one a line: every rule's matches, under every backend.

A pattern that needs a delimiter in front of its token and ends by taking the character after it (the line
break) used to find only every other token of a file of bare values one a line: the matcher's matches do not
overlap, so the line break the first match took was not left to the next token as its delimiter. Each rule
whose first example's value is found bare on a line of its own must find it on each of three such lines.
Values are taken from the rules' own examples and printed by rule id only."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from autoaudit_secrets.scan import load_rules
from autoaudit_secrets.scan.engine._matcher import Matcher, MatcherBackend, PatternSpec
from tests.conftest import assert_no_leak, run_cli

RULES = load_rules()


@cache
def _matcher(backend: str) -> Matcher:
    return Matcher([PatternSpec(r.pattern, r.case_insensitive, r.keywords) for r in RULES], backend)


def _secret_spans(matcher: Matcher, index: int, text: str) -> set[tuple[int, int]]:
    group = "secret" if "secret" in matcher.regex(index).groupindex else 0
    return {m.span(group) for i, m in matcher.find(text) if i == index}


@pytest.mark.parametrize("backend", [b.value for b in MatcherBackend])
def test_bare_values_one_a_line_are_each_found(backend: str) -> None:
    matcher = _matcher(backend)
    checked = 0
    missed: list[str] = []
    for index, rule in enumerate(RULES):
        example = rule.examples[0]
        spans = sorted(_secret_spans(matcher, index, example))
        if not spans:
            continue
        value = example[slice(*spans[0])]
        if "\n" in value or _secret_spans(matcher, index, value + "\n") != {(0, len(value))}:
            continue  # the rule needs more than the value alone (a keyword, a name before it)
        checked += 1
        lines = 3
        text = (value + "\n") * lines
        expected = {(k * (len(value) + 1), k * (len(value) + 1) + len(value)) for k in range(lines)}
        if _secret_spans(matcher, index, text) != expected:
            missed.append(rule.id)
    assert checked >= 100, "too few rules find a bare value: the check would say little"
    assert missed == []


# the rules that used to find every other value: their values one a line, in a file the CLI scans
_ONCE_EVERY_OTHER = ["telegram-bot-token", "azure-ad-client-secret", "juniper-type9-password"]


@pytest.mark.parametrize("backend", [b.value for b in MatcherBackend])
@pytest.mark.parametrize("rule_id", _ONCE_EVERY_OTHER)
def test_cli_reports_each_line_of_bare_values(tmp_path: Path, backend: str, rule_id: str) -> None:
    index = next(i for i, r in enumerate(RULES) if r.id == rule_id)
    matcher = _matcher(backend)
    spans = sorted(_secret_spans(matcher, index, RULES[index].examples[0]))
    value = RULES[index].examples[0][slice(*spans[0])]
    (tmp_path / "values.txt").write_text((value + "\n") * 4)
    result = run_cli(
        "check-secrets", "scan", "--format", "json", ".", cwd=tmp_path, env={"CHECK_SECRETS_MATCHER": backend}
    )
    assert_no_leak(result.output, [value])
    assert result.returncode == 1, result.stderr
    lines = {f["line"] for f in json.loads(result.stdout)["findings"] if f["rule"] == rule_id}
    assert lines == {1, 2, 3, 4}

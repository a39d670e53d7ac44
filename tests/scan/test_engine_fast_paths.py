"""The detector's shortcuts give the answers of the long way round.

A file of thousands of generic assignments sends every value through the judgement of assignment rules, and an
analyzer asks the detector about thousands of short values one at a time; both have shortcuts (name verdicts
cached, checks that cannot apply skipped, no matcher call for a short text holding no rule's keyword). These
tests hold the findings to what scanning each line alone, or the matcher itself, says. No timing is asserted;
failures name counts and line numbers, never values."""

from __future__ import annotations

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner
from autoaudit_secrets.scan.engine._detector import _char_classes
from autoaudit_secrets.scan.engine._filters import is_placeholder, is_secret_name


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(ScanConfig())


def _lines(count: int) -> list[str]:
    """Generic password assignments with short made-up values, some of them placeholders or references."""
    out = []
    for i in range(count):
        if i % 7 == 3:
            out.append(f'password_{i} = "changeme{i}"')
        elif i % 11 == 5:
            out.append(f'password_{i} = "${{DB_PASSWORD_{i}}}"')
        else:
            out.append(f'password_{i} = "v{i}"')
    return out


@pytest.mark.parametrize("relpath", ["app/settings.py", "deploy/app.env", "notes.txt"])
def test_a_file_of_many_assignments_reports_what_each_line_reports_alone(
    scanner: Scanner, relpath: str
) -> None:
    lines = _lines(17_000)
    whole = {(f.line, f.rule_id) for f in scanner.scan_document(relpath, "\n".join(lines) + "\n")}
    alone = {
        (number, f.rule_id)
        for number, line in enumerate(lines, start=1)
        for f in scanner.scan_document(relpath, line + "\n")
    }
    assert whole == alone, f"{len(whole ^ alone)} line/rule pairs differ"
    reported_lines = {line for line, _ in whole}
    values = {n: line.split(' = "')[1][:-1] for n, line in enumerate(lines, start=1)}
    if relpath.endswith(".env"):
        # the dotenv analyzer reports any literal under a secret name (and takes the place of the rule's
        # finding); placeholders and references never
        expected = {n for n, value in values.items() if value.startswith("v")}
    else:
        # "v0".."v99" are too short for the password rule; placeholders and references are never reported
        expected = {n for n, value in values.items() if value.startswith("v") and int(value[1:]) >= 100}
    assert reported_lines == expected, f"{len(reported_lines ^ expected)} lines differ from the expected ones"


def test_no_matcher_call_for_a_short_text_never_hides_a_match(scanner: Scanner) -> None:
    detector = scanner.detector
    slices = []
    for rule in detector.rules:
        for example in (*rule.examples, *rule.negative_examples):
            for start in range(0, len(example), 3):
                slices.extend(example[start : start + width] for width in (6, 12, 20, 31))
    skipped = 0
    for text in slices:
        if detector._no_rule_applies(text):
            skipped += 1
            found = detector.matcher.find(text)
            assert found == [], f"a short text with {len(found)} matches was skipped"
    assert 0 < skipped < len(slices), f"{skipped} of {len(slices)} skipped: the check decided nothing"


def test_short_values_are_judged_alike_with_or_without_a_keyword_around(scanner: Scanner) -> None:
    # a token alone (what an analyzer asks about) and the same token in a longer line
    for rule in scanner.detector.rules:
        for example in rule.examples:
            if len(example) < 32:
                alone = {m.rule.id for m in scanner.detector.detect(example)}
                assert rule.id in alone or not _found_in_line(scanner, rule.id, example), rule.id


def _found_in_line(scanner: Scanner, rule_id: str, example: str) -> bool:
    return rule_id in {m.rule.id for m in scanner.detector.detect(example + " " * 40)}


def _char_classes_by_definition(value: str) -> int:
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "ABC",
        "123",
        "a-b",
        "aB3!",
        "Kx8pLm2qZ",
        "  ",
        "\u00e9t\u00e9",
        "\u00c9T\u00c9",
        "\u00b2\u00b3",
        "\u212a9",
        "a\u00df",
    ],
)
def test_character_classes_of_ascii_and_other_values(value: str) -> None:
    assert _char_classes(value) == _char_classes_by_definition(value)


@pytest.mark.parametrize(
    "value",
    [
        "sk_live_****1234",  # masked inside a token
        "abcdef-dummy",
        "token-to-be-set",
        "do-not-use-1234",
        "value_goes_xxxxxx",
        "api_token_here",
        "please-change-me-now",
        "real-one-replace-with-yours",
        "\u017fample-t0ken-99",  # a non-ASCII value is matched case-insensitively by the full patterns
    ],
)
def test_placeholders_found_anywhere_in_the_value(value: str) -> None:
    assert is_placeholder(value)


def test_schema_names_as_a_plain_set_or_a_frozenset() -> None:
    assert is_secret_name("acme_dsn", {"ACME_DSN"})
    assert is_secret_name("acme_dsn", frozenset({"ACME_DSN"}))
    assert not is_secret_name("acme_url", {"ACME_DSN"})

"""Base64 runs in :mod:`autoaudit_secrets.scan.engine._detector`: every run of a file of values one a line
(or apart by one blank) is decoded, not every other one.

The matcher's matches of the base64 pattern do not overlap, and one takes the character after its run (the
line break): the next line's run then had no delimiter in front left, and lines 3, 5, ... of a file of
base64 values at column 0 were never decoded. Tokens are generated at run time; the CLI runs on real files
under each matcher backend and prints none of them."""

from __future__ import annotations

import base64
import json
import secrets
import string
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner
from autoaudit_secrets.scan.engine._detector import Detector
from autoaudit_secrets.scan.engine._matcher import MatcherBackend
from tests.conftest import assert_no_leak, assert_same_secret, run_cli

_ALNUM = string.ascii_letters + string.digits
BACKENDS = [b.value for b in MatcherBackend]


def _github_token() -> str:
    """A GitHub classic personal access token's shape (ghp_ and 36 letters and digits, of each kind)."""
    while True:
        body = "".join(secrets.choice(_ALNUM) for _ in range(36))
        if (
            any(c.isdigit() for c in body)
            and any(c.isupper() for c in body)
            and any(c.islower() for c in body)
        ):
            return "gh" + "p_" + body


def _aws_key_id() -> str:
    """An AWS access key ID's shape (AKIA and 16 capitals and digits, of each kind)."""
    alphabet = string.ascii_uppercase + "234567"
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(16))
        if any(c.isdigit() for c in body) and any(c.isalpha() for c in body):
            return "AK" + "IA" + body


def _values() -> tuple[list[str], list[str]]:
    """Four tokens (two GitHub, two AWS, alternating) and their lines: each the base64 of a value as a
    settings file holds it."""
    tokens = [_github_token(), _aws_key_id(), _github_token(), _aws_key_id()]
    texts = [f"GITHUB_TOKEN={tokens[0]}", f"AWS_ACCESS_KEY_ID={tokens[1]}", tokens[2], f"key_id: {tokens[3]}"]
    return tokens, [base64.b64encode(t.encode()).decode() for t in texts]


RULES = ["github-pat-classic", "aws-access-key-id", "github-pat-classic", "aws-access-key-id"]


@cache
def _detector(backend: str) -> Detector:
    return Detector(Scanner(ScanConfig()).detector.rules, backend=backend)


def _scan(root: Path, backend: str, tokens: list[str]) -> list[dict[str, Any]]:
    result = run_cli(
        "check-secrets", "scan", "--format", "json", ".", cwd=root, env={"CHECK_SECRETS_MATCHER": backend}
    )
    assert_no_leak(result.output, tokens)
    assert result.returncode == 1, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("before", ["", "# encoded settings\n"], ids=["first-line", "after-a-header"])
def test_every_line_of_a_file_of_base64_values_at_column_0_is_found(
    tmp_path: Path, backend: str, before: str
) -> None:
    tokens, lines = _values()
    assert all(line.endswith("=") for line in lines)  # padded: values, not a wrapped block
    (tmp_path / "tokens.txt").write_text(before + "\n".join(lines) + "\n")
    findings = _scan(tmp_path, backend, tokens)
    first = before.count("\n") + 1
    assert sorted((f["line"], f["column"], f["rule"]) for f in findings) == [
        (first + n, 1, rule) for n, rule in enumerate(RULES)
    ]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\n\n"], ids=["lf", "crlf", "blank-lines"])
def test_each_decoded_value_is_its_own_token(backend: str, eol: str) -> None:
    """The detector itself: the secret of each finding is the token its line encodes, under every backend
    and line end."""
    tokens, lines = _values()
    text = eol.join(lines) + eol
    hits = sorted(_detector(backend).detect_hits(text, "tokens.txt"), key=lambda h: h.match.secret_start)
    assert [h.match.rule.id for h in hits] == RULES
    for hit, token, line in zip(hits, tokens, lines, strict=True):
        assert (hit.match.secret_start, hit.match.secret_end) == (
            text.index(line),
            text.index(line) + len(line),
        )
        assert_same_secret(hit.secret, token)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("separator", [" ", "\t", ","], ids=["blank", "tab", "comma"])
def test_values_apart_by_one_delimiter_on_one_line_are_all_found(backend: str, separator: str) -> None:
    """The same with the values on one line, apart by one blank (a shell list), a tab or a comma."""
    tokens, lines = _values()
    text = "KEYS=" + separator.join(lines) + "\n"
    hits = sorted(_detector(backend).detect_hits(text, "keys.env"), key=lambda h: h.match.secret_start)
    assert [(h.match.rule.id, h.match.secret_start) for h in hits] == [
        (rule, text.index(line)) for rule, line in zip(RULES, lines, strict=True)
    ]
    for hit, token in zip(hits, tokens, strict=True):
        assert_same_secret(hit.secret, token)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lines_of_base64_without_secrets_stay_quiet(backend: str) -> None:
    """Negative: base64 lines at column 0 that decode to prose, to binary, or to a placeholder token in a
    token's shape give no finding, every line of them decoded now."""
    texts = [
        b"The quick brown fox jumps over the lazy dog again",
        secrets.token_bytes(40),
        b"GITHUB_TOKEN=" + b"gh" + b"p_" + b"x" * 36,
        b"AWS_ACCESS_KEY_ID=" + b"AK" + b"IA" + b"IOSFODNN7EXAMPLE",
    ] * 2
    text = "\n".join(base64.b64encode(t).decode() for t in texts) + "\n"
    assert _detector(backend).detect(text, "data.txt") == []

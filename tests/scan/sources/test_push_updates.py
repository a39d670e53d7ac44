"""The ref updates a pre-receive hook reads on standard input (``check-secrets git --pre-receive``)."""

from __future__ import annotations

import pytest

from autoaudit_secrets._errors import UsageError
from autoaudit_secrets.scan.sources._git import parse_push_updates

_OLD, _NEW = "a" * 40, "b" * 40


def test_one_update_per_line_blank_lines_skipped_and_sha256_ids_taken() -> None:
    long_old, long_new = "c" * 64, "d" * 64
    text = (
        f"{_OLD} {_NEW} refs/heads/main\n\n"
        f"{'0' * 40} {_NEW} refs/tags/v1\r\n"
        f"{long_old} {long_new} refs/heads/x\n"
    )
    assert parse_push_updates(text) == (
        (_OLD, _NEW, "refs/heads/main"),
        ("0" * 40, _NEW, "refs/tags/v1"),
        (long_old, long_new, "refs/heads/x"),
    )
    assert parse_push_updates("") == ()


@pytest.mark.parametrize(
    "line",
    [
        f"{_OLD} {_NEW}",  # no ref name
        f"{_OLD[:-1]} {_NEW} refs/heads/main",  # a short id
        f"{_OLD.upper()} {_NEW} refs/heads/main",  # git writes lower-case hex
        f"{_OLD}  {_NEW} refs/heads/main",  # two blanks
        f"{'a' * 50} {_NEW} refs/heads/main",  # neither SHA-1 nor SHA-256
        f"{_OLD} {_NEW} ",
    ],
)
def test_a_line_that_is_not_a_ref_update_is_refused_by_its_number(line: str) -> None:
    with pytest.raises(UsageError, match="line 2 of standard input") as caught:
        parse_push_updates(f"{_OLD} {_NEW} refs/heads/ok\n{line}\n")
    assert line not in str(caught.value)

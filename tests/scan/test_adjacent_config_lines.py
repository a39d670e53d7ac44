"""Every line of a run of secret assignments in a configuration file is found, whatever the line endings: the
line-anchored config rules must not consume the newline the next line's match starts after."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest

from tests.conftest import assert_no_leak, run_cli


def _value(rng: random.Random) -> str:
    """A random-looking value. Seeded, not from ``secrets``: about 1 random 18-character value in 1,500 is
    one a token name's randomness check takes for a name or a word (on purpose), which would make this test,
    about line endings, fail about once in 50 runs."""
    alphabet = string.ascii_letters + string.digits
    while True:
        v = "".join(rng.choice(alphabet) for _ in range(18))
        if any(c.isdigit() for c in v) and any(c.isupper() for c in v) and any(c.islower() for c in v):
            return v


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize(
    ("name", "template"),
    [
        ("application.properties", "{key}={value}"),
        ("config.yml", "  {key}: {value}"),
        ("settings.ini", "{key} = {value}"),
    ],
)
def test_consecutive_secret_lines_are_each_found(
    tmp_path: Path, name: str, template: str, newline: str
) -> None:
    keys = ["spring.datasource.password", "mail.password", "db_password", "app.secret", "api.token"]
    rng = random.Random(f"{name}{newline!r}")
    values = [_value(rng) for _ in keys]
    lines = ["app:"] if name.endswith(".yml") else ["[main]"] if name.endswith(".ini") else []
    first = len(lines) + 1
    lines += [template.format(key=k, value=v) for k, v in zip(keys, values, strict=True)]
    (tmp_path / name).write_bytes((newline.join(lines) + newline).encode())
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    found = sorted({f["line"] for f in json.loads(result.stdout)["findings"]})
    assert found == list(range(first, first + len(keys)))
    assert_no_leak(result.output, values)

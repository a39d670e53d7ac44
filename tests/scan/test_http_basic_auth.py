"""HTTP Basic credentials are base64 of ``user-id ":" password`` (RFC 7617): a header whose value decodes so
is reported wherever it is written (a Python dict, curl -H in a script, a YAML headers map), and a value that
does not (a test's ``Basic notabase64token``, base64 of text without a colon or of binary bytes) is not. The
credentials are made at run time from random values; none is written in this file."""

from __future__ import annotations

import base64
import json
import secrets
import string
from pathlib import Path

from tests.conftest import assert_no_leak, run_cli

_ALPHABET = string.ascii_letters + string.digits


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def _basic(text: str | bytes, *, padded: bool = True) -> str:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    encoded = base64.b64encode(raw).decode("ascii")
    return encoded if padded else encoded.rstrip("=")


def _report(root: Path) -> tuple[int, list[tuple[str, int, str]], str]:
    result = run_cli("check-secrets", "scan", ".", "--format", "json", "--jobs", "1", cwd=root)
    findings = json.loads(result.stdout)["findings"]
    return result.returncode, sorted((f["path"], f["line"], f["rule"]) for f in findings), result.output


def test_basic_credentials_are_reported_in_code_scripts_and_yaml(tmp_path: Path) -> None:
    passwords = [_random(14) for _ in range(4)]
    values = [
        _basic(f"svc-{_random(5)}:{passwords[0]}"),
        _basic(f"deploy:{passwords[1]}", padded=False),  # clients that drop the padding
        _basic(f"ci@{_random(6)}.internal:{passwords[2]}"),
        _basic(f"{passwords[3]}:"),  # an API key sent as the user name
    ]
    (tmp_path / "client.py").write_text(
        f'HEADERS = {{"Authorization": "Basic {values[0]}"}}\n', encoding="utf-8"
    )
    (tmp_path / "fetch.sh").write_text(
        f"#!/bin/sh\ncurl -H 'Authorization: Basic {values[1]}' https://repo.internal/\n", encoding="utf-8"
    )
    (tmp_path / "probe.yaml").write_text(
        f"probe:\n  headers:\n    Authorization: Basic {values[2]}\n"
        f"    Proxy-Authorization: Basic {values[3]}\n",
        encoding="utf-8",
    )
    code, found, output = _report(tmp_path)
    assert code == 1
    assert found == [
        ("client.py", 1, "http-basic-auth"),
        ("fetch.sh", 2, "http-basic-auth"),
        ("probe.yaml", 3, "http-basic-auth"),
        ("probe.yaml", 4, "http-basic-auth"),
    ]
    assert_no_leak(output, values + passwords)


def test_values_that_are_not_user_password_are_quiet(tmp_path: Path) -> None:
    no_colon = _basic(f"{_random(8)}-{_random(10)}")
    binary = _basic(b"\x01\x02:" + secrets.token_bytes(12).replace(b":", b"\x00") + b"\x7f")
    lines = [
        'response = client.get("/users/me", headers={"Authorization": "Basic notabase64token"})',
        f'headers = {{"Authorization": "Basic {no_colon}"}}',
        f'headers = {{"Authorization": "Basic {binary}"}}',
        f'headers = {{"Authorization": "Basic {_random(17)}"}}',  # 4n+1 characters: no base64 at all
    ]
    (tmp_path / "test_security_http_basic.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, found, _ = _report(tmp_path)
    assert (code, found) == (0, [])

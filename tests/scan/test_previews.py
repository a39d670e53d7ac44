"""Previews show a provider prefix at most: never characters of key material (private keys have no prefix)."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

import pytest

from tests.conftest import assert_no_leak, run_cli

_B64 = string.ascii_letters + string.digits + "+/"


def _body(length: int) -> str:
    return "".join(secrets.choice(_B64) for _ in range(length))


@pytest.mark.parametrize("header", ["OPENSSH PRIVATE KEY", "PRIVATE KEY", "RSA PRIVATE KEY"])
def test_private_key_findings_show_none_of_the_key(tmp_path: Path, header: str) -> None:
    body = _body(420)
    lines = [body[i : i + 70] for i in range(0, len(body), 70)]
    (tmp_path / "deploy.pem").write_text(
        f"-----BEGIN {header}-----\n" + "\n".join(lines) + f"\n-----END {header}-----\n"
    )
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    findings = json.loads(result.stdout)["findings"]
    keyed = [f for f in findings if f["rule"].startswith("private-key-")]
    assert keyed, [f["rule"] for f in findings]
    assert all(set(f["preview"]) <= {"*"} for f in keyed), [f["preview"] for f in keyed]
    text = run_cli("check-secrets", "scan", ".", cwd=tmp_path)
    assert_no_leak(text.output + result.output, [line[:4] for line in lines], where="scan output")


def test_a_provider_prefix_is_still_shown(tmp_path: Path) -> None:
    token = "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
    (tmp_path / "ci.sh").write_text(f'export GH_TOKEN="{token}"\n')
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    previews = [f["preview"] for f in json.loads(result.stdout)["findings"]]
    assert previews and all(p.startswith("ghp_") and token[4:8] not in p for p in previews), previews

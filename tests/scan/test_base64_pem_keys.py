"""A PEM private key encoded once more as base64 (Kubernetes Secret data, kubeconfig client-key-data, CI
variables) gives exactly one finding on its line: the engine's base64 layer decodes a whole encoding and the
PEM rules report it; ``private-key-pem-base64`` reports what does not decode (a value cut short), and stays
out of the way of a decoded finding on the same run. Keys are generated at run time; the CLI runs on real
files."""

from __future__ import annotations

import base64
import json
import secrets
import string
from pathlib import Path

import pytest

from tests.conftest import assert_no_leak, run_cli


def _pem_b64(label: str) -> str:
    alphabet = string.ascii_letters + string.digits + "+/"
    body = "MIIE" + "".join(secrets.choice(alphabet) for _ in range(640))
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem = f"-----BEGIN {label}PRIVATE KEY-----\n{lines}\n-----END {label}PRIVATE KEY-----\n"
    return base64.b64encode(pem.encode()).decode()


def _findings(root: Path, secrets_: list[str]) -> list[dict[str, object]]:
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=root)
    assert result.returncode == 1, result.stderr
    assert_no_leak(result.output, secrets_)
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


@pytest.mark.parametrize("label", ["RSA ", "", "EC "], ids=["pkcs1", "pkcs8", "sec1"])
def test_whole_encoding_is_one_decoded_finding(tmp_path: Path, label: str) -> None:
    key = _pem_b64(label)
    (tmp_path / "secret.yaml").write_text(
        f"apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.key: {key}\n", encoding="utf-8"
    )
    findings = _findings(tmp_path, [key])
    assert [(f["rule"], f["line"]) for f in findings] == [("private-key-pem", 5)]


def test_encoding_cut_short_is_found_by_the_base64_rule(tmp_path: Path) -> None:
    key = _pem_b64("RSA ")
    cut = key[: 4 * 80 + 2]  # not a whole number of base64 quanta: it does not decode
    (tmp_path / "values.yaml").write_text(f"tls:\n  key: {cut}\n", encoding="utf-8")
    findings = _findings(tmp_path, [cut])
    assert [(f["rule"], f["line"]) for f in findings] == [("private-key-pem-base64", 2)]

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


def _pem(label: str, body: str) -> str:
    lines = "".join(body[i : i + 64] + "\n" for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}-----END {label}-----\n"


def _random_body(first: str) -> str:
    alphabet = string.ascii_letters + string.digits + "+/"
    return first + "".join(secrets.choice(alphabet) for _ in range(380))


# Where a PEM block in base64 stands under a key's name (file name, text with "{v}" for the value)
PEM_PLACES = [
    ("secret.yaml", "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.key: {v}\n"),
    ("values.yaml", "ingress:\n  tls:\n    key: {v}\n"),
    (".env", "TLS_PRIVATE_KEY={v}\n"),
    ("settings.py", 'TLS_PRIVATE_KEY = "{v}"\n'),
    ("Dockerfile", "FROM scratch\nENV TLS_PRIVATE_KEY={v}\n"),
]


@pytest.mark.parametrize(("name", "text"), PEM_PLACES, ids=[p[0] for p in PEM_PLACES])
def test_a_pem_block_holding_no_private_key_is_quiet_under_a_key_s_name_and_a_key_there_is_one_finding(
    tmp_path: Path, name: str, text: str
) -> None:
    # traefik/traefik's fixtures: an empty block under tls.key, a certificate's first line under tls.key
    blocks = [
        "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
        "-----BEGIN CERTIFICATE-----",
        _pem("CERTIFICATE", _random_body("MIIB")),
        _pem("PUBLIC KEY", _random_body("MIIB")),
    ]
    for block in blocks:
        encoded = base64.b64encode(block.encode()).decode()
        (tmp_path / name).write_text(text.format(v=encoded), encoding="utf-8")
        result = run_cli("check-secrets", "scan", "--no-ignore", "--format", "json", ".", cwd=tmp_path)
        assert result.returncode == 0, (block[:30], result.stdout)
    key = base64.b64encode(_pem("PRIVATE KEY", _random_body("MIIE")).encode()).decode()
    (tmp_path / name).write_text(text.format(v=key), encoding="utf-8")
    findings = _findings(tmp_path, [key])
    line = text.count("\n", 0, text.index("{v}")) + 1
    # one finding: the PEM rule's, or a format analyzer's that names it (dotenv, Dockerfile ENV)
    assert [f["line"] for f in findings] == [line], findings
    assert findings[0]["rule"] == "private-key-pem" or "private-key-pem" in str(findings[0]["message"])

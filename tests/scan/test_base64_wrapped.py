"""Base64 wrapped over lines (MIME and ``base64`` at 76 columns, ``openssl base64`` at 64, an indented block
of a Kubernetes Secret or a YAML literal, CRLF line ends) is decoded as one block: a token whose encoding
runs over a line break is found, and reported at the line and column where its encoded characters start.
What makes no block (a list of equal values, one a line; binary data) is read as before, and a large file
of base64 lines costs a linear time.

Tokens are generated at run time and placed so that their encoding straddles a line break (a line decoded
alone never holds them); the CLI runs on real files and prints none of them."""

from __future__ import annotations

import base64
import json
import secrets
import string
import time
from pathlib import Path
from typing import Any

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner
from tests.conftest import assert_no_leak, run_cli

_ALNUM = string.ascii_letters + string.digits


def _token() -> str:
    """A GitHub classic personal access token's shape (ghp_ and 36 letters and digits)."""
    while True:
        body = "".join(secrets.choice(_ALNUM) for _ in range(36))
        if (
            any(c.isdigit() for c in body)
            and any(c.isupper() for c in body)
            and any(c.islower() for c in body)
        ):
            return "gh" + "p_" + body


def _wrap(encoded: str, width: int) -> list[str]:
    return [encoded[i : i + width] for i in range(0, len(encoded), width)]


def _straddling(token: str, width: int) -> tuple[bytes, int]:
    """A small .env whose encoding, wrapped at ``width``, has ``token``'s bytes on two lines; and the index
    in the joined encoding of the first character of the 4-character group holding its first byte."""
    per_line = width // 4 * 3  # bytes a full line holds
    for pad in range(per_line):
        head = b"# settings\nDB_HOST=db.internal\n" + b"#" * pad + b"\nGITHUB_TOKEN="
        at = len(head)
        # its first and last bytes on two lines, each with 6 of its bytes at least
        if (at + 6) // per_line != (at + len(token) - 7) // per_line:
            body = head + token.encode() + b"\nLOG_LEVEL=info\n" + b"# end of file\n" * 3
            if len(base64.b64encode(body)) % width:  # the last line is shorter
                return body, at // 3 * 4
    raise AssertionError("no layout")


def _scan(root: Path, tokens: list[str]) -> list[dict[str, Any]]:
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=root)
    assert result.returncode == 1, result.stderr
    assert_no_leak(result.output, tokens)
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


# (file name, text before the block, indentation, width, line end)
LAYOUTS = [
    ("mail.eml", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n", "", 76, "\n"),
    ("settings.b64", "", "", 76, "\n"),  # `base64 .env > settings.b64`: the file is the block
    ("env.txt", "-- openssl base64 --\n", "", 64, "\n"),
    ("secret.yaml", "apiVersion: v1\nkind: Secret\nstringData:\n  env.b64: |\n", "    ", 76, "\n"),
    ("windows.txt", "encoded:\r\n", "  ", 76, "\r\n"),
    ("narrow.txt", "x\n", "", 40, "\n"),
]


@pytest.mark.parametrize(("name", "before", "indent", "width", "eol"), LAYOUTS, ids=[x[0] for x in LAYOUTS])
def test_token_over_a_line_break_of_wrapped_base64_is_found_where_it_is(
    tmp_path: Path, name: str, before: str, indent: str, width: int, eol: str
) -> None:
    token = _token()
    body, index = _straddling(token, width)
    lines = _wrap(base64.b64encode(body).decode(), width)
    assert len(lines) >= 3 and 0 < len(lines[-1]) < width
    (tmp_path / name).write_bytes((before + eol.join(indent + line for line in lines) + eol).encode())
    findings = _scan(tmp_path, [token])
    assert [f["rule"] for f in findings] == ["github-pat-classic"]
    # independently: line and column of the token's first encoded group
    first_line = before.count("\n") + 1 + index // width
    assert (findings[0]["line"], findings[0]["column"]) == (first_line, len(indent) + index % width + 1)
    assert findings[0]["end_line"] == first_line + 1  # its encoding runs over the line break


@pytest.mark.parametrize("prefix", ["", "t="], ids=["padded", "unpadded"])
def test_a_list_of_equal_values_is_still_read_one_by_one(tmp_path: Path, prefix: str) -> None:
    """Lines of one width, each padded or with no shorter one after them, are values, not a wrapped block:
    each is decoded alone, as before (base64 of a 40-character token is 56 characters with padding; of 42
    characters, 56 without)."""
    tokens = [_token() for _ in range(4)]
    lines = [base64.b64encode((prefix + t).encode()).decode() for t in tokens]
    assert {len(line) for line in lines} == {56}
    (tmp_path / "tokens.txt").write_text("values:\n" + "\n  ".join(["", *lines])[1:] + "\n")
    findings = _scan(tmp_path, tokens)
    assert sorted((f["line"], f["rule"]) for f in findings) == [
        (n, "github-pat-classic") for n in range(2, 6)
    ]


def test_wrapped_binary_and_text_without_secrets_are_quiet(tmp_path: Path) -> None:
    blob = base64.b64encode(secrets.token_bytes(3000)).decode()
    text = base64.b64encode(("lorem ipsum dolor sit amet " * 80).encode()).decode()
    (tmp_path / "blob.b64").write_text("\n".join(_wrap(blob, 76)) + "\n")
    (tmp_path / "text.b64").write_text("\n".join(_wrap(text, 64)) + "\n")
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []


def test_wrapped_base64_of_a_pem_key_is_found(tmp_path: Path) -> None:
    """`base64 tls.key` wraps at 76: the decoded PEM is the private key rule's finding, on the block's first
    line."""
    alphabet = _ALNUM + "+/"
    body = "MIIE" + "".join(secrets.choice(alphabet) for _ in range(640))
    pem_lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem = f"-----BEGIN PRIVATE KEY-----\n{pem_lines}\n-----END PRIVATE KEY-----\n"
    lines = _wrap(base64.b64encode(pem.encode()).decode(), 76)
    (tmp_path / "tls.key.b64").write_text("\n".join(lines) + "\n")
    findings = _scan(tmp_path, [body, *lines])
    assert [(f["rule"], f["line"]) for f in findings] == [("private-key-pem", 1)]


def test_many_base64_lines_cost_a_linear_time() -> None:
    """Hostile input: megabytes of lines of one width (random base64 with no end to a block, hex digests)
    are walked over once each; doubling the input about doubles the time (a walk from every line would
    make it quadruple). The time is measured as CPU of this process."""
    scanner = Scanner(ScanConfig())
    detector = scanner.detector

    def text(n: int) -> str:
        b64 = base64.b64encode(secrets.token_bytes(57 * n)).decode()
        hexes = [secrets.token_hex(32) for _ in range(n)]
        return "\n".join(_wrap(b64, 76)) + "\n" + "\n".join(hexes) + "\n"

    def cost(n: int) -> float:
        sample = text(n)
        best = float("inf")
        for _ in range(2):
            start = time.process_time()
            detector.detect(sample, "data.txt")
            best = min(best, time.process_time() - start)
        return best

    small, large = cost(10_000), cost(40_000)
    assert large < 8 * small + 0.5, (small, large)  # linear: about 4x

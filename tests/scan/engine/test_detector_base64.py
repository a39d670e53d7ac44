"""Base64 in :mod:`autoaudit_secrets.scan.engine._detector`.

- Every run of a file of values one a line (or apart by one blank) is decoded, not every other one: the
  matcher's matches of the base64 pattern do not overlap, and one takes the character after its run (the
  line break), so the next line's run had no delimiter in front left, and lines 3, 5, ... of a file of
  base64 values at column 0 were never decoded (the matcher now goes on from the end of each run, for every
  rule: see tests/scan/engine/test_matcher_adjacent.py).
- A wrapped block whose last line is as wide as the others, or that is over 64 KiB, is decoded as a block
  (in overlapping parts), up to the document's budget of decoded bytes.

Tokens are generated at run time; the CLI runs on real files (under each matcher backend where the backend
matters) and prints none of them."""

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
from autoaudit_secrets.scan.engine import _detector as _detector_module
from autoaudit_secrets.scan.engine._detector import Detector
from autoaudit_secrets.scan.engine._matcher import MatcherBackend
from tests.conftest import assert_no_leak, assert_same_secret, random_chars, run_cli

_ALNUM = string.ascii_letters + string.digits
BACKENDS = [b.value for b in MatcherBackend]


def _github_token() -> str:
    """A GitHub classic personal access token's shape (ghp_ and 36 letters and digits, of each kind)."""
    while True:
        body = random_chars(_ALNUM, 36)
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
        body = random_chars(alphabet, 16)
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


# -- wrapped blocks: a last line as wide as the others, and blocks over 64 KiB ---------------------------


def _wrap(encoded: str, width: int) -> list[str]:
    return [encoded[i : i + width] for i in range(0, len(encoded), width)]


def _env_with(
    tokens: list[tuple[int, str]], width: int, *, exact: bool, size: int = 0, head: int = 6
) -> tuple[bytes, list[int]]:
    """A .env of about ``size`` bytes whose encoding, wrapped at ``width``, has each token's bytes on two
    lines, ``head`` of them at least on the first one and 6 on the second: ``(wanted line, token)`` puts
    the token's encoding over the break after line ``wanted`` (counted from 0) or the first break after it.
    The encoding's last line is full and unpadded when ``exact``, else shorter. Returns the bytes and, per
    token, the index in the joined encoding of the first character of the 4-character group holding its
    first byte."""
    per_line = width // 4 * 3  # bytes a full line holds
    body = bytearray(b"# settings\n")
    starts: list[int] = []
    for wanted, token in tokens:
        at = len(body) + len("GITHUB_TOKEN=")
        # filler up to the wanted line, then until the token's bytes are over a line break as wanted
        while at // per_line < wanted or (at + head) // per_line == (at + len(token) - 7) // per_line:
            body += b"LOG_LEVEL=info\n" if wanted - at // per_line > 2 else b"#\n"
            at = len(body) + len("GITHUB_TOKEN=")
        starts.append(at // 3 * 4)
        body += b"GITHUB_TOKEN=" + token.encode() + b"\n"
    while len(body) < size:
        body += b"LOG_LEVEL=info\n"
    for pad in range(3 * width):
        padded = bytes(body + b"#" * pad + b"\n")
        if (len(padded) % per_line == 0) == exact and (exact or len(base64.b64encode(padded)) % width):
            return padded, starts
    raise AssertionError("no layout")


def _block_file(
    root: Path, name: str, body: bytes, width: int, indent: str = "", before: str = ""
) -> list[str]:
    lines = _wrap(base64.b64encode(body).decode(), width)
    (root / name).write_text(before + "\n".join(indent + line for line in lines) + "\n")
    return lines


@pytest.mark.parametrize(
    ("width", "indent", "before"),
    [(76, "", ""), (64, "", "-- openssl base64 --\n"), (76, "    ", "kind: Secret\ndata:\n  env: |\n")],
    ids=["base64-76", "openssl-64", "yaml-indented"],
)
def test_a_wrapped_block_whose_last_line_is_full_is_decoded_as_a_block(
    tmp_path: Path, width: int, indent: str, before: str
) -> None:
    """`base64` of a file whose size is a multiple of 57 bytes (48 for openssl) ends on a full line: nothing
    marks the block's end, yet it is decoded as one block, and a token over a line break is found where its
    encoded characters start."""
    token = _github_token()
    body, (index,) = _env_with([(2, token)], width, exact=True)
    lines = _block_file(tmp_path, "env.b64", body, width, indent, before)
    assert len(lines) >= 3 and {len(line) for line in lines} == {width} and not lines[-1].endswith("=")
    findings = _scan(tmp_path, "hyperscan", [token, *lines])
    first_line = before.count("\n") + 1 + index // width
    assert [(f["rule"], f["line"], f["column"], f["end_line"]) for f in findings] == [
        ("github-pat-classic", first_line, len(indent) + index % width + 1, first_line + 1)
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_list_of_equal_unpadded_values_at_column_0_is_still_read_one_by_one(
    tmp_path: Path, backend: str
) -> None:
    """Lines of one width without padding and no shorter line after them may be a block or a list of values
    (base64 of "t=" and a 40-character token is 56 characters, unpadded): both readings are made, and each
    value is found once, on its line."""
    tokens = [_github_token() for _ in range(4)]
    lines = [base64.b64encode(("t=" + t).encode()).decode() for t in tokens]
    assert {len(line) for line in lines} == {56} and not any(line.endswith("=") for line in lines)
    (tmp_path / "tokens.txt").write_text("\n".join(lines) + "\n")
    findings = _scan(tmp_path, backend, tokens)
    assert sorted((f["line"], f["rule"]) for f in findings) == [
        (n, "github-pat-classic") for n in range(1, 5)
    ]


def test_a_token_in_a_wrapped_block_over_64_kib_is_found_where_it_is(tmp_path: Path) -> None:
    """A block larger than one decoding (64 KiB of base64) is decoded in overlapping parts: tokens over a line
    break early, in the middle, at the end of the first part's own lines and of its overlap, and late in a
    block of about 200 KiB are each found once, at their encoded characters."""
    width = 76
    part = _detector_module._MAX_B64_RUN // width  # lines a part holds
    own = part - _detector_module._B64_OVERLAP // width  # lines a part reports on (the rest: its overlap)
    tokens = [_github_token() for _ in range(5)]
    wanted = [3, own - 1, own + 5, part - 1, 2000]
    # most of each token before the break: what a part cut there holds of it looks like a secret as well
    body, starts = _env_with(
        list(zip(wanted, tokens, strict=True)), width, exact=False, size=150_000, head=30
    )
    lines = _block_file(tmp_path, "big.b64", body, width)
    assert len(lines) * width > 2 * _detector_module._MAX_B64_RUN
    findings = _scan(tmp_path, "hyperscan", [*tokens])
    assert sorted((f["rule"], f["line"], f["column"], f["end_line"]) for f in findings) == sorted(
        ("github-pat-classic", 1 + i // width, i % width + 1, 2 + i // width) for i in starts
    )


def test_a_part_of_a_large_block_that_starts_inside_a_character_is_still_read(tmp_path: Path) -> None:
    """A part of a block over 64 KiB starts at a multiple of 3 bytes of the decoded file, which in non-ASCII
    text (French comments, two bytes a letter) can be inside a character: the part is read from its first
    whole character to its last, not thrown away as "not UTF-8". The token is in the second part only,
    which starts and ends inside an "é"."""
    width = 76
    per_line = width // 4 * 3
    part = _detector_module._MAX_B64_RUN // width
    own = part - _detector_module._B64_OVERLAP // width
    second_starts, first_ends = own * per_line, part * per_line  # bytes of the file
    token = _github_token()

    def layout(letters: int) -> tuple[bytes, int]:
        filler = ("# " + "é" * letters + "\n").encode()
        body = bytearray()
        while len(body) < first_ends + 1000:
            body += filler
        at = len(body) + len("GITHUB_TOKEN=")
        body += b"GITHUB_TOKEN=" + token.encode() + b"\n"
        while len(body) < 150_000:
            body += filler
        body += b"#\n" if len(base64.b64encode(bytes(body))) % width == 0 else b""
        return bytes(body), at

    def both_cut(body: bytes) -> bool:  # the second part starts and ends inside an "é"
        return 0x80 <= body[second_starts] < 0xC0 and body[second_starts + first_ends - 1] >= 0xC0

    body, at = next(b for b in map(layout, range(30, 60)) if both_cut(b[0]))
    assert at + len(token) < 2 * second_starts, "the token must be in the second part only"
    _block_file(tmp_path, "notes.b64", bytes(body), width)
    findings = _scan(tmp_path, "hyperscan", [token])
    assert [(f["rule"], f["line"]) for f in findings] == [("github-pat-classic", 1 + at // 3 * 4 // width)]


def test_a_wrapped_block_is_decoded_up_to_the_documents_budget_only(tmp_path: Path) -> None:
    """The deliberate bound: a document's base64 is decoded up to 1 MiB of decoded bytes (a 10 MB base64 blob
    costs no more than that). A token in the first part of a larger block is found; one past the budget is
    not (this test shows it, so a change of the bound is seen)."""
    budget = _detector_module._MAX_DECODED
    width = 76
    early, late = _github_token(), _github_token()
    lines_per_mib = budget // (width // 4 * 3)
    body, _ = _env_with([(10, early), (lines_per_mib + 2000, late)], width, exact=False)
    _block_file(tmp_path, "huge.b64", body, width)
    findings = _scan(tmp_path, "hyperscan", [early, late])
    assert [(f["rule"], f["line"]) for f in findings] == [("github-pat-classic", 11)]


def test_a_base64_pem_key_whose_last_line_is_full_is_the_decoded_keys_finding(tmp_path: Path) -> None:
    """`base64 tls.key` of a key file of 57*n bytes: the block is decoded and the private key rule reports
    the key on the block's first line (the low-confidence fallback on the encoded header gives way to it)."""
    alphabet = _ALNUM + "+/"
    for size in range(640, 700):
        body = "MIIE" + "".join(secrets.choice(alphabet) for _ in range(size))
        pem_lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        pem = f"-----BEGIN PRIVATE KEY-----\n{pem_lines}\n-----END PRIVATE KEY-----\n"
        if len(pem) % 57 == 0:
            break
    lines = _wrap(base64.b64encode(pem.encode()).decode(), 76)
    assert {len(line) for line in lines} == {76} and not lines[-1].endswith("=")
    (tmp_path / "tls.key.b64").write_text("\n".join(lines) + "\n")
    findings = _scan(tmp_path, "hyperscan", [body, *lines])
    assert [(f["rule"], f["line"]) for f in findings] == [("private-key-pem", 1)]

"""PDF files that read as text: an encoded stream's data is not scanned, the rest of the file is
(paperless-ngx's test PDFs: an image's ASCII85 data held a Go MySQL DSN's shape). Real files scanned by the
real scanner; token values are random, made at run time."""

from __future__ import annotations

import base64
import string
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from autoaudit_secrets.scan.sources._pdf import blank_encoded_streams
from tests.conftest import random_chars


def _token() -> str:
    return "ghp_" + random_chars(string.ascii_letters + string.digits, 36)


def _pdf(metadata: str, encoded: str, plain: str) -> str:
    return (
        "%PDF-1.3\n"
        f"1 0 obj\n<< /Title (notes) /Keywords ({metadata}) >>\nendobj\n"
        "4 0 obj\n<<\n/Length 200 /Filter [ /ASCII85Decode /FlateDecode ]\n"
        "/DecodeParms << /Predictor 12 >>\n>>\n"
        f"stream\n{encoded}\nendstream\nendobj\n"
        f"5 0 obj\n<< /Length 50 >>\nstream\nBT /F1 12 Tf ({plain}) Tj ET\nendstream\nendobj\n"
        "%%EOF\n"
    )


def _scan(root: Path) -> list[tuple[str, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)


def test_an_encoded_stream_is_not_scanned_and_the_rest_of_the_pdf_is(tmp_path: Path) -> None:
    noise = base64.a85encode(random_chars(string.printable, 300).encode()).decode()
    inside, metadata, plain = _token(), _token(), _token()
    (tmp_path / "scan.pdf").write_bytes(_pdf(metadata, f"{noise}\n{inside}\n{noise}~>", plain).encode())
    text = (tmp_path / "scan.pdf").read_text()
    lines = text.splitlines()
    expected = [
        ("scan.pdf", n + 1, "github-pat-classic")
        for n, line in enumerate(lines)
        if metadata in line or plain in line
    ]
    assert len(expected) == 2
    assert _scan(tmp_path) == expected
    # the same file without the PDF header is some other text: every token is reported (counted alone: the
    # random noise, now scanned too, can take another rule's shape, about once in a thousand runs)
    (tmp_path / "scan.pdf").write_text(text.replace("%PDF-1.3", "%XYZ-1.3", 1))
    assert [rule for _, _, rule in _scan(tmp_path)].count("github-pat-classic") == 3


def test_blanking_keeps_offsets_and_lines_and_leaves_unencoded_streams() -> None:
    pdf = _pdf("k", "AB\r\nCD~>", "plain text").encode()
    blanked = blank_encoded_streams(pdf)
    assert len(blanked) == len(pdf) and blanked.count(b"\n") == pdf.count(b"\n") and b"\r" in blanked
    assert b"AB" not in blanked and b"CD~>" not in blanked
    assert b"(plain text)" in blanked and b"/Filter [ /ASCII85Decode" in blanked
    # a stream without its end runs to the end of the file; a file without streams is returned as it is
    assert blank_encoded_streams(pdf[: pdf.index(b"endstream")]).rstrip(b" \r\n").endswith(b"stream")
    assert blank_encoded_streams(b"%PDF-1.4\n1 0 obj << >> endobj\n") == b"%PDF-1.4\n1 0 obj << >> endobj\n"

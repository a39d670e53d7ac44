"""PDF files: the bodies of encoded streams are not text.

A PDF without NUL bytes in its head reads as text, but the data of a stream with a ``/Filter``
(``/ASCII85Decode``, ``/ASCIIHexDecode``, ``/FlateDecode``, an image's ``/DCTDecode``) is an encoding of
something else: ASCII85 in particular is printable noise in which the token rules find shapes
(paperless-ngx's test PDFs: a Go MySQL DSN "password" in an image's ASCII85 data). Those bodies are blanked
(every byte but line breaks made a space, so offsets and line numbers stay); the rest of the file — its
dictionaries, metadata and unencoded content streams — is scanned as it is.
"""

from __future__ import annotations

__all__ = ["PDF_MAGIC", "blank_encoded_streams"]

PDF_MAGIC = b"%PDF-"
_STREAM = b"stream"
_END = b"endstream"
_DICT_REACH = 4096  # bytes before a stream searched for its dictionary's /Filter
_KEEP_LINES = bytes(b if b in (0x0A, 0x0D) else 0x20 for b in range(256))


def blank_encoded_streams(data: bytes) -> bytes:
    """``data`` (a PDF file's bytes) with the body of every stream whose dictionary names a ``/Filter``
    blanked; linear in the size of ``data`` (each stream's dictionary is looked at within a bounded reach)."""
    out: bytearray | None = None
    pos = 0
    while True:
        start = data.find(_STREAM, pos)
        if start < 0:
            break
        body = start + len(_STREAM)
        if data[start - 3 : start] == b"end" or data[body : body + 1] not in (b"\r", b"\n"):
            pos = body  # "endstream", or the word inside other text
            continue
        body += 2 if data[body : body + 2] == b"\r\n" else 1
        end = data.find(_END, body)
        if end < 0:
            end = len(data)
        # the stream's own dictionary: from its object's "obj" on (nested dictionaries included)
        head = data[max(pos, start - _DICT_REACH) : start]
        if b"/Filter" in head[max(0, head.rfind(b"obj")) :]:
            if out is None:
                out = bytearray(data)
            out[body:end] = data[body:end].translate(_KEEP_LINES)
        pos = end + len(_END)
    return data if out is None else bytes(out)

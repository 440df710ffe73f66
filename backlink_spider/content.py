"""Is a response an HTML page? Judged on its Content-Type and its first bytes.

Servers label PDFs, images and archives ``text/html``; parsing those wastes time and
yields garbage links, so the magic bytes are checked before any parse.
"""

from __future__ import annotations

HTML_TYPES = ("text/html", "application/xhtml+xml")

# Signatures of binary formats seen served as text/html.
BINARY_SIGNATURES = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"7z\xbc\xaf",
    b"Rar!",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x00\x00\x01\x00",
    b"\x7fELF",
    b"MZ",
    b"wOFF",
    b"wOF2",
    b"\xd0\xcf\x11\xe0",
    b"ftyp",
)


def is_html_type(content_type: str | None) -> bool:
    """True when the Content-Type names HTML, or is missing (then the bytes decide)."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def looks_binary(body: bytes) -> bool:
    """True when the first bytes are a binary format's signature, or are not text at all."""
    head = body[:1024]
    if head.startswith(BINARY_SIGNATURES) or head[4:8] == b"ftyp":
        return True
    if not head:
        return False
    # Text encodings that HTML uses (UTF-16 aside, which starts with a BOM) have few NULs
    # and few control characters; uniformly random bytes (compressed or encrypted data of
    # no known signature) have ~10.5 %, so the limit sits well below that.
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return controls > len(head) // 20


def is_html(content_type: str | None, body: bytes) -> bool:
    """True when a response is worth parsing as an HTML page."""
    return is_html_type(content_type) and not looks_binary(body)

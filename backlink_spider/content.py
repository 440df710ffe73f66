"""Is a response an HTML page? Judged on its Content-Type and its first bytes.

Servers label PDFs, images and archives ``text/html``; parsing those wastes time and
yields garbage links, so the magic bytes are checked before any parse.
"""

from __future__ import annotations

from scrapy.http import Response
from w3lib.encoding import http_content_type_encoding

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


# ASCII code units a page in UTF-16 without a byte order mark has at least in its first 512
# (its tags). Random bytes have one on average: 2 bodies in 100,000 labelled UTF-16 pass (and
# are parsed for nothing).
UTF16_MIN_ASCII = 8


def is_html_type(content_type: str | None) -> bool:
    """True when the Content-Type names HTML, or is missing (then the bytes decide)."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def looks_binary(body: bytes, utf16: str | None = None) -> bool:
    """True when the first bytes are a binary format's signature, or are not text at all.
    ``utf16`` ("utf-16-le" or "utf-16-be"): the Content-Type says the page is in UTF-16 of that
    order, so bytes without a byte order mark are judged as such text."""
    head = body[:1024]
    if head.startswith(BINARY_SIGNATURES) or head[4:8] == b"ftyp":
        return True
    if not head:
        return False
    # Text encodings that HTML uses have few NULs and few control characters; uniformly random
    # bytes (compressed or encrypted data of no known signature) have ~10.5 %, so the limit sits
    # well below that. UTF-16 starts with a byte order mark, or its order is named by the header.
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if utf16 is not None:
        return _not_utf16_markup(head[: len(head) // 2 * 2].decode(utf16, errors="replace"))
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return controls > len(head) // 20


def _not_utf16_markup(text: str) -> bool:
    """True when bytes read as UTF-16 are no page: control characters, no ``<``, or hardly any
    ASCII (an HTML page's tags are; random bytes read as UTF-16 are ASCII one code unit in 512)."""
    controls = sum(1 for char in text if char < "\t" or "\r" < char < " ")
    ascii_units = sum(1 for char in text if char < "\x80")
    return controls > len(text) // 20 or "<" not in text or ascii_units < UTF16_MIN_ASCII


def content_type_of(response: Response) -> str | None:
    """A response's Content-Type header, None when it has none."""
    return response.headers.get("Content-Type", b"").decode("latin-1") or None


def header_utf16(content_type: str | None) -> str | None:
    """The UTF-16 a Content-Type names: its order, little-endian for plain "utf-16" (as browsers
    read it, where RFC 2781 and so w3lib say big-endian); None when it names no UTF-16."""
    encoding = http_content_type_encoding(content_type) if content_type else None
    if encoding is None or not encoding.startswith("utf-16"):
        return None
    return "utf-16-be" if encoding == "utf-16-be" else "utf-16-le"


def is_html(content_type: str | None, body: bytes) -> bool:
    """True when a response is worth parsing as an HTML page."""
    return is_html_type(content_type) and not looks_binary(body, header_utf16(content_type))

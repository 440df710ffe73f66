"""Content: is a response an HTML page, judged on its Content-Type and its first bytes."""

from __future__ import annotations

import gzip
import io
import random
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlink_spider.content import is_html, is_html_type, looks_binary

PAGE = """<!DOCTYPE html>
<html lang="de">
<head>
  <meta charset="{charset}">
  <title>Café-Führer: die besten Röstereien</title>
</head>
<body>
  <article>
    <h1>Die besten Röstereien in Köln</h1>
    <p>Wer guten Kaffee sucht, findet ihn in der Südstadt \u2013 etwa bei der
       <a href="https://kaffee.example.de/">Rösterei am Markt</a>. „Großartig“, sagen Stammgäste.</p>
  </article>
</body>
</html>
"""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.html", PAGE)
    return buffer.getvalue()


# -- Content-Type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html",
        "TEXT/HTML",
        "text/html; charset=utf-8",
        "text/html;charset=ISO-8859-1",
        " text/html ; charset=windows-1252",
        "application/xhtml+xml",
        "application/xhtml+xml; charset=utf-8",
        None,
        "",
    ],
)
def test_html_types(content_type: str | None) -> None:
    assert is_html_type(content_type) is True
    assert is_html(content_type, PAGE.format(charset="utf-8").encode()) is True


@pytest.mark.parametrize(
    "content_type",
    [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/plain",
        "text/css",
        "application/json",
        "application/javascript",
        "application/octet-stream",
        "application/zip",
        "text/htmlx",
        "text/xml",
    ],
)
def test_other_types_are_not_html_even_with_html_bodies(content_type: str) -> None:
    assert is_html_type(content_type) is False
    assert is_html(content_type, PAGE.format(charset="utf-8").encode()) is False


# -- binary bodies labelled text/html ----------------------------------------------------

BINARIES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00",
    "gif87": b"GIF87a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,",
    "gif89": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    "jpeg-exif": b"\xff\xd8\xff\xe1\x2f\xfeExif\x00\x00MM\x00*",
    "zip": _zip(),
    "gzip": gzip.compress(PAGE.encode()),
    "mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41",
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00",
    "woff2": b"wOF2\x00\x01\x00\x00\x00\x00\x0b\x8c\x00\x0a",
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
    "elf": b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    "ico": b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00",
    "doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00",
    "control-chars": bytes(range(32)) * 8,
    "mostly-nul": b"<html>" + b"\x00" * 500,
    "utf16-without-bom": "<html><body><p>Hello</p></body></html>".encode("utf-16-le"),
}


@pytest.mark.parametrize("name", sorted(BINARIES))
def test_binary_bodies_labelled_html_are_rejected(name: str) -> None:
    body = BINARIES[name]
    assert looks_binary(body) is True
    assert is_html("text/html", body) is False
    assert is_html("text/html; charset=utf-8", body) is False
    assert is_html(None, body) is False


@pytest.mark.parametrize("seed", range(200))
def test_random_bytes_are_rejected(seed: int) -> None:
    # Compressed or encrypted data of no known signature looks like uniformly random bytes.
    body = random.Random(seed).randbytes(4096)
    assert is_html("text/html", body) is False


# -- real HTML ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "charset"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8"),
        ("utf-16", "utf-16"),  # with its BOM
        ("utf-16-be", "utf-16"),
        ("windows-1252", "windows-1252"),
    ],
)
def test_real_html_in_common_encodings_is_accepted(encoding: str, charset: str) -> None:
    text = PAGE.format(charset=charset)
    body = ("\ufeff" + text).encode(encoding) if encoding == "utf-16-be" else text.encode(encoding)
    assert looks_binary(body) is False
    assert is_html("text/html", body) is True


@pytest.mark.parametrize(
    ("charset", "encoding"), [("utf-16", "utf-16-le"), ("UTF-16LE", "utf-16-le"), ("utf-16be", "utf-16-be")]
)
def test_utf16_without_a_byte_order_mark_is_html_when_the_header_names_it(charset: str, encoding: str) -> None:
    content_type = f"text/html; charset={charset}"
    assert is_html(content_type, PAGE.format(charset=charset).encode(encoding)) is True
    # Mostly CJK text after a few tags.
    assert is_html(content_type, ("<html><body><p>" + "東京のカフェ案内" * 60).encode(encoding)) is True
    # Unlabelled, such bytes are as browsers read them: not a page.
    assert is_html("text/html", PAGE.format(charset=charset).encode(encoding)) is False


@pytest.mark.parametrize("name", ["pdf", "mostly-nul", "control-chars", "zip"])
def test_a_utf16_label_does_not_make_binary_html(name: str) -> None:
    assert is_html("text/html; charset=utf-16", BINARIES[name]) is False


@pytest.mark.parametrize("seed", range(100))
def test_random_bytes_labelled_utf16_are_rejected(seed: int) -> None:
    # Read as UTF-16, random bytes have no control characters but are ASCII one code unit in 512.
    body = random.Random(seed).randbytes(4096)
    assert is_html("text/html; charset=utf-16", body) is False
    assert is_html("text/html; charset=utf-16be", body) is False


def test_japanese_and_russian_pages_are_accepted() -> None:
    japanese = "<html><body><p>東京のカフェ案内。詳しくは<a href='https://x.jp/'>こちら</a>。</p></body></html>"
    russian = "<html><body><p>Лучшие кофейни Москвы: <a href='https://x.ru/'>подробнее</a>.</p></body></html>"
    assert is_html("text/html", japanese.encode("shift_jis")) is True
    assert is_html("text/html", japanese.encode("utf-8")) is True
    assert is_html("text/html", russian.encode("cp1251")) is True
    assert is_html("text/html", russian.encode("koi8-r")) is True


def test_html_with_a_few_stray_control_characters_is_accepted() -> None:
    body = PAGE.format(charset="utf-8").encode().replace(b"Kaffee", b"Kaf\x01fee").replace(b"Markt", b"Mar\x00kt")
    assert is_html("text/html", body) is True


def test_empty_body_is_not_binary() -> None:
    assert looks_binary(b"") is False
    assert is_html("text/html", b"") is True


def test_only_the_head_is_inspected() -> None:
    body = PAGE.format(charset="utf-8").encode().ljust(2048, b" ") + bytes(range(32)) * 100
    assert is_html("text/html", body) is True


_TEXT = st.text(
    alphabet=st.one_of(st.characters(blacklist_categories=("Cc", "Cs")), st.sampled_from("\n\r\t")), max_size=2000
)


@given(_TEXT, st.sampled_from(["utf-8", "utf-16"]))
def test_property_any_text_document_is_html(text: str, encoding: str) -> None:
    body = f"<!DOCTYPE html><html><body><p>{text}</p></body></html>".encode(encoding)
    assert is_html("text/html; charset=" + encoding, body) is True


@given(st.binary(min_size=64, max_size=2048))
def test_property_pdf_and_png_signatures_always_win(tail: bytes) -> None:
    assert is_html("text/html", b"%PDF-1.4\n" + tail) is False
    assert is_html("text/html", b"\x89PNG\r\n\x1a\n" + tail) is False

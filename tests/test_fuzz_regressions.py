"""Inputs that once broke, or nearly broke, link extraction, replayed forever; and the
fuzz harness itself run over its seeds (``make fuzz`` runs it for real)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backlink_spider.extraction import absolute_url, extract_page
from fuzz.extraction import check

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"


@pytest.mark.parametrize(
    "path", sorted((FUZZ / "regressions").glob("*")) + sorted((FUZZ / "seeds").glob("*")), ids=lambda p: p.name
)
def test_fuzz_inputs_keep_their_invariants(path: Path) -> None:
    check(path.read_bytes())


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("http://target.com\\@evil.com/", "http://target.com/@evil.com/"),  # browsers read \ as /
        ("\\\\evil.com/x", "http://evil.com/x"),
        ("/search?q=a\\b", "http://source.org/search?q=a\\b"),  # not in the query
        ("http://[", None),
        ("http://a.com:99999/", None),
        ("http://[::1", None),
    ],
)
def test_hostile_hrefs(href: str, expected: str | None) -> None:
    assert absolute_url(href, "http://source.org/page") == expected


def test_a_broken_base_href_is_ignored() -> None:
    page = extract_page(b'<base href="http://[::1"><a href="x">x</a>', "http://source.org/dir/page")
    assert [link.url for link in page.links] == ["http://source.org/dir/x"]

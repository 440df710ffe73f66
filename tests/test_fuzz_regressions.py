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


def test_a_host_that_maps_to_a_character_no_host_may_hold_gives_no_link() -> None:
    # A fullwidth bracket maps to "]" (UTS 46): browsers refuse the host, and it would not parse.
    assert absolute_url("///a\uff3db.com/x", "http://source.org/page") is None
    assert absolute_url("http://a\uff05b.com/", "http://source.org/page") is None


def test_a_base_whose_host_is_a_control_character_gives_no_link() -> None:
    # Empty segments are kept: without a host, the path's "//" would be read as the authority.
    assert absolute_url("x", "http://\x0c//\x00.\x7f ]RRR/page") is None

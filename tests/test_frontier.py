"""Frontier: depth and per-domain budgets, canonical dedupe, skipped extensions, breadth priority."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from w3lib.url import canonicalize_url

from backlink_spider.extraction import absolute_url
from backlink_spider.frontier import Frontier, has_skipped_extension

# -- depth -------------------------------------------------------------------------------


def test_depth_limit_is_inclusive() -> None:
    frontier = Frontier(max_depth=2, pages_per_domain=100)
    assert frontier.admit("https://a.com/0", "a.com", 0) == 0
    assert frontier.admit("https://a.com/2", "a.com", 2) == -1
    assert frontier.admit("https://a.com/3", "a.com", 3) is None


def test_depth_zero_admits_only_seeds() -> None:
    frontier = Frontier(max_depth=0, pages_per_domain=100)
    assert frontier.admit("https://a.com/", "a.com", 0) == 0
    assert frontier.admit("https://b.com/", "b.com", 1) is None


def test_a_url_refused_for_depth_spends_no_budget_and_is_not_marked_seen() -> None:
    frontier = Frontier(max_depth=1, pages_per_domain=1)
    assert frontier.admit("https://a.com/x", "a.com", 5) is None
    assert frontier.admitted("a.com") == 0
    # Found again nearer a seed, it is admitted.
    assert frontier.admit("https://a.com/x", "a.com", 1) == 0


def test_a_probe_one_link_beyond_the_depth_is_admitted_within_the_budgets_traps_and_seen_set() -> None:
    frontier = Frontier(max_depth=0, pages_per_domain=2)
    assert frontier.admit("https://a.com/go/x", "a.com", 1) is None
    assert frontier.admit("https://a.com/go/w", "a.com", 2, probe=True) is None  # two links beyond
    assert frontier.admit("https://a.com/go/x", "a.com", 1, probe=True) == 0
    assert frontier.admit("https://a.com/go/x", "a.com", 1, probe=True) is None  # seen
    assert frontier.admit("https://a.com/" + "a/" * 30, "a.com", 1, probe=True) is None  # a trap
    assert frontier.admit("https://a.com/go/y", "a.com", 1, probe=True) == -1
    assert frontier.admit("https://a.com/go/z", "a.com", 1, probe=True) is None  # a.com's budget
    assert frontier.traps == {"too deep": 1}


# -- variants of one page ------------------------------------------------------------------


def test_a_path_gets_a_bounded_number_of_query_variants_and_its_plain_url_besides() -> None:
    frontier = Frontier(max_depth=5, pages_per_domain=100, variants_per_path=3)
    months = [frontier.admit(f"https://a.com/calendar?month={n}", "a.com", 1) for n in range(5)]
    assert months == [0, -1, -2, None, None]
    assert frontier.traps == {"too many variants of one page": 2}
    # The page itself is no variant, on any host of the domain; another path has its own count.
    assert frontier.admit("https://a.com/calendar", "a.com", 1) == -3
    assert frontier.admit("https://www.a.com/calendar", "a.com", 1) == -4
    assert frontier.admit("https://blog.a.com/calendar?month=9", "a.com", 1) is None
    assert frontier.admit("https://a.com/events?page=2", "a.com", 1) == -5
    assert frontier.admit("https://b.com/calendar?month=9", "b.com", 1) == 0


def test_a_resumed_frontier_counts_the_variants_admitted_before() -> None:
    frontier = Frontier(max_depth=5, pages_per_domain=100, variants_per_path=2)
    frontier.restore("https://a.com/list?page=1", "a.com")
    frontier.restore("https://a.com/list", "a.com")
    assert frontier.admit("https://a.com/list?page=2", "a.com", 1) == -2
    assert frontier.admit("https://a.com/list?page=3", "a.com", 1) is None


# -- per-domain budget -------------------------------------------------------------------


def test_per_domain_budget() -> None:
    frontier = Frontier(max_depth=5, pages_per_domain=3)
    admitted = [frontier.admit(f"https://blog.a.com/p{i}", "a.com", 1) for i in range(5)]
    assert admitted == [0, -1, -2, None, None]
    assert frontier.admitted("a.com") == 3
    assert frontier.domain_full("a.com") is True


def test_budget_is_per_registered_domain_not_per_host() -> None:
    frontier = Frontier(max_depth=5, pages_per_domain=2)
    assert frontier.admit("https://www.a.com/", "a.com", 0) == 0
    assert frontier.admit("https://blog.a.com/", "a.com", 0) == -1
    assert frontier.admit("https://shop.a.com/", "a.com", 0) is None
    assert frontier.admit("https://b.com/", "b.com", 0) == 0


def test_domain_full() -> None:
    frontier = Frontier(max_depth=5, pages_per_domain=1)
    assert frontier.domain_full("a.com") is False
    frontier.admit("https://a.com/", "a.com", 0)
    assert frontier.domain_full("a.com") is True
    assert frontier.domain_full("b.com") is False


# -- canonical dedupe --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("https://a.com/page?b=2&a=1", "https://a.com/page?a=1&b=2"),
        ("https://a.com/page", "https://a.com/page#comments"),
        ("https://a.com/page#intro", "https://a.com/page#outro"),
        ("https://A.COM/page", "https://a.com/page"),
        ("https://a.com", "https://a.com/"),
        ("https://a.com/~user", "https://a.com/%7Euser"),
        ("https://a.com/a b", "https://a.com/a%20b"),
        ("https://a.com/s?q=a%20b", "https://a.com/s?q=a+b"),
        ("https://a.com/page?", "https://a.com/page"),
        ("https://bücher.de/", "https://xn--bcher-kva.de/"),
        ("HTTPS://a.com/x", "https://a.com/x"),
    ],
)
def test_canonical_duplicates_are_admitted_once(first: str, again: str) -> None:
    assert canonicalize_url(first) == canonicalize_url(again)
    frontier = Frontier(max_depth=5, pages_per_domain=10)
    assert frontier.admit(first, "a.com", 0) == 0
    assert frontier.admit(again, "a.com", 0) is None
    # A duplicate spends no budget.
    assert frontier.admitted("a.com") == 1


@pytest.mark.parametrize(
    ("first", "other"),
    [
        ("https://a.com/Page", "https://a.com/page"),  # path case matters
        ("https://a.com/page", "https://a.com/page/"),
        ("http://a.com/page", "https://a.com/page"),
        ("https://a.com/page?a=1", "https://a.com/page?a=2"),
        # canonicalize_url keeps default ports: absolute_url drops them before the frontier.
        ("https://a.com:443/page", "https://a.com/page"),
        ("http://a.com:80/page", "http://a.com/page"),
    ],
)
def test_distinct_urls_are_both_admitted(first: str, other: str) -> None:
    assert canonicalize_url(first) != canonicalize_url(other)
    frontier = Frontier(max_depth=5, pages_per_domain=10)
    assert frontier.admit(first, "a.com", 0) == 0
    assert frontier.admit(other, "a.com", 0) == -1


def test_default_ports_are_one_url_after_link_extraction() -> None:
    frontier = Frontier(max_depth=5, pages_per_domain=10)
    base = "https://blog.org/post"
    assert frontier.admit(absolute_url("https://a.com:443/page#x", base), "a.com", 0) == 0
    assert frontier.admit(absolute_url("https://A.com/page", base), "a.com", 0) is None
    assert frontier.admit(absolute_url("HTTPS://a.com:443/page", base), "a.com", 0) is None


# -- skipped extensions ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://a.com/report.pdf",
        "https://a.com/REPORT.PDF",
        "https://a.com/photo.jpg",
        "https://a.com/photo.jpeg?w=800",
        "https://a.com/images/logo.png",
        "https://a.com/release.zip",
        "https://a.com/release-1.2.tar.gz",
        "https://a.com/app.exe",
        "https://a.com/clip.mp4",
        "https://a.com/deck.pptx",
        "https://a.com/sheet.xlsx",
        "https://a.com/static/app.css",
        "https://a.com/static/app.js",
        "https://a.com/feed.rss",
    ],
)
def test_skipped_extensions(url: str) -> None:
    assert has_skipped_extension(url) is True
    frontier = Frontier(max_depth=5, pages_per_domain=10)
    assert frontier.admit(url, "a.com", 0) is None
    assert frontier.admitted("a.com") == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://a.com/",
        "https://a.com/page.html",
        "https://a.com/page.htm",
        "https://a.com/index.php?id=3",
        "https://a.com/post",
        "https://a.com/docs/v1.2/intro",
        "https://a.com/download?file=report.pdf",
        "https://a.com/pdf",
        "https://a.com/file.pdf/",
        "https://a.com/page#photo.jpg",
    ],
)
def test_pages_are_not_skipped(url: str) -> None:
    assert has_skipped_extension(url) is False
    assert Frontier(max_depth=5, pages_per_domain=10).admit(url, "a.com", 0) == 0


# -- breadth priority --------------------------------------------------------------------


def test_breadth_priority_across_domains() -> None:
    frontier = Frontier(max_depth=5, pages_per_domain=100)
    order = [
        ("https://a.com/1", "a.com"),
        ("https://a.com/2", "a.com"),
        ("https://a.com/3", "a.com"),
        ("https://b.com/1", "b.com"),
        ("https://a.com/4", "a.com"),
        ("https://c.org/1", "c.org"),
        ("https://b.com/2", "b.com"),
    ]
    assert [frontier.admit(url, domain, 1) for url, domain in order] == [0, -1, -2, 0, -3, 0, -1]


def test_refused_urls_do_not_advance_priority() -> None:
    frontier = Frontier(max_depth=1, pages_per_domain=100)
    assert frontier.admit("https://a.com/1", "a.com", 0) == 0
    assert frontier.admit("https://a.com/1#dup", "a.com", 0) is None
    assert frontier.admit("https://a.com/x.pdf", "a.com", 0) is None
    assert frontier.admit("https://a.com/deep", "a.com", 2) is None
    assert frontier.admit("https://a.com/2", "a.com", 0) == -1


@given(st.lists(st.sampled_from(["a.com", "b.org", "c.net", "d.co.uk"]), max_size=60), st.integers(1, 20))
def test_priority_property(domains: list[str], budget: int) -> None:
    frontier = Frontier(max_depth=3, pages_per_domain=budget)
    counts: dict[str, int] = {}
    for i, domain in enumerate(domains):
        priority = frontier.admit(f"https://{domain}/page-{i}", domain, 1)
        seen = counts.get(domain, 0)
        if seen < budget:
            assert priority == -seen
            counts[domain] = seen + 1
        else:
            assert priority is None
    assert {domain: frontier.admitted(domain) for domain in counts} == counts

"""Extraction: pages/s of ``extract_page`` (every field, placement and snippet included) on
the real pages of ``tests/data`` (the shared corpus), against Scrapy's ``LinkExtractor`` and against a bare
parse + iteration over ``<a href>`` with lexbor (selectolax) and with lxml, the same
pages in the same run.

A ``Link`` works out its anchor, link type, placement and snippet on first access (a crawl
reads them only for its backlinks); ``ours`` reads every field of every link, so the whole
of the extraction is measured.

Every method takes the page as decoded text (a crawl hands ``response.text`` over), at a
URL of its own in each round, so no cache keyed by page URL carries over from a page to
another as it could not in a crawl. After a warm-up round, rounds alternate the methods
and each keeps its best round, so a burst of load on the machine hurts none of them more.
Rounds are timed in CPU seconds of this process: every method is single-threaded work in
it, and on a shared machine wall time also counts the time another process held the core.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import lxml.html
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor
from selectolax.lexbor import LexborHTMLParser

from backlink_spider.extraction import decode_html, extract_page
from tests.corpus import CORPUS_DIR, PAGE_URL, page_dirs, read_gz


def load_pages(limit: int | None = None) -> list[str]:
    """The decoded text of the corpus pages (their ``source.html.gz``)."""
    return [decode_html(read_gz(page_dir / "source.html.gz"), None) for page_dir in page_dirs(CORPUS_DIR)[:limit]]


def page_url(round_number: int, index: int) -> str:
    """A URL in the corpus's directory (its relative links resolve as on PAGE_URL), new per round."""
    return PAGE_URL.replace("page.html", f"page-{round_number}-{index}.html")


def ours(url: str, html: str) -> int:
    links = extract_page(html, url).links
    for link in links:
        # A link works its fields out on first access; here every one of them is read.
        _fields = (link.url, link.host, link.anchor, link.rel, link.link_type, link.placement, link.snippet)
    return len(links)


def link_extractor(url: str, html: str, _extractor: LinkExtractor = LinkExtractor()) -> int:  # noqa: B008
    response = HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")
    return len(_extractor.extract_links(response))


def lexbor_bare(url: str, html: str) -> int:
    return sum(1 for node in LexborHTMLParser(html).css("a[href]") if node.attributes.get("href"))


def lxml_bare(url: str, html: str) -> int:
    return sum(1 for href in lxml.html.fromstring(html).xpath("//a/@href") if href)


METHODS: dict[str, Callable[[str, str], int]] = {
    "extract_page": ours,
    "LinkExtractor": link_extractor,
    "lexbor parse+iterate": lexbor_bare,
    "lxml parse+iterate": lxml_bare,
}


def time_method(method: Callable[[str, str], int], pages: list[str], round_number: int) -> tuple[float, int]:
    urls = [page_url(round_number, index) for index in range(len(pages))]
    started = time.process_time()
    links = 0
    for url, html in zip(urls, pages, strict=True):
        links += method(url, html)
    return time.process_time() - started, links


def run(rounds: int = 3, limit: int | None = None) -> dict[str, Any]:
    pages = load_pages(limit)
    size = sum(len(html.encode("utf-8")) for html in pages)
    best: dict[str, float] = {}
    links: dict[str, int] = {}
    for round_number in range(rounds + 1):
        for name, method in METHODS.items():
            seconds, found = time_method(method, pages, round_number)
            if round_number:  # round 0 warms up imports and caches
                best[name] = min(best.get(name, seconds), seconds)
            links[name] = found
    rates = {name: len(pages) / seconds for name, seconds in best.items()}
    return {
        "pages": len(pages),
        "mean_kib": round(size / len(pages) / 1024, 1),
        "pages_per_s": {name: round(rate, 1) for name, rate in rates.items()},
        "links": links,
        "ratios": {
            "vs_LinkExtractor": round(rates["extract_page"] / rates["LinkExtractor"], 2),
            "vs_lexbor_bare": round(rates["extract_page"] / rates["lexbor parse+iterate"], 3),
        },
    }

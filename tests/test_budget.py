"""Crawl budgets end to end: ``max_pages`` stops the crawl with everything found stored,
``max_depth`` and ``pages_per_domain`` bound what is fetched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from backlink_spider.localweb import LocalWeb, Resource
from tests.conftest import Crawl, run_crawl
from tests.web import html

PAGES = 30


def chain_page(site: str, number: int) -> Resource:
    links = "".join(f'<a href="http://{site}/p{n}">page {n}</a> ' for n in range(number + 1, min(number + 4, PAGES)))
    return Resource(html(f'<p><a href="http://target.com/from/{site}/{number}">target</a></p>{links}'))


@pytest.fixture
def big_web() -> Iterator[LocalWeb]:
    sites = {site: {f"/p{n}": chain_page(site, n) for n in range(PAGES)} for site in ("one.com", "two.org")}
    with LocalWeb(sites) as web:
        yield web


def fetched_pages(web: LocalWeb) -> list[str]:
    return [url for url in web.requests if not url.endswith("/robots.txt")]


def crawl_big_web(web: LocalWeb, tmp_path: Path, *arguments: str) -> Crawl:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    seeds = "seeds=http://one.com/p0,http://two.org/p0"
    crawl = run_crawl(url, "-a", "target=target.com", "-a", seeds, *arguments, proxy=web.proxy_url)
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    return crawl


def test_max_pages_stops_the_crawl_and_keeps_everything_found(big_web: LocalWeb, tmp_path: Path) -> None:
    crawl = crawl_big_web(big_web, tmp_path, "-a", "max_pages=7", "-a", "pages_per_domain=100", "-a", "max_depth=50")
    assert len(fetched_pages(big_web)) == 7
    pages = {row[0] for row in crawl.rows("SELECT url FROM pages")}
    assert len(pages) == 7
    sources = {row[0] for row in crawl.rows("SELECT source_url FROM backlinks")}
    assert sources == pages
    ((reason, stats),) = crawl.rows("SELECT finish_reason, stats FROM crawls")
    assert reason == "max_pages"
    assert json.loads(stats)["backlinks/budget/fetches"] == 7


def test_a_budget_spent_on_its_last_fetch_ends_the_crawl_as_max_pages(tmp_path: Path) -> None:
    # A chain, one link a page: once the third page is fetched, the spider admits no link, so no
    # fourth request ever comes to the budget. The crawl still ends for its budget, not as finished.
    sites = {"one.com": {f"/p{n}": Resource(html(f'<a href="/p{n + 1}">next</a>')) for n in range(6)}}
    with LocalWeb(sites) as web:
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        crawl = run_crawl(url, "-a", "target=target.com", "-a", "seeds=http://one.com/p0", "-a", "max_pages=3",
                          proxy=web.proxy_url)  # fmt: skip
        assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
        assert fetched_pages(web) == ["http://one.com/p0", "http://one.com/p1", "http://one.com/p2"]
    assert crawl.rows("SELECT finish_reason FROM crawls") == [("max_pages",)]


def test_pages_per_domain_spreads_the_crawl_across_domains(big_web: LocalWeb, tmp_path: Path) -> None:
    crawl = crawl_big_web(big_web, tmp_path, "-a", "pages_per_domain=4", "-a", "max_depth=50")
    assert dict(crawl.rows("SELECT domain, count(*) FROM pages GROUP BY domain")) == {"one.com": 4, "two.org": 4}


def test_max_depth_zero_fetches_only_the_seeds(big_web: LocalWeb, tmp_path: Path) -> None:
    crawl_big_web(big_web, tmp_path, "-a", "max_depth=0")
    assert sorted(fetched_pages(big_web)) == ["http://one.com/p0", "http://two.org/p0"]


def test_max_depth_counts_link_hops(big_web: LocalWeb, tmp_path: Path) -> None:
    crawl = crawl_big_web(big_web, tmp_path, "-a", "max_depth=1", "-a", "pages_per_domain=100")
    assert max(row[0] for row in crawl.rows("SELECT depth FROM pages")) == 1
    # p0 links to p1..p3 (and to target.com, whose robots.txt is unreachable here, so
    # it is never fetched): one hop reaches exactly those.
    assert sorted(set(fetched_pages(big_web))) == sorted(
        [f"http://{site}/p{n}" for site in ("one.com", "two.org") for n in range(4)]
    )


def test_a_spent_budget_closes_the_crawl_instead_of_draining_the_queue(tmp_path: Path) -> None:
    hub = {"/": Resource(html("".join(f'<a href="/q{n}">{n}</a> ' for n in range(300))))}
    hub.update({f"/q{n}": Resource(html(f"<p>{n}</p>")) for n in range(300)})
    with LocalWeb({"hub.com": hub}) as web:
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        crawl = run_crawl(url, "-a", "target=target.com", "-a", "seeds=http://hub.com/", "-a", "max_pages=5",
                          "-a", "pages_per_domain=1000", proxy=web.proxy_url)  # fmt: skip
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    ((reason, stats),) = crawl.rows("SELECT finish_reason, stats FROM crawls")
    assert reason == "max_pages"
    # 300 requests were queued; the crawl closed without pulling them all through (only
    # those already handed to the downloader, at most CONCURRENT_REQUESTS, are dropped).
    assert json.loads(stats).get("backlinks/budget/dropped", 0) <= 32

"""Crawler traps and hostile servers, end to end: the crawl stays bounded, ends on its
own, and still finds the backlinks elsewhere on a trapped domain."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import brotli
import pytest

from backlink_spider.localweb import LocalWeb, Resource, redirect
from tests.conftest import run_crawl
from tests.web import html


class TrapSite(Mapping[str, Resource]):
    """A site with infinitely many pages: every path answers, and links on."""

    def __init__(self) -> None:
        self.session = itertools.count()

    def __getitem__(self, path: str) -> Resource:
        if path == "/":
            return Resource(
                html(
                    '<a href="/calendar?month=1">calendar</a> <a href="/a/">loop</a>'
                    ' <a href="/search?color=red">search</a> <a href="/session?sid=0">session</a>'
                    ' <a href="/real-article">article</a>'
                )
            )
        if path == "/real-article":
            return Resource(html('<p>A real article that links to <a href="http://target.com/">Target</a>.</p>'))
        if path.startswith("/calendar?month="):
            month = int(path.rsplit("=", 1)[1])
            return Resource(html(f'<a href="/calendar?month={month + 1}">next month</a>'))
        if path.startswith("/a/"):
            return Resource(html('<a href="a/">deeper</a>'))  # relative: /a/a/a/...
        if path.startswith("/search?"):
            facets = "".join(f'<a href="{path}&f{n}=x">refine {n}</a> ' for n in range(5))
            return Resource(html(facets))
        if path.startswith("/session"):
            return Resource(html(f'<a href="/session?sid={next(self.session)}">again</a> <a href="/">home</a>'))
        raise KeyError(path)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_traps_are_bounded_and_the_real_backlink_is_found(tmp_path: Path) -> None:
    with LocalWeb({"trap.com": TrapSite()}) as web:
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        crawl = run_crawl(
            url, "-a", "target=target.com", "-a", "seeds=http://trap.com/",
            "-a", "pages_per_domain=1000", "-a", "max_depth=1000",
            proxy=web.proxy_url, timeout=120,
        )  # fmt: skip
        assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
        pages = [request for request in web.requests if not request.endswith("robots.txt")]
    assert crawl.rows("SELECT source_url FROM backlinks") == [("http://trap.com/real-article",)]
    assert len(pages) < 60
    assert sum("/calendar" in page for page in pages) <= 10
    assert max(page.count("/a") for page in pages) < 3
    assert not any("sid=" in page for page in pages)
    stats = json.loads(crawl.rows("SELECT stats FROM crawls")[0][0])
    assert stats["backlinks/traps/too many variants of one page"] > 0
    assert stats["backlinks/traps/repeated path segment"] > 0


BOMB = b"<html><body>" + b" " * (60 * 1024 * 1024) + b"</body></html>"  # 60 MiB, over the 10 MiB cap


def gzip_bomb() -> bytes:
    return gzip.compress(BOMB, compresslevel=9)


def brotli_bomb() -> bytes:
    return brotli.compress(BOMB, quality=5)


@pytest.fixture
def hostile_web() -> Iterator[LocalWeb]:
    hostile = {
        "/": Resource(
            html(
                '<a href="/loop1">loop</a> <a href="/chain0">chain</a> <a href="/slow">slow</a>'
                ' <a href="/bomb">bomb</a> <a href="/br-bomb">br</a> <a href="/endless">endless</a>'
                ' <a href="/long">long</a> <a href="/fine">fine</a>'
            )
        ),
        "/loop1": redirect("/loop2"),
        "/loop2": redirect("/loop1"),
        **{f"/chain{n}": redirect(f"/chain{n + 1}") for n in range(30)},
        "/slow": Resource(html('<p><a href="http://target.com/slow">never</a></p>'), delay=4),
        "/bomb": Resource(gzip_bomb(), headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}),
        "/br-bomb": Resource(brotli_bomb(), headers={"Content-Type": "text/html", "Content-Encoding": "br"}),
        "/endless": Resource(endless=b"<p>" + b"and on " * 10_000 + b"</p>"),
        "/long": Resource(
            html(
                f'<p><a href="http://target.com/{"x" * 5000}">{"long anchor " * 2000}</a> '
                f'<a href="http://target.com/nul">nul\x00 and \udcff</a></p>'
            ).encode("utf-8", "surrogateescape")
        ),
        "/fine": Resource(html('<p><a href="http://target.com/fine">fine</a></p>')),
    }
    with LocalWeb({"hostile.com": hostile}) as web:
        yield web


def test_hostile_responses_stop_nothing(hostile_web: LocalWeb, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    crawl = run_crawl(
        url, "-a", "target=target.com", "-a", "seeds=http://hostile.com/",
        proxy=hostile_web.proxy_url, settings={"DOWNLOAD_TIMEOUT": "1"}, timeout=120,
    )  # fmt: skip
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert "Traceback" not in crawl.process.stderr
    stored = {row[0]: row[1] for row in crawl.rows("SELECT target_url, anchor_text FROM backlinks")}
    assert set(stored) == {"http://target.com/fine", f"http://target.com/{'x' * 5000}", "http://target.com/nul"}
    assert stored["http://target.com/nul"].startswith("nul and")
    assert sum(request.startswith("http://hostile.com/chain") for request in hostile_web.requests) <= 12
    assert {"http://hostile.com/bomb", "http://hostile.com/br-bomb", "http://hostile.com/endless"} <= set(
        hostile_web.requests
    )
    assert crawl.rows("SELECT count(*) FROM pages WHERE url LIKE '%bomb' OR url LIKE '%endless'") == [(0,)]
    stats = json.loads(crawl.rows("SELECT stats FROM crawls")[0][0])
    assert stats.get("backlinks/fetch_failed/TimeoutError", 0) + stats.get("retry/max_reached", 0) >= 1

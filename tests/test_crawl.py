"""End to end: the real spider against the loopback web, asserting the stored rows.

Runs once on SQLite and once on the real PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from backlink_spider import settings
from backlink_spider.localweb import LocalWeb, Resource
from tests.conftest import Crawl, crawl_test_web, run_crawl
from tests.web import EXPECTED_BACKLINKS, html

BACKLINK_COLUMNS = (
    "source_url, target_url, anchor_text, anchor_class, rel, nofollow, ugc, sponsored, dofollow, link_type, placement"
)


def normalise(rows: list[tuple]) -> set[tuple]:
    return {tuple(bool(v) if i in (5, 6, 7, 8) else v for i, v in enumerate(row)) for row in rows}


def test_stores_exactly_the_backlinks_of_the_test_web(crawl: Crawl) -> None:
    stored = normalise(crawl.rows(f"SELECT {BACKLINK_COLUMNS} FROM backlinks"))
    assert sorted(stored - EXPECTED_BACKLINKS) == sorted(EXPECTED_BACKLINKS - stored) == []


def test_every_backlink_row_carries_the_contract_fields(crawl: Crawl) -> None:
    rows = crawl.rows(
        "SELECT target_domain, source_host, source_domain, first_seen, last_seen, lost_at, discovered_via, snippet"
        " FROM backlinks WHERE target_url = 'https://www.target.com/pricing'"
    )
    assert len(rows) == 1
    target_domain, source_host, source_domain, first_seen, last_seen, lost_at, via, snippet = rows[0]
    assert (target_domain, source_host, source_domain, lost_at, via) == (
        "target.com",
        "blog.com",
        "blog.com",
        None,
        "crawl",
    )
    assert first_seen is not None and first_seen == last_seen
    assert "recommends Target pricing warmly" in snippet


def test_robots_disallowed_page_is_never_fetched(crawl: Crawl, web: LocalWeb) -> None:
    assert web.fetched("http://blog.com/robots.txt")
    assert not web.fetched("http://blog.com/private")
    assert crawl.rows("SELECT count(*) FROM backlinks WHERE target_url = 'http://target.com/secret'") == [(0,)]


def test_every_request_names_the_crawler_and_none_sends_a_referer(crawl: Crawl, web: LocalWeb) -> None:
    """Robots request pages with no Referer (site owners take one for referrer spam); the User-Agent
    says who we are."""
    assert len(web.headers) == len(web.requests) > 10
    assert {headers.get("User-Agent") for headers in web.headers} == {settings.USER_AGENT}
    assert [url for url, headers in zip(web.requests, web.headers, strict=True) if "Referer" in headers] == []
    # Scrapy's redirects warn that they carry no Referer, which is what the project wants: not logged.
    assert "found no scrapy.spidermiddlewares.referer.RefererMiddleware" not in crawl.process.stderr


def test_internal_links_of_the_target_are_not_backlinks(crawl: Crawl) -> None:
    assert crawl.rows("SELECT count(*) FROM backlinks WHERE source_domain = 'target.com'") == [(0,)]
    assert crawl.rows("SELECT count(*) FROM pages WHERE url = 'http://target.com/'") == [(1,)]


def test_binary_body_served_as_html_is_skipped_and_the_crawl_goes_on(crawl: Crawl) -> None:
    assert crawl.rows("SELECT count(*) FROM pages WHERE url = 'http://news.org/binary'") == [(0,)]
    assert crawl.rows("SELECT count(*) FROM pages WHERE url = 'http://news.org/after-binary'") == [(1,)]
    assert "Traceback" not in crawl.process.stderr


def test_a_response_over_the_size_cap_is_abandoned(crawl: Crawl, web: LocalWeb) -> None:
    assert web.fetched("http://news.org/huge")
    assert crawl.rows("SELECT count(*) FROM pages WHERE url = 'http://news.org/huge'") == [(0,)]


def test_pages_and_crawl_are_recorded(crawl: Crawl) -> None:
    pages = {url: (status, nofollow) for url, status, nofollow in crawl.rows("SELECT url, status, nofollow FROM pages")}
    assert pages["http://news.org/"][1] and pages["http://news.org/xrobots"][1] and not pages["http://blog.com/post"][1]
    # A URL that redirects is stored as a page that moved, with no links; the page it leads to has them.
    assert pages["http://news.org/old"] == (301, False) and pages["http://news.org/new"] == (200, False)
    ((target, pages_count, backlinks_count, reason, finished),) = crawl.rows(
        "SELECT target, pages, backlinks, finish_reason, finished_at FROM crawls"
    )
    assert (target, pages_count, reason) == ("target.com", len(pages), "finished")
    assert backlinks_count >= len(EXPECTED_BACKLINKS) and finished is not None
    assert f"Crawl 1 ended (finished): {len(pages)} pages, {backlinks_count} backlinks" in crawl.process.stderr
    # Page records end in the storage pipeline, under a name an operator reading the stats understands.
    ((stats,),) = crawl.rows("SELECT stats FROM crawls")
    dropped = {key: value for key, value in json.loads(stats).items() if key.startswith("item_dropped_reasons")}
    assert dropped == {"item_dropped_reasons_count/PageStored": len(pages)}


def test_feed_export_writes_the_backlink_records(crawl: Crawl) -> None:
    feed = Path(crawl.process.args[crawl.process.args.index("-O") + 1])
    lines = feed.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert {(r["source_url"], r["target_url"], r["anchor_text"]) for r in records} == {
        (row[0], row[1], row[2]) for row in EXPECTED_BACKLINKS
    }


def test_a_second_run_adds_no_rows_and_updates_last_seen(database_url: str, web: LocalWeb) -> None:
    first = crawl_test_web(database_url, web)
    before = dict(first.rows("SELECT link_key, last_seen FROM backlinks"))
    again = crawl_test_web(database_url, web)
    after = dict(again.rows("SELECT link_key, last_seen FROM backlinks"))
    assert len(before) == len(EXPECTED_BACKLINKS)
    assert after.keys() == before.keys()
    assert all(after[key] > before[key] for key in before)
    assert again.rows("SELECT count(*) FROM crawls") == [(2,)]


def test_the_sqlite_file_alone_holds_the_crawl_once_it_ends(tmp_path: Path) -> None:
    # A user who copies backlinks.sqlite3 without its -wal file must not lose the last crawl.
    site = {"/": Resource(html('<p><a href="http://target.com/">Target</a></p>'))}
    database = tmp_path / "db.sqlite3"
    with LocalWeb({"blog.com": site}) as web:
        crawl = run_crawl(
            f"sqlite:///{database}", "-a", "target=target.com", "-a", "seeds=http://blog.com/", proxy=web.proxy_url
        )
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert not database.with_name("db.sqlite3-wal").exists()
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(database.read_bytes())
    with closing(sqlite3.connect(copy)) as connection:
        assert connection.execute("SELECT source_url, target_url FROM backlinks").fetchall() == [
            ("http://blog.com/", "http://target.com/")
        ]


def test_links_from_pages_search_engines_do_not_index_are_stored_marked_so(database_url: str) -> None:
    link = '<p>See <a href="http://target.com/">Target</a>.</p>'
    pages = {
        "/": Resource(html('<a href="/plain">1</a> <a href="/noindex">2</a> <a href="/copy">3</a>')),
        "/plain": Resource(html(link)),
        "/noindex": Resource(html(link, head='<meta name="robots" content="noindex">')),
        "/copy": Resource(html(link, head='<link rel="canonical" href="/plain">')),
    }
    with LocalWeb({"blog.com": pages}) as web:
        crawl = run_crawl(database_url, "-a", "target=target.com", "-a", "seeds=http://blog.com/", proxy=web.proxy_url)
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    backlinks = crawl.rows("SELECT source_url, indexable FROM backlinks")
    assert {url.removeprefix("http://blog.com"): bool(indexable) for url, indexable in backlinks} == {
        "/plain": True,
        "/noindex": False,
        "/copy": False,
    }
    stored = crawl.rows("SELECT url, noindex, canonical_url FROM pages WHERE url != 'http://blog.com/'")
    assert {url.removeprefix("http://blog.com"): (bool(noindex), canonical) for url, noindex, canonical in stored} == {
        "/plain": (False, None),
        "/noindex": (True, None),
        "/copy": (False, "http://blog.com/plain"),
    }


def test_a_seed_and_a_link_whose_host_idna_2008_spells_otherwise_are_fetched_there(tmp_path: Path) -> None:
    # w3lib, through Python's IDNA 2003 codec, would fetch both from strasse.de.
    site = {"/": Resource(html('<p><a href="http://straße.de/next">next</a></p>')), "/next": Resource(html("<p>n</p>"))}
    with LocalWeb({"xn--strae-oqa.de": site}) as web:
        crawl = run_crawl(
            f"sqlite:///{tmp_path / 'db.sqlite3'}", "-a", "target=target.com", "-a", "seeds=http://straße.de/",
            proxy=web.proxy_url,
        )  # fmt: skip
        fetched = [url for url in web.requests if not url.endswith("/robots.txt")]
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert fetched == ["http://xn--strae-oqa.de/", "http://xn--strae-oqa.de/next"]


def test_the_log_says_each_failure_once_and_in_one_line(tmp_path: Path) -> None:
    """A page that fails for good, a host whose robots.txt answers 503, one whose robots.txt
    times out: one line each, at INFO (routine events of the web, not errors of the crawl);
    and no chatter of the database's migrations."""
    busy = Resource("busy", 503, {"Content-Type": "text/html"})
    sites = {
        "blog.com": {"/": Resource(html('<a href="http://target.com/">t</a> <a href="/busy">b</a>')), "/busy": busy},
        "down.com": {"/robots.txt": busy, "/": Resource(html("<p>Down.</p>"))},
        "slow.net": {"/robots.txt": Resource("", delay=5), "/": Resource(html("<p>Slow.</p>"))},
    }
    with LocalWeb(sites) as web:
        crawl = run_crawl(
            f"sqlite:///{tmp_path / 'db.sqlite3'}", "-a", "target=target.com",
            "-a", "seeds=http://blog.com/,http://down.com/,http://slow.net/", proxy=web.proxy_url,
            settings={"DOWNLOAD_TIMEOUT": "1"},
        )  # fmt: skip
    stderr = crawl.process.stderr
    assert crawl.process.returncode == 0, stderr[-2000:]
    assert crawl.rows("SELECT source_url FROM backlinks") == [("http://blog.com/",)]
    lines = stderr.splitlines()

    def about(*words: str) -> list[str]:
        return [line.split("] ", 1)[1] for line in lines if all(word in line for word in words)]

    assert about("blog.com/busy") == ["INFO: Could not fetch http://blog.com/busy: it answered 503"]
    assert about("down.com", "robots") == [
        "INFO: robots.txt of down.com answered 503: the host is disallowed (RFC 9309)"
    ]
    assert about("slow.net") == [
        "INFO: robots.txt of slow.net could not be fetched (Getting http://slow.net/robots.txt took longer than 1.0 "
        "seconds.): the host is disallowed (RFC 9309)"
    ]
    assert " ERROR: " not in stderr and "Context impl" not in stderr and "Running upgrade" in stderr

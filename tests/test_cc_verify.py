"""Verifying Common Crawl candidates live: WAT links stored by ``scrapy cc-wat`` are fetched
first by the crawl (``-a seeds=`` the candidates files), confirmed (``discovered_via``
becomes ``crawl``, placement and the rest filled in) or marked lost; a capture never
overwrites what a crawl saw."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from backlink_spider.commoncrawl.candidates import REFERRERS, CandidateLink, Referrer, write_candidates
from backlink_spider.commoncrawl.rows import commoncrawl_row, store_links
from backlink_spider.commoncrawl.wat import WatReader, WatStats
from backlink_spider.items import Backlink
from backlink_spider.localweb import LocalWeb, Resource
from pipelines.database import open_engine
from pipelines.migrate import ensure_schema
from pipelines.writer import Writer, backlink_row
from tests.ccdata import Capture, write_wat
from tests.conftest import ROOT, crawl_env, run_crawl
from tests.web import PROSE, html

CAPTURED = "2024-05-18T01:58:10Z"
BLOG_CAPTURE = Capture(
    "http://blog.com/post",
    date=CAPTURED,
    links=[
        {"path": "A@/href", "url": "https://www.target.com/pricing", "text": "Target pricing"},
        {"path": "A@/href", "url": "http://target.com/nf", "rel": "nofollow noopener", "text": "nofollowed one"},
        {"path": "IMG@/src", "url": "/logo.png", "alt": "Target docs"},
        {"path": "A@/href", "url": "http://docs.target.com/guide"},
    ],
)
GONE_CAPTURE = Capture(
    "http://gone.org/page", date=CAPTURED, links=[{"path": "A@/href", "url": "http://target.com/", "text": "Target"}]
)
# The live web today: the nofollow link was removed, a new one added; gone.org answers 404.
SITES = {
    "blog.com": {
        "/post": Resource(
            html(
                f"<nav><a href='/'>Home</a></nav><article><p>{PROSE} see "
                "<a href='https://www.target.com/pricing'>Target pricing</a> and "
                "<a href='http://target.com/new'>a new link</a>.</p>"
                "<p><a href='http://docs.target.com/guide'><img src='/logo.png' alt='Target docs'></a></p></article>"
            )
        ),
        "/": Resource(html("<p>blog home</p>")),
    },
    "gone.org": {},
    "ref.net": {"/": Resource(html(f"<p>{PROSE} <a href='http://target.com/'>Target</a></p>"))},
    "generic.org": {"/": Resource(html("<p>a generic seed</p>"))},
}
COLUMNS = "source_url, target_url, anchor_text, discovered_via, placement, lost_at IS NOT NULL, first_seen"


def cc_wat(database: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "cc-wat", *arguments],
        cwd=ROOT, env=crawl_env(None) | {"BACKLINKS_DATABASE_URL": database},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def rows(database: str) -> dict[tuple[str, str, str], tuple]:
    engine = create_engine(database)
    with engine.connect() as connection:
        found = connection.execute(text(f"SELECT {COLUMNS} FROM backlinks")).all()
    engine.dispose()
    return {(r[0], r[1], r[2]): (r[3], r[4], bool(r[5]), str(r[6])[:19]) for r in found}


def test_wat_candidates_are_crawled_first_and_confirmed_or_lost(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    wat = write_wat(tmp_path / "a.warc.wat.gz", [(c.uri, c.payload()) for c in (BLOG_CAPTURE, GONE_CAPTURE)])
    links = tmp_path / "links.tsv"
    stored = cc_wat(database, "target.com", str(wat), "-o", str(links))
    assert stored.returncode == 0, stored.stderr
    before = rows(database)
    assert {value[:3] for value in before.values()} == {("commoncrawl", "unknown", False)}
    assert len(before) == 4
    referrers = tmp_path / "referrers.tsv"
    write_candidates(referrers, REFERRERS, ["target.com"], [Referrer("ref.net", "ref.net", 7, 1.0, 9, 0.1, ())])

    with LocalWeb(SITES) as web:
        crawl = run_crawl(
            database,
            "-a", "target=target.com",
            "-a", f"seeds=http://generic.org/,{links},{referrers}",
            "-a", "max_depth=0",
            proxy=web.proxy_url,
            settings={"CONCURRENT_REQUESTS": "1"},
        )  # fmt: skip
        assert crawl.process.returncode == 0, crawl.process.stderr[-3000:]
        pages = [url for url in web.requests if not url.endswith("/robots.txt")]
    # Candidates first (in their files' order), the generic seed after them.
    assert pages == ["http://blog.com/post", "http://gone.org/page", "http://ref.net/", "http://generic.org/"]

    after = rows(database)
    captured = "2024-05-18 01:58:10"
    assert after[("http://blog.com/post", "https://www.target.com/pricing", "Target pricing")] == (
        "crawl", "content", False, captured,  # confirmed: filled in, first seen by Common Crawl
    )  # fmt: skip
    assert after[("http://blog.com/post", "http://docs.target.com/guide", "Target docs")] == (
        "crawl", "content", False, captured,
    )  # fmt: skip
    assert after[("http://blog.com/post", "http://target.com/nf", "nofollowed one")] == (
        "commoncrawl", "unknown", True, captured,  # gone from the live page: lost
    )  # fmt: skip
    assert after[("http://gone.org/page", "http://target.com/", "Target")] == (
        "commoncrawl", "unknown", True, captured,  # the page is gone (404): lost, as a crawl's own link
    )  # fmt: skip
    new = after[("http://blog.com/post", "http://target.com/new", "a new link")]
    assert new[:3] == ("crawl", "content", False) and new[3] > captured
    referred = after[("http://ref.net/", "http://target.com/", "Target")]  # found from a graph candidate
    assert (referred[0], referred[2]) == ("crawl", False)
    assert len(after) == 6
    assert crawl.rows("SELECT new_backlinks, lost_backlinks FROM crawls") == [(2, 2)]
    assert crawl.rows(
        "SELECT placement, dofollow, last_crawl_id, first_crawl_id FROM backlinks WHERE target_url LIKE '%pricing'"
    ) == [("content", 1, 1, None)]

    # Reading the same WAT again changes none of that.
    engine = open_engine(database)
    assert store_links(engine, WatReader(["target.com"]).file_links(str(wat), WatStats())) == 4
    engine.dispose()
    assert rows(database) == after


def capture(link_url: str, when: datetime, anchor: str = "Target") -> dict:
    return commoncrawl_row(
        CandidateLink("http://blog.com/post", link_url, "target.com", anchor, "", "text", False, when)
    )


def test_a_capture_never_overwrites_a_crawled_row_and_newer_captures_update_unverified_ones(
    database_url: str,
) -> None:
    engine = open_engine(database_url)
    ensure_schema(engine, auto_upgrade=False)
    writer = Writer(engine, ["target.com"])
    crawled_at = datetime(2025, 1, 1, tzinfo=UTC)
    item = Backlink(
        "target.com", "http://target.com/a", "http://blog.com/post", "blog.com", "blog.com", "Target", "branded",
        "", False, False, False, True, "text", "footer", "snippet", crawled_at,
    )  # fmt: skip
    crawl_id = writer.start_crawl("target.com", crawled_at)
    writer.write([backlink_row(item, crawl_id)], [], crawl_id)
    older, newer = crawled_at - timedelta(days=200), crawled_at + timedelta(days=30)
    writer.write_commoncrawl([capture("http://target.com/a", older), capture("http://target.com/a", newer)])
    writer.write_commoncrawl([capture("http://target.com/b", older)])
    writer.write_commoncrawl([capture("http://target.com/b", newer), capture("http://target.com/b", older)])
    with engine.connect() as connection:
        found = {
            row[0]: row[1:]
            for row in connection.execute(
                text(
                    "SELECT target_url, discovered_via, placement, snippet, first_seen, last_seen, last_crawl_id"
                    " FROM backlinks"
                )
            )
        }
    engine.dispose()

    def day(value: object) -> str:
        return str(value)[:10]

    via, placement, snippet, first, last, last_crawl = found["http://target.com/a"]
    assert (via, placement, snippet, last_crawl) == ("crawl", "footer", "snippet", crawl_id)
    assert (day(first), day(last)) == (day(older), day(crawled_at))  # only first_seen moved, earlier
    via, placement, snippet, first, last, last_crawl = found["http://target.com/b"]
    assert (via, placement, last_crawl) == ("commoncrawl", "unknown", None)
    assert (day(first), day(last)) == (day(older), day(newer))

"""Storage: the writer's idempotent upserts (both databases) and the pipeline's flush at
close, proven on a crawl interrupted with Ctrl-C before any timed flush."""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select

from backlink_spider.items import Backlink, PageRecord
from backlink_spider.localweb import LocalWeb, Resource
from pipelines.database import open_engine, safe_url
from pipelines.migrate import ensure_schema
from pipelines.schema import BacklinkRow, CrawlRow, PageRow
from pipelines.writer import Writer, backlink_row, page_row
from tests.conftest import Crawl, start_crawl
from tests.web import html


def backlink(anchor: str = "Target", seen_at: datetime | None = None, rel: str = "") -> Backlink:
    return Backlink(
        target_domain="target.com", target_url="https://target.com/", source_url="http://blog.com/post",
        source_host="blog.com", source_domain="blog.com", anchor_text=anchor, anchor_class="branded", rel=rel,
        nofollow="nofollow" in rel, ugc=False, sponsored=False, dofollow="nofollow" not in rel, link_type="text",
        placement="content", snippet="a Target link", seen_at=seen_at or datetime.now(UTC),
    )  # fmt: skip


def test_upserts_are_idempotent_and_keep_first_seen(database_url: str) -> None:
    engine = open_engine(database_url)
    ensure_schema(engine, auto_upgrade=False)
    writer = Writer(engine)
    crawl_id = writer.start_crawl("target.com", datetime.now(UTC))
    first = datetime(2026, 1, 1, tzinfo=UTC)
    later = first + timedelta(days=30)
    writer.write([backlink_row(backlink(seen_at=first), crawl_id)], [])
    # The same link twice in one batch, and a link that differs only by rel: distinct rows.
    rows = [backlink_row(backlink(seen_at=later), crawl_id)] * 2 + [backlink_row(backlink(rel="nofollow"), crawl_id)]
    writer.write(rows, [])
    with engine.connect() as connection:
        stored = connection.execute(select(BacklinkRow.rel, BacklinkRow.first_seen, BacklinkRow.last_seen)).all()
    engine.dispose()
    assert len(stored) == 2
    plain = next(row for row in stored if row.rel == "")
    assert plain.first_seen.replace(tzinfo=None) == first.replace(tzinfo=None)
    assert plain.last_seen.replace(tzinfo=None) == later.replace(tzinfo=None)


def test_nul_bytes_and_surrogates_do_not_break_a_batch(database_url: str) -> None:
    engine = open_engine(database_url)
    ensure_schema(engine, auto_upgrade=False)
    writer = Writer(engine)
    page = PageRecord(
        url="http://blog.com/\x00odd", host="blog.com", domain="blog.com", status=200, fetched_at=datetime.now(UTC),
        nofollow=False, outlinks=1, backlinks=1, depth=0,
    )  # fmt: skip
    writer.write([backlink_row(backlink(anchor="bad\x00anchor \ud800"), 1)], [page_row(page, 1)])
    with engine.connect() as connection:
        assert connection.execute(select(BacklinkRow.anchor_text)).scalar_one() == "badanchor ?"
        assert connection.execute(select(PageRow.url)).scalar_one() == "http://blog.com/odd"
    engine.dispose()


def test_safe_url_hides_the_password() -> None:
    assert (
        safe_url("postgresql://crawler:s3cret@db.internal/backlinks")
        == "postgresql://crawler:***@db.internal/backlinks"
    )


def test_ctrl_c_flushes_every_backlink_found(tmp_path: Path) -> None:
    pages = 40
    site = {
        f"/p{n}": Resource(
            html(f'<p><a href="http://target.com/{n}">t</a></p><a href="/p{n + 1}">next</a>'), delay=0.15
        )
        for n in range(pages)
    }
    with LocalWeb({"slow.com": site}) as web:
        database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        process = start_crawl(
            database_url, "-a", "target=target.com", "-a", "seeds=http://slow.com/p0",
            "-a", "pages_per_domain=100", "-a", "max_depth=100",
            proxy=web.proxy_url,
            # Nothing is flushed before close: only the close flush can store the rows.
            settings={"BACKLINKS_FLUSH_INTERVAL": "600", "BACKLINKS_BATCH_SIZE": "100000"},
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while sum("slow.com/p" in url for url in web.requests) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr[-2000:]
    crawl = Crawl(process, database_url)  # type: ignore[arg-type]
    ((reason, stats),) = crawl.rows("SELECT finish_reason, stats FROM crawls")
    found = json.loads(stats)["backlinks/stored/backlinks"]
    assert reason == "shutdown"
    assert 5 <= found < pages
    assert crawl.rows("SELECT count(*) FROM backlinks") == [(found,)]
    assert crawl.rows("SELECT count(*) FROM pages") == [(found,)]


def test_schema_has_the_contract_tables(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    ensure_schema(engine, auto_upgrade=False)
    with engine.connect() as connection:
        assert connection.execute(select(CrawlRow)).all() == []
    engine.dispose()
    contract = {
        "target_domain", "target_url", "source_url", "source_host", "source_domain", "anchor_text", "anchor_class",
        "rel", "nofollow", "ugc", "sponsored", "dofollow", "link_type", "placement", "first_seen", "last_seen",
        "lost_at", "discovered_via",
    }  # fmt: skip
    assert contract <= set(BacklinkRow.__table__.columns.keys())

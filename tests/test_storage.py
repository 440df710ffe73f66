"""Storage: the writer's idempotent upserts (both databases, through each one's fast path
and through the plain one), the pipeline's buffering (snapshots of items, rows built in
its writer thread) and its flush at close, proven on a crawl interrupted with Ctrl-C
before any timed flush."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import IntegrityError, OperationalError

from backlink_spider.items import Backlink, PageRecord
from backlink_spider.localweb import LocalWeb, Resource
from pipelines.database import open_engine, safe_url
from pipelines.migrate import ensure_schema
from pipelines.schema import BacklinkRow, CrawlRow, PageDomainLinkRow, PageRow
from pipelines.storage import DatabasePipeline
from pipelines.unsaved import UnsavedFileError, load_file, save_batch, save_crawl_end
from pipelines.writer import Writer, backlink_row, backlink_row_of, backlink_values, domain_link_rows, page_row
from tests.conftest import Crawl, fresh_database, start_crawl
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


def page_record(url: str = "http://blog.com/post", fetched_at: datetime | None = None) -> PageRecord:
    return PageRecord(
        url=url, host="blog.com", domain="blog.com", status=200, fetched_at=fetched_at or datetime.now(UTC),
        nofollow=False, outlinks=3, backlinks=1, depth=0, domain_links={"target.com": (1, 1), "other.org": (2, 0)},
    )  # fmt: skip


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row of the tables a batch writes, ids included."""
    tables = {"backlinks": BacklinkRow, "pages": PageRow, "page_domain_links": PageDomainLinkRow}
    with engine.connect() as connection:
        return {
            name: [tuple(row) for row in connection.execute(select(model.__table__).order_by(model.id))]
            for name, model in tables.items()
        }


def batches() -> list[tuple[list[Backlink], list[PageRecord]]]:
    """Two crawls of a batch each: links (one with text COPY must escape); then a duplicate,
    a new link, and the page re-fetched without one of its links."""
    first, later = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    odd = backlink("tab\there\nnew line \\N back\\slash, é 🙂", seen_at=first)
    return [
        ([backlink(seen_at=first), backlink("Other", seen_at=first), odd], [page_record(fetched_at=first)]),
        ([backlink(seen_at=later)] * 2 + [backlink("New", rel="ugc", seen_at=later)], [page_record(fetched_at=later)]),
    ]


def store_batches(database_url: str, items: bool) -> dict[str, list[tuple[Any, ...]]]:
    """Write ``batches`` as the pipeline does (``write_items``: snapshots, rows built by the
    writer) or as ``scrapy restore`` does (``write``: rows built beforehand); what is stored."""
    engine = open_engine(database_url)
    ensure_schema(engine, auto_upgrade=False)
    writer = Writer(engine, ["target.com"])
    for links, pages in batches():
        crawl_id = writer.start_crawl("target.com", datetime.now(UTC))
        if items:
            writer.write_items([backlink_values(link) for link in links], pages, crawl_id)
        else:
            domain_links = [row for record in pages for row in domain_link_rows(record)]
            rows = [backlink_row(link, crawl_id) for link in links]
            writer.write(rows, [page_row(record, crawl_id) for record in pages], crawl_id, domain_links)
    stored = contents(engine)
    engine.dispose()
    return stored


def test_items_and_rows_store_the_same(database_url: str, tmp_path: Path) -> None:
    by_items = store_batches(database_url, items=True)
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    (tmp_path / "rows").mkdir()
    with fresh_database(kind, tmp_path / "rows") as other_url:
        assert store_batches(other_url, items=False) == by_items
    assert [len(by_items[name]) for name in ("backlinks", "pages", "page_domain_links")] == [4, 1, 2]
    columns = BacklinkRow.__table__.columns.keys()
    lost = {
        row["anchor_text"]: row["lost_at"] is not None
        for row in (dict(zip(columns, values, strict=True)) for values in by_items["backlinks"])
    }
    assert lost == {"Target": False, "Other": True, "New": False, "tab\there\nnew line \\N back\\slash, é 🙂": True}


def test_rows_without_every_column_take_the_plain_upsert(database_url: str) -> None:
    """A row of an older unsaved file lacks newer columns: stored, their defaults filled."""
    engine = open_engine(database_url)
    ensure_schema(engine, auto_upgrade=False)
    writer = Writer(engine)
    row = backlink_row(backlink(), 1)
    for name in ("discovered_via", "first_crawl_id", "last_crawl_id", "lost_crawl_id"):
        del row[name]
    writer.write([row], [])
    writer.write([backlink_row(backlink(anchor="Complete"), 1)], [])
    with engine.connect() as connection:
        stored = connection.execute(
            select(BacklinkRow.anchor_text, BacklinkRow.discovered_via, BacklinkRow.first_crawl_id)
        ).all()
    engine.dispose()
    assert sorted(stored) == [("Complete", "crawl", 1), ("Target", "crawl", None)]


def test_a_failed_batch_leaves_the_next_one_working(database_url: str) -> None:
    """A batch that fails is rolled back whole (on PostgreSQL with the staging table it may
    have created); the next batches on the same connection are stored."""
    engine = open_engine(database_url)
    ensure_schema(engine, auto_upgrade=False)
    writer = Writer(engine)
    broken = backlink_row(backlink(), 1) | {"anchor_class": None}  # NOT NULL
    with pytest.raises(IntegrityError):
        writer.write([broken], [])
    writer.write([backlink_row(backlink(), 1)], [])
    writer.write([backlink_row(backlink(anchor="Again"), 1)], [])
    with engine.connect() as connection:
        assert sorted(connection.execute(select(BacklinkRow.anchor_text)).scalars()) == ["Again", "Target"]
    engine.dispose()


async def _feed(database_url: str, items: list[Any], batch_size: int) -> DatabasePipeline:
    crawler = get_crawler(
        settings_dict={
            "BACKLINKS_DATABASE_URL": database_url, "BACKLINKS_AUTO_MIGRATE": True,
            "BACKLINKS_BATCH_SIZE": batch_size, "BACKLINKS_FLUSH_INTERVAL": 600.0,
            "BACKLINKS_AUTHORITY_AT_CLOSE": False, "BACKLINKS_DB_OUTAGE_TIMEOUT": 300.0,
            "BACKLINKS_DB_WRITE_TIMEOUT": 60.0,
        }
    )  # fmt: skip
    crawler.spider = SimpleNamespace(targets=["target.com"])  # type: ignore[assignment]
    pipeline = DatabasePipeline.from_crawler(crawler)
    await pipeline.open_spider()
    for item in items:
        try:
            assert await pipeline.process_item(item) is item
        except DropItem:
            assert isinstance(item, PageRecord)
        if isinstance(item, Backlink):
            item.anchor_text = "changed after the pipeline"  # a later pipeline's business
    await pipeline.close_spider()
    pipeline._thread.shutdown(wait=True)
    assert pipeline.writer is not None
    pipeline.writer.engine.dispose()
    return pipeline


def test_the_pipeline_stores_items_as_they_were_when_it_took_them(database_url: str) -> None:
    links = [backlink(f"Anchor {number}", seen_at=datetime(2026, 1, 1, tzinfo=UTC)) for number in range(7)]
    pipeline = asyncio.run(_feed(database_url, [*links[:3], page_record(), *links[3:]], batch_size=3))
    stats = pipeline.stats.get_stats()
    assert stats["backlinks/stored/backlinks"] == 7
    assert stats["backlinks/stored/pages"] == 1
    # Three links; the page (its row and its two domains' links); three links; the last link.
    assert stats["backlinks/db/batches"] == 4
    engine = open_engine(database_url)
    with engine.connect() as connection:
        anchors = connection.execute(select(BacklinkRow.anchor_text, BacklinkRow.first_crawl_id)).all()
        assert connection.execute(select(PageDomainLinkRow.target_domain)).scalars().all() != []
    engine.dispose()
    assert sorted(anchors) == [(f"Anchor {number}", pipeline.crawl_id) for number in range(7)]


async def slow_database_pipeline(
    database_url: str, **settings: Any
) -> tuple[DatabasePipeline, threading.Event, list[int]]:
    """A pipeline whose writer writes nothing until the gate is set, and the sizes of the batches
    handed to its thread, in order (a batch is counted when handed, not when written)."""
    crawler = get_crawler(
        settings_dict={
            "BACKLINKS_DATABASE_URL": database_url, "BACKLINKS_AUTO_MIGRATE": True,
            "BACKLINKS_AUTHORITY_AT_CLOSE": False, "BACKLINKS_DB_WRITE_TIMEOUT": 60.0, **settings,
        }
    )  # fmt: skip
    crawler.spider = SimpleNamespace(targets=["target.com"])  # type: ignore[assignment]
    pipeline = DatabasePipeline.from_crawler(crawler)
    await pipeline.open_spider()
    assert pipeline.writer is not None
    gate, write, handed = threading.Event(), pipeline.writer.write_items, []
    pipeline.writer.write_items = lambda *args: (gate.wait(10), write(*args))[1]  # type: ignore[method-assign]
    in_thread = pipeline._in_thread

    async def counted(function: Any, *args: Any) -> Any:
        batch = args[0]
        handed.append(len(batch.backlinks) + len(batch.pages))
        return await in_thread(function, *args)

    pipeline._in_thread = counted  # type: ignore[method-assign]
    return pipeline, gate, handed


async def close_and_count(pipeline: DatabasePipeline, database_url: str) -> int:
    """Close the pipeline; the backlinks stored."""
    await pipeline.close_spider()
    pipeline._thread.shutdown(wait=True)
    assert pipeline.writer is not None
    pipeline.writer.engine.dispose()
    engine = open_engine(database_url)
    with engine.connect() as connection:
        stored = len(connection.execute(select(BacklinkRow.anchor_text)).all())
    engine.dispose()
    return stored


def test_a_crawl_faster_than_its_database_waits_for_it_instead_of_queueing_batches(database_url: str) -> None:
    async def feed() -> tuple[list[bool], list[bool], DatabasePipeline, int]:
        pipeline, gate, _ = await slow_database_pipeline(
            database_url, BACKLINKS_BATCH_SIZE=2, BACKLINKS_FLUSH_INTERVAL=600.0
        )
        links = [backlink(f"Anchor {number}") for number in range(8)]
        tasks = []
        for link in links:
            tasks.append(asyncio.ensure_future(pipeline.process_item(link)))
            await asyncio.sleep(0.05)
        # Two batches are with the writer (one being written, one next); the items of the third
        # wait, and so would the crawl's pages that gave them.
        while_slow = [task.done() for task in tasks]
        gate.set()
        await asyncio.gather(*tasks)
        stored = await close_and_count(pipeline, database_url)
        return while_slow, [task.result() is link for task, link in zip(tasks, links, strict=True)], pipeline, stored

    while_slow, passed_on, pipeline, stored = asyncio.run(feed())
    assert while_slow == [True] * 5 + [False] * 3
    assert all(passed_on)
    assert pipeline.stats.get_value("backlinks/stored/backlinks") == 8
    assert stored == 8


def test_a_batch_handed_after_one_that_failed_waits_for_it(database_url: str) -> None:
    """A page's record marks lost the links of its page that no batch before it wrote: the batch
    of the record, handed while the batch of the page's links fails, must not be written before
    it (its links lost until the retry); both are written together, in order."""

    async def feed() -> list[tuple[list[str], list[str]]]:
        pipeline, gate, _ = await slow_database_pipeline(database_url, BACKLINKS_BATCH_SIZE=1)
        assert pipeline.writer is not None
        write, written = pipeline.writer.write_items, []

        def down_once(backlinks: list[Any], pages: list[PageRecord], crawl_id: int) -> None:
            anchors = [backlink_row_of(values, crawl_id)["anchor_text"] for values in backlinks]
            written.append((anchors, [page.url for page in pages]))
            if len(written) == 1:
                time.sleep(0.2)  # the record's batch is handed meanwhile
                raise OperationalError("INSERT", None, Exception("the database is away"))
            write(backlinks, pages, crawl_id)

        pipeline.writer.write_items = down_once  # type: ignore[method-assign]
        gate.set()
        await pipeline.process_item(backlink("Link of the page"))
        with pytest.raises(DropItem):
            await pipeline.process_item(page_record())
        await close_and_count(pipeline, database_url)
        return written

    assert asyncio.run(feed()) == [
        (["Link of the page"], []),
        (["Link of the page"], ["http://blog.com/post"]),
    ]


def test_a_crawl_forced_to_stop_saves_every_row_not_stored_in_order(database_url: str, tmp_path: Path) -> None:
    """Ctrl-C a second time while the database hangs: the batch being written, the one handed
    after it, and the items not handed yet are saved in the order they came, with the crawl's end."""

    async def feed() -> list[dict[str, Any]]:
        pipeline, gate, _ = await slow_database_pipeline(
            database_url, BACKLINKS_BATCH_SIZE=1, BACKLINKS_UNSAVED_DIR=str(tmp_path)
        )
        await pipeline.process_item(backlink("First"))  # being written (the gate holds it)
        await pipeline.process_item(backlink("Second"))  # handed, waiting for the thread
        third = asyncio.ensure_future(pipeline.process_item(backlink("Third")))  # waits for room
        await asyncio.sleep(0.1)
        pipeline._save_at_forced_exit()
        gate.set()
        third.cancel()
        (saved,) = tmp_path.glob("unsaved-backlinks-*.jsonl")
        return [json.loads(line) for line in saved.read_text().splitlines()]

    batch, end = asyncio.run(feed())
    assert [row["anchor_text"] for row in batch["backlinks"]] == ["First", "Second", "Third"]
    assert end["crawl_end"]["finish_reason"] == "shutdown"


@pytest.mark.parametrize("resumed", [False, True])
def test_the_unsaved_file_names_the_crawl_as_its_row_does_and_loads_into_its_database(
    database_url: str, tmp_path: Path, resumed: bool
) -> None:
    """The file names its crawl by the row's targets and start, the first start of a crawl resumed
    from its JOBDIR: ``scrapy restore`` into that database takes it for that crawl's file."""
    started = datetime(2026, 12, 7, 10, 0, 0, 123456, tzinfo=UTC)
    jobdir = tmp_path / "job"
    if resumed:
        engine = open_engine(database_url)
        ensure_schema(engine, auto_upgrade=False)
        jobdir.mkdir()
        (jobdir / "crawl_id").write_text(str(Writer(engine).start_crawl("target.com", started)))
        engine.dispose()

    async def feed() -> DatabasePipeline:
        pipeline, gate, _ = await slow_database_pipeline(
            database_url, BACKLINKS_FLUSH_INTERVAL=600.0, BACKLINKS_UNSAVED_DIR=str(tmp_path), JOBDIR=str(jobdir)
        )
        await pipeline.process_item(backlink("Not handed"))
        pipeline._save_at_forced_exit()
        gate.set()
        pipeline._thread.shutdown(wait=True)
        assert pipeline.writer is not None
        pipeline.writer.engine.dispose()
        return pipeline

    crawl_id = asyncio.run(feed()).crawl_id
    (saved,) = tmp_path.glob("unsaved-backlinks-*.jsonl")
    batch, end = [json.loads(line) for line in saved.read_text().splitlines()]
    assert "crawl_end" in end and batch["targets"] == end["targets"] == ["target.com"]
    assert batch["started_at"] == end["started_at"]
    if resumed:
        assert datetime.fromisoformat(end["started_at"]) == started
    engine = open_engine(database_url)
    assert load_file(engine, saved, 60.0) == (1, 0, [crawl_id])
    engine.dispose()


def test_the_periodic_flush_hands_a_slow_database_no_more_batches_than_it_is_writing(database_url: str) -> None:
    """Writing a batch can take longer than ``BACKLINKS_FLUSH_INTERVAL`` (a large SQLite file on a
    slow disk): the timer must not queue a batch a tick behind the writer, each holding its pages."""

    async def feed() -> tuple[list[int], list[int], int]:
        pipeline, gate, handed = await slow_database_pipeline(
            database_url, BACKLINKS_BATCH_SIZE=1000, BACKLINKS_FLUSH_INTERVAL=0.02
        )
        for number in range(30):
            await pipeline.process_item(backlink(f"Anchor {number}"))
            await asyncio.sleep(0.02)
        while_slow = list(handed)
        gate.set()
        stored = await close_and_count(pipeline, database_url)
        return while_slow, handed, stored

    while_slow, handed, stored = asyncio.run(feed())
    # The one being written and the next; the items of the ticks after wait in one batch.
    assert len(while_slow) == 2
    assert sum(handed) == 30
    assert stored == 30


def test_a_batch_is_cut_by_the_rows_its_pages_make_not_by_its_items(database_url: str) -> None:
    """A page is a row and a row per other domain it links to: 2,000 pages of a broad crawl were
    150,000 rows in one transaction, all held in memory while it was written."""
    domains = {f"site{number}.com": (1, 1) for number in range(60)}

    async def feed() -> tuple[list[int], int]:
        pipeline, gate, handed = await slow_database_pipeline(
            database_url, BACKLINKS_BATCH_SIZE=100, BACKLINKS_FLUSH_INTERVAL=600.0
        )
        gate.set()
        for number in range(5):
            page = page_record(f"http://blog.com/{number}")
            page.domain_links = domains
            with pytest.raises(DropItem):
                await pipeline.process_item(page)
        await asyncio.sleep(0.1)
        while_open = list(handed)
        await close_and_count(pipeline, database_url)
        return while_open, sum(handed)

    while_open, pages = asyncio.run(feed())
    # 61 rows a page: the second page fills a batch of 100 rows, and so does the fourth.
    assert while_open == [2, 2]
    assert pages == 5


def test_safe_url_hides_the_password() -> None:
    assert (
        safe_url("postgresql://crawler:s3cret@db.internal/backlinks")
        == "postgresql://crawler:***@db.internal/backlinks"
    )
    assert "qry5ecret" not in safe_url("postgresql+psycopg://crawler@db.internal/backlinks?password=qry5ecret")
    assert "k3y" not in safe_url("postgresql://crawler@db.internal/backlinks?sslmode=require&sslpassword=k3y")


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


@pytest.mark.parametrize(
    "damage",
    [
        '{"crawl_id": 1, "targets": ["target.com"], "backl',
        "[1, 2]",
        '{"crawl_id": 1}',
        '{"crawl_id": 1, "crawl_end": {}, "started_at": "yesterday"}',
    ],
)
def test_a_damaged_unsaved_file_stores_nothing_and_names_its_line(
    database_url: str, tmp_path: Path, damage: str
) -> None:
    """``scrapy restore`` of a file cut short (a crash while it was written) or not one at all:
    nothing stored, the line named, the file left as it is to be mended and loaded again."""
    engine = open_engine(database_url)
    ensure_schema(engine, auto_upgrade=False)
    started = datetime.now(UTC)
    crawl_id = Writer(engine, ["target.com"]).start_crawl("target.com", started)
    path = tmp_path / f"unsaved-backlinks-{crawl_id}.jsonl"
    save_batch(path, crawl_id, ["target.com"], started, [backlink_row(backlink(), crawl_id)], [], [])
    path.write_text(path.read_text() + "\n" + damage + "\n")
    with pytest.raises(
        UnsavedFileError, match=rf"^{re.escape(str(path))}: line 3 is not a batch of unsaved rows; nothing"
    ):
        load_file(engine, path, 60.0)
    with engine.connect() as connection:
        assert connection.execute(select(BacklinkRow.anchor_text)).all() == []
    path.write_text(path.read_text().replace(damage + "\n", ""))
    assert load_file(engine, path, 60.0) == (1, 0, [])
    engine.dispose()


@pytest.mark.parametrize(("ended", "kept"), [(timedelta(minutes=-5), False), (timedelta(minutes=5), True)])
def test_restoring_a_crawl_s_end_keeps_a_later_end_of_the_crawl_resumed_since(
    database_url: str, tmp_path: Path, ended: timedelta, kept: bool
) -> None:
    """A JOBDIR crawl that stopped with the database away, then was resumed and ended: loading its
    unsaved file afterwards stores its rows but does not put the earlier end back."""
    engine = open_engine(database_url)
    ensure_schema(engine, auto_upgrade=False)
    writer = Writer(engine, ["target.com"])
    saved_at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    started = saved_at - timedelta(hours=1)
    crawl_id = writer.start_crawl("target.com", started)
    writer.finish_crawl(crawl_id, finished_at=saved_at + ended, finish_reason="finished", stats="{}")
    path = tmp_path / f"unsaved-backlinks-{crawl_id}.jsonl"
    save_batch(path, crawl_id, ["target.com"], started, [backlink_row(backlink(), crawl_id)], [], [])
    save_crawl_end(path, crawl_id, ["target.com"], started, saved_at, "database_unavailable", "{}")
    load_file(engine, path, 60.0)
    with engine.connect() as connection:
        reason, backlinks = connection.execute(select(CrawlRow.finish_reason, CrawlRow.backlinks)).one()
    engine.dispose()
    assert (reason, backlinks) == ("finished" if kept else "database_unavailable", 1)

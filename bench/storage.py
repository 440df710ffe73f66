"""Storage: backlink rows/s through ``DatabasePipeline`` (buffered batches, upserts in its
writer thread) against a raw SQLAlchemy ``executemany`` INSERT of the same rows in one
transaction, on SQLite and on PostgreSQL (a scratch database, dropped afterwards).

A fair comparison: both write the same 20,000 distinct rows into the same table (a fresh
database with the same schema and indexes each time) and both times include the commit.
The baseline's rows are built before its clock starts; the pipeline's time runs from the
first item to the end of ``close_spider`` and so includes building and hashing rows, the
upsert's conflict checks and one transaction per batch (``BACKLINKS_BATCH_SIZE``, the
project's default unless given).

Items are fed to the pipeline on a running event loop, which yields between pages as a
crawl's does; a 10 ms timer on that loop measures its worst stall while batches are
written. Each measurement gets a fresh database.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, insert, select

from backlink_spider import settings as project_settings
from backlink_spider.items import Backlink
from bench.meter import StallWatch
from pipelines.database import open_engine
from pipelines.migrate import ensure_schema
from pipelines.schema import BacklinkRow
from pipelines.storage import DatabasePipeline
from pipelines.writer import Writer, backlink_row

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
TARGET = "linkbench-target.com"
LINKS_PER_PAGE = 8


def make_backlinks(count: int, seed: int = 1) -> list[Backlink]:
    """``count`` distinct backlinks, ``LINKS_PER_PAGE`` to a referring page, deterministic."""
    rng = random.Random(seed)
    seen_at = datetime(2026, 1, 1, tzinfo=UTC)
    items = []
    for number in range(count):
        page = number // LINKS_PER_PAGE
        domain = f"site{page % 997}.example.org"
        items.append(
            Backlink(
                target_domain=TARGET,
                target_url=f"https://{TARGET}/page/{rng.randrange(500)}",
                source_url=f"http://{domain}/post/{page}/a-post-about-things",
                source_host=domain,
                source_domain=domain,
                anchor_text=f"anchor text {number}",
                anchor_class=rng.choice(("branded", "other", "generic", "url")),
                rel=rng.choice(("", "", "", "nofollow", "ugc nofollow", "sponsored")),
                nofollow=False,
                ugc=False,
                sponsored=False,
                dofollow=True,
                link_type="text",
                placement=rng.choice(("content", "nav", "footer", "aside", "comment")),
                snippet=" ".join(f"word{rng.randrange(1000)}" for _ in range(20)),
                seen_at=seen_at + timedelta(seconds=number),
            )
        )
    return items


@contextmanager
def postgres_database() -> Iterator[str]:
    """A scratch PostgreSQL database on 127.0.0.1:5432, dropped afterwards."""
    import psycopg

    name = f"backlinks_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**POSTGRES, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    if kind == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        with tempfile.TemporaryDirectory(prefix="bench-storage-") as directory:
            yield f"sqlite:///{Path(directory) / 'backlinks.sqlite3'}"


def prepared(url: str) -> tuple[Engine, int]:
    """An engine on ``url`` with the schema in place and a crawl row."""
    engine = open_engine(url)
    ensure_schema(engine, True)
    return engine, Writer(engine, [TARGET]).start_crawl(TARGET, datetime.now(UTC))


def raw_executemany(url: str, items: list[Backlink]) -> float:
    """Seconds for one executemany INSERT of the rows (made beforehand) in one transaction."""
    engine, crawl_id = prepared(url)
    rows = [backlink_row(item, crawl_id) for item in items]
    try:
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(insert(BacklinkRow.__table__), rows)
        return time.perf_counter() - started
    finally:
        engine.dispose()


async def _through_pipeline(url: str, items: list[Backlink], batch_size: int | None) -> tuple[float, dict[str, float]]:
    settings = {
        name: getattr(project_settings, name) for name in dir(project_settings) if name.startswith("BACKLINKS_")
    }
    settings.update(BACKLINKS_DATABASE_URL=url, BACKLINKS_AUTO_MIGRATE=True, BACKLINKS_AUTHORITY_AT_CLOSE=False)
    if batch_size is not None:
        settings["BACKLINKS_BATCH_SIZE"] = batch_size
    crawler = get_crawler(settings_dict=settings)
    crawler.spider = SimpleNamespace(targets=[TARGET])
    pipeline = DatabasePipeline.from_crawler(crawler)
    await pipeline.open_spider()
    watch = StallWatch()
    watch.start()
    started = time.perf_counter()
    for number, item in enumerate(items):
        await pipeline.process_item(item)
        if number % LINKS_PER_PAGE == LINKS_PER_PAGE - 1:
            await asyncio.sleep(0)  # the next page: the loop runs what else is due
    await pipeline.close_spider()
    seconds = time.perf_counter() - started
    watch.stop()
    pipeline._thread.shutdown(wait=True)
    assert pipeline.writer is not None
    pipeline.writer.engine.dispose()
    return seconds, watch.summary()


def through_pipeline(url: str, items: list[Backlink], batch_size: int | None = None) -> tuple[float, dict[str, float]]:
    """Seconds from the first item to the end of ``close_spider``, and the loop's stalls
    (``batch_size`` rows a transaction; the project's default when None)."""
    return asyncio.run(_through_pipeline(url, items, batch_size))


def stored_digest(url: str) -> tuple[int, str]:
    """The number of stored backlinks and a digest of every value of theirs (all columns but
    the id, in key order); a digest, so that no copy of the rows stays in memory to slow the
    garbage collector in the next measurement."""
    table = BacklinkRow.__table__
    columns = [column for column in table.columns if column.name != "id"]
    digest = hashlib.sha256()
    count = 0
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            for row in connection.execute(select(*columns).order_by(table.c.link_key)):
                digest.update(repr(tuple(row)).encode())
                count += 1
    finally:
        engine.dispose()
    return count, digest.hexdigest()


def run(rows: int = 20_000, kinds: tuple[str, ...] = ("sqlite", "postgresql"), rounds: int = 2) -> dict[str, Any]:
    items = make_backlinks(rows)
    results: dict[str, Any] = {"rows": rows}
    for kind in kinds:
        raw_best = pipeline_best = float("inf")
        stalls: dict[str, float] = {}
        for _ in range(rounds):
            with fresh_database(kind) as url:
                raw_best = min(raw_best, raw_executemany(url, items))
                expected = stored_digest(url)
            with fresh_database(kind) as url:
                seconds, stall = through_pipeline(url, items)
                stored = stored_digest(url)
                if stored != expected:  # the same rows with the same values, or the race is void
                    raise RuntimeError(f"{kind}: the pipeline stored {stored[0]} rows unlike the baseline's")
                if seconds < pipeline_best:
                    pipeline_best, stalls = seconds, stall
        results[kind] = {
            "raw_rows_per_s": round(rows / raw_best),
            "pipeline_rows_per_s": round(rows / pipeline_best),
            "ratio": round(raw_best / pipeline_best, 3),
            **stalls,
        }
    return results

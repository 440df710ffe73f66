"""DatabasePipeline: stores backlinks and page records in batches, off the reactor thread.

Items are buffered (a backlink as a snapshot of its fields: rows are built and hashed in
the writer thread); a batch is written when it is full, every ``BACKLINKS_FLUSH_INTERVAL``
seconds while the writer keeps up, and at close (also after Ctrl-C and a spent ``max_pages``
budget). One writer thread does all database work in order, with at most
``WRITES_IN_FLIGHT`` batches handed to it: an item that fills a batch past that waits, which
holds its page in the scraper and so paces the crawl to its database. Each database call
has ``BACKLINKS_DB_WRITE_TIMEOUT`` to answer. A failed batch goes back to the buffer and is
retried with the next one; what still cannot be written at close, or when the crawl is stopped
while the database is away, is saved to ``unsaved-backlinks-<crawl>.jsonl`` so nothing found
is lost. Backlinks pass on to the feed exports; page records stop here.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.reactor import is_reactor_installed

from backlink_spider import signals as backlink_signals
from backlink_spider.budget import STAT_EXHAUSTED
from backlink_spider.items import Backlink, PageRecord
from backlink_spider.monitoring import STAT_END_UNSAVED, pages_per_minute, summary
from pipelines.database import NoAnswer, break_connections, database_url, first_line, open_engine, safe_url
from pipelines.graph import compute_authority
from pipelines.migrate import ensure_schema
from pipelines.unsaved import save_batch, save_crawl_end
from pipelines.writer import (
    BacklinkValues,
    CrawlCounts,
    Writer,
    backlink_row_of,
    backlink_values,
    domain_link_rows,
    page_row,
)

logger = logging.getLogger(__name__)


class PageStored(DropItem):
    """A page record ends in the storage pipeline: it is not an item a feed export writes.
    Scrapy counts it in ``item_dropped_count``; the reason it gives is this name
    (``item_dropped_reasons_count/PageStored``), which says that nothing was lost."""


# Batches handed to the writer thread and not written yet, at most: the one being written and the
# next, so that the thread never waits for the crawl; more would only wait in memory.
WRITES_IN_FLIGHT = 2


@dataclass
class Batch:
    """Items waiting to be written, the frontier ids of the requests of their pages, and the rows
    they make (a page is its row and one per other domain it links to, dozens on most pages).
    Handed to the writer thread, a batch is numbered (``seq``, in the order of handing); it
    ``carries`` its own number and those of the failed batches whose items it took over."""

    backlinks: list[BacklinkValues] = field(default_factory=list)
    pages: list[PageRecord] = field(default_factory=list)
    request_ids: list[int] = field(default_factory=list)
    rows: int = 0
    seq: int = 0
    carries: frozenset[int] = frozenset()

    def __len__(self) -> int:
        return self.rows

    def then(self, later: Batch) -> Batch:
        """This batch followed by ``later``, in order (a page's links before the page)."""
        return Batch(
            self.backlinks + later.backlinks,
            self.pages + later.pages,
            self.request_ids + later.request_ids,
            self.rows + later.rows,
            carries=self.carries | later.carries,
        )

    @staticmethod
    def joined(batches: Iterable[Batch]) -> Batch:
        """``batches`` as one, in the order given."""
        return functools.reduce(Batch.then, batches, Batch())


class _Overtaking(Exception):
    """A batch not written because an earlier one failed and is not in it: a page's record,
    which marks lost the links of its page that no batch before it wrote, comes after them."""


class DatabasePipeline:
    def __init__(
        self, crawler: Crawler, url: str, batch_size: int, flush_interval: float, auto_migrate: bool = False
    ) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = url
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.auto_migrate = auto_migrate
        self.authority_at_close = crawler.settings.getbool("BACKLINKS_AUTHORITY_AT_CLOSE")
        self.outage_timeout = crawler.settings.getfloat("BACKLINKS_DB_OUTAGE_TIMEOUT")
        self.write_timeout = crawler.settings.getfloat("BACKLINKS_DB_WRITE_TIMEOUT")
        self.unsaved_dir = Path(crawler.settings.get("BACKLINKS_UNSAVED_DIR") or ".")
        self._failing_since: float | None = None
        self._gave_up = False
        self._closing = False
        self._stopping: asyncio.Future[None] | None = None
        self.batch = Batch()  # items received since the last flush
        # Batches handed to the writer thread and not stored yet, by number; those that failed
        # (or would have overtaken one that did) go into the next flush, before its new items.
        self._unstored: dict[int, Batch] = {}
        self._returned: set[int] = set()
        self._seqs = itertools.count(1)
        # Numbers of the batches that failed and are not stored yet, as the writer thread saw them.
        self._failed: set[int] = set()
        self._crawl_ended = False
        self._resumed = False
        self._forced_exit: Any = None
        self._received_backlinks = self._received_pages = 0
        self.crawl_id = 0
        self.started_at = datetime.now(UTC)  # the crawl row's, set by open_spider: the unsaved file names it
        self.writer: Writer | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backlinks-db")
        self._pending: set[asyncio.Future[None]] = set()
        self._timer: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatabasePipeline:
        settings = crawler.settings
        pipeline = cls(
            crawler,
            database_url(settings),
            settings.getint("BACKLINKS_BATCH_SIZE"),
            settings.getfloat("BACKLINKS_FLUSH_INTERVAL"),
            settings.getbool("BACKLINKS_AUTO_MIGRATE"),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def _in_thread(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, lambda: function(*args, **kwargs))

    async def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """``function`` in the writer thread, given ``BACKLINKS_DB_WRITE_TIMEOUT`` to return
        (its wait behind an earlier call included); past it, ``NoAnswer``. A call still
        waiting for its turn is dropped; the connections are broken (``break_connections``),
        so that a call that waits on a server that stopped answering fails at once and frees
        the thread. A call that waits to connect gives up at libpq's ``connect_timeout``."""
        assert self.writer is not None
        call = asyncio.ensure_future(self._in_thread(function, *args, **kwargs))
        await asyncio.wait({call}, timeout=self.write_timeout)
        if call.done():
            if call.cancelled():  # by _save_at_forced_exit, before the thread ran it
                raise NoAnswer("the writer thread was stopped")
            return call.result()
        call.cancel()
        break_connections(self.writer.engine)
        raise NoAnswer(f"no answer in {self.write_timeout:g} s (BACKLINKS_DB_WRITE_TIMEOUT)")

    async def open_spider(self) -> None:
        logger.info("Storing backlinks in %s", safe_url(self.url))
        engine = open_engine(self.url)
        upgraded_from = await self._in_thread(ensure_schema, engine, self.auto_migrate)
        if upgraded_from is not None:
            logger.info("Database schema created or upgraded (from %s)", upgraded_from)
        targets = list(getattr(self.crawler.spider, "targets", []))
        self.writer = Writer(engine, targets)
        self.crawl_id = await self._in_thread(self._open_crawl, self.writer, ",".join(targets))
        self._timer = asyncio.ensure_future(self._flush_periodically())
        if is_reactor_installed():  # as in every crawl (a test may drive the pipeline on a bare loop)
            from twisted.internet import reactor

            self._forced_exit = reactor.addSystemEventTrigger("before", "shutdown", self._save_at_forced_exit)

    def _open_crawl(self, writer: Writer, targets: str) -> int:
        """A new crawl row; or, for a crawl resumed from its JOBDIR, the row it had."""
        jobdir = self.crawler.settings.get("JOBDIR")
        saved = Path(jobdir, "crawl_id") if jobdir else None
        if saved is not None and saved.exists():
            crawl_id = int(saved.read_text())
            started_at = writer.resume_crawl(crawl_id)
            if started_at is not None:
                logger.info("Resuming crawl %d", crawl_id)
                self._resumed = True
                self.started_at = started_at
                return crawl_id
        self.started_at = datetime.now(UTC)
        crawl_id = writer.start_crawl(targets, self.started_at)
        if saved is not None:
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_text(str(crawl_id))
        return crawl_id

    async def process_item(self, item: Any) -> Any:
        # The reactor thread only takes a snapshot and counts: rows are built in the writer thread.
        if isinstance(item, Backlink):
            self.batch.backlinks.append(backlink_values(item))
            self.batch.rows += 1
            self._received_backlinks += 1
        elif isinstance(item, PageRecord):
            self.batch.pages.append(item)
            self.batch.rows += 1 + len(item.domain_links)
            if item.request_id is not None:
                self.batch.request_ids.append(item.request_id)
            self._received_pages += 1
        else:
            return item
        if len(self.batch) >= self.batch_size:
            await self._writer_caught_up()
            if len(self.batch) >= self.batch_size:  # else another item's flush took it
                self._start_flush()
        if isinstance(item, PageRecord):
            raise PageStored("page record stored", log_level="DEBUG")
        return item

    async def _writer_caught_up(self) -> None:
        """Wait while ``WRITES_IN_FLIGHT`` batches are with the writer thread. An item that waits
        holds its page in the scraper, and a full scraper stops the downloads: a crawl faster
        than its database slows to the database's pace instead of queueing batches in memory
        without end."""
        while len(self._pending) >= WRITES_IN_FLIGHT:
            await asyncio.wait(list(self._pending), return_when=asyncio.FIRST_COMPLETED)

    def _count_received(self) -> None:
        """Add the items received since the last call to the stats (once a batch, not once an item)."""
        if self._received_backlinks:
            self.stats.inc_value("backlinks/stored/backlinks", self._received_backlinks)
        if self._received_pages:
            self.stats.inc_value("backlinks/stored/pages", self._received_pages)
        self._received_backlinks = self._received_pages = 0

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            # A writer that has its WRITES_IN_FLIGHT batches gets this one at a later tick: a
            # batch a tick would slip past the bound whenever writing one takes longer than a tick.
            if len(self._pending) < WRITES_IN_FLIGHT:
                self._start_flush()

    def _start_flush(self) -> None:
        """Hand the writer thread the failed batches and the new items, in order, as one batch."""
        self._count_received()
        returned = [self._unstored.pop(seq) for seq in sorted(self._returned)]
        self._returned.clear()
        batch = Batch.joined([*returned, self.batch])
        self.batch = Batch()
        if not len(batch):
            return
        batch.seq = next(self._seqs)
        batch.carries |= {batch.seq}
        self._unstored[batch.seq] = batch
        future = asyncio.ensure_future(self._write(batch))
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _write_in_order(self, batch: Batch) -> None:
        """In the writer thread: write ``batch``, unless a batch before it failed and is not in it."""
        assert self.writer is not None
        if any(seq < batch.seq and seq not in batch.carries for seq in self._failed):
            self._failed |= batch.carries
            raise _Overtaking
        try:
            self.writer.write_items(batch.backlinks, batch.pages, self.crawl_id)
        except Exception:
            self._failed |= batch.carries
            raise
        self._failed -= batch.carries

    async def _write(self, batch: Batch) -> bool:
        """Write one batch; on failure keep it for the next flush. True when stored."""
        try:
            await self._call(self._write_in_order, batch)
        except _Overtaking:
            self._returned.add(batch.seq)
            return False
        except Exception as error:  # noqa: BLE001 - any driver error: keep the rows, retry later
            # Also for a call given up on, which the thread may never have started.
            self._failed |= batch.carries
            self.stats.inc_value("backlinks/db/errors")
            self._returned.add(batch.seq)
            self._outage(error)
            return False
        del self._unstored[batch.seq]
        if self._failing_since is not None:
            logger.warning("The database is back after %.1f s; writes resumed", time.monotonic() - self._failing_since)
            self._failing_since = None
        self.stats.inc_value("backlinks/db/batches")
        if batch.request_ids:
            self.crawler.signals.send_catch_log(backlink_signals.pages_stored, request_ids=batch.request_ids)
        return True

    def _outage(self, error: Exception) -> None:
        """Count a failed write; past the outage timeout, stop the crawl cleanly."""
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
            logger.error("Could not write to the database (%s); retrying, rows are kept in memory", first_line(error))
        if now - self._failing_since > self.outage_timeout and not self._gave_up:
            self._gave_up = True
            logger.error(
                "The database has been unavailable for %.0f s (BACKLINKS_DB_OUTAGE_TIMEOUT): stopping the crawl",
                now - self._failing_since,
            )
            self.stats.set_value("backlinks/db/gave_up", True)
            if not self._closing:
                assert self.crawler.engine is not None
                self._stopping = asyncio.ensure_future(
                    self.crawler.engine.close_spider_async(reason="database_unavailable")
                )

    async def close_spider(self) -> None:
        self._closing = True
        self._count_received()
        if self._timer is not None:
            self._timer.cancel()
        while self._pending:
            await asyncio.gather(*self._pending)
        # Last flushes: retried until the outage timeout if the database is away now, unless
        # the crawl is being stopped (Ctrl-C, SIGTERM): its user wants it to end now.
        waiting = False
        while (len(self.batch) or self._returned) and not self._gave_up:
            self._start_flush()
            await asyncio.gather(*self._pending)
            if not self._returned or self._gave_up:
                continue
            if not self.crawler.crawling:
                break
            if not waiting:
                waiting = True
                logger.warning(
                    "The crawl is over but %d rows are not stored: retrying for up to %.0f s "
                    "(BACKLINKS_DB_OUTAGE_TIMEOUT), then saving them to %s; stop the crawl (Ctrl-C) to save them now",
                    self._unstored_rows().rows, self._outage_left(), self._unsaved_path(),
                )  # fmt: skip
            await asyncio.sleep(min(self.flush_interval, 1.0))
        if self._unstored or len(self.batch):
            self._save_unsaved()

    def _unstored_rows(self) -> Batch:
        """Every item not stored yet, in order: those handed to the writer thread, then the new."""
        return Batch.joined([*(self._unstored[seq] for seq in sorted(self._unstored)), self.batch])

    def _outage_left(self) -> float:
        failing_for = 0.0 if self._failing_since is None else time.monotonic() - self._failing_since
        return max(0.0, self.outage_timeout - failing_for)

    def _unsaved_path(self) -> Path:
        return self.unsaved_dir / f"unsaved-backlinks-{self.crawl_id}.jsonl"

    def _save_unsaved(self) -> None:
        """Save every item not stored yet to the unsaved file (``scrapy restore``)."""
        path = self._unsaved_path()
        assert self.writer is not None
        batch = self._unstored_rows()
        save_batch(
            path,
            self.crawl_id,
            self.writer.targets,
            self.started_at,
            [backlink_row_of(values, self.crawl_id) for values in batch.backlinks],
            [page_row(page, self.crawl_id) for page in batch.pages],
            [row for page in batch.pages for row in domain_link_rows(page)],
        )
        self.stats.set_value("backlinks/db/unsaved", len(batch))
        logger.error(
            "%d rows could not be stored; saved to %s: load them with `scrapy restore %s`",
            len(batch), path, path,
        )  # fmt: skip
        self.batch = Batch()
        self._unstored.clear()
        self._returned.clear()

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.writer is None:
            return
        if reason == "finished" and self.stats.get_value(STAT_EXHAUSTED):
            reason = "max_pages"
        self.stats.set_value("backlinks/pages_per_minute", pages_per_minute(self.stats.get_stats()))
        stats = self.stats.get_stats()
        counts: CrawlCounts | None = None
        finished_at = datetime.now(UTC)
        try:
            if self._failing_since is not None and not self.crawler.crawling:
                # Stopped while the database is away: not one more wait for it (a hung server
                # would cost BACKLINKS_DB_WRITE_TIMEOUT again, past systemd's stop timeout).
                raise NoAnswer("it is unavailable and the crawl was stopped")
            counts = await self._call(
                self.writer.finish_crawl, self.crawl_id,
                finished_at=finished_at, finish_reason=reason, stats=self._stats_text(),
            )  # fmt: skip
            self._crawl_ended = True
            if self.authority_at_close:
                await self._call(compute_authority, self.writer.engine)
        except Exception as error:  # noqa: BLE001 - the database went away: say so, lose nothing else
            self.stats.inc_value("backlinks/db/errors")
            if self._crawl_ended:
                logger.error("Could not rank the domains at the end of crawl %d: %s", self.crawl_id, first_line(error))
            else:
                self._save_crawl_end(finished_at, reason, first_line(error))
        finally:
            # Its last connection closed, SQLite folds the write-ahead log into the database
            # file: the file alone (copied, backed up) then holds the whole crawl.
            await self._in_thread(self.writer.engine.dispose)
            self._thread.shutdown(wait=True)
            if self._forced_exit is not None:
                from twisted.internet import reactor

                reactor.removeSystemEventTrigger(self._forced_exit)
        if counts is None or self.stats.get_value("backlinks/db/unsaved"):
            # Its end, or rows it has not counted, are in the unsaved file.
            logger.info(summary(self.crawl_id, reason, stats, None))
        else:
            all_runs = (counts.pages, counts.backlinks) if self._resumed else None
            logger.info(summary(self.crawl_id, reason, stats, (counts.new, counts.lost), all_runs))

    def _stats_text(self) -> str:
        return json.dumps(self.stats.get_stats(), default=str, sort_keys=True)

    def _save_crawl_end(self, finished_at: datetime, reason: str, error: str) -> None:
        path = self._unsaved_path()
        assert self.writer is not None
        save_crawl_end(
            path, self.crawl_id, self.writer.targets, self.started_at, finished_at, reason, self._stats_text()
        )
        self._crawl_ended = True
        self.stats.set_value(STAT_END_UNSAVED, True)
        logger.error(
            "Could not record the end of crawl %d in the database (%s); saved to %s: load it with `scrapy restore %s`",
            self.crawl_id, error, path, path,
        )  # fmt: skip

    def _save_at_forced_exit(self) -> None:
        """The process stops before the crawl has closed (Ctrl-C or SIGTERM a second time, as
        while the database is away): what is not stored yet, in the buffer or with the writer
        thread, and the crawl's end, are saved to the unsaved file, and the writer thread is
        freed of a server that stopped answering, so the process can end."""
        assert self.writer is not None
        self._thread.shutdown(wait=False, cancel_futures=True)
        break_connections(self.writer.engine)
        self._count_received()
        try:
            # A batch the thread was writing may be stored as well: loading it again changes nothing.
            if self._unstored or len(self.batch):
                self._save_unsaved()
            if not self._crawl_ended:
                self._save_crawl_end(datetime.now(UTC), "shutdown", "the crawl was stopped before its end was stored")
        except OSError as error:
            logger.error("Could not save what crawl %d did not store: %s", self.crawl_id, error)

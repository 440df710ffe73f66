"""DurableScheduler: a crawl frontier that survives kill -9, in SQLite inside JOBDIR.

Scrapy's own JOBDIR support saves its queues and seen-set when the crawl stops
cleanly; a crawl killed hard loses them. This scheduler writes every request to
``JOBDIR/frontier.sqlite3`` as it is scheduled, and a request stays in the file until
its page is stored in the database (``signals.pages_stored``) or it ended without one
(``signals.request_finished``). A crawl started again with the same JOBDIR re-queues
what was in flight and re-fetches nothing whose page was stored, and sends
``signals.frontier_restored`` so that the budgets carry on where they were: what was
scheduled and what was fetched count as before the kill. The table's unique
fingerprints are the duplicate filter. The ``ResumableCrawl`` add-on puts it in place
whenever JOBDIR is set; without JOBDIR, Scrapy's in-memory scheduler runs as usual.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.request import request_from_dict

from backlink_spider import signals as backlink_signals

logger = logging.getLogger(__name__)

# A request is DONE once fetched (its page stored, or it failed or was dropped after the
# page budget counted its fetch) and SKIPPED when it ended without a fetch the budget
# counted (robots.txt disallowed it, say).
PENDING, IN_FLIGHT, DONE, SKIPPED = 0, 1, 2, 3
META_KEY = "frontier_id"
# Set by the page budget (budget.py) in the meta of a request whose fetch it counted, and
# of one it refused, the budget spent: that one stays queued, for a crawl that goes on.
FETCH_COUNTED = "backlinks_fetch_counted"
FETCH_REFUSED = "backlinks_fetch_refused"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS frontier (
    id INTEGER PRIMARY KEY,
    fingerprint BLOB NOT NULL UNIQUE,
    priority INTEGER NOT NULL,
    state INTEGER NOT NULL,
    request BLOB NOT NULL,
    url TEXT
);
CREATE INDEX IF NOT EXISTS frontier_next ON frontier (state, priority DESC, id);
"""


def ended_frontier(jobdir: str) -> int | None:
    """How many requests the frontier of ``jobdir`` holds when every one of them has ended
    (its crawl is over: started again it would fetch nothing); None when it has some left,
    or holds none yet."""
    path = Path(jobdir, "frontier.sqlite3")
    if not path.exists():
        return None
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        total, left = db.execute("SELECT count(*), count(*) FILTER (WHERE state < ?) FROM frontier", (DONE,)).fetchone()
    return total if total and not left else None


def frontier_fetches(jobdir: str) -> int:
    """How many fetches the frontier of ``jobdir`` counts against ``max_pages`` (0 without one)."""
    path = Path(jobdir, "frontier.sqlite3")
    if not path.exists():
        return 0
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        return db.execute("SELECT count(*) FROM frontier WHERE state = ?", (DONE,)).fetchone()[0]


class DurableScheduler:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        assert crawler.stats is not None and crawler.request_fingerprinter is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.fingerprinter = crawler.request_fingerprinter
        self.path = path
        self.spider: Spider | None = None
        self.db: sqlite3.Connection | None = None
        self.pending = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DurableScheduler:
        jobdir = crawler.settings.get("JOBDIR")
        assert jobdir, "DurableScheduler needs JOBDIR"
        return cls(crawler, Path(jobdir) / "frontier.sqlite3")

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: every change is in the file when the call returns. WAL with
        # synchronous=NORMAL survives a killed process (not a power cut) cheaply.
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + _SCHEMA)
        if "url" not in {row[1] for row in self.db.execute("PRAGMA table_info(frontier)")}:
            # A JOBDIR of an earlier version: its requests carry on, its budgets start afresh.
            self.db.execute("ALTER TABLE frontier ADD COLUMN url TEXT")
        requeued = self.db.execute("UPDATE frontier SET state = ? WHERE state = ?", (PENDING, IN_FLIGHT)).rowcount
        self.pending = self.db.execute("SELECT count(*) FROM frontier WHERE state = ?", (PENDING,)).fetchone()[0]
        done, fetched = self.db.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = ?) FROM frontier WHERE state >= ?", (DONE, DONE)
        ).fetchone()
        if self.pending or done:
            logger.info("Resuming from %s: %d requests pending (%d were in flight), %d done", self.path,
                        self.pending, requeued, done)  # fmt: skip
            self.stats.set_value("backlinks/frontier/resumed_pending", self.pending)
            self.crawler.signals.send_catch_log(backlink_signals.frontier_restored, urls=self._urls, fetched=fetched)
        self.crawler.signals.connect(self._pages_stored, signal=backlink_signals.pages_stored)
        self.crawler.signals.connect(self._request_finished, signal=backlink_signals.request_finished)

    def close(self, reason: str) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def has_pending_requests(self) -> bool:
        return self.pending > 0

    def __len__(self) -> int:
        return self.pending

    def enqueue_request(self, request: Request) -> bool:
        assert self.db is not None
        previous = request.meta.get(META_KEY)
        if previous is not None:
            # A redirect or a retry of a request of ours: the new one takes its place, and
            # its own fetch is still to be counted.
            self._finish([previous])
            request.meta.pop(FETCH_COUNTED, None)
        fingerprint = self.fingerprinter.fingerprint(request)
        blob = pickle.dumps(request.to_dict(spider=self.spider), protocol=pickle.HIGHEST_PROTOCOL)
        if request.dont_filter:
            cursor = self.db.execute(
                "INSERT INTO frontier (fingerprint, priority, state, request, url) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (fingerprint) DO UPDATE SET state = excluded.state, priority = excluded.priority,"
                " request = excluded.request WHERE frontier.state >= 2",
                (fingerprint, request.priority, PENDING, blob, request.url),
            )
        else:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO frontier (fingerprint, priority, state, request, url) VALUES (?, ?, ?, ?, ?)",
                (fingerprint, request.priority, PENDING, blob, request.url),
            )
        if cursor.rowcount == 0:
            self.stats.inc_value("backlinks/frontier/duplicates")
            return False
        self.pending += 1
        self.stats.inc_value("backlinks/frontier/enqueued")
        return True

    def next_request(self) -> Request | None:
        assert self.db is not None
        row = self.db.execute(
            "UPDATE frontier SET state = ? WHERE id = (SELECT id FROM frontier WHERE state = ?"
            " ORDER BY priority DESC, id LIMIT 1) RETURNING id, request",
            (IN_FLIGHT, PENDING),
        ).fetchone()
        if row is None:
            return None
        self.pending -= 1
        request = request_from_dict(pickle.loads(row[1]), spider=self.spider)
        request.meta[META_KEY] = row[0]
        return request

    def _urls(self) -> Iterator[str]:
        """The URL of every request scheduled so far, read from the file as it goes."""
        assert self.db is not None
        for (url,) in self.db.execute("SELECT url FROM frontier WHERE url IS NOT NULL ORDER BY id"):
            yield url

    def _finish(self, ids: list[Any], state: int = DONE) -> None:
        if self.db is not None and ids:
            self.db.executemany("UPDATE frontier SET state = ? WHERE id = ?", [(state, i) for i in ids])

    def _pages_stored(self, request_ids: list[int]) -> None:
        self._finish(request_ids)

    def _request_finished(self, request: Request) -> None:
        if META_KEY not in request.meta:
            return
        if request.meta.get(FETCH_REFUSED):
            self._finish([request.meta[META_KEY]], PENDING)
            self.pending += 1
        else:
            self._finish([request.meta[META_KEY]], DONE if request.meta.get(FETCH_COUNTED) else SKIPPED)


class ResumableCrawl:
    """Add-on: with JOBDIR set, the frontier is the DurableScheduler."""

    def update_settings(self, settings: BaseSettings) -> None:
        if settings.get("JOBDIR"):
            settings.set("SCHEDULER", "backlink_spider.scheduler.DurableScheduler", priority="addon")

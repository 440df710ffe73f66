"""PageBudget: the ``max_pages`` budget of a crawl, enforced on downloads.

Counts every page fetch (robots.txt excluded). Once the budget is spent, the spider
stops creating requests, the crawl closes with ``max_pages`` as its finish reason,
and the fetches already in flight finish and are stored first (Scrapy's close waits
for them); the requests still queued are left (in JOBDIR's frontier, for a resume), and so
are those it refused.
A resumed crawl starts from the fetches its JOBDIR recorded (``signals.frontier_restored``);
in distributed mode the budget is the whole crawl's, counted in Redis by every worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from backlink_spider.distributed import shared_fetch_counter
from backlink_spider.robots import is_robots_request
from backlink_spider.scheduler import FETCH_COUNTED, FETCH_REFUSED
from backlink_spider.signals import frontier_restored

logger = logging.getLogger(__name__)

# Pages this process fetched.
STAT_FETCHES = "backlinks/budget/fetches"
# Fetches counted against the budget: this process's, and those of the run before a resume
# (JOBDIR) or of the other workers (distributed mode).
STAT_COUNTED = "backlinks/budget/counted"
STAT_EXHAUSTED = "backlinks/budget/exhausted"


def max_pages(crawler: Crawler) -> int:
    """The crawl's page budget: the spider's max_pages argument, else BACKLINKS_MAX_PAGES."""
    return int(getattr(crawler.spider, "max_pages", 0) or crawler.settings.getint("BACKLINKS_MAX_PAGES"))


class PageBudget:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.fetches = 0
        self.counted = 0
        # Counts a fetch against a budget: the crawl's count with it, None when the budget is spent.
        self._count: Callable[[int], int | None] | None = None
        self._closing: asyncio.Future[None] | None = None
        crawler.signals.connect(self._restored, signal=frontier_restored)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudget:
        return cls(crawler)

    @property
    def max_pages(self) -> int:
        return max_pages(self.crawler)

    def _restored(self, fetched: int) -> None:
        """A resumed crawl: the fetches before the kill count."""
        self.counted = fetched
        self.stats.set_value(STAT_COUNTED, fetched)

    def _count_here(self, budget: int) -> int | None:
        return self.counted + 1 if self.counted < budget else None

    def process_request(self, request: Request) -> None:
        if is_robots_request(request):
            return
        if self._count is None:
            # In distributed mode the count is the whole crawl's, in Redis.
            self._count = shared_fetch_counter(self.crawler) or self._count_here
        counted = self._count(self.max_pages)
        if counted is None:
            self.counted = max(self.counted, self.max_pages)
            self.stats.set_value(STAT_COUNTED, self.counted)
            self._spent()
            self.stats.inc_value("backlinks/budget/dropped")
            request.meta[FETCH_REFUSED] = True
            raise IgnoreRequest("max_pages reached")
        self.counted = counted
        self.fetches += 1
        request.meta[FETCH_COUNTED] = True
        self.stats.set_value(STAT_FETCHES, self.fetches)
        self.stats.set_value(STAT_COUNTED, counted)
        if counted >= self.max_pages:
            # The budget's last fetch: the spider admits no link from now on, so no request may
            # come after it to close the crawl, which would then end as "finished".
            self._spent()

    def _spent(self) -> None:
        """Close the crawl with ``max_pages`` once the fetches in flight are done (this one
        included), rather than drop every queued request one by one (hours for a large frontier)."""
        if self.stats.get_value(STAT_EXHAUSTED):
            return
        self.stats.set_value(STAT_EXHAUSTED, True)
        logger.info("Page budget of %d spent: finishing what is in flight", self.max_pages)
        assert self.crawler.engine is not None
        self._closing = asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="max_pages"))

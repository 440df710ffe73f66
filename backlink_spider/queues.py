"""BoundedPriorityQueue: the scheduler's priority queue, never holding more requests than
the crawl can still use.

A broad crawl discovers URLs much faster than it fetches them: each page admits a dozen or
more new ones to the frontier, and a request waiting in Scrapy's memory queues costs about
1.7 KB, so the frontier of an unbounded queue passes 1 GiB at a few tens of thousands of
pages. Yet a crawl never fetches more than its ``max_pages`` budget leaves. So the queue
holds at most ``BACKLINKS_PENDING_PER_PAGE`` requests per page the budget still allows
(never fewer than ``MIN_PENDING``), and never more than ``BACKLINKS_MAX_PENDING``; beyond,
it drops requests of the lowest priority, which breadth-first order would fetch last
anyway: further pages of domains that already have many. Drops are counted in
``backlinks/frontier/dropped``. A ``JOBDIR`` crawl keeps its frontier on disk
(``scheduler.py``) and is not bounded this way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.pqueues import QueueProtocol, ScrapyPriorityQueue

from backlink_spider.budget import STAT_COUNTED, max_pages

logger = logging.getLogger(__name__)

MIN_PENDING = 1000
STAT_DROPPED = "backlinks/frontier/dropped"


class BoundedPriorityQueue(ScrapyPriorityQueue):
    def __init__(
        self,
        crawler: Crawler,
        downstream_queue_cls: type[QueueProtocol],
        key: str,
        startprios: Iterable[int] = (),
        *,
        start_queue_cls: type[QueueProtocol] | None = None,
    ) -> None:
        super().__init__(crawler, downstream_queue_cls, key, startprios, start_queue_cls=start_queue_cls)
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.max_pending = crawler.settings.getint("BACKLINKS_MAX_PENDING")
        self.per_page = crawler.settings.getfloat("BACKLINKS_PENDING_PER_PAGE")
        self.held = super().__len__()

    def limit(self) -> int:
        """Requests worth holding now: per page the budget still allows, within the bounds."""
        left = max(0, max_pages(self.crawler) - (self.stats.get_value(STAT_COUNTED) or 0))
        return min(self.max_pending, max(MIN_PENDING, int(self.per_page * left)))

    def push(self, request: Request) -> None:
        super().push(request)
        self.held += 1
        if self.held > MIN_PENDING and self.held > self.limit():
            self._drop_lowest()

    def pop(self) -> Request | None:
        request = super().pop()
        if request is not None:
            self.held -= 1
        return request

    def _drop_lowest(self) -> None:
        if not self.queues:
            return  # only start requests: those are never dropped
        lowest = max(self.queues)  # queues are keyed by negated priority
        queue = self.queues[lowest]
        queue.pop()
        self.held -= 1
        if not queue:
            del self.queues[lowest]
            queue.close()
            self._update_curprio()
        if not self.stats.get_value(STAT_DROPPED):
            logger.info("Frontier full (%d requests): dropping those of the lowest priority from now on", self.held)
        self.stats.inc_value(STAT_DROPPED)

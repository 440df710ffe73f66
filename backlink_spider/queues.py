"""BoundedPriorityQueue: the scheduler's priority queue, never holding more requests than
the crawl can still use, each in a fraction of what a ``Request`` costs.

A broad crawl discovers URLs much faster than it fetches them: each page admits a dozen or
more new ones to the frontier. Yet a crawl never fetches more than its ``max_pages`` budget
leaves. So the queue holds at most ``BACKLINKS_PENDING_PER_PAGE`` requests per page the
budget still allows (never fewer than ``MIN_PENDING``), and never more than
``BACKLINKS_MAX_PENDING``; beyond, it drops requests of the lowest priority, which
breadth-first order would fetch last anyway: further pages of domains that already have
many. Drops are counted in ``backlinks/frontier/dropped``. A ``JOBDIR`` crawl keeps its
frontier on disk (``scheduler.py``) and is not bounded this way.

A ``Request`` waiting in Scrapy's memory queues costs about 1.7 KB once the spider
middlewares are done with it (its cached URL parse, Scrapy's tracking of live objects, a
``Referer`` header where ``REFERER_ENABLED`` is turned back on), so even the bounded frontier
of a long crawl would hold hundreds of MiB. What the queue holds instead (``RequestCodec``) is
a tuple of a plain request's URL, priority, meta, headers and callbacks, about 250 bytes, from
which the ``Request`` is built again when it is popped. Any other request (a POST, cookies, a
``Request`` subclass...) is held as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.pqueues import QueueProtocol, ScrapyPriorityQueue

from backlink_spider.budget import STAT_COUNTED, max_pages

logger = logging.getLogger(__name__)

MIN_PENDING = 1000
STAT_DROPPED = "backlinks/frontier/dropped"
# Distinct (callback, errback, dont_filter) a codec shares among its packed requests; requests
# with others are held whole, so that a spider making a callback per request cannot grow the table.
MAX_HANDLINGS = 256

Handling = tuple[Callable[..., Any] | None, Callable[..., Any] | None, bool]
HeaderPairs = tuple[tuple[bytes, tuple[bytes, ...]], ...]
# A packed request: URL, priority, meta (None when empty, an int n for {"depth": n}, which is
# all DepthMiddleware leaves on most), headers (None when none) and its Handling.
Packed = tuple[str, int, dict[str, Any] | int | None, HeaderPairs | None, Handling]


class RequestCodec:
    """Packs plain requests into ``Packed`` tuples and builds them again, field for field.

    The parts that many requests have in common are shared, not copied: the handlings, and
    headers equal to those of the request packed before (with ``REFERER_ENABLED`` on, the pages
    a page links to are scheduled one after the other, each with the page as its ``Referer``).
    """

    def __init__(self) -> None:
        self._handlings: dict[Handling, Handling] = {}
        self._headers: HeaderPairs = ()

    def pack(self, request: Request) -> Packed | Request:
        if (
            type(request) is not Request
            or request.method != "GET"
            or request.body
            or request.cookies
            or request.cb_kwargs
            or request.flags
            or request.encoding != "utf-8"
        ):
            return request
        handling = self._handling((request.callback, request.errback, request.dont_filter))
        if handling is None:
            return request
        meta: dict[str, Any] | int | None = request.meta or None
        if meta is not None and len(meta) == 1 and type(meta.get("depth")) is int:
            meta = meta["depth"]
        return request.url, request.priority, meta, self._shared_headers(request), handling

    @staticmethod
    def unpack(held: Packed | Request) -> Request:
        if isinstance(held, Request):
            return held
        url, priority, meta, headers, (callback, errback, dont_filter) = held
        return Request(
            url,
            callback=callback,
            headers=None if headers is None else {name: list(values) for name, values in headers},
            meta={"depth": meta} if isinstance(meta, int) else meta,
            priority=priority,
            dont_filter=dont_filter,
            errback=errback,
        )

    def _handling(self, handling: Handling) -> Handling | None:
        """The shared tuple equal to ``handling``; None when it cannot be shared."""
        try:
            shared = self._handlings.get(handling)
        except TypeError:  # an unhashable callable
            return None
        if shared is None and len(self._handlings) < MAX_HANDLINGS:
            shared = self._handlings[handling] = handling
        return shared

    def _shared_headers(self, request: Request) -> HeaderPairs | None:
        if not request.headers:
            return None
        headers = tuple((name, tuple(values)) for name, values in request.headers.items())
        if headers != self._headers:
            self._headers = headers
        return self._headers


class PackedQueue:
    """One of the scheduler's memory queues, holding what ``RequestCodec`` packs."""

    def __init__(self, queue: QueueProtocol, codec: RequestCodec) -> None:
        self.queue = queue
        self.codec = codec

    def push(self, request: Request) -> None:
        self.queue.push(self.codec.pack(request))

    def pop(self) -> Request | None:
        held = self.queue.pop()
        return None if held is None else self.codec.unpack(held)

    def peek(self) -> Request | None:
        held = self.queue.peek()
        return None if held is None else self.codec.unpack(held)

    def drop(self) -> None:
        """Forget the request ``pop`` would return, without building it."""
        self.queue.pop()

    def close(self) -> None:
        self.queue.close()

    def __len__(self) -> int:
        return len(self.queue)


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
        # Memory queues (no key: nothing persisted) hold packed requests; disk queues serialize
        # the requests themselves.
        self.codec = None if key else RequestCodec()
        super().__init__(crawler, downstream_queue_cls, key, startprios, start_queue_cls=start_queue_cls)
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.max_pending = crawler.settings.getint("BACKLINKS_MAX_PENDING")
        self.per_page = crawler.settings.getfloat("BACKLINKS_PENDING_PER_PAGE")
        self.held = super().__len__()

    def qfactory(self, key: int) -> QueueProtocol:
        queue = super().qfactory(key)
        return queue if self.codec is None else PackedQueue(queue, self.codec)

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
        if isinstance(queue, PackedQueue):
            queue.drop()
        else:
            queue.pop()
        self.held -= 1
        if not queue:
            del self.queues[lowest]
            queue.close()
            self._update_curprio()
        if not self.stats.get_value(STAT_DROPPED):
            logger.info("Frontier full (%d requests): dropping those of the lowest priority from now on", self.held)
        self.stats.inc_value(STAT_DROPPED)

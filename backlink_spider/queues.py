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
what a plain request is made of: its URL, priority, meta, headers and callbacks, from which the
``Request`` is built again when it is popped. In FIFO memory queues (the project's), a plain GET
whose meta is at most its depth is a record of bytes in its priority's queue (``PackedFifo``):
its URL's bytes and ten more, no Python object of its own, so the pending requests neither cost
a small object each nor scatter long-lived ones through the allocator's arenas; the records fill
blocks of a few fixed sizes, freed as they are read. Other requests
are held as a tuple (about 250 bytes), and any that is not plain (a POST, cookies, a
``Request`` subclass...) as it is.
"""

from __future__ import annotations

import logging
import struct
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.pqueues import QueueProtocol, ScrapyPriorityQueue
from scrapy.squeues import FifoMemoryQueue

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
# all DepthMiddleware leaves on most), headers (None when none) and the index of its Handling.
Packed = tuple[str, int, dict[str, Any] | int | None, HeaderPairs | None, int]
# A PackedFifo's record: the URL's length in bytes, the handling's index, the depth (NO_DEPTH for
# no meta); the URL's bytes follow. A length of HELD_APART stands for the queue's next object held apart.
RECORD = struct.Struct("<IHi")
NO_DEPTH = -(2**31)
HELD_APART = 2**32 - 1
# Bytes of a PackedFifo's first block of records, and of its blocks once it holds a few.
FIRST_BLOCK = 512
BLOCK = 16_384


class RequestCodec:
    """Packs plain requests into ``Packed`` tuples and builds them again, field for field.

    The parts that many requests have in common are shared, not copied: the handlings, and
    headers equal to those of the request packed before (with ``REFERER_ENABLED`` on, the pages
    a page links to are scheduled one after the other, each with the page as its ``Referer``).
    """

    def __init__(self) -> None:
        self._handlings: dict[Handling, int] = {}
        self._by_index: list[Handling] = []
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

    def unpack(self, held: Packed | Request) -> Request:
        if isinstance(held, Request):
            return held
        url, priority, meta, headers, handling = held
        callback, errback, dont_filter = self._by_index[handling]
        return Request(
            url,
            callback=callback,
            headers=None if headers is None else {name: list(values) for name, values in headers},
            meta={"depth": meta} if isinstance(meta, int) else meta,
            priority=priority,
            dont_filter=dont_filter,
            errback=errback,
        )

    def _handling(self, handling: Handling) -> int | None:
        """The index of the shared tuple equal to ``handling``; None when it cannot be shared."""
        try:
            index = self._handlings.get(handling)
        except TypeError:  # an unhashable callable
            return None
        if index is None and len(self._handlings) < MAX_HANDLINGS:
            index = self._handlings[handling] = len(self._by_index)
            self._by_index.append(handling)
        return index

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


class PackedFifo:
    """One priority's FIFO memory queue, holding each plain GET of that priority whose meta is
    at most its depth as a record of bytes (``RECORD`` and its URL), and what ``RequestCodec``
    packs otherwise apart, in order.

    The records fill blocks of a few sizes (``FIRST_BLOCK`` doubling to ``BLOCK`` bytes), each
    freed once read: the queue never copies or resizes what it holds, and the allocator gets
    back blocks it can give again as they are. One growing ``bytearray`` per priority, read
    from its front, was resized and copied all through a crawl, and each of the dozens of
    queues left the holes of its old buffers, of every size, in the heap.
    """

    def __init__(self, codec: RequestCodec, priority: int) -> None:
        self.codec = codec
        self.priority = priority
        # Blocks of records, the first read from ``_head``, the last written at ``_tail``;
        # ``_ends``: where the records of each block but the last end.
        self._blocks: deque[bytearray] = deque()
        self._ends: deque[int] = deque()
        self._head = 0
        self._tail = 0
        self._apart: deque[Packed | Request] = deque()
        self._length = 0

    def push(self, request: Request) -> None:
        packed = self.codec.pack(request)
        if type(packed) is tuple and self._fits(packed):
            url, _, depth, _, handling = packed
            encoded = url.encode("utf-8", "surrogatepass")
            at = self._room(RECORD.size + len(encoded))
            RECORD.pack_into(self._blocks[-1], at, len(encoded), handling, NO_DEPTH if depth is None else depth)
            self._blocks[-1][at + RECORD.size : self._tail] = encoded
        else:
            at = self._room(RECORD.size)
            RECORD.pack_into(self._blocks[-1], at, HELD_APART, 0, 0)
            self._apart.append(packed)
        self._length += 1

    def pop(self) -> Request | None:
        if not self._length:
            return None
        length, handling, depth = RECORD.unpack_from(self._blocks[0], self._head)
        held = self._held(length, handling, depth)
        self._remove(length)
        return self.codec.unpack(held)

    def peek(self) -> Request | None:
        if not self._length:
            return None
        return self.codec.unpack(self._held(*RECORD.unpack_from(self._blocks[0], self._head)))

    def drop(self) -> None:
        """Forget the request ``pop`` would return, without building it."""
        self._remove(RECORD.unpack_from(self._blocks[0], self._head)[0])

    def close(self) -> None:
        pass

    def __len__(self) -> int:
        return self._length

    def _fits(self, packed: Packed) -> bool:
        _, priority, depth, headers, _ = packed
        plain_depth = depth is None or (type(depth) is int and 0 <= depth < 2**31)
        return priority == self.priority and headers is None and plain_depth

    def _room(self, size: int) -> int:
        """Where a record of ``size`` bytes goes in the last block (a new one if it is full)."""
        blocks = self._blocks
        if not blocks or self._tail + size > len(blocks[-1]):
            grown = max(min(BLOCK, 2 * len(blocks[-1])) if blocks else FIRST_BLOCK, size)
            if self._tail:
                self._ends.append(self._tail)
            elif blocks:
                blocks.pop()  # read to its end, and too small for this record
            blocks.append(bytearray(grown))
            self._tail = 0
        at = self._tail
        self._tail += size
        return at

    def _held(self, length: int, handling: int, depth: int) -> Packed | Request:
        """The first request held, from its record's fields."""
        if length == HELD_APART:
            return self._apart[0]
        start = self._head + RECORD.size
        url = self._blocks[0][start : start + length].decode("utf-8", "surrogatepass")
        return url, self.priority, None if depth == NO_DEPTH else depth, None, handling

    def _remove(self, length: int) -> None:
        """Take the first record (of URL ``length``) off the queue; free its block once read."""
        if length == HELD_APART:
            self._apart.popleft()
            length = 0
        self._head += RECORD.size + length
        self._length -= 1
        if self._ends and self._head == self._ends[0]:
            self._blocks.popleft()
            self._ends.popleft()
            self._head = 0
        elif not self._length:
            # The last block read to its end: written again from its start.
            self._head = self._tail = 0


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
        # Scrapy's FIFO memory queue exactly (its LIFO one, for one, is a subclass).
        self.fifo = downstream_queue_cls is FifoMemoryQueue
        super().__init__(crawler, downstream_queue_cls, key, startprios, start_queue_cls=start_queue_cls)
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.max_pending = crawler.settings.getint("BACKLINKS_MAX_PENDING")
        self.per_page = crawler.settings.getfloat("BACKLINKS_PENDING_PER_PAGE")
        self.held = super().__len__()

    def qfactory(self, key: int) -> QueueProtocol:
        if self.codec is None:
            return super().qfactory(key)
        # The queue of key k holds the requests of priority -k (``ScrapyPriorityQueue.priority``).
        return PackedFifo(self.codec, -key) if self.fifo else PackedQueue(super().qfactory(key), self.codec)

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
        if isinstance(queue, (PackedFifo, PackedQueue)):
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

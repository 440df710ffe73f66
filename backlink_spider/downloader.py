"""Downloader: Scrapy's, with politeness per registered domain, robots.txt's Crawl-delay,
and forgetting the hosts it has nothing to remember about sooner.

**A slot per registered domain.** Scrapy keys its slots (a delay, requests in flight, a
queue) by host name, so ``s0.example.com`` … ``s15.example.com`` on one server were 16 slots
and 32 requests at once. The budget counts pages per registered domain and so does politeness
here: every host of ``example.com`` shares its slot (``CONCURRENT_REQUESTS_PER_DOMAIN``, the
delay), and under Scrapy 2.19 a slot with no delay keeps to its concurrency, which it did
not (``_wait_for_download``). Scrapy's own choices win: a request's ``download_slot`` meta, and slots per IP
address with its deprecated ``CONCURRENT_REQUESTS_PER_IP``.

**Crawl-delay.** ``robots.RobotsPolicy`` hands over a host's ``Crawl-delay`` (as Bing, Yandex,
AhrefsBot, MJ12bot and SemrushBot obey it; Google does not), capped at
``BACKLINKS_MAX_CRAWL_DELAY``; it is a floor under the slot's delay, which AutoThrottle may
raise but no longer lower below it.

**Forgetting idle slots.** Scrapy keeps a slot for every host it fetched from (1.4 KB: its queue, its requests in
flight, its delay and when it was last used) and drops the idle ones once a minute, those
idle for a minute past their delay. A broad crawl fetches from a new host nearly every
page, so at 100 pages a second it held 5,000 to 12,500 slots, most of them for hosts it
will not come back to for minutes.

A slot idle for ``BACKLINKS_SLOT_IDLE_TIME`` seconds past its delay is dropped here when
its delay is no longer than the one a new slot for its host would start with (the
downloader's, AutoThrottle's start delay, or the host's own in ``DOWNLOAD_SLOTS``): nothing
is forgotten that politeness needs, since its last request is older than its delay and
the slot made again starts at the same delay or a longer one. A slot whose delay
AutoThrottle raised above that (a slow server) is dropped by Scrapy's rule only, a minute
past its delay, as before.

**Stopping.** A graceful stop (SIGTERM, Ctrl-C) waits for every request the downloader holds,
and those queued in a slot wait out its delay one by one: behind a Crawl-delay of 30 s, ten
of them held the stop for five minutes, past systemd's stop timeout. Once the crawl is
stopping, requests still waiting for their turn in a slot are not fetched
(``StoppedBeforeFetch``): they are not finished either, so a crawl resumed from its
``JOBDIR`` (or another worker of a distributed crawl) fetches them. Downloads under way end
as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from time import monotonic
from typing import Any

from scrapy import Request, signals
from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import AsyncioLoopingCall, call_later, create_looping_call
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from backlink_spider.domains import domain_of
from backlink_spider.wording import count_of

logger = logging.getLogger(__name__)

# Scrapy's own rule: idle seconds past its delay after which any slot is dropped.
SCRAPY_SLOT_AGE = 60.0
# Seconds between looks at whether the crawl is stopping.
STOP_CHECK_INTERVAL = 0.5


class StoppedBeforeFetch(IgnoreRequest):
    """A request still waiting for its turn in its slot when the crawl was stopped: not
    fetched, and not finished (a resumed crawl fetches it)."""


class Downloader(ScrapyDownloader):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.slot_idle_time = crawler.settings.getfloat("BACKLINKS_SLOT_IDLE_TIME")
        # Scrapy reads it when the first slot is made: look at the slots as often as they may go.
        self._SLOT_GC_INTERVAL = min(self.slot_idle_time, SCRAPY_SLOT_AGE)
        self.max_crawl_delay = crawler.settings.getfloat("BACKLINKS_MAX_CRAWL_DELAY")
        # The Crawl-delay under a slot's delay, by the slot's id (Scrapy's slots take no weak
        # references): dropped with the slot in _slot_gc.
        self._floors: dict[int, float] = {}
        self._stop_watch: AsyncioLoopingCall | LoopingCall | None = None
        crawler.signals.connect(self._watch_for_stop, signal=signals.engine_started)

    def _watch_for_stop(self) -> None:
        self._stop_watch = create_looping_call(self._drop_queued_once_stopping)
        self._stop_watch.start(STOP_CHECK_INTERVAL, now=False)

    def _drop_queued_once_stopping(self) -> None:
        """Once the crawl is stopping, fail the requests waiting in the slots' queues."""
        if self.crawler.crawling:
            return
        dropped = 0
        for slot in self.slots.values():
            if slot.latercall:
                slot.latercall.cancel()
                slot.latercall = None
            while slot.queue:
                _, queued = slot.queue.popleft()
                queued.errback(Failure(StoppedBeforeFetch("the crawl stopped before its turn")))
                dropped += 1
        if dropped:
            logger.info(
                "Stopping: %s waiting for their turn on their site are not fetched", count_of(dropped, "request")
            )

    def close(self) -> None:
        if self._stop_watch is not None and self._stop_watch.running:
            self._stop_watch.stop()
        super().close()

    def get_slot_key(self, request: Request) -> str:
        if self.DOWNLOAD_SLOT in request.meta or self.ip_concurrency:
            return super().get_slot_key(request)
        return domain_of(urlparse_cached(request).hostname or "")

    def obey_crawl_delay(self, request: Request, delay: float) -> None:
        """Keep the slot of ``request`` at least ``delay`` seconds (capped) between requests."""
        delay = min(delay, self.max_crawl_delay)
        if delay <= 0:
            return
        _, slot = self._get_slot(request)
        if delay > self._floors.get(id(slot), 0.0):
            self._floors[id(slot)] = delay
            slot.delay = max(slot.delay, delay)

    def _process_queue(self, slot: Slot) -> None:
        floor = self._floors.get(id(slot))
        if floor is not None and not slot.latercall:
            slot.delay = max(slot.delay, floor)  # AutoThrottle may have lowered it since
            # Scrapy's jitter (RANDOMIZE_DOWNLOAD_DELAY) waits 0.5 to 1.5 times the delay: a
            # Crawl-delay is a floor, so the wait below it is made here.
            wait = floor - (monotonic() - slot.lastseen)
            if wait > 0 and slot.queue:
                slot.latercall = call_later(wait, self._latercall, slot)
                return
        super()._process_queue(slot)

    def _wait_for_download(
        self, slot: Slot, request: Request, queue_dfd: Deferred[Response]
    ) -> Coroutine[Any, Any, None]:
        # Counted as transferring when taken off the queue. Scrapy adds it once the download's
        # task first runs, after its loop has read the slot's free room: with no delay that
        # loop took the whole queue at once, whatever CONCURRENT_REQUESTS_PER_DOMAIN said.
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)

    def _slot_gc(self, age: float = SCRAPY_SLOT_AGE) -> None:
        now = monotonic()
        for key, slot in list(self.slots.items()):
            if slot.active:
                continue
            idle = now - slot.lastseen - slot.delay
            if idle >= age or (idle >= self.slot_idle_time and slot.delay <= self._start_delay(key)):
                self.slots.pop(key).close()
                self._floors.pop(id(slot), None)

    def _start_delay(self, key: str) -> float:
        """The delay a new slot for ``key`` would start with."""
        return self.per_slot_settings.get(key, {}).get("delay", self._delay)

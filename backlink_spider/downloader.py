"""Downloader: Scrapy's, forgetting the hosts it has nothing to remember about sooner.

Scrapy keeps a slot for every host it fetched from (1.4 KB: its queue, its requests in
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
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.crawler import Crawler

# Scrapy's own rule: idle seconds past its delay after which any slot is dropped.
SCRAPY_SLOT_AGE = 60.0


class Downloader(ScrapyDownloader):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.slot_idle_time = crawler.settings.getfloat("BACKLINKS_SLOT_IDLE_TIME")
        # Scrapy reads it when the first slot is made: look at the slots as often as they may go.
        self._SLOT_GC_INTERVAL = min(self.slot_idle_time, SCRAPY_SLOT_AGE)

    def _slot_gc(self, age: float = SCRAPY_SLOT_AGE) -> None:
        now = monotonic()
        for key, slot in list(self.slots.items()):
            if slot.active:
                continue
            idle = now - slot.lastseen - slot.delay
            if idle >= age or (idle >= self.slot_idle_time and slot.delay <= self._start_delay(key)):
                self.slots.pop(key).close()

    def _start_delay(self, key: str) -> float:
        """The delay a new slot for ``key`` would start with."""
        return self.per_slot_settings.get(key, {}).get("delay", self._delay)

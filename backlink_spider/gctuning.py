"""GcTuning: CPython's garbage collector set for a crawl, as Instagram's servers set it.

A crawl allocates thousands of short-lived objects for each page (nodes, links,
requests, items) on top of a large heap that lives as long as the crawl (Scrapy's,
Twisted's and the frontier's objects, caches). With Python's thresholds (700, 10, 10)
the collector runs about two young collections a page and, every few hundred pages,
a full one that walks the whole heap: a fifth to a quarter of the crawl's CPU on the
benchmark's web (``make bench``, where the crawl runs once with Python's settings).

When the spider opens, what is alive is collected once and frozen (``gc.freeze``: the
collector no longer walks it), and the thresholds become ``BACKLINKS_GC_THRESHOLD``.
Cyclic garbage is still collected, only in larger rounds. When the spider closes,
both are undone, for a process that goes on after the crawl.
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings

from backlink_spider.settingcheck import setting_list


def gc_threshold(settings: BaseSettings) -> tuple[int, ...]:
    """``BACKLINKS_GC_THRESHOLD`` as ``gc.set_threshold`` takes it; ``ValueError`` when it is not."""
    values = setting_list(settings, "BACKLINKS_GC_THRESHOLD")
    problem = f"BACKLINKS_GC_THRESHOLD takes up to 3 whole numbers, none negative, not {values!r}"
    try:
        threshold = tuple(int(value) for value in values)
    except ValueError:
        raise ValueError(problem) from None
    if len(threshold) > 3 or any(value < 0 for value in threshold):
        raise ValueError(problem)
    return threshold


class GcTuning:
    def __init__(self, threshold: tuple[int, ...], freeze: bool) -> None:
        self.threshold = threshold
        self.freeze = freeze
        self._previous: tuple[int, ...] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcTuning:
        threshold = gc_threshold(crawler.settings)
        freeze = crawler.settings.getbool("BACKLINKS_GC_FREEZE")
        if not threshold and not freeze:
            raise NotConfigured("BACKLINKS_GC_THRESHOLD is empty and BACKLINKS_GC_FREEZE off")
        extension = cls(threshold, freeze)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        if self.freeze:
            gc.collect()
            gc.freeze()
        if self.threshold:
            self._previous = gc.get_threshold()
            gc.set_threshold(*self.threshold)

    def spider_closed(self) -> None:
        if self._previous is not None:
            gc.set_threshold(*self._previous)
            self._previous = None
        if self.freeze:
            gc.unfreeze()

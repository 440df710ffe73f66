"""Meter: a Scrapy extension that times a benchmark crawl from inside it.

Records when each page (robots.txt aside) arrived, the process's RSS, the requests pending in
the scheduler, the memory blocks Python's objects hold (``sys.getallocatedblocks``: what is
alive, whatever the allocators keep besides) and the per-host state the crawl keeps (the
downloader's slots, the hosts whose robots.txt rules are cached) every ``BENCH_RSS_EVERY`` pages, how late a 10 ms
timer on the reactor fired (the worst stall of the event loop) and the crawl's final stats;
writes them as JSON to ``BENCH_METER_PATH`` when the spider closes. ``BENCH_STOP_AT`` closes the crawl after that
many pages. Off without a path. ``TreeWatch`` watches a crawl from outside: the peak memory of
its whole process tree and the CPU it used apart from its descendants' (the browser's processes).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import threading
import time
from array import array
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from backlink_spider.processes import memory_bytes, process_tree, stat_fields

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")
TICK = 0.01


def rss_bytes() -> int:
    """The resident set size of this process now."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def peak_rss_bytes() -> int:
    """The largest resident set size of this process since it started its program
    (``VmHWM``; ``getrusage``'s maximum survives exec and would be the parent's)."""
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _cpu(fields: list[bytes]) -> float:
    """User plus system CPU seconds, from a process's ``_stat`` fields."""
    return (int(fields[11]) + int(fields[12])) / _TICKS


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used."""
    return _cpu(stat_fields(pid))


class TreeWatch(threading.Thread):
    """Watches a process tree until stopped: the CPU seconds of the process and of its
    descendants (a browser's), sampled every ``interval`` (what a process used after its last
    sample is missed), and the peak of ``processes.memory_bytes`` over the tree, every ``memory_every``."""

    def __init__(self, pid: int, interval: float = 0.1, memory_every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.memory_every = pid, interval, memory_every
        self.peak = 0
        # CPU seconds last read, by process and start time (a pid may be used again).
        self._cpu: dict[tuple[int, int], float] = {}
        self._stopped = threading.Event()

    def run(self) -> None:
        memory_due = 0.0
        while not self._stopped.wait(self.interval):
            tree = process_tree(self.pid)
            for process, fields in tree.items():
                self._cpu[process, int(fields[19])] = _cpu(fields)
            if time.monotonic() >= memory_due:
                memory_due = time.monotonic() + self.memory_every
                self.peak = max(self.peak, memory_bytes(tree))

    @property
    def cpu(self) -> float:
        """CPU seconds of the process itself."""
        return sum(seconds for (process, _), seconds in self._cpu.items() if process == self.pid)

    @property
    def descendants_cpu(self) -> float:
        """CPU seconds of all its descendants, those that ended included."""
        return sum(seconds for (process, _), seconds in self._cpu.items() if process != self.pid)

    def __enter__(self) -> TreeWatch:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self.join()


class StallWatch:
    """How late a repeating timer on the running event loop fires: the loop's worst stall."""

    def __init__(self, interval: float = TICK) -> None:
        self.interval = interval
        self.worst = 0.0
        self.lates: list[float] = []
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._due = loop.time() + self.interval
        self._handle = loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        late = now - self._due
        self.lates.append(late)
        self.worst = max(self.worst, late)
        self._due = now + self.interval
        self._handle = loop.call_at(self._due, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def summary(self) -> dict[str, float]:
        lates = sorted(self.lates) or [0.0]
        return {
            "worst_stall_ms": round(self.worst * 1000, 2),
            "p99_stall_ms": round(lates[int(0.99 * (len(lates) - 1))] * 1000, 2),
            "ticks": len(self.lates),
        }


class GcWatch:
    """Time the garbage collector takes, per generation (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            generation = info["generation"]
            self.seconds[generation] += time.perf_counter() - self._started
            self.collections[generation] += 1

    def start(self) -> None:
        gc.callbacks.append(self)

    def stop(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)

    def summary(self) -> dict[str, Any]:
        return {"gc_seconds": [round(s, 3) for s in self.seconds], "gc_collections": self.collections}


class Meter:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self.stop_at = crawler.settings.getint("BENCH_STOP_AT", 0)
        self.rss_every = crawler.settings.getint("BENCH_RSS_EVERY", 100)
        # 8 bytes a page, not a float object's 32: the Meter should not grow what it measures.
        self.times: array[float] = array("d")
        # (pages, RSS, pending, blocks, downloader slots, robots.txt hosts cached)
        self.rss: list[tuple[int, int, int, int, int, int]] = []
        self.stall = StallWatch()
        self.gc = GcWatch()
        self.started = 0.0
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Meter:
        path = crawler.settings.get("BENCH_METER_PATH")
        if not path:
            raise NotConfigured("BENCH_METER_PATH is not set")
        meter = cls(crawler, Path(path))
        crawler.signals.connect(meter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(meter.response_received, signal=signals.response_received)
        crawler.signals.connect(meter.spider_closed, signal=signals.spider_closed)
        return meter

    def spider_opened(self) -> None:
        self.started = time.perf_counter()
        self.rss.append((0, rss_bytes(), 0, sys.getallocatedblocks(), 0, 0))
        self.stall.start()
        self.gc.start()

    def response_received(self, response: Response, request: Request) -> None:
        if request.url.endswith("/robots.txt"):
            return
        self.times.append(time.perf_counter())
        pages = len(self.times)
        if pages % self.rss_every == 0:
            self.rss.append((pages, rss_bytes(), self.pending(), sys.getallocatedblocks(), *self.per_host()))
        if self.stop_at and pages >= self.stop_at and not self.stopping:
            self.stopping = True
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="bench_done"))

    def pending(self) -> int:
        """Requests waiting in the scheduler now."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        return len(slot.scheduler) if slot is not None and hasattr(slot.scheduler, "__len__") else -1

    def per_host(self) -> tuple[int, int]:
        """The downloader's slots now, and the hosts whose robots.txt rules are cached."""
        engine = self.crawler.engine
        assert engine is not None
        downloader = engine.downloader
        robots = next(
            (len(mw._parsers) for mw in downloader.middleware.middlewares if isinstance(mw, RobotsTxtMiddleware)), 0
        )
        return len(downloader.slots), robots

    def spider_closed(self, reason: str) -> None:
        self.stall.stop()
        self.gc.stop()
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        record: dict[str, Any] = {
            "reason": reason,
            "started": self.started,
            "closed": time.perf_counter(),
            "times": self.times.tolist(),
            "rss": self.rss,
            "peak_rss": peak_rss_bytes(),
            "requests": stats.get("downloader/request_count", 0),
            "items": stats.get("item_scraped_count", 0),
            "stats": {name: value for name, value in stats.items() if isinstance(value, int | float | str)},
            **self.stall.summary(),
            **self.gc.summary(),
        }
        self.path.write_text(json.dumps(record))

"""Memory: RSS of a crawl frontier of N pending URLs (default 1,000,000), in Scrapy's memory
queues (the project's default) and in ``JOBDIR``'s SQLite ``DurableScheduler``; reported
per 100k pending URLs, with the frontier's bounds lifted; and what the memory queue holds,
and costs, within the bounds of the default page budget (``queues.py``). Each runs in a
process of its own, which builds the project's scheduler from the project's settings and
fills it as the spider does (``Frontier.admit``, then a ``Request`` with the spider's
callbacks); nothing is fetched.

Growth over a long crawl (``crawl_pages``, e.g. 50,000; off at 0): ``scrapy crawl backlinks``
on a synthetic web big enough to never run dry, with RSS and the number of pending requests
sampled every 2 % of the pages, with the memory blocks Python's live objects hold and the
per-host state that fills as the crawl meets new hosts (downloader slots, robots.txt cache); the first
sample after a fifth of the crawl against the last (the blocks as the median of the five
samples around each), and RSS over the last fifth, where the crawl's bounded state (pending
requests, the downloader's slots of the hosts fetched from lately (``downloader.py``), the
robots.txt cache) has filled.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.crawl import run_ours
from bench.web import ROOT, BenchServer, SyntheticWeb, WebSpec


def fill(pending: int, jobdir: str | None, bounded: bool = False) -> dict[str, Any]:
    """In this process: fill the project's scheduler with ``pending`` requests; RSS before and after.
    Unless ``bounded``, the frontier's bounds are lifted, to measure what a pending request costs."""
    import scrapy
    from scrapy.utils.misc import load_object
    from scrapy.utils.test import get_crawler

    from backlink_spider import settings as project_settings
    from backlink_spider.frontier import Frontier
    from backlink_spider.scheduler import DurableScheduler
    from bench.meter import peak_rss_bytes, rss_bytes

    class FrontierSpider(scrapy.Spider):
        name = "frontier"

        def parse(self, response: Any) -> None:
            pass

        def failed(self, failure: Any) -> None:
            pass

    settings = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    settings.pop("ADDONS", None)
    if not bounded:
        settings.update(BACKLINKS_MAX_PENDING=10**9, BACKLINKS_MAX_PAGES=10**9)
    if jobdir:
        # What the ResumableCrawl add-on does when JOBDIR is set.
        settings.update(JOBDIR=jobdir, SCHEDULER=f"{DurableScheduler.__module__}.{DurableScheduler.__name__}")
    crawler = get_crawler(FrontierSpider, settings)
    crawler._apply_settings()
    spider = FrontierSpider()
    spider._set_crawler(crawler)
    crawler.spider = spider
    scheduler = load_object(crawler.settings["SCHEDULER"]).from_crawler(crawler)
    scheduler.open(spider)
    frontier = Frontier(max_depth=3, pages_per_domain=20)
    before = rss_bytes()
    started = time.perf_counter()
    queued = 0
    for number in range(pending):
        # Ten pages a site: the frontier admits ten variants of one URL template a site.
        domain = f"site{number // 10}.example.com"
        url = f"http://{domain}/post/{number % 10}/a-post-about-something-{number}"
        priority = frontier.admit(url, domain, 1)
        if priority is not None and scheduler.enqueue_request(
            scrapy.Request(url, callback=spider.parse, errback=spider.failed, priority=priority)
        ):
            queued += 1
    seconds = time.perf_counter() - started
    after = rss_bytes()
    result = {
        "pushed": queued,
        "pending": len(scheduler),
        "scheduler": type(scheduler).__name__,
        "rss_before_mib": round(before / 2**20, 1),
        "rss_after_mib": round(after / 2**20, 1),
        "peak_rss_mib": round(peak_rss_bytes() / 2**20, 1),
        "mib_per_100k": round((after - before) / 2**20 / (len(scheduler) / 100_000), 1),
        "enqueue_us": round(seconds / pending * 1e6, 1),
    }
    scheduler.close("finished")
    return result


def growth(pages: int) -> dict[str, Any]:
    """RSS, pending requests and Python's live memory blocks along a crawl of ``pages`` pages."""
    spec = WebSpec(domains=max(3000, pages // 4))
    every = max(10, pages // 50)
    with BenchServer(spec) as server, tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        crawl = run_ours(
            server, SyntheticWeb(spec).seed_urls(), pages, Path(tmp), "long crawl",
            arguments=("-a", "max_depth=50"), rss_every=every, timeout=max(900, pages / 5),
        )  # fmt: skip
    samples = [sample for sample in crawl.meter.get("rss", []) if sample[0]]
    if crawl.returncode != 0 or len(samples) < 5:
        raise RuntimeError(f"the long crawl failed ({crawl.returncode}, {crawl.pages} pages): {crawl.log_tail}")

    def point(at: int, rss: int, pending: int, blocks: int, slots: int, robots: int) -> dict[str, Any]:
        return {
            "pages": at, "rss_mib": round(rss / 2**20, 1), "pending": pending, "python_blocks": blocks,
            "downloader_slots": slots, "robots_hosts": robots,
        }  # fmt: skip

    def settled_blocks(index: int) -> int:
        """The median of the blocks of the five samples around ``index``: a sample taken while a
        batch of rows or a page's links are in flight holds 100k blocks more than the next one."""
        return int(statistics.median(sample[3] for sample in samples[max(0, index - 2) : index + 3]))

    early_index = next(index for index, sample in enumerate(samples) if sample[0] >= pages // 5)
    early, last = samples[early_index], samples[-1]
    # The last fifth: whether the crawl has levelled off once its per-host state and pending filled.
    late_index = next(index for index, sample in enumerate(samples) if sample[0] >= pages * 4 // 5)
    late = samples[late_index]
    early_blocks, last_blocks = settled_blocks(early_index), settled_blocks(len(samples) - 1)
    return {
        "pages": crawl.pages,
        "samples": [point(*sample) for sample in samples],
        "early": point(*early[:3], early_blocks, *early[4:]),
        "last": point(*last[:3], last_blocks, *last[4:]),
        "rss_last_vs_early": round(last[1] / early[1], 3),
        "late": point(*late[:3], settled_blocks(late_index), *late[4:]),
        "rss_last_vs_late": round(last[1] / late[1], 3),
        # Python's live objects: growth here would be a leak; RSS beyond it is what the allocators keep.
        "python_blocks_last_vs_early": round(last_blocks / early_blocks, 3),
        "pages_per_s": round(crawl.rate, 1),
    }


def run(pending: int = 1_000_000, pending_jobdir: int | None = None, crawl_pages: int = 0) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for name, jobdir, count, bounded in (
            ("memory queue", None, pending, False),
            ("memory queue, bounded by the default budget", None, pending, True),
            ("JOBDIR", str(Path(tmp) / "job"), pending_jobdir or pending, False),
        ):
            command = [sys.executable, "-m", "bench.memory", str(count), jobdir or "", "bounded" if bounded else ""]
            output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
            results[name] = json.loads(output.strip().splitlines()[-1])
    if crawl_pages:
        results["long crawl"] = growth(crawl_pages)
    return results


if __name__ == "__main__":
    print(json.dumps(fill(int(sys.argv[1]), sys.argv[2] or None, sys.argv[3] == "bounded")))

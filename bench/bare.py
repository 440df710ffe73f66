"""The baselines of the crawl benchmark: bare Scrapy spiders that follow links and do
nothing else, run with ``scrapy runspider`` outside the project (so none of its
components load), with the project's concurrency and politeness settings.

- ``follow_all``: every ``<a href>`` of every page becomes a ``response.follow``, as the
  tutorials write it; Scrapy's duplicate filter drops the repeats.
- ``seen_set``: the same, but a set of URLs already requested skips a repeat before a
  ``Request`` is built (each costs ~115 us, REFERENCE.md section 4).
- ``breadth_first``: ``seen_set`` in plain breadth-first order (FIFO, depth priority), the
  discovery benchmark's baseline.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, seeds: str = "", mode: str = "follow_all", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seeds = [url for url in seeds.split(",") if url]
        self.mode = mode
        self.seen: set[str] = set(self.seeds)

    async def start(self) -> Any:
        for url in self.seeds:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if self.mode == "follow_all":
            yield from response.follow_all(css="a::attr(href)", callback=self.parse)
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if url in self.seen or not url.startswith("http"):
                continue
            self.seen.add(url)
            yield scrapy.Request(url, callback=self.parse)

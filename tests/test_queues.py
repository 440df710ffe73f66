"""The frontier's bound: the scheduler holds no more requests than the page budget can
use, dropping those of the lowest priority, and never the ones breadth-first order wants next."""

from __future__ import annotations

from typing import Any

import pytest
import scrapy
from scrapy.core.scheduler import Scheduler
from scrapy.utils.test import get_crawler

from backlink_spider import settings as project_settings
from backlink_spider.budget import STAT_COUNTED
from backlink_spider.queues import MIN_PENDING, STAT_DROPPED, BoundedPriorityQueue


class BudgetSpider(scrapy.Spider):
    name = "budget"
    max_pages = 0

    def parse(self, response: Any) -> None:
        pass


def scheduler(max_pages: int, **settings: Any) -> tuple[Scheduler, scrapy.Spider]:
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.pop("ADDONS", None)
    values.update(settings)
    crawler = get_crawler(BudgetSpider, values)
    crawler._apply_settings()
    spider = BudgetSpider()
    spider.max_pages = max_pages
    spider._set_crawler(crawler)
    crawler.spider = spider
    built = Scheduler.from_crawler(crawler)
    built.open(spider)
    return built, spider


def push(built: Scheduler, spider: scrapy.Spider, count: int, priority: int, prefix: str) -> None:
    for number in range(count):
        request = scrapy.Request(f"http://{prefix}{number}.com/", callback=spider.parse, priority=priority)
        assert built.enqueue_request(request)


def drain(built: Scheduler) -> list[str]:
    urls = []
    while (request := built.next_request()) is not None:
        urls.append(request.url)
    return urls


def test_the_project_schedules_through_the_bounded_queue() -> None:
    built, _ = scheduler(100)
    assert isinstance(built.mqs, BoundedPriorityQueue)


def test_holds_two_requests_per_page_left_and_drops_the_lowest_priority_first() -> None:
    built, spider = scheduler(1000)
    assert spider.crawler.stats is not None
    spider.crawler.stats.set_value(STAT_COUNTED, 100)  # 900 pages left: 1,800 requests held
    push(built, spider, 1000, priority=-5, prefix="deep")
    push(built, spider, 1000, priority=0, prefix="first")
    push(built, spider, 500, priority=-2, prefix="second")
    assert len(built) == 1800
    assert spider.crawler.stats.get_value(STAT_DROPPED) == 700
    urls = drain(built)
    assert urls[:1000] == [f"http://first{n}.com/" for n in range(1000)]
    assert urls[1000:1500] == [f"http://second{n}.com/" for n in range(500)]
    assert len(urls) == 1800 and all(url.startswith("http://deep") for url in urls[1500:])


def test_a_spent_budget_still_keeps_a_floor_and_the_absolute_cap_holds() -> None:
    built, spider = scheduler(10)
    push(built, spider, MIN_PENDING + 50, priority=0, prefix="a")
    assert len(built) == MIN_PENDING
    capped, spider = scheduler(10**9, BACKLINKS_MAX_PENDING=1500)
    push(capped, spider, 2000, priority=-1, prefix="b")
    push(capped, spider, 10, priority=3, prefix="c")
    assert len(capped) == 1500
    assert drain(capped)[:10] == [f"http://c{n}.com/" for n in range(10)]


@pytest.mark.parametrize("pages_fetched", [0, 400])
def test_the_bound_follows_the_budget_as_pages_are_fetched(pages_fetched: int) -> None:
    built, spider = scheduler(2000)
    assert spider.crawler.stats is not None
    spider.crawler.stats.set_value(STAT_COUNTED, pages_fetched)
    push(built, spider, 5000, priority=-1, prefix="x")
    assert len(built) == 2 * (2000 - pages_fetched)

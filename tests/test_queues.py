"""The frontier's bound: the scheduler holds no more requests than the page budget can
use, dropping those of the lowest priority, and never the ones breadth-first order wants next."""

from __future__ import annotations

import functools
import tracemalloc
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
import scrapy
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.core.scheduler import Scheduler
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.test import get_crawler

from backlink_spider import settings as project_settings
from backlink_spider.budget import STAT_COUNTED
from backlink_spider.queues import (
    BLOCK,
    FIRST_BLOCK,
    MAX_HANDLINGS,
    MIN_PENDING,
    STAT_DROPPED,
    BoundedPriorityQueue,
    PackedFifo,
    RequestCodec,
)


class BudgetSpider(scrapy.Spider):
    name = "budget"
    max_pages = 0

    def parse(self, response: Any) -> None:
        pass

    def failed(self, failure: Any) -> None:
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


def drain_requests(built: Scheduler) -> list[scrapy.Request]:
    requests = []
    while (request := built.next_request()) is not None:
        requests.append(request)
    return requests


def drain(built: Scheduler) -> list[str]:
    return [request.url for request in drain_requests(built)]


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


def link_requests(spider: BudgetSpider, pages: int, links: int, referer: bool = True) -> Iterator[scrapy.Request]:
    """Requests as the spider's links leave the spider middlewares: a depth in their meta,
    the page they were found on as their Referer (unless ``referer`` is False, as with the
    project's ``REFERER_ENABLED``), their URL parsed and cached."""
    for page in range(pages):
        page_url = f"http://site{page}.example.com/post/{page}/a-page-with-links".encode()
        for link in range(links):
            request = scrapy.Request(
                f"http://site{page}-{link}.example.org/post/{link}/a-post-about-something-{page}",
                callback=spider.parse,
                errback=spider.failed,
                priority=-(link % 5),
            )
            request.meta["depth"] = 2
            if referer:
                request.headers[b"Referer"] = page_url
            urlparse_cached(request)
            yield request


def test_a_held_request_comes_back_with_every_field() -> None:
    built, spider = scheduler(10**6)
    assert isinstance(spider, BudgetSpider)
    plain = scrapy.Request("http://a.example/x?q=1", callback=spider.parse, errback=spider.failed, priority=-3)
    plain.meta["depth"] = 4
    plain.headers[b"Referer"] = b"http://b.example/"
    with_meta = scrapy.Request(
        "http://c.example/ä b", meta={"depth": 1, "verbatim_url": True, "download_timeout": 5}, dont_filter=True
    )
    bare = scrapy.Request("http://d.example/", priority=7)
    for request in (plain, with_meta, bare):
        assert built.enqueue_request(request)
    peeked = built.mqs.peek()
    assert peeked is not None and peeked.url == bare.url and peeked.priority == bare.priority
    popped = drain_requests(built)
    assert [request.url for request in popped] == ["http://d.example/", "http://c.example/ä b", plain.url]
    fields = ("url", "method", "body", "priority", "dont_filter", "callback", "errback", "meta", "cb_kwargs", "flags")
    for before, after in zip((bare, with_meta, plain), popped, strict=True):
        assert after is not before
        assert {name: getattr(after, name) for name in fields} == {name: getattr(before, name) for name in fields}
        assert after.headers == before.headers and type(after) is scrapy.Request


class UnhashableCallback:
    __hash__ = None

    def __call__(self, response: Any) -> None:
        pass


def test_requests_it_cannot_pack_are_held_as_they_are() -> None:
    built, _ = scheduler(10**6)
    unusual = [
        scrapy.FormRequest("http://a.example/search", formdata={"q": "x"}),
        scrapy.Request("http://b.example/", method="HEAD"),
        scrapy.Request("http://c.example/", cookies={"session": "1"}),
        scrapy.Request("http://d.example/", cb_kwargs={"page": 2}),
        scrapy.Request("http://e.example/", flags=["cached"]),
        scrapy.Request("http://f.example/", callback=UnhashableCallback()),
    ]
    for request in unusual:
        assert built.enqueue_request(request)
    assert drain_requests(built) == unusual  # the very same objects


def test_callbacks_shared_by_packed_requests_are_bounded() -> None:
    built, spider = scheduler(10**6)
    requests = [
        scrapy.Request(f"http://a.example/{n}", callback=functools.partial(spider.parse))
        for n in range(MAX_HANDLINGS + 50)
    ]
    for request in requests:
        assert built.enqueue_request(request)
    assert isinstance(built.mqs, BoundedPriorityQueue) and built.mqs.codec is not None
    assert len(built.mqs.codec._handlings) == MAX_HANDLINGS
    popped = drain_requests(built)
    assert [request.callback for request in popped] == [request.callback for request in requests]
    assert popped[MAX_HANDLINGS:] == requests[MAX_HANDLINGS:]  # held whole beyond the bound


def test_a_held_request_costs_a_few_hundred_bytes() -> None:
    built, spider = scheduler(10**9, BACKLINKS_MAX_PENDING=10**9)
    assert isinstance(spider, BudgetSpider)
    pages, links = 400, 25
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for request in link_requests(spider, pages, links):
            built.mqs.push(request)  # past the duplicate filter, which seen.py measures
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(built) == pages * links
    # A Request held with its headers, cached URL parse and live-object tracking: ~1.5 KB.
    assert held / len(built) < 350


def test_a_plain_request_costs_its_url_and_a_few_bytes() -> None:
    """With no Referer (the project's default), a pending link is a record of bytes: no
    Python object of its own, so a long crawl's pending requests scatter none through memory."""
    built, spider = scheduler(10**9, BACKLINKS_MAX_PENDING=10**9)
    urls = [request.url for request in link_requests(spider, 400, 25, referer=False)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for request in link_requests(spider, 400, 25, referer=False):
            built.mqs.push(request)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(built) == len(urls)
    # The URL and a 10-byte record header each, with the bytearrays' room to grow, beside the
    # bounded caches of URL parses that building the requests fills (about 170 KB); a request
    # held as a tuple would cost about 250 bytes, 2.5 MB here.
    assert held < 1.25 * (sum(map(len, urls)) + 10 * len(urls)) + 256 * 1024
    popped = drain_requests(built)
    assert sorted(request.url for request in popped) == sorted(urls)
    assert {(request.meta["depth"], request.callback, request.errback) for request in popped} == {
        (2, spider.parse, spider.failed)
    }


@pytest.mark.parametrize(
    ("memory_queue", "lifo"), [("scrapy.squeues.FifoMemoryQueue", False), ("scrapy.squeues.LifoMemoryQueue", True)]
)
def test_one_prioritys_requests_keep_their_order_however_each_is_held(memory_queue: str, lifo: bool) -> None:
    built, spider = scheduler(10**6, SCHEDULER_MEMORY_QUEUE=memory_queue)
    assert isinstance(spider, BudgetSpider)
    with_depth = scrapy.Request("http://a.example/ä?x=1", callback=spider.parse, priority=-1, meta={"depth": 3})
    with_header = scrapy.Request("http://b.example/", priority=-1, headers={"Accept-Language": "de"})
    bare = scrapy.Request("http://c.example/", priority=-1, errback=spider.failed, dont_filter=True)
    with_meta = scrapy.Request("http://d.example/", priority=-1, meta={"depth": 1, "render": True})
    form = scrapy.FormRequest("http://e.example/search", formdata={"q": "x"}, priority=-1)
    deep = scrapy.Request("http://f.example/", priority=-1, meta={"depth": 2**40})
    pushed = [with_depth, with_header, bare, with_meta, form, deep, bare.replace(url="http://g.example/")]
    for request in pushed:
        assert built.enqueue_request(request)
    expected = pushed[::-1] if lifo else pushed
    peeked = built.mqs.peek()
    assert peeked is not None and peeked.url == expected[0].url
    popped = drain_requests(built)
    fields = ("url", "method", "body", "priority", "dont_filter", "callback", "errback", "meta", "headers")
    assert [{name: getattr(request, name) for name in fields} for request in popped] == [
        {name: getattr(request, name) for name in fields} for request in expected
    ]
    assert popped[expected.index(form)] is form


def test_the_lowest_priority_is_dropped_whether_held_as_bytes_or_apart() -> None:
    built, spider = scheduler(10**9, BACKLINKS_MAX_PENDING=MIN_PENDING + 2)
    push(built, spider, MIN_PENDING, priority=0, prefix="kept")
    low = [
        scrapy.Request("http://low0.com/", priority=-9, headers={"Accept-Language": "de"}),
        scrapy.Request("http://low1.com/", priority=-9),
        scrapy.Request("http://low2.com/", priority=-9, cookies={"a": "1"}),
        scrapy.Request("http://low3.com/", priority=-9),
    ]
    for request in low:
        assert built.enqueue_request(request)
    assert len(built) == MIN_PENDING + 2
    assert drain(built)[-2:] == ["http://low2.com/", "http://low3.com/"]


_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("push"), st.integers(0, 40_000), st.booleans()),
        st.tuples(st.sampled_from(["pop", "drop", "peek"]), st.just(0), st.just(False)),
    ),
    max_size=400,
)


@settings(deadline=None)
@given(_OPERATIONS)
def test_a_priority_s_queue_gives_back_what_it_was_given_in_order_across_its_blocks(
    operations: list[tuple[str, int, bool]],
) -> None:
    # URLs from a few bytes to more than a block, plain ones held as bytes and others apart.
    queue = PackedFifo(RequestCodec(), priority=-1)
    model: deque[tuple[str, bool]] = deque()
    for number, (operation, size, apart) in enumerate(operations):
        if operation == "push":
            url = f"http://a.com/{number}/" + "x" * (size % 97 if size > 3_000 and number % 3 else size)
            headers = {"Accept-Language": "de"} if apart else None
            queue.push(scrapy.Request(url, priority=-1, headers=headers, meta={"depth": number}))
            model.append((url, apart))
        elif operation == "drop" and model:
            queue.drop()
            model.popleft()
        else:
            request = queue.peek() if operation == "peek" else queue.pop()
            expected = (model[0] if operation == "peek" else model.popleft()) if model else None
            assert (request.url, "Accept-Language" in request.headers) == expected if request else expected is None
        assert len(queue) == len(model)
    assert [request.url for request in iter(queue.pop, None)] == [url for url, _ in model]
    # What is read is let go: at most one block beyond those holding what is left.
    assert len(queue._blocks) <= 1 + sum(len(url) + 10 for url, _ in model) // BLOCK + len(model)


def test_a_long_queue_holds_blocks_of_a_few_sizes_and_lets_them_go_as_it_is_read() -> None:
    queue = PackedFifo(RequestCodec(), priority=0)
    urls = [f"http://s{n % 500}.com/page/{n}" for n in range(20_000)]
    for url in urls:
        queue.push(scrapy.Request(url))
    assert {len(block) for block in queue._blocks} <= {FIRST_BLOCK * 2**n for n in range(6)}
    held = sum(map(len, queue._blocks))
    assert held < 1.05 * sum(len(url) + 10 for url in urls) + BLOCK
    for _ in range(15_000):
        queue.pop()
    assert sum(map(len, queue._blocks)) < 0.3 * held
    assert [request.url for request in iter(queue.pop, None)] == urls[15_000:]

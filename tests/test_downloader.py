"""The downloader forgets idle hosts sooner, and never a delay politeness needs."""

from __future__ import annotations

import inspect
from pathlib import Path
from time import monotonic
from typing import Any

import pytest
from scrapy import Request
from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.core.downloader import Slot
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from backlink_spider import settings as project_settings
from backlink_spider.downloader import Downloader
from backlink_spider.localweb import LocalWeb, Resource
from tests.conftest import run_crawl
from tests.web import html, most_at_once


def downloader(**settings: Any) -> Downloader:
    return Downloader(get_crawler(settings_dict={"BACKLINKS_SLOT_IDLE_TIME": 15.0, "DOWNLOAD_DELAY": 0.5, **settings}))


def idle_slot(delay: float, idle: float) -> Slot:
    """A slot of ``delay`` whose last request went ``idle`` seconds past its delay ago."""
    slot = Slot(2, delay, 0)
    slot.lastseen = monotonic() - delay - idle
    return slot


def test_the_project_crawls_with_this_downloader() -> None:
    assert load_object(project_settings.DOWNLOADER) is Downloader
    # Scrapy looks at its slots every BACKLINKS_SLOT_IDLE_TIME seconds, never less often than its own minute.
    assert downloader()._SLOT_GC_INTERVAL == 15.0
    assert downloader(BACKLINKS_SLOT_IDLE_TIME=600.0)._SLOT_GC_INTERVAL == 60.0


def test_scrapy_still_runs_the_slot_gc_through_the_members_overridden() -> None:
    # Private to Scrapy's downloader: an upgrade that renames them must fail here, not go silent.
    source = inspect.getsource(ScrapyDownloader._start_slot_gc)
    assert "self._slot_gc" in source and "self._SLOT_GC_INTERVAL" in source
    assert "age" in inspect.signature(ScrapyDownloader._slot_gc).parameters
    # And those the Crawl-delay's floor relies on.
    assert "slot.latercall" in inspect.getsource(ScrapyDownloader._process_queue)
    assert "self._process_queue(slot)" in inspect.getsource(ScrapyDownloader._latercall)
    # And those the count of a slot's transfers relies on.
    assert "self._wait_for_download(slot, request, queue_dfd)" in inspect.getsource(ScrapyDownloader._process_queue)
    assert "slot.transferring.remove(request)" in inspect.getsource(ScrapyDownloader._download)


def test_an_idle_host_is_forgotten_unless_its_slot_holds_a_longer_delay_than_a_new_one() -> None:
    loader = downloader()
    loader.slots.update(
        {
            "idle.com": idle_slot(0.5, idle=16),  # nothing learned: a new slot starts the same
            "recent.com": idle_slot(0.5, idle=10),  # used 10 s ago
            "throttled.com": idle_slot(8.0, idle=16),  # AutoThrottle raised its delay: keep it
            "throttled-long-ago.com": idle_slot(8.0, idle=61),  # Scrapy's rule: a minute past its delay
            "quick.com": idle_slot(0.2, idle=16),  # lowered below the start delay: a new one is slower
        }
    )
    busy = idle_slot(0.5, idle=100)
    busy.active.add(Request("http://busy.com/"))
    loader.slots["busy.com"] = busy
    loader._slot_gc()
    assert set(loader.slots) == {"recent.com", "throttled.com", "busy.com"}


def test_a_host_with_its_own_delay_in_download_slots_is_forgotten_at_that_delay() -> None:
    loader = downloader(DOWNLOAD_SLOTS={"own.com": {"delay": 5.0}})
    loader.slots.update({"own.com": idle_slot(5.0, idle=16), "other.com": idle_slot(5.0, idle=16)})
    loader._slot_gc()
    # own.com would start again at 5 s; any other host at 0.5 s, which would forget its 5 s.
    assert set(loader.slots) == {"other.com"}


def test_the_hosts_of_one_registered_domain_share_a_slot() -> None:
    loader = downloader()
    assert {loader.get_slot_key(Request(f"http://s{n}.pub.com/p")) for n in range(3)} == {"pub.com"}
    assert loader.get_slot_key(Request("http://www.bbc.co.uk/")) == "bbc.co.uk"
    # A platform's users are domains of their own (the public suffix list's private part).
    assert loader.get_slot_key(Request("http://alice.blogspot.com/")) == "alice.blogspot.com"
    assert loader.get_slot_key(Request("http://127.0.0.1:8080/")) == "127.0.0.1"
    # Scrapy's own choices win: a request's slot, and slots per IP address.
    assert loader.get_slot_key(Request("http://s1.pub.com/", meta={"download_slot": "mine"})) == "mine"
    with pytest.warns(ScrapyDeprecationWarning, match="CONCURRENT_REQUESTS_PER_IP"):
        by_ip = downloader(CONCURRENT_REQUESTS_PER_IP=1)
    assert by_ip.get_slot_key(Request("http://s1.pub.com/")) == "s1.pub.com"


def test_a_site_of_many_hosts_gets_two_requests_at_a_time(tmp_path: Path) -> None:
    hosts = [f"s{n}.pub.com" for n in range(8)]
    links = "".join(f'<a href="http://{host}/">{host}</a>' for host in hosts)
    sites: dict[str, dict[str, Resource]] = {"seed.org": {"/": Resource(html(links))}}
    sites.update({host: {"/": Resource(html("<p>slow</p>"), delay=1.0)} for host in hosts})
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with LocalWeb(sites) as web:
        crawl = run_crawl(
            url, "-a", "target=target.com", "-a", "seeds=http://seed.org/", proxy=web.proxy_url,
            settings={"ROBOTSTXT_OBEY": "False", "CONCURRENT_REQUESTS_PER_DOMAIN": "2"},
        )  # fmt: skip
        starts = [at for request, at in zip(web.requests, web.times, strict=True) if ".pub.com" in request]
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert len(starts) == len(hosts)
    # Each answer takes a second: requests that started within a second of another were in flight together.
    assert most_at_once(starts, 0.95) <= 2

"""The downloader forgets idle hosts sooner, and never a delay politeness needs."""

from __future__ import annotations

import inspect
from time import monotonic
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.core.downloader import Slot
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from backlink_spider import settings as project_settings
from backlink_spider.downloader import Downloader


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

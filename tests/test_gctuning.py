"""GcTuning: the collector's thresholds and freeze hold for the crawl and are undone after it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from backlink_spider import settings as project_settings
from backlink_spider.gctuning import GcTuning


@pytest.fixture(autouse=True)
def python_gc() -> Iterator[None]:
    """Each test starts and ends with this process's own settings."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def extension(**settings: object) -> GcTuning:
    return GcTuning.from_crawler(get_crawler(settings_dict=settings))


def test_the_project_enables_it() -> None:
    assert "backlink_spider.gctuning.GcTuning" in project_settings.EXTENSIONS


def test_a_crawl_runs_with_the_thresholds_set_and_what_lived_before_frozen() -> None:
    before = gc.get_threshold()
    tuning = extension(BACKLINKS_GC_THRESHOLD=[5000, 10, 10], BACKLINKS_GC_FREEZE=True)
    tuning.spider_opened()
    assert gc.get_threshold() == (5000, 10, 10)
    assert gc.get_freeze_count() > 0
    tuning.spider_closed()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_thresholds_from_the_command_line_and_freeze_alone() -> None:
    tuning = extension(BACKLINKS_GC_THRESHOLD="20000,20", BACKLINKS_GC_FREEZE=False)
    tuning.spider_opened()
    assert gc.get_threshold()[:2] == (20000, 20)
    assert gc.get_freeze_count() == 0
    tuning = extension(BACKLINKS_GC_THRESHOLD="", BACKLINKS_GC_FREEZE=True)
    before = gc.get_threshold()
    tuning.spider_opened()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() > 0


def test_python_s_settings_when_both_are_off_and_a_clear_error_for_a_bad_threshold() -> None:
    with pytest.raises(NotConfigured):
        extension(BACKLINKS_GC_THRESHOLD=[], BACKLINKS_GC_FREEZE=False)
    with pytest.raises(ValueError, match="BACKLINKS_GC_THRESHOLD"):
        extension(BACKLINKS_GC_THRESHOLD=[1, 2, 3, 4])
    with pytest.raises(ValueError, match="whole numbers"):
        extension(BACKLINKS_GC_THRESHOLD="many")

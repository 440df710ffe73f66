"""Compact seen-sets: exact counts across merges, the duplicate filter, and their memory."""

from __future__ import annotations

import random
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.test import get_crawler

from backlink_spider import frontier as frontier_module
from backlink_spider.frontier import Frontier
from backlink_spider.seen import CompactDupeFilter, FingerprintCounter, fingerprint

KEYS = st.integers(min_value=0, max_value=2**64 - 1)


@pytest.mark.parametrize("memory", [0, 8])
@given(st.lists(st.one_of(KEYS, st.sampled_from([0, 1, 2**63 - 1, 2**63, 2**64 - 1])), max_size=300))
def test_counts_are_exact_across_merges_and_spills_to_disk(memory: int, keys: list[int]) -> None:
    # A buffer of 4 merges the recent keys into the arrays again and again; with a memory of
    # 8 the arrays go to disk whenever they hold 8, and keys counted again after their spill
    # go on counting from what was stored.
    counter = FingerprintCounter(buffer=4, memory=memory)
    model: Counter[int] = Counter()
    for key in keys:
        assert counter.add(key) == model[key]
        model[key] += 1
        assert len(counter) == len(model)
    for key in set(keys) | {12345}:
        assert counter.count(key) == model[key]
        assert (key in counter) is (model[key] > 0)


def test_keys_counted_again_after_their_merge_keep_counting() -> None:
    counter = FingerprintCounter(buffer=2)
    for key in (5, 3, 9, 1):  # two merges
        counter.add(key)
    assert counter.add(3) == 1
    assert counter.add(3) == 2
    assert counter.count(3) == 3
    assert counter.count(4) == 0


def test_fingerprints_tell_strings_apart() -> None:
    urls = [f"https://a.com/page/{n}" for n in range(10_000)]
    assert len({fingerprint(url) for url in urls}) == len(urls)
    assert all(0 <= fingerprint(url) < 2**64 for url in urls)
    assert fingerprint("https://a.com/") == fingerprint("https://a.com" + "/")


def test_the_duplicate_filter_drops_a_request_seen_before() -> None:
    crawler = get_crawler()
    dupes = CompactDupeFilter.from_crawler(crawler)
    assert dupes.request_seen(Request("https://a.com/x?b=2&a=1")) is False
    # Same canonical URL: seen.
    assert dupes.request_seen(Request("https://a.com/x?a=1&b=2")) is True
    assert dupes.request_seen(Request("https://a.com/x?a=1&b=2", method="POST")) is False
    assert dupes.request_seen(Request("https://a.com/y")) is False


def test_with_a_job_directory_the_duplicate_filter_keeps_scrapys_file(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path)})
    dupes = CompactDupeFilter.from_crawler(crawler)
    assert dupes.request_seen(Request("https://a.com/x")) is False
    dupes.close("shutdown")
    again = CompactDupeFilter.from_crawler(crawler)
    assert again.request_seen(Request("https://a.com/x")) is True
    again.close("finished")


def _traced_bytes(fill: Callable[[], object], entries: int) -> float:
    """Bytes a call of ``fill`` leaves allocated, per entry."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = fill()  # noqa: F841 (kept alive until measured)
        return (tracemalloc.get_traced_memory()[0] - before) / entries
    finally:
        tracemalloc.stop()


def _random_keys(seed: int, count: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(64) for _ in range(count)]


def _filled(keys: list[int], **options: int) -> Callable[[], FingerprintCounter]:
    """What fills a ``FingerprintCounter(**options)`` with ``keys``."""

    def fill() -> FingerprintCounter:
        counter = FingerprintCounter(**options)
        for key in keys:
            counter.add(key)
        return counter

    return fill


def test_a_fingerprint_costs_a_dozen_bytes_once_merged() -> None:
    # 12 bytes merged, plus up to a sixteenth in the dict; a set of ints would take ~60.
    assert _traced_bytes(_filled(_random_keys(7, 150_000), buffer=5_000), 150_000) < 20


def test_the_recent_fingerprints_of_a_crawl_stay_few() -> None:
    # 120,000 URLs, as a crawl of some 40,000 pages queues: the default buffer keeps most
    # of them merged (with a floor of 65,536 over half stayed in the dict: 28 bytes a URL).
    assert _traced_bytes(_filled(_random_keys(8, 120_000)), 120_000) < 16


def test_the_frontier_remembers_a_url_in_a_few_dozen_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the frontier keeps is measured, not how fast it canonicalises (slow under tracemalloc).
    monkeypatch.setattr(frontier_module, "canonicalize_url", str)
    admit = 70_000
    urls = [(f"https://s{n // 50}.com/a/{n}", f"s{n // 50}.com") for n in range(admit)]

    def fill() -> Frontier:
        frontier = Frontier(max_depth=5, pages_per_domain=10**9)
        for url, domain in urls:
            assert frontier.admit(url, domain, 1) is not None
        return frontier

    # A set of the URLs and a dict of their (domain, path) took ~180 bytes a URL here (these are short);
    # a fingerprint of each URL's path too, ~40. A URL without a query is no variant of a page: one fingerprint.
    assert _traced_bytes(fill, admit) < 26


# -- beyond BACKLINKS_SEEN_MEMORY: on disk -------------------------------------------------


def test_a_counter_holds_at_most_its_memory_and_keeps_the_rest_on_disk() -> None:
    keys = _random_keys(9, 300_000)
    fill = _filled(keys, memory=20_000)
    # All in memory, 300,000 keys would hold 3.6 MB in the arrays alone; with 20,000 in
    # memory, at most the arrays' 240 KB and a dict of 8,192 recent keys (~70 bytes each).
    assert _traced_bytes(fill, len(keys)) * len(keys) < 1.2 * 2**20
    counter = fill()
    assert len(counter) == len(keys)
    assert all(counter.count(key) == 1 for key in keys[::1000])
    assert counter.count(2**64 - 1 - keys[0]) == 0


def test_past_its_memory_the_frontier_admits_what_it_would_all_in_memory() -> None:
    rng = random.Random(10)
    # 60,000 links, half of them found again, over 3,000 domains whose budgets fill up.
    links = [(f"https://www.s{n % 3000}.com/p/{n % 30_000}?page={n % 7}", f"s{n % 3000}.com") for n in range(60_000)]
    rng.shuffle(links)
    in_memory = Frontier(max_depth=5, pages_per_domain=8, variants_per_path=3, seen_memory=0)
    on_disk = Frontier(max_depth=5, pages_per_domain=8, variants_per_path=3, seen_memory=10_000)
    assert [on_disk.admit(url, domain, 1) for url, domain in links] == [
        in_memory.admit(url, domain, 1) for url, domain in links
    ]
    assert on_disk.traps == in_memory.traps
    assert all(on_disk.admitted(f"s{n}.com") == in_memory.admitted(f"s{n}.com") for n in range(3000))
    assert on_disk._seen._spilled is not None


def test_the_duplicate_filter_keeps_what_it_moved_to_disk() -> None:
    crawler = get_crawler(settings_dict={"BACKLINKS_SEEN_MEMORY": 5_000})
    dupes = CompactDupeFilter.from_crawler(crawler)
    requests = [Request(f"https://a.com/{n}") for n in range(20_000)]
    assert not any(dupes.request_seen(request) for request in requests)
    assert all(dupes.request_seen(request) for request in requests)
    assert dupes.request_seen(Request("https://a.com/new")) is False
    assert dupes._compact._spilled is not None


def test_when_the_disk_fails_the_counts_stay_in_memory_and_the_crawl_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    counter = FingerprintCounter(buffer=4, memory=8)
    for key in range(8):
        counter.add(key)
    spilled = counter._spilled
    assert spilled is not None and spilled.count(3) == 1
    spilled._connection.close()  # as a disk that fails
    for key in range(100, 140):
        assert counter.add(key) == 0
    assert all(counter.count(key) == 1 for key in range(100, 140))
    # What the file held can no longer be read: such a URL may be queued again, none is lost.
    assert counter.count(3) == 0
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert "stays in memory" in caplog.text


def _run_filter(crawler: Crawler, kind: type[RFPDupeFilter], answers: dict[str, bool]) -> None:
    """A crawl's run with a duplicate filter of ``kind`` in its job directory: it asks about
    each URL of ``answers`` (which says whether it was seen), and stops."""
    dupes = kind.from_crawler(crawler)
    assert {url: dupes.request_seen(Request(url)) for url in answers} == answers
    dupes.close("shutdown")


def test_a_job_directory_resumes_across_scrapys_filter_and_ours(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path)})
    _run_filter(crawler, RFPDupeFilter, {"https://a.com/scrapy": False})
    _run_filter(crawler, CompactDupeFilter, {"https://a.com/scrapy": True, "https://a.com/ours": False})
    _run_filter(crawler, RFPDupeFilter, {"https://a.com/ours": True})


def test_a_fingerprint_cut_short_by_a_kill_is_dropped_and_those_after_it_are_read(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path)})
    _run_filter(crawler, CompactDupeFilter, {"https://a.com/1": False})
    with (tmp_path / "requests.seen").open("ab") as seen:
        seen.write(b"\x00\x14half")  # a kill while writing a 20-byte fingerprint
    _run_filter(crawler, CompactDupeFilter, {"https://a.com/1": True, "https://a.com/2": False})
    _run_filter(crawler, CompactDupeFilter, {"https://a.com/2": True})


def test_with_a_job_directory_a_request_seen_costs_a_dozen_bytes(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path)})

    def fill() -> CompactDupeFilter:
        dupes = CompactDupeFilter.from_crawler(crawler)
        for number in range(30_000):
            # Each request let go, as in a crawl (the fingerprinter caches it while it lives).
            dupes.request_seen(Request(f"https://s{number % 300}.com/page/{number}"))
        return dupes

    # Scrapy's filter holds each whole fingerprint in a set: 127 bytes a request here; ours
    # 12 a fingerprint merged and up to 8,192 recent ones in a dict.
    assert _traced_bytes(fill, 30_000) < 40

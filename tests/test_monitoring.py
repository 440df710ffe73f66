"""What an operator reads about a finished crawl."""

from __future__ import annotations

from backlink_spider.monitoring import pages_per_minute, problems, summary


def test_summary_names_pages_links_errors_and_pace() -> None:
    stats = {
        "backlinks/stored/pages": 30,
        "backlinks/stored/backlinks": 12,
        "backlinks/fetch_failed/TimeoutError": 2,
        "backlinks/fetch_failed/HttpError": 1,
        "backlinks/fetch_gone": 6,
        "robotstxt/forbidden": 4,
        "elapsed_time_seconds": 90.0,
    }
    assert summary(7, "finished", stats, (5, 1)) == (
        "Crawl 7 ended (finished): 30 pages, 12 backlinks (5 new, 1 lost), 3 pages failed, 6 gone (404, 410), "
        "4 denied by robots.txt, 0 refused by the network guard, 20.0 pages/min"
    )
    # Every host unreachable (DNS down): what robots.txt "denied" is that its file could not be fetched.
    unreachable = {"backlinks/stored/pages": 1, "robotstxt/forbidden": 301, "backlinks/robots/unreachable": 1}
    assert summary(8, "finished", unreachable, (0, 0)) == (
        "Crawl 8 ended (finished): 1 page, 0 backlinks (0 new, 0 lost), 0 pages failed, 0 gone (404, 410), "
        "301 denied by robots.txt (1 host whose robots.txt could not be fetched), 0 refused by the network guard, "
        "0.0 pages/min"
    )
    # A crawl resumed from its JOBDIR: this run, then the whole crawl, whose are the new and lost.
    assert summary(
        9, "finished", {"backlinks/stored/pages": 1, "backlinks/stored/backlinks": 2}, (40, 0), (41, 40)
    ) == (
        "Crawl 9 ended (finished): 1 page, 2 backlinks in this run; 41 pages, 40 backlinks in all its runs "
        "(40 new, 0 lost), 0 pages failed, 0 gone (404, 410), 0 denied by robots.txt, 0 refused by the network guard, "
        "0.0 pages/min"
    )
    # The database went away before the crawl's end was recorded: it has not counted the changes.
    assert summary(10, "database_unavailable", {"backlinks/stored/pages": 3}, None).startswith(
        "Crawl 10 ended (database_unavailable): 3 pages, 0 backlinks (new and lost known once its unsaved rows are"
        " restored), 0 pages failed"
    )
    assert pages_per_minute({"backlinks/stored/pages": 5}) == 0.0


def test_problems_of_a_failed_crawl() -> None:
    assert problems({"backlinks/stored/pages": 3}) == []
    assert problems({}) == ["no page was fetched and parsed (are the seeds reachable?)"]
    # Seeds that all answered 404 or redirected to one: stored as pages gone or moved, none parsed.
    left = {"backlinks/stored/pages": 2, "backlinks/pages/gone_or_moved": 2}
    assert problems(left) == ["no page was fetched and parsed (are the seeds reachable?)"]
    assert problems({**left, "backlinks/stored/pages": 3}) == []
    # A resumed JOBDIR run whose last requests were probes: no page parsed, backlinks found.
    assert problems({**left, "backlinks/stored/backlinks": 2}) == []
    # A worker of a distributed crawl whose budget the other workers spent.
    assert problems({"backlinks/budget/exhausted": True}) == []
    # A worker that found no work (the others held it all), and one whose own fetches all failed.
    assert problems({"backlinks/distributed/crawl_fetches": 40}) == []
    worker_failed = {"backlinks/distributed/crawl_fetches": 40, "backlinks/budget/fetches": 5}
    assert problems(worker_failed) == ["no page was fetched and parsed (are the seeds reachable?)"]
    # One whose share was a dead worker's pages, all gone: answered, not failed; alone, it has.
    took_over_gone = {**worker_failed, "backlinks/stored/pages": 5, "backlinks/pages/gone_or_moved": 5}
    assert problems(took_over_gone) == []
    alone = {**took_over_gone, "backlinks/distributed/crawl_fetches": 5}
    assert problems(alone) == ["no page was fetched and parsed (are the seeds reachable?)"]
    assert problems({"backlinks/stored/pages": 3, "backlinks/db/unsaved": 9, "log_count/CRITICAL": 1}) == [
        "9 rows could not be stored (see unsaved-backlinks-*.jsonl)",
        "1 critical errors were logged",
    ]
    assert problems({"backlinks/stored/pages": 3, "backlinks/db/end_unsaved": True}) == [
        "the crawl's end could not be recorded (see unsaved-backlinks-*.jsonl)"
    ]
    assert problems({"backlinks/stored/pages": 3, "backlinks/db/unsaved": 9, "log_count/CRITICAL": 1}) == [
        "9 rows could not be stored (see unsaved-backlinks-*.jsonl)",
        "1 critical errors were logged",
    ]

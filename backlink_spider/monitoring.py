"""What an operator reads about a finished crawl: a summary line, and the problems that
make it a failed crawl (non-zero exit code), judged from the crawl's stats alone."""

from __future__ import annotations

from typing import Any

from backlink_spider.budget import STAT_FETCHES
from backlink_spider.distributed import STAT_CRAWL_FETCHES
from backlink_spider.guard import STAT_GUARD_REFUSED
from backlink_spider.robots import STAT_ROBOTS_UNREACHABLE
from backlink_spider.wording import count_of

# Records of pages gone or moved (404, 410, a redirect): stored with no links, never parsed.
STAT_LEFT = "backlinks/pages/gone_or_moved"
# Fetches answered 404 or 410: pages gone, not failures.
STAT_GONE = "backlinks/fetch_gone"
# Set when the crawl's end went to the unsaved file instead of its row in crawls.
STAT_END_UNSAVED = "backlinks/db/end_unsaved"


def pages_per_minute(stats: dict[str, Any]) -> float:
    elapsed = float(stats.get("elapsed_time_seconds") or 0)
    pages = int(stats.get("backlinks/stored/pages") or 0)
    return round(60 * pages / elapsed, 1) if elapsed > 0 else 0.0


def failures(stats: dict[str, Any]) -> int:
    return sum(value for key, value in stats.items() if key.startswith("backlinks/fetch_failed/"))


def summary(
    crawl_id: int,
    reason: str,
    stats: dict[str, Any],
    new_and_lost: tuple[int, int] | None,
    all_runs: tuple[int, int] | None = None,
) -> str:
    """One line: the crawl's outcome, its pages and links, its errors and its pace. A crawl
    resumed from its JOBDIR gives ``all_runs``, its pages and backlinks over every run: this
    run's counts come first, then those, with the links new and lost, which are the whole crawl's.
    ``new_and_lost`` is None when the database could not count them (its end was saved to the
    unsaved file)."""
    unreachable = stats.get(STAT_ROBOTS_UNREACHABLE, 0)
    why = f" ({count_of(unreachable, 'host')} whose robots.txt could not be fetched)" if unreachable else ""
    found = (
        f"{count_of(stats.get('backlinks/stored/pages', 0), 'page')}, "
        f"{count_of(stats.get('backlinks/stored/backlinks', 0), 'backlink')}"
    )
    if all_runs is not None:
        found += f" in this run; {count_of(all_runs[0], 'page')}, {count_of(all_runs[1], 'backlink')} in all its runs"
    if new_and_lost is None:
        changes = "new and lost known once its unsaved rows are restored"
    else:
        changes = f"{new_and_lost[0]} new, {new_and_lost[1]} lost"
    return (
        f"Crawl {crawl_id} ended ({reason}): {found} ({changes}), "
        f"{count_of(failures(stats), 'page')} failed, {stats.get(STAT_GONE, 0)} gone (404, 410), "
        f"{stats.get('robotstxt/forbidden', 0)} denied by robots.txt{why}, "
        f"{stats.get(STAT_GUARD_REFUSED, 0)} refused by the network guard, "
        f"{pages_per_minute(stats)} pages/min"
    )


def problems(stats: dict[str, Any]) -> list[str]:
    """Why the crawl must count as failed; empty when it went well."""
    found = []
    # A worker of a distributed crawl can find its budget spent by the others.
    # A resumed run may have had only probes left to answer: what they found counts.
    parsed = stats.get("backlinks/stored/pages", 0) - stats.get(STAT_LEFT, 0)
    backlinks = stats.get("backlinks/stored/backlinks", 0)
    # One that joined a crawl its other workers had all the work of has not failed either, nor
    # one whose share, while the others fetched, was pages gone or moved (a dead worker's
    # requests it took over): its fetches were answered. One whose fetches all failed has.
    others_fetched = stats.get(STAT_CRAWL_FETCHES, 0) > stats.get(STAT_FETCHES, 0)
    idle_worker = others_fetched and (not stats.get(STAT_FETCHES) or stats.get(STAT_LEFT, 0) > 0)
    if parsed <= 0 and not backlinks and not stats.get("backlinks/budget/exhausted") and not idle_worker:
        found.append("no page was fetched and parsed (are the seeds reachable?)")
    if stats.get("backlinks/db/unsaved"):
        found.append(f"{stats['backlinks/db/unsaved']} rows could not be stored (see unsaved-backlinks-*.jsonl)")
    if stats.get(STAT_END_UNSAVED):
        found.append("the crawl's end could not be recorded (see unsaved-backlinks-*.jsonl)")
    if stats.get("backlinks/db/gave_up"):
        found.append("the database was unavailable for longer than BACKLINKS_DB_OUTAGE_TIMEOUT")
    if stats.get("log_count/CRITICAL"):
        found.append(f"{stats['log_count/CRITICAL']} critical errors were logged")
    return found

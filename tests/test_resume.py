"""Resume after kill -9: a crawl with JOBDIR that is killed hard and started again
continues where it stopped, re-fetches no page it had stored, loses no backlink, and
keeps counting in the same crawl row."""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from backlink_spider.localweb import LocalWeb, Resource
from backlink_spider.scheduler import _SCHEMA, DONE, PENDING, SKIPPED, ended_frontier
from tests.conftest import Crawl, finish_crawl, run_crawl, start_crawl
from tests.web import html

PAGES = 40
BUDGET = 15


def slow_chain() -> dict[str, Resource]:
    return {
        f"/p{n}": Resource(
            html(
                f'<p><a href="http://target.com/{n}">t</a></p><a href="/p{n + 1}">next</a> <a href="/p{n + 2}">skip</a>'
            ),
            delay=0.1,
        )
        for n in range(PAGES)
    }


ARGUMENTS = ("-a", "target=target.com", "-a", "seeds=http://slow.com/p0", "-a", "pages_per_domain=1000",
             "-a", "max_depth=1000")  # fmt: skip


def kill_once_stored(web: LocalWeb, database_url: str, at_least: int, arguments: tuple[str, ...],
                     settings: dict[str, str]) -> set[str]:  # fmt: skip
    """Start the crawl, kill -9 it once ``at_least`` pages are stored; the pages stored."""
    process = start_crawl(database_url, *arguments, proxy=web.proxy_url, settings=settings)
    crawl = Crawl(process, database_url)  # type: ignore[arg-type]
    deadline = time.monotonic() + 60
    stored: set[str] = set()
    while len(stored) < at_least and time.monotonic() < deadline:
        time.sleep(0.1)
        if _has_pages(crawl):
            stored = {row[0] for row in crawl.rows("SELECT url FROM pages")}
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return {row[0] for row in crawl.rows("SELECT url FROM pages")}


def test_kill_9_then_resume_refetches_nothing_stored_and_loses_nothing(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    settings = {"JOBDIR": str(tmp_path / "job"), "BACKLINKS_FLUSH_INTERVAL": "0.1"}
    with LocalWeb({"slow.com": slow_chain()}) as web:
        stored = kill_once_stored(web, database_url, 10, ARGUMENTS, settings)
        crawl = Crawl(None, database_url)  # type: ignore[arg-type]
        backlinks_before = {row[0] for row in crawl.rows("SELECT target_url FROM backlinks")}
        assert 10 <= len(stored) < PAGES
        first_run = len(web.requests)
        resumed = run_crawl(database_url, *ARGUMENTS, proxy=web.proxy_url, settings=settings)
        assert resumed.process.returncode == 0, resumed.process.stderr[-2000:]
        second_run = fetched_after(web, first_run)
    assert "Resuming crawl 1" in resumed.process.stderr
    assert not stored & set(second_run), "pages stored before the kill were fetched again"
    assert len(second_run) == len(set(second_run))
    pages = {f"http://slow.com/p{n}" for n in range(PAGES)}
    assert {row[0] for row in resumed.rows("SELECT url FROM pages WHERE status = 200")} == pages
    # The last two pages link to two that answer 404: stored as pages gone, with no links.
    missing = {f"http://slow.com/p{n}" for n in (PAGES, PAGES + 1)}
    assert {row[0] for row in resumed.rows("SELECT url FROM pages WHERE status = 404")} == missing
    backlinks = {row[0] for row in resumed.rows("SELECT target_url FROM backlinks")}
    assert backlinks_before <= backlinks
    assert backlinks == {f"http://target.com/{n}" for n in range(PAGES)}
    assert resumed.rows("SELECT id, pages, finish_reason FROM crawls") == [(1, PAGES + 2, "finished")]
    # Its last line tells this run from the whole crawl, whose links are all new.
    whole = f"{PAGES + 2} pages, {PAGES} backlinks in all its runs ({PAGES} new, 0 lost)"
    assert re.search(rf"Crawl 1 ended \(finished\): \d+ pages?, \d+ backlinks? in this run; {re.escape(whole)}",
                     resumed.process.stderr)  # fmt: skip


@pytest.mark.parametrize("budget", ["max_pages", "pages_per_domain"])
def test_a_resumed_crawl_carries_on_with_its_budgets(tmp_path: Path, budget: str) -> None:
    """The pages fetched and scheduled before the kill count: the budget holds across
    both runs, instead of starting afresh."""
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    settings = {"JOBDIR": str(tmp_path / "job"), "BACKLINKS_FLUSH_INTERVAL": "0.1"}
    arguments = (*ARGUMENTS, "-a", f"{budget}={BUDGET}")
    with LocalWeb({"slow.com": slow_chain()}) as web:
        stored = kill_once_stored(web, database_url, 5, arguments, settings)
        assert 5 <= len(stored) < BUDGET
        resumed = run_crawl(database_url, *arguments, proxy=web.proxy_url, settings=settings)
        assert resumed.process.returncode == 0, resumed.process.stderr[-2000:]
    assert "Resuming crawl 1" in resumed.process.stderr
    assert resumed.rows("SELECT count(DISTINCT url), count(*) FROM pages") == [(BUDGET, BUDGET)]
    assert resumed.rows("SELECT pages FROM crawls") == [(BUDGET,)]


def _has_pages(crawl: Crawl) -> bool:
    return bool(crawl.rows("SELECT count(*) FROM sqlite_master WHERE name = 'pages'")[0][0])


def fetched_after(web: LocalWeb, start: int) -> list[str]:
    return [url for url in web.requests[start:] if url.startswith("http://slow.com/p")]


@pytest.mark.parametrize(
    ("budget", "reason", "pages", "refusal"),
    [
        # Every request ended: the chain's pages within max_depth (p0 to p6).
        ("max_depth=3", "finished", 7, "holds a crawl that has ended"),
        # Requests are left, but the page budget they would be fetched within is spent.
        ("max_pages=4", "max_pages", 4, "holds a crawl that has fetched 4 pages, its max_pages of 4"),
    ],
)
def test_a_job_directory_with_nothing_left_to_fetch_is_refused_and_the_crawl_s_row_kept(
    tmp_path: Path, budget: str, reason: str, pages: int, refusal: str
) -> None:
    """Started again, such a JOBDIR would crawl nothing, blame the seeds, and overwrite the
    end of its crawl in ``crawls``: it is refused in one line."""
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    settings = {"JOBDIR": str(tmp_path / "job"), "BACKLINKS_FLUSH_INTERVAL": "0.1"}
    arguments = (*ARGUMENTS, "-a", budget)
    with LocalWeb({"slow.com": slow_chain()}) as web:
        first = run_crawl(database_url, *arguments, proxy=web.proxy_url, settings=settings)
        assert first.process.returncode == 0, first.process.stderr[-2000:]
        ended = first.rows("SELECT finish_reason, pages, finished_at FROM crawls")
        assert [(reason_, pages_) for reason_, pages_, _ in ended] == [(reason, pages)]
        fetched = len(web.requests)
        again = run_crawl(database_url, *arguments, proxy=web.proxy_url, settings=settings)
        assert len(web.requests) == fetched
    assert again.process.returncode == 1
    last = again.process.stderr.strip().splitlines()[-1]
    assert last.startswith(f"scrapy crawl backlinks: error: JOBDIR {tmp_path / 'job'} {refusal}"), last
    assert "Traceback" not in again.process.stderr
    assert again.rows("SELECT finish_reason, pages, finished_at FROM crawls") == ended


def test_a_crawl_stopped_by_max_pages_goes_on_with_a_larger_one_and_loses_no_link(tmp_path: Path) -> None:
    """The links of the pages fetched as the budget ran out, and the requests it refused, stay
    in the job directory: a larger max_pages fetches the rest of the web, nothing twice."""
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    settings = {"JOBDIR": str(tmp_path / "job"), "BACKLINKS_FLUSH_INTERVAL": "0.1"}
    with LocalWeb({"slow.com": slow_chain()}) as web:
        first = run_crawl(database_url, *ARGUMENTS, "-a", "max_pages=4", proxy=web.proxy_url, settings=settings)
        assert first.process.returncode == 0, first.process.stderr[-2000:]
        assert first.rows("SELECT finish_reason, pages FROM crawls") == [("max_pages", 4)]
        more = run_crawl(database_url, *ARGUMENTS, "-a", "max_pages=1000", proxy=web.proxy_url, settings=settings)
        assert more.process.returncode == 0, more.process.stderr[-2000:]
        fetched = fetched_after(web, 0)
    assert len(fetched) == len(set(fetched)) == PAGES + 2
    assert {row[0] for row in more.rows("SELECT url FROM pages WHERE status = 200")} == {
        f"http://slow.com/p{n}" for n in range(PAGES)
    }
    assert {row[0] for row in more.rows("SELECT target_url FROM backlinks")} == {
        f"http://target.com/{n}" for n in range(PAGES)
    }
    assert more.rows("SELECT id, pages, finish_reason FROM crawls") == [(1, PAGES + 2, "finished")]


def test_a_job_directory_has_ended_when_every_request_in_it_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from a JOBDIR given as a relative path, as the README gives it."""
    monkeypatch.chdir(tmp_path)
    assert ended_frontier("job") is None  # no frontier yet
    Path("job").mkdir()
    with closing(sqlite3.connect("job/frontier.sqlite3")) as db, db:
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO frontier (fingerprint, priority, state, request) VALUES (?, 0, ?, x'')",
            [(b"a", DONE), (b"b", SKIPPED), (b"c", PENDING)],
        )
    assert ended_frontier("job") is None  # one request is left
    with closing(sqlite3.connect("job/frontier.sqlite3")) as db, db:
        db.execute("UPDATE frontier SET state = ? WHERE state = ?", (DONE, PENDING))
    assert ended_frontier("job") == 3


def test_a_stop_does_not_wait_out_a_crawl_delay_and_the_resumed_crawl_fetches_what_waited(tmp_path: Path) -> None:
    """Requests queued behind a site's Crawl-delay are not fetched once the crawl is stopping (a
    graceful stop waited out the delay for each of them: ten behind 30 s held it five minutes, past
    systemd's stop timeout); they stay in the job directory, and the resumed crawl fetches them."""
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    settings = {"JOBDIR": str(tmp_path / "job"), "BACKLINKS_FLUSH_INTERVAL": "0.1"}
    pages = {f"/p{n}": Resource(html(f'<p><a href="http://target.com/{n}">t</a></p>')) for n in range(10)}
    pages["/"] = Resource(html("".join(f'<a href="/p{n}">{n}</a> ' for n in range(10))))
    pages["/robots.txt"] = Resource("User-agent: *\nCrawl-delay: 10\n", headers={"Content-Type": "text/plain"})
    arguments = ("-a", "target=target.com", "-a", "seeds=http://polite.com/")
    with LocalWeb({"polite.com": pages}) as web:
        process = start_crawl(database_url, *arguments, proxy=web.proxy_url, settings=settings)
        crawl = Crawl(process, database_url)  # type: ignore[arg-type]
        deadline = time.monotonic() + 60
        while "http://polite.com/" not in web.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)  # its ten links are queued behind the delay
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        stderr = finish_crawl(process, 60)
        took = time.monotonic() - stopped_at
        assert process.returncode == 0, stderr[-2000:]
        assert took < 20, f"the stop took {took:.0f} s"
        assert "Stopping: 10 requests waiting for their turn on their site are not fetched" in stderr
        assert "Traceback" not in stderr
        assert not [url for url in web.requests if re.search(r"/p\d$", url)]
        first_run = len(web.requests)
        resumed = run_crawl(database_url, *arguments, proxy=web.proxy_url, settings=settings | {
            "BACKLINKS_MAX_CRAWL_DELAY": "0"})  # fmt: skip
        assert resumed.process.returncode == 0, resumed.process.stderr[-2000:]
        again = web.requests[first_run:]
    pages_again = sorted(url for url in again if re.search(r"/p\d$", url))
    assert pages_again == sorted(f"http://polite.com/p{n}" for n in range(10))
    assert {row[0] for row in crawl.rows("SELECT target_url FROM backlinks")} == {
        f"http://target.com/{n}" for n in range(10)
    }

"""Bad command-line input: a one-line error naming the argument or setting, exit code 2, no traceback,
and nothing started (no database created)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from backlink_spider.scheduler import _SCHEMA, DONE
from tests.conftest import run_crawl


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "argument target: is required"),
        (("-a", "target="), "argument target: is empty"),
        (("-a", "target=localhost"), "argument target: 'localhost' is not a public domain"),
        (("-a", "target=127.0.0.1"), "argument target: '127.0.0.1' is not a public domain"),
        (("-a", "target=co.uk"), "argument target: 'co.uk' is a public suffix"),
        (("-a", "target=example.com;rm -rf /"), "argument target: 'example.com;rm -rf /' is not a domain"),
        (("-a", "target=example.com", "-a", "seeds=no-such-list"), "argument seeds: 'no-such-list' is neither"),
        (("-a", "target=example.com", "-a", "seeds=ftp://example.org/"), "argument seeds: 'ftp://example.org/'"),
        (("-a", "target=example.com", "-a", "max_pages=lots"), "argument max_pages: 'lots' is not a whole number"),
        (("-a", "target=example.com", "-a", "max_depth=-1"), "argument max_depth: must be at least 0"),
        (("-a", "target=example.com", "-a", "pages_per_domain=0"), "argument pages_per_domain: must be at least 1"),
        (("-a", "target=example.com", "-a", "max_page=5"), "argument max_page: is not an argument of the spider"),
        (("-a", "target=example.com", "-a", "keywords=seo"), "argument keywords: is not an argument of the spider"),
        (("-a", "target=example.com", "-s", "BACKLINKS_MAX_PAGES=abc"), "setting BACKLINKS_MAX_PAGES: 'abc' is not"),
        (
            ("-a", "target=example.com", "-s", "BACKLINKS_MAX_PAGES=0"),
            "setting BACKLINKS_MAX_PAGES: must be at least 1",
        ),
        (("-a", "target=example.com", "-s", "BACKLINKS_RENDER_TIMEOUT=x"), "setting BACKLINKS_RENDER_TIMEOUT: 'x' is"),
        (("-a", "target=example.com", "-s", "BACKLINKS_RENDER_MODE=sometimes"), "setting BACKLINKS_RENDER_MODE: must"),
        (("-a", "target=example.com", "-s", "DOWNLOAD_TIMEOUT=abc"), "setting DOWNLOAD_TIMEOUT: 'abc' is not a number"),
        (("-a", "target=example.com", "-s", "ROBOTSTXT_OBEY=maybe"), "setting ROBOTSTXT_OBEY: 'maybe' is not True"),
        (
            ("-a", "target=example.com", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=0"),
            "setting CONCURRENT_REQUESTS_PER_DOMAIN: must be at least 1, got '0'",
        ),
        (
            ("-a", "target=example.com", "-s", "BACKLINKS_MAX_PAGE=5"),
            "setting BACKLINKS_MAX_PAGE: is not a setting of the project; did you mean BACKLINKS_MAX_PAGES?",
        ),
        (("-a", "target=example.com", "-L", "LOUD"), "setting LOG_LEVEL: must be one of CRITICAL"),
        # Where the crawl writes: a traceback at the start, or rows lost when they are needed.
        (
            ("-a", "target=example.com", "-s", "LOG_FILE=/no-such-directory/crawl.log"),
            "setting LOG_FILE: '/no-such-directory/crawl.log' cannot be created: no directory '/no-such-directory'",
        ),
        (
            ("-a", "target=example.com", "-s", "JOBDIR=/dev/null/job"),
            "setting JOBDIR: '/dev/null/job' cannot be created",
        ),
        (
            ("-a", "target=example.com", "-s", "BACKLINKS_UNSAVED_DIR=/dev/null"),
            "setting BACKLINKS_UNSAVED_DIR: '/dev/null' is not a directory",
        ),
    ],
)
def test_bad_argument_gives_one_line_error_and_exit_code_2(
    arguments: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    database = tmp_path / "db.sqlite3"
    crawl = run_crawl(f"sqlite:///{database}", *arguments)
    assert crawl.process.returncode == 2
    last_line = crawl.process.stderr.strip().splitlines()[-1]
    assert last_line.startswith("scrapy crawl backlinks: error: " + message), last_line
    assert "Traceback" not in crawl.process.stderr
    assert not database.exists()


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (("-a", "target=co.uk"), 2, "argument target: 'co.uk' is a public suffix"),
        (("-a", "target=example.com", "-s", "CONCURRENT_REQUESTS=0"), 2, "setting CONCURRENT_REQUESTS: must be"),
        (("-a", "target=example.com", "-s", "JOBDIR={tmp}/job"), 1, "JOBDIR {tmp}/job holds a crawl that has ended"),
    ],
)
def test_a_crawl_that_does_not_start_says_why_in_its_log_file(
    arguments: tuple[str, ...], code: int, message: str, tmp_path: Path
) -> None:
    # scrapyd's job log and a cron job's LOG_FILE are where the operator looks, not stderr.
    job = tmp_path / "job"
    job.mkdir()
    with closing(sqlite3.connect(job / "frontier.sqlite3")) as db, db:
        db.executescript(_SCHEMA)
        db.execute("INSERT INTO frontier (fingerprint, priority, state, request) VALUES (x'00', 0, ?, x'')", (DONE,))
    log = tmp_path / "crawl.log"
    arguments = tuple(argument.format(tmp=tmp_path) for argument in arguments)
    crawl = run_crawl(f"sqlite:///{tmp_path / 'db.sqlite3'}", *arguments, "-s", f"LOG_FILE={log}")
    assert crawl.process.returncode == code
    line = f"scrapy crawl backlinks: error: {message.format(tmp=tmp_path)}"
    assert crawl.process.stderr.strip().splitlines()[-1].startswith(line)
    assert log.read_text().strip().splitlines()[-1].endswith(crawl.process.stderr.strip().splitlines()[-1])


def test_a_seed_file_is_read_and_a_crawl_that_fetches_nothing_fails(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# my seeds\n\nhttp://127.0.0.1:9/\n")
    crawl = run_crawl(f"sqlite:///{tmp_path / 'db.sqlite3'}", "-a", "target=example.com", "-a", f"seeds={seeds}")
    assert "Refused http://127.0.0.1:9/" in crawl.process.stderr
    assert crawl.process.returncode == 1
    assert "The crawl failed: no page was fetched and parsed" in crawl.process.stderr
    ((reason, pages),) = crawl.rows("SELECT finish_reason, pages FROM crawls")
    assert (reason, pages) == ("finished", 0)

"""Several crawls writing into one PostgreSQL database at once: no duplicates, no deadlocks."""

from __future__ import annotations

from backlink_spider.localweb import LocalWeb
from tests.conftest import Crawl, start_crawl
from tests.services import postgres_database
from tests.test_crawl import BACKLINK_COLUMNS, normalise
from tests.web import EXPECTED_BACKLINKS, SEEDS


def test_simultaneous_crawls_of_one_web_store_each_link_once(web: LocalWeb) -> None:
    with postgres_database() as database_url:
        # Tiny batches and a short timer: the crawls interleave many transactions.
        settings = {"BACKLINKS_BATCH_SIZE": "2", "BACKLINKS_FLUSH_INTERVAL": "0.05"}
        processes = [
            start_crawl(
                database_url, "-a", "target=target.com", "-a", f"seeds={SEEDS}", proxy=web.proxy_url, settings=settings
            )
            for _ in range(3)
        ]
        outputs = [process.communicate(timeout=120) for process in processes]
        for process, (_, stderr) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, stderr[-2000:]
            assert "deadlock" not in stderr.lower()
            assert "Could not write" not in stderr
        crawl = Crawl(processes[0], database_url)  # type: ignore[arg-type]
        rows = crawl.rows(f"SELECT {BACKLINK_COLUMNS} FROM backlinks")
        assert len(rows) == len(EXPECTED_BACKLINKS)
        assert normalise(rows) == EXPECTED_BACKLINKS
        assert crawl.rows("SELECT count(*) FROM crawls WHERE finish_reason = 'finished'") == [(3,)]
        assert (
            crawl.rows("SELECT count(*), count(DISTINCT url) FROM pages")[0]
            == crawl.rows("SELECT count(DISTINCT url), count(DISTINCT url) FROM pages")[0]
        )

"""What a crawl's process holds in memory: the libraries of other commands and of the crawl's
last step stay out of it while it fetches.

``scrapy`` imports every command module of the project to list its commands, a crawl too,
so a command module's imports become the crawl's: DuckDB (``cc-graph``) would hold 21 MiB
of a crawl's memory, scipy (authority, ranked once the crawl is done) 35 MiB.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from scrapy import signals
from scrapy.crawler import Crawler

from backlink_spider.localweb import LocalWeb
from tests.conftest import run_crawl
from tests.web import SEEDS

HEAVY = ("duckdb", "scipy")


class ModulesLoaded:
    """A test extension: writes the top-level modules loaded by the time of each response to
    ``$FOOTPRINT_PATH`` (the last response's list stays)."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ModulesLoaded:
        extension = cls(os.environ["FOOTPRINT_PATH"])
        crawler.signals.connect(extension.response_received, signals.response_received)
        return extension

    def response_received(self) -> None:
        Path(self.path).write_text(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))


def test_a_crawl_fetches_without_duckdb_or_scipy_and_still_ranks_domains_at_its_end(
    web: LocalWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "modules.json"
    monkeypatch.setenv("FOOTPRINT_PATH", str(path))
    extensions = {"backlink_spider.gctuning.GcTuning": 0, f"{__name__}.{ModulesLoaded.__name__}": 0}
    crawl = run_crawl(
        f"sqlite:///{tmp_path / 'backlinks.sqlite3'}",
        "-a", "target=target.com", "-a", f"seeds={SEEDS}",
        proxy=web.proxy_url, settings={"EXTENSIONS": json.dumps(extensions)},
    )  # fmt: skip
    assert crawl.process.returncode == 0, crawl.process.stderr[-3000:]
    loaded = set(json.loads(path.read_text()))
    assert {"scrapy", "sqlalchemy", "selectolax", "numpy"} <= loaded  # what was recorded is the crawl's
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    # scipy is imported when the crawl's domains are ranked, at its end.
    assert crawl.rows("SELECT count(*) FROM domains WHERE authority > 0")[0][0] > 0

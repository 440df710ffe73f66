"""``scrapy crawl``, checking the spider's arguments and the database before anything starts.

A spider class may define ``check_arguments(kwargs, settings)``; an ``ArgumentError``
it raises becomes a one-line message on stderr and exit code 2, not a traceback, and so
does a setting that cannot be used (``settingcheck.py``), checked as soon as the command line is
read: Scrapy sets its logging up (``LOG_LEVEL``) before the command runs. When
the database pipeline is on, the database must be reachable and its schema current
(a new one is created), a ``JOBDIR`` must hold a crawl with something left to fetch
within ``max_pages``, and distributed mode's Redis must answer: otherwise one line on
stderr and exit code 1. A crawl that
ran but failed (see ``monitoring.problems``) logs why and exits with code 1, so cron and
scrapyd users notice; a crawl that does not start says why in ``LOG_FILE`` too.
"""

from __future__ import annotations

import argparse
import logging
import sys
from contextlib import suppress
from datetime import datetime

from scrapy import Spider
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from sqlalchemy.exc import SQLAlchemyError

from backlink_spider.arguments import ArgumentError
from backlink_spider.distributed import redis_problem
from backlink_spider.monitoring import problems
from backlink_spider.scheduler import ended_frontier, frontier_fetches
from backlink_spider.settingcheck import SettingError, check_settings
from pipelines.database import database_problem, database_url
from pipelines.migrate import SchemaBehind, prepare_database

DATABASE_PIPELINE = "pipelines.storage.DatabasePipeline"
logger = logging.getLogger(__name__)


def refuse(settings: BaseSettings, command: str, problem: object) -> None:
    """Say why the crawl does not start: on stderr, and in ``LOG_FILE`` when the log goes there
    (scrapyd's job log, a cron job's), where whoever reads the log looks for it."""
    line = f"{command}: error: {problem}"
    print(line, file=sys.stderr)
    log_file = settings.get("LOG_FILE")
    if log_file:
        with suppress(OSError), open(log_file, "a", encoding=settings.get("LOG_ENCODING") or "utf-8") as log:
            log.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} [{__name__}] ERROR: {line}\n")


class Command(ScrapyCrawlCommand):
    crawler: Crawler | None = None

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        try:
            check_settings(self.settings)  # before the arguments: their defaults are settings
        except SettingError as error:
            refuse(self.settings, " ".join(["scrapy crawl", *args[:1]]), error)
            sys.exit(2)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        check = arguments = None
        if len(args) == 1 and self.crawler_process is not None:
            spider_class = self.crawler_process.spider_loader.load(args[0])
            check = getattr(spider_class, "check_arguments", None)
            if check is not None:
                try:
                    arguments = check(opts.spargs, self.settings)
                except ArgumentError as error:
                    refuse(self.settings, f"scrapy crawl {args[0]}", error)
                    self.exitcode = 2
                    return
            problem = (
                self._ended_jobdir(getattr(arguments, "max_pages", 0))
                or self._database_problem()
                or redis_problem(self.settings)
            )
            if problem:
                refuse(self.settings, f"scrapy crawl {args[0]}", problem)
                self.exitcode = 1
                return
        super().run(args, opts)
        if check is not None and self.exitcode == 0 and self.crawler is not None and self.crawler.stats is not None:
            found = problems(self.crawler.stats.get_stats())
            for problem in found:
                logger.error("The crawl failed: %s", problem)
            self.exitcode = 1 if found else 0

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def _ended_jobdir(self, max_pages: int) -> str | None:
        """A JOBDIR whose crawl has ended, or has spent a page budget of ``max_pages``, would
        start a crawl of nothing, and its end would overwrite the one in the crawl's row."""
        assert self.settings is not None
        jobdir = self.settings.get("JOBDIR")
        if not jobdir:
            return None
        requests = ended_frontier(jobdir)
        if requests is not None:
            return (
                f"JOBDIR {jobdir} holds a crawl that has ended: none of its {requests} requests is left to fetch; "
                "delete it, or give a new JOBDIR"
            )
        fetched = frontier_fetches(jobdir)
        if max_pages and fetched >= max_pages:
            return (
                f"JOBDIR {jobdir} holds a crawl that has fetched {fetched} pages, its max_pages of {max_pages}: "
                "give a larger max_pages to go on, or delete it, or give a new JOBDIR"
            )
        return None

    def _database_problem(self) -> str | None:
        assert self.settings is not None
        if DATABASE_PIPELINE not in self.settings.getdict("ITEM_PIPELINES"):
            return None
        url = database_url(self.settings)
        try:
            prepare_database(url, self.settings.getbool("BACKLINKS_AUTO_MIGRATE"))
        except (SchemaBehind, SQLAlchemyError) as error:
            return database_problem(url, error)
        return None

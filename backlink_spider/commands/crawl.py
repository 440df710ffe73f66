"""``scrapy crawl``, checking the spider's arguments and the database before anything starts.

A spider class may define ``check_arguments(kwargs, settings)``; an ``ArgumentError``
it raises becomes a one-line message on stderr and exit code 2, not a traceback. When
the database pipeline is on, the database must be reachable and its schema current
(a new one is created): otherwise one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from sqlalchemy.exc import SQLAlchemyError

from backlink_spider.arguments import ArgumentError
from pipelines.database import database_url, safe_url
from pipelines.migrate import SchemaBehind, prepare_database

DATABASE_PIPELINE = "pipelines.storage.DatabasePipeline"


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            spider_class = self.crawler_process.spider_loader.load(args[0])
            check = getattr(spider_class, "check_arguments", None)
            if check is not None:
                try:
                    check(opts.spargs, self.settings)
                except ArgumentError as error:
                    print(f"scrapy crawl {args[0]}: error: {error}", file=sys.stderr)
                    self.exitcode = 2
                    return
            problem = self._database_problem()
            if problem:
                print(f"scrapy crawl {args[0]}: error: {problem}", file=sys.stderr)
                self.exitcode = 1
                return
        super().run(args, opts)

    def _database_problem(self) -> str | None:
        assert self.settings is not None
        if DATABASE_PIPELINE not in self.settings.getdict("ITEM_PIPELINES"):
            return None
        url = database_url(self.settings)
        try:
            prepare_database(url, self.settings.getbool("BACKLINKS_AUTO_MIGRATE"))
        except SchemaBehind as error:
            return f"database {safe_url(url)}: {error}"
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            return f"database {safe_url(url)} is not usable: {str(cause).strip().splitlines()[0]}"
        return None

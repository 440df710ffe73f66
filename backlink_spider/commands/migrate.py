"""``scrapy migrate``: upgrade the configured database to the schema this version needs."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy.exc import SQLAlchemyError

from pipelines.database import database_problem, database_url, engine_at, safe_url
from pipelines.migrate import current_revision, head_revision, upgrade


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012 - the shape Scrapy commands use

    def short_desc(self) -> str:
        return "Upgrade the database (BACKLINKS_DATABASE_URL) to the current schema"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("scrapy migrate takes no arguments; the database comes from BACKLINKS_DATABASE_URL")
        assert self.settings is not None
        url = database_url(self.settings)
        try:
            with engine_at(url) as engine:
                before = current_revision(engine)
                upgrade(engine)
        except SQLAlchemyError as error:
            print(f"scrapy migrate: error: {database_problem(url, error)}", file=sys.stderr)
            self.exitcode = 1
            return
        head = head_revision()
        if before == head:
            print(f"{safe_url(url)} is up to date (revision {head})")
        else:
            print(f"{safe_url(url)} upgraded from revision {before or 'none'} to {head}")

"""``scrapy authority``: recompute the authority of every domain in the database."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from backlink_spider.wording import count_of
from pipelines.database import database_problem, database_url, engine_at, missing_sqlite_file
from pipelines.graph import compute_authority
from pipelines.migrate import SchemaBehind, ensure_schema
from pipelines.schema import DomainRow


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012 - the shape Scrapy commands use

    def short_desc(self) -> str:
        return "Recompute referring-domain authority (0-100) over the stored link graph"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--top", type=int, default=10, help="show the N domains of highest authority")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("scrapy authority takes no arguments; the database comes from BACKLINKS_DATABASE_URL")
        assert self.settings is not None
        url = database_url(self.settings)
        if (missing := missing_sqlite_file(url)) is not None:
            print(f"scrapy authority: error: {missing}", file=sys.stderr)
            self.exitcode = 1
            return
        try:
            with engine_at(url) as engine:
                ensure_schema(engine, self.settings.getbool("BACKLINKS_AUTO_MIGRATE"))
                run = compute_authority(engine)
                with engine.connect() as connection:
                    top = connection.execute(
                        select(DomainRow.domain, DomainRow.authority, DomainRow.referring_domains)
                        .order_by(DomainRow.authority.desc(), DomainRow.domain)
                        .limit(opts.top)
                    ).all()
        except (SQLAlchemyError, SchemaBehind) as error:
            print(f"scrapy authority: error: {database_problem(url, error)}", file=sys.stderr)
            self.exitcode = 1
            return
        print(
            f"Authority of {count_of(run.domains, 'domain')} from {count_of(run.edges, 'domain link')} "
            f"in {run.seconds:.2f} s"
        )
        for domain, authority, referring in top:
            print(f"{authority:6.1f}  {domain}  ({count_of(referring, 'referring domain')})")

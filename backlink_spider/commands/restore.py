"""``scrapy restore FILE...``: store rows a crawl saved to a file when the database
was unavailable (see ``pipelines/unsaved.py``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy.exc import SQLAlchemyError

from pipelines.database import database_problem, database_url, engine_at
from pipelines.migrate import SchemaBehind, ensure_schema
from pipelines.unsaved import UnsavedFileError, load_file


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012 - the shape Scrapy commands use

    def syntax(self) -> str:
        return "FILE [FILE ...]"

    def short_desc(self) -> str:
        return "Store the rows a crawl saved to unsaved-backlinks-*.jsonl when the database was away"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give the unsaved-backlinks-*.jsonl files to load")
        assert self.settings is not None
        url = database_url(self.settings)
        try:
            with engine_at(url) as engine:
                ensure_schema(engine, self.settings.getbool("BACKLINKS_AUTO_MIGRATE"))
                for name in args:
                    path = Path(name)
                    stored = load_file(engine, path)
                    loaded = path.with_name(path.name + ".loaded")
                    path.rename(loaded)
                    ended = "".join(f", and the end of crawl {crawl_id}" for crawl_id in stored.crawls_ended)
                    print(
                        f"{path}: stored {stored.backlinks} backlinks and {stored.pages} pages{ended}; "
                        f"the file is now {loaded}"
                    )
        except (OSError, UnsavedFileError) as error:
            print(f"scrapy restore: error: {error}", file=sys.stderr)
            self.exitcode = 1
        except (SQLAlchemyError, SchemaBehind) as error:
            print(f"scrapy restore: error: {database_problem(url, error)}", file=sys.stderr)
            self.exitcode = 1

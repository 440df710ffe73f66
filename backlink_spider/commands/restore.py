"""``scrapy restore FILE...``: store rows a crawl saved to a file when the database
was unavailable (see ``pipelines/unsaved.py``), then rename the file ``FILE.loaded``.

Loading is idempotent (the crawl's upserts), so a ``.loaded`` file may be loaded again:
it is stored as any other and keeps its name (no ``.loaded.loaded``). A file of a crawl that
the database does not hold (``NotThisDatabase``) is refused whole and keeps its name."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from backlink_spider.wording import count_of
from pipelines.database import database_problem, database_url, engine_at, missing_sqlite_file
from pipelines.migrate import SchemaBehind, ensure_schema
from pipelines.unsaved import NotThisDatabase, UnsavedFileError, load_file

LOADED = ".loaded"


class NotRenamed(Exception):
    """A file's rows are stored but the file could not be moved to its ``loaded_name``."""


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
        if (missing := missing_sqlite_file(url)) is not None:
            print(f"scrapy restore: error: {missing}", file=sys.stderr)
            self.exitcode = 1
            return
        try:
            with engine_at(url) as engine:
                ensure_schema(engine, self.settings.getbool("BACKLINKS_AUTO_MIGRATE"))
                for name in args:
                    try:
                        print(restore_file(engine, Path(name), self.settings.getfloat("BACKLINKS_DB_WRITE_TIMEOUT")))
                    except (NotRenamed, NotThisDatabase, UnsavedFileError, OSError) as problem:
                        # All its rows stored, or none (unreadable, damaged, another database's): the
                        # next files are loaded too.
                        print(f"scrapy restore: error: {problem}", file=sys.stderr)
                        self.exitcode = 1
        except (SQLAlchemyError, SchemaBehind) as error:
            print(f"scrapy restore: error: {database_problem(url, error)}", file=sys.stderr)
            self.exitcode = 1


def loaded_name(path: Path) -> Path:
    """Where ``path`` goes once stored: ``NAME.loaded``; a file so named already stays put."""
    return path if path.name.endswith(LOADED) else path.with_name(path.name + LOADED)


def restore_file(engine: Engine, path: Path, write_timeout: float) -> str:
    """Store ``path`` (each batch given ``write_timeout`` seconds), move it to its
    ``loaded_name`` and say so in one line."""
    stored = load_file(engine, path, write_timeout)
    ended = "".join(f", and the end of crawl {crawl_id}" for crawl_id in stored.crawls_ended)
    done = f"{path}: stored {count_of(stored.backlinks, 'backlink')} and {count_of(stored.pages, 'page')}{ended}"
    loaded = loaded_name(path)
    if loaded == path:
        return f"{done} again (the file was loaded before); it keeps its name"
    try:
        path.rename(loaded)
    except OSError as error:
        raise NotRenamed(
            f"{done}, but the file could not be renamed {loaded} ({error.strerror}): move it aside so"
            " that it is not loaded again"
        ) from error
    return f"{done}; the file is now {loaded}"

"""Schema migrations: Alembic owns the schema, in SQLite and PostgreSQL alike.

A new, empty database is created through the migrations (so it carries Alembic's
version table). A database whose schema is behind is refused, with a message naming
``scrapy migrate``, unless ``BACKLINKS_AUTO_MIGRATE`` says to upgrade it.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from pipelines.database import engine_at
from pipelines.schema import Base

UPGRADE_COMMAND = "scrapy migrate"
# PostgreSQL advisory lock taken while the schema is checked and upgraded.
SCHEMA_LOCK = 0x6261636B6C696E6B  # "backlink"


class _DialectChatter(logging.Filter):
    """Drops the two lines Alembic logs each time it looks at a database (its dialect, its DDL
    mode): three or four times at every crawl's start, saying nothing. The migrations it runs
    still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Context impl ", "Will assume "))


logging.getLogger("alembic.runtime.migration").addFilter(_DialectChatter())


class SchemaBehind(RuntimeError):
    """The database's schema is older than the code's; the message says what to run."""


@cache
def script_location() -> str:
    """The migrations' directory on disk, where Alembic lists and reads them. Installed
    normally, the package's own directory; inside a zipped egg (as scrapyd runs the
    project) a copy made once per process, since ``importlib.resources.as_file`` cannot
    extract a directory before Python 3.12."""
    migrations = resources.files("pipelines") / "alembic"
    if isinstance(migrations, Path):
        return str(migrations)
    copy = Path(tempfile.mkdtemp(prefix="backlinks-migrations-"))
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    _copy_tree(migrations, copy / "alembic")
    return str(copy / "alembic")


def _copy_tree(source: Traversable, destination: Path) -> None:
    destination.mkdir()
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                _copy_tree(entry, destination / entry.name)
        else:
            (destination / entry.name).write_bytes(entry.read_bytes())


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", script_location())
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` in one transaction."""
    with _locked(engine) as connection:
        _upgrade(connection, revision)


def _upgrade(connection: Connection, revision: str = "head") -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the schema lock: crawls starting together on one new
    PostgreSQL database would otherwise all create its tables at once."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        yield connection


def ensure_schema(engine: Engine, auto_upgrade: bool) -> str | None:
    """Make sure the database has the current schema. Returns the revision it was
    upgraded from (None when nothing was done); raises SchemaBehind when refused."""
    head = head_revision()
    if current_revision(engine) == head:
        return None
    with _locked(engine) as connection:
        # Decided under the lock: another process may have just done the work.
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head:
            return None
        existing = set(inspect(connection).get_table_names()) & set(Base.metadata.tables)
        if current is None and not existing:
            _upgrade(connection)
            return "empty"
        if not auto_upgrade:
            raise SchemaBehind(
                f"the database schema is at revision {current or 'none (not created by migrations)'}, "
                f"this version needs {head}: run `{UPGRADE_COMMAND}` (or set BACKLINKS_AUTO_MIGRATE=True)"
            )
        _upgrade(connection)
        return current or "none"


def prepare_database(url: str, auto_upgrade: bool) -> str | None:
    """``ensure_schema`` on the database at ``url`` (see there), for a check before a crawl."""
    with engine_at(url) as engine:
        return ensure_schema(engine, auto_upgrade)

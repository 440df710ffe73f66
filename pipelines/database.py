"""Connecting to the database: the URL from settings or environment, engines, the schema.

``BACKLINKS_DATABASE_URL`` (environment first, then settings) is any SQLAlchemy URL;
the default is a SQLite file in the working directory. Secrets stay in the
environment and never reach logs: ``safe_url`` hides the password.
"""

from __future__ import annotations

import os
from typing import Any

from scrapy.settings import BaseSettings
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import SQLAlchemyError

ENV_NAME = "BACKLINKS_DATABASE_URL"


def database_url(settings: BaseSettings) -> str:
    """The configured database URL: the environment variable wins over the setting."""
    return os.environ.get(ENV_NAME) or settings.get(ENV_NAME) or "sqlite:///backlinks.sqlite3"


def safe_url(url: str) -> str:
    """``url`` fit for a log line: the password replaced by ``***``."""
    return make_url(url).render_as_string(hide_password=True)


def database_problem(url: str, error: Exception) -> str:
    """One line for the user saying what is wrong with the database at ``url`` (the
    password hidden): the driver's first line for a connection or SQL error, else the
    error itself (a schema that is behind says what to run)."""
    if isinstance(error, SQLAlchemyError):
        cause = str(getattr(error, "orig", None) or error).strip()
        return f"database {safe_url(url)} is not usable: {cause.splitlines()[0] if cause else type(error).__name__}"
    return f"database {safe_url(url)}: {error}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (reports) work while a crawl writes; the timeout rides out their locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_engine(url: str) -> Engine:
    """An engine for ``url``; psycopg 3 for PostgreSQL, WAL mode for SQLite."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine

"""Connecting to the database: the URL from settings or environment, engines, the schema.

``BACKLINKS_DATABASE_URL`` (environment first, then settings) is any SQLAlchemy URL;
the default is a SQLite file in the working directory. Secrets stay in the
environment and never reach logs: ``safe_url`` hides the password.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from scrapy.settings import BaseSettings
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from backlink_spider.redaction import redact

ENV_NAME = "BACKLINKS_DATABASE_URL"

# libpq parameters for a PostgreSQL server that stops answering (a host gone, a network
# cut): without them a connection attempt waits for ever and a write waits as long as the
# kernel keeps retrying (hours), so a crawl would hang instead of riding out the outage
# (``BACKLINKS_DB_OUTAGE_TIMEOUT``) and ``scrapy restore`` would never end. A silent peer
# is given up after 10 s when connecting, after ~60 s otherwise. The URL's query wins:
# ``postgresql://host/db?connect_timeout=30``.
POSTGRES_TIMEOUTS = {
    "connect_timeout": 10,  # s, for the whole connection (TCP, TLS, authentication)
    "keepalives_idle": 30,  # s idle before probing a connection that waits for an answer
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,  # ms a sent write may stay unacknowledged
}


def database_url(settings: BaseSettings) -> str:
    """The configured database URL: the environment variable wins over the setting."""
    return os.environ.get(ENV_NAME) or settings.get(ENV_NAME) or "sqlite:///backlinks.sqlite3"


class DatabaseUrlError(SQLAlchemyError):
    """``BACKLINKS_DATABASE_URL`` names no database a crawl can keep its rows in."""


def _parsed(url: str) -> URL | None:
    """``url`` parsed, or None when it is no URL."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        return None


def _sqlite_in_memory(parsed: URL) -> bool:
    return parsed.get_backend_name() == "sqlite" and (
        parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    )


def parse_database_url(url: str) -> URL:
    """``url`` parsed; ``DatabaseUrlError`` when it is no URL, has an unescaped ``@`` in its
    password, or names a SQLite database in memory, whose rows would be gone when the crawl ends."""
    parsed = _parsed(url)
    if parsed is None:
        # Not echoed: a URL that does not parse may hold a password that cannot be hidden.
        raise DatabaseUrlError(
            f"{ENV_NAME} is not a database URL, e.g. sqlite:///backlinks.sqlite3 or postgresql://user@host/database"
        )
    if parsed.host is not None and "@" in parsed.host:
        # Its password ended at the first "@" and the rest of it became the host, which a
        # connection error would print: not echoed either.
        raise DatabaseUrlError(
            f"{ENV_NAME} has an @ in its user or password: write it %40 (an unescaped @ ends the password)"
        )
    if _sqlite_in_memory(parsed):
        raise DatabaseUrlError(
            f"{ENV_NAME} {url!r} is a SQLite database in memory, whose rows are gone when the crawl ends; "
            "give a file, e.g. sqlite:///backlinks.sqlite3"
        )
    return parsed


def missing_sqlite_file(url: str) -> str | None:
    """What is wrong with a SQLite ``url`` whose file does not exist, for the commands that
    read a crawl's database (connecting would create it empty); None if nothing."""
    parsed = _parsed(url)
    if parsed is None or parsed.get_backend_name() != "sqlite" or _sqlite_in_memory(parsed):
        return None
    path = Path(str(parsed.database))
    if path.exists():
        return None
    return f"the database file {path} does not exist; crawl first, or set BACKLINKS_DATABASE_URL"


def safe_url(url: str) -> str:
    """``url`` fit for a log line: the password replaced by ``***``, in the URL's user part
    or its query (``?password=``), and ``ENV_NAME`` when it is no URL."""
    parsed = _parsed(url)
    return ENV_NAME if parsed is None else redact(parsed.render_as_string(hide_password=True))


def first_line(error: Exception) -> str:
    """What went wrong, in one line: the driver's first line for a connection or SQL error
    (without the hint lines libpq adds, the statement and the link SQLAlchemy adds), else the
    error's own first line."""
    cause = str(getattr(error, "orig", None) or error).strip()
    return cause.splitlines()[0] if cause else type(error).__name__


def database_problem(url: str, error: Exception) -> str:
    """One line for the user saying what is wrong with the database at ``url`` (the
    password hidden): ``first_line`` of a connection or SQL error, else the error itself
    (a schema that is behind says what to run)."""
    if isinstance(error, DatabaseUrlError):
        return str(error)
    if isinstance(error, SQLAlchemyError):
        return f"database {safe_url(url)} is not usable: {first_line(error)}"
    return f"database {safe_url(url)}: {error}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (reports) work while a crawl writes; the timeout rides out their locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_Socket = tuple[int, int]  # a socket's device and inode: which socket a descriptor names


def _socket_named(descriptor: int) -> _Socket:
    status = os.fstat(descriptor)
    return status.st_dev, status.st_ino


class _Connections:
    """The open PostgreSQL connections of an engine, each with the socket it was opened on,
    for ``break_connections``: added by the thread that opens one while another thread may
    be listing them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: weakref.WeakKeyDictionary[Any, _Socket] = weakref.WeakKeyDictionary()

    def add(self, dbapi_connection: Any, _record: Any) -> None:
        opened_on = _socket_named(dbapi_connection.fileno())
        with self._lock:
            self._connections[dbapi_connection] = opened_on

    def listed(self) -> list[tuple[Any, _Socket]]:
        with self._lock:
            return list(self._connections.items())


_CONNECTIONS: weakref.WeakKeyDictionary[Engine, _Connections] = weakref.WeakKeyDictionary()


def _track_connections(engine: Engine) -> None:
    _CONNECTIONS[engine] = connections = _Connections()
    event.listen(engine, "connect", connections.add)


def break_connections(engine: Engine) -> int:
    """Shut down the sockets of ``engine``'s PostgreSQL connections; returns how many.

    A server that stops answering without going away (its process hung or stopped, a proxy
    stuck) holds a query on an open connection for ever: libpq has no deadline for an answer,
    and the kernel of a live host acknowledges every keepalive. A thread waiting on such a
    connection gets an error at once instead; the pool's pre-ping replaces the connections
    the next time they are checked out. Safe from any thread: the sockets stay open until
    their connections are closed, and a descriptor that a connection closed just now and
    another socket took (a download's, Redis's, another connection's to the same server) is
    told by the socket it names and left alone."""
    broken = 0
    tracked = _CONNECTIONS.get(engine)
    for connection, opened_on in tracked.listed() if tracked is not None else ():
        with contextlib.suppress(OSError, psycopg.Error):  # closed already: nothing waits on it
            with socket.socket(fileno=os.dup(connection.fileno())) as duplicate:
                if _socket_named(duplicate.fileno()) != opened_on:
                    continue
                duplicate.shutdown(socket.SHUT_RDWR)
            broken += 1
    return broken


class NoAnswer(SQLAlchemyError):
    """The database did not answer in time (``answer_within``)."""


@contextmanager
def answer_within(engine: Engine, seconds: float) -> Iterator[None]:
    """Give the database calls of the block ``seconds`` in all: past them, ``engine``'s
    connections are broken (``break_connections``), so that a call waiting on a server that
    stopped answering, or on a lock never released, fails, and ``NoAnswer`` is raised in its
    place. For code that calls the database on its own thread (``scrapy restore``)."""
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        break_connections(engine)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except SQLAlchemyError as error:
        if fired.is_set():
            raise NoAnswer(f"no answer in {seconds:g} s (BACKLINKS_DB_WRITE_TIMEOUT)") from error
        raise
    finally:
        timer.cancel()
        timer.join()  # an expiry under way ends here, not in the next block


def open_engine(url: str) -> Engine:
    """An engine for ``url``; psycopg 3 for PostgreSQL (with ``POSTGRES_TIMEOUTS``, its
    connections known to ``break_connections``), WAL mode
    for SQLite. ``DatabaseUrlError`` when ``url`` is not usable (``parse_database_url``) or
    its driver is not installed."""
    parsed = parse_database_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    libpq = parsed.get_driver_name() == "psycopg"
    connect_args = {name: value for name, value in POSTGRES_TIMEOUTS.items() if libpq and name not in parsed.query}
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except ImportError as error:
        raise DatabaseUrlError(
            f"the driver of {parsed.drivername}:// is not installed ({error}); "
            "the project installs SQLite's and PostgreSQL's (postgresql://, psycopg 3)"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if libpq:
        _track_connections(engine)
    return engine


@contextmanager
def engine_at(url: str) -> Iterator[Engine]:
    """``open_engine(url)``, disposed of when the block ends."""
    engine = open_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()

"""Real services for the tests: PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.

A test that needs a service skips when it is absent, with the reason; with
``BACKLINKS_REQUIRE_SERVICES=1`` (set by ``.ci/run``) it fails instead, so CI always
exercises them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
REDIS_URL = "redis://127.0.0.1:6379/0"


def missing(service: str, reason: str) -> None:
    message = f"{service} is not available: {reason}"
    if os.environ.get("BACKLINKS_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (BACKLINKS_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(message)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards. Yields its URL."""
    name = f"backlinks_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(**POSTGRES, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        missing("PostgreSQL on 127.0.0.1:5432", str(error).strip())
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_url() -> str:
    """The URL of the real Redis on 127.0.0.1:6379 (database 0), once it answers.

    Tests share that database: each keeps its keys under a prefix of its own and deletes them.
    """
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        missing("Redis on 127.0.0.1:6379", str(error).strip())
    finally:
        client.close()
    return REDIS_URL

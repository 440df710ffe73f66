"""Real services for the tests: PostgreSQL on 127.0.0.1:5432 (and later Redis).

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

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}


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

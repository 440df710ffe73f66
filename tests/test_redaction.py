"""Passwords in URLs never reach the logs, even when given on the command line."""

from __future__ import annotations

import logging

import pytest

from backlink_spider.redaction import RedactSecrets, redact
from tests.conftest import run_crawl
from tests.services import postgres_database


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://crawler:s3cr3t@db:5432/x", "postgresql://crawler:***@db:5432/x"),
        (
            "{'BACKLINKS_DATABASE_URL': 'postgresql+psycopg://u:p%40ss@h/db'}",
            "{'BACKLINKS_DATABASE_URL': 'postgresql+psycopg://u:***@h/db'}",
        ),
        ("redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("http://example.com:8080/path", "http://example.com:8080/path"),
        ("no url here: a:b@c", "no url here: a:b@c"),
        # Written without escapes: a "/" or an "@" in the password
        ("postgresql://u:se/cr3t@h/db", "postgresql://u:***@h/db"),
        ("at postgresql://u:p@ss@h/db now", "at postgresql://u:***@h/db now"),
        # In the query, where libpq reads them too
        ("postgresql://u@h/db?password=qry5ecret&sslmode=require", "postgresql://u@h/db?password=***&sslmode=require"),
        ("postgresql://u@h/db?sslmode=1&sslpassword=k3y 'x'", "postgresql://u@h/db?sslmode=1&sslpassword=*** 'x'"),
        ("https://example.com/login?password=&next=/", "https://example.com/login?password=***&next=/"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_filter_rewrites_records() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "connecting to %s", ("mysql://a:b@h/d",), None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == "connecting to mysql://a:***@h/d"


@pytest.mark.parametrize("where", ["user", "query"])
def test_a_password_on_the_command_line_is_not_logged(where: str) -> None:
    with postgres_database() as url:
        # Trust auth ignores it; libpq reads it from either place.
        if where == "user":
            with_password = url.replace("postgres@", "postgres:sekrit-password@")
        else:
            with_password = url + "?password=sekrit-password"
        crawl = run_crawl(with_password, "-a", "target=example.com", "-a", "seeds=http://127.0.0.1:9/")
    assert "Overridden settings" in crawl.process.stderr
    assert "sekrit-password" not in crawl.process.stderr + crawl.process.stdout
    assert ("postgres:***@" if where == "user" else "password=***") in crawl.process.stderr

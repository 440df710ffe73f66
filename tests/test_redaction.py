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
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_filter_rewrites_records() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "connecting to %s", ("mysql://a:b@h/d",), None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == "connecting to mysql://a:***@h/d"


def test_a_password_on_the_command_line_is_not_logged() -> None:
    with postgres_database() as url:
        with_password = url.replace("postgres@", "postgres:sekrit-password@")  # trust auth ignores it
        crawl = run_crawl(with_password, "-a", "target=example.com", "-a", "seeds=http://127.0.0.1:9/")
    assert "Overridden settings" in crawl.process.stderr
    assert "sekrit-password" not in crawl.process.stderr + crawl.process.stdout
    assert "postgres:***@" in crawl.process.stderr

"""Shared fixtures: the loopback test web, databases, and running the real spider."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from backlink_spider.localweb import LocalWeb
from tests.services import postgres_database
from tests.web import SEEDS, SITES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def web() -> Iterator[LocalWeb]:
    with LocalWeb(SITES) as local_web:
        yield local_web


@dataclass
class Crawl:
    """A finished run of ``scrapy crawl backlinks`` and where it stored its rows."""

    process: subprocess.CompletedProcess[str]
    database_url: str

    def execute(self, statement: str) -> None:
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def rows(self, query: str) -> list[tuple]:
        return database_rows(self.database_url, query)


def database_rows(database_url: str, query: str) -> list[tuple]:
    """The rows ``query`` reads from the database at ``database_url``."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def crawl_env(proxy: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env.pop("BACKLINKS_DATABASE_URL", None)
    if proxy:
        env["http_proxy"] = proxy
    return env


def crawl_command(database_url: str, arguments: tuple[str, ...], settings: dict[str, str] | None) -> list[str]:
    """``scrapy crawl backlinks`` with settings that make it fast on the loopback web."""
    fast = {
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "BACKLINKS_FLUSH_INTERVAL": "0.2",
        # The test web's names exist only behind its proxy (test_guard looks them up).
        "BACKLINKS_CHECK_PROXIED_NAMES": "False",
        "BACKLINKS_DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    fast.update(settings or {})
    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks", *arguments]
    for name, value in fast.items():
        command += ["-s", f"{name}={value}"]
    return command


def run_crawl(
    database_url: str,
    *arguments: str,
    proxy: str | None = None,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
) -> Crawl:
    """Run the real spider in a subprocess (against the loopback web when given its proxy)."""
    process = subprocess.run(
        crawl_command(database_url, arguments, settings),
        cwd=ROOT, env=crawl_env(proxy), capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    return Crawl(process, database_url)


def start_crawl(
    database_url: str, *arguments: str, proxy: str | None = None, settings: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start the real spider in a subprocess and return at once."""
    return subprocess.Popen(
        crawl_command(database_url, arguments, settings),
        cwd=ROOT, env=crawl_env(proxy), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish_crawl(process: subprocess.Popen[str], timeout: float) -> str:
    """Wait for a crawl started by ``start_crawl``; its stderr. One still running after
    ``timeout`` is killed, and the test fails with what it logged."""
    try:
        return process.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        stderr = process.communicate()[1]
        pytest.fail(f"the crawl was still running after {timeout} s; its log ends:\n{stderr[-6000:]}")


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    """A fresh, empty database of ``kind`` (sqlite or postgresql); yields its URL."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'backlinks.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each kind the product supports, for one test."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


def crawl_test_web(database_url: str, web: LocalWeb, *arguments: str) -> Crawl:
    result = run_crawl(database_url, "-a", "target=target.com", "-a", f"seeds={SEEDS}", *arguments, proxy=web.proxy_url)
    assert result.process.returncode == 0, result.process.stderr[-3000:]
    return result


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crawl(request: pytest.FixtureRequest, web: LocalWeb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """One crawl of the test web per database kind, shared by the tests that read it."""
    directory = tmp_path_factory.mktemp(request.param)
    with fresh_database(request.param, directory) as url:
        yield crawl_test_web(url, web, "-O", str(directory / "backlinks.jsonl"))

"""Alembic owns the schema: migrations match the models, upgrade old databases with their
data, create new ones, and a crawl refuses a database that is behind."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from pipelines.database import open_engine
from pipelines.migrate import SchemaBehind, current_revision, ensure_schema, head_revision, upgrade
from pipelines.schema import Base, link_key, text_key
from tests.conftest import ROOT, crawl_env, run_crawl


def test_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = open_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_keeps_the_data_of_an_old_database(database_url: str) -> None:
    engine = open_engine(database_url)
    upgrade(engine, "0001")
    seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO backlinks (link_key, target_domain, target_url, source_url, source_host, source_domain,"
                " anchor_text, anchor_class, rel, nofollow, ugc, sponsored, dofollow, link_type, placement, snippet,"
                " first_seen, last_seen, discovered_via) VALUES ('k', 'target.com', 'https://target.com/',"
                " 'http://blog.com/post', 'blog.com', 'blog.com', 'Target', 'branded', '', false, false, false, true,"
                " 'text', 'content', 'a Target link', :seen, :seen, 'crawl')"
            ),
            {"seen": seen},
        )
        connection.execute(
            text("INSERT INTO crawls (target, started_at, pages, backlinks) VALUES ('target.com', :seen, 1, 1)"),
            {"seen": seen},
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        row = connection.execute(text("SELECT link_key, anchor_text, source_key, first_seen FROM backlinks")).one()
        crawl = connection.execute(text("SELECT pages, new_backlinks, lost_backlinks FROM crawls")).one()
    engine.dispose()
    assert (row.link_key, row.anchor_text, row.source_key) == ("k", "Target", text_key("http://blog.com/post"))
    assert str(row.first_seen).startswith("2026-01-02 03:04:05")
    assert tuple(crawl) == (1, 0, 0)


def test_a_new_database_is_created_by_the_migrations(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert ensure_schema(engine, auto_upgrade=False) == "empty"
    assert "alembic_version" in inspect(engine).get_table_names()
    assert current_revision(engine) == head_revision()
    assert ensure_schema(engine, auto_upgrade=False) is None
    engine.dispose()


def test_a_database_behind_is_refused_unless_auto_migrate(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(engine, "0001")
    with pytest.raises(SchemaBehind, match="scrapy migrate"):
        ensure_schema(engine, auto_upgrade=False)
    assert ensure_schema(engine, auto_upgrade=True) == "0001"
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_crawl_refuses_an_old_database_and_scrapy_migrate_upgrades_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = open_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    refused = run_crawl(url, "-a", "target=example.com", "-a", "seeds=http://127.0.0.1:9/")
    assert refused.process.returncode == 1
    last = refused.process.stderr.strip().splitlines()[-1]
    assert last.startswith("scrapy crawl backlinks: error: database sqlite:///") and "run `scrapy migrate`" in last
    env = crawl_env(None) | {"BACKLINKS_DATABASE_URL": url}
    migrate = subprocess.run(
        [sys.executable, "-m", "scrapy", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert migrate.returncode == 0, migrate.stderr
    assert f"upgraded from revision 0001 to {head_revision()}" in migrate.stdout
    accepted = run_crawl(url, "-a", "target=example.com", "-a", "seeds=http://127.0.0.1:9/")
    assert "Refused http://127.0.0.1:9/" in accepted.process.stderr
    assert accepted.rows("SELECT count(*) FROM crawls") == [(1,)]


def test_an_unreachable_database_is_one_line_and_exit_code_1() -> None:
    crawl = run_crawl("postgresql://nobody@127.0.0.1:1/none", "-a", "target=example.com")
    assert crawl.process.returncode == 1
    last = crawl.process.stderr.strip().splitlines()[-1]
    assert last.startswith("scrapy crawl backlinks: error: database postgresql://nobody@127.0.0.1:1/none is not usable")
    assert "Traceback" not in crawl.process.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage", "BACKLINKS_DATABASE_URL is not a database URL, e.g. sqlite:///backlinks.sqlite3"),
        ("postgresql://u:secret@h:abc/db", "BACKLINKS_DATABASE_URL is not a database URL"),
        (
            "postgresql://u:sec@secret@127.0.0.1:1/db",  # its password was cut at its @, the rest printed as a host
            "BACKLINKS_DATABASE_URL has an @ in its user or password: write it %40 (an unescaped @ ends the password)",
        ),
        ("postgresql+psycopg2://nobody@127.0.0.1:1/none", "the driver of postgresql+psycopg2:// is not installed"),
        ("sqlite:///", "BACKLINKS_DATABASE_URL 'sqlite:///' is a SQLite database in memory"),
        (
            "sqlite:///:memory:",
            "BACKLINKS_DATABASE_URL 'sqlite:///:memory:' is a SQLite database in memory, whose rows",
        ),
    ],
)
def test_a_database_url_that_cannot_keep_rows_is_one_line_and_exit_code_1(url: str, message: str) -> None:
    crawl = run_crawl(url, "-a", "target=example.com", "-a", "seeds=http://127.0.0.1:9/")
    assert crawl.process.returncode == 1
    last = crawl.process.stderr.strip().splitlines()[-1]
    assert last.startswith(f"scrapy crawl backlinks: error: {message}"), last
    assert "Traceback" not in crawl.process.stderr
    assert "secret" not in crawl.process.stderr


@pytest.mark.parametrize("command", [["report", "example.com"], ["migrate"], ["authority"], ["restore", "x.jsonl"]])
def test_every_database_command_says_so_in_one_line(command: list[str]) -> None:
    import subprocess
    import sys

    env = crawl_env(None) | {"BACKLINKS_DATABASE_URL": "garbage"}
    process = subprocess.run(
        [sys.executable, "-m", "scrapy", *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert process.returncode == 1
    assert process.stderr.strip() == f"scrapy {command[0]}: error: BACKLINKS_DATABASE_URL is not a database URL, " + (
        "e.g. sqlite:///backlinks.sqlite3 or postgresql://user@host/database"
    )


def _old_link(connection: Connection, key_rel: str, rel: str, seen: datetime, last: datetime, crawl: int) -> None:
    """A backlinks row as revision 0003 stored it, keyed by the rel text ``key_rel``."""
    source, target, anchor = "http://blog.com/post", "http://target.com/", "Target"
    values = {
        "key": text_key(source, target, anchor, key_rel), "source_key": text_key(source), "target": target,
        "source": source, "anchor": anchor, "rel": rel, "seen": seen, "last": last, "crawl": crawl,
    }  # fmt: skip
    connection.execute(
        text(
            "INSERT INTO backlinks (link_key, source_key, target_domain, target_url, source_url, source_host,"
            " source_domain, anchor_text, anchor_class, rel, nofollow, ugc, sponsored, dofollow, link_type,"
            " placement, snippet, first_seen, last_seen, discovered_via, first_crawl_id) VALUES (:key, :source_key,"
            " 'target.com', :target, :source, 'blog.com', 'blog.com', :anchor, 'branded', :rel, false, false,"
            " false, true, 'text', 'content', '', :seen, :last, 'crawl', :crawl)"
        ),
        values,
    )


def test_upgrade_keys_links_by_their_follow_tokens_and_merges_what_becomes_one(database_url: str) -> None:
    engine = open_engine(database_url)
    upgrade(engine, "0003")
    day = [datetime(2026, 1, n, tzinfo=UTC) for n in range(1, 6)]
    with engine.begin() as connection:
        _old_link(connection, "nofollow", "nofollow", day[0], day[4], 1)  # its key stays
        _old_link(connection, "ugc nofollow", "ugc nofollow", day[0], day[4], 1)  # reordered
        _old_link(connection, "ugc,sponsored", "ugc,sponsored", day[0], day[4], 1)  # commas, before 318d80e
        # One link seen as "" since day 3 and, before, as "noopener" from day 1 to day 2: now one row.
        _old_link(connection, "noopener", "noopener", day[0], day[1], 1)
        _old_link(connection, "", "", day[2], day[4], 3)
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT link_key, rel, first_seen, last_seen, first_crawl_id FROM backlinks"))
        stored = {row.rel: (row.link_key, str(row.first_seen)[:10], str(row.last_seen)[:10], row.first_crawl_id)
                  for row in rows}  # fmt: skip
    engine.dispose()

    def key(rel: str) -> str:
        return link_key("http://blog.com/post", "http://target.com/", "Target", rel)

    assert stored == {
        "nofollow": (key("nofollow"), "2026-01-01", "2026-01-05", 1),
        "ugc nofollow": (key("nofollow ugc"), "2026-01-01", "2026-01-05", 1),
        "ugc,sponsored": (key("sponsored ugc"), "2026-01-01", "2026-01-05", 1),
        "": (key(""), "2026-01-01", "2026-01-05", 1),
    }

"""The database goes away mid-crawl, for real (a TCP proxy in front of the real
PostgreSQL is cut): the crawl goes on, and every backlink found is stored when the
database returns; if it does not return in time, the crawl stops cleanly, saves what
it could not store, and ``scrapy restore`` stores it later."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from backlink_spider.localweb import LocalWeb, Resource
from pipelines.database import POSTGRES_TIMEOUTS, break_connections, open_engine
from pipelines.migrate import ensure_schema
from pipelines.unsaved import save_batch, save_crawl_end
from pipelines.writer import Writer, backlink_row
from tests.conftest import ROOT, Crawl, crawl_env, database_rows, finish_crawl, run_crawl, start_crawl
from tests.faultproxy import FaultProxy
from tests.services import POSTGRES, postgres_database
from tests.test_storage import backlink
from tests.web import html

PAGES = 30
ARGUMENTS = ("-a", "target=target.com", "-a", "seeds=http://slow.com/p0", "-a", "pages_per_domain=1000",
             "-a", "max_depth=1000")  # fmt: skip


@pytest.fixture
def slow_web() -> Iterator[LocalWeb]:
    site = {
        f"/p{n}": Resource(html(f'<p><a href="http://target.com/{n}">t</a></p><a href="/p{n + 1}">next</a>'), delay=0.1)
        for n in range(PAGES)
    }
    with LocalWeb({"slow.com": site}) as web:
        yield web


@pytest.fixture
def proxied_database() -> Iterator[tuple[str, FaultProxy]]:
    with postgres_database() as url:
        proxy = FaultProxy((POSTGRES["host"], POSTGRES["port"]))
        try:
            yield url.replace(f":{POSTGRES['port']}/", f":{proxy.port}/"), proxy
        finally:
            proxy.close()


def stored_pages(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM pages")).scalar_one()
    finally:
        engine.dispose()


def wait_for_pages(database_url: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # not created yet
            if stored_pages(database_url) >= count:
                return
        time.sleep(0.1)


def database_activity(database_url: str) -> list[tuple[object, ...]]:
    """What every session of ``database_url``'s database is doing, asked of the server directly."""
    direct = make_url(database_url).set(port=POSTGRES["port"])
    engine = create_engine(direct)
    try:
        with engine.connect() as connection:
            query = text(
                "SELECT pid, state, wait_event_type, wait_event, xact_start, left(query, 120) "
                "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [tuple(row) for row in connection.execute(query)]
    finally:
        engine.dispose()


def restore(database_url: str, *arguments: Path | str) -> subprocess.CompletedProcess[str]:
    """``scrapy restore arguments...`` (files and options); one still running after 60 s fails the test with
    where it waits (its Python stack) and what the database's sessions are doing."""
    env = crawl_env(None) | {"BACKLINKS_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "scrapy", "restore", *map(str, arguments)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        stack = subprocess.run(
            [str(Path(sys.executable).with_name("py-spy")), "dump", "--pid", str(process.pid)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        sessions = database_activity(database_url)
        process.kill()
        process.communicate()
        pytest.fail(f"scrapy restore still ran after 60 s:\n{stack.stdout}{stack.stderr}\nsessions: {sessions}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def crawl_in(database_url: str, started_at: datetime, target: str = "target.com") -> int:
    """A crawl of ``target`` started at ``started_at`` in the database at ``database_url`` (its
    schema created if need be), its row opened as a crawl opens it: its id."""
    engine = open_engine(database_url)
    try:
        ensure_schema(engine, auto_upgrade=False)
        return Writer(engine, [target]).start_crawl(target, started_at)
    finally:
        engine.dispose()


def test_a_database_outage_loses_nothing(slow_web: LocalWeb, proxied_database: tuple[str, FaultProxy]) -> None:
    url, proxy = proxied_database
    process = start_crawl(url, *ARGUMENTS, proxy=slow_web.proxy_url, settings={"BACKLINKS_FLUSH_INTERVAL": "0.1"})
    wait_for_pages(url, 5)
    proxy.cut()
    time.sleep(2.5)
    proxy.restore()
    stderr = finish_crawl(process, 120)
    assert process.returncode == 0, stderr[-2000:]
    assert "Could not write to the database" in stderr and "The database is back" in stderr
    # Each in one line: not the hints libpq adds, nor SQLAlchemy's statement and link.
    assert "This probably means" not in stderr and "Background on this error" not in stderr
    crawl = Crawl(process, url)  # type: ignore[arg-type]
    assert crawl.rows("SELECT count(*) FROM backlinks") == [(PAGES,)]
    # Besides them, the page the last one links to, which answers 404, is stored as gone.
    assert crawl.rows("SELECT count(*) FROM pages WHERE status = 200") == [(PAGES,)]
    assert crawl.rows("SELECT finish_reason FROM crawls") == [("finished",)]


def test_a_database_that_stays_away_stops_the_crawl_and_keeps_the_rows(
    slow_web: LocalWeb, proxied_database: tuple[str, FaultProxy], tmp_path: Path
) -> None:
    url, proxy = proxied_database
    settings = {"BACKLINKS_FLUSH_INTERVAL": "0.1", "BACKLINKS_DB_OUTAGE_TIMEOUT": "1.5",
                "BACKLINKS_UNSAVED_DIR": str(tmp_path)}  # fmt: skip
    process = start_crawl(url, *ARGUMENTS, proxy=slow_web.proxy_url, settings=settings)
    wait_for_pages(url, 5)
    proxy.cut()
    stderr = finish_crawl(process, 120)
    assert process.returncode == 1
    assert "The crawl failed: " in stderr and "stopping the crawl" in stderr
    assert "Traceback" not in stderr
    # The database did not count the crawl's new and lost links: the last line does not say 0.
    assert "backlinks (new and lost known once its unsaved rows are restored), " in stderr
    saved = list(tmp_path.glob("unsaved-backlinks-*.jsonl"))
    assert len(saved) == 1
    proxy.restore()
    before = stored_pages(url)
    assert before < PAGES
    load = restore(url, saved[0])
    assert load.returncode == 0, load.stderr
    crawl = Crawl(process, url)  # type: ignore[arg-type]
    pages = {row[0] for row in crawl.rows("SELECT url FROM pages")}
    backlinks = {row[0] for row in crawl.rows("SELECT source_url FROM backlinks")}
    # Every page the crawl parsed is stored now, with its backlink.
    assert len(pages) > before and backlinks == pages
    # And the crawl's end, which its row could not take while the database was away.
    ((crawl_id, reason, finished, stored, stats),) = crawl.rows(
        "SELECT id, finish_reason, finished_at, pages, stats FROM crawls"
    )
    assert f"and the end of crawl {crawl_id};" in load.stdout
    assert reason == "database_unavailable" and finished is not None
    assert stored == len(pages) and json.loads(stats)["backlinks/db/errors"] >= 1
    assert not saved[0].exists() and saved[0].with_name(saved[0].name + ".loaded").exists()


def test_a_loaded_file_loaded_again_stores_the_same_rows_and_keeps_its_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    path = tmp_path / "unsaved-backlinks-1.jsonl"
    seen = datetime(2024, 5, 18, tzinfo=UTC)
    assert crawl_in(url, seen) == 1
    save_batch(path, 1, ["target.com"], seen, [backlink_row(backlink(seen_at=seen), 1)], [], [])
    first = restore(url, path)
    assert first.returncode == 0, first.stderr
    loaded = tmp_path / "unsaved-backlinks-1.jsonl.loaded"
    rows = "SELECT link_key, first_seen, last_seen, lost_at FROM backlinks"
    before = database_rows(url, rows)
    again = restore(url, loaded)
    assert again.returncode == 0, again.stderr
    assert [file.name for file in tmp_path.glob("unsaved-*")] == [loaded.name]
    assert database_rows(url, rows) == before
    assert first.stdout.strip() == f"{path}: stored 1 backlink and 0 pages; the file is now {loaded}"
    assert again.stdout.strip() == (
        f"{loaded}: stored 1 backlink and 0 pages again (the file was loaded before); it keeps its name"
    )


def test_a_file_stored_but_not_renamed_says_its_rows_are_stored_and_the_next_file_is_loaded(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    seen = datetime(2024, 5, 18, tzinfo=UTC)
    first, second = tmp_path / "unsaved-backlinks-1.jsonl", tmp_path / "unsaved-backlinks-2.jsonl"
    assert [crawl_in(url, seen), crawl_in(url, seen)] == [1, 2]
    save_batch(first, 1, ["target.com"], seen, [backlink_row(backlink(seen_at=seen), 1)], [], [])
    other = backlink(anchor="Another", seen_at=seen)
    save_batch(second, 2, ["target.com"], seen, [backlink_row(other, 2)], [], [])
    (tmp_path / "unsaved-backlinks-1.jsonl.loaded").mkdir()  # where the first file would go
    load = restore(url, first, second)
    assert load.returncode == 1
    assert load.stderr.strip() == (
        f"scrapy restore: error: {first}: stored 1 backlink and 0 pages, but the file could not be renamed"
        f" {first}.loaded (Is a directory): move it aside so that it is not loaded again"
    )
    assert load.stdout.strip() == f"{second}: stored 1 backlink and 0 pages; the file is now {second}.loaded"
    assert len(database_rows(url, "SELECT link_key FROM backlinks")) == 2


STARTED = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
WRONG_DATABASE = "BACKLINKS_DATABASE_URL must name the database that crawl wrote to; nothing was stored"


def unsaved_file(directory: Path, crawl_id: int, started_at: datetime) -> Path:
    """The file a crawl of target.com started at ``started_at`` leaves when its database stays
    away: a batch of one backlink, then the crawl's end."""
    directory.mkdir(exist_ok=True)
    path = directory / f"unsaved-backlinks-{crawl_id}.jsonl"
    seen = started_at + timedelta(minutes=5)
    save_batch(path, crawl_id, ["target.com"], started_at, [backlink_row(backlink(seen_at=seen), crawl_id)], [], [])
    save_crawl_end(path, crawl_id, ["target.com"], started_at, seen, "database_unavailable", "{}")
    return path


def test_a_file_restored_into_a_database_whose_crawl_of_its_id_is_another_crawl_is_refused(tmp_path: Path) -> None:
    """Two databases, each with its crawl 1 of target.com, started at other times: the file of the
    one, loaded into the other, stores nothing there (that crawl's row and backlinks stay as they
    were) and keeps its name; the file of this database's own crawl 1, given next, is loaded."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    ours = STARTED - timedelta(days=1)
    assert crawl_in(url, ours) == 1
    engine = open_engine(url)
    try:
        writer = Writer(engine, ["target.com"])
        writer.write([backlink_row(backlink(anchor="Ours", seen_at=ours), 1)], [], 1)
        writer.finish_crawl(1, finished_at=ours + timedelta(hours=1), finish_reason="finished", stats="{}")
    finally:
        engine.dispose()
    tables = ("SELECT * FROM crawls", "SELECT * FROM backlinks")
    before = [database_rows(url, query) for query in tables]
    foreign = unsaved_file(tmp_path / "other", 1, STARTED)
    load = restore(url, foreign)
    assert load.returncode == 1 and load.stdout == ""
    assert load.stderr.strip() == (
        f"scrapy restore: error: {foreign}: crawl 1 of this file (target target.com, started 2026-12-07T10:00:00Z)"
        f" is not in database {url}, whose crawl 1 is another crawl (target target.com, started 2026-12-06T10:00:00Z):"
        f" {WRONG_DATABASE}"
    )
    assert [database_rows(url, query) for query in tables] == before
    assert [file.name for file in foreign.parent.iterdir()] == [foreign.name]
    own = unsaved_file(tmp_path / "ours", 1, ours)
    both = restore(url, foreign, own)
    assert both.returncode == 1 and both.stderr.strip() == load.stderr.strip()
    assert both.stdout.strip() == (
        f"{own}: stored 1 backlink and 0 pages, and the end of crawl 1; the file is now {own}.loaded"
    )


def test_a_file_restored_into_a_database_without_its_crawl_is_refused(tmp_path: Path) -> None:
    """An empty database has no crawl 1: the file of crawl 1 stores nothing there (no backlinks of
    a crawl the next crawl there would be numbered as) and keeps its name."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    engine = open_engine(url)
    ensure_schema(engine, auto_upgrade=False)
    engine.dispose()
    path = unsaved_file(tmp_path, 1, STARTED)
    load = restore(url, path)
    assert load.returncode == 1 and load.stdout == ""
    assert load.stderr.strip() == (
        f"scrapy restore: error: {path}: crawl 1 of this file (target target.com, started 2026-12-07T10:00:00Z)"
        f" is not in database {url}: {WRONG_DATABASE}"
    )
    assert [database_rows(url, f"SELECT count(*) FROM {table}") for table in ("crawls", "backlinks")] == [[(0,)]] * 2
    assert [file.name for file in tmp_path.glob("unsaved-*")] == [path.name]


def test_a_damaged_or_missing_file_stores_nothing_and_the_next_file_is_loaded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert crawl_in(url, STARTED) == 1
    damaged = tmp_path / "damaged" / "unsaved-backlinks-1.jsonl"
    damaged.parent.mkdir()
    damaged.write_text("cut short by a full disk\n")
    good = unsaved_file(tmp_path / "good", 1, STARTED)
    missing = tmp_path / "unsaved-backlinks-7.jsonl"
    load = restore(url, damaged, missing, good)
    assert load.returncode == 1
    assert load.stderr.splitlines() == [
        f"scrapy restore: error: {damaged}: line 1 is not a batch of unsaved rows; nothing was stored",
        f"scrapy restore: error: [Errno 2] No such file or directory: '{missing}'",
    ]
    assert load.stdout.strip() == (
        f"{good}: stored 1 backlink and 0 pages, and the end of crawl 1; the file is now {good}.loaded"
    )
    assert damaged.exists()


def test_a_crawl_ended_in_the_database_with_rows_in_the_file_is_counted_again_on_restore(tmp_path: Path) -> None:
    """The database came back in time for the crawl's end but not for its last batch: once the
    batch is restored, the crawl's counts are those of all its rows."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert crawl_in(url, STARTED) == 1
    engine = open_engine(url)
    Writer(engine).finish_crawl(1, finished_at=STARTED + timedelta(hours=1), finish_reason="database_unavailable")
    engine.dispose()
    path = tmp_path / "unsaved-backlinks-1.jsonl"
    save_batch(path, 1, ["target.com"], STARTED, [backlink_row(backlink(seen_at=STARTED), 1)], [], [])
    load = restore(url, path)
    assert load.returncode == 0, load.stderr
    assert database_rows(url, "SELECT backlinks, new_backlinks, finish_reason FROM crawls") == [
        (1, 1, "database_unavailable")
    ]


def test_a_restore_into_a_sqlite_file_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    mistyped = tmp_path / "mistyped.sqlite3"
    path = unsaved_file(tmp_path, 1, STARTED)
    load = restore(f"sqlite:///{mistyped}", path)
    assert load.returncode == 1
    assert load.stderr.strip() == (
        f"scrapy restore: error: the database file {mistyped} does not exist; crawl first, or set"
        " BACKLINKS_DATABASE_URL"
    )
    assert not mistyped.exists() and path.exists()


@pytest.mark.parametrize("target", ["target.com", "other.com"])
def test_a_file_of_the_previous_version_is_loaded_when_its_targets_are_those_of_its_crawl(
    tmp_path: Path, target: str
) -> None:
    """A file written before the records named their crawl's start (and an end its targets): loaded
    into a database whose crawl of its id has its targets, refused by one whose crawl has others."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert crawl_in(url, STARTED, target) == 1
    path = unsaved_file(tmp_path, 1, STARTED)
    old = [json.loads(line) for line in path.read_text().splitlines()]
    for record in old:
        del record["started_at"]
        if "crawl_end" in record:
            del record["targets"]
    path.write_text("".join(json.dumps(record) + "\n" for record in old))
    load = restore(url, path)
    if target == "target.com":
        assert load.returncode == 0, load.stderr
        assert load.stdout.strip() == (
            f"{path}: stored 1 backlink and 0 pages, and the end of crawl 1; the file is now {path}.loaded"
        )
    else:
        assert load.returncode == 1
        assert load.stderr.strip() == (
            f"scrapy restore: error: {path}: crawl 1 of this file (target target.com) is not in database {url},"
            f" whose crawl 1 is another crawl (target other.com, started 2026-12-07T10:00:00Z): {WRONG_DATABASE}"
        )
        assert database_rows(url, "SELECT count(*) FROM backlinks") == [(0,)] and path.exists()


def test_breaking_connections_leaves_alone_a_socket_that_took_a_closed_connection_s_descriptor() -> None:
    """Between reading a connection's descriptor and duplicating it, libpq may close it and another
    socket (a download's, Redis's) take its number: that socket is not shut down."""
    with postgres_database() as url:
        engine = open_engine(url)
        try:
            with engine.connect() as taken_over, engine.connect() as waiting:
                number = taken_over.connection.dbapi_connection.fileno()  # type: ignore[union-attr]
                ours, theirs = socket.socketpair()
                with ours, theirs:
                    os.dup2(ours.fileno(), number)  # the number now names another socket
                    assert break_connections(engine) == 1
                    theirs.sendall(b"still open")
                    assert os.read(number, 100) == b"still open"
                    os.close(number)
                    os.dup2(theirs.fileno(), number)  # for libpq to close without a word to the server
                    taken_over.invalidate()
                with pytest.raises(OperationalError):
                    waiting.execute(text("SELECT 1"))
        finally:
            engine.dispose()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never answers (a hung server, a half-open
    network path): the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def hold() -> None:
        with contextlib.suppress(OSError):
            while True:
                accepted.append(listener.accept()[0])

    threading.Thread(target=hold, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for sock in accepted:
            sock.close()


def test_a_database_that_never_answers_is_a_clear_error_not_a_hang(silent_server: int) -> None:
    url = f"postgresql://nobody@127.0.0.1:{silent_server}/backlinks"
    crawl = run_crawl(url, "-a", "target=example.com", timeout=60)
    assert crawl.process.returncode == 1
    last = crawl.process.stderr.strip().splitlines()[-1]
    assert last.startswith(f"scrapy crawl backlinks: error: database {url} is not usable")
    assert "timeout" in last and "Traceback" not in crawl.process.stderr


def test_postgresql_connections_carry_the_timeouts_and_the_url_overrides_them() -> None:
    with postgres_database() as url:
        for given, expected in (("", POSTGRES_TIMEOUTS["connect_timeout"]), ("?connect_timeout=3", 3)):
            engine = open_engine(url + given)
            try:
                with engine.connect() as connection:
                    info = connection.connection.driver_connection.info  # type: ignore[union-attr]
                    parameters = info.get_parameters()
            finally:
                engine.dispose()
            assert parameters["connect_timeout"] == str(expected)
            assert parameters["keepalives_idle"] == "30" and parameters["tcp_user_timeout"] == "60000"


def test_a_database_that_stops_answering_is_an_outage_and_the_crawl_goes_on_when_it_answers(
    slow_web: LocalWeb, proxied_database: tuple[str, FaultProxy]
) -> None:
    url, proxy = proxied_database
    settings = {"BACKLINKS_FLUSH_INTERVAL": "0.1", "BACKLINKS_DB_WRITE_TIMEOUT": "1"}
    process = start_crawl(url, *ARGUMENTS, proxy=slow_web.proxy_url, settings=settings)
    wait_for_pages(url, 5)
    proxy.freeze()  # connections open, nothing answered: the pool's pre-ping itself waits
    time.sleep(4)
    proxy.thaw()
    stderr = finish_crawl(process, 120)
    assert process.returncode == 0, stderr[-2000:]
    assert "Could not write to the database (no answer in 1 s (BACKLINKS_DB_WRITE_TIMEOUT))" in stderr
    assert "The database is back" in stderr
    crawl = Crawl(process, url)  # type: ignore[arg-type]
    assert crawl.rows("SELECT count(*) FROM backlinks") == [(PAGES,)]
    assert crawl.rows("SELECT count(*) FROM pages WHERE status = 200") == [(PAGES,)]
    assert crawl.rows("SELECT finish_reason FROM crawls") == [("finished",)]


def restore_what_was_saved(process: subprocess.Popen[str], url: str, directory: Path) -> Crawl:
    """``scrapy restore`` of the file of unsaved rows in ``directory``, once the database is
    back: then every page the crawl parsed (more than the few stored before the fault) is
    stored, with its backlink. The crawl, for more checks."""
    (saved,) = directory.glob("unsaved-backlinks-*.jsonl")
    load = restore(url, saved)
    assert load.returncode == 0, load.stderr
    crawl = Crawl(process, url)  # type: ignore[arg-type]
    pages = {row[0] for row in crawl.rows("SELECT url FROM pages WHERE status = 200")}
    assert {row[0] for row in crawl.rows("SELECT source_url FROM backlinks")} == pages and len(pages) > 5
    return crawl


def start_slow_crawl(url: str, web: LocalWeb, unsaved_dir: Path, **settings: str) -> subprocess.Popen[str]:
    """The crawl of ``slow_web``, started, once it has stored its first 5 pages."""
    settings = {"BACKLINKS_FLUSH_INTERVAL": "0.1", "BACKLINKS_UNSAVED_DIR": str(unsaved_dir), **settings}
    process = start_crawl(url, *ARGUMENTS, proxy=web.proxy_url, settings=settings)
    wait_for_pages(url, 5)
    return process


def test_a_database_that_never_answers_again_stops_the_crawl_with_its_rows_saved(
    slow_web: LocalWeb, proxied_database: tuple[str, FaultProxy], tmp_path: Path
) -> None:
    url, proxy = proxied_database
    timeouts = {"BACKLINKS_DB_WRITE_TIMEOUT": "1", "BACKLINKS_DB_OUTAGE_TIMEOUT": "3"}
    process = start_slow_crawl(url, slow_web, tmp_path, **timeouts)
    proxy.freeze()
    # Every call at the end (the last batch, the crawl's end, closing the connections) meets
    # the hung server too, and none of them may wait for it for ever.
    stderr = finish_crawl(process, 90)
    assert process.returncode == 1, stderr[-2000:]
    assert "stopping the crawl" in stderr and "Traceback" not in stderr
    ended = re.search(r"Spider closed \((\w+)\)", stderr)
    assert ended is not None
    proxy.thaw()
    crawl = restore_what_was_saved(process, url, tmp_path)
    assert crawl.rows("SELECT finish_reason FROM crawls") == [(ended[1],)]


def test_stopping_a_crawl_while_the_database_is_away_saves_its_rows_at_once(
    slow_web: LocalWeb, proxied_database: tuple[str, FaultProxy], tmp_path: Path
) -> None:
    url, proxy = proxied_database
    process = start_slow_crawl(url, slow_web, tmp_path)
    proxy.cut()
    time.sleep(1)
    process.send_signal(signal.SIGTERM)
    # Not BACKLINKS_DB_OUTAGE_TIMEOUT (300 s) of waiting for the database: its user stopped it.
    stderr = finish_crawl(process, 45)
    assert "rows could not be stored; saved to" in stderr and "Traceback" not in stderr
    # Its end too, without asking the database once more.
    assert "Could not record the end of crawl 1 in the database (it is unavailable and the crawl was stopped)" in stderr
    assert process.returncode == 1
    proxy.restore()
    crawl = restore_what_was_saved(process, url, tmp_path)
    ((reason, stats),) = crawl.rows("SELECT finish_reason, stats FROM crawls")
    pages = crawl.rows("SELECT count(*) FROM pages WHERE status = 200")[0][0]
    assert reason == "shutdown" and json.loads(stats)["backlinks/stored/pages"] == pages


def test_a_crawl_stopped_twice_while_the_database_hangs_saves_its_rows_and_its_end(
    slow_web: LocalWeb, proxied_database: tuple[str, FaultProxy], tmp_path: Path
) -> None:
    url, proxy = proxied_database
    process = start_slow_crawl(url, slow_web, tmp_path)
    proxy.freeze()
    time.sleep(1)
    process.send_signal(signal.SIGTERM)  # the last writes wait for the server (60 s)...
    time.sleep(1)
    process.send_signal(signal.SIGTERM)  # ...and its user will not: the process stops now
    stderr = finish_crawl(process, 30)
    assert "forcing unclean shutdown" in stderr and "Traceback" not in stderr
    # What it found is in the unsaved file, to restore: a failed crawl, as the README says.
    assert process.returncode == 1
    assert "The crawl failed: the crawl's end could not be recorded (see unsaved-backlinks-*.jsonl)" in stderr
    proxy.thaw()
    crawl = restore_what_was_saved(process, url, tmp_path)
    ((reason, finished_at),) = crawl.rows("SELECT finish_reason, finished_at FROM crawls")
    assert reason == "shutdown" and finished_at is not None


def test_a_restore_that_the_database_does_not_answer_is_a_clear_error_not_a_hang(tmp_path: Path) -> None:
    """A write that waits for ever (here on a lock a stuck session holds; as well on a server
    that stopped answering) fails after BACKLINKS_DB_WRITE_TIMEOUT, and the file is kept."""
    path = tmp_path / "unsaved-backlinks-1.jsonl"
    started = datetime.now(UTC)
    save_batch(path, 1, ["target.com"], started, [backlink_row(backlink(), 1)], [], [])
    with postgres_database() as url:
        assert crawl_in(url, started) == 1
        engine = open_engine(url)
        try:
            with engine.begin() as stuck:
                stuck.execute(text("LOCK TABLE backlinks IN ACCESS EXCLUSIVE MODE"))
                load = restore(url, path, "-s", "BACKLINKS_DB_WRITE_TIMEOUT=1")
        finally:
            engine.dispose()
        assert load.returncode == 1
        assert load.stderr.strip() == (
            f"scrapy restore: error: database {url} is not usable: no answer in 1 s (BACKLINKS_DB_WRITE_TIMEOUT)"
        )
        assert path.exists() and database_rows(url, "SELECT count(*) FROM backlinks") == [(0,)]

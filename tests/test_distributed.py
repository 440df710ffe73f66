"""Distributed mode end to end: worker processes split one crawl through the real Redis and
write into one PostgreSQL database; a worker killed mid-crawl loses none of its pages."""

from __future__ import annotations

import json
import pickle
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from backlink_spider.distributed import CrawlKeys, DistributedScheduler, LeasedQueue
from backlink_spider.localweb import LocalWeb, Resource, Sites
from pipelines.migrate import prepare_database
from tests.conftest import database_rows, run_crawl, start_crawl
from tests.faultproxy import FaultProxy
from tests.services import postgres_database, redis_url
from tests.web import PROSE, html

DOMAINS = ("alpha.com", "beta.org", "gamma.net", "delta.io")
ARTICLES = 9  # per domain, all linked from its home page
TARGET_HOME = "http://target.com/"
HOMES = [f"http://{domain}/" for domain in DOMAINS]
# Every page of a domain cites the target with an anchor of its own.
ANCHORS = {
    **{f"http://{domain}/": f"Target from {domain} home" for domain in DOMAINS},
    **{f"http://{d}/a{n}": f"Target from {d} article {n}" for d in DOMAINS for n in range(1, ARTICLES + 1)},
}
EVERY_PAGE = [*ANCHORS, TARGET_HOME]
EXPECTED_BACKLINKS = {(url, TARGET_HOME, anchor) for url, anchor in ANCHORS.items()}


@dataclass(frozen=True)
class GatedResource(Resource):
    """A resource that answers only once its gate is open."""

    gate: threading.Event = field(default_factory=threading.Event)

    def payload(self) -> bytes:
        self.gate.wait(timeout=60)
        return super().payload()


def distributed_web(delay: float, gate: threading.Event | None = None) -> Sites:
    """Four sites of ten pages citing target.com; articles answer after ``delay`` seconds, home
    pages once ``gate`` is open (when given)."""
    sites: dict[str, dict[str, Resource]] = {"target.com": {"/": Resource(html("<p>The target.</p>"))}}
    for i, domain in enumerate(DOMAINS):
        articles = [f"/a{n}" for n in range(1, ARTICLES + 1)]
        site = {}
        for path in ["/", *articles]:
            url = f"http://{domain}{path}"
            links = [f"http://{DOMAINS[(i + 1) % len(DOMAINS)]}/", f"http://{domain}/"]
            if path == "/":
                links += [f"http://{domain}{article}" for article in articles]
            body = f'<p>{PROSE}<a href="{TARGET_HOME}">{ANCHORS[url]}</a></p>' + " ".join(
                f'<a href="{link}">more</a>' for link in links
            )
            if path != "/":
                site[path] = Resource(html(body), delay=delay)
            else:
                site[path] = Resource(html(body)) if gate is None else GatedResource(html(body), gate=gate)
        sites[domain] = site
    return sites


@dataclass
class SharedRedis:
    """The real Redis, with a key prefix of this test's own."""

    client: redis.Redis
    prefix: str

    def keys(self, pattern: str = "*") -> list[bytes]:
        return list(self.client.scan_iter(f"{self.prefix}:{pattern}"))


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Iterator[SharedRedis]:
    url = redis_url()
    monkeypatch.setenv("REDIS_URL", url)  # the workers inherit it (it wins over the setting)
    client = redis.Redis.from_url(url)
    shared = SharedRedis(client, f"backlinks-test-{uuid.uuid4().hex[:12]}")
    try:
        yield shared
    finally:
        for key in shared.keys("*"):
            client.delete(key)
        client.close()


@contextmanager
def shared_database() -> Iterator[str]:
    """A fresh PostgreSQL database with the schema in place, as ``scrapy migrate`` leaves it before
    the workers start (workers that all create the schema of an empty database at once collide)."""
    with postgres_database() as url:
        prepare_database(url, auto_upgrade=False)
        yield url


def start_worker(
    database_url: str, web: LocalWeb, shared: SharedRedis, log: Path, *arguments: str, **settings: str
) -> subprocess.Popen[str]:
    return start_crawl(
        database_url,
        "-a", "target=target.com", "-a", f"seeds={','.join(HOMES)}", "-a", "max_depth=5", *arguments,
        proxy=web.proxy_url,
        settings={
            "BACKLINKS_DISTRIBUTED": "True",
            "BACKLINKS_DISTRIBUTED_KEY_PREFIX": shared.prefix,
            "BACKLINKS_DISTRIBUTED_IDLE_CLOSE": "2",
            "CONCURRENT_REQUESTS": "4",
            "LOG_FILE": str(log),
            **settings,
        },
    )  # fmt: skip


def wait_for(worker: subprocess.Popen[str], log: Path, timeout: float) -> None:
    try:
        _, stderr = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        pytest.fail(f"worker still running after {timeout} s:\n{log.read_text()[-3000:]}")
    assert worker.returncode == 0, stderr[-2000:] + log.read_text()[-3000:]


def stored_backlinks(database_url: str) -> set[tuple]:
    return set(database_rows(database_url, "SELECT source_url, target_url, anchor_text FROM backlinks"))


def crawl_stats(database_url: str) -> list[tuple[str | None, dict]]:
    """(finish reason, stats) of each worker's row in ``crawls``."""
    found = database_rows(database_url, "SELECT finish_reason, stats FROM crawls ORDER BY id")
    return [(reason, json.loads(stats) if isinstance(stats, str) else stats or {}) for reason, stats in found]


def pages_fetched(web: LocalWeb) -> Counter[str]:
    return Counter(url for url in web.requests if not url.endswith("/robots.txt"))


def wait_until_joined(shared: SharedRedis, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while shared.client.scard(f"{shared.prefix}:target.com:workers") < workers:
        if time.monotonic() > deadline:
            pytest.fail(f"{workers} workers never joined the crawl")
        time.sleep(0.05)


def test_two_workers_fetch_every_page_once_and_store_the_union(shared: SharedRedis, tmp_path: Path) -> None:
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    gate = threading.Event()  # the home pages wait for both workers, whichever starts faster
    with LocalWeb(distributed_web(delay=0.5, gate=gate)) as web, shared_database() as database:
        settings = {"BACKLINKS_DISTRIBUTED_LEASE_TTL": "10", "DOWNLOAD_TIMEOUT": "60"}
        workers = [start_worker(database, web, shared, log, **settings) for log in logs]
        wait_until_joined(shared, 2, timeout=60)
        gate.set()
        for worker, log in zip(workers, logs, strict=True):
            wait_for(worker, log, timeout=90)

        assert pages_fetched(web) == Counter(EVERY_PAGE)  # each page exactly once, by one worker or the other
        assert stored_backlinks(database) == EXPECTED_BACKLINKS
        stats = crawl_stats(database)
        assert [reason for reason, _ in stats] == ["finished", "finished"]
        fetches = [worker_stats.get("backlinks/budget/fetches", 0) for _, worker_stats in stats]
        assert all(fetches) and sum(fetches) == len(EVERY_PAGE), fetches
    assert shared.keys() == []  # the crawl is over: the last worker out deleted its keys


def wait_until_both_hold_requests(shared: SharedRedis, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while sum(1 for key in shared.keys("*:inflight:*") if shared.client.zcard(key)) < 2:
        if time.monotonic() > deadline:
            pytest.fail("the two workers never held requests at once")
        time.sleep(0.05)


def linked_web(gate: threading.Event) -> Sites:
    """Four sites of ten pages, each page linking to every page of every site, in an order of
    its own: whichever worker fetches a page finds pages of every domain that the other has
    not, more than a budget allows. Home pages answer once ``gate`` is open, articles after
    0.5 s."""
    paths = ["/", *(f"/a{n}" for n in range(1, ARTICLES + 1))]
    every = [f"http://{domain}{path}" for path in paths for domain in DOMAINS]
    sites: dict[str, dict[str, Resource]] = {"target.com": {"/": Resource(html("<p>The target.</p>"))}}
    for number, url in enumerate(every):
        start = 7 * number % len(every)
        links = " ".join(f'<a href="{link}">more</a>' for link in every[start:] + every[:start])
        body = html(f'<p>{PROSE}<a href="{TARGET_HOME}">target</a></p>{links}')
        domain, path = url.split("/", 3)[2], "/" + url.split("/", 3)[3]
        resource = GatedResource(body, gate=gate) if path == "/" else Resource(body, delay=0.5)
        sites.setdefault(domain, {})[path] = resource
    return sites


@pytest.mark.parametrize("budget", ["max_pages", "pages_per_domain"])
def test_two_workers_share_the_crawl_s_budgets(shared: SharedRedis, tmp_path: Path, budget: str) -> None:
    """max_pages is the number of pages the crawl fetches, and pages_per_domain the number of a
    domain's pages it fetches, however many workers share it (not that many per worker)."""
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    gate = threading.Event()
    limit = 30 if budget == "max_pages" else 3
    with LocalWeb(linked_web(gate)) as web, shared_database() as database:
        # Two home pages at a time each: both workers hold some before the gate opens.
        settings = {"BACKLINKS_DISTRIBUTED_LEASE_TTL": "10", "DOWNLOAD_TIMEOUT": "60", "CONCURRENT_REQUESTS": "2"}
        workers = [start_worker(database, web, shared, log, "-a", f"{budget}={limit}", **settings) for log in logs]
        wait_until_both_hold_requests(shared, timeout=60)
        gate.set()
        for worker, log in zip(workers, logs, strict=True):
            wait_for(worker, log, timeout=90)
        fetched = pages_fetched(web)
        stats = crawl_stats(database)
    assert all(worker_stats.get("backlinks/budget/fetches") for _, worker_stats in stats), "a worker fetched nothing"
    assert max(fetched.values()) == 1  # no page twice
    if budget == "max_pages":
        assert sum(fetched.values()) == limit
        assert [reason for reason, _ in stats] == ["max_pages", "max_pages"]
    else:
        by_domain = Counter(url.split("/")[2] for url in fetched)
        assert by_domain == {**dict.fromkeys(DOMAINS, limit), "target.com": 1}
        assert [reason for reason, _ in stats] == ["finished", "finished"]
        assert shared.keys() == []  # the crawl is over: its keys, budgets included, are deleted


def test_a_crawl_stopped_by_max_pages_goes_on_with_a_larger_one_and_loses_no_link(
    shared: SharedRedis, tmp_path: Path
) -> None:
    """The links of the pages fetched as the budget ran out stay queued in Redis, with the
    requests it refused: workers started with a larger max_pages crawl the rest, nothing twice."""
    with LocalWeb(distributed_web(delay=0.1)) as web, shared_database() as database:
        first = start_worker(database, web, shared, tmp_path / "first.log", "-a", "max_pages=3")
        wait_for(first, tmp_path / "first.log", timeout=90)
        assert sum(pages_fetched(web).values()) == 3
        more = start_worker(database, web, shared, tmp_path / "more.log", "-a", "max_pages=1000")
        wait_for(more, tmp_path / "more.log", timeout=90)
        assert pages_fetched(web) == Counter(EVERY_PAGE)
        assert stored_backlinks(database) == EXPECTED_BACKLINKS
        assert [reason for reason, _ in crawl_stats(database)] == ["max_pages", "finished"]
    assert shared.keys() == []


def test_a_worker_that_found_no_work_has_not_failed(shared: SharedRedis, tmp_path: Path) -> None:
    """A worker that joins a crawl whose every request another worker holds closes with nothing
    fetched: the crawl went well, and its exit code says so (cron and systemd would report it)."""
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    gate = threading.Event()
    with LocalWeb(distributed_web(delay=0, gate=gate)) as web, shared_database() as database:
        # The crawl is the four home pages (max_depth=0), all held by the first worker.
        first = start_worker(database, web, shared, logs[0], "-a", "max_depth=0")
        deadline = time.monotonic() + 60
        while sum(shared.client.zcard(key) for key in shared.keys("*:inflight:*")) < len(HOMES):
            assert time.monotonic() < deadline, "the first worker never held every home page"
            time.sleep(0.05)
        second = start_worker(database, web, shared, logs[1], "-a", "max_depth=0")
        wait_until_joined(shared, 2, timeout=60)
        gate.set()
        for worker, log in zip([first, second], logs, strict=True):
            wait_for(worker, log, timeout=90)
        fetches = [stats.get("backlinks/budget/fetches", 0) for _, stats in crawl_stats(database)]
    assert fetches == [len(HOMES), 0]
    assert "The crawl failed" not in logs[1].read_text()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "redis://:secret@127.0.0.1:{port}/13",
            "Redis redis://:***@127.0.0.1:{port}/13 of distributed mode is not usable: ",
        ),
        ("notaurl", "Redis notaurl of distributed mode is not usable: Redis URL must specify"),
        (
            "redis://127.0.0.1:{port}/nine",  # not database 0
            "Redis redis://127.0.0.1:{port}/nine of distributed mode is not usable: its database 'nine' is not a"
            " number",
        ),
    ],
)
def test_a_redis_that_cannot_be_used_is_one_line_before_the_crawl_starts(
    url: str, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _closed_port()
    monkeypatch.setenv("REDIS_URL", url.format(port=port))
    crawl = run_crawl(
        f"sqlite:///{tmp_path / 'db.sqlite3'}", "-a", "target=target.com", "-a", "seeds=http://blog.com/",
        settings={"BACKLINKS_DISTRIBUTED": "True"},
    )  # fmt: skip
    assert crawl.process.returncode == 1
    last = crawl.process.stderr.strip().splitlines()[-1]
    assert last.startswith(f"scrapy crawl backlinks: error: {said.format(port=port)}"), last
    assert "Traceback" not in crawl.process.stderr and "secret" not in crawl.process.stderr


def held_by(shared: SharedRedis, pid: int, articles: int, timeout: float) -> list[str]:
    """The URLs a worker process holds in flight, once it holds ``articles`` (slow) articles: mid-crawl."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for key in shared.keys(f"*:inflight:*:{pid}:*"):
            held = [pickle.loads(entry)["url"] for entry in shared.client.zrange(key, 0, -1)]
            if len(set(held) - set(HOMES)) >= articles:
                return held
        time.sleep(0.05)
    pytest.fail(f"worker {pid} never held {articles} articles")


def kill(worker: subprocess.Popen[str]) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.communicate()


def assert_nothing_lost(web: LocalWeb, database: str, held: list[str]) -> None:
    """Every page fetched and stored, those the killed worker held included; the crawl ended cleanly."""
    assert set(pages_fetched(web)) == set(EVERY_PAGE)
    assert stored_backlinks(database) == EXPECTED_BACKLINKS
    assert set(held) <= {url for (url,) in database_rows(database, "SELECT url FROM pages")}
    ((reason, stats),) = [entry for entry in crawl_stats(database) if entry[0] is not None]  # the killed one has none
    assert reason == "finished"
    assert stats.get("backlinks/distributed/requeued", 0) >= 1


def test_a_worker_killed_mid_crawl_loses_no_page(shared: SharedRedis, tmp_path: Path) -> None:
    victim_log, survivor_log = tmp_path / "victim.log", tmp_path / "survivor.log"
    with LocalWeb(distributed_web(delay=0.5)) as web, shared_database() as database:
        victim = start_worker(database, web, shared, victim_log, BACKLINKS_DISTRIBUTED_LEASE_TTL="3")
        survivor = start_worker(database, web, shared, survivor_log, BACKLINKS_DISTRIBUTED_LEASE_TTL="3")
        held = held_by(shared, victim.pid, articles=3, timeout=60)
        kill(victim)
        wait_for(survivor, survivor_log, timeout=90)  # the survivor fetches again what the victim held
        assert_nothing_lost(web, database, held)
    assert shared.keys() == []


def test_a_restarted_worker_takes_over_what_a_killed_one_held(shared: SharedRedis, tmp_path: Path) -> None:
    first_log, restarted_log = tmp_path / "first.log", tmp_path / "restarted.log"
    with LocalWeb(distributed_web(delay=0.5)) as web, shared_database() as database:
        first = start_worker(database, web, shared, first_log, BACKLINKS_DISTRIBUTED_LEASE_TTL="2")
        held = held_by(shared, first.pid, articles=3, timeout=60)
        kill(first)
        restarted = start_worker(database, web, shared, restarted_log, BACKLINKS_DISTRIBUTED_LEASE_TTL="2")
        wait_for(restarted, restarted_log, timeout=90)  # resumes the crawl, seeds not pushed again
        assert_nothing_lost(web, database, held)
        assert "pushes the seeds" not in restarted_log.read_text()
    assert shared.keys() == []


@pytest.mark.parametrize("fault", ["cut", "frozen"])
def test_a_redis_outage_is_ridden_out_and_nothing_is_lost(
    shared: SharedRedis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """Redis gone (connections refused), or hung (connections open, nothing answered, for
    longer than the client's 5-second timeout): one line when it goes, one when it is back,
    and every page fetched once and stored."""
    proxy = FaultProxy(("127.0.0.1", 6379))
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{proxy.port}/0")
    log = tmp_path / "worker.log"
    try:
        with shared_database() as database_url, LocalWeb(distributed_web(delay=0.2)) as web:
            worker = start_worker(database_url, web, shared, log)
            deadline = time.monotonic() + 60
            while len(pages_fetched(web)) < 8 and time.monotonic() < deadline:
                time.sleep(0.05)
            if fault == "cut":
                proxy.cut()
                time.sleep(6)
                proxy.restore()
            else:
                proxy.freeze()
                time.sleep(8)
                proxy.thaw()
            wait_for(worker, log, timeout=120)
            text = log.read_text()
            assert text.count("Redis is unreachable") == 1 and text.count("Redis is back") == 1, text[-3000:]
            assert "Traceback" not in text and "Redis of crawl" not in text
            if fault == "frozen":
                assert "Redis is unreachable (Timeout reading from" in text
            assert stored_backlinks(database_url) == EXPECTED_BACKLINKS
            assert pages_fetched(web) == Counter(EVERY_PAGE)
    finally:
        proxy.close()


def lone_scheduler(shared: SharedRedis) -> tuple[DistributedScheduler, CrawlKeys]:
    """A worker's scheduler on the real Redis, not opened (no heartbeat, no crawl)."""
    keys = CrawlKeys(f"{shared.prefix}:target.com")
    return DistributedScheduler(get_crawler(), shared.client, keys, dupefilter=None), keys


def test_a_lease_whose_answer_redis_never_sent_is_queued_again(shared: SharedRedis) -> None:
    """A Redis that answers too late (hung, then resumed) may have run a lease whose answer the
    worker gave up on: the request is in the worker's in-flight set, unknown to the worker,
    which would never fetch it. The heartbeat queues such requests again, with their priority."""
    scheduler, keys = lone_scheduler(shared)
    inflight = keys.inflight(scheduler.worker)
    shared.client.zadd(inflight, {b"held": -3, b"answer lost": -5})
    scheduler.leases[1] = b"held"
    scheduler._requeue_unknown_leases()
    assert shared.client.zrange(keys.queue, 0, -1, withscores=True) == [(b"answer lost", -5.0)]
    assert shared.client.zrange(inflight, 0, -1) == [b"held"]


def test_a_request_to_give_back_while_redis_was_away_is_given_back_when_the_worker_leaves(
    shared: SharedRedis,
) -> None:
    """A request the spent budget refused is queued again for a resume; refused while Redis was
    away, it waits for the heartbeat, and a worker leaving first must queue it, not delete it."""
    scheduler, keys = lone_scheduler(shared)
    shared.client.zadd(keys.inflight(scheduler.worker), {b"refused by the budget": -5})
    scheduler.leases[1], scheduler.leased[1] = b"refused by the budget", Request("http://blog.com/", priority=5)
    scheduler.giving_back.add(1)
    scheduler.close("max_pages")
    assert shared.client.zrange(keys.queue, 0, -1, withscores=True) == [(b"refused by the budget", -5.0)]
    assert shared.client.exists(keys.inflight(scheduler.worker)) == 0


def test_seeds_kept_in_memory_while_redis_is_away_are_not_recorded_as_pushed(shared: SharedRedis) -> None:
    """Seeds scheduled while Redis is away wait in the worker's memory: the crawl's record that
    they are queued waits for them, or a worker that died meanwhile would leave it without them."""
    scheduler, keys = lone_scheduler(shared)
    scheduler.queue = LeasedQueue(shared.client, Spider("backlinks"), keys, scheduler.worker, 30.0)
    scheduler._away_since = time.monotonic()
    scheduler.enqueue_request(Request("http://blog.com/", dont_filter=True))
    scheduler.seeds_pushed()
    assert shared.client.get(keys.seeded) is None
    scheduler._away_since = None  # Redis is back: the heartbeat pushes them, then records it
    scheduler._push_unsent()
    scheduler._record_seeded()
    assert shared.client.zcard(keys.queue) == 1 and shared.client.get(keys.seeded) == b"done"

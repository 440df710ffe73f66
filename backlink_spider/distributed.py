"""Distributed mode: one crawl split across several worker processes or machines through Redis.

Switched on by ``BACKLINKS_DISTRIBUTED = True``: the ``DistributedMode`` add-on (``ADDONS``)
then puts scrapy-redis's scheduler and dupefilter in place, subclassed here for Scrapy 2.19
and for leases. Every worker of a crawl shares these Redis keys, all under
``<BACKLINKS_DISTRIBUTED_KEY_PREFIX>:<targets>``:

- ``:requests``: the queue, scrapy-redis's priority queue (a sorted set of pickled requests);
- ``:dupefilter``: the fingerprint of every request ever queued (scrapy-redis's dupefilter);
- ``:domains``: how many requests each registered domain had queued (``pages_per_domain``);
- ``:fetches``: how many pages the workers fetched (``max_pages``);
- ``:seeded``: the id of the worker that pushes the seeds, then ``done``;
- ``:workers``: the ids of the workers that joined;
- ``:alive:<id>``: ``busy`` or ``idle``, refreshed every second; it expires when a worker stops;
- ``:inflight:<id>``: the requests a worker took from the queue whose pages are not stored yet.

**Seeds.** Only the first worker of a crawl yields the seeds from ``start()``
(``claim_seeds``); the others take work from the queue. If the worker that pushes them
dies before it is done, the next worker to start or to fall idle pushes them again (the
dupefilter drops those already queued).

**Leases.** A worker takes a request by moving it atomically (a Lua script) from the queue
into its in-flight set, and gives it the frontier id that the rest of the project already
tracks (``META_KEY`` of scheduler.py). It releases it once the database pipeline has committed
the page's rows (``signals.pages_stored``) or the request ended without a page
(``signals.request_finished``), *and* the request has left the engine, so that every link of
the page is queued too; or as soon as its redirect or retry is in the queue in its place.
Queuing is atomic as well: "seen" and "queued" are one step, never one without the other.
Once a worker's ``alive`` key has expired (killed, machine down, or stalled for longer than
``BACKLINKS_DISTRIBUTED_LEASE_TTL``), any other worker puts its in-flight requests back in the
queue with their priorities, and they are fetched again by whoever takes them, a restarted
worker included. Nothing is lost; a few pages may be fetched twice.

**End.** A worker closes once, for ``BACKLINKS_DISTRIBUTED_IDLE_CLOSE`` seconds in a row, the
queue was empty, the seeds were all pushed, no other worker was busy and no dead worker held
requests. Closing stores its last rows, then releases what it holds (or queues it again when
rows could not be stored). The last worker to leave a crawl that is over deletes its keys, so
the next crawl of the same targets starts afresh; a crawl that stopped early (``max_pages``,
Ctrl-C) stays in Redis and the next workers started for the same targets resume it.

**Budgets** are the whole crawl's. A fetch is counted in Redis before it is made, and refused
once ``max_pages`` are counted (budget.py): the crawl fetches ``max_pages`` pages, whatever the
number of workers. A request is queued only while its registered domain had fewer than
``pages_per_domain`` queued (redirects and retries, which take a request's place, are not
counted again). Each worker's own frontier also keeps its budgets, which are never the looser.

**Per worker**, not per crawl: ``CONCURRENT_REQUESTS*``, ``DOWNLOAD_DELAY``, AutoThrottle, and
robots.txt (each worker fetches it once per site). JOBDIR has no use here: the frontier is in
Redis.

One Scrapy internal is read, the engine's ``_slot``: its ``inprogress`` requests (without it,
a lease is released as soon as its page is stored), and its ``nextcall``, poked each second so
that an idle worker takes newly queued work at once (without it, Scrapy's 5-second heartbeat).
Needs a single Redis (the scripts name keys they compute, which Redis Cluster refuses).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.settings import BaseSettings
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_redis import defaults as scrapy_redis_defaults
from scrapy_redis.connection import get_redis
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from backlink_spider import signals as backlink_signals
from backlink_spider.domains import domain_of
from backlink_spider.redaction import redact
from backlink_spider.scheduler import META_KEY

logger = logging.getLogger(__name__)

BUSY, IDLE, SEEDS_DONE = b"busy", b"idle", b"done"
STAT_REQUEUED = "backlinks/distributed/requeued"
STAT_GIVEN_BACK = "backlinks/distributed/given_back"
STAT_DB_UNSAVED = "backlinks/db/unsaved"
# The crawl's fetches, all workers', when this one closed for want of work.
STAT_CRAWL_FETCHES = "backlinks/distributed/crawl_fetches"

# Move the first request of the queue into this worker's in-flight set (same score) and mark it busy.
# KEYS: the queue, the in-flight set, the alive key; ARGV[1]: the lease TTL in ms.
LEASE = """
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then return false end
redis.call('ZREM', KEYS[1], first[1])
redis.call('ZADD', KEYS[2], first[2], first[1])
redis.call('SET', KEYS[3], 'busy', 'PX', ARGV[1])
return first[1]
"""

# Queue a request unless the dupefilter has seen it (0) or its domain's budget is spent (2), in
# one step: a worker killed between the two would leave it seen and never queued. KEYS: the
# dupefilter, the queue, the domains' counts; ARGV: its fingerprint ('' for a request not to
# filter), its score, the request, its registered domain ('' not to count it), the budget.
ENQUEUE = """
if ARGV[1] ~= '' and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
if ARGV[4] ~= '' then
  if tonumber(redis.call('HGET', KEYS[3], ARGV[4]) or '0') >= tonumber(ARGV[5]) then return 2 end
  redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
end
if ARGV[1] ~= '' then redis.call('SADD', KEYS[1], ARGV[1]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
QUEUED, SEEN, DOMAIN_FULL = 1, 0, 2

# Count a fetch, and ARGV[2] - 1 made while Redis was away, unless ARGV[1] are counted already:
# the count with it, or 0 when the budget is spent. KEYS[1]: the count.
COUNT_FETCH = """
local counted = redis.call('INCRBY', KEYS[1], ARGV[2])
if counted > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return counted
"""

# Put a worker's in-flight requests back in the queue and forget the worker, unless it is alive.
# KEYS: its alive key, its in-flight set, the queue, the workers set; ARGV[1]: its id.
REQUEUE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #entries, 2 do
  redis.call('ZADD', KEYS[3], entries[i + 1], entries[i])
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[4], ARGV[1])
return #entries / 2
"""

# 1 while the crawl may still bring work: requests queued, another worker busy, or a dead one
# still holding requests. KEYS: the queue, the workers set; ARGV: the key base, this worker's id.
BUSY_ELSEWHERE = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 1 end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if id ~= ARGV[2] then
    local state = redis.call('GET', ARGV[1] .. ':alive:' .. id)
    if state == 'busy' or (not state and redis.call('ZCARD', ARGV[1] .. ':inflight:' .. id) > 0) then
      return 1
    end
  end
end
return 0
"""

# 1 when this worker (ARGV[1]) must push the seeds: nobody did, or the one pushing them died.
# KEYS[1]: the seeded key; ARGV[2]: the prefix of alive keys.
CLAIM_SEEDS = """
local holder = redis.call('GET', KEYS[1])
if holder == 'done' then return 0 end
if holder and holder ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. holder) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""

# Delete a crawl's keys when it is over: nothing queued, no worker left, every seed pushed.
# KEYS: the queue, the workers set, the seeded key, then the other keys to delete.
FINISH = """
if redis.call('ZCARD', KEYS[1]) > 0 or redis.call('SCARD', KEYS[2]) > 0
   or redis.call('GET', KEYS[3]) ~= 'done' then return 0 end
redis.call('DEL', unpack(KEYS))
return 1
"""


def redis_url(settings: BaseSettings) -> str:
    """The Redis of distributed mode: the ``REDIS_URL`` environment variable wins over the setting."""
    return os.environ.get("REDIS_URL") or settings.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


# Errors of a Redis that is away (down, cut off, or not answering within the timeouts).
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)

# The scheduler's calls to Redis run on the event loop (Scrapy's scheduler interface is
# synchronous): a Redis that stops answering must not hold the crawl longer than this, and a
# call that fails is not retried by the client, since the scheduler rides out an outage itself
# (scrapy-redis's defaults wait 30 s and redis-py retries 3 times: minutes per call).
REDIS_TIMEOUTS: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 5}


def connect(settings: BaseSettings) -> redis.Redis:
    """A client of the configured Redis: scrapy-redis's connection defaults, then
    ``REDIS_TIMEOUTS`` and no retry, then ``REDIS_PARAMS``."""
    params = {**scrapy_redis_defaults.REDIS_PARAMS, **REDIS_TIMEOUTS, "retry_on_timeout": False}
    params |= settings.getdict("REDIS_PARAMS")
    return get_redis(url=redis_url(settings), retry=Retry(NoBackoff(), 0), **params)


def redis_problem(settings: BaseSettings) -> str | None:
    """One line saying why the Redis of distributed mode cannot be used (its password hidden),
    None when it answers or distributed mode is off."""
    if not settings.getbool("BACKLINKS_DISTRIBUTED"):
        return None
    url = redis_url(settings)
    parts = urlsplit(url)
    database = parts.path.strip("/")
    if parts.scheme in ("redis", "rediss") and database and not database.isdigit():
        # redis-py would take database 0, and the crawl's keys would sit among others'.
        return f"Redis {redact(url)} of distributed mode is not usable: its database {database!r} is not a number"
    try:
        client = connect(settings)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError) as error:
        return f"Redis {redact(url)} of distributed mode is not usable: {error}"
    return None


@dataclass(frozen=True)
class CrawlKeys:
    """The Redis keys of one crawl, named after its targets so that different crawls never mix."""

    base: str

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlKeys:
        spider = crawler.spider
        targets = sorted(getattr(spider, "targets", None) or [getattr(spider, "name", "crawl")])
        return cls(f"{crawler.settings.get('BACKLINKS_DISTRIBUTED_KEY_PREFIX')}:{','.join(targets)}")

    @property
    def queue(self) -> str:
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.base}:dupefilter"

    @property
    def domains(self) -> str:
        return f"{self.base}:domains"

    @property
    def fetches(self) -> str:
        return f"{self.base}:fetches"

    @property
    def seeded(self) -> str:
        return f"{self.base}:seeded"

    @property
    def workers(self) -> str:
        return f"{self.base}:workers"

    def alive(self, worker: str) -> str:
        return f"{self.base}:alive:{worker}"

    def inflight(self, worker: str) -> str:
        return f"{self.base}:inflight:{worker}"


class DistributedMode:
    """Add-on: with ``BACKLINKS_DISTRIBUTED`` on, the crawl's queue and seen-set live in Redis."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.getbool("BACKLINKS_DISTRIBUTED"):
            return
        settings.set("SCHEDULER", "backlink_spider.distributed.DistributedScheduler", priority="addon")
        settings.set("DUPEFILTER_CLASS", "backlink_spider.distributed.RedisDupeFilter", priority="addon")
        settings.set("SCHEDULER_PERSIST", True, priority="addon")
        if settings.get("JOBDIR"):
            logger.warning("Distributed mode keeps the frontier in Redis: JOBDIR does not resume this crawl")
        database = os.environ.get("BACKLINKS_DATABASE_URL") or settings.get("BACKLINKS_DATABASE_URL") or ""
        if database.startswith("sqlite"):
            logger.warning("Distributed mode with SQLite: only workers on this machine can share it; use PostgreSQL")


class RedisDupeFilter(RFPDupeFilter):
    """scrapy-redis's dupefilter, built from the crawler: the crawl's key and Scrapy's fingerprinter
    (``REQUEST_FINGERPRINTER_CLASS``) instead of scrapy-redis's own fingerprint."""

    def __init__(self, server: redis.Redis, key: str, debug: bool = False, fingerprinter: Any = None) -> None:
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisDupeFilter:
        settings = crawler.settings
        keys = CrawlKeys.of(crawler)
        return cls(
            connect(settings), keys.dupefilter, settings.getbool("DUPEFILTER_DEBUG"), crawler.request_fingerprinter
        )

    def request_fingerprint(self, request: Request) -> str:
        if self.fingerprinter is None:
            return super().request_fingerprint(request)
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: other workers still use them (they go when the crawl is over)."""


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue, whose pop leases: the request moves into the worker's in-flight set."""

    def __init__(self, server: redis.Redis, spider: Spider, keys: CrawlKeys, worker: str, lease_ttl: float) -> None:
        super().__init__(server, spider, keys.queue.replace("%", "%%"))
        self._enqueue_keys = [keys.dupefilter, self.key, keys.domains]
        frontier = getattr(spider, "frontier", None)
        self._pages_per_domain = getattr(frontier, "pages_per_domain", 0)
        self._lease_keys = [self.key, keys.inflight(worker), keys.alive(worker)]
        self._lease_ttl_ms = int(lease_ttl * 1000)
        self._enqueue = server.register_script(ENQUEUE)
        self._lease = server.register_script(LEASE)

    def push_unseen(self, request: Request, fingerprint: str, new: bool) -> int:
        """Queue ``request`` unless ``fingerprint`` was seen (``''``: queue it anyway) or, for a
        ``new`` request (not a redirect or retry in another's place), its domain's budget is spent:
        QUEUED, SEEN or DOMAIN_FULL."""
        data = self._encode_request(request)
        domain = ""
        if new and self._pages_per_domain:
            host = urlsplit(request.url).hostname or ""
            domain = domain_of(host)
        args = [fingerprint, -request.priority, data, domain, self._pages_per_domain]
        return int(self._enqueue(keys=self._enqueue_keys, args=args))

    def lease(self) -> tuple[Request, bytes] | None:
        """The next request and its encoded form (to release it by), or None when the queue is empty."""
        data = self._lease(keys=self._lease_keys, args=[self._lease_ttl_ms])
        return None if data is None else (self._decode_request(data), data)

    def pop(self, timeout: int = 0) -> Request | None:
        leased = self.lease()
        return None if leased is None else leased[0]


class DistributedScheduler(Scheduler):
    """scrapy-redis's scheduler with leases, idle-close and seeding once; see the module docstring."""

    def __init__(self, crawler: Crawler, server: redis.Redis, keys: CrawlKeys, dupefilter: RFPDupeFilter) -> None:
        super().__init__(
            server, persist=True, queue_key=keys.queue, dupefilter=dupefilter, dupefilter_key=keys.dupefilter
        )
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.keys = keys
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.idle_close = settings.getfloat("BACKLINKS_DISTRIBUTED_IDLE_CLOSE")
        self.lease_ttl = settings.getfloat("BACKLINKS_DISTRIBUTED_LEASE_TTL")
        self.tick = min(1.0, self.lease_ttl / 3)
        self.state = BUSY
        # Requests taken from the queue and not released yet: their frontier id -> their form in Redis,
        # the request itself, and the ids of those whose page is stored or that ended without one.
        self.leases: dict[int, bytes] = {}
        self.leased: dict[int, Request] = {}
        self.settled: set[int] = set()
        self.giving_back: set[int] = set()  # to queue again once Redis is back
        self._ids = itertools.count(1)
        # Requests scheduled while Redis was unreachable (request, fingerprint, lease replaced).
        self._unsent: list[tuple[Request, str, int | None]] = []
        self._away_since: float | None = None
        self._requeue = server.register_script(REQUEUE)
        self._busy_elsewhere = server.register_script(BUSY_ELSEWHERE)
        self._claim_seeds = server.register_script(CLAIM_SEEDS)
        self._finish = server.register_script(FINISH)
        self._count_fetch = server.register_script(COUNT_FETCH)
        # The crawl's fetches when last counted, and those made since while Redis was away.
        self._counted = 0
        self._uncounted = 0
        self._heartbeat_task: asyncio.Future[None] | None = None
        self._idle_since: float | None = None
        self._reseed_task: asyncio.Future[None] | None = None
        self._seeds_waiting = False  # pushed, not recorded as such in Redis yet

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedScheduler:
        server = connect(crawler.settings)
        server.ping()
        dupefilter = build_from_crawler(load_object(crawler.settings["DUPEFILTER_CLASS"]), crawler)
        return cls(crawler, server, CrawlKeys.of(crawler), dupefilter)

    # --- Scrapy's scheduler interface ---------------------------------------------------

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = LeasedQueue(self.server, spider, self.keys, self.worker, self.lease_ttl)
        self._beat()
        self._requeue_dead()
        logger.info(
            "Worker %s joined crawl %s in Redis (%d requests queued)", self.worker, self.keys.base, len(self.queue)
        )
        self.crawler.signals.connect(self._spider_idle, signal=signals.spider_idle)
        self.crawler.signals.connect(self._pages_stored, signal=backlink_signals.pages_stored)
        self.crawler.signals.connect(self._request_finished, signal=backlink_signals.request_finished)
        self._heartbeat_task = asyncio.ensure_future(self._heartbeat())

    def close(self, reason: str) -> None:
        # The engine closes the scheduler once nothing is in progress and the item pipelines are
        # closed: every page's rows are in the database, or saved to a file when they could not be.
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
        try:
            self._away_since = None  # one more try, whatever the heartbeat saw last
            self._push_unsent()
            for lease_id in list(self.giving_back):
                self._give_back(lease_id)
            if self.giving_back:  # not given back: the lease's expiry queues them again
                raise redis.ConnectionError("Redis is unreachable")
            self.server.delete(self.keys.alive(self.worker))
            if self.leases and self.stats.get_value(STAT_DB_UNSAVED):
                # Let another worker, or a restarted one, fetch these pages again and store them.
                self._requeue(keys=self._requeue_keys(self.worker), args=[self.worker])
            else:
                # What is left ended without a page or a signal (a callback that raised).
                self.server.delete(self.keys.inflight(self.worker))
                self.server.srem(self.keys.workers, self.worker)
            self.leases.clear()
            self.leased.clear()
            self.settled.clear()
            keys = self.keys
            if self._finish(keys=[keys.queue, keys.workers, keys.seeded, keys.dupefilter, keys.domains, keys.fetches]):
                logger.info("Crawl %s is over: its Redis keys are deleted", self.keys.base)
            logger.info("Worker %s left crawl %s (%s)", self.worker, self.keys.base, reason)
        except redis.RedisError as error:
            logger.error(
                "Could not leave crawl %s cleanly (%s): other workers queue its requests again after %.0f s%s",
                self.keys.base, error, self.lease_ttl,
                f"; requests it found while Redis was away, not queued: {len(self._unsent)}" if self._unsent else "",
            )  # fmt: skip

    def enqueue_request(self, request: Request) -> bool:
        # A redirect or a retry of a leased request carries its id: it takes the lease's place.
        replaces = request.meta.pop(META_KEY, None)
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        if self._away_since is not None:  # kept here, pushed once Redis is back
            self._unsent.append((request, fingerprint, replaces))
            return True
        try:
            self._push_unsent()
            pushed = self.queue.push_unseen(request, fingerprint, replaces is None)
        except UNREACHABLE as error:
            self._unsent.append((request, fingerprint, replaces))
            self._redis_away(error)
            return True
        self._pushed(request, pushed)
        if replaces in self.leases:
            self._release([replaces])
        return pushed == QUEUED

    def _pushed(self, request: Request, pushed: int) -> None:
        if pushed == QUEUED:
            self.stats.inc_value("scheduler/enqueued/redis")
        elif pushed == DOMAIN_FULL:
            self.stats.inc_value("backlinks/distributed/domain_full")
        else:
            self.df.log(request, self.spider)

    def next_request(self) -> Request | None:
        if self._budget_spent() or self._away_since is not None:
            return None  # leave the queue to the other workers; or wait for Redis
        try:
            self._push_unsent()
            leased = self.queue.lease()
        except UNREACHABLE as error:
            self._redis_away(error)
            return None
        if leased is None:
            return None
        request, data = leased
        self.state = BUSY
        lease_id = next(self._ids)
        request.meta[META_KEY] = lease_id
        self.leases[lease_id] = data
        self.leased[lease_id] = request
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self._budget_spent():
            return False
        if self._away_since is not None:
            return True  # unknown while Redis is away: the crawl is not over
        try:
            return bool(self._unsent) or len(self.queue) > 0
        except UNREACHABLE as error:
            self._redis_away(error)
            return True

    # --- Redis outages ------------------------------------------------------------------
    # Once a call finds Redis away, the scheduler stops calling it from the event loop (a Redis
    # that does not answer would hold the crawl for the socket timeout at every call): requests
    # wait in memory, fetches are counted here, leases are released later, and the heartbeat
    # asks Redis from a thread whether it is back. One line when it goes, one when it is back.

    def _push_unsent(self) -> None:
        """Push the requests kept while Redis was away, oldest first."""
        while self._unsent:
            request, fingerprint, replaces = self._unsent[0]
            self._pushed(request, self.queue.push_unseen(request, fingerprint, replaces is None))
            self._unsent.pop(0)
            if replaces in self.leases:
                self._release([replaces])

    def _redis_away(self, error: Exception) -> None:
        if self._away_since is None:
            self._away_since = time.monotonic()
            logger.warning("Redis is unreachable (%s): retrying; new requests wait in memory", error)
        self.stats.inc_value("backlinks/distributed/redis_errors")

    async def _redis_back(self) -> bool:
        """Whether Redis answers again, asked from a thread; True once it does."""
        try:
            await asyncio.to_thread(self.server.ping)
        except redis.RedisError as error:
            self._redis_away(error)
            return False
        assert self._away_since is not None
        logger.warning("Redis is back after %.1f s", time.monotonic() - self._away_since)
        self._away_since = None
        return True

    # --- budget -------------------------------------------------------------------------

    def count_fetch(self, budget: int) -> int | None:
        """Count a fetch against the crawl's ``budget``: the crawl's count with it, or None when the
        budget is spent. While Redis is away, fetches go on and are counted once it is back."""
        if self._away_since is None:
            try:
                counted = int(self._count_fetch(keys=[self.keys.fetches], args=[budget, self._uncounted + 1]))
            except UNREACHABLE as error:
                self._redis_away(error)
            else:
                # When refused, the fetches made while Redis was away were counted all the same.
                self._uncounted = 0
                if not counted:
                    return None
                self._counted = counted
                return counted
        if self._counted + self._uncounted >= budget:
            return None
        self._uncounted += 1
        return self._counted + self._uncounted

    # --- seeds --------------------------------------------------------------------------

    def claim_seeds(self) -> bool:
        """True when this worker must push the seeds: the first of the crawl, or taking over a dead one."""
        claimed = bool(self._claim_seeds(keys=[self.keys.seeded], args=[self.worker, self.keys.alive("")]))
        if claimed:
            logger.info("Worker %s pushes the seeds of crawl %s", self.worker, self.keys.base)
        return claimed

    def seeds_pushed(self) -> None:
        """Record that every seed is queued, once they are in Redis: while it is away they wait
        in memory, and a worker that died then would leave a crawl without them."""
        self._seeds_waiting = True
        self._record_seeded()

    def _record_seeded(self) -> None:
        if not self._seeds_waiting or self._away_since is not None or self._unsent:
            return
        try:
            self.server.set(self.keys.seeded, SEEDS_DONE)
        except UNREACHABLE as error:
            self._redis_away(error)
            return
        self._seeds_waiting = False

    async def _reseed(self) -> None:
        """Push the seeds from this idle worker: the one pushing them died before it was done."""
        async for request in self.spider.start():
            self.crawler.engine.crawl(request)

    # --- leases -------------------------------------------------------------------------

    def _pages_stored(self, request_ids: list[int]) -> None:
        self._settle(request_ids)

    def _request_finished(self, request: Request) -> None:
        lease_id = request.meta.get(META_KEY)
        if lease_id in self.leases and self._budget_spent():
            # Dropped because the crawl's max_pages is spent: back in the queue, for a resume.
            self._give_back(lease_id)
        else:
            self._settle([lease_id])

    def _settle(self, lease_ids: list[int | None]) -> None:
        self.settled.update(i for i in lease_ids if i in self.leases)
        self._release_settled()

    def _release_settled(self) -> None:
        """Release the settled leases whose request has left the engine: its page's rows are stored
        and every request its page links to is queued (the page record comes before its links)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        in_progress = getattr(slot, "inprogress", ())
        self._release([i for i in self.settled if self.leased[i] not in in_progress])

    def _release(self, lease_ids: list[int]) -> None:
        """Release leases; while Redis is away they stay settled, for the heartbeat to release."""
        if not lease_ids:
            return
        self.settled.update(lease_ids)
        if self._away_since is not None:
            return
        try:
            self.server.zrem(self.keys.inflight(self.worker), *(self.leases[i] for i in lease_ids))
        except UNREACHABLE as error:
            self._redis_away(error)
            return
        for i in lease_ids:
            del self.leases[i], self.leased[i]
            self.settled.discard(i)

    def _give_back(self, lease_id: int) -> None:
        """Queue a leased request again; while Redis is away, once it is back."""
        self.giving_back.add(lease_id)
        if self._away_since is not None:
            return
        data, request = self.leases[lease_id], self.leased[lease_id]
        try:
            with self.server.pipeline(transaction=True) as pipe:
                pipe.zadd(self.keys.queue, {data: -request.priority})
                pipe.zrem(self.keys.inflight(self.worker), data)
                pipe.execute()
        except UNREACHABLE as error:
            self._redis_away(error)
            return
        del self.leases[lease_id], self.leased[lease_id]
        self.giving_back.discard(lease_id)
        self.settled.discard(lease_id)
        self.stats.inc_value(STAT_GIVEN_BACK)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            if self._away_since is None or await self._redis_back():
                try:
                    self._beat()
                    self._push_unsent()
                    self._record_seeded()
                    self._requeue_dead()
                    self._requeue_unknown_leases()
                    for lease_id in list(self.giving_back):
                        self._give_back(lease_id)
                    self._release_settled()
                except redis.RedisError as error:
                    self._redis_away(error)
                except Exception:  # a bug must not end the heartbeat, the one way back from an outage
                    logger.exception("The heartbeat of worker %s failed", self.worker)
            # Take what other workers queued now rather than at Scrapy's next 5-second heartbeat.
            nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
            if nextcall is not None:
                nextcall.schedule()

    def _beat(self) -> None:
        with self.server.pipeline() as pipe:
            pipe.set(self.keys.alive(self.worker), self.state, px=int(self.lease_ttl * 1000))
            pipe.sadd(self.keys.workers, self.worker)
            pipe.execute()

    def _requeue_unknown_leases(self) -> None:
        """Queue again what Redis holds in flight for this worker without the worker knowing it:
        a lease whose answer was lost (Redis did not answer in time, then ran the command)."""
        inflight = self.keys.inflight(self.worker)
        held = set(self.leases.values())
        unknown = {data: score for data, score in self.server.zrange(inflight, 0, -1, withscores=True)
                   if data not in held}  # fmt: skip
        if unknown:
            with self.server.pipeline(transaction=True) as pipe:
                pipe.zadd(self.keys.queue, unknown)
                pipe.zrem(inflight, *unknown)
                pipe.execute()
            self.stats.inc_value(STAT_REQUEUED, len(unknown))

    def _requeue_keys(self, worker: str) -> list[str]:
        return [self.keys.alive(worker), self.keys.inflight(worker), self.keys.queue, self.keys.workers]

    def _requeue_dead(self) -> None:
        """Put the in-flight requests of every worker that stopped beating back in the queue."""
        for member in self.server.smembers(self.keys.workers):
            worker = member.decode()
            if worker == self.worker:
                continue
            moved = self._requeue(keys=self._requeue_keys(worker), args=[worker])
            if moved > 0:
                self.stats.inc_value(STAT_REQUEUED, moved)
                logger.warning("Worker %s stopped: its %d requests in flight are queued again", worker, moved)

    # --- closing ------------------------------------------------------------------------

    def _budget_spent(self) -> bool:
        spent = getattr(self.spider, "budget_spent", None)
        return bool(spent and spent())

    def _spider_idle(self) -> None:
        """Keep an idle worker open while the crawl may still bring work, then IDLE_CLOSE seconds more."""
        if self._budget_spent():
            raise CloseSpider("max_pages")
        busy = True  # while Redis is away, where the crawl's state is
        if self._away_since is None:
            try:
                if self.state != IDLE:
                    self.state = IDLE
                    self._beat()
                busy = self._crawl_busy()
            except redis.RedisError as error:
                self._redis_away(error)
        if busy:
            self._idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_close:
            raise DontCloseSpider
        logger.info(
            "Nothing left in crawl %s for %.0f s: worker %s closes", self.keys.base, self.idle_close, self.worker
        )
        with contextlib.suppress(redis.RedisError, ValueError):
            self.stats.set_value(STAT_CRAWL_FETCHES, int(self.server.get(self.keys.fetches) or 0))

    def _crawl_busy(self) -> bool:
        """True while another worker may still queue requests (this one is idle)."""
        holder = self.server.get(self.keys.seeded)
        if holder is not None and holder != SEEDS_DONE:
            if (self._reseed_task is None or self._reseed_task.done()) and self.claim_seeds():
                self._reseed_task = asyncio.ensure_future(self._reseed())
            return True
        return bool(self._busy_elsewhere(keys=[self.keys.queue, self.keys.workers], args=[self.keys.base, self.worker]))


def _scheduler(crawler: Crawler) -> DistributedScheduler | None:
    scheduler = crawler.engine.scheduler if crawler.engine is not None else None
    return scheduler if isinstance(scheduler, DistributedScheduler) else None


def shared_fetch_counter(crawler: Crawler) -> Callable[[int], int | None] | None:
    """In distributed mode, what counts a fetch against the whole crawl's budget (see ``count_fetch``)."""
    scheduler = _scheduler(crawler)
    return None if scheduler is None else scheduler.count_fetch


def claim_seeds(crawler: Crawler) -> bool:
    """Whether this process yields the seeds: always, except in distributed mode, where only the
    first worker of a crawl does (or one taking over from a worker that died while pushing them)."""
    scheduler = _scheduler(crawler)
    return True if scheduler is None else scheduler.claim_seeds()


def seeds_pushed(crawler: Crawler) -> None:
    """Record in distributed mode that every seed is queued."""
    scheduler = _scheduler(crawler)
    if scheduler is not None:
        scheduler.seeds_pushed()

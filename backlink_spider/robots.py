"""robots.txt as RFC 9309 says, on top of Scrapy's RobotsTxtMiddleware and Protego.

Scrapy parses whatever a robots.txt fetch returns, so a 5xx error page or a timeout
means "allow all". RFC 9309 (§2.3.1.4) says an unreachable robots.txt means
"disallow all" (as StormCrawler and Nutch do), while a 4xx means "allow all". The
rules of a host are kept at most ``BACKLINKS_ROBOTS_MAX_AGE`` seconds (§2.4: 24 hours)
and then fetched again. Groups are matched against ``ROBOTSTXT_USER_AGENT``, the product
token, and a group's ``Crawl-delay`` is obeyed (up to ``BACKLINKS_MAX_CRAWL_DELAY``) by the
downloader (``downloader.py``). Redirects are followed (Scrapy's, up to REDIRECT_MAX_TIMES),
bodies are parsed whole up to DOWNLOAD_MAXSIZE (the RFC asks for at least 500 KiB),
and Protego evaluates groups, wildcards and ``$`` as Google does.

The rules of at most ``BACKLINKS_ROBOTS_CACHE`` hosts are kept: a broad crawl meets new hosts
all the time, and Scrapy keeps every host's rules for good (a few KB each). Beyond, the rules
fetched first are forgotten, and fetched again if their host comes back. Hosts that serve the
same robots.txt, byte for byte (the defaults of WordPress, Blogger, Shopify and the like, the
sites of one owner), share one parsed copy of it: each host then costs its name and a
reference, not a parser (Protego's parse of a two-line file alone is 1.4 KB in 20 blocks).

Requests that arrive while a host's robots.txt is being fetched each wait for its rules.
Scrapy 2.19's middleware awaits the one shared ``Deferred`` directly, so only the first
waiter receives the rules: the callback that hands them over returns None, and every
later waiter gets None, which lets its request through unchecked (scrapy PR #6802). Here
each waiter gets a ``Deferred`` of its own, chained so that the rules pass on to the next.
"""

from __future__ import annotations

import hashlib
import logging
import time
import weakref
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.downloadermiddlewares.robotstxt import logger as scrapy_robots_logger
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from backlink_spider.downloader import Downloader
from backlink_spider.guard import STAT_GUARD_REFUSED
from backlink_spider.resolver import refusal_of

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
# Hosts whose robots.txt could not be fetched (a 5xx, a timeout): disallowed, as RFC 9309 says.
STAT_ROBOTS_UNREACHABLE = "backlinks/robots/unreachable"
# The reason of the IgnoreRequest that Scrapy's redirect middleware raises past REDIRECT_MAX_TIMES.
ENDLESS_REDIRECTS = "max redirections reached"


def is_robots_request(request: Request) -> bool:
    """True for the robots.txt fetches that RobotsTxtMiddleware makes, and for the
    redirects they follow (which keep the meta and the callback, not the path)."""
    return bool(request.meta.get("dont_obey_robotstxt")) and request.callback is NO_CALLBACK


def _hand_over(parser: RobotParser | None, waiter: Deferred[RobotParser | None]) -> RobotParser | None:
    """Give a waiter the rules, and keep them in the chain for the waiters after it."""
    waiter.callback(parser)
    return parser


class _OwnLine(logging.Filter):
    """Scrapy logs a robots.txt that could not be fetched (a host that does not resolve, a
    timeout) as an ERROR with its traceback, naming the page that asked for it: a routine event
    of the web, which ``RobotsPolicy`` logs in one INFO line of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Error downloading")


class RobotsPolicy(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_age = crawler.settings.getfloat("BACKLINKS_ROBOTS_MAX_AGE")
        self.cache_hosts = max(1, crawler.settings.getint("BACKLINKS_ROBOTS_CACHE"))
        self._fetched: dict[str, float] = {}
        # Parsed rules by the digest of their robots.txt, while some host still holds them.
        self._shared: weakref.WeakValueDictionary[bytes, RobotParser] = weakref.WeakValueDictionary()
        self._disallow_all: RobotParser = build_from_crawler(self._parserimpl, crawler, DISALLOW_ALL)
        self._allow_all: RobotParser = build_from_crawler(self._parserimpl, crawler, b"")
        # Why the hosts whose robots.txt the resolver refused are refused (the latest ones).
        self._refused: LocalCache[str, str] = LocalCache(limit=self.cache_hosts)
        if not any(isinstance(f, _OwnLine) for f in scrapy_robots_logger.filters):
            scrapy_robots_logger.addFilter(_OwnLine())

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            mine: Deferred[RobotParser | None] = Deferred()
            pending.addCallback(_hand_over, mine)
            return await maybe_deferred_to_future(mine)
        fetched = self._fetched.get(netloc)
        if fetched is not None and time.monotonic() - fetched > self.max_age:
            del self._parsers[netloc]
            self._stats.inc_value("backlinks/robots/refreshed")
        if netloc not in self._parsers and len(self._parsers) >= self.cache_hosts:
            self._forget_oldest()
        return await super().robot_parser(request)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        refused = self._refused.get(urlparse_cached(request).netloc)
        if refused is not None:
            self._stats.inc_value(STAT_GUARD_REFUSED)
            raise IgnoreRequest(f"private network: {refused}")
        super().process_request_2(rp, request)
        if rp is None:
            return
        # The downloader caps it at BACKLINKS_MAX_CRAWL_DELAY (0: not obeyed).
        delay = rp.crawl_delay(self._robotstxt_useragent or self._default_useragent)
        if delay and isinstance(downloader := self.crawler.engine.downloader, Downloader):  # type: ignore[union-attr]
            downloader.obey_crawl_delay(request, delay)

    def _forget_oldest(self) -> None:
        """Drop the rules fetched first (hosts still waiting for theirs are kept)."""
        for netloc, parser in self._parsers.items():
            if not isinstance(parser, Deferred):
                del self._parsers[netloc]
                self._fetched.pop(netloc, None)
                self._stats.inc_value("backlinks/robots/forgotten")
                return

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        self._fetched[netloc] = time.monotonic()
        if response.status >= 500 or response.status == 429:
            self._stats.inc_value(STAT_ROBOTS_UNREACHABLE)
            logger.info("robots.txt of %s answered %d: the host is disallowed (RFC 9309)", netloc, response.status)
            self._settle(netloc, self._disallow_all)
        elif response.status >= 300:
            # 4xx (and redirects that never ended): no rules, everything is allowed.
            self._settle(netloc, self._allow_all)
        else:
            await self._parse_or_share(response, netloc, request)

    async def _parse_or_share(self, response: Response, netloc: str, request: Request) -> None:
        digest = hashlib.blake2b(response.body, digest_size=16).digest()
        shared = self._shared.get(digest)
        if shared is None:
            await super()._parse_robots(response, netloc, request)
            parser = self._parsers[netloc]
            if isinstance(parser, RobotParser):
                self._shared[digest] = parser
            return
        # What Scrapy's _parse_robots counts, without the parse (nor its robots_parsed signal).
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        self._stats.inc_value("backlinks/robots/shared")
        self._settle(netloc, shared)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._fetched[netloc] = time.monotonic()
        refused = refusal_of(urlsplit(f"//{netloc}").hostname or "")
        if refused is not None:
            # The resolver refused the host (and said so): its pages are the network guard's
            # refusals, not pages robots.txt denied, nor is its robots.txt unreachable.
            self._stats.inc_value(STAT_GUARD_REFUSED)
            self._refused[netloc] = refused
            self._settle(netloc, self._disallow_all)
            return
        if isinstance(exc, IgnoreRequest) and str(exc) == ENDLESS_REDIRECTS:
            # Redirects past REDIRECT_MAX_TIMES: unavailable, as a 4xx (RFC 9309, 2.3.1.2).
            self._stats.inc_value("backlinks/robots/endless_redirects")
            logger.info("robots.txt of %s redirects without end: no rules, everything is allowed (RFC 9309)", netloc)
            self._settle(netloc, self._allow_all)
            return
        if not isinstance(exc, IgnoreRequest):  # refused by a middleware, which said why
            reason = str(exc) or type(exc).__name__
            logger.info("robots.txt of %s could not be fetched (%s): the host is disallowed (RFC 9309)", netloc, reason)
        self._stats.inc_value(STAT_ROBOTS_UNREACHABLE)
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._settle(netloc, self._disallow_all)

    def _settle(self, netloc: str, parser: RobotParser) -> None:
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

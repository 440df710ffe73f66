"""PrivateNetworkGuard: refuse URLs whose host is this machine or a non-public address.

Runs on every request, redirects included, before robots.txt and before any proxy:
``localhost``, ``127.1``, ``2130706433``, ``0x7f000001``, ``[::1]``, ``10.0.0.1``...
Names are judged on the addresses they resolve to: at connect time by
``resolver.PublicAddressResolver`` for a request that connects to its host, and here for
every name when the operator's proxies are configured, because through a proxy the
resolver only ever looks up the proxy's own name (and trusts it, wherever it points).
A name this machine cannot resolve goes to the proxy, whose network it may be on.
``BACKLINKS_CHECK_PROXIED_NAMES = False`` spares those lookups (a proxy that refuses private
addresses itself); ``BACKLINKS_ALLOW_PRIVATE_NETWORKS = True`` switches all of it off
(tests, intranets).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from backlink_spider.addresses import is_public_ip, parse_ip_literal, refusal_reason
from backlink_spider.resolver import proxy_hosts

logger = logging.getLogger(__name__)

# Requests refused for a private address: by the guard, or by robots.py for a host the resolver refused.
STAT_GUARD_REFUSED = "backlinks/guard/refused"


# Lookups run in threads of their own: most take a millisecond, but a resolver that does not
# answer holds a thread for seconds, and asyncio's default pool of six would make every new
# host of the crawl wait behind a few of those.
_LOOKUPS = ThreadPoolExecutor(max_workers=32, thread_name_prefix="guard-dns")


async def resolved_refusal(host: str, timeout: float) -> str | None:
    """Why ``host`` must not be fetched by the addresses it resolves to here (any one that
    is not public), or None; None too when the name does not exist here. A name that gives
    no answer within ``timeout`` seconds raises ``DNSLookupError``: one whose answer is held
    back until the crawler has given up must not go to the proxy unchecked, but a slow
    resolver says nothing of the host, so its fetch fails as a lookup that timed out does
    (retried), and no verdict is kept."""
    loop = asyncio.get_running_loop()
    lookup = loop.run_in_executor(_LOOKUPS, partial(socket.getaddrinfo, host, None, proto=socket.IPPROTO_TCP))
    try:
        answers = await asyncio.wait_for(lookup, timeout)
    except TimeoutError:
        raise DNSLookupError(f"{host} did not resolve within {timeout:g} s (DNS_TIMEOUT)") from None
    except (OSError, UnicodeError):
        return None
    for *_, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0])
        if not is_public_ip(address):
            return f"{host} resolves to non-public address {address}"
    return None


class PrivateNetworkGuard:
    def __init__(self, crawler: Crawler, proxied: bool, check_names: bool, cache_size: int, timeout: float) -> None:
        self.stats = crawler.stats
        # Whether every name is looked up (proxies configured), or only those of requests with a proxy of their own.
        self.proxied = proxied
        self.check_names = check_names
        self.timeout = timeout
        self._logged: set[str] = set()
        # Scrapy's bounded dict, as its DNS cache: the oldest verdicts go first.
        self._verdicts: LocalCache[str, str | None] = LocalCache(limit=cache_size)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateNetworkGuard:
        settings = crawler.settings
        if settings.getbool("BACKLINKS_ALLOW_PRIVATE_NETWORKS"):
            raise NotConfigured("BACKLINKS_ALLOW_PRIVATE_NETWORKS is on")
        check_names = settings.getbool("BACKLINKS_CHECK_PROXIED_NAMES")
        return cls(
            crawler, check_names and bool(proxy_hosts()), check_names,
            max(1, settings.getint("DNSCACHE_SIZE")), settings.getfloat("DNS_TIMEOUT"),
        )  # fmt: skip

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        reason = refusal_reason(host)
        if (
            reason is None
            and (self.proxied or (self.check_names and "proxy" in request.meta))
            and parse_ip_literal(host) is None
        ):
            reason = await self._resolved(host)
        if reason is None:
            return
        assert self.stats is not None
        self.stats.inc_value(STAT_GUARD_REFUSED)
        if host not in self._logged:
            self._logged.add(host)
            logger.warning("Refused %s: %s (set BACKLINKS_ALLOW_PRIVATE_NETWORKS to allow)", request.url, reason)
        raise IgnoreRequest(f"private network: {reason}")

    async def _resolved(self, host: str) -> str | None:
        """``resolved_refusal(host)``, remembered for ``DNSCACHE_SIZE`` hosts (a lookup that
        timed out is not: ``DNSLookupError`` fails this fetch only)."""
        if host not in self._verdicts:
            self._verdicts[host] = await resolved_refusal(host, self.timeout)
        return self._verdicts[host]

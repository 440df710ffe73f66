"""PublicAddressResolver: Scrapy's caching resolver, refusing names that resolve to
non-public addresses.

The check is on the address actually connected to, at connect time, on every hop of
a redirect chain. The names of the operator's proxies (``http_proxy``/``https_proxy``)
may resolve to anything: the connection to a proxy is the operator's choice. While proxies
are configured, ``guard.PrivateNetworkGuard`` checks every request's host name itself
(a request to the proxy's name included). ``BACKLINKS_ALLOW_PRIVATE_NETWORKS`` switches it off.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.datatypes import LocalCache
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from backlink_spider.addresses import is_public_ip

logger = logging.getLogger(__name__)
# Why each name refused lately was (the latest 10,000): Twisted hands a refusal on as "no
# results", so robots.py asks here whether a robots.txt that could not be fetched was refused.
_refused: LocalCache[str, str] = LocalCache(limit=10_000)


def refusal_of(name: str) -> str | None:
    """Why the resolver refused ``name``, if it did."""
    return _refused.get(name)


def proxy_hosts() -> frozenset[str]:
    """Host names of the proxies configured in the environment."""
    hosts = set()
    for url in getproxies().values():
        host = urlsplit(url if "://" in url else f"http://{url}").hostname
        if host:
            hosts.add(host.lower())
    return frozenset(hosts)


class PublicAddressResolver(CachingThreadedResolver):
    def __init__(self, reactor: ReactorBase, cache_size: int, timeout: float, allow_private: bool = False):
        super().__init__(reactor, cache_size, timeout)
        self.allow_private = allow_private
        self.trusted = proxy_hosts()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: ReactorBase) -> PublicAddressResolver:
        settings = crawler.settings
        return cls(
            reactor,
            settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0,
            settings.getfloat("DNS_TIMEOUT"),
            settings.getbool("BACKLINKS_ALLOW_PRIVATE_NETWORKS"),
        )

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        deferred = super().getHostByName(name, timeout)
        if self.allow_private or name.lower() in self.trusted:
            return deferred
        return deferred.addCallback(self._refuse_private, name)

    @staticmethod
    def _refuse_private(address: str, name: str) -> str:
        if not is_public_ip(ipaddress.ip_address(address)):
            # Twisted reports a refused name as "no results"; say why here, once a name.
            if name not in _refused:
                _refused[name] = f"{name} resolves to non-public address {address}"
                logger.warning("Refused %s: resolves to non-public address %s", name, address)
            raise DNSLookupError(f"{name} resolves to non-public address {address}: refused")
        return address

"""PrivateNetworkGuard: refuse URLs whose host is this machine or a non-public IP literal.

Runs on every request, redirects included, before robots.txt and before any proxy:
``localhost``, ``127.1``, ``2130706433``, ``0x7f000001``, ``[::1]``, ``10.0.0.1``...
Names are judged again on the address they resolve to, by ``resolver.PublicAddressResolver``.
``BACKLINKS_ALLOW_PRIVATE_NETWORKS = True`` switches both off (tests, intranets).
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from backlink_spider.addresses import refusal_reason

logger = logging.getLogger(__name__)


class PrivateNetworkGuard:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self._logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateNetworkGuard:
        if crawler.settings.getbool("BACKLINKS_ALLOW_PRIVATE_NETWORKS"):
            raise NotConfigured("BACKLINKS_ALLOW_PRIVATE_NETWORKS is on")
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        reason = refusal_reason(host)
        if reason is None:
            return
        assert self.stats is not None
        self.stats.inc_value("backlinks/guard/refused")
        if host not in self._logged:
            self._logged.add(host)
            logger.warning("Refused %s: %s (set BACKLINKS_ALLOW_PRIVATE_NETWORKS to allow)", request.url, reason)
        raise IgnoreRequest(f"private network: {reason}")

"""DomainLimit: at most n tasks at once per registered domain, across everything that uses it.

The downloader bounds the crawl's own requests per registered domain
(``CONCURRENT_REQUESTS_PER_DOMAIN``, ``downloader.py``); the requests a rendered page makes
(its scripts' ``fetch()``, its frames) are answered from Python, outside the downloader's
slots, and several renders may run at once. They go through one ``DomainLimit`` with the
same bound, so a page that fires 30 requests at its API sends two at a time. A domain's
semaphore exists only while some task holds or waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from backlink_spider.domains import domain_of


class DomainLimit:
    def __init__(self, per_domain: int) -> None:
        self.per_domain = max(1, per_domain)
        # Per domain: its semaphore, and how many tasks hold or wait for it.
        self._domains: dict[str, tuple[asyncio.Semaphore, int]] = {}

    def __len__(self) -> int:
        """Domains with a task holding or waiting for their room."""
        return len(self._domains)

    @asynccontextmanager
    async def room(self, url: str) -> AsyncIterator[None]:
        """Wait until the registered domain of ``url`` has fewer than ``per_domain`` tasks inside."""
        domain = domain_of(urlsplit(url).hostname or "")
        semaphore, users = self._domains.get(domain) or (asyncio.Semaphore(self.per_domain), 0)
        self._domains[domain] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._domains[domain]
            if users == 1:
                del self._domains[domain]
            else:
                self._domains[domain] = (semaphore, users - 1)

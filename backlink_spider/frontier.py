"""The frontier policy: which discovered URLs become requests, and in what order.

Decided before a ``Request`` exists (each costs ~115 us): depth limit, a page budget
per registered domain, skipped file extensions, and a seen-set of canonical URLs.
Priorities favour breadth across domains: the n-th page of a domain waits behind the
first pages of every other domain, because referring domains are what users count.
"""

from __future__ import annotations

from posixpath import splitext
from urllib.parse import urlsplit

from scrapy.linkextractors import IGNORED_EXTENSIONS
from w3lib.url import canonicalize_url

_SKIPPED_EXTENSIONS = frozenset("." + ext for ext in IGNORED_EXTENSIONS)


def has_skipped_extension(url: str) -> bool:
    """True for URLs of files that are never HTML (images, archives, media, documents)."""
    root, extension = splitext(urlsplit(url).path.lower())
    # Two-part extensions of the list (``tar.gz``) too.
    return extension in _SKIPPED_EXTENSIONS or splitext(root)[1] + extension in _SKIPPED_EXTENSIONS


class Frontier:
    """Admits URLs to the crawl within the depth and per-domain budgets."""

    def __init__(self, max_depth: int, pages_per_domain: int) -> None:
        self.max_depth = max_depth
        self.pages_per_domain = pages_per_domain
        self.per_domain: dict[str, int] = {}
        self._seen: set[str] = set()

    def admit(self, url: str, domain: str, depth: int) -> int | None:
        """The priority to request ``url`` with, or None when it must not be requested.

        ``depth`` is the number of link hops from a seed; ``domain`` its registered domain.
        """
        if depth > self.max_depth:
            return None
        scheduled = self.per_domain.get(domain, 0)
        if scheduled >= self.pages_per_domain or has_skipped_extension(url):
            return None
        key = canonicalize_url(url)
        if key in self._seen:
            return None
        self._seen.add(key)
        self.per_domain[domain] = scheduled + 1
        return -scheduled

    def domain_full(self, domain: str) -> bool:
        """True when ``domain`` has spent its page budget."""
        return self.per_domain.get(domain, 0) >= self.pages_per_domain

"""The frontier policy: which discovered URLs become requests, and in what order.

Decided before a ``Request`` exists (each costs ~115 us): depth limit, a page budget
per registered domain, skipped file extensions, crawler traps, and a seen-set of
canonical URLs. Priorities favour breadth across domains: the n-th page of a domain
waits behind the first pages of every other domain, because referring domains are
what users count.

Traps, as Nutch and Heritrix bound them: paths deeper than ``MAX_PATH_SEGMENTS`` or
repeating a segment ``MAX_SEGMENT_REPEATS`` times (``/a/a/a/``, relative-link loops);
session ids, removed from URLs before they are requested or compared; and endless
variants of one page (calendars' "next month", faceted search, sort orders): a
domain gets at most ``variants_per_path`` URLs with a query per path, whatever their queries.

What the frontier remembers of each URL (seen, and for a URL with a query the variants of
its path) is a 64-bit fingerprint in a ``seen.FingerprintCounter``: about 12 bytes, not
the URL, so a long crawl's memory stays nearly flat. A URL without a query is no variant
(``/page`` and ``/page?sort=1`` are, ``/page`` and ``/other`` are not), so it costs one
fingerprint, not two.
"""

from __future__ import annotations

import re
from collections import Counter
from posixpath import splitext
from urllib.parse import urlsplit

from scrapy.linkextractors import IGNORED_EXTENSIONS
from w3lib.url import canonicalize_url, url_query_cleaner

from backlink_spider.seen import FingerprintCounter, fingerprint

_SKIPPED_EXTENSIONS = frozenset("." + ext for ext in IGNORED_EXTENSIONS)
MAX_PATH_SEGMENTS = 20
MAX_SEGMENT_REPEATS = 3
# Query parameters that carry a session, not content (PHP, Java, ASP.NET, CMSs, trackers).
SESSION_PARAMETERS = (
    "phpsessid", "jsessionid", "sid", "sessionid", "session_id", "session", "aspsessionid", "cfid", "cftoken",
    "zenid", "osCsid", "s", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid", "gclid",
)  # fmt: skip
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)


def has_skipped_extension(url: str) -> bool:
    """True for URLs of files that are never HTML (images, archives, media, documents)."""
    root, extension = splitext(urlsplit(url).path.lower())
    # Two-part extensions of the list (``tar.gz``) too.
    return extension in _SKIPPED_EXTENSIONS or splitext(root)[1] + extension in _SKIPPED_EXTENSIONS


def strip_session_ids(url: str) -> str:
    """``url`` without session ids and tracking parameters (in its query or its path)."""
    if ";" in url:
        url = _PATH_SESSION.sub("", url)
    if "?" not in url:
        return url
    lowered = {name.lower() for name in SESSION_PARAMETERS}
    query = urlsplit(url).query
    names = {pair.split("=", 1)[0] for pair in query.split("&") if pair}
    present = [name for name in names if name.lower() in lowered]
    return url_query_cleaner(url, present, remove=True, keep_fragments=True) if present else url


def trap_reason(url: str) -> str | None:
    """Why ``url`` looks like a crawler trap by its shape alone, or None."""
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    if len(segments) > MAX_PATH_SEGMENTS:
        return "too deep"
    if segments and Counter(segments).most_common(1)[0][1] >= MAX_SEGMENT_REPEATS:
        return "repeated path segment"
    return None


def variant_key(url: str, domain: str) -> int | None:
    """The fingerprint of the page a URL with a query is a variant of: its domain and path
    (numbers in paths are left alone: ``/article/123`` and ``/article/124`` are different
    pages); None for a URL without a query, which is no variant."""
    if "?" not in url:
        return None
    parts = urlsplit(url)
    return fingerprint(f"{domain} {parts.path}") if parts.query else None


class Frontier:
    """Admits URLs to the crawl within the depth and per-domain budgets."""

    def __init__(self, max_depth: int, pages_per_domain: int, variants_per_path: int = 10) -> None:
        self.max_depth = max_depth
        self.pages_per_domain = pages_per_domain
        self.variants_per_path = variants_per_path
        self.per_domain: dict[str, int] = {}
        self.traps: Counter[str] = Counter()
        # Canonical URLs, and the (domain, path) templates of those with a query admitted.
        self._seen = FingerprintCounter()
        self._templates = FingerprintCounter()

    def admit(self, url: str, domain: str, depth: int) -> int | None:
        """The priority to request ``url`` with, or None when it must not be requested.

        ``depth`` is the number of link hops from a seed; ``domain`` its registered domain.
        ``url`` should already be free of session ids (``strip_session_ids``).
        """
        if depth > self.max_depth:
            return None
        scheduled = self.per_domain.get(domain, 0)
        if scheduled >= self.pages_per_domain or has_skipped_extension(url):
            return None
        if self._seen.add(fingerprint(canonicalize_url(url))):
            return None
        trap = trap_reason(url)
        variant = variant_key(url, domain) if trap is None else None
        if variant is not None and self._templates.add(variant) >= self.variants_per_path:
            trap = "too many variants of one page"
        if trap is not None:
            self.traps[trap] += 1
            return None
        self.per_domain[domain] = scheduled + 1
        return -scheduled

    def restore(self, url: str, domain: str) -> None:
        """Count ``url`` as admitted before: a resumed crawl carries on with its budgets."""
        self._seen.add(fingerprint(canonicalize_url(url)))
        if (variant := variant_key(url, domain)) is not None:
            self._templates.add(variant)
        self.per_domain[domain] = self.per_domain.get(domain, 0) + 1

    def domain_full(self, domain: str) -> bool:
        """True when ``domain`` has spent its page budget."""
        return self.per_domain.get(domain, 0) >= self.pages_per_domain

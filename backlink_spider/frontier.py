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
its path) and of each registered domain (the pages it had admitted) is a 64-bit fingerprint
in a ``seen.FingerprintCounter``: about 12 bytes, not the URL or the domain's name, and
beyond ``seen_memory`` of them a counter moves them to disk, so a long crawl's memory is
bounded however many URLs and domains it meets. A URL without a query is no variant
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

from backlink_spider.seen import MEMORY, FingerprintCounter, fingerprint

_SKIPPED_EXTENSIONS = frozenset("." + ext for ext in IGNORED_EXTENSIONS)
MAX_PATH_SEGMENTS = 20
MAX_SEGMENT_REPEATS = 3
# Query parameters that carry a session, not content (PHP, Java, ASP.NET, CMSs, trackers).
SESSION_PARAMETERS = (
    "phpsessid", "jsessionid", "sid", "sessionid", "session_id", "session", "aspsessionid", "cfid", "cftoken",
    "zenid", "osCsid", "s", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid", "gclid",
)  # fmt: skip
# Registered domains whose counts a frontier keeps in a dict (~70 bytes each) before merging them.
DOMAINS_BUFFER = 65_536
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

    def __init__(
        self, max_depth: int, pages_per_domain: int, variants_per_path: int = 10, seen_memory: int = MEMORY
    ) -> None:
        self.max_depth = max_depth
        self.pages_per_domain = pages_per_domain
        self.variants_per_path = variants_per_path
        self.traps: Counter[str] = Counter()
        # Canonical URLs, the (domain, path) templates of those with a query admitted, and
        # the pages admitted per registered domain.
        self._seen = FingerprintCounter(memory=seen_memory)
        self._templates = FingerprintCounter(memory=seen_memory)
        # Every link asks for its domain's count: the domains met lately stay in the dict.
        self._domains = FingerprintCounter(buffer=DOMAINS_BUFFER, memory=seen_memory)

    def admit(self, url: str, domain: str, depth: int, probe: bool = False) -> int | None:
        """The priority to request ``url`` with, or None when it must not be requested.

        ``depth`` is the number of link hops from a seed; ``domain`` its registered domain.
        ``url`` should already be free of session ids (``strip_session_ids``). A ``probe`` (a
        link's URL asked where it redirects) is part of reading the page that links to it, not
        a hop deeper: it may be one link past the depth limit, and the budgets, traps and seen-set
        are its as any page's.
        """
        if depth > self.max_depth + probe:
            return None
        domain_key = fingerprint(domain)
        scheduled = self._domains.count(domain_key)
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
        self._domains.add(domain_key)
        return -scheduled

    def restore(self, url: str, domain: str) -> None:
        """Count ``url`` as admitted before: a resumed crawl carries on with its budgets."""
        self._seen.add(fingerprint(canonicalize_url(url)))
        if (variant := variant_key(url, domain)) is not None:
            self._templates.add(variant)
        self._domains.add(fingerprint(domain))

    def admitted(self, domain: str) -> int:
        """How many URLs of the registered domain ``domain`` were admitted."""
        return self._domains.count(fingerprint(domain))

    def domain_full(self, domain: str) -> bool:
        """True when ``domain`` has spent its page budget."""
        return self.admitted(domain) >= self.pages_per_domain

"""Links that may reach a target through a redirect (``link_type`` ``redirect``).

A page may link to a target through another URL that redirects there: a URL shortener
(``bit.ly/abc``), an affiliate or tracking link (``/go/target``, ``/out?url=...``). Which
links do is known only once they are fetched, when the page that carried them has long been
parsed. So the spider probes the URLs this module guesses may redirect (a shortener's, one
whose URL names a target, one whose path reads like a redirect): a request that answers its
redirect to the spider instead of following it, hop by hop, while the links to that URL wait
in ``Redirects``; where the redirects lead settles them all, and every later link to the same
URL. Guessing, not probing every link, keeps the crawl's pages for pages: a probe is a fetch.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from functools import lru_cache

import idna

from backlink_spider.domains import unicode_host

# Request meta keys of a probe: the URL a page linked to (the first of its redirects), and the
# redirects followed since.
VIA = "backlinks_via"
HOPS = "backlinks_hops"
# ... and the first link that waits for it (a ``Via``): the one a probe settles by itself when
# the links waiting for it are not in this process (another worker's probe, a resumed JOBDIR).
FIRST_LINK = "backlinks_first_link"
# Redirects a probe follows at most, as Scrapy's REDIRECT_MAX_TIMES bounds a fetch's.
MAX_HOPS = 5
# A probe answers its redirect to the spider instead of following it.
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

# URL shorteners and link wrappers: every link to them is a redirect.
SHORTENERS = frozenset(
    [
        "bit.ly", "bitly.com", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "buff.ly", "is.gd", "v.gd", "rebrand.ly",
        "cutt.ly", "t.ly", "rb.gy", "tiny.cc", "shorturl.at", "lnkd.in", "dlvr.it", "trib.al", "bl.ink", "s.id",
        "amzn.to", "short.io", "clck.ru", "fb.me", "surl.li", "x.gd", "shorte.st", "adf.ly", "po.st", "snip.ly",
    ]
)  # fmt: skip
# A path segment that reads like a redirect: affiliate and outbound-link plugins' prefixes.
_REDIRECT_PATH = re.compile(
    r"/(?:go|out|outbound|outgoing|redirect|redir|recommends|visit|exit|away|link|aff|affiliate|refer|click|track)"
    r"(?:[/.?=]|$)",
    re.IGNORECASE,
)


class RedirectGuess:
    """Whether a link to another site than the targets' may redirect to one of them."""

    def __init__(self, targets: Iterable[str]) -> None:
        # A page's menus repeat its links on every page of a site: each is judged once in a while.
        self.cached = lru_cache(maxsize=4096)(self.__call__)
        names: set[str] = set()
        for target in targets:
            names.add(unicode_host(target))
            with suppress(idna.IDNAError):
                names.add(idna.encode(target, uts46=True).decode("ascii"))
        self.names = tuple(sorted(names))

    def __call__(self, url: str, host: str, domain: str) -> bool:
        if domain in SHORTENERS or host in SHORTENERS:
            return True
        # After the host: a target named in the path or query (``/out?url=https%3A%2F%2Ftarget.com``).
        start = url.find(host) + len(host) if host else 0
        rest = url[start:]
        lowered = rest.lower()
        return any(name in lowered for name in self.names) or _REDIRECT_PATH.search(rest) is not None


# A link waiting for where its URL leads: (source URL, anchor, rel, placement, snippet, page
# nofollow, indexable, the URL linked to).
Via = tuple[str, str, str, str, str, bool, bool, str]


class Redirects:
    """What a crawl knows of the URLs that may redirect to a target: where each one probed
    led (a target's URL and host, or None), and the links waiting for a probe's answer.

    At most ``max_urls`` URLs are kept, at most ``per_domain`` probed on one registered
    domain, and at most ``per_source`` for the pages of one registered domain, each behind
    the one before it as the pages of a site are (``wait``): a site whose every link reads
    like a redirect, or a page of thousands of short links, cannot flood the crawl."""

    def __init__(
        self, targets: Iterable[str], max_urls: int = 100_000, per_domain: int = 1000, per_source: int = 100
    ) -> None:
        self.guess = RedirectGuess(targets)
        self.max_urls = max_urls
        self.per_domain = per_domain
        self.per_source = per_source
        self.sources: Counter[str] = Counter()
        self.landings: dict[str, tuple[str, str] | None] = {}
        self.waiting: dict[str, list[Via]] = {}
        # URLs whose probe failed (a timeout, a 5xx): where they lead is unknown this crawl.
        self.unanswered: set[str] = set()
        self.probed: Counter[str] = Counter()

    def wait(self, url: str, domain: str, via: Via, source: str) -> int | None:
        """Keep ``via``, a link from a page of the registered domain ``source``, until where
        ``url`` leads is known. The priority to probe ``url`` with when it is to be probed (its
        first link): the n-th probe for a site's pages waits behind the first ones of every other
        site, as its n-th page does (``frontier.py``). None when a probe is on its way or over
        the bounds."""
        waiting = self.waiting.get(url)
        if waiting is not None:
            waiting.append(via)
            return None
        if (
            len(self.waiting) + len(self.landings) >= self.max_urls
            or self.probed[domain] >= self.per_domain
            or self.sources[source] >= self.per_source
        ):
            return None
        self.probed[domain] += 1
        self.sources[source] += 1
        self.waiting[url] = [via]
        return 1 - self.sources[source]

    def settle(self, url: str, landing: tuple[str, str] | None) -> list[Via]:
        """Where ``url`` leads: a target's URL and host, or None; the links that waited for it."""
        if len(self.landings) < self.max_urls:
            self.landings[url] = landing
        return self.waiting.pop(url, [])

    def forget(self, url: str) -> None:
        """A probe of ``url`` failed: its links wait no more, and where it leads stays unknown
        (their rows, and those of later links to it, are kept, not lost)."""
        self.waiting.pop(url, None)
        if len(self.unanswered) < self.max_urls:
            self.unanswered.add(url)

    def unsettled(self, url: str) -> bool:
        """Whether where ``url`` leads is not known (yet) in this crawl."""
        return url in self.waiting or url in self.unanswered

"""Links that may reach a target through a redirect (``link_type`` ``redirect``).

A page may link to a target through another URL that redirects there: a URL shortener
(``bit.ly/abc``), an affiliate or tracking link (``/go/target``, ``/out?url=...``). Which
links do is known only once they are fetched, when the page that carried them has long been
parsed; the spider makes the request of such a link carry the link (``VIA``), and reads it
back when the response shows where the redirects led. Carrying every link would cost the
queue of pending requests its compact form (``queues.PackedFifo``), so only the links this
module guesses may redirect carry theirs: a shortener's, one whose URL names a target, one
whose path reads like a redirect.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import suppress

import idna

from backlink_spider.domains import unicode_host

# Request meta key: the link a request was made for, when it may redirect to a target.
VIA = "backlinks_via"

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

"""Link and page directives: ``rel`` tokens and robots ``nofollow`` (meta tags and headers).

Pure functions over strings; the extraction module feeds them attribute values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# The rel tokens that decide whether a link passes authority.
FOLLOW_TOKENS = ("nofollow", "sponsored", "ugc")
# Robots meta names that speak to every crawler or to the ones we resemble.
ROBOTS_META_NAMES = frozenset({"robots", "googlebot", "bingbot", "backlink_spider"})
# Directives written ``name: value``, which a header value may start with (not a user agent).
_VALUED_DIRECTIVES = frozenset({"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"})


@dataclass(frozen=True, slots=True)
class Rel:
    """The ``rel`` attribute of a link, as tokens and the flags search engines read."""

    tokens: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: str | None) -> Rel:
        if not value:
            return _EMPTY_REL
        # HTML separates tokens by white space; Google and Bing also read commas ("ugc,nofollow").
        seen: dict[str, None] = {}
        for token in value.lower().replace(",", " ").split():
            seen.setdefault(token, None)
        return cls(tuple(seen))

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    @property
    def nofollow(self) -> bool:
        return "nofollow" in self.tokens

    @property
    def ugc(self) -> bool:
        return "ugc" in self.tokens

    @property
    def sponsored(self) -> bool:
        return "sponsored" in self.tokens

    @property
    def follow_text(self) -> str:
        """The tokens that decide whether the link passes authority, in one order: what makes
        it another link (``pipelines.schema.link_key``)."""
        return " ".join(token for token in FOLLOW_TOKENS if token in self.tokens)

    def dofollow(self, page_nofollow: bool) -> bool:
        """Followable: no nofollow, ugc or sponsored, and the page is not nofollow as a whole."""
        return not (page_nofollow or self.nofollow or self.ugc or self.sponsored)


_EMPTY_REL = Rel()


def robots_say(directives: str, directive: str) -> bool:
    """True when a robots directive list (meta content or header value) says ``directive``
    (``nofollow`` or ``noindex``).

    ``none`` means ``noindex, nofollow``. An ``X-Robots-Tag`` value may start with a
    user agent (``googlebot: nofollow``); only the directives after it count.
    """
    for part in directives.lower().replace(";", ",").split(","):
        token = part.rsplit(":", 1)[-1].strip()
        if token == directive or token == "none":
            return True
    return False


def header_says(values: Iterable[str], directive: str) -> bool:
    """True when any ``X-Robots-Tag`` header value says ``directive`` for every crawler or
    for one we resemble (a value scoped to another user agent does not count)."""
    for value in values:
        scope, _, rest = value.partition(":")
        scope = scope.strip().lower()
        if (
            rest
            and scope not in ROBOTS_META_NAMES
            and scope not in _VALUED_DIRECTIVES
            and not any(ch in scope for ch in " ,;")
        ):
            continue
        if robots_say(value, directive):
            return True
    return False


# One link of an HTTP ``Link`` header: ``<url>`` and its parameters (RFC 8288).
_HEADER_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_REL_PARAM = re.compile(r"""(?i)\brel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""")


def header_canonical(values: Iterable[str]) -> str | None:
    """The URL of the first link with rel ``canonical`` in ``Link`` header values
    (``<https://example.com/page>; rel="canonical"``), as written; None without one."""
    for value in values:
        for link in _HEADER_LINK.finditer(value):
            rel = _REL_PARAM.search(link[2])
            if rel and "canonical" in Rel.parse(rel[1] if rel[1] is not None else rel[2]).tokens:
                return link[1].strip()
    return None

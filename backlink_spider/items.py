"""Items the spider yields: one ``Backlink`` per link to a target (``backlink_of`` builds
one), one ``PageRecord`` per page.

Plain dataclasses (Scrapy exports them as they are): ``-O backlinks.jsonl`` writes the
backlinks; page records go to the database only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from backlink_spider.anchors import classify_anchor
from backlink_spider.directives import Rel
from backlink_spider.domains import domain_of, unicode_host


@dataclass(slots=True)
class Backlink:
    """A link on another site's page to a target; the fields of the ``backlinks`` table."""

    target_domain: str
    target_url: str
    source_url: str
    source_host: str
    source_domain: str
    anchor_text: str
    anchor_class: str
    rel: str
    nofollow: bool
    ugc: bool
    sponsored: bool
    dofollow: bool
    link_type: str
    placement: str
    snippet: str
    seen_at: datetime
    discovered_via: str = "crawl"
    # False when the referring page asks not to be indexed (robots noindex) or names another
    # page canonical: search engines do not count the link from it (Ahrefs does not show it).
    indexable: bool = True
    # For a link of type redirect: the URL the page links to, which redirected to ``target_url``.
    via_url: str | None = None


def backlink_of(
    target: str, target_url: str, source_url: str, anchor: str, rel: Rel, page_nofollow: bool, seen_at: datetime,
    keywords: tuple[str, ...] = (), **fields: Any,
) -> Backlink:  # fmt: skip
    """The ``Backlink`` of a link from ``source_url`` to ``target_url`` (on ``target``): its
    source host and domain, anchor class and rel flags worked out; ``fields`` are the rest
    (link type, placement, snippet, ...)."""
    source_host = unicode_host(urlsplit(source_url).hostname or "")
    return Backlink(
        target_domain=target,
        target_url=target_url,
        source_url=source_url,
        source_host=source_host,
        source_domain=domain_of(source_host),
        anchor_text=anchor,
        anchor_class=classify_anchor(anchor, target, keywords),
        rel=rel.text,
        nofollow=rel.nofollow,
        ugc=rel.ugc,
        sponsored=rel.sponsored,
        dofollow=rel.dofollow(page_nofollow),
        seen_at=seen_at,
        **fields,
    )


@dataclass(slots=True)
class PageRecord:
    """A page fetched and parsed; the fields of the ``pages`` table."""

    url: str
    host: str
    domain: str
    status: int
    fetched_at: datetime
    nofollow: bool
    outlinks: int
    backlinks: int
    depth: int
    rendered: bool = False
    # Robots noindex, and the page its <link rel=canonical> names when that is another page.
    noindex: bool = False
    canonical_url: str | None = None
    # The (URL, anchor) of the page's links that may redirect to a target and whose destination
    # the crawl does not know when the page is stored: their backlinks of type redirect stay live
    # (not stored in the pages table).
    redirect_links: tuple[tuple[str, str], ...] = ()
    # The durable frontier's id of the request that fetched the page (JOBDIR crawls);
    # not stored in the pages table.
    request_id: int | None = None
    # Other registered domain -> (links, followable links) on this page: its share of
    # the domain graph (table page_domain_links).
    domain_links: dict[str, tuple[int, int]] = field(default_factory=dict)

"""A page's links to other registered domains, counted: its share of the domain graph
that authority is computed from (links within its own domain are left out)."""

from __future__ import annotations

from backlink_spider.domains import domain_of
from backlink_spider.extraction import Page


def domain_outlinks(page: Page, source_domain: str) -> dict[str, tuple[int, int]]:
    """Other domain -> (links to it, followable links to it) on ``page``."""
    counts: dict[str, tuple[int, int]] = {}
    for link in page.links:
        domain = domain_of(link.host)
        if domain == source_domain:
            continue
        links, followable = counts.get(domain, (0, 0))
        counts[domain] = (links + 1, followable + link.rel.dofollow(page.nofollow))
    return counts

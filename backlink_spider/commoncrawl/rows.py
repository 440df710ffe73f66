"""Rows of the ``backlinks`` table for links read from Common Crawl, and storing them.

A row is built the way ``pipelines.writer.backlink_row`` builds the crawler's (same
link key: sha256 of source URL, target URL, anchor, rel), with what Common Crawl cannot
tell left as unknown: placement ``unknown``, no snippet, no crawl. ``first_seen`` and
``last_seen`` are the capture time and ``discovered_via`` is ``commoncrawl`` until a
crawl fetches the page: then the crawler's row replaces it (``crawl``) or the link is
marked lost. Writing goes through ``Writer.write_commoncrawl``, which never lets such a
row overwrite what a crawl saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine

from backlink_spider.commoncrawl.candidates import CandidateLink
from backlink_spider.directives import Rel
from backlink_spider.items import backlink_of
from pipelines.writer import Writer, backlink_row

DISCOVERED_VIA = "commoncrawl"
BATCH_SIZE = 1000


def commoncrawl_row(link: CandidateLink, keywords: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ``backlinks`` row of a link read from Common Crawl, not yet confirmed live."""
    item = backlink_of(
        link.target_domain, link.target_url, link.source_url, link.anchor_text, Rel.parse(link.rel or None),
        link.page_nofollow, link.captured_at, keywords,
        link_type=link.link_type, placement="unknown", snippet="", discovered_via=DISCOVERED_VIA,
    )  # fmt: skip
    row = backlink_row(item, crawl_id=0)
    row.update(first_crawl_id=None, last_crawl_id=None)
    return row


def store_links(
    engine: Engine, links: Iterable[CandidateLink], keywords: tuple[str, ...] = (), batch_size: int = BATCH_SIZE
) -> int:
    """Store ``links`` in batches (one transaction each); returns how many were given."""
    writer = Writer(engine)
    batch: list[dict[str, Any]] = []
    count = 0
    for link in links:
        batch.append(commoncrawl_row(link, keywords))
        count += 1
        if len(batch) >= batch_size:
            writer.write_commoncrawl(batch)
            batch = []
    if batch:
        writer.write_commoncrawl(batch)
    return count

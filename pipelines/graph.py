"""The stored link graph: rebuilding ``domain_links`` from the pages crawled, and
storing the authority of every domain in ``domains``.

``page_domain_links`` keeps each page's links per other domain as last fetched (a
re-fetch replaces them), so the graph stays right however often pages are crawled.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from backlink_spider.authority import rank_domains
from pipelines.schema import DomainLinkRow, DomainRow, PageDomainLinkRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthorityRun:
    domains: int
    edges: int
    seconds: float


def _replace_all(connection: Connection, table: type[DomainLinkRow] | type[DomainRow]) -> None:
    """Empty ``table`` to fill it again in this transaction. Crawls that end together (the workers
    of a distributed crawl, scrapyd jobs) each replace the whole table: on PostgreSQL the second
    waits for the first to commit, where its delete, blind to the rows the first inserts, would
    let its insert collide with them. (SQLite lets one writer in at a time.)"""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"LOCK TABLE {table.__tablename__} IN EXCLUSIVE MODE"))
    connection.execute(delete(table))


def rebuild_domain_links(engine: Engine) -> int:
    """Aggregate every page's links into the domain graph; returns its number of edges."""
    links = PageDomainLinkRow
    aggregate = select(
        links.source_domain,
        links.target_domain,
        func.sum(links.links),
        func.max(links.followable_links) > 0,
    ).group_by(links.source_domain, links.target_domain)
    with engine.begin() as connection:
        _replace_all(connection, DomainLinkRow)
        connection.execute(
            insert(DomainLinkRow).from_select(["source_domain", "target_domain", "links", "followable"], aggregate)
        )
        return connection.execute(select(func.count()).select_from(DomainLinkRow)).scalar_one()


def compute_authority(engine: Engine) -> AuthorityRun:
    """Rebuild the graph, rank it and replace ``domains`` with the result."""
    started = time.perf_counter()
    edges = rebuild_domain_links(engine)
    with engine.connect() as connection:
        graph = connection.execute(
            select(DomainLinkRow.source_domain, DomainLinkRow.target_domain, DomainLinkRow.followable)
        )
        ranks = rank_domains((source, target, followable) for source, target, followable in graph)
    now = datetime.now(UTC)
    rows = [
        {
            "domain": domain,
            "authority": rank.authority,
            "pagerank": rank.pagerank,
            "referring_domains": rank.referring_domains,
            "linking_domains": rank.linking_domains,
            "outbound_domains": rank.outbound_domains,
            "computed_at": now,
        }
        for domain, rank in ranks.items()
    ]
    with engine.begin() as connection:
        _replace_all(connection, DomainRow)
        if rows:
            connection.execute(insert(DomainRow), rows)
    run = AuthorityRun(domains=len(rows), edges=edges, seconds=round(time.perf_counter() - started, 3))
    logger.info("Authority of %d domains computed from %d domain links in %.2f s", run.domains, run.edges, run.seconds)
    return run

"""Writing rows: batched, idempotent upserts of backlinks and pages, and the crawl row.

Plain SQLAlchemy Core over a connection, with the dialect's own
``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL); no ORM object per row.
Runs in the storage pipeline's writer thread, never on the reactor thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from backlink_spider.items import Backlink, PageRecord
from pipelines.schema import BacklinkRow, CrawlRow, PageDomainLinkRow, PageRow, text_key


def _clean(value: Any) -> Any:
    # PostgreSQL refuses NUL in text and every driver refuses lone surrogates.
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


_BACKLINK_FIELDS = tuple(Backlink.__dataclass_fields__)


def backlink_row(item: Backlink, crawl_id: int) -> dict[str, Any]:
    # getattr, not dataclasses.asdict (which deep-copies): this runs on the reactor thread.
    row = {key: _clean(getattr(item, key)) for key in _BACKLINK_FIELDS}
    seen_at = row.pop("seen_at")
    row.update(
        link_key=text_key(row["source_url"], row["target_url"], row["anchor_text"], row["rel"]),
        source_key=text_key(row["source_url"]),
        first_seen=seen_at,
        last_seen=seen_at,
        lost_at=None,
        first_crawl_id=crawl_id,
        last_crawl_id=crawl_id,
        lost_crawl_id=None,
    )
    return row


_NOT_PAGE_COLUMNS = ("request_id", "domain_links")


def page_row(item: PageRecord, crawl_id: int) -> dict[str, Any]:
    row = {key: _clean(getattr(item, key)) for key in PageRecord.__dataclass_fields__ if key not in _NOT_PAGE_COLUMNS}
    row.update(url_key=text_key(row["url"]), last_crawl_id=crawl_id)
    return row


def domain_link_rows(item: PageRecord) -> list[dict[str, Any]]:
    """The page's links per other domain, as rows of ``page_domain_links``."""
    page_key = text_key(item.url)
    return [
        {
            "page_key": page_key,
            "source_domain": _clean(item.domain),
            "target_domain": _clean(target),
            "links": links,
            "followable_links": followable,
        }
        for target, (links, followable) in sorted(item.domain_links.items())
    ]


class Writer:
    """Upserts batches into one database, for one crawl of ``targets``."""

    def __init__(self, engine: Engine, targets: Sequence[str] = ()) -> None:
        self.engine = engine
        self.targets = list(targets)
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def _upsert(
        self, connection: Connection, table: Table, key: str, rows: Sequence[dict[str, Any]], keep: Sequence[str]
    ) -> None:
        # One row per key in a batch: ON CONFLICT cannot touch a row twice in one statement.
        # Sorted by key, so concurrent crawls lock shared rows in the same order (no deadlock).
        unique = sorted({row[key]: row for row in rows}.values(), key=lambda row: row[key])
        statement = self._insert(table)
        updates = {
            column.name: statement.excluded[column.name]
            for column in table.columns
            if column.name not in (*keep, "id", key)
        }
        connection.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates), unique)

    def write(
        self,
        backlinks: Sequence[dict[str, Any]],
        pages: Sequence[dict[str, Any]],
        crawl_id: int = 0,
        domain_links: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Store one batch in one transaction.

        New links are inserted; known ones get ``last_seen`` and their current
        attributes (``first_seen`` is kept; a lost one is revived). Then every link to
        the crawl's targets that a page of this batch carried before, and no longer
        carries, is marked lost. A page's links always reach the writer before the page
        itself, in the same batch or an earlier one.
        """
        with self.engine.begin() as connection:
            if backlinks:
                keep = ("first_seen", "first_crawl_id")
                self._upsert(connection, BacklinkRow.__table__, "link_key", backlinks, keep)
            if pages:
                self._upsert(connection, PageRow.__table__, "url_key", pages, keep=())
                self._replace_domain_links(connection, sorted({page["url_key"] for page in pages}), domain_links)
                self._mark_lost(
                    connection, [text_key(page["url"]) for page in pages], pages[-1]["fetched_at"], crawl_id
                )

    # Columns a capture from Common Crawl never changes on a known row (first_seen only moves earlier).
    _CAPTURE_KEEPS = (
        "id", "link_key", "first_seen", "discovered_via", "lost_at", "lost_crawl_id", "first_crawl_id", "last_crawl_id"
    )  # fmt: skip

    def write_commoncrawl(self, backlinks: Sequence[dict[str, Any]]) -> None:
        """Store links read from Common Crawl data (``discovered_via='commoncrawl'``) in one transaction.

        A new link is inserted as captured. A known link gets an earlier ``first_seen`` when
        the capture is older; while it is still unverified and not lost, a newer capture's
        attributes and ``last_seen`` too. What a crawl saw of a link (placement, snippet,
        flags, ``lost_at``, crawl ids, ``discovered_via='crawl'``) is never overwritten.
        """
        merged: dict[str, dict[str, Any]] = {}
        for row in backlinks:
            known = merged.get(row["link_key"])
            if known is None or row["last_seen"] >= known["last_seen"]:
                first = row["first_seen"] if known is None else min(known["first_seen"], row["first_seen"])
                merged[row["link_key"]] = {**row, "first_seen": first}
            else:
                known["first_seen"] = min(known["first_seen"], row["first_seen"])
        table = BacklinkRow.__table__
        statement = self._insert(table)
        capture = statement.excluded
        newer = and_(
            table.c.discovered_via == "commoncrawl", table.c.lost_at.is_(None), capture.last_seen > table.c.last_seen
        )
        updates: dict[str, Any] = {
            column.name: case((newer, capture[column.name]), else_=column)
            for column in table.columns
            if column.name not in self._CAPTURE_KEEPS
        }
        earlier = capture.first_seen < table.c.first_seen
        updates["first_seen"] = case((earlier, capture.first_seen), else_=table.c.first_seen)
        rows = sorted(merged.values(), key=lambda row: row["link_key"])
        if rows:
            with self.engine.begin() as connection:
                connection.execute(statement.on_conflict_do_update(index_elements=["link_key"], set_=updates), rows)

    def _replace_domain_links(
        self, connection: Connection, page_keys: list[str], rows: Sequence[dict[str, Any]]
    ) -> None:
        """A page fetched again replaces its links per domain."""
        connection.execute(delete(PageDomainLinkRow).where(PageDomainLinkRow.page_key.in_(page_keys)))
        # Two URLs redirecting to one page bring its rows twice: keep one set.
        unique = {(row["page_key"], row["target_domain"]): row for row in rows}
        if unique:
            connection.execute(insert(PageDomainLinkRow), list(unique.values()))

    def _mark_lost(self, connection: Connection, source_keys: list[str], when: datetime, crawl_id: int) -> None:
        if not self.targets:
            return
        connection.execute(
            update(BacklinkRow)
            .where(
                BacklinkRow.source_key.in_(source_keys),
                BacklinkRow.target_domain.in_(self.targets),
                BacklinkRow.lost_at.is_(None),
                or_(BacklinkRow.last_crawl_id.is_(None), BacklinkRow.last_crawl_id != crawl_id),
            )
            .values(lost_at=when, lost_crawl_id=crawl_id)
        )

    def start_crawl(self, target: str, started_at: datetime) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(CrawlRow).values(target=target, started_at=started_at).returning(CrawlRow.id)
            )
            return int(result.scalar_one())

    def resume_crawl(self, crawl_id: int) -> bool:
        """Reopen a crawl that was interrupted; False when the database does not know it."""
        with self.engine.begin() as connection:
            reopened = connection.execute(
                update(CrawlRow).where(CrawlRow.id == crawl_id).values(finished_at=None, finish_reason=None)
            )
            return reopened.rowcount == 1

    def finish_crawl(self, crawl_id: int, **values: Any) -> tuple[int, int]:
        """Close the crawl's row with what the database holds for it (so a resumed crawl
        counts all its runs): pages, backlinks, the links it found new and the ones it
        saw lost. Returns the new and lost counts."""
        with self.engine.begin() as connection:

            def count(column: Any, table: Any) -> int:
                return connection.execute(
                    select(func.count()).select_from(table).where(column == crawl_id)
                ).scalar_one()

            new, lost = count(BacklinkRow.first_crawl_id, BacklinkRow), count(BacklinkRow.lost_crawl_id, BacklinkRow)
            connection.execute(
                update(CrawlRow)
                .where(CrawlRow.id == crawl_id)
                .values(
                    pages=count(PageRow.last_crawl_id, PageRow),
                    backlinks=count(BacklinkRow.last_crawl_id, BacklinkRow),
                    new_backlinks=new,
                    lost_backlinks=lost,
                    **values,
                )
            )
        return new, lost

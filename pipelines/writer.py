"""Writing rows: batched, idempotent upserts of backlinks and pages, and the crawl row.

Plain SQLAlchemy Core over a connection, with the dialect's own
``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL); no ORM object per row.
Runs in the storage pipeline's writer thread, never on the reactor thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, insert, update
from sqlalchemy.dialects import postgresql, sqlite

from backlink_spider.items import Backlink, PageRecord
from pipelines.schema import BacklinkRow, CrawlRow, PageRow, text_key


def _clean(value: Any) -> Any:
    # PostgreSQL refuses NUL in text and every driver refuses lone surrogates.
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def backlink_row(item: Backlink, crawl_id: int) -> dict[str, Any]:
    row = {key: _clean(value) for key, value in dataclasses.asdict(item).items()}
    seen_at = row.pop("seen_at")
    row.update(
        link_key=text_key(row["source_url"], row["target_url"], row["anchor_text"], row["rel"]),
        first_seen=seen_at,
        last_seen=seen_at,
        lost_at=None,
        last_crawl_id=crawl_id,
    )
    return row


def page_row(item: PageRecord, crawl_id: int) -> dict[str, Any]:
    row = {key: _clean(value) for key, value in dataclasses.asdict(item).items()}
    row.update(url_key=text_key(row["url"]), last_crawl_id=crawl_id)
    return row


class Writer:
    """Upserts batches into one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def _upsert(self, table: Table, key: str, rows: Sequence[dict[str, Any]], keep: Sequence[str]) -> None:
        # One row per key in a batch: ON CONFLICT cannot touch a row twice in one statement.
        unique = list({row[key]: row for row in rows}.values())
        statement = self._insert(table)
        updates = {
            column.name: statement.excluded[column.name]
            for column in table.columns
            if column.name not in (*keep, "id", key)
        }
        with self.engine.begin() as connection:
            connection.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates), unique)

    def write(self, backlinks: Sequence[dict[str, Any]], pages: Sequence[dict[str, Any]]) -> None:
        """Store one batch: new links inserted, known ones get ``last_seen`` and their
        current attributes (their ``first_seen`` is kept)."""
        if backlinks:
            self._upsert(BacklinkRow.__table__, "link_key", backlinks, keep=("first_seen",))
        if pages:
            self._upsert(PageRow.__table__, "url_key", pages, keep=())

    def start_crawl(self, target: str, started_at: datetime) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(CrawlRow).values(target=target, started_at=started_at).returning(CrawlRow.id)
            )
            return int(result.scalar_one())

    def finish_crawl(self, crawl_id: int, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(CrawlRow).where(CrawlRow.id == crawl_id).values(**values))

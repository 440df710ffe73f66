"""Writing rows: batched, idempotent upserts of backlinks and pages, and the crawl row.

Plain SQLAlchemy Core over a connection, with the dialect's own ``INSERT ... ON CONFLICT
DO UPDATE``; on PostgreSQL a batch is first COPYed into a temporary table, then merged with
one ``INSERT ... SELECT ... ON CONFLICT`` per table. No ORM object per row. Items become
rows here, in the storage pipeline's writer thread, never on the reactor thread.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from psycopg import sql
from sqlalchemy import (
    Column,
    Connection,
    Dialect,
    Engine,
    MetaData,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable

from backlink_spider.items import Backlink, PageRecord
from pipelines.schema import BacklinkRow, CrawlRow, PageDomainLinkRow, PageRow, link_key, text_key


def _clean(value: Any) -> Any:
    # PostgreSQL refuses NUL in text and every driver refuses lone surrogates.
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        # An ASCII string holds no surrogate: no round trip through UTF-8 for it.
        return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")
    return value


_BACKLINK_FIELDS = tuple(Backlink.__dataclass_fields__)

BacklinkValues = tuple[Any, ...]
# A snapshot of a backlink's fields, cheap enough for the reactor thread (a C-level getter).
backlink_values: Callable[[Backlink], BacklinkValues] = operator.attrgetter(*_BACKLINK_FIELDS)


def backlink_row_of(values: BacklinkValues, crawl_id: int) -> dict[str, Any]:
    """The ``backlinks`` row of a snapshot taken by ``backlink_values``."""
    row = dict(zip(_BACKLINK_FIELDS, map(_clean, values), strict=True))
    seen_at = row.pop("seen_at")
    source_url = row["source_url"]
    row["link_key"] = link_key(source_url, row["target_url"], row["anchor_text"], row["rel"])
    row["source_key"] = text_key(source_url)
    row["first_seen"] = row["last_seen"] = seen_at
    row["lost_at"] = None
    row["first_crawl_id"] = row["last_crawl_id"] = crawl_id
    row["lost_crawl_id"] = None
    return row


def backlink_row(item: Backlink, crawl_id: int) -> dict[str, Any]:
    """The ``backlinks`` row of ``item``, seen by crawl ``crawl_id``."""
    return backlink_row_of(backlink_values(item), crawl_id)


_NOT_PAGE_COLUMNS = ("request_id", "domain_links", "redirect_links")


def page_row(item: PageRecord, crawl_id: int) -> dict[str, Any]:
    """The ``pages`` row of ``item``; its ``redirect_links`` ride along (a list, as an unsaved
    file keeps it) for the lost-marking, and no upsert reads them."""
    row = {key: _clean(getattr(item, key)) for key in PageRecord.__dataclass_fields__ if key not in _NOT_PAGE_COLUMNS}
    row.update(url_key=text_key(row["url"]), last_crawl_id=crawl_id, redirect_links=[*map(list, item.redirect_links)])
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


# Columns an upsert never overwrites on a known row.
_KEEPS: dict[str, tuple[str, ...]] = {
    BacklinkRow.__tablename__: ("first_seen", "first_crawl_id"),
    PageRow.__tablename__: (),
}


class _Upsert:
    """The upsert of one table's rows: ``INSERT ... ON CONFLICT (key) DO UPDATE`` of every
    column but the id, the key and the ones kept, through ``Connection.execute`` (which
    fills the defaults of columns a row lacks, as in an old unsaved file). Subclasses give
    complete rows (every column but the id) a faster path."""

    def __init__(self, table: Table, key: str, dialect: Dialect) -> None:
        self.key = key
        self.names = tuple(column.name for column in table.columns if column.name != "id")
        keep = (*_KEEPS[table.name], "id", key)
        self.updated = tuple(column.name for column in table.columns if column.name not in keep)
        statement = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)
        self.statement = statement.on_conflict_do_update(
            index_elements=[key], set_={name: statement.excluded[name] for name in self.updated}
        )

    def execute(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
        # One row per key in a batch: ON CONFLICT cannot touch a row twice in one statement.
        # Sorted by key, so concurrent crawls lock shared rows in the same order (no deadlock).
        unique = sorted({row[self.key]: row for row in rows}.values(), key=operator.itemgetter(self.key))
        if all(name in unique[0] for name in self.names):
            self._complete(connection, unique)
        else:
            connection.execute(self.statement, unique)

    def _complete(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        connection.execute(self.statement, rows)


class _CompiledUpsert(_Upsert):
    """SQLite: the statement compiled once and run with plain tuples, the columns' own
    bind processors applied here, without ``Connection.execute``'s per-row parameter work."""

    def __init__(self, table: Table, key: str, dialect: Dialect) -> None:
        super().__init__(table, key, dialect)
        compiled = self.statement.compile(dialect=dialect, column_keys=list(self.names))
        order = compiled.positiontup or []  # the paramstyle is positional (pysqlite's qmark)
        self.sql = str(compiled)
        self.values = operator.itemgetter(*order)
        self.processors = [
            (index, processor)
            for index, name in enumerate(order)
            if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]

    def _complete(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        connection.exec_driver_sql(self.sql, [self._bound(row) for row in rows])

    def _bound(self, row: dict[str, Any]) -> tuple[Any, ...]:
        values = list(self.values(row))
        for index, processor in self.processors:
            values[index] = processor(values[index])
        return tuple(values)


class _CopyUpsert(_Upsert):
    """PostgreSQL: the rows COPYed into a temporary table of the session (emptied at every
    commit), then merged with one ``INSERT ... SELECT ... ORDER BY key ON CONFLICT``."""

    def __init__(self, table: Table, key: str, dialect: Dialect) -> None:
        super().__init__(table, key, dialect)
        self.staging = Table(
            f"staging_{table.name}",
            MetaData(),
            *(Column(name, table.c[name].type) for name in self.names),
            prefixes=["TEMPORARY"],
            postgresql_on_commit="DELETE ROWS",
        )
        self.create = CreateTable(self.staging, if_not_exists=True)
        self.copy = _copy_statement(self.staging.name, self.names)
        self.values = operator.itemgetter(*self.names)
        merge = postgresql.insert(table).from_select(
            self.names, select(*self.staging.columns).order_by(self.staging.c[key])
        )
        self.merge = merge.on_conflict_do_update(
            index_elements=[key], set_={name: merge.excluded[name] for name in self.updated}
        )

    def _complete(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        # Created in the batch's own transaction, so it is there whichever server session a
        # pooler (PgBouncer in transaction mode) gives this transaction; a no-op once it exists.
        connection.execute(self.create)
        _copy(connection, self.copy, map(self.values, rows))
        connection.execute(self.merge)


def _copy_statement(table: str, names: Sequence[str]) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names))
    )


def _copy(connection: Connection, statement: sql.Composed, rows: Iterable[Sequence[Any]]) -> None:
    """COPY ``rows`` in through the connection's psycopg connection, in its transaction."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


_DOMAIN_LINK_COLUMNS = ("page_key", "source_domain", "target_domain", "links", "followable_links")
_DOMAIN_LINK_COPY = _copy_statement(PageDomainLinkRow.__tablename__, _DOMAIN_LINK_COLUMNS)


class CrawlCounts(NamedTuple):
    """What the database holds for a crawl, over all its runs: the counts its ``crawls`` row keeps."""

    pages: int
    backlinks: int
    new: int
    lost: int


class Writer:
    """Upserts batches into one database, for one crawl of ``targets``."""

    def __init__(self, engine: Engine, targets: Sequence[str] = ()) -> None:
        self.engine = engine
        self.targets = list(targets)
        dialect = engine.dialect
        self._insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
        # COPY through psycopg 3 (the driver open_engine picks); any other driver, the plain upsert.
        self._copies = dialect.name == "postgresql" and dialect.driver == "psycopg"
        self._kind: type[_Upsert] = (
            _CopyUpsert
            if self._copies
            else _CompiledUpsert
            if dialect.name == "sqlite" and dialect.positional
            else _Upsert
        )
        self._upserts: dict[str, _Upsert] = {}

    def _upsert(self, connection: Connection, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
        if table.name not in self._upserts:
            self._upserts[table.name] = self._kind(table, key, self.engine.dialect)
        self._upserts[table.name].execute(connection, rows)

    def write(
        self,
        backlinks: Sequence[dict[str, Any]],
        pages: Sequence[dict[str, Any]],
        crawl_id: int = 0,
        domain_links: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Store one batch of rows in one transaction.

        New links are inserted; known ones get ``last_seen`` and their current
        attributes (``first_seen`` is kept; a lost one is revived). Then every link to
        the crawl's targets that a page of this batch carried before, and no longer
        carries, is marked lost. A page's links always reach the writer before the page
        itself, in the same batch or an earlier one.
        """
        with self.engine.begin() as connection:
            self._store(connection, backlinks, pages, crawl_id, domain_links)

    def write_items(self, backlinks: Sequence[BacklinkValues], pages: Sequence[PageRecord], crawl_id: int) -> None:
        """``write`` for the storage pipeline's buffer: backlink snapshots (``backlink_values``)
        and page records, made rows here, once the database has answered.

        A failed write drops every pooled connection: one cut in the middle of a COPY (which
        talks to psycopg directly, past SQLAlchemy's disconnect detection) must not be handed
        out again for the retry."""
        try:
            with self.engine.begin() as connection:
                self._store(
                    connection,
                    [backlink_row_of(values, crawl_id) for values in backlinks],
                    [page_row(page, crawl_id) for page in pages],
                    crawl_id,
                    [row for page in pages for row in domain_link_rows(page)],
                )
        except Exception:
            self.engine.dispose()
            raise

    def _store(
        self,
        connection: Connection,
        backlinks: Sequence[dict[str, Any]],
        pages: Sequence[dict[str, Any]],
        crawl_id: int,
        domain_links: Sequence[dict[str, Any]],
    ) -> None:
        if backlinks:
            self._upsert(connection, BacklinkRow.__table__, "link_key", backlinks)
        if pages:
            self._upsert(connection, PageRow.__table__, "url_key", pages)
            page_keys = [page["url_key"] for page in pages]
            self._replace_domain_links(connection, sorted(set(page_keys)), domain_links)
            # A link of type redirect whose page still links to the URL that redirected stays live:
            # where that URL leads is known only when a probe answers, after the page is stored.
            kept = [
                (page["url_key"], via, anchor) for page in pages for via, anchor in page.get("redirect_links") or ()
            ]
            self._mark_lost(connection, page_keys, pages[-1]["fetched_at"], crawl_id, kept)

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
        unique = list({(row["page_key"], row["target_domain"]): row for row in rows}.values())
        if not unique:
            return
        if self._copies and all(name in unique[0] for name in _DOMAIN_LINK_COLUMNS):
            _copy(connection, _DOMAIN_LINK_COPY, map(operator.itemgetter(*_DOMAIN_LINK_COLUMNS), unique))
        else:
            connection.execute(insert(PageDomainLinkRow), unique)

    def _mark_lost(
        self, connection: Connection, source_keys: list[str], when: datetime, crawl_id: int,
        kept: Sequence[tuple[str, str, str]] = (),
    ) -> None:  # fmt: skip
        """Links of the crawl's targets on the pages of ``source_keys`` not seen by this crawl
        are lost, but for those of type redirect whose (page key, via URL, anchor) is ``kept``."""
        if not self.targets:
            return
        conditions = [
            BacklinkRow.source_key.in_(source_keys),
            BacklinkRow.target_domain.in_(self.targets),
            BacklinkRow.lost_at.is_(None),
            or_(BacklinkRow.last_crawl_id.is_(None), BacklinkRow.last_crawl_id != crawl_id),
        ]
        if kept:
            conditions.append(
                or_(
                    BacklinkRow.via_url.is_(None),
                    tuple_(BacklinkRow.source_key, BacklinkRow.via_url, BacklinkRow.anchor_text).not_in(kept),
                )
            )
        connection.execute(update(BacklinkRow).where(*conditions).values(lost_at=when, lost_crawl_id=crawl_id))

    def start_crawl(self, target: str, started_at: datetime) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(CrawlRow).values(target=target, started_at=started_at).returning(CrawlRow.id)
            )
            return int(result.scalar_one())

    def resume_crawl(self, crawl_id: int) -> datetime | None:
        """Reopen a crawl that was interrupted: when it started; None when the database does not know it."""
        with self.engine.begin() as connection:
            reopened = connection.execute(
                update(CrawlRow)
                .where(CrawlRow.id == crawl_id)
                .values(finished_at=None, finish_reason=None)
                .returning(CrawlRow.started_at)
            )
            return reopened.scalar_one_or_none()

    def finish_crawl(self, crawl_id: int, **values: Any) -> CrawlCounts:
        """Close the crawl's row with what the database holds for it (so a resumed crawl
        counts all its runs): pages, backlinks, the links it found new and the ones it
        saw lost. Returns those counts."""
        with self.engine.begin() as connection:

            def count(column: Any, table: Any) -> int:
                return connection.execute(
                    select(func.count()).select_from(table).where(column == crawl_id)
                ).scalar_one()

            counts = CrawlCounts(
                pages=count(PageRow.last_crawl_id, PageRow),
                backlinks=count(BacklinkRow.last_crawl_id, BacklinkRow),
                new=count(BacklinkRow.first_crawl_id, BacklinkRow),
                lost=count(BacklinkRow.lost_crawl_id, BacklinkRow),
            )
            connection.execute(
                update(CrawlRow)
                .where(CrawlRow.id == crawl_id)
                .values(
                    pages=counts.pages,
                    backlinks=counts.backlinks,
                    new_backlinks=counts.new,
                    lost_backlinks=counts.lost,
                    **values,
                )
            )
        return counts

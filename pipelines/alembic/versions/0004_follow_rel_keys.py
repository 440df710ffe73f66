"""A link's key counts its rel by the follow tokens it holds, in any order.

Before, ``ugc nofollow`` and ``nofollow ugc``, or ``nofollow`` and ``nofollow noopener``,
were different links, so a page reordering its rel tokens or adding ``noopener`` showed
every such link as lost and new. Existing rows get the key the code now computes
(``pipelines.schema.link_key``, copied here as it is at this revision); two rows that now
name one link become the one seen last, first seen when the earlier was.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 5000
# Keys looked up in one IN (...): within every database's limit of bound parameters.
LOOKUP = 500
FOLLOW_TOKENS = ("nofollow", "sponsored", "ugc")

backlinks = sa.table(
    "backlinks",
    sa.column("id", Id),
    sa.column("link_key", sa.String(64)),
    sa.column("source_url", sa.Text),
    sa.column("target_url", sa.Text),
    sa.column("anchor_text", sa.Text),
    sa.column("rel", sa.Text),
    sa.column("first_seen", sa.DateTime(timezone=True)),
    sa.column("last_seen", sa.DateTime(timezone=True)),
    sa.column("first_crawl_id", Id),
)


def link_key(source_url: str, target_url: str, anchor_text: str, rel: str) -> str:
    tokens = rel.lower().replace(",", " ").split()
    follow = " ".join(token for token in FOLLOW_TOKENS if token in tokens)
    parts = (source_url, target_url, anchor_text, follow)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def upgrade() -> None:
    connection = op.get_bind()
    columns = [backlinks.c.id, backlinks.c.link_key, backlinks.c.first_seen, backlinks.c.last_seen]
    columns.append(backlinks.c.first_crawl_id)
    identity = [backlinks.c.source_url, backlinks.c.target_url, backlinks.c.anchor_text, backlinks.c.rel]
    after = 0
    while True:
        rows = connection.execute(
            sa.select(*columns, *identity)
            .where(backlinks.c.id > after, backlinks.c.rel != "")
            .order_by(backlinks.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        after = rows[-1].id
        moving = {}
        for row in rows:
            key = link_key(row.source_url, row.target_url, row.anchor_text, row.rel)
            if key != row.link_key:
                moving.setdefault(key, []).append(row)
        holders = _holders(connection, columns, list(moving))
        alone = []
        for key, movers in moving.items():
            if len(movers) == 1 and key not in holders:
                alone.append({"row_id": movers[0].id, "new_key": key})
            else:
                _settle(connection, key, [*holders.get(key, []), *movers])
        if alone:
            connection.execute(
                sa.update(backlinks)
                .where(backlinks.c.id == sa.bindparam("row_id"))
                .values(link_key=sa.bindparam("new_key")),
                alone,
            )


def _holders(connection: sa.Connection, columns: list[Any], keys: Sequence[str]) -> dict[str, list[Any]]:
    """The rows that already hold ``keys``, by key."""
    found: dict[str, list[Any]] = {}
    for start in range(0, len(keys), LOOKUP):
        chunk = keys[start : start + LOOKUP]
        for row in connection.execute(sa.select(*columns).where(backlinks.c.link_key.in_(chunk))):
            found.setdefault(row.link_key, []).append(row)
    return found


def _settle(connection: sa.Connection, key: str, rows: Sequence[Any]) -> None:
    """Give ``key`` to the row of ``rows`` seen last, first seen when the first of them was."""
    survivor = max(rows, key=lambda row: (row.last_seen, row.id))
    others = [row.id for row in rows if row.id != survivor.id]
    if others:
        connection.execute(sa.delete(backlinks).where(backlinks.c.id.in_(others)))
    crawl_ids = [row.first_crawl_id for row in rows if row.first_crawl_id is not None]
    connection.execute(
        sa.update(backlinks)
        .where(backlinks.c.id == survivor.id)
        .values(
            link_key=key,
            first_seen=min(row.first_seen for row in rows),
            first_crawl_id=min(crawl_ids) if crawl_ids else None,
        )
    )


def downgrade() -> None:
    # The keys stay unique; the code of revision 0003 would only count such links anew.
    pass

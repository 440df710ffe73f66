"""History of links: which crawl first saw and lost each one; new and lost per crawl.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("backlinks") as batch:
        batch.add_column(sa.Column("source_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("first_crawl_id", Id, nullable=True))
        batch.add_column(sa.Column("lost_crawl_id", Id, nullable=True))
    # Existing rows: the key of their referring page, computed as the code does.
    backlinks = sa.table("backlinks", sa.column("id", Id), sa.column("source_url"), sa.column("source_key"))
    connection = op.get_bind()
    rows = connection.execute(sa.select(backlinks.c.id, backlinks.c.source_url)).all()
    for row in rows:
        key = hashlib.sha256(row.source_url.encode("utf-8", "surrogatepass")).hexdigest()
        connection.execute(sa.update(backlinks).where(backlinks.c.id == row.id).values(source_key=key))
    with op.batch_alter_table("backlinks") as batch:
        batch.alter_column("source_key", existing_type=sa.String(64), nullable=False)
        batch.create_index("ix_backlinks_source_key", ["source_key"])
    with op.batch_alter_table("crawls") as batch:
        batch.add_column(sa.Column("new_backlinks", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("lost_backlinks", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("crawls") as batch:
        batch.drop_column("lost_backlinks")
        batch.drop_column("new_backlinks")
    with op.batch_alter_table("backlinks") as batch:
        batch.drop_index("ix_backlinks_source_key")
        batch.drop_column("lost_crawl_id")
        batch.drop_column("first_crawl_id")
        batch.drop_column("source_key")

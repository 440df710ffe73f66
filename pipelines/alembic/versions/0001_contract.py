"""The first contract: backlinks, pages, crawls.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "backlinks",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("link_key", sa.String(64), nullable=False, unique=True),
        sa.Column("target_domain", sa.Text, nullable=False, index=True),
        sa.Column("target_url", sa.Text, nullable=False),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.Column("source_host", sa.Text, nullable=False),
        sa.Column("source_domain", sa.Text, nullable=False, index=True),
        sa.Column("anchor_text", sa.Text, nullable=False),
        sa.Column("anchor_class", sa.String(16), nullable=False),
        sa.Column("rel", sa.Text, nullable=False),
        sa.Column("nofollow", sa.Boolean, nullable=False),
        sa.Column("ugc", sa.Boolean, nullable=False),
        sa.Column("sponsored", sa.Boolean, nullable=False),
        sa.Column("dofollow", sa.Boolean, nullable=False),
        sa.Column("link_type", sa.String(16), nullable=False),
        sa.Column("placement", sa.String(16), nullable=False),
        sa.Column("snippet", sa.Text, nullable=False),
        sa.Column("first_seen", Timestamp, nullable=False),
        sa.Column("last_seen", Timestamp, nullable=False),
        sa.Column("lost_at", Timestamp, nullable=True),
        sa.Column("discovered_via", sa.String(16), nullable=False),
        sa.Column("last_crawl_id", Id, nullable=True),
    )
    op.create_table(
        "pages",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("url_key", sa.String(64), nullable=False, unique=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("domain", sa.Text, nullable=False, index=True),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("fetched_at", Timestamp, nullable=False),
        sa.Column("rendered", sa.Boolean, nullable=False),
        sa.Column("nofollow", sa.Boolean, nullable=False),
        sa.Column("outlinks", sa.Integer, nullable=False),
        sa.Column("backlinks", sa.Integer, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("last_crawl_id", Id, nullable=True),
    )
    op.create_table(
        "crawls",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("backlinks", sa.Integer, nullable=False),
        sa.Column("finish_reason", sa.Text, nullable=True),
        sa.Column("stats", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("crawls")
    op.drop_table("pages")
    op.drop_table("backlinks")

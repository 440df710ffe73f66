"""The domain-level link graph and referring-domain authority.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "page_domain_links",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("page_key", sa.String(64), nullable=False, index=True),
        sa.Column("source_domain", sa.Text, nullable=False),
        sa.Column("target_domain", sa.Text, nullable=False),
        sa.Column("links", sa.Integer, nullable=False),
        sa.Column("followable_links", sa.Integer, nullable=False),
    )
    op.create_table(
        "domain_links",
        sa.Column("source_domain", sa.Text, primary_key=True),
        sa.Column("target_domain", sa.Text, primary_key=True),
        sa.Column("links", sa.Integer, nullable=False),
        sa.Column("followable", sa.Boolean, nullable=False),
    )
    op.create_index("ix_domain_links_target_domain", "domain_links", ["target_domain"])
    op.create_table(
        "domains",
        sa.Column("domain", sa.Text, primary_key=True),
        sa.Column("authority", sa.Float, nullable=False),
        sa.Column("pagerank", sa.Float, nullable=False),
        sa.Column("referring_domains", sa.Integer, nullable=False),
        sa.Column("linking_domains", sa.Integer, nullable=False),
        sa.Column("outbound_domains", sa.Integer, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("domains")
    op.drop_index("ix_domain_links_target_domain", table_name="domain_links")
    op.drop_table("domain_links")
    op.drop_table("page_domain_links")

"""Whether a referring page is indexable (its robots noindex, its canonical page), and the URL
a backlink of type redirect goes through.

Both came in one session (2026-12-06); no database was made with the first alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("backlinks") as batch:
        batch.add_column(sa.Column("indexable", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("via_url", sa.Text, nullable=True))
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("noindex", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("canonical_url", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("canonical_url")
        batch.drop_column("noindex")
    with op.batch_alter_table("backlinks") as batch:
        batch.drop_column("via_url")
        batch.drop_column("indexable")

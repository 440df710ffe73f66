"""Alembic's migration environment and revisions for the backlink_spider schema."""

"""The database schema: the contract of DESIGN.md as SQLAlchemy 2 typed models.

Downstream analytics read these tables; names and meanings of the contract columns
do not change without a migration (``pipelines/alembic/versions``; a test checks that
the migrations and these models agree). Long text keys (URLs, anchors) are unique through
a SHA-256 ``*_key`` column, which every database can index whatever the text length.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, String, Text, false, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backlink_spider.directives import Rel

# BIGINT ids on PostgreSQL; SQLite only auto-increments INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


def text_key(*parts: str) -> str:
    """The unique key of a row identified by long texts."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def link_key(source_url: str, target_url: str, anchor_text: str, rel: str) -> str:
    """The key of a distinct link: its page, target URL, anchor and rel, where rel counts by
    the follow tokens it holds, in any order (``Rel.follow_text``: ``ugc nofollow`` and
    ``nofollow ugc`` are one link; adding ``noopener``, as WordPress does to every link
    opening a new tab, changes nothing a search engine reads, so it makes no new link either)."""
    return text_key(source_url, target_url, anchor_text, Rel.parse(rel).follow_text)


class BacklinkRow(Base):
    """One distinct link: the same referring page, target URL, anchor and rel (``link_key``)."""

    __tablename__ = "backlinks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    link_key: Mapped[str] = mapped_column(String(64), unique=True)
    target_domain: Mapped[str] = mapped_column(Text, index=True)
    target_url: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text)
    source_key: Mapped[str] = mapped_column(String(64), index=True)
    source_host: Mapped[str] = mapped_column(Text)
    source_domain: Mapped[str] = mapped_column(Text, index=True)
    anchor_text: Mapped[str] = mapped_column(Text, default="")
    anchor_class: Mapped[str] = mapped_column(String(16))
    rel: Mapped[str] = mapped_column(Text, default="")
    nofollow: Mapped[bool] = mapped_column(Boolean)
    ugc: Mapped[bool] = mapped_column(Boolean)
    sponsored: Mapped[bool] = mapped_column(Boolean)
    dofollow: Mapped[bool] = mapped_column(Boolean)
    link_type: Mapped[str] = mapped_column(String(16))
    placement: Mapped[str] = mapped_column(String(16))
    snippet: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lost_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    discovered_via: Mapped[str] = mapped_column(String(16), default="crawl")
    last_crawl_id: Mapped[int | None] = mapped_column(Id, default=None)
    first_crawl_id: Mapped[int | None] = mapped_column(Id, default=None)
    lost_crawl_id: Mapped[int | None] = mapped_column(Id, default=None)
    indexable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    via_url: Mapped[str | None] = mapped_column(Text, default=None)


class PageRow(Base):
    """A page fetched, as last seen."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(Text, index=True)
    status: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rendered: Mapped[bool] = mapped_column(Boolean, default=False)
    nofollow: Mapped[bool] = mapped_column(Boolean)
    outlinks: Mapped[int] = mapped_column(Integer)
    backlinks: Mapped[int] = mapped_column(Integer)
    depth: Mapped[int] = mapped_column(Integer)
    last_crawl_id: Mapped[int | None] = mapped_column(Id, default=None)
    noindex: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    canonical_url: Mapped[str | None] = mapped_column(Text, default=None)


class CrawlRow(Base):
    """One run of the spider."""

    __tablename__ = "crawls"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    backlinks: Mapped[int] = mapped_column(Integer, default=0)
    new_backlinks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lost_backlinks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    finish_reason: Mapped[str | None] = mapped_column(Text, default=None)
    stats: Mapped[str | None] = mapped_column(Text, default=None)


class PageDomainLinkRow(Base):
    """The links of one page to one other registered domain, as last fetched."""

    __tablename__ = "page_domain_links"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    page_key: Mapped[str] = mapped_column(String(64), index=True)
    source_domain: Mapped[str] = mapped_column(Text)
    target_domain: Mapped[str] = mapped_column(Text)
    links: Mapped[int] = mapped_column(Integer)
    followable_links: Mapped[int] = mapped_column(Integer)


class DomainLinkRow(Base):
    """The domain-level link graph of everything crawled: what authority is computed from."""

    __tablename__ = "domain_links"

    source_domain: Mapped[str] = mapped_column(Text, primary_key=True)
    target_domain: Mapped[str] = mapped_column(Text, primary_key=True, index=True)
    links: Mapped[int] = mapped_column(Integer)
    followable: Mapped[bool] = mapped_column(Boolean)


class DomainRow(Base):
    """A registered domain's authority (0-100) and the counts it was computed from."""

    __tablename__ = "domains"

    domain: Mapped[str] = mapped_column(Text, primary_key=True)
    authority: Mapped[float] = mapped_column(Float)
    pagerank: Mapped[float] = mapped_column(Float)
    referring_domains: Mapped[int] = mapped_column(Integer)
    linking_domains: Mapped[int] = mapped_column(Integer)
    outbound_domains: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

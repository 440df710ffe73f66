"""Rows that could not be stored: kept in a JSON-lines file, loaded later.

When the database stays away longer than ``BACKLINKS_DB_OUTAGE_TIMEOUT``, the storage
pipeline writes what it could not store here, one batch a line, instead of losing it, and
last the crawl's end (when, why, its stats) if its row could not be closed either;
``scrapy restore FILE`` writes it into the database once it is back (the same
idempotent upserts as a crawl, so loading a file twice changes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine, select

from pipelines.database import answer_within
from pipelines.schema import CrawlRow
from pipelines.writer import Writer

_TIMESTAMPS = ("first_seen", "last_seen", "lost_at", "fetched_at")


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for name in _TIMESTAMPS:
        if isinstance(row.get(name), str):
            row[name] = datetime.fromisoformat(row[name])
    return row


def _append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(record, ensure_ascii=False) + "\n")


def save_batch(
    path: Path,
    crawl_id: int,
    targets: Sequence[str],
    backlinks: Sequence[dict[str, Any]],
    pages: Sequence[dict[str, Any]],
    domain_links: Sequence[dict[str, Any]],
) -> None:
    """Append one batch to ``path``."""
    _append(path, {
        "crawl_id": crawl_id,
        "targets": list(targets),
        "backlinks": [{k: _encode(v) for k, v in row.items()} for row in backlinks],
        "pages": [{k: _encode(v) for k, v in row.items()} for row in pages],
        "domain_links": list(domain_links),
    })  # fmt: skip


def save_crawl_end(path: Path, crawl_id: int, finished_at: datetime, finish_reason: str, stats: str) -> None:
    """Append the end of crawl ``crawl_id`` to ``path``, for its row once the database is back."""
    end = {"finished_at": finished_at.isoformat(), "finish_reason": finish_reason, "stats": stats}
    _append(path, {"crawl_id": crawl_id, "crawl_end": end})


class UnsavedFileError(ValueError):
    """A file that is not (all) batches of unsaved rows; the message names the file and line."""


_BATCH_KEYS = frozenset({"targets", "backlinks", "pages", "crawl_id", "domain_links"})
_END_KEYS = frozenset({"crawl_id", "crawl_end"})


class Loaded(NamedTuple):
    backlinks: int
    pages: int
    crawls_ended: list[int]


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict) or not (record.keys() >= _BATCH_KEYS or record.keys() >= _END_KEYS):
                raise UnsavedFileError(f"{path}: line {number} is not a batch of unsaved rows; nothing was stored")
            yield record


def load_file(engine: Engine, path: Path, write_timeout: float) -> Loaded:
    """Store every batch of ``path``, then close the rows of the crawls whose end it holds,
    each step given ``write_timeout`` seconds (``answer_within``). Every line is read once
    before anything is written: a damaged file stores nothing (``UnsavedFileError``)."""
    for _ in _records(path):
        pass
    backlinks = pages = 0
    ends: dict[int, dict[str, Any]] = {}
    for record in _records(path):
        if "crawl_end" in record:
            ends[record["crawl_id"]] = record["crawl_end"]
            continue
        writer = Writer(engine, record["targets"])
        with answer_within(engine, write_timeout):
            writer.write(
                [_decode(row) for row in record["backlinks"]],
                [_decode(row) for row in record["pages"]],
                record["crawl_id"],
                record["domain_links"],
            )
        backlinks += len(record["backlinks"])
        pages += len(record["pages"])
    for crawl_id, end in ends.items():
        # Counted now, from what the database holds for the crawl: its rows stored before the
        # outage and those of this file. A crawl resumed (JOBDIR) and ended since keeps that end.
        saved_at = datetime.fromisoformat(end["finished_at"])
        values = {"finished_at": saved_at, "finish_reason": end["finish_reason"], "stats": end["stats"]}
        with answer_within(engine, write_timeout):
            Writer(engine).finish_crawl(crawl_id, **({} if _ended_since(engine, crawl_id, saved_at) else values))
    return Loaded(backlinks, pages, list(ends))


def _ended_since(engine: Engine, crawl_id: int, saved_at: datetime) -> bool:
    """Whether the crawl's row records an end later than ``saved_at``."""
    with engine.connect() as connection:
        finished = connection.execute(select(CrawlRow.finished_at).where(CrawlRow.id == crawl_id)).scalar()
    return finished is not None and _utc(finished) > _utc(saved_at)


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC; SQLite gives back the naive UTC it was given."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

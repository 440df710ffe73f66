"""Rows that could not be stored: kept in a JSON-lines file, loaded later.

When the database stays away longer than ``BACKLINKS_DB_OUTAGE_TIMEOUT``, the storage
pipeline writes what it could not store here, one batch a line, instead of losing it;
``scrapy restore FILE`` writes it into the database once it is back (the same
idempotent upserts as a crawl, so loading a file twice changes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from pipelines.writer import Writer

_TIMESTAMPS = ("first_seen", "last_seen", "lost_at", "fetched_at")


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for name in _TIMESTAMPS:
        if isinstance(row.get(name), str):
            row[name] = datetime.fromisoformat(row[name])
    return row


def save_batch(
    path: Path,
    crawl_id: int,
    targets: Sequence[str],
    backlinks: Sequence[dict[str, Any]],
    pages: Sequence[dict[str, Any]],
    domain_links: Sequence[dict[str, Any]],
) -> None:
    """Append one batch to ``path``."""
    record = {
        "crawl_id": crawl_id,
        "targets": list(targets),
        "backlinks": [{k: _encode(v) for k, v in row.items()} for row in backlinks],
        "pages": [{k: _encode(v) for k, v in row.items()} for row in pages],
        "domain_links": list(domain_links),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(record, ensure_ascii=False) + "\n")


class UnsavedFileError(ValueError):
    """A file that is not (all) batches of unsaved rows; the message names the file and line."""


_BATCH_KEYS = frozenset({"targets", "backlinks", "pages", "crawl_id", "domain_links"})


def _batches(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict) or not record.keys() >= _BATCH_KEYS:
                raise UnsavedFileError(f"{path}: line {number} is not a batch of unsaved rows; nothing was stored")
            yield record


def load_file(engine: Engine, path: Path) -> tuple[int, int]:
    """Store every batch of ``path``; returns (backlinks, pages) written. Every line is read
    once before anything is written: a damaged file stores nothing (``UnsavedFileError``)."""
    for _ in _batches(path):
        pass
    backlinks = pages = 0
    for record in _batches(path):
        writer = Writer(engine, record["targets"])
        writer.write(
            [_decode(row) for row in record["backlinks"]],
            [_decode(row) for row in record["pages"]],
            record["crawl_id"],
            record["domain_links"],
        )
        backlinks += len(record["backlinks"])
        pages += len(record["pages"])
    return backlinks, pages

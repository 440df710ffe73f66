"""Rows that could not be stored: kept in a JSON-lines file, loaded later.

When the database stays away longer than ``BACKLINKS_DB_OUTAGE_TIMEOUT``, the storage
pipeline writes what it could not store here, one batch a line, instead of losing it, and
last the crawl's end (when, why, its stats) if its row could not be closed either;
``scrapy restore FILE`` writes it into the database once it is back (the same
idempotent upserts as a crawl, so loading a file twice changes nothing). Every line names
its crawl as the ``crawls`` row does (id, targets, start), and a file is only loaded into
the database that holds that crawl.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine, Row, select

from pipelines.database import answer_within, safe_url
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


def _crawl(crawl_id: int, targets: Sequence[str], started_at: datetime) -> dict[str, Any]:
    """What a record says of its crawl: enough to tell it from another crawl of the same id
    in another database (``_check_crawls``)."""
    return {"crawl_id": crawl_id, "targets": list(targets), "started_at": _utc(started_at).isoformat()}


def save_batch(
    path: Path,
    crawl_id: int,
    targets: Sequence[str],
    started_at: datetime,
    backlinks: Sequence[dict[str, Any]],
    pages: Sequence[dict[str, Any]],
    domain_links: Sequence[dict[str, Any]],
) -> None:
    """Append one batch of crawl ``crawl_id`` (of ``targets``, started at ``started_at``) to ``path``."""
    _append(path, _crawl(crawl_id, targets, started_at) | {
        "backlinks": [{k: _encode(v) for k, v in row.items()} for row in backlinks],
        "pages": [{k: _encode(v) for k, v in row.items()} for row in pages],
        "domain_links": list(domain_links),
    })  # fmt: skip


def save_crawl_end(
    path: Path,
    crawl_id: int,
    targets: Sequence[str],
    started_at: datetime,
    finished_at: datetime,
    finish_reason: str,
    stats: str,
) -> None:
    """Append the end of crawl ``crawl_id`` to ``path``, for its row once the database is back."""
    end = {"finished_at": finished_at.isoformat(), "finish_reason": finish_reason, "stats": stats}
    _append(path, _crawl(crawl_id, targets, started_at) | {"crawl_end": end})


class UnsavedFileError(ValueError):
    """A file that is not (all) batches of unsaved rows; the message names the file and line."""


class NotThisDatabase(ValueError):
    """A file of a crawl that the database does not hold: the database has no crawl of its id,
    or one that is another crawl (other targets, another start). Nothing of it is stored."""


_BATCH_KEYS = frozenset({"targets", "backlinks", "pages", "crawl_id", "domain_links"})
_END_KEYS = frozenset({"crawl_id", "crawl_end"})


class Loaded(NamedTuple):
    backlinks: int
    pages: int
    crawls_ended: list[int]


class _Claim(NamedTuple):
    """The crawl a record says it belongs to, as its ``crawls`` row would hold it: the targets
    joined (None in an end saved by an older version) and the start (None in any record of one)."""

    crawl_id: int
    target: str | None
    started_at: datetime | None


def _claim(record: dict[str, Any]) -> _Claim:
    targets, started_at = record.get("targets"), record.get("started_at")
    return _Claim(
        record["crawl_id"],
        None if targets is None else ",".join(targets),
        None if started_at is None else _utc(datetime.fromisoformat(started_at)),
    )


def _records(path: Path) -> Iterator[tuple[dict[str, Any], _Claim]]:
    """Each record of ``path`` and the crawl it claims; ``UnsavedFileError`` at the first line
    that is not one."""
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                whole = isinstance(record, dict) and (record.keys() >= _BATCH_KEYS or record.keys() >= _END_KEYS)
                claim = _claim(record) if whole else None
            except (TypeError, ValueError):  # not JSON, or targets or a start that are not
                claim = None
            if claim is None:
                raise UnsavedFileError(f"{path}: line {number} is not a batch of unsaved rows; nothing was stored")
            yield record, claim


def load_file(engine: Engine, path: Path, write_timeout: float) -> Loaded:
    """Store every batch of ``path``, then close the rows of the crawls whose end it holds,
    each step given ``write_timeout`` seconds (``answer_within``). Every line is read once
    before anything is written: a damaged file stores nothing (``UnsavedFileError``), nor
    does a file of a crawl that this database does not hold (``NotThisDatabase``)."""
    claims = dict.fromkeys(claim for _, claim in _records(path))
    _check_crawls(engine, path, claims, write_timeout)
    backlinks = pages = 0
    ends: dict[int, dict[str, Any]] = {}
    stored: set[int] = set()
    for record, _ in _records(path):
        if "crawl_end" in record:
            ends[record["crawl_id"]] = record["crawl_end"]
            continue
        stored.add(record["crawl_id"])
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
    for crawl_id in stored - ends.keys():
        # A crawl whose end was stored, its last batches not: its counts taken again with them.
        with answer_within(engine, write_timeout):
            Writer(engine).finish_crawl(crawl_id)
    return Loaded(backlinks, pages, list(ends))


def _check_crawls(engine: Engine, path: Path, claims: Iterable[_Claim], write_timeout: float) -> None:
    """Refuse (``NotThisDatabase``) the file ``path`` when a record of it claims a crawl that
    the database does not hold: no ``crawls`` row of its id, or one of other targets or
    another start (a crawl of the same id in another database). A record of an older version,
    which has no start, is taken on its targets."""
    database = safe_url(engine.url.render_as_string(hide_password=True))
    rows: dict[int, Row[tuple[str, datetime]] | None] = {}
    for claim in claims:
        if claim.crawl_id not in rows:
            with answer_within(engine, write_timeout), engine.connect() as connection:
                rows[claim.crawl_id] = connection.execute(
                    select(CrawlRow.target, CrawlRow.started_at).where(CrawlRow.id == claim.crawl_id)
                ).one_or_none()
        row = rows[claim.crawl_id]
        missing = f"{path}: crawl {claim.crawl_id} of this file{_described(claim.target, claim.started_at)}"
        missing += f" is not in database {database}"
        fix = "BACKLINKS_DATABASE_URL must name the database that crawl wrote to; nothing was stored"
        if row is None:
            raise NotThisDatabase(f"{missing}: {fix}")
        started_at = _utc(row.started_at)
        if claim.target not in (None, row.target) or claim.started_at not in (None, started_at):
            theirs = f"whose crawl {claim.crawl_id} is another crawl{_described(row.target, started_at)}"
            raise NotThisDatabase(f"{missing}, {theirs}: {fix}")


def _described(target: str | None, started_at: datetime | None) -> str:
    """`` (target a.com, started 2026-12-07T10:00:00Z)``, of what is known."""
    known = [] if target is None else [f"target {target}" if target else "no target"]
    if started_at is not None:
        known.append(f"started {started_at:%Y-%m-%dT%H:%M:%SZ}")
    return f" ({', '.join(known)})" if known else ""


def _ended_since(engine: Engine, crawl_id: int, saved_at: datetime) -> bool:
    """Whether the crawl's row records an end later than ``saved_at``."""
    with engine.connect() as connection:
        finished = connection.execute(select(CrawlRow.finished_at).where(CrawlRow.id == crawl_id)).scalar()
    return finished is not None and _utc(finished) > _utc(saved_at)


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC; SQLite gives back the naive UTC it was given."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

"""Reports: everything known about one target's backlinks, read from the database and
summarised; written as CSV or JSON for machines (the terminal and HTML renderings live
in ``commands/report.py`` and ``report_html.py``).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select

from backlink_spider.quality import link_quality
from pipelines.schema import BacklinkRow, CrawlRow, DomainRow

CONTRACT_COLUMNS = (
    "target_domain", "target_url", "source_url", "source_host", "source_domain", "anchor_text", "anchor_class",
    "rel", "nofollow", "ugc", "sponsored", "dofollow", "link_type", "placement", "snippet", "first_seen",
    "last_seen", "lost_at", "discovered_via",
)  # fmt: skip
# Every column of the backlinks table but its internal keys (id, link_key, source_key),
# then what the report adds: the referring domain's authority and the link's quality.
TABLE_COLUMNS = (*CONTRACT_COLUMNS, "indexable", "via_url", "first_crawl_id", "last_crawl_id", "lost_crawl_id")
REPORT_COLUMNS = (
    *TABLE_COLUMNS, "source_authority", "quality", "authority_factor", "placement_factor", "follow_factor",
    "anchor_factor",
)  # fmt: skip


# Said wherever follow_mix is shown.
FOLLOW_OVERLAP = 'Follow status counts overlap: a link with rel="nofollow ugc" counts as nofollow and as ugc.'


class ReportError(Exception):
    """Nothing to report; the message says why, in one line."""


@dataclass
class Report:
    target: str
    backlinks: list[dict[str, Any]]
    crawls: list[dict[str, Any]]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def live(self) -> list[dict[str, Any]]:
        return [row for row in self.backlinks if row["lost_at"] is None]

    @property
    def referring_domains(self) -> list[tuple[str, float, int, int]]:
        """(domain, authority, live backlinks, dofollow backlinks), by authority then links."""
        links: Counter[str] = Counter()
        followed: Counter[str] = Counter()
        authority: dict[str, float] = {}
        for row in self.live:
            links[row["source_domain"]] += 1
            followed[row["source_domain"]] += bool(row["dofollow"])
            authority[row["source_domain"]] = row["source_authority"]
        ranked = sorted(links, key=lambda d: (-authority[d], -links[d], d))
        return [(domain, authority[domain], links[domain], followed[domain]) for domain in ranked]

    @property
    def dofollow_share(self) -> float:
        live = self.live
        return sum(bool(row["dofollow"]) for row in live) / len(live) if live else 0.0

    def mix(self, column: str) -> list[tuple[str, int]]:
        """Live backlinks counted by the values of ``column``, most frequent first."""
        return Counter(row[column] for row in self.live).most_common()

    def follow_mix(self) -> list[tuple[str, int]]:
        """Live backlinks that are dofollow, that carry each rel flag, and that are nofollow only
        by their page. A link may carry several flags (``rel="nofollow ugc"``) and counts under
        each (``FOLLOW_OVERLAP``), so the counts may add up to more than the live backlinks."""
        kinds: Counter[str] = Counter()
        for row in self.live:
            if row["dofollow"]:
                kinds["dofollow"] += 1
            for flag in ("nofollow", "ugc", "sponsored"):
                kinds[flag] += bool(row[flag])
            if not row["dofollow"] and not (row["nofollow"] or row["ugc"] or row["sponsored"]):
                kinds["page nofollow"] += 1
        return [(kind, kinds[kind]) for kind in ("dofollow", "nofollow", "ugc", "sponsored", "page nofollow")]

    def top_anchors(self, limit: int = 10) -> list[tuple[str, str, int]]:
        counts = Counter((row["anchor_text"], row["anchor_class"]) for row in self.live if row["anchor_text"])
        return [(anchor, kind, count) for (anchor, kind), count in counts.most_common(limit)]

    def authority_histogram(self) -> list[tuple[str, int]]:
        """Referring domains per band of ten authority points."""
        bands = Counter(min(int(authority // 10), 9) for _, authority, _, _ in self.referring_domains)
        return [(f"{band * 10}-{band * 10 + 10}", bands[band]) for band in range(10)]

    def last_crawl(self) -> dict[str, Any] | None:
        return self.crawls[-1] if self.crawls else None

    def changes_in_last_crawl(self) -> tuple[int, int]:
        """Backlinks first seen, and lost, by the target's latest crawl."""
        last = self.last_crawl()
        if last is None:
            return 0, 0
        new = sum(1 for row in self.backlinks if row["first_crawl_id"] == last["id"])
        lost = sum(1 for row in self.backlinks if row["lost_crawl_id"] == last["id"])
        return new, lost

    def referring_domains_over_time(self) -> list[tuple[date, int]]:
        """Live referring domains at the end of each day a link was found or lost."""
        days = sorted(
            {row["first_seen"].date() for row in self.backlinks}
            | {row["lost_at"].date() for row in self.backlinks if row["lost_at"] is not None}
        )
        series = []
        for day in days:
            alive = {
                row["source_domain"]
                for row in self.backlinks
                if row["first_seen"].date() <= day and (row["lost_at"] is None or row["lost_at"].date() > day)
            }
            series.append((day, len(alive)))
        return series

    def summary(self) -> dict[str, Any]:
        new, lost = self.changes_in_last_crawl()
        return {
            "target": self.target,
            "backlinks": len(self.live),
            "lost_backlinks": len(self.backlinks) - len(self.live),
            "referring_domains": len(self.referring_domains),
            "dofollow_share": round(self.dofollow_share, 3),
            # Live backlinks on pages that are noindex or name another page canonical.
            "from_unindexed_pages": sum(1 for row in self.live if not row["indexable"]),
            # Live backlinks read from Common Crawl data that no crawl has confirmed on the page yet.
            "unconfirmed": sum(1 for row in self.live if row["discovered_via"] == "commoncrawl"),
            "new_in_last_crawl": new,
            "lost_in_last_crawl": lost,
            "crawls": len(self.crawls),
        }


def _utc(value: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back: they were stored in UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def load_report(engine: Engine, target: str) -> Report:
    """Every backlink of ``target`` (a registered domain) with its referring domain's
    authority and its quality, and the crawls of the target, oldest first."""
    columns = [getattr(BacklinkRow, name) for name in TABLE_COLUMNS]
    query = (
        select(*columns, DomainRow.authority)
        .outerjoin(DomainRow, DomainRow.domain == BacklinkRow.source_domain)
        .where(BacklinkRow.target_domain == target)
        .order_by(BacklinkRow.source_domain, BacklinkRow.source_url, BacklinkRow.target_url, BacklinkRow.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
        crawls = [
            dict(row)
            for row in connection.execute(select(CrawlRow).order_by(CrawlRow.id)).mappings()
            if target in row["target"].split(",")
        ]
    if not rows and not crawls:
        raise ReportError(f"no backlinks and no crawl of {target} in this database; crawl it first")
    backlinks = []
    for row in rows:
        record = dict(row)
        for name in ("first_seen", "last_seen", "lost_at"):
            record[name] = _utc(record[name])
        record["source_authority"] = record.pop("authority") or 0.0
        quality = link_quality(
            record["source_authority"], record["placement"], record["dofollow"], record["anchor_class"]
        )
        record.update(
            quality=quality.score,
            **{name: value for name, value in asdict(quality).items() if name != "score"},
        )
        backlinks.append(record)
    return Report(target=target, backlinks=backlinks, crawls=crawls)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


# What a spreadsheet reads as the start of a formula, at the start of a cell.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """``value`` for a CSV cell: page text a spreadsheet would run as a formula (an anchor
    ``=HYPERLINK(...)``) starts with an apostrophe, which spreadsheets show as text."""
    value = _plain(value)
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in report.backlinks:
        writer.writerow({name: _cell(row[name]) for name in REPORT_COLUMNS})
    return buffer.getvalue()


def to_json(report: Report) -> str:
    rows = [{name: _plain(row[name]) for name in REPORT_COLUMNS} for row in report.backlinks]
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"

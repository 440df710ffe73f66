"""The candidates file: what Common Crawl says may link to a target, for the crawler to verify.

Tab-separated text (gzip when the name ends in ``.gz``), one candidate a line, after
header lines that start with ``#``; the first is ``# backlink_spider candidates v1``,
which is how the ``seeds`` argument recognises the format. Two kinds:

- ``links`` (``scrapy cc-wat -o``, the Spark job): one hyperlink to a target read from
  a WAT file: ``source_url target_url target_domain anchor_text rel link_type
  page_nofollow captured_at``;
- ``referrers`` (``scrapy cc-graph``): one host or domain of the web graph that links to
  the target: ``referrer domain harmonic_rank harmonic_value pagerank_rank
  pagerank_value links_to`` (ranks empty without a ranks file).

A directory of such files (Spark's ``part-*`` output) reads as one file. Nothing here
opens the network or the database.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

HEADER = "# backlink_spider candidates v1"
LINKS = "links"
REFERRERS = "referrers"
LINK_COLUMNS = (
    "source_url",
    "target_url",
    "target_domain",
    "anchor_text",
    "rel",
    "link_type",
    "page_nofollow",
    "captured_at",
)
REFERRER_COLUMNS = (
    "referrer",
    "domain",
    "harmonic_rank",
    "harmonic_value",
    "pagerank_rank",
    "pagerank_value",
    "links_to",
)
_COLUMNS = {LINKS: LINK_COLUMNS, REFERRERS: REFERRER_COLUMNS}


class CandidatesError(ValueError):
    """A file that claims to be a candidates file and is not a valid one; the message says where."""


def _clean(value: str) -> str:
    # Anchors are whitespace-normalised and URLs carry no tab or newline; this is the guard.
    return value.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def format_time(moment: datetime) -> str:
    """``2024-05-18T01:58:10Z``: UTC, to the second, as WARC-Date writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class CandidateLink:
    """A hyperlink to a target as Common Crawl captured it: not yet seen live by the crawler."""

    source_url: str
    target_url: str
    target_domain: str
    anchor_text: str
    rel: str
    link_type: str
    page_nofollow: bool
    captured_at: datetime

    def line(self) -> str:
        fields = (
            self.source_url,
            self.target_url,
            self.target_domain,
            self.anchor_text,
            self.rel,
            self.link_type,
            "1" if self.page_nofollow else "0",
            format_time(self.captured_at),
        )
        return "\t".join(_clean(field) for field in fields)

    @classmethod
    def parse(cls, fields: list[str]) -> CandidateLink:
        source, target, domain, anchor, rel, link_type, nofollow, captured = fields
        moment = datetime.fromisoformat(captured)
        return cls(
            source_url=source,
            target_url=target,
            target_domain=domain,
            anchor_text=anchor,
            rel=rel,
            link_type=link_type,
            page_nofollow=nofollow == "1",
            captured_at=moment if moment.tzinfo else moment.replace(tzinfo=UTC),
        )


@dataclass(frozen=True, slots=True)
class Referrer:
    """A host or domain of the web graph with a link to the target, and its Common Crawl ranks."""

    referrer: str
    domain: str
    harmonic_rank: int | None
    harmonic_value: float | None
    pagerank_rank: int | None
    pagerank_value: float | None
    links_to: tuple[str, ...]

    @property
    def home_page(self) -> str:
        # http: a site on https redirects there, and one without https still answers.
        return f"http://{self.referrer}/"

    def line(self) -> str:
        def text(value: object) -> str:
            return "" if value is None else repr(value) if isinstance(value, float) else str(value)

        fields = (
            self.referrer,
            self.domain,
            text(self.harmonic_rank),
            text(self.harmonic_value),
            text(self.pagerank_rank),
            text(self.pagerank_value),
            ",".join(self.links_to),
        )
        return "\t".join(_clean(field) for field in fields)

    @classmethod
    def parse(cls, fields: list[str]) -> Referrer:
        referrer, domain, hc_rank, hc_value, pr_rank, pr_value, links_to = fields
        return cls(
            referrer=referrer,
            domain=domain,
            harmonic_rank=int(hc_rank) if hc_rank else None,
            harmonic_value=float(hc_value) if hc_value else None,
            pagerank_rank=int(pr_rank) if pr_rank else None,
            pagerank_value=float(pr_value) if pr_value else None,
            links_to=tuple(part for part in links_to.split(",") if part),
        )


Candidate = CandidateLink | Referrer


def header_lines(kind: str, targets: Iterable[str], **notes: str) -> list[str]:
    """The header of a candidates file of ``kind``: format, kind, targets, notes, columns."""
    lines = [HEADER, f"# kind: {kind}", f"# target: {','.join(targets)}"]
    lines += [f"# {name}: {_clean(value)}" for name, value in notes.items()]
    lines.append("# columns: " + "\t".join(_COLUMNS[kind]))
    return lines


def _open_text(path: Path, mode: str) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8", newline="\n")
    return path.open(mode, encoding="utf-8", newline="\n")


def write_candidates(path: Path, kind: str, targets: Iterable[str], rows: Iterable[Candidate], **notes: str) -> int:
    """Write a candidates file; returns the number of rows written."""
    count = 0
    with _open_text(path, "w") as file:
        for line in header_lines(kind, targets, **notes):
            file.write(line + "\n")
        for row in rows:
            file.write(row.line() + "\n")
            count += 1
    return count


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
    return [path]


def _first_line(path: Path) -> str:
    try:
        with _open_text(path, "r") as file:
            return file.readline(len(HEADER) + 2).rstrip("\r\n")
    except (OSError, UnicodeDecodeError, EOFError):
        return ""


def is_candidates(path: Path) -> bool:
    """True when ``path`` is a candidates file, or a directory whose files are."""
    try:
        files = _files(path) if path.exists() else []
    except OSError:
        return False
    return bool(files) and all(_first_line(file) == HEADER for file in files)


@dataclass
class CandidatesFile:
    """What a candidates file (or directory of them) holds: its kind, targets and rows."""

    kind: str
    targets: list[str]
    rows: list[Candidate]

    def seed_urls(self) -> list[str]:
        """The pages to fetch, in the file's order: the referring pages of links, the home
        pages of referring hosts. Duplicates are dropped."""
        urls = (row.source_url if isinstance(row, CandidateLink) else row.home_page for row in self.rows)
        return list(dict.fromkeys(urls))


def _read_one(path: Path) -> Iterator[tuple[str, list[str], Candidate | None]]:
    """(kind, targets, row) per data line; the row is None for a file with no data line."""
    kind, targets, rows = "", [], 0
    with _open_text(path, "r") as file:
        for number, raw in enumerate(file, start=1):
            line = raw.rstrip("\r\n")
            if number == 1 and line != HEADER:
                raise CandidatesError(f"{path}: line 1 is not {HEADER!r}")
            if line.startswith("#"):
                name, _, value = line[1:].strip().partition(":")
                if name == "kind":
                    kind = value.strip()
                    if kind not in _COLUMNS:
                        raise CandidatesError(f"{path}: unknown kind {kind!r}")
                elif name == "target":
                    targets = [t for t in value.strip().split(",") if t]
                continue
            if not line:
                continue
            fields = line.split("\t")
            if not kind or len(fields) != len(_COLUMNS[kind]):
                raise CandidatesError(f"{path}:{number}: expected {len(_COLUMNS.get(kind, ()))} tab-separated fields")
            try:
                row: Candidate = CandidateLink.parse(fields) if kind == LINKS else Referrer.parse(fields)
            except ValueError as error:
                raise CandidatesError(f"{path}:{number}: {error}") from None
            rows += 1
            yield kind, targets, row
    if not rows:
        yield kind, targets, None


def iter_candidates(path: Path, kind: str | None = None) -> Iterator[Candidate]:
    """The rows of a candidates file or a directory of them, as they are read (CandidatesError
    if bad, or if a file is of another kind than ``kind`` or than the first file)."""
    for file in _files(path):
        for file_kind, _, row in _read_one(file):
            if kind is not None and file_kind != kind:
                raise CandidatesError(f"{file}: a candidates file of kind {file_kind!r}, not {kind!r}")
            kind = file_kind
            if row is not None:
                yield row


def read_candidates(path: Path) -> CandidatesFile:
    """Read a candidates file or a directory of them (all of one kind); CandidatesError if bad."""
    result = CandidatesFile(kind="", targets=[], rows=[])
    for file in _files(path):
        for kind, targets, row in _read_one(file):
            if result.kind and kind != result.kind:
                raise CandidatesError(f"{file}: kind {kind!r} differs from {result.kind!r}")
            result.kind = kind
            result.targets = list(dict.fromkeys(result.targets + targets))
            if row is not None:
                result.rows.append(row)
    return result

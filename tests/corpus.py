"""Placement agreement with Mozilla Readability on the shared corpus of real pages.

Each page folder of ``tests/data/readability-test-pages`` (a copy of ``shared/corpus``) holds ``source.html.gz``
(the page as served) and ``expected.html.gz`` (its main content as Readability extracts
it). A link found in ``expected.html`` sits in the main content, so extraction should
label it ``content``. Links are matched by resolved URL and normalised anchor, as a
multiset per page; the expected side goes through ``extract_page`` too, so both sides
resolve and normalise the same way.

- recall: share of the expected links that extraction labels ``content``;
- precision: share of the links labelled ``content`` that are expected links.

``python -m tests.corpus`` prints the worst pages and the totals.
"""

from __future__ import annotations

import gzip
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from backlink_spider.extraction import Page, extract_page

PAGE_URL = "http://fakehost/test/page.html"
# The corpus sits in shared/, beside the repository (here and in CI); CORPUS_DIR overrides.
# A copy of the project lead's shared/corpus (Mozilla Readability's test pages, Apache 2.0),
# kept in the repository so that a clone anywhere runs the tests; CORPUS_DIR points elsewhere.
CORPUS_DIR = Path(os.environ.get("CORPUS_DIR") or Path(__file__).resolve().parent / "data" / "readability-test-pages")


@dataclass(slots=True)
class PageScore:
    """Agreement on one page: counts of links, with ``hits`` in both ``expected`` and ``labelled``."""

    name: str
    links: int
    expected: int
    labelled: int
    hits: int

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.labelled if self.labelled else 1.0

    @property
    def missed(self) -> int:
        return self.expected - self.hits

    @property
    def extra(self) -> int:
        return self.labelled - self.hits


@dataclass(slots=True)
class CorpusScore:
    """Agreement over the whole corpus, summed link by link, and per page."""

    pages: list[PageScore]

    @property
    def expected(self) -> int:
        return sum(p.expected for p in self.pages)

    @property
    def labelled(self) -> int:
        return sum(p.labelled for p in self.pages)

    @property
    def hits(self) -> int:
        return sum(p.hits for p in self.pages)

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.labelled if self.labelled else 1.0


def page_dirs(corpus_dir: Path = CORPUS_DIR) -> list[Path]:
    """The page folders of the corpus, by name."""
    return sorted(p for p in corpus_dir.iterdir() if (p / "source.html.gz").is_file())


def read_gz(path: Path) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read()


def load_page(page_dir: Path) -> tuple[Page, Page]:
    """The extraction of one page's source and of its expected main content.

    Both go in as bytes, as a crawl hands them over, so decoding is exercised too.
    """
    source = extract_page(read_gz(page_dir / "source.html.gz"), PAGE_URL)
    expected = extract_page(read_gz(page_dir / "expected.html.gz"), PAGE_URL)
    return source, expected


def score_page(name: str, source: Page, expected: Page) -> PageScore:
    """Compare the ``content`` links of ``source`` with the links of ``expected`` (multisets)."""
    wanted = Counter((link.url, link.anchor) for link in expected.links)
    found = Counter((link.url, link.anchor) for link in source.links)
    # Only expected links that exist in the source count: Readability rewrites a few
    # (drops javascript: links, changes lazy images), which placement cannot help.
    wanted &= found
    labelled = Counter((link.url, link.anchor) for link in source.links if link.placement == "content")
    return PageScore(
        name=name,
        links=len(source.links),
        expected=sum(wanted.values()),
        labelled=sum(labelled.values()),
        hits=sum((wanted & labelled).values()),
    )


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> list[tuple[str, Page, Page]]:
    """Every page of the corpus as (name, source extraction, expected extraction)."""
    return [(page_dir.name, *load_page(page_dir)) for page_dir in page_dirs(corpus_dir)]


def score_corpus(pages: list[tuple[str, Page, Page]] | None = None) -> CorpusScore:
    """Score the pages of ``load_corpus`` (loaded now when not given)."""
    if pages is None:
        pages = load_corpus()
    return CorpusScore([score_page(name, source, expected) for name, source, expected in pages])


def report(score: CorpusScore, worst: int = 15) -> str:
    """A table of the ``worst`` pages (most misses plus extras first) and the totals."""
    columns = "".join(f" {name:>6}" for name in ("links", "expect", "label", "hits", "missed", "extra"))
    head = f"{'page':40}{columns} {'recall':>7} {'prec':>7}"
    lines = [head, "-" * len(head)]
    ranked = sorted(score.pages, key=lambda p: (p.missed + p.extra, p.missed), reverse=True)
    for p in ranked[:worst]:
        lines.append(
            f"{p.name[:40]:40} {p.links:6} {p.expected:6} {p.labelled:6} {p.hits:6} {p.missed:6} {p.extra:6}"
            f" {p.recall:7.3f} {p.precision:7.3f}"
        )
    lines.append("-" * len(head))
    lines.append(
        f"{'TOTAL (' + str(len(score.pages)) + ' pages)':40} {sum(p.links for p in score.pages):6}"
        f" {score.expected:6} {score.labelled:6} {score.hits:6} {score.expected - score.hits:6}"
        f" {score.labelled - score.hits:6} {score.recall:7.3f} {score.precision:7.3f}"
    )
    return "\n".join(lines)


def main() -> int:
    if not CORPUS_DIR.is_dir():
        print(f"corpus not found: {CORPUS_DIR} (set CORPUS_DIR)", file=sys.stderr)
        return 1
    print(report(score_corpus()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

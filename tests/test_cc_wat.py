"""Backlinks from WAT files: every hyperlink to the target, with the crawler's link key,
from gzip or plain WAT files written here with warcio, local or served on loopback;
``scrapy cc-wat`` stores them as unverified Common Crawl rows."""

from __future__ import annotations

import gzip
import subprocess
import sys
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from backlink_spider.commoncrawl.candidates import LINKS, CandidateLink, read_candidates
from backlink_spider.commoncrawl.rows import commoncrawl_row
from backlink_spider.commoncrawl.sources import SourceError, expand_inputs
from backlink_spider.commoncrawl.wat import WatReader, WatStats
from backlink_spider.extraction import extract_page, request_url
from backlink_spider.localweb import LocalWeb, Resource
from pipelines.schema import link_key
from tests.ccdata import Capture, request_payload, write_warc_response, write_wat
from tests.conftest import ROOT, crawl_env

CAPTURED = datetime(2024, 5, 18, 1, 58, 10, tzinfo=UTC)

BLOG = Capture(
    "http://blog.com/post",
    links=[
        {"path": "A@/href", "url": "/about", "text": "About"},
        {"path": "A@/href", "url": "https://www.target.com/pricing", "text": "Target\n  pricing"},
        {"path": "A@/href", "url": "http://target.com/nf", "rel": "NOFOLLOW noopener", "text": "nofollowed one"},
        {"path": "A@/href", "url": "http://target.com/nf", "rel": "nofollow noopener", "text": "nofollowed one"},
        {"path": "IMG@/src", "url": "/logo.png", "alt": "  Target   docs "},
        {"path": "A@/href", "url": "http://docs.target.com/guide"},
        {"path": "IMG@/src", "url": "http://target.com/banner.png", "alt": "banner"},
        {"path": "AREA@/href", "url": "http://target.com/map"},
        {"path": "A@/href", "url": "http://target.com.evil.net/", "text": "evil"},
        {"path": "A@/href", "url": "http://notarget.com/", "text": "not"},
        {"path": "A@/href", "url": "mailto:me@target.com", "text": "mail"},
        {"path": "FORM@/action", "url": "http://target.com/subscribe"},
        {"path": "A@/href", "url": "http://target.com/titled", "title": "Target title"},
    ],
)
FORUM = Capture(
    "https://forum.net/thread?id=1",
    date="2024-06-01T12:00:00Z",
    links=[
        {"path": "A@/href", "url": "//www.target.com/x#section", "text": "protocol-relative"},
        {"path": "A@/href", "url": "docs/start", "text": "relative to base"},
    ],
    head={"Base": "http://target.com/", "Metas": [{"name": "robots", "content": "noindex, nofollow"}]},
)
TARGET_SITE = Capture("http://target.com/", links=[{"path": "A@/href", "url": "/about", "text": "about us"}])
HEADER_NOFOLLOW = Capture(
    "http://news.org/x",
    links=[{"path": "A@/href", "url": "http://target.com/h", "text": "header page"}],
    headers={"Content-Type": "text/html", "X-Robots-Tag": "noarchive, nofollow"},
)
PDF = Capture("http://news.org/target.com-report.pdf", html=False, headers={"Content-Type": "application/pdf"})
REDIRECT = Capture(
    "http://old.org/", status=301, links=[{"path": "A@/href", "url": "http://target.com/moved", "text": "moved"}]
)
OTHER = Capture("http://other.org/", links=[{"path": "A@/href", "url": "http://unrelated.com/", "text": "x"}])
MALFORMED = b'{"Envelope": {"WARC-Header-Metadata": {"WARC-Target-URI": "http://bad.org/", "x": "target.com"'


def link(source: str, target: str, anchor: str, rel: str = "", kind: str = "text", **extra: object) -> CandidateLink:
    values: dict[str, object] = {
        "source_url": source,
        "target_url": target,
        "target_domain": "target.com",
        "anchor_text": anchor,
        "rel": rel,
        "link_type": kind,
        "page_nofollow": False,
        "captured_at": CAPTURED,
    }
    values.update(extra)
    return CandidateLink(**values)  # type: ignore[arg-type]


EXPECTED = {
    link("http://blog.com/post", "https://www.target.com/pricing", "Target pricing"),
    link("http://blog.com/post", "http://target.com/nf", "nofollowed one", "nofollow noopener"),
    link("http://blog.com/post", "http://docs.target.com/guide", "Target docs", kind="image"),
    link("http://blog.com/post", "http://target.com/map", "", kind="image"),
    link("http://blog.com/post", "http://target.com/titled", "Target title"),
    link(
        "https://forum.net/thread?id=1",
        "http://www.target.com/x",  # resolved against <base href>, as the crawler does
        "protocol-relative",
        page_nofollow=True,
        captured_at=datetime(2024, 6, 1, 12, tzinfo=UTC),
    ),
    link(
        "https://forum.net/thread?id=1",
        "http://target.com/docs/start",
        "relative to base",
        page_nofollow=True,
        captured_at=datetime(2024, 6, 1, 12, tzinfo=UTC),
    ),
    link("http://news.org/x", "http://target.com/h", "header page", page_nofollow=True),
}


def records() -> list[tuple[str, bytes]]:
    captures = [BLOG, FORUM, TARGET_SITE, HEADER_NOFOLLOW, PDF, REDIRECT, OTHER]
    found = [(c.uri, request_payload(c.uri)) for c in captures[:2]]
    found += [(c.uri, c.payload()) for c in captures]
    found.insert(4, ("http://bad.org/", MALFORMED))
    return found


@pytest.fixture
def wat(tmp_path: Path) -> Path:
    return write_wat(tmp_path / "CC-MAIN-test-00000.warc.wat.gz", records())


def read(location: str, targets: list[str] | None = None) -> tuple[list[CandidateLink], WatStats]:
    stats = WatStats()
    links = list(WatReader(targets or ["target.com"]).file_links(location, stats))
    return links, stats


def test_every_hyperlink_to_the_target_and_nothing_else(wat: Path) -> None:
    links, _ = read(str(wat))
    assert sorted(links, key=repr) == sorted(EXPECTED, key=repr)
    assert len(links) == len(EXPECTED)  # the same link twice on a page is one link


def test_non_html_records_and_malformed_json_are_counted_not_fatal(wat: Path) -> None:
    _, stats = read(str(wat))
    assert stats == WatStats(
        files=1, files_failed=0, records=10, skipped=3, malformed=1, html_pages=4, not_html=2, links=len(EXPECTED)
    )


def test_gzip_members_and_an_uncompressed_wat_give_the_same_links(wat: Path, tmp_path: Path) -> None:
    plain = write_wat(tmp_path / "plain.warc.wat", records(), compress=False)
    assert gzip.decompress(wat.read_bytes())[:5] == b"WARC/" and plain.read_bytes()[:5] == b"WARC/"
    assert set(read(str(plain))[0]) == set(read(str(wat))[0]) == EXPECTED


def test_a_warc_without_metadata_records_and_a_broken_file_give_no_link(tmp_path: Path) -> None:
    warc = write_warc_response(tmp_path / "x.warc.gz", "http://blog.com/", b'<a href="http://target.com/">t</a>')
    broken = tmp_path / "broken.warc.wat.gz"
    broken.write_bytes(gzip.compress(b"<html>an error page saved under a WAT file's name</html>"))
    assert read(str(warc))[0] == []
    links, stats = read(str(broken))
    assert links == [] and stats.files_failed == 1
    links, stats = read(str(tmp_path / "missing.warc.wat.gz"))
    assert links == [] and stats.files_failed == 1


def test_a_link_has_the_same_link_key_as_the_crawlers_row_for_it() -> None:
    html = (
        "<html><head><title>t</title></head><body><p>See <a href='https://www.target.com/pricing'>Target\n"
        "  pricing</a>, <a href='http://target.com/nf' rel='NOFOLLOW noopener'>nofollowed one</a> and "
        "<a href='http://docs.target.com/guide'><img src='/logo.png' alt='  Target   docs '></a>"
        "<a href='http://target.com/titled' title='Target title'></a></p></body></html>"
    )
    page = extract_page(html, "http://blog.com/post")
    crawled = {
        link_key(page.url, request_url(item.url), item.anchor, item.rel.text)
        for item in page.links
        if "target.com" in item.host
    }
    wat_links = [commoncrawl_row(candidate) for candidate in EXPECTED if candidate.source_url == "http://blog.com/post"]
    assert crawled <= {row["link_key"] for row in wat_links}
    assert len(crawled) == 4


def test_a_unicode_target_matches_punycode_and_unicode_hrefs(tmp_path: Path) -> None:
    capture = Capture(
        "http://blog.com/idn",
        links=[
            {"path": "A@/href", "url": "http://xn--bcher-kva.de/a", "text": "puny"},
            {"path": "A@/href", "url": "http://www.bücher.de/b", "text": "unicode"},
        ],
    )
    path = write_wat(tmp_path / "idn.warc.wat.gz", [(capture.uri, capture.payload())])
    links, _ = read(str(path), ["bücher.de"])
    assert {(item.target_url, item.target_domain) for item in links} == {
        # One spelling of each URL, the crawler's (extraction.request_url): the host in punycode.
        ("http://xn--bcher-kva.de/a", "bücher.de"),
        ("http://www.xn--bcher-kva.de/b", "bücher.de"),
    }


def test_a_list_of_paths_served_over_http_on_loopback(
    wat: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    prefix = "crawl-data/CC-MAIN-2024-22/segments/1/wat/"
    paths = gzip.compress(f"{prefix}a.warc.wat.gz\n{prefix}missing.warc.wat.gz\n".encode())
    files = {
        "/crawl-data/CC-MAIN-2024-22/wat.paths.gz": Resource(paths, headers={"Content-Type": "application/gzip"}),
        f"/{prefix}a.warc.wat.gz": Resource(wat.read_bytes(), headers={"Content-Type": "application/octet-stream"}),
    }
    with LocalWeb({"127.0.0.1": files}) as server:
        base = server.proxy_url + "/"
        located = list(expand_inputs([base + "crawl-data/CC-MAIN-2024-22/wat.paths.gz"], base))
        assert located == [base + prefix + "a.warc.wat.gz", base + prefix + "missing.warc.wat.gz"]
        stats = WatStats()
        reader = WatReader(["target.com"])
        links = [item for location in located for item in reader.file_links(location, stats)]
    assert set(links) == EXPECTED
    assert (stats.files, stats.files_failed) == (2, 1)


@pytest.mark.parametrize(
    "content",
    [
        b"crawl-data/CC-MAIN-2024-22/segments/1/wat/a.warc.wat.gz\nindex.html\n",
        b"crawl-data/CC-MAIN-2024-22/segments/1/wat/a.warc.wat.gz\nhttp://127.0.0.1:9/a b.warc.wat.gz\n",
        gzip.compress(b"0\tcom.example\n1\torg.example\n"),
        b"# a list with nothing in it\n\n",
    ],
    ids=["a page's path", "a space", "not paths", "no path"],
)
def test_a_list_that_names_anything_but_wat_files_is_refused_before_a_fetch(tmp_path: Path, content: bytes) -> None:
    listed = tmp_path / "list.txt"
    listed.write_bytes(content)
    # A loopback port nobody listens on: a fetch would be retried, not refused at once.
    inputs = expand_inputs([str(listed)], "http://127.0.0.1:9/")
    with pytest.raises(SourceError, match=r"list\.txt: not a WAT file nor a list of WAT paths"):
        next(inputs)


def test_memory_is_bounded_by_a_record_not_by_the_file(tmp_path: Path) -> None:
    # One page captured again and again: the resolver's bounded caches stay the same size,
    # so what grows with the file would be the reader's own doing.
    capture = Capture(
        "http://site.org/",
        links=[{"path": "A@/href", "url": f"http://site.org/{j}", "text": "x" * 40} for j in range(50)]
        + [{"path": "A@/href", "url": "http://target.com/", "text": "target"}],
    )

    def peak(pages: int) -> tuple[int, int]:
        path = write_wat(tmp_path / f"{pages}.warc.wat.gz", [(capture.uri, capture.payload())] * pages)
        tracemalloc.start()
        count = sum(1 for _ in WatReader(["target.com"]).file_links(str(path), WatStats()))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return count, top

    small_count, small_peak = peak(100)
    large_count, large_peak = peak(1600)
    assert (small_count, large_count) == (100, 1600)
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)


# -- scrapy cc-wat ---------------------------------------------------------------------------


def cc_wat(database: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = crawl_env(None) | {"BACKLINKS_DATABASE_URL": database}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "cc-wat", *arguments],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_cc_wat_stores_every_link_as_unverified_and_writes_candidates(wat: Path, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    output = tmp_path / "links.tsv"
    process = cc_wat(database, "target.com", str(wat), "-o", str(output))
    assert process.returncode == 0, process.stderr
    assert f"{len(EXPECTED)} links to the target in 4 HTML pages" in process.stdout
    assert "1 malformed" in process.stdout
    engine = create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT source_url, target_url, anchor_text, rel, discovered_via, placement, dofollow, nofollow,"
                " anchor_class, link_type, first_seen, last_seen, lost_at, source_domain FROM backlinks"
            )
        ).all()
    engine.dispose()
    assert len(rows) == len(EXPECTED)
    assert {(r[0], r[1], r[2], r[3]) for r in rows} == {
        (c.source_url, c.target_url, c.anchor_text, c.rel) for c in EXPECTED
    }
    by_target = {row[1]: row for row in rows}
    pricing = by_target["https://www.target.com/pricing"]
    assert pricing[4:10] == ("commoncrawl", "unknown", 1, 0, "branded", "text")
    assert str(pricing[10]).startswith("2024-05-18 01:58:10") and pricing[10] == pricing[11]
    assert pricing[12] is None and pricing[13] == "blog.com"
    assert by_target["http://target.com/docs/start"][6] == 0  # the page is nofollow as a whole
    candidates = read_candidates(output)
    assert candidates.kind == LINKS and candidates.targets == ["target.com"]
    assert set(candidates.rows) == EXPECTED
    again = cc_wat(database, "target.com", str(wat))
    assert again.returncode == 0, again.stderr
    engine = create_engine(database)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM backlinks")).scalar_one() == len(EXPECTED)
    engine.dispose()


def test_cc_wat_reports_an_unreadable_input_in_one_line_after_reading_the_others(wat: Path, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    process = cc_wat(database, "target.com", str(tmp_path / "nope.warc.wat.gz"), str(wat))
    assert process.returncode == 1
    assert process.stderr.strip().splitlines()[-1] == (
        "scrapy cc-wat: error: 1 of 2 inputs could not be read (see above)"
    )
    assert "nope.warc.wat.gz" in process.stderr and "Traceback" not in process.stderr
    assert f"{len(EXPECTED)} links stored" in process.stdout


def test_cc_wat_names_each_input_that_is_not_wat_in_one_line(tmp_path: Path) -> None:
    inputs = {
        "v.txt.gz": gzip.compress(b"0\tcom.example\n"),
        "words.txt": b"some text, not a list of paths\n",
        "random.bin": bytes(range(256)) * 8,
        "cut.gz": gzip.compress(b"crawl-data/a.warc.wat.gz\n" * 100)[:40],
        "empty": b"",
    }
    for name, content in inputs.items():
        (tmp_path / name).write_bytes(content)
    output = tmp_path / "links.tsv"
    paths = [str(tmp_path / name) for name in inputs]
    process = cc_wat("sqlite://", "target.com", *paths, "--no-store", "-o", str(output))
    assert process.returncode == 1
    assert "Traceback" not in process.stderr
    lines = process.stderr.strip().splitlines()
    assert lines[-1] == "scrapy cc-wat: error: 5 of 5 inputs could not be read (see above)"
    assert [line.split(": ")[1] for line in lines[:-1]] == [f"could not read {path}" for path in paths]


def test_cc_wat_writes_the_candidates_to_standard_output_with_o_dash(wat: Path, tmp_path: Path) -> None:
    process = cc_wat("sqlite://", "target.com", str(wat), "--no-store", "-o", "-")
    assert process.returncode == 0, process.stderr
    assert not Path(ROOT, "-").exists()
    written = tmp_path / "links.tsv"
    written.write_text(process.stdout, encoding="utf-8")
    assert set(read_candidates(written).rows) == EXPECTED
    assert process.stderr.strip().endswith(f"; {len(EXPECTED)} links")

"""``scrapy report``: CSV, JSON, the terminal summary and the HTML page (opened in real
Chromium), asserted against a crawl of the test web; and its one-line errors."""

from __future__ import annotations

import csv
import html as html_module
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from rich.console import Console
from sqlalchemy import create_engine

from backlink_spider.commands.report import print_summary
from backlink_spider.quality import link_quality
from backlink_spider.report_html import render_html
from backlink_spider.reporting import CONTRACT_COLUMNS, FOLLOW_OVERLAP, Report, to_csv, to_json
from pipelines.migrate import head_revision, upgrade
from pipelines.schema import BacklinkRow
from tests.conftest import ROOT, Crawl, crawl_env
from tests.services import missing
from tests.web import EXPECTED_BACKLINKS

CHROMIUM = "/usr/bin/chromium"


def report(database_url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = crawl_env(None) | {"BACKLINKS_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "report", *arguments],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def expected_links() -> set[tuple[str, str, str]]:
    return {(row[0], row[1], row[2]) for row in EXPECTED_BACKLINKS}


def test_csv_has_one_row_per_backlink_with_every_contract_column_and_authority(crawl: Crawl) -> None:
    process = report(crawl.database_url, "target.com", "--format", "csv")
    assert process.returncode == 0, process.stderr
    rows = list(csv.DictReader(io.StringIO(process.stdout)))
    assert {(r["source_url"], r["target_url"], r["anchor_text"]) for r in rows} == expected_links()
    assert set(CONTRACT_COLUMNS) | {"source_authority", "quality"} <= set(rows[0])
    authority = dict(crawl.rows("SELECT domain, authority FROM domains"))
    for row in rows:
        assert float(row["source_authority"]) == authority[row["source_domain"]]
    quality = {r["target_url"]: float(r["quality"]) for r in rows if r["source_url"] == "http://blog.com/post"}
    assert quality["https://www.target.com/pricing"] > quality["http://target.com/paid"] > 0


def readme_backlink_columns() -> set[str]:
    """The columns the README's table of ``backlinks`` documents."""
    text = Path(ROOT, "README.md").read_text(encoding="utf-8")
    table = text.split("Table `backlinks`", 1)[1].split("\n\n", 2)[1]
    return {name for line in table.splitlines()[2:] for name in re.findall(r"`(\w+)`", line.split(" | ")[0])}


def test_csv_and_json_hold_every_column_the_readme_documents(crawl: Crawl) -> None:
    documented = readme_backlink_columns()
    assert {"target_domain", "first_crawl_id", "last_crawl_id", "lost_crawl_id", "indexable"} <= documented
    internal = {"id", "link_key", "source_key"}
    assert documented == set(BacklinkRow.__table__.columns.keys()) - internal
    process = report(crawl.database_url, "target.com", "--format", "csv")
    assert process.returncode == 0, process.stderr
    rows = list(csv.DictReader(io.StringIO(process.stdout)))
    assert documented <= set(rows[0])
    crawls = "SELECT first_crawl_id, last_crawl_id, lost_crawl_id FROM backlinks WHERE target_domain = 'target.com'"
    stored = [tuple(row) for row in crawl.rows(crawls)]
    assert stored and all(first is not None for first, _, _ in stored)
    as_json = json.loads(report(crawl.database_url, "target.com", "--format", "json").stdout)
    assert list(as_json[0]) == list(rows[0])
    ids = ("first_crawl_id", "last_crawl_id", "lost_crawl_id")
    assert sorted(tuple(r[name] for name in ids) for r in as_json) == sorted(stored)
    assert sorted(tuple(r[name] for name in ids) for r in rows) == sorted(
        tuple("" if value is None else str(value) for value in row) for row in stored
    )


def test_json_matches_the_csv(crawl: Crawl, tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    process = report(crawl.database_url, "https://www.target.com/anything", "--format", "json", "-o", str(output))
    assert process.returncode == 0, process.stderr
    rows = json.loads(output.read_text(encoding="utf-8"))
    assert {(r["source_url"], r["target_url"], r["anchor_text"]) for r in rows} == expected_links()
    pricing = next(r for r in rows if r["target_url"] == "https://www.target.com/pricing")
    assert (pricing["dofollow"], pricing["placement"], pricing["anchor_class"], pricing["lost_at"]) == (
        True, "content", "branded", None,
    )  # fmt: skip
    assert pricing["first_seen"].endswith("+00:00")


def test_terminal_summary(crawl: Crawl) -> None:
    process = report(crawl.database_url, "target.com")
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    assert lines[0] == "Backlinks of target.com"
    totals = " ".join(" ".join(lines[1:3]).split())  # the console may wrap it
    assert totals.startswith(
        # One is on news.org/, whose meta robots says noindex, nofollow.
        "4 referring domains, 16 backlinks (62% dofollow, 1 on unindexed pages), 0 lost; last crawl: +16 new, -0 lost"
        " (1 crawl)"
    )
    for title in ("Top referring domains by authority", "Top anchors", "Anchor classes", "Placement", "Follow status"):
        assert title in process.stdout
    assert "blog.com" in process.stdout and "Target pricing" in process.stdout


def one_link_report() -> Report:
    """A report of one live backlink from one referring domain, found by one crawl."""
    seen = datetime(2024, 5, 18, tzinfo=UTC)
    quality = link_quality(40.0, "content", True, "branded")
    row = {
        "target_domain": "target.com", "target_url": "http://target.com/", "source_url": "http://blog.com/post",
        "source_host": "blog.com", "source_domain": "blog.com", "anchor_text": "Target", "anchor_class": "branded",
        "rel": "", "nofollow": False, "ugc": False, "sponsored": False, "dofollow": True, "link_type": "text",
        "placement": "content", "snippet": "See Target", "first_seen": seen, "last_seen": seen, "lost_at": None,
        "discovered_via": "crawl", "indexable": True, "via_url": None, "first_crawl_id": 1, "last_crawl_id": 1,
        "lost_crawl_id": None, "source_authority": 40.0, "quality": quality.score,
        **{name: value for name, value in asdict(quality).items() if name != "score"},
    }  # fmt: skip
    return Report(target="target.com", backlinks=[row], crawls=[{"id": 1, "target": "target.com"}])


def test_one_of_anything_is_counted_in_the_singular() -> None:
    console = Console(file=io.StringIO(), width=200)
    print_summary(one_link_report(), console)
    totals = console.file.getvalue().splitlines()[1]  # type: ignore[attr-defined]
    assert totals.startswith("1 referring domain, 1 backlink (100% dofollow")
    assert totals.endswith("(1 crawl)")
    html = render_html(one_link_report())
    assert "from 1 crawl by backlink_spider" in html
    assert '<b id="card-domains">1</b>referring domain</div>' in html
    assert '<b id="card-backlinks">1</b>backlink</div>' in html


def test_page_text_is_shown_as_text_and_never_run() -> None:
    """Anchors are the pages' words: Rich markup in them is printed, not applied (``[/b]`` ended the
    report with a MarkupError), and a spreadsheet formula in them is not run when the CSV is opened."""
    report_ = one_link_report()
    anchors = ["[/b] closing", "[bold red]loud[/]", "[edit]", '=HYPERLINK("http://evil.com/","x")', "-1+2", "@SUM(1,2)"]
    first = report_.backlinks[0]
    report_.backlinks = [
        first | {"source_url": f"http://blog.com/{n}", "anchor_text": a} for n, a in enumerate(anchors)
    ]
    console = Console(file=io.StringIO(), width=200)
    print_summary(report_, console)
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert all(anchor in printed for anchor in anchors[:3])
    cells = [row["anchor_text"] for row in csv.DictReader(io.StringIO(to_csv(report_)))]
    assert cells == anchors[:3] + [f"'{anchor}" for anchor in anchors[3:]]
    assert [row["anchor_text"] for row in json.loads(to_json(report_))] == anchors


def test_backlinks_read_from_common_crawl_and_not_confirmed_live_are_counted_apart() -> None:
    report_ = one_link_report()
    first = report_.backlinks[0]
    report_.backlinks.append(first | {"source_url": "http://blog.com/2024", "discovered_via": "commoncrawl"})
    console = Console(file=io.StringIO(), width=300)
    print_summary(report_, console)
    totals = console.file.getvalue().splitlines()[1]  # type: ignore[attr-defined]
    assert totals.startswith(
        "1 referring domain, 2 backlinks (100% dofollow, 0 on unindexed pages, 1 from Common Crawl not yet confirmed"
        " live), 0 lost"
    )
    assert '<b id="card-unconfirmed">1</b>from Common Crawl, not yet confirmed live' in render_html(report_)
    # Once a crawl has confirmed them, nothing is said.
    report_.backlinks.pop()
    assert "card-unconfirmed" not in render_html(report_)


def test_follow_status_says_its_flags_overlap_and_counts_the_links_apart() -> None:
    report_ = one_link_report()
    both = report_.backlinks[0] | {"source_url": "http://blog.com/2", "rel": "nofollow ugc", "dofollow": False}
    report_.backlinks.append(both | {"nofollow": True, "ugc": True})
    console = Console(file=io.StringIO(), width=120)
    print_summary(report_, console)
    follow = console.file.getvalue().split("Follow status", 1)[1].splitlines()  # type: ignore[attr-defined]
    rows = [line.strip("│ ").split() for line in follow if line.startswith("│")]
    assert rows == [["dofollow", "│", "1"], ["nofollow", "│", "1"], ["ugc", "│", "1"], ["sponsored", "│", "0"],
                    ["page", "nofollow", "│", "0"], ["live", "backlinks", "│", "2"]]  # fmt: skip
    assert follow[-1] == FOLLOW_OVERLAP
    assert f"{FOLLOW_OVERLAP} Live backlinks: 2." in html_module.unescape(render_html(report_))


def test_html_report_renders_its_charts_and_table_in_chromium(crawl: Crawl, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        missing("Chromium", f"{CHROMIUM} not found (make install installs it)")
    output = tmp_path / "report.html"
    process = report(crawl.database_url, "target.com", "--format", "html", "-o", str(output))
    assert process.returncode == 0, process.stderr
    html = output.read_text(encoding="utf-8")
    assert "http://" not in html.split("<body>")[0] and "<script src" not in html  # self-contained
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("request", lambda request: errors.append(request.url) if not request.url.startswith("file:") else None)
        page.goto(output.as_uri())
        assert page.locator("svg.chart").count() == 5
        assert page.locator("rect.bar").count() >= 20
        assert page.locator("#backlinks tbody tr").count() == len(EXPECTED_BACKLINKS)
        assert page.locator("#card-domains").text_content() == "4"
        assert page.locator("#card-unindexed").text_content() == "1"  # news.org/ is noindex
        page.fill("#filter", "news.org")
        assert page.locator("#shown").text_content() == f"5 of {len(EXPECTED_BACKLINKS)} shown"
        page.fill("#filter", "")
        page.locator("th", has_text="Quality").click()
        page.locator("th", has_text="Quality").click()
        best = page.locator("#backlinks tbody tr").first.locator("td").nth(10).text_content()
        assert float(best or 0) == max(link_quality(float(a), p, bool(d), c).score for a, p, d, c in _qualities(crawl))
        screenshot = page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert errors == []
    assert len(screenshot) > 50_000  # a blank page is a few kilobytes


def _qualities(crawl: Crawl) -> list[tuple]:
    return crawl.rows(
        "SELECT coalesce(d.authority, 0), b.placement, b.dofollow, b.anchor_class FROM backlinks b"
        " LEFT JOIN domains d ON d.domain = b.source_domain WHERE b.target_domain = 'target.com'"
    )


def test_quality_shows_its_parts() -> None:
    best = link_quality(100.0, "content", True, "branded")
    assert (best.score, best.authority_factor, best.placement_factor, best.follow_factor) == (100.0, 1.0, 1.0, 1.0)
    comment = link_quality(50.0, "comment", False, "generic")
    assert comment.score == round(100 * 0.6 * 0.2 * 0.2 * 0.6, 1)
    assert link_quality(None, "content", True, "other").score == 20.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("nothing-here.com",), "no backlinks and no crawl of nothing-here.com in this database"),
        (("localhost",), "target: 'localhost' is not a public domain"),
        (("a.com,b.com",), "target: one target at a time"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_1(crawl: Crawl, arguments: tuple[str, ...], message: str) -> None:
    process = report(crawl.database_url, *arguments)
    assert process.returncode == 1
    assert process.stderr.strip() == f"scrapy report: error: {message}" or process.stderr.strip().startswith(
        f"scrapy report: error: {message}"
    )


def test_an_empty_missing_or_unreachable_database_is_one_line(tmp_path: Path) -> None:
    missing = report(f"sqlite:///{tmp_path / 'mistyped.sqlite3'}", "target.com")
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        f"scrapy report: error: the database file {tmp_path / 'mistyped.sqlite3'} does not exist; "
        "crawl first, or set BACKLINKS_DATABASE_URL"
    )
    assert not (tmp_path / "mistyped.sqlite3").exists()
    (tmp_path / "empty.sqlite3").touch()
    empty = report(f"sqlite:///{tmp_path / 'empty.sqlite3'}", "target.com")
    assert empty.returncode == 1
    assert empty.stderr.strip().startswith("scrapy report: error: the database sqlite:///") and "crawl first" in (
        empty.stderr
    )
    unreachable = report("postgresql://nobody:secret@127.0.0.1:1/none", "target.com")
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("scrapy report: error: database postgresql://nobody:***@127.0.0.1:1/none")
    assert "secret" not in unreachable.stderr and "Traceback" not in unreachable.stderr


@pytest.mark.parametrize("revision", ["0001", "0004"])
def test_a_database_of_an_older_schema_says_to_run_scrapy_migrate(tmp_path: Path, revision: str) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    upgrade(engine, revision)
    engine.dispose()
    process = report(url, "target.com")
    assert process.returncode == 1
    assert process.stderr.strip() == (
        f"scrapy report: error: database {url}: the database schema is at revision {revision}, this version needs "
        f"{head_revision()}: run `scrapy migrate` (or set BACKLINKS_AUTO_MIGRATE=True)"
    )


def test_the_report_goes_to_standard_output_with_o_dash_and_a_file_it_cannot_write_is_one_line(
    crawl: Crawl, tmp_path: Path
) -> None:
    dash = report(crawl.database_url, "target.com", "--format", "csv", "-o", "-")
    assert dash.returncode == 0, dash.stderr
    rows = list(csv.DictReader(io.StringIO(dash.stdout)))
    assert {(r["source_url"], r["target_url"], r["anchor_text"]) for r in rows} == expected_links()
    assert not Path(ROOT, "-").exists()
    nowhere = report(crawl.database_url, "target.com", "--format", "csv", "-o", str(tmp_path / "no" / "x.csv"))
    assert nowhere.returncode == 1
    assert (
        nowhere.stderr.strip()
        == f"scrapy report: error: cannot write {tmp_path / 'no' / 'x.csv'}: No such file or directory"
    )


def test_an_unknown_option_is_named(crawl: Crawl) -> None:
    process = report(crawl.database_url, "target.com", "--bogus")
    assert process.returncode == 2
    # The program's name is the one Python was started with (scrapy, or __main__.py for python -m scrapy).
    assert process.stderr.strip().splitlines()[-1].endswith(": error: unknown option --bogus (see scrapy report -h)")

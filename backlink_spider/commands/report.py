"""``scrapy report TARGET``: the backlinks of a target, as a terminal summary, CSV, JSON
or a self-contained HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from backlink_spider.report_html import render_html
from backlink_spider.reporting import (
    FOLLOW_OVERLAP,
    Report,
    ReportError,
    load_report,
    to_csv,
    to_json,
)
from backlink_spider.targets import parse_one_target
from backlink_spider.wording import count_of
from pipelines.database import database_problem, database_url, engine_at, missing_sqlite_file, safe_url
from pipelines.migrate import SchemaBehind, ensure_schema

FORMATS = ("table", "csv", "json", "html")


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012 - the shape Scrapy commands use

    def syntax(self) -> str:
        return "[options] TARGET"

    def short_desc(self) -> str:
        return "Report the backlinks of a target stored in the database"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
        parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (-: standard output, the default)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # Scrapy hands a command the options it does not know as arguments.
        if unknown := [arg for arg in args if arg.startswith("-") and arg != "-"]:
            raise UsageError(f"unknown option {unknown[0]} (see scrapy report -h)")
        if len(args) != 1:
            raise UsageError("give one target, e.g. scrapy report example.com")
        try:
            target = parse_one_target(args[0])
        except ValueError as error:
            self._fail(f"target: {error}")
            return
        assert self.settings is not None
        url = database_url(self.settings)
        if (missing := missing_sqlite_file(url)) is not None:
            self._fail(missing)
            return
        try:
            with engine_at(url) as engine:
                if "backlinks" not in inspect(engine).get_table_names():
                    raise ReportError(f"the database {safe_url(url)} holds no backlinks yet; crawl first")
                ensure_schema(engine, self.settings.getbool("BACKLINKS_AUTO_MIGRATE"))
                report = load_report(engine, target)
        except ReportError as error:
            self._fail(str(error))
            return
        except (SQLAlchemyError, SchemaBehind) as error:
            self._fail(database_problem(url, error))
            return
        try:
            self._write(report, opts.format, None if opts.output == "-" else opts.output)
        except OSError as error:
            self._fail(f"cannot write {opts.output}: {error.strerror or error}")

    def _fail(self, message: str) -> None:
        print(f"scrapy report: error: {message}", file=sys.stderr)
        self.exitcode = 1

    def _write(self, report: Report, kind: str, output: str | None) -> None:
        if kind == "table":
            if output:
                with Path(output).open("w", encoding="utf-8") as file:
                    print_summary(report, Console(file=file, width=120))
            else:
                print_summary(report, Console(width=120))
            return
        text = {"csv": to_csv, "json": to_json, "html": render_html}[kind](report)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)


def print_summary(report: Report, console: Console) -> None:
    """The readable summary: totals, then the tables a user looks at first."""
    summary = report.summary()
    console.print(f"[bold]Backlinks of {report.target}[/bold]")
    console.print(
        f"{count_of(summary['referring_domains'], 'referring domain')}, {count_of(summary['backlinks'], 'backlink')} "
        f"({summary['dofollow_share']:.0%} dofollow, {summary['from_unindexed_pages']} on unindexed pages"
        f"{unconfirmed_note(summary['unconfirmed'])}), "
        f"{summary['lost_backlinks']} lost; "
        f"last crawl: +{summary['new_in_last_crawl']} new, -{summary['lost_in_last_crawl']} lost "
        f"({count_of(summary['crawls'], 'crawl')})"
    )
    domains = Table(title="Top referring domains by authority")
    for column in ("domain", "authority", "backlinks", "dofollow"):
        domains.add_column(column, justify="left" if column == "domain" else "right")
    for domain, authority, links, followed in report.referring_domains[:15]:
        domains.add_row(Text(domain), f"{authority:.1f}", str(links), str(followed))
    console.print(domains)
    anchors = Table(title="Top anchors")
    for column in ("anchor", "class", "backlinks"):
        anchors.add_column(column, justify="right" if column == "backlinks" else "left")
    for anchor, kind, count in report.top_anchors():
        anchors.add_row(Text(anchor[:60]), kind, str(count))  # page text, not markup
    console.print(anchors)
    live = summary["backlinks"]
    console.print(mix_table("Anchor classes", report.mix("anchor_class"), live))
    console.print(mix_table("Placement", report.mix("placement"), live))
    console.print(mix_table("Follow status", report.follow_mix(), live))
    console.print(FOLLOW_OVERLAP, markup=False)


def unconfirmed_note(unconfirmed: int) -> str:
    """What the totals say of the backlinks read from Common Crawl and not confirmed live yet."""
    return f", {unconfirmed} from Common Crawl not yet confirmed live" if unconfirmed else ""


def mix_table(title: str, pairs: list[tuple[str, int]], live: int) -> Table:
    """Live backlinks counted by kind, then their total on a line of its own (where a link
    counts under more than one kind, the kinds add up to more than the total)."""
    table = Table(title=title)
    table.add_column("kind")
    table.add_column("backlinks", justify="right")
    for number, (kind, count) in enumerate(pairs, 1):
        table.add_row(kind, str(count), end_section=number == len(pairs))
    table.add_row("live backlinks", str(live))
    return table

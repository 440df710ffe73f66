"""``scrapy cc-wat TARGET PATH...``: store every hyperlink to a target found in Common Crawl
WAT files in the ``backlinks`` table, as ``discovered_via='commoncrawl'`` (not yet seen
live), and optionally write them as a candidates file for ``-a seeds=FILE``.

A PATH is a WAT file (local or http(s)), a list of WAT paths as Common Crawl publishes
them (``wat.paths.gz``; relative paths are under ``BACKLINKS_CC_BASE_URL``), or a
candidates file or directory of links (the Spark job's output), which is stored as it is.
``-o -`` writes the candidates file to standard output (the summary then goes to stderr).
Scrapy names a project command after its module, so this module's name is the command's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy.exc import SQLAlchemyError

from backlink_spider.commoncrawl.candidates import (
    LINKS,
    CandidateLink,
    CandidatesError,
    header_lines,
    is_candidates,
    iter_candidates,
)
from backlink_spider.commoncrawl.rows import store_links
from backlink_spider.commoncrawl.sources import SourceError, expand_inputs, is_url
from backlink_spider.commoncrawl.wat import WatReader, WatStats
from backlink_spider.settingcheck import setting_list
from backlink_spider.targets import parse_targets
from pipelines.database import database_problem, database_url, open_engine, safe_url
from pipelines.migrate import SchemaBehind, prepare_database


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012 - the shape Scrapy commands use

    def syntax(self) -> str:
        return "[options] TARGET PATH..."

    def short_desc(self) -> str:
        return "Store the links to a target found in Common Crawl WAT files (unverified)"

    def long_desc(self) -> str:
        return (
            "Read Common Crawl WAT files (local or http(s); a PATH may be a wat.paths.gz list, or a "
            "candidates file of links written by the Spark job) and store every hyperlink to TARGET "
            "in the backlinks table with discovered_via='commoncrawl'; `scrapy crawl backlinks "
            "-a seeds=FILE` on the -o file then verifies them live."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="also write the links as a candidates file (-: standard output)"
        )
        parser.add_argument("--no-store", action="store_true", help="do not write to the database (needs -o)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 2:
            raise UsageError("give a target and WAT files, e.g. scrapy cc-wat example.com wat.paths.gz -o links.tsv")
        if opts.no_store and not opts.output:
            raise UsageError("--no-store needs -o FILE")
        try:
            targets = parse_targets(args[0])
        except ValueError as error:
            self._fail(f"target: {error}")
            return
        assert self.settings is not None
        reader = WatReader(targets, self.settings.get("USER_AGENT"))
        stats = WatStats()
        url = database_url(self.settings)
        keywords = tuple(setting_list(self.settings, "BACKLINKS_KEYWORDS"))
        try:
            with ExitStack() as stack:
                links = self._links(args[1:], reader, stats)
                if opts.output:
                    links = _tee(links, self._output(opts.output, stack), targets)
                if opts.no_store:
                    stored = sum(1 for _ in links)
                else:
                    prepare_database(url, self.settings.getbool("BACKLINKS_AUTO_MIGRATE"))
                    engine = open_engine(url)
                    stack.callback(engine.dispose)
                    stored = store_links(engine, links, keywords)
        except (SchemaBehind, SQLAlchemyError) as error:
            self._fail(database_problem(url, error))
            return
        except CandidatesError as error:
            self._fail(str(error))
            return
        where = "" if opts.no_store else f" stored in {safe_url(url)}"
        written = f", written to {opts.output}" if opts.output and opts.output != "-" else ""
        # With -o -, standard output is the candidates file's: the summary goes to stderr.
        summary = sys.stderr if opts.output == "-" else sys.stdout
        print(f"{stats.summary()}; {stored} links{where}{written}", file=summary)
        if stats.files_failed:
            self._fail(f"{stats.files_failed} of {stats.files} inputs could not be read (see above)")

    def _links(self, locations: list[str], reader: WatReader, stats: WatStats) -> Iterator[CandidateLink]:
        assert self.settings is not None
        base = self.settings.get("BACKLINKS_CC_BASE_URL")
        for location in locations:
            if not is_url(location) and is_candidates(Path(location)):
                for row in iter_candidates(Path(location), LINKS):
                    assert isinstance(row, CandidateLink)
                    if row.target_domain in reader.matcher:
                        stats.links += 1
                        yield row
                continue
            try:
                for wat in expand_inputs([location], base, reader.user_agent):
                    yield from reader.file_links(wat, stats)
                    for problem in reader.errors:
                        print(f"scrapy cc-wat: could not read {problem}", file=sys.stderr)
                    reader.errors.clear()
            except SourceError as error:
                stats.files += 1
                stats.files_failed += 1
                print(f"scrapy cc-wat: could not read {error}", file=sys.stderr)

    def _output(self, name: str, stack: ExitStack) -> IO[str]:
        """The candidates file to write: ``name``, or standard output for ``-``."""
        if name == "-":
            return sys.stdout
        return stack.enter_context(Path(name).open("w", encoding="utf-8", newline="\n"))

    def _fail(self, message: str) -> None:
        print(f"scrapy cc-wat: error: {message}", file=sys.stderr)
        self.exitcode = 1


def _tee(links: Iterator[CandidateLink], output: IO[str], targets: list[str]) -> Iterator[CandidateLink]:
    for line in header_lines(LINKS, targets):
        output.write(line + "\n")
    for link in links:
        output.write(link.line() + "\n")
        yield link

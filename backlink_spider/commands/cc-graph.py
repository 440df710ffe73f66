"""``scrapy cc-graph TARGET --vertices PATH --edges PATH [--ranks PATH] -o FILE``: the hosts
or domains of a Common Crawl web-graph release that link to a target, as a candidates file
(``backlink_spider.commoncrawl.candidates``) that ``-a seeds=FILE`` takes.

Scrapy names a project command after its module, so this module's name is the command's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from backlink_spider.commoncrawl.candidates import REFERRERS, header_lines, write_candidates
from backlink_spider.commoncrawl.sources import SourceError, expand_graph_inputs
from backlink_spider.targets import parse_one_target


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012 - the shape Scrapy commands use

    def syntax(self) -> str:
        return "[options] TARGET --vertices PATH --edges PATH [--ranks PATH] -o FILE"

    def short_desc(self) -> str:
        return "List the hosts or domains that link to a target in a Common Crawl web graph"

    def long_desc(self) -> str:
        return (
            "Scan a Common Crawl web-graph release (host- or domain-level; gzip text, local or "
            "http(s); a PATH may also be a *.paths.gz list or a directory of part files) and write the "
            "referring hosts or domains of TARGET, best harmonic-centrality rank first, as a "
            "candidates file for `scrapy crawl backlinks -a seeds=FILE`."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--vertices", action="append", default=[], metavar="PATH", help="vertices file(s)")
        parser.add_argument("--edges", action="append", default=[], metavar="PATH", help="edges file(s)")
        parser.add_argument("--ranks", action="append", default=[], metavar="PATH", help="ranks file (optional)")
        parser.add_argument("-o", "--output", metavar="FILE", help="candidates file to write ('-': standard output)")
        parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (default: one per core)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one target, e.g. scrapy cc-graph example.com --vertices ... --edges ... -o FILE")
        if not opts.vertices or not opts.edges or not opts.output:
            raise UsageError("--vertices, --edges and -o are required")
        try:
            target = parse_one_target(args[0])
        except ValueError as error:
            self._fail(f"target: {error}")
            return
        assert self.settings is not None
        base = self.settings.get("BACKLINKS_CC_BASE_URL")
        user_agent = self.settings.get("USER_AGENT")
        started = time.monotonic()
        # Imported here, not above: every ``scrapy`` command, a crawl too, imports every command
        # module, and DuckDB alone would keep 21 MiB of a crawl's memory.
        from backlink_spider.commoncrawl.graph import GraphError, GraphScan

        try:
            scan = GraphScan(
                expand_graph_inputs(opts.vertices, base, user_agent),
                expand_graph_inputs(opts.edges, base, user_agent),
                expand_graph_inputs(opts.ranks, base, user_agent),
                threads=opts.threads,
                user_agent=user_agent,
            )
            result = scan.referrers(target)
        except (GraphError, SourceError) as error:
            self._fail(str(error))
            return
        if not result.target_vertices:
            self._fail(f"{target} is not in the graph (no vertex named after it or a host under it)")
            return
        notes = {"level": result.level, "target_vertices": ",".join(result.target_vertices)}
        if opts.output == "-":
            for line in header_lines(REFERRERS, [target], **notes):
                print(line)
            for referrer in result.referrers:
                print(referrer.line())
        else:
            write_candidates(Path(opts.output), REFERRERS, [target], result.referrers, **notes)
        print(
            f"{len(result.referrers)} {result.level}s link to {target} ({result.level}-level graph, "
            f"{time.monotonic() - started:.1f} s)" + ("" if opts.output == "-" else f"; written to {opts.output}"),
            file=sys.stderr,
        )

    def _fail(self, message: str) -> None:
        print(f"scrapy cc-graph: error: {message}", file=sys.stderr)
        self.exitcode = 1

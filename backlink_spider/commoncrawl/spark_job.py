"""The WAT extraction of ``scrapy cc-wat`` as an Apache Spark job, for a whole monthly crawl.

Shaped like Common Crawl's cc-pyspark jobs: the input lists WAT files (``wat.paths.gz`` as
Common Crawl publishes it, relative paths under ``--input-base-url``); each task streams
its share of the files and reads their links with the very code of the single-machine path
(``wat.WatReader``), so both give the same links. The output is a directory of candidates
files of links (``part-*``, one header each) that ``scrapy cc-wat TARGET DIR`` stores and
``scrapy crawl backlinks -a seeds=DIR`` verifies. Counters are Spark accumulators.

Local mode, on one machine::

    python -m backlink_spider.commoncrawl.spark_job --target example.com wat.paths.gz links/

On a cluster, with the project installed on every node (``pip install 'backlink_spider[spark]'``)::

    spark-submit --master yarn backlink_spider/commoncrawl/spark_job.py \\
        --target example.com --num-input-partitions 10000 wat.paths.gz hdfs:///backlinks/links

Needs ``pyspark`` (the ``spark`` extra) and Java 17; nothing else in the project imports this.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import fields

from pyspark.sql import SparkSession

from backlink_spider.commoncrawl.candidates import LINKS, header_lines
from backlink_spider.commoncrawl.sources import (
    DEFAULT_BASE_URL,
    USER_AGENT,
    SourceError,
    expand_inputs,
    is_url,
    join,
)
from backlink_spider.commoncrawl.wat import WatReader, WatStats
from backlink_spider.targets import parse_targets

logger = logging.getLogger("backlink_spider.commoncrawl.spark_job")
NAME = "backlinks-cc-wat"


def _wat_paths(session: SparkSession, inputs: list[str], base_url: str, partitions: int, user_agent: str) -> object:
    """An RDD of the WAT files to read, spread over ``partitions`` tasks. Lists the driver can
    open (local, http(s)) are read there; others (hdfs://, s3a://) by Spark itself."""
    context = session.sparkContext
    if all(is_url(path) or os.path.exists(path) for path in inputs):
        paths = list(expand_inputs(inputs, base_url, user_agent))
        return context.parallelize(paths, max(1, min(partitions, len(paths))))
    lines = context.textFile(",".join(inputs)).map(str.strip).filter(lambda line: line and not line.startswith("#"))
    return lines.map(lambda line: join(base_url, line)).repartition(partitions)


def run_job(
    session: SparkSession,
    inputs: list[str],
    output: str,
    targets: list[str],
    base_url: str = DEFAULT_BASE_URL,
    num_input_partitions: int = 400,
    num_output_partitions: int = 10,
    user_agent: str = USER_AGENT,
) -> WatStats:
    """Read the links to ``targets`` from every WAT file of ``inputs`` into candidates files
    under ``output``; returns the counters added up over all tasks."""
    context = session.sparkContext
    names = [field.name for field in fields(WatStats)]
    counters = {name: context.accumulator(0) for name in names}

    def read_files(paths: Iterable[str]) -> Iterator[str]:
        reader = WatReader(targets, user_agent)
        for path in paths:
            stats = WatStats()
            for link in reader.file_links(path, stats):
                yield link.line()
            for name in names:
                counters[name].add(getattr(stats, name))

    header = header_lines(LINKS, targets)

    def with_header(lines: Iterable[str]) -> Iterator[str]:
        return itertools.chain(header, sorted(lines))

    paths = _wat_paths(session, inputs, base_url, num_input_partitions, user_agent)
    (
        paths.mapPartitions(read_files)  # type: ignore[attr-defined]
        .distinct()
        .coalesce(num_output_partitions)
        .mapPartitions(with_header)
        .saveAsTextFile(output)
    )
    return WatStats(**{name: counters[name].value for name in names})


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=NAME, description=__doc__.split("\n\n")[0])
    parser.add_argument("input", nargs="+", help="WAT files or lists of them (wat.paths.gz)")
    parser.add_argument("output", help="directory to write the candidates files to (must not exist)")
    parser.add_argument("--target", required=True, help="the target domain (or a comma-separated list)")
    parser.add_argument("--input-base-url", default=DEFAULT_BASE_URL, help="prefix of relative paths in lists")
    parser.add_argument("--num-input-partitions", type=int, default=400, help="tasks reading WAT files")
    parser.add_argument("--num-output-partitions", type=int, default=10, help="candidates files written")
    parser.add_argument("--master", default=None, help="Spark master when not run by spark-submit (local[*])")
    parser.add_argument("--user-agent", default=USER_AGENT, help="User-Agent of http(s) downloads")
    parser.add_argument("--log-level", default="WARN", help="Spark's log level")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        targets = parse_targets(arguments.target)
    except ValueError as error:
        print(f"{NAME}: error: target: {error}", file=sys.stderr)
        return 2
    # Local mode starts its Python workers with this interpreter, which has the project.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    existing = SparkSession.getActiveSession()
    builder = SparkSession.builder.appName(NAME)
    if arguments.master:
        # Otherwise spark-submit's master, or local mode on every core.
        builder = builder.master(arguments.master)
    session = existing or builder.getOrCreate()
    session.sparkContext.setLogLevel(arguments.log_level)
    try:
        stats = run_job(
            session,
            arguments.input,
            arguments.output,
            targets,
            arguments.input_base_url,
            arguments.num_input_partitions,
            arguments.num_output_partitions,
            arguments.user_agent,
        )
    except SourceError as error:
        # An input list the driver reads that is missing, or no WAT nor list of WAT paths.
        print(f"{NAME}: error: {error}", file=sys.stderr)
        return 1
    finally:
        if existing is None:
            session.stop()
    print(f"{NAME}: {stats.summary()}; written to {arguments.output}")
    return 1 if stats.files_failed else 0


if __name__ == "__main__":
    sys.exit(main())

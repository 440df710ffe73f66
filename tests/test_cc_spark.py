"""The WAT extraction as a Spark job, in local mode (one session for the whole file): the
same links as the single-machine path, written where ``scrapy cc-wat`` and ``-a seeds=``
read them. Skips only where Java is missing (a failure under BACKLINKS_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from backlink_spider.commoncrawl.candidates import LINKS, read_candidates
from backlink_spider.commoncrawl.wat import WatReader, WatStats
from backlink_spider.seedlists import load_seeds
from tests.ccdata import Capture, write_wat
from tests.conftest import ROOT, crawl_env
from tests.services import missing
from tests.test_cc_wat import EXPECTED, records

EXTRA = Capture(
    "http://second.org/page",
    date="2024-07-01T00:00:00Z",
    links=[{"path": "A@/href", "url": "https://target.com/second", "text": "second file", "rel": "ugc"}],
)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing("Java", "no java on PATH and no JAVA_HOME: Spark's local mode runs on the JVM")
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        missing("pyspark", f"{error} (install the spark extra: pip install -e '.[spark]')")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("backlinks-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def wat_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("wat")
    segment = directory / "crawl-data" / "CC-MAIN-test" / "segments" / "1" / "wat"
    segment.mkdir(parents=True)
    write_wat(segment / "CC-MAIN-test-00000.warc.wat.gz", records())
    write_wat(segment / "CC-MAIN-test-00001.warc.wat", [(EXTRA.uri, EXTRA.payload())], compress=False)
    paths = "".join(f"{path.relative_to(directory)}\n" for path in sorted(segment.iterdir()))
    (directory / "wat.paths.gz").write_bytes(gzip.compress(paths.encode()))
    return directory


def single_machine(wat_dir: Path) -> tuple[set[Any], WatStats]:
    stats = WatStats()
    reader = WatReader(["target.com"])
    links = {link for path in sorted(wat_dir.rglob("*.warc.wat*")) for link in reader.file_links(str(path), stats)}
    return links, stats


def test_the_spark_job_finds_the_same_links_as_the_single_machine_path(
    spark: Any, wat_dir: Path, tmp_path: Path
) -> None:
    from backlink_spider.commoncrawl.spark_job import run_job

    output = tmp_path / "links"
    stats = run_job(
        spark,
        [str(wat_dir / "wat.paths.gz")],
        str(output),
        ["target.com"],
        base_url=str(wat_dir),
        num_input_partitions=2,
        num_output_partitions=2,
    )
    expected, expected_stats = single_machine(wat_dir)
    assert len(expected) == len(EXPECTED) + 1
    candidates = read_candidates(output)
    assert candidates.kind == LINKS and candidates.targets == ["target.com"]
    assert set(candidates.rows) == expected and len(candidates.rows) == len(expected)
    assert stats == expected_stats
    assert sorted(p.name for p in output.iterdir() if p.name.startswith("part-")) == ["part-00000", "part-00001"]


def test_the_job_command_and_its_output_as_cc_wat_input_and_seeds(spark: Any, wat_dir: Path, tmp_path: Path) -> None:
    from backlink_spider.commoncrawl.spark_job import main

    output = tmp_path / "links"
    arguments = ["--target", "target.com", "--input-base-url", str(wat_dir), "--num-output-partitions", "1"]
    assert main([*arguments, str(wat_dir / "wat.paths.gz"), str(output)]) == 0
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    process = subprocess.run(
        [sys.executable, "-m", "scrapy", "cc-wat", "target.com", str(output)],
        cwd=ROOT, env=crawl_env(None) | {"BACKLINKS_DATABASE_URL": database},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    engine = create_engine(database)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*), min(discovered_via) FROM backlinks")).one()
    engine.dispose()
    assert tuple(stored) == (len(EXPECTED) + 1, "commoncrawl")
    seeds = load_seeds(str(output), ["target.com"])
    assert set(seeds) == {
        "http://blog.com/post",
        "https://forum.net/thread?id=1",
        "http://news.org/x",
        "http://second.org/page",
    }


def test_an_input_that_is_no_wat_nor_list_of_wat_paths_is_one_line(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from backlink_spider.commoncrawl.spark_job import main

    notes = tmp_path / "notes.txt.gz"
    notes.write_bytes(gzip.compress(b"0\tcom.example\nsome words\n"))
    assert main(["--target", "target.com", str(notes), str(tmp_path / "links")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("backlinks-cc-wat: error: ") and "notes.txt.gz" in error, error
    assert len(error.strip().splitlines()) == 1 and not (tmp_path / "links").exists()

"""Common Crawl data for the tests, written here and never downloaded: WAT files (with
warcio, as gzip members or plain) shaped like Common Crawl's, and web graphs in its exact
file layout (host level split in part files listed by ``*.paths.gz``, domain level in
single files; reversed names, ``www.`` dropped at host level).

``python -m tests.ccdata bench`` times ``cc-graph`` on a generated graph of realistic line
format and reports the throughput per core that the README's estimate is extrapolated from.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

RELEASE = "cc-main-test"


@dataclass
class Capture:
    """One page as Common Crawl captured it, for a WAT response record."""

    uri: str
    links: list[dict[str, str]] = field(default_factory=list)
    date: str = "2024-05-18T01:58:10Z"
    status: int = 200
    html: bool = True
    head: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=UTF-8"})

    def payload(self) -> bytes:
        http: dict[str, Any] = {
            "Response-Message": {"Version": "HTTP/1.1", "Status": str(self.status), "Reason": "OK"},
            "Headers-Length": "200",
            "Entity-Length": "1000",
            "Headers": self.headers,
        }
        if self.html:
            http["HTML-Metadata"] = {"Head": {"Title": "t", **self.head}, "Links": self.links}
        return json.dumps(
            {
                "Container": {"Filename": "CC-MAIN-test.warc.gz", "Compressed": True},
                "Envelope": {
                    "Format": "WARC",
                    "WARC-Header-Length": "500",
                    "WARC-Header-Metadata": {
                        "WARC-Type": "response",
                        "WARC-Date": self.date,
                        "WARC-Target-URI": self.uri,
                        "Content-Type": "application/http; msgtype=response",
                    },
                    "Payload-Metadata": {
                        "Actual-Content-Type": "application/http; msgtype=response",
                        "HTTP-Response-Metadata": http,
                    },
                },
            }
        ).encode("utf-8")


def request_payload(uri: str) -> bytes:
    """The WAT record of a request capture: no links, whatever it names."""
    return json.dumps({"Envelope": {"WARC-Header-Metadata": {"WARC-Type": "request", "WARC-Target-URI": uri}}}).encode()


def write_wat(path: Path, records: Iterable[tuple[str, bytes]], compress: bool = True) -> Path:
    """A WAT file: a warcinfo record, then one metadata record of JSON per (uri, payload)."""
    with path.open("wb") as file:
        writer = WARCWriter(file, gzip=compress)
        info = writer.create_warcinfo_record(path.name, {"software": "tests.ccdata", "format": "WAT"})
        writer.write_record(info)
        for uri, payload in records:
            record = writer.create_warc_record(
                uri,
                "metadata",
                payload=io.BytesIO(payload),
                length=len(payload),
                warc_content_type="application/json",
            )
            writer.write_record(record)
    return path


def write_warc_response(path: Path, uri: str, html: bytes) -> Path:
    """A WARC file (not a WAT) with one response record: ``cc-wat`` finds no metadata in it."""
    with path.open("wb") as file:
        writer = WARCWriter(file, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(html), http_headers=headers))
    return path


# -- web graphs ----------------------------------------------------------------------------


def reverse(host: str) -> str:
    return ".".join(reversed(host.split(".")))


def _gzip_lines(path: Path, lines: Iterable[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="\n") as file:
        for line in lines:
            file.write(line + "\n")
    return path


@dataclass
class Graph:
    """A generated release: where its files are, for ``--vertices``/``--edges``/``--ranks``."""

    root: Path
    vertices: list[str]
    edges: list[str]
    ranks: list[str]
    vertices_list: Path | None = None
    edges_list: Path | None = None


def write_graph(
    root: Path,
    level: str,
    names: Sequence[str],
    links: Sequence[tuple[str, str]],
    ranks: dict[str, tuple[float, float]] | None = None,
    parts: int = 2,
) -> Graph:
    """Write a ``level`` (host or domain) graph of ``names`` (hosts as written, ``a.b.com``)
    with ``links`` (from, to), the way Common Crawl lays a release out under
    ``projects/hyperlinkgraph/<release>/<level>/``. ``ranks`` maps a name to its (harmonic
    centrality, PageRank); positions follow from the values, higher first."""
    base = root / "projects" / "hyperlinkgraph" / RELEASE / level
    ordered = sorted(reverse(name) for name in names)
    ids = {name: index for index, name in enumerate(ordered)}
    hosts_of = {name: 1 + sum(other.startswith(name + ".") for other in ordered) for name in ordered}
    edge_lines = sorted((ids[reverse(a)], ids[reverse(b)]) for a, b in links)
    if level == "domain":
        vertex_lines = [f"{ids[name]}\t{name}\t{hosts_of[name]}" for name in ordered]
        vertices = [_gzip_lines(base / f"{RELEASE}-domain-vertices.txt.gz", vertex_lines)]
        edges = [_gzip_lines(base / f"{RELEASE}-domain-edges.txt.gz", (f"{a}\t{b}" for a, b in edge_lines))]
    else:
        vertex_lines = [f"{ids[name]}\t{name}" for name in ordered]
        # Host-level vertex parts hold ranges of ids; lines are sorted within each part.
        chunk = -(-len(vertex_lines) // parts)
        vertices = [
            _gzip_lines(
                base / "vertices" / f"part-{part:05d}-9a3f-c000.txt.gz", vertex_lines[part * chunk : (part + 1) * chunk]
            )
            for part in range(parts)
        ]
        chunk = -(-len(edge_lines) // parts)
        edges = [
            _gzip_lines(
                base / "edges" / f"part-{part:05d}-9a3f-c000.txt.gz",
                (f"{a}\t{b}" for a, b in edge_lines[part * chunk : (part + 1) * chunk]),
            )
            for part in range(parts)
        ]
    graph = Graph(root, [str(p) for p in vertices], [str(p) for p in edges], [])
    if level == "host":
        graph.vertices_list = _gzip_lines(
            base / f"{RELEASE}-host-vertices.paths.gz", (str(p.relative_to(root)) for p in vertices)
        )
        graph.edges_list = _gzip_lines(
            base / f"{RELEASE}-host-edges.paths.gz", (str(p.relative_to(root)) for p in edges)
        )
    if ranks is not None:
        by_hc = sorted(ordered, key=lambda n: (-ranks.get(reverse(n), (0.0, 0.0))[0], ids[n]))
        by_pr = sorted(ordered, key=lambda n: (-ranks.get(reverse(n), (0.0, 0.0))[1], ids[n]))
        pr_pos = {name: position for position, name in enumerate(by_pr, start=1)}
        header = "#harmonicc_pos\t#harmonicc_val\t#pr_pos\t#pr_val\t#host_rev" + (
            "\t#n_hosts" if level == "domain" else ""
        )
        lines = [header]
        for position, name in enumerate(by_hc, start=1):
            hc, pr = ranks.get(reverse(name), (0.0, 0.0))
            extra = f"\t{hosts_of[name]}" if level == "domain" else ""
            lines.append(f"{position}\t{hc}\t{pr_pos[name]}\t{pr}\t{name}{extra}")
        graph.ranks = [str(_gzip_lines(base / f"{RELEASE}-{level}-ranks.txt.gz", lines))]
    return graph


# -- the benchmark behind the README's estimate ----------------------------------------------

# The domain-level release of Nov/Dec 2024 - Jan 2025: 100.8 million vertices, 1.9 billion
# edges; the host-level one: 277.7 million vertices, 2.7 billion edges (Common Crawl's notes).
FULL_DOMAIN = (100_800_000, 1_900_000_000)
FULL_HOST = (277_700_000, 2_700_000_000)


def generate_benchmark_graph(directory: Path, vertices: int, edges: int, files: int) -> Graph:
    """A domain-level graph with the line format of a full release (ids of up to nine digits,
    names like real reversed domains), generated by DuckDB; ``edges`` over ``files`` files."""
    import duckdb

    directory.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    span = FULL_DOMAIN[0]
    step = span // vertices
    vertex_path = directory / "vertices.txt.gz"
    connection.execute(
        f"""COPY (SELECT i * {step} AS id,
                         'com.' || md5(i::VARCHAR)[:10 + i % 8] || CASE WHEN i % 3 = 0 THEN '.www' ELSE '' END AS name,
                         1 + i % 5 AS n_hosts
                  FROM range({vertices}) t(i))
            TO '{vertex_path}' (DELIMITER '\t', HEADER false, QUOTE '', COMPRESSION gzip)"""
    )
    connection.execute(
        f"""COPY (SELECT {vertices // 2} * {step} AS id, 'com.example' AS name, 3 AS n_hosts)
            TO '{directory / "target.txt.gz"}' (DELIMITER '\t', HEADER false, QUOTE '', COMPRESSION gzip)"""
    )
    edge_paths = []
    per_file = edges // files
    for part in range(files):
        path = directory / f"edges-{part}.txt.gz"
        # Sorted by source, about 19 targets each (the release's mean out-degree), random
        # targets over the whole id range; one edge in 10,000 points at the target.
        connection.execute(
            f"""COPY (SELECT (({part} * {per_file} + i) // 19) * {span // (edges // 19)} AS from_id,
                             CASE WHEN hash(i, {part}) % 10000 = 0 THEN {vertices // 2} * {step}
                                  ELSE hash(i, {part} + 7) % {span} END AS to_id
                      FROM range({per_file}) t(i))
                TO '{path}' (DELIMITER '\t', HEADER false, QUOTE '', COMPRESSION gzip)"""
        )
        edge_paths.append(str(path))
    connection.close()
    return Graph(directory, [str(vertex_path), str(directory / "target.txt.gz")], edge_paths, [])


def _bench(arguments: argparse.Namespace) -> None:
    """Time the scans in CPU seconds of this process (DuckDB's threads included): on a shared
    machine the wall clock says more about the neighbours than about the scan."""
    from backlink_spider.commoncrawl.graph import GraphScan

    directory = Path(arguments.directory)
    started = time.monotonic()
    if arguments.reuse and (directory / "vertices.txt.gz").exists():
        edge_files = sorted(str(p) for p in directory.glob("edges-*.txt.gz"))
        graph = Graph(directory, [str(directory / "vertices.txt.gz"), str(directory / "target.txt.gz")], edge_files, [])
    else:
        graph = generate_benchmark_graph(directory, arguments.vertices, arguments.edges, arguments.files)
        print(
            f"generated {arguments.vertices:,} vertices, {arguments.edges:,} edges "
            f"in {time.monotonic() - started:.0f} s"
        )
    sizes = {Path(p).name: Path(p).stat().st_size for p in graph.vertices + graph.edges}
    print("compressed sizes:", {name: f"{size / 1e6:.0f} MB" for name, size in sizes.items()})
    print(f"{sum(Path(p).stat().st_size for p in graph.edges) / arguments.edges:.2f} compressed bytes per edge")
    lines = 2 * arguments.vertices + arguments.edges
    for threads in arguments.threads:
        wall, cpu = time.monotonic(), time.process_time()
        result = GraphScan(graph.vertices, graph.edges, threads=threads).referrers("example.com")
        wall, cpu = time.monotonic() - wall, time.process_time() - cpu
        rate = lines / cpu
        print(
            f"threads={threads}: {wall:.1f} s wall, {cpu:.1f} s CPU for {len(result.referrers)} referrers; "
            f"{rate / 1e6:.1f} M lines per CPU second"
        )
    for name, (vertices, edges) in (("domain", FULL_DOMAIN), ("host", FULL_HOST)):
        full = (2 * vertices + edges) / rate
        print(f"a full {name}-level release: {full / 60:.0f} CPU minutes at the last rate")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.ccdata")
    sub = parser.add_subparsers(dest="command", required=True)
    bench = sub.add_parser("bench", help="time cc-graph on a generated graph")
    bench.add_argument("--directory", default="/tmp/backlinks-cc-graph-bench")
    bench.add_argument("--vertices", type=int, default=2_000_000)
    bench.add_argument("--edges", type=int, default=40_000_000)
    bench.add_argument("--files", type=int, default=2)
    bench.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    bench.add_argument("--reuse", action="store_true", help="scan the graph generated before")
    _bench(parser.parse_args())


if __name__ == "__main__":
    main()

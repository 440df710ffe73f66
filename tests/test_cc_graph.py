"""Referring hosts and domains from a web graph in Common Crawl's exact layout (written
here): the target under ``www.`` and subdomains, lookalikes and internal links left out,
ranks joined; local files, ``*.paths.gz`` lists and http on loopback; ``scrapy cc-graph``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backlink_spider.commoncrawl.candidates import REFERRERS, Referrer, read_candidates
from backlink_spider.commoncrawl.graph import GraphError, GraphScan, reverse_host
from backlink_spider.commoncrawl.sources import expand_graph_inputs
from backlink_spider.localweb import LocalWeb, Resource
from backlink_spider.seedlists import CANDIDATE_PRIORITY, load_seeds, seed_priority
from tests.ccdata import Graph, write_graph
from tests.conftest import ROOT, crawl_env

HOSTS = [
    "example.com",
    "www.example.com",  # older releases kept www.
    "blog.example.com",
    "shop.example.com",
    "examples.com",
    "example-news.com",
    "example.com.evil.net",
    "news.org",
    "sport.news.org",
    "alice.blog.net",
    "news.bbc.co.uk",
    "other.com",
    "xn--bcher-kva.de",
]
HOST_LINKS = [
    ("news.org", "example.com"),
    ("sport.news.org", "www.example.com"),
    ("alice.blog.net", "blog.example.com"),
    ("news.bbc.co.uk", "shop.example.com"),
    ("news.bbc.co.uk", "example.com"),
    ("other.com", "examples.com"),
    ("other.com", "example-news.com"),
    ("other.com", "example.com.evil.net"),
    ("blog.example.com", "example.com"),  # internal
    ("example.com", "news.org"),
    ("news.org", "xn--bcher-kva.de"),
]
HOST_RANKS = {"news.org": (90.5, 0.002), "news.bbc.co.uk": (120.0, 0.001), "alice.blog.net": (3.0, 0.0005)}

DOMAINS = ["example.com", "examples.com", "news.org", "blog.net", "bbc.co.uk", "other.com"]
DOMAIN_LINKS = [
    ("news.org", "example.com"),
    ("blog.net", "example.com"),
    ("bbc.co.uk", "example.com"),
    ("other.com", "examples.com"),
    ("example.com", "news.org"),
]
DOMAIN_RANKS = {"bbc.co.uk": (2.0e7, 0.01), "news.org": (1.5e7, 0.02), "blog.net": (9.0e6, 0.001)}


@pytest.fixture(scope="module")
def host_graph(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    return write_graph(tmp_path_factory.mktemp("host"), "host", HOSTS, HOST_LINKS, HOST_RANKS, parts=3)


@pytest.fixture(scope="module")
def domain_graph(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    return write_graph(tmp_path_factory.mktemp("domain"), "domain", DOMAINS, DOMAIN_LINKS, DOMAIN_RANKS)


EXPECTED_HOSTS = [
    # (referrer, domain, harmonic rank, links to), best harmonic centrality first
    ("news.bbc.co.uk", "bbc.co.uk", 1, ("example.com", "shop.example.com")),
    ("news.org", "news.org", 2, ("example.com",)),
    ("alice.blog.net", "blog.net", 3, ("blog.example.com",)),
    ("sport.news.org", "news.org", 13, ("www.example.com",)),  # ranked last: no centrality
]


def summary(referrers: list[Referrer]) -> list[tuple[str, str, int | None, tuple[str, ...]]]:
    return [(r.referrer, r.domain, r.harmonic_rank, r.links_to) for r in referrers]


def test_reversed_names() -> None:
    assert reverse_host("com.example.blog") == "blog.example.com"
    assert reverse_host("blog.example.com") == "com.example.blog"


def test_host_level_referrers_of_the_target_and_its_subdomains_with_ranks(host_graph: Graph) -> None:
    result = GraphScan(host_graph.vertices, host_graph.edges, host_graph.ranks).referrers("example.com")
    assert result.level == "host"
    assert result.target_vertices == ["example.com", "blog.example.com", "shop.example.com", "www.example.com"]
    assert summary(result.referrers) == EXPECTED_HOSTS
    bbc = result.referrers[0]
    assert (bbc.harmonic_value, bbc.pagerank_rank, bbc.pagerank_value) == (120.0, 2, 0.001)


def test_domain_level_referrers_with_ranks(domain_graph: Graph) -> None:
    result = GraphScan(domain_graph.vertices, domain_graph.edges, domain_graph.ranks).referrers("www.example.com")
    assert result.level == "domain" and result.target_vertices == ["example.com"]
    assert [(r.referrer, r.harmonic_rank, r.harmonic_value, r.pagerank_rank) for r in result.referrers] == [
        ("bbc.co.uk", 1, 2.0e7, 2),
        ("news.org", 2, 1.5e7, 1),
        ("blog.net", 3, 9.0e6, 3),
    ]


def test_without_ranks_referrers_come_by_name(domain_graph: Graph) -> None:
    result = GraphScan(domain_graph.vertices, domain_graph.edges).referrers("example.com")
    assert [(r.referrer, r.harmonic_rank, r.pagerank_value) for r in result.referrers] == [
        ("bbc.co.uk", None, None),
        ("blog.net", None, None),
        ("news.org", None, None),
    ]


def test_a_unicode_target_is_found_under_its_punycode_name(host_graph: Graph) -> None:
    result = GraphScan(host_graph.vertices, host_graph.edges).referrers("bücher.de")
    assert result.target_vertices == ["bücher.de"]
    assert summary(result.referrers) == [("news.org", "news.org", None, ("bücher.de",))]


def test_a_target_absent_from_the_graph_has_no_vertex(host_graph: Graph) -> None:
    result = GraphScan(host_graph.vertices, host_graph.edges).referrers("absent.com")
    assert (result.target_vertices, result.referrers) == ([], [])


def test_paths_lists_and_directories_of_parts(host_graph: Graph) -> None:
    assert host_graph.vertices_list is not None and host_graph.edges_list is not None
    base = str(host_graph.root)
    vertices = expand_graph_inputs([str(host_graph.vertices_list)], base)
    assert vertices == host_graph.vertices and len(vertices) == 3
    edges = expand_graph_inputs([str(Path(host_graph.edges[0]).parent)], base)
    assert edges == host_graph.edges
    result = GraphScan(vertices, edges, host_graph.ranks).referrers("example.com")
    assert summary(result.referrers) == EXPECTED_HOSTS


def test_http_urls_on_loopback_are_streamed(host_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    root = host_graph.root
    files = {
        "/" + str(path.relative_to(root)): Resource(path.read_bytes(), headers={"Content-Type": "application/gzip"})
        for path in root.rglob("*.gz")
    }
    with LocalWeb({"127.0.0.1": files}) as server:
        base = server.proxy_url + "/"
        assert host_graph.vertices_list is not None and host_graph.edges_list is not None
        vertices = expand_graph_inputs([base + str(host_graph.vertices_list.relative_to(root))], base)
        edges = expand_graph_inputs([base + str(host_graph.edges_list.relative_to(root))], base)
        ranks = [base + str(Path(host_graph.ranks[0]).relative_to(root))]
        assert all(url.startswith(base) for url in vertices + edges) and len(edges) == 3
        result = GraphScan(vertices, edges, ranks).referrers("example.com")
        assert summary(result.referrers) == EXPECTED_HOSTS
        with pytest.raises(GraphError, match="HTTP 404"):
            GraphScan(vertices, [*edges, base + "missing-edges.txt.gz"]).referrers("example.com")


# -- scrapy cc-graph, and its output as seeds ------------------------------------------------


def cc_graph(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "cc-graph", *arguments],
        cwd=ROOT, env=crawl_env(None), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_cc_graph_writes_a_candidates_file_the_seeds_argument_takes(host_graph: Graph, tmp_path: Path) -> None:
    output = tmp_path / "referrers.tsv"
    arguments = ["example.com", "--ranks", host_graph.ranks[0], "-o", str(output)]
    for path in host_graph.vertices:
        arguments += ["--vertices", path]
    assert host_graph.edges_list is not None
    arguments += ["--edges", str(Path(host_graph.edges[0]).parent)]
    process = cc_graph(*arguments)
    assert process.returncode == 0, process.stderr
    assert "4 hosts link to example.com (host-level graph" in process.stderr
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["# backlink_spider candidates v1", "# kind: referrers", "# target: example.com"]
    assert (
        lines[5]
        == "# columns: referrer\tdomain\tharmonic_rank\tharmonic_value\tpagerank_rank\tpagerank_value\tlinks_to"
    )
    assert lines[6] == "news.bbc.co.uk\tbbc.co.uk\t1\t120.0\t2\t0.001\texample.com,shop.example.com"
    candidates = read_candidates(output)
    assert candidates.kind == REFERRERS and summary(candidates.rows) == EXPECTED_HOSTS  # type: ignore[arg-type]
    seeds = load_seeds(f"{output},http://generic.org/", ["example.com"])
    assert seeds == [
        "http://news.bbc.co.uk/",
        "http://news.org/",
        "http://alice.blog.net/",
        "http://sport.news.org/",
        "http://generic.org/",
    ]
    assert seed_priority(seeds, "http://news.org/") == CANDIDATE_PRIORITY
    assert seed_priority(seeds, "http://generic.org/") == 0


def test_cc_graph_errors_are_one_line(host_graph: Graph, tmp_path: Path) -> None:
    output = str(tmp_path / "out.tsv")
    absent = cc_graph("absent.com", "--vertices", host_graph.vertices[0], "--edges", host_graph.edges[0], "-o", output)
    assert absent.returncode == 1
    assert absent.stderr.strip().splitlines() == [
        "scrapy cc-graph: error: absent.com is not in the graph (no vertex named after it or a host under it)"
    ]
    with pytest.raises(GraphError, match=r"^cannot read .*nope\.gz"):
        GraphScan([str(tmp_path / "nope.gz")], host_graph.edges).referrers("example.com")
    usage = cc_graph("example.com", "-o", output)
    assert usage.returncode == 2 and "--vertices, --edges and -o are required" in usage.stderr

"""Authority over hand-made graphs with a known order, and over a crawled test web."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, insert, select

from backlink_spider.authority import rank_domains
from pipelines.database import open_engine
from pipelines.graph import compute_authority
from pipelines.migrate import ensure_schema
from pipelines.schema import DomainRow, PageDomainLinkRow, text_key
from tests.conftest import ROOT, Crawl, crawl_env
from tests.services import postgres_database


def star(hub: str, sources: list[str]) -> list[tuple[str, str, bool]]:
    return [(source, hub, True) for source in sources]


def test_a_hub_linked_by_strong_domains_outranks_one_linked_by_weak_ones() -> None:
    strong = [f"strong{i}.com" for i in range(5)]
    edges = star("strong-hub.com", strong) + star("weak-hub.com", [f"weak{i}.com" for i in range(5)])
    for i, domain in enumerate(strong):
        edges += star(domain, [f"fan{i}-{j}.com" for j in range(20)])
    ranks = rank_domains(edges)
    assert ranks["strong-hub.com"].authority > ranks["weak-hub.com"].authority > 0
    assert ranks["strong-hub.com"].authority == 100.0
    assert ranks["weak0.com"].authority == 0.0  # nobody links to it
    assert ranks["strong-hub.com"].referring_domains == ranks["weak-hub.com"].referring_domains == 5


def test_a_link_farm_of_one_domain_does_not_inflate() -> None:
    edges = star("honest.com", ["a.com", "b.com"]) + [("farm.com", "farmed.com", True)] * 500
    ranks = rank_domains(edges)
    assert ranks["farmed.com"].authority < ranks["honest.com"].authority
    assert ranks["farmed.com"].referring_domains == 1


def test_self_links_and_nofollow_links_carry_no_authority() -> None:
    edges = [("self.com", "self.com", True)] * 50 + [("a.com", "nf.com", False), ("b.com", "nf.com", False)]
    edges += [("a.com", "f.com", True)]
    ranks = rank_domains(edges)
    assert "self.com" not in ranks
    assert ranks["nf.com"].authority == 0.0
    assert (ranks["nf.com"].linking_domains, ranks["nf.com"].referring_domains) == (2, 0)
    assert ranks["f.com"].authority > 0


def test_an_empty_graph_ranks_nothing() -> None:
    assert rank_domains([]) == {}


def test_crawl_stores_the_domain_graph_and_authority(crawl: Crawl) -> None:
    graph = {(s, t): (links, bool(f)) for s, t, links, f in crawl.rows("SELECT * FROM domain_links")}
    assert graph[("blog.com", "target.com")] == (10, True)
    assert graph[("news.org", "target.com")] == (5, True)
    # The meta-nofollow page's link counts, but not as followable.
    nofollow_page = text_key("http://news.org/")
    assert crawl.rows(
        f"SELECT target_domain, links, followable_links FROM page_domain_links WHERE page_key = '{nofollow_page}'"
    ) == [("target.com", 1, 0)]
    assert ("blog.com", "blog.com") not in graph
    authority = dict(crawl.rows("SELECT domain, authority FROM domains"))
    assert authority["target.com"] == max(authority.values()) == 100.0
    assert authority["shop.co.uk"] == 0.0


def authority_command(crawl: Crawl, top: int) -> str:
    """What ``scrapy authority --top top`` prints for the crawl's database."""
    env = crawl_env(None) | {"BACKLINKS_DATABASE_URL": crawl.database_url}
    process = subprocess.run(
        [sys.executable, "-m", "scrapy", "authority", "--top", str(top)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    return process.stdout


def test_the_authority_command_recomputes(crawl: Crawl) -> None:
    crawl.execute("DELETE FROM domains")
    output = authority_command(crawl, 3)
    assert output.splitlines()[1].split() == ["100.0", "target.com", "(4", "referring", "domains)"]
    assert crawl.rows("SELECT count(*) FROM domains")[0][0] > 5


def test_the_authority_command_says_1_referring_domain(crawl: Crawl) -> None:
    output = authority_command(crawl, 1000)
    ones = {domain for (domain,) in crawl.rows("SELECT domain FROM domains WHERE referring_domains = 1")}
    assert ones
    lines = {line.split()[1]: line for line in output.splitlines()[1:]}
    for domain in ones:
        assert lines[domain].endswith(f"{domain}  (1 referring domain)")


def test_the_authority_command_refuses_a_sqlite_file_that_does_not_exist(tmp_path: Path) -> None:
    """A mistyped path is an error, not an empty database created there and 0 domains ranked."""
    mistyped = tmp_path / "mistyped.sqlite3"
    env = crawl_env(None) | {"BACKLINKS_DATABASE_URL": f"sqlite:///{mistyped}"}
    process = subprocess.run(
        [sys.executable, "-m", "scrapy", "authority"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert process.returncode == 1
    assert process.stderr == (
        f"scrapy authority: error: the database file {mistyped} does not exist; crawl first, or set"
        " BACKLINKS_DATABASE_URL\n"
    )
    assert not mistyped.exists()


def test_crawls_ending_together_each_rank_the_domains() -> None:
    """The workers of a distributed crawl end at the same moment, each ranking the domains: on
    PostgreSQL the one that lost the race failed with a duplicate key in domain_links."""
    with postgres_database() as url:
        engine = open_engine(url)
        try:
            ensure_schema(engine, auto_upgrade=False)
            with engine.begin() as connection:
                connection.execute(
                    insert(PageDomainLinkRow),
                    [
                        {"page_key": f"{n}", "source_domain": f"s{n % 40}.com", "target_domain": f"t{n % 7}.com",
                         "links": 1, "followable_links": 1}
                        for n in range(400)
                    ],
                )  # fmt: skip
            for _ in range(5):
                with ThreadPoolExecutor(2) as pool:
                    runs = list(pool.map(lambda _: compute_authority(engine), range(2)))
                assert [run.edges for run in runs] == [280, 280]
            with engine.connect() as connection:
                assert connection.execute(select(func.count()).select_from(DomainRow)).scalar_one() == 47
        finally:
            engine.dispose()

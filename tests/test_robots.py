"""robots.txt per RFC 9309, end to end: unreachable (5xx) disallows all, 404 allows
all, user-agent groups, wildcards and ``$``, redirects, and rules past 500 KiB."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from backlink_spider.localweb import LocalWeb, Resource, redirect
from tests.conftest import Crawl, run_crawl
from tests.web import html

TEXT = {"Content-Type": "text/plain"}


def site(robots: Resource | None, *paths: str) -> dict[str, Resource]:
    links = "".join(f'<a href="{path}">{path}</a> ' for path in paths)
    pages = {path: Resource(html(f"<p>{path}</p>")) for path in paths}
    pages["/"] = Resource(html(links))
    if robots is not None:
        pages["/robots.txt"] = robots
    return pages


GROUPS = """# A group for us, and a stricter one for everyone else.
User-agent: backlink_spider
Disallow: /only-for-others
Disallow: /*.php$
Allow: /

User-agent: *
Disallow: /
"""


@pytest.fixture
def robots_web() -> Iterator[LocalWeb]:
    sites = {
        "down.com": site(Resource("maintenance", 503, TEXT), "/page"),
        "missing.com": site(None, "/page"),
        "rules.com": site(Resource(GROUPS, headers=TEXT), "/page", "/only-for-others", "/x.php", "/x.php?y=1"),
        "moved.com": site(redirect("http://moved.com/real-robots.txt"), "/secret", "/open"),
        "big.com": site(Resource("# padding\n" * 60_000 + "User-agent: *\nDisallow: /late\n", headers=TEXT), "/late"),
        # Redirects without end: robots.txt unavailable, as a 4xx (everything allowed).
        "loop.com": site(redirect("http://loop.com/robots.txt"), "/page"),
    }
    sites["moved.com"]["/real-robots.txt"] = Resource("User-agent: *\nDisallow: /secret\n", headers=TEXT)
    with LocalWeb(sites) as web:
        yield web


def test_robots_rules_as_rfc_9309_says(robots_web: LocalWeb, tmp_path: Path) -> None:
    hosts = ("down.com", "missing.com", "rules.com", "moved.com", "big.com", "loop.com")
    seeds = ",".join(f"http://{host}/" for host in hosts)
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    crawl: Crawl = run_crawl(url, "-a", "target=target.com", "-a", f"seeds={seeds}", proxy=robots_web.proxy_url)
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    fetched = {request for request in robots_web.requests if not request.endswith("robots.txt")}
    assert fetched == {
        "http://missing.com/", "http://missing.com/page",
        "http://rules.com/", "http://rules.com/page", "http://rules.com/x.php?y=1",
        "http://moved.com/", "http://moved.com/open",
        "http://big.com/",
        "http://loop.com/", "http://loop.com/page",
    }  # fmt: skip
    assert "http://moved.com/real-robots.txt" in robots_web.requests
    assert "Traceback" not in crawl.process.stderr
    stats = crawl.rows("SELECT stats FROM crawls")[0][0]
    assert '"backlinks/robots/unreachable": 1' in stats
    assert "INFO: robots.txt of loop.com redirects without end: no rules, everything is allowed" in crawl.process.stderr


def test_robots_rules_are_fetched_again_when_older_than_the_max_age(tmp_path: Path) -> None:
    with LocalWeb({"rules.com": site(Resource(GROUPS, headers=TEXT), "/page", "/other")}) as web:
        crawl = run_crawl(
            f"sqlite:///{tmp_path / 'db.sqlite3'}", "-a", "target=target.com", "-a", "seeds=http://rules.com/",
            proxy=web.proxy_url, settings={"BACKLINKS_ROBOTS_MAX_AGE": "0", "CONCURRENT_REQUESTS": "1"},
        )  # fmt: skip
        assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
        assert web.requests.count("http://rules.com/robots.txt") >= 2
    once = tmp_path / "once"
    once.mkdir()
    with LocalWeb({"rules.com": site(Resource(GROUPS, headers=TEXT), "/page", "/other")}) as web:
        run_crawl(f"sqlite:///{once / 'db.sqlite3'}", "-a", "target=target.com", "-a", "seeds=http://rules.com/",
                  proxy=web.proxy_url)  # fmt: skip
        assert web.requests.count("http://rules.com/robots.txt") == 1


def test_requests_waiting_for_robots_txt_all_obey_it(tmp_path: Path) -> None:
    """A dozen requests to one host wait while its robots.txt is slow to come: each gets the
    rules (in stock Scrapy 2.19 only the first waiter does, and the rest pass unchecked)."""
    paths = [f"/page{n}" for n in range(12)]
    sites = {
        "hub.com": {"/": Resource(html("".join(f'<a href="http://slow.com{path}">{path}</a> ' for path in paths)))},
        "slow.com": site(Resource("User-agent: *\nDisallow: /\n", headers=TEXT, delay=1), *paths),
    }
    with LocalWeb(sites) as web:
        crawl = run_crawl(
            f"sqlite:///{tmp_path / 'db.sqlite3'}", "-a", "target=target.com", "-a", "seeds=http://hub.com/",
            proxy=web.proxy_url,
        )  # fmt: skip
        assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
        assert [request for request in web.requests if "slow.com" in request] == ["http://slow.com/robots.txt"]
    stats = crawl.rows("SELECT stats FROM crawls")[0][0]
    assert '"robotstxt/forbidden": 12' in stats


def test_rules_of_the_oldest_hosts_are_forgotten_beyond_the_cache_and_still_obeyed(tmp_path: Path) -> None:
    """With room for the rules of two hosts, a crawl of five keeps forgetting the oldest; a host
    that comes back has its robots.txt fetched again, and no disallowed page is ever fetched."""
    hosts = [f"host{n}.com" for n in range(5)]
    rules = Resource("User-agent: *\nDisallow: /secret\n", headers=TEXT)
    sites = {host: site(rules, "/secret", "/open") for host in hosts}
    for host in hosts:  # every open page links to every host's pages: hosts come back
        sites[host]["/open"] = Resource(
            html(
                "".join(
                    f'<a href="http://{other}/secret">s</a> <a href="http://{other}/open2">o</a> ' for other in hosts
                )
            )
        )
        sites[host]["/open2"] = Resource(html("<p>more</p>"))
    with LocalWeb(sites) as web:
        crawl = run_crawl(
            f"sqlite:///{tmp_path / 'db.sqlite3'}", "-a", "target=target.com",
            "-a", f"seeds={','.join(f'http://{host}/' for host in hosts)}",
            proxy=web.proxy_url, settings={"BACKLINKS_ROBOTS_CACHE": "2", "CONCURRENT_REQUESTS": "2"},
        )  # fmt: skip
        assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
        assert not any(request.endswith("/secret") for request in web.requests)
        assert sum(request.endswith("/open2") for request in web.requests) == 5
        assert sum(request.endswith("/robots.txt") for request in web.requests) > 5
    stats = crawl.rows("SELECT stats FROM crawls")[0][0]
    assert '"backlinks/robots/forgotten": ' in stats


def test_hosts_serving_the_same_robots_txt_share_one_parse_and_each_obeys_its_own(tmp_path: Path) -> None:
    """Three hosts serve one robots.txt byte for byte, a fourth the opposite rules: the three
    share one parsed copy (two parses saved), and each host's own rules decide its pages."""
    same = Resource("User-agent: *\nDisallow: /secret\n", headers=TEXT)
    sites = {host: site(same, "/secret", "/open") for host in ("a.com", "b.com", "c.com")}
    sites["d.com"] = site(Resource("User-agent: *\nDisallow: /open\n", headers=TEXT), "/secret", "/open")
    with LocalWeb(sites) as web:
        crawl = run_crawl(
            f"sqlite:///{tmp_path / 'db.sqlite3'}", "-a", "target=target.com",
            "-a", f"seeds={','.join(f'http://{host}/' for host in sites)}", proxy=web.proxy_url,
        )  # fmt: skip
        assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
        fetched = {request for request in web.requests if not request.endswith("robots.txt")}
    allowed = {host: "secret" if host == "d.com" else "open" for host in sites}
    assert fetched == {f"http://{host}/{path}" for host in sites for path in ("", allowed[host])}
    stats = crawl.rows("SELECT stats FROM crawls")[0][0]
    assert '"backlinks/robots/shared": 2' in stats
    assert '"robotstxt/response_count": 4' in stats


def page_gaps(web: LocalWeb, host: str) -> list[float]:
    """Seconds between one page request to ``host`` and the next (robots.txt left out)."""
    times = [at for request, at in zip(web.requests, web.times, strict=True)
             if request.startswith(f"http://{host}/") and not request.endswith("/robots.txt")]  # fmt: skip
    return [later - earlier for earlier, later in pairwise(times)]


def test_groups_match_our_product_token_and_their_crawl_delay_is_obeyed(tmp_path: Path) -> None:
    pages = [f"/p{n}" for n in range(4)]
    sites = {
        "polite.com": site(Resource("User-agent: *\nCrawl-delay: 1\n", headers=TEXT), *pages),
        # Our group asks for an hour: obeyed as BACKLINKS_MAX_CRAWL_DELAY.
        "greedy.com": site(Resource("User-agent: backlink_spider\nCrawl-delay: 3600\n", headers=TEXT), *pages[:2]),
        # A word of our User-Agent's URL is not our product token: not our group.
        "token.com": site(Resource("User-agent: github\nDisallow: /p0\n", headers=TEXT), "/p0"),
    }
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    # AutoThrottle from no delay at all: it lowers a slot's delay to the server's quick answers.
    settings = {"AUTOTHROTTLE_ENABLED": "True", "AUTOTHROTTLE_START_DELAY": "0", "BACKLINKS_MAX_CRAWL_DELAY": "1.5"}
    with LocalWeb(sites) as web:
        seeds = "seeds=http://polite.com/,http://greedy.com/,http://token.com/"
        crawl = run_crawl(url, "-a", "target=target.com", "-a", seeds, proxy=web.proxy_url, settings=settings)
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert len(page_gaps(web, "polite.com")) == len(pages) and min(page_gaps(web, "polite.com")) >= 0.95
    assert len(page_gaps(web, "greedy.com")) == 2 and min(page_gaps(web, "greedy.com")) >= 1.45
    assert "http://token.com/p0" in web.requests

"""Backlinks through redirects: which links are guessed to redirect, and a crawl that finds
links to a target through a shortener and an affiliate link."""

from __future__ import annotations

from pathlib import Path

import pytest

from backlink_spider.localweb import LocalWeb, Resource, redirect
from backlink_spider.redirects import RedirectGuess, Redirects, Via
from tests.conftest import run_crawl
from tests.web import PROSE, html

GUESS = RedirectGuess(["target.com", "bücher.de"])


@pytest.mark.parametrize(
    ("url", "host", "domain", "guessed"),
    [
        ("https://bit.ly/3abc", "bit.ly", "bit.ly", True),
        ("https://t.co/xyz", "t.co", "t.co", True),
        ("https://blog.com/go/target", "blog.com", "blog.com", True),
        ("https://blog.com/recommends/widget/", "blog.com", "blog.com", True),
        ("https://blog.com/out.php?id=4", "blog.com", "blog.com", True),
        ("https://news.org/r?url=https%3A%2F%2Ftarget.com%2Fpricing", "news.org", "news.org", True),
        ("https://news.org/r?u=http://xn--bcher-kva.de/", "news.org", "news.org", True),
        ("https://blog.com/2024/05/a-post", "blog.com", "blog.com", False),
        ("https://blog.com/golang-tips", "blog.com", "blog.com", False),
        ("https://blog.com/category/outdoor", "blog.com", "blog.com", False),
        # The host itself names no target: target.com.example.org is no redirect by name.
        ("https://target.com.example.org/", "target.com.example.org", "example.org", False),
    ],
)
def test_a_link_is_guessed_to_redirect_by_its_host_or_url(url: str, host: str, domain: str, guessed: bool) -> None:
    assert GUESS(url, host, domain) is guessed


def _via(page: str, url: str) -> Via:
    return (page, "anchor", "", "content", "", False, True, url)


def test_links_wait_for_one_probe_of_their_url_and_are_settled_together() -> None:
    redirects = Redirects(["target.com"])
    assert redirects.wait("http://bit.ly/a", "bit.ly", _via("http://one.org/", "http://bit.ly/a"), "one.org") == 0
    assert redirects.wait("http://bit.ly/a", "bit.ly", _via("http://two.org/", "http://bit.ly/a"), "two.org") is None
    landing = ("http://target.com/x", "target.com")
    assert [via[0] for via in redirects.settle("http://bit.ly/a", landing)] == ["http://one.org/", "http://two.org/"]
    assert redirects.landings == {"http://bit.ly/a": landing} and redirects.waiting == {}
    # A failed probe settles nothing: its links wait no more, and nothing is learned.
    redirects.wait("http://bit.ly/b", "bit.ly", _via("http://one.org/", "http://bit.ly/b"), "one.org")
    redirects.forget("http://bit.ly/b")
    assert "http://bit.ly/b" not in redirects.landings and redirects.waiting == {}


def test_probes_are_bounded_per_domain_and_in_all() -> None:
    redirects = Redirects(["target.com"], max_urls=5, per_domain=2)
    firsts = [
        redirects.wait(f"http://bit.ly/{n}", "bit.ly", _via("http://p.org/", f"http://bit.ly/{n}"), f"p{n}.org")
        for n in range(3)
    ]
    assert firsts == [0, 0, None]
    firsts = [redirects.wait(f"http://d{n}.org/go", f"d{n}.org", _via("http://p.org/", "x"), "p.org") for n in range(5)]
    assert firsts == [0, -1, -2, None, None]  # five URLs in all


def test_the_probes_for_one_site_s_pages_are_bounded_and_each_waits_behind_the_one_before() -> None:
    redirects = Redirects(["target.com"], per_source=3)
    priorities = [
        redirects.wait(f"http://s{n % 10}.ly/{n}", f"s{n % 10}.ly", _via("http://flood.org/", "x"), "flood.org")
        for n in range(5)
    ]
    # Behind the first page of every other site, as that site's own pages are; then none.
    assert priorities == [0, -1, -2, None, None]
    assert redirects.wait("http://bit.ly/z", "bit.ly", _via("http://calm.org/", "x"), "calm.org") == 0


def test_links_through_a_shortener_and_an_affiliate_link_are_backlinks_of_type_redirect(database_url: str) -> None:
    shorts = "".join(f"<a href='http://bit.ly/s{n}'>short {n}</a> " for n in range(5))
    post = html(
        f"<article><p>{PROSE} Try <a href='http://bit.ly/abc' rel='sponsored'>the target tool</a>, "
        "or <a href='/go/target'>this deal</a>, or <a href='http://bit.ly/other'>another tool</a>, "
        f"or <a href='http://target.com/direct'>Target</a>. {shorts}</p></article>"
    )
    later = f"<article><p>{PROSE} <a href='http://bit.ly/abc'>again</a> <a href='http://tinyurl.com/chain'>chained</a></p></article>"
    web = {
        "ref.net": {
            "/": Resource(html("<a href='/post'>post</a> <a href='/later'>later</a>")),
            "/post": Resource(post),
            "/later": Resource(html(later)),
            "/go/target": redirect("http://target.com/aff?ref=ref.net", 302),
        },
        "bit.ly": {
            "/abc": redirect("http://www.target.com/landing"),
            "/other": redirect("http://other.org/"),
            "/hop": redirect("http://target.com/chained"),
            **{f"/s{n}": redirect(f"http://target.com/s{n}") for n in range(5)},
        },
        "tinyurl.com": {"/chain": redirect("http://bit.ly/hop")},
        "other.org": {"/": Resource(html("<p>other</p>"))},
        "target.com": {"/aff": Resource(html("<p>aff</p>"))},
        # Where the short link leads is closed to crawlers: the link counts all the same.
        "www.target.com": {
            "/robots.txt": Resource("User-agent: *\nDisallow: /\n", 200, {"Content-Type": "text/plain"})
        },
    }
    # Four pages a domain (ref.net's four URLs): a shortener's links are no pages, and all eight are probed.
    arguments = ("-a", "target=target.com", "-a", "seeds=http://ref.net/", "-a", "pages_per_domain=4")
    columns = "source_url, target_url, anchor_text, link_type, sponsored, placement, lost_crawl_id"
    with LocalWeb(web) as local:
        first = run_crawl(database_url, *arguments, proxy=local.proxy_url)
        assert first.process.returncode == 0, first.process.stderr[-2000:]
        rows = {(row[0][len("http://ref.net") :], *row[1:4], bool(row[4]), *row[5:]) for row in first.rows(
            f"SELECT {columns} FROM backlinks"
        )}  # fmt: skip
        redirect_row = ("redirect", False, "content", None)
        assert rows == {
            ("/post", "http://www.target.com/landing", "the target tool", "redirect", True, "content", None),
            ("/post", "http://target.com/aff?ref=ref.net", "this deal", *redirect_row),
            ("/post", "http://target.com/direct", "Target", "text", False, "content", None),
            ("/later", "http://www.target.com/landing", "again", *redirect_row),
            ("/later", "http://target.com/chained", "chained", *redirect_row),
            *(("/post", f"http://target.com/s{n}", f"short {n}", *redirect_row) for n in range(5)),
        }  # fmt: skip
        # The next day the shortener is down, and /later no longer links to the chain.
        web["bit.ly"]["/abc"] = Resource("busy", 503, {"Content-Type": "text/plain"})
        web["ref.net"]["/later"] = Resource(
            html(f"<article><p>{PROSE} <a href='http://bit.ly/abc'>again</a></p></article>")
        )
        second = run_crawl(database_url, *arguments, proxy=local.proxy_url, settings={"RETRY_ENABLED": "False"})
    assert second.process.returncode == 0, second.process.stderr[-2000:]
    lost = dict(second.rows("SELECT anchor_text, lost_crawl_id FROM backlinks WHERE link_type = 'redirect'"))
    # A link whose shortener failed to answer is kept; one the page dropped is lost.
    assert lost == {"the target tool": None, "this deal": None, "again": None, "chained": 2} | {
        f"short {n}": None for n in range(5)
    }


def test_a_job_directory_whose_crawl_probed_links_ends_and_is_refused_after(tmp_path: Path) -> None:
    """A probe's request ends with its answer, so a JOBDIR crawl of short links ends, and
    starting it again is refused (before, probes stayed in flight for ever)."""
    web = {
        "ref.net": {"/": Resource(html(f"<article><p>{PROSE} <a href='http://bit.ly/a'>tool</a></p></article>"))},
        "bit.ly": {"/a": redirect("http://target.com/landing")},
        "target.com": {"/landing": Resource(html("<p>landing</p>"))},
    }
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    arguments = ("-a", "target=target.com", "-a", "seeds=http://ref.net/")
    settings = {"JOBDIR": str(tmp_path / "job")}
    with LocalWeb(web) as local:
        first = run_crawl(database_url, *arguments, proxy=local.proxy_url, settings=settings)
        assert first.process.returncode == 0, first.process.stderr[-2000:]
        assert first.rows("SELECT link_type, via_url FROM backlinks") == [("redirect", "http://bit.ly/a")]
        again = run_crawl(database_url, *arguments, proxy=local.proxy_url, settings=settings)
    assert again.process.returncode == 1
    assert "has ended" in again.process.stderr.strip().splitlines()[-1]


def test_a_page_of_thousands_of_short_links_does_not_spend_the_crawl_on_probes(tmp_path: Path) -> None:
    shorteners = ("bit.ly", "t.co", "tinyurl.com", "ow.ly", "is.gd")
    shorts = " ".join(f'<a href="http://{short}/{n}">l</a>' for short in shorteners for n in range(100))
    flood = html(shorts + ' <a href="http://good.com/">good</a> <a href="http://good2.org/">good2</a>')
    sites = {
        "flood.com": {"/": Resource(flood)},
        "good.com": {"/": Resource(html('<p>Good page <a href="http://target.com/good">good</a></p>'))},
        "good2.org": {"/": Resource(html('<p>Good page <a href="http://target.com/good2">good</a></p>'))},
    }
    # Every short link leads nowhere of interest.
    sites.update({short: {f"/{n}": redirect("http://elsewhere.net/") for n in range(100)} for short in shorteners})
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with LocalWeb(sites) as web:
        crawl = run_crawl(
            url, "-a", "target=target.com", "-a", "seeds=http://flood.com/", "-a", "max_pages=60",
            proxy=web.proxy_url, settings={"ROBOTSTXT_OBEY": "False"},
        )  # fmt: skip
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    # The sites the flooding page links to come before its n-th probe, as its n-th page would.
    assert set(crawl.rows("SELECT target_url FROM backlinks")) == {
        ("http://target.com/good",),
        ("http://target.com/good2",),
    }


def test_a_page_at_the_last_depth_has_its_redirector_links_probed_and_their_pages_read_as_leaves(
    database_url: str,
) -> None:
    """Asking where a link leads is part of reading its page: with ``max_depth=0`` the seed's
    links through its own redirector are probed as its short links are; an answer that is a
    page is read (it is fetched: its backlinks are kept, and a page not read would be lost to a
    link to it found later nearer a seed), and its links, one more link away, are not followed
    nor asked where they lead."""
    out = "/out?url=http%3A%2F%2Fwww.target.com%2Fpricing"
    seed = html(
        f"<article><p>{PROSE} <a href='{out}'>through out</a>, <a href='/go/x'>through go</a>, "
        "<a href='http://bit.ly/abc'>short</a>, <a href='/go/page'>a page</a>, "
        f"<a href='http://bit.ly/page'>a short page</a>, <a href='/plain'>plain</a>.</p></article>"
    )
    beyond = html(
        f"<article><p>{PROSE} <a href='/after'>after</a> <a href='http://target.com/beyond'>Target</a> "
        "<a href='/go/deeper'>deeper</a></p></article>"
    )
    web = {
        "ref.net": {
            "/": Resource(seed),
            out: redirect("http://www.target.com/pricing", 302),
            "/go/x": redirect("http://target.com/x", 302),
            "/go/page": Resource(beyond),
            "/plain": Resource(html("<p>plain</p>")),
            "/after": Resource(html("<p>after</p>")),
            "/go/deeper": redirect("http://target.com/deeper", 302),
        },
        "bit.ly": {"/abc": redirect("http://target.com/short"), "/page": Resource(beyond)},
    }
    arguments = ("-a", "target=target.com", "-a", "seeds=http://ref.net/", "-a", "max_depth=0")
    with LocalWeb(web) as local:
        crawl = run_crawl(database_url, *arguments, proxy=local.proxy_url)
        fetched = [url for url in local.requests if not url.endswith("/robots.txt")]
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert set(crawl.rows("SELECT source_url, target_url, anchor_text, link_type, via_url FROM backlinks")) == {
        ("http://ref.net/", "http://www.target.com/pricing", "through out", "redirect", f"http://ref.net{out}"),
        ("http://ref.net/", "http://target.com/x", "through go", "redirect", "http://ref.net/go/x"),
        ("http://ref.net/", "http://target.com/short", "short", "redirect", "http://bit.ly/abc"),
        ("http://ref.net/go/page", "http://target.com/beyond", "Target", "text", None),
        ("http://bit.ly/page", "http://target.com/beyond", "Target", "text", None),
    }
    # The links that answered a page were asked, once each; nothing on those pages was.
    assert sorted(fetched) == sorted([
        "http://ref.net/", f"http://ref.net{out}", "http://ref.net/go/x", "http://bit.ly/abc",
        "http://ref.net/go/page", "http://bit.ly/page",
    ])  # fmt: skip
    pages = dict(crawl.rows("SELECT url, depth FROM pages WHERE status = 200"))
    assert pages == {"http://ref.net/": 0, "http://ref.net/go/page": 1, "http://bit.ly/page": 1}


def test_a_page_reached_through_redirects_is_as_deep_as_the_link_to_it(tmp_path: Path) -> None:
    """A link that leads, through two redirects elsewhere, to a page: the page is as deep as the link
    to it, and so are the links on it (each of a probe's hops is a request of its own, which Scrapy
    counted a level deeper: the page was at depth 3 and its links were not followed)."""
    seed = html(f"<article><p>{PROSE} <a href='/go/hop'>a review</a>.</p></article>")
    landing = html(f"<article><p>{PROSE} <a href='/next'>next</a>.</p></article>")
    following = html(f"<article><p>{PROSE} <a href='http://target.com/'>Target</a>.</p></article>")
    web = {
        "ref.net": {"/": Resource(seed), "/go/hop": redirect("http://other.org/mid", 302)},
        "other.org": {
            "/mid": redirect("http://other.org/landing", 302),
            "/landing": Resource(landing),
            "/next": Resource(following),
        },
    }
    arguments = ("-a", "target=target.com", "-a", "seeds=http://ref.net/", "-a", "max_depth=2")
    with LocalWeb(web) as local:
        crawl = run_crawl(f"sqlite:///{tmp_path / 'db.sqlite3'}", *arguments, proxy=local.proxy_url)
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert crawl.rows("SELECT source_url, target_url FROM backlinks") == [
        ("http://other.org/next", "http://target.com/")
    ]
    depths = dict(crawl.rows("SELECT url, depth FROM pages WHERE status = 200"))
    assert depths == {"http://ref.net/": 0, "http://other.org/landing": 1, "http://other.org/next": 2}


def test_a_page_asked_from_the_last_depth_is_read_when_a_nearer_link_to_it_comes_later(tmp_path: Path) -> None:
    """A page a redirector link on the last depth leads to is read there: found first one link
    beyond the depth, it is fetched once and is not lost to the nearer link found later."""
    linking = html(f"<article><p>{PROSE} <a href='http://ref.net/go/page'>go</a>.</p></article>")
    web = {
        "fast.net": {
            "/": Resource(html(f"<article><p>{PROSE} <a href='/a'>a</a>.</p></article>")),
            "/a": Resource(linking),
        },
        "slow.net": {"/": Resource(linking, delay=3)},
        "ref.net": {
            "/go/page": Resource(html(f"<article><p>{PROSE} <a href='http://target.com/'>T</a>.</p></article>"))
        },
    }
    arguments = ("-a", "target=target.com", "-a", "seeds=http://fast.net/,http://slow.net/", "-a", "max_depth=1")
    with LocalWeb(web) as local:
        crawl = run_crawl(f"sqlite:///{tmp_path / 'db.sqlite3'}", *arguments, proxy=local.proxy_url)
        fetched = [url for url in local.requests if url == "http://ref.net/go/page"]
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert fetched == ["http://ref.net/go/page"]
    assert crawl.rows("SELECT source_url, target_url FROM backlinks") == [
        ("http://ref.net/go/page", "http://target.com/")
    ]

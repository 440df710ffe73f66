"""History across re-crawls: links that disappear are lost, links that come back are
revived, a rel change shows as a lost and a new link, a page that failed to fetch loses
nothing, a page gone (404, 410) or moved (a redirect) loses its links, and each crawl
counts what it found new and lost."""

from __future__ import annotations

from pathlib import Path

from backlink_spider.localweb import LocalWeb, Resource, redirect
from tests.conftest import Crawl, run_crawl
from tests.web import html

ORIGINAL_POST = html(
    '<p><a href="http://target.com/a">A</a> <a href="http://target.com/b">B</a> <a href="http://target.com/c">C</a></p>'
)
CHANGED_POST = html('<p><a href="http://target.com/a">A</a> <a href="http://target.com/b" rel="nofollow">B</a></p>')


def recrawl(web: LocalWeb, database_url: str) -> Crawl:
    crawl = run_crawl(
        database_url,
        "-a",
        "target=target.com",
        "-a",
        "seeds=http://blog.com/post,http://news.org/",
        proxy=web.proxy_url,
    )
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    return crawl


def links(crawl: Crawl) -> dict[tuple[str, str], tuple[bool, int, int | None]]:
    """(target path, rel) -> (lost, first crawl, lost crawl)."""
    rows = crawl.rows("SELECT target_url, rel, lost_at, first_crawl_id, lost_crawl_id FROM backlinks")
    return {(url.rsplit("/", 1)[1], rel): (lost is not None, first, lost_by) for url, rel, lost, first, lost_by in rows}


def test_lost_revived_and_rel_changes_across_crawls(database_url: str, tmp_path: Path) -> None:
    blog = {"/post": Resource(ORIGINAL_POST)}
    news = {"/": Resource(html('<p><a href="http://target.com/d">D</a></p>'))}
    with LocalWeb({"blog.com": blog, "news.org": news}) as web:
        recrawl(web, database_url)
        blog["/post"] = Resource(CHANGED_POST)
        news["/"] = Resource("server error", 500, {"Content-Type": "text/plain"})
        second = recrawl(web, database_url)
        assert links(second) == {
            ("a", ""): (False, 1, None),
            ("b", ""): (True, 1, 2),
            ("b", "nofollow"): (False, 2, None),
            ("c", ""): (True, 1, 2),
            ("d", ""): (False, 1, None),  # its page failed: not lost
        }
        assert second.rows("SELECT id, new_backlinks, lost_backlinks FROM crawls ORDER BY id") == [
            (1, 4, 0),
            (2, 1, 2),
        ]
        blog["/post"] = Resource(ORIGINAL_POST)
        third = recrawl(web, database_url)
    assert links(third) == {
        ("a", ""): (False, 1, None),
        ("b", ""): (False, 1, None),
        ("b", "nofollow"): (True, 2, 3),
        ("c", ""): (False, 1, None),
        ("d", ""): (False, 1, None),
    }
    assert third.rows("SELECT new_backlinks, lost_backlinks FROM crawls WHERE id = 3") == [(0, 1)]


def test_a_recrawl_for_another_target_does_not_lose_this_targets_links(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with LocalWeb({"blog.com": {"/post": Resource(ORIGINAL_POST)}}) as web:
        recrawl(web, database_url)
        other = run_crawl(
            database_url, "-a", "target=other.com", "-a", "seeds=http://blog.com/post", proxy=web.proxy_url
        )
    assert other.process.returncode == 0
    assert other.rows("SELECT count(*) FROM backlinks WHERE lost_at IS NOT NULL") == [(0,)]


def test_a_page_gone_or_moved_loses_its_links_and_one_that_failed_keeps_them(database_url: str) -> None:
    def linking(path: str) -> Resource:
        return Resource(html(f'<p>See <a href="http://target.com{path}">target</a>.</p>'))

    paths = ("/gone404", "/gone410", "/moved", "/refresh", "/denied", "/busy", "/moved-home", "/refresh-home")
    index = Resource(html("".join(f'<a href="{path}">{path}</a> ' for path in paths)))
    blog = {"/": index, **{path: linking(path) for path in paths}}
    with LocalWeb({"blog.com": blog}) as web:
        arguments = ("-a", "target=target.com", "-a", "seeds=http://blog.com/")
        first = run_crawl(database_url, *arguments, proxy=web.proxy_url)
        assert first.process.returncode == 0, first.process.stderr[-2000:]
        blog["/gone404"] = Resource("not found", 404, {"Content-Type": "text/html"})
        blog["/gone410"] = Resource("gone", 410, {"Content-Type": "text/html"})
        blog["/moved"] = redirect("/moved-new")
        blog["/moved-new"] = linking("/moved")
        blog["/refresh"] = Resource(html("", head="<meta http-equiv='refresh' content='0; url=/refreshed'>"))
        blog["/refreshed"] = linking("/refresh")
        blog["/denied"] = Resource("forbidden", 403, {"Content-Type": "text/html"})
        blog["/busy"] = Resource("busy", 503, {"Content-Type": "text/html"})
        # Moved to a page the crawl has queued already: the redirect is a duplicate request.
        blog["/moved-home"] = redirect("/")
        blog["/refresh-home"] = Resource(html("", head="<meta http-equiv='refresh' content='0; url=/'>"))
        second = run_crawl(database_url, *arguments, proxy=web.proxy_url, settings={"RETRY_ENABLED": "False"})
    assert second.process.returncode == 0, second.process.stderr[-2000:]
    # A page gone is an answer, logged as one; a failure says why.
    assert "Gone (404): http://blog.com/gone404" in second.process.stderr
    assert "Could not fetch http://blog.com/busy: it answered 503" in second.process.stderr
    assert "Could not fetch http://blog.com/gone404" not in second.process.stderr
    rows = second.rows("SELECT source_url, lost_crawl_id FROM backlinks")
    assert {source.removeprefix("http://blog.com"): lost for source, lost in rows} == {
        "/gone404": 2,
        "/gone410": 2,
        "/moved": 2,  # its link is now the page it moved to's
        "/moved-new": None,
        "/refresh": 2,
        "/refreshed": None,
        "/denied": None,  # a refusal may pass: not lost
        "/busy": None,
        "/moved-home": 2,
        "/refresh-home": 2,
    }
    statuses = second.rows("SELECT url, status, outlinks FROM pages")
    assert {url.removeprefix("http://blog.com"): (status, outlinks) for url, status, outlinks in statuses} == {
        "/": (200, 8),
        "/gone404": (404, 0),
        "/gone410": (410, 0),
        "/moved": (301, 0),
        "/moved-new": (200, 1),
        "/refresh": (200, 0),
        "/refreshed": (200, 1),
        "/denied": (200, 1),  # as the first crawl stored it
        "/busy": (200, 1),
        "/moved-home": (301, 0),
        "/refresh-home": (200, 0),
    }
    assert second.rows("SELECT new_backlinks, lost_backlinks FROM crawls WHERE id = 2") == [(2, 6)]


def test_a_rel_that_changes_only_in_order_or_in_tokens_no_engine_reads_is_the_same_link(database_url: str) -> None:
    def post(rels: tuple[str, str, str]) -> Resource:
        return Resource(
            html("".join(f'<p><a href="http://target.com/{n}" rel="{rel}">T</a></p>' for n, rel in enumerate(rels)))
        )

    blog = {"/post": post(("nofollow noopener", "", "nofollow"))}
    with LocalWeb({"blog.com": blog}) as web:
        recrawl(web, database_url)
        blog["/post"] = post(("noopener nofollow", "noopener", "ugc nofollow"))
        second = recrawl(web, database_url)
    assert links(second) == {
        ("0", "noopener nofollow"): (False, 1, None),  # the rel as the page writes it now
        ("1", "noopener"): (False, 1, None),
        ("2", "nofollow"): (True, 1, 2),  # became ugc as well: another link
        ("2", "ugc nofollow"): (False, 2, None),
    }
    assert second.rows("SELECT new_backlinks, lost_backlinks FROM crawls WHERE id = 2") == [(1, 1)]

"""History across re-crawls: links that disappear are lost, links that come back are
revived, a rel change shows as a lost and a new link, a page that failed to fetch loses
nothing, and each crawl counts what it found new and lost."""

from __future__ import annotations

from pathlib import Path

from backlink_spider.localweb import LocalWeb, Resource
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

"""Backlinks through redirects: which links are guessed to redirect, and a crawl that finds
links to a target through a shortener and an affiliate link."""

from __future__ import annotations

import pytest

from backlink_spider.localweb import LocalWeb, Resource, redirect
from backlink_spider.redirects import RedirectGuess
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


def test_links_through_a_shortener_and_an_affiliate_link_are_backlinks_of_type_redirect(database_url: str) -> None:
    post = html(
        f"<article><p>{PROSE} Try <a href='http://bit.ly/abc' rel='sponsored'>the target tool</a>, "
        "or <a href='/go/target'>this deal</a>, or <a href='http://bit.ly/other'>another tool</a>, "
        "or <a href='http://target.com/direct'>Target</a>.</p></article>"
    )
    web = {
        "ref.net": {
            "/post": Resource(post),
            "/go/target": redirect("http://target.com/aff?ref=ref.net", 302),
            "/": Resource(html("<a href='/post'>post</a>")),
        },
        "bit.ly": {"/abc": redirect("http://www.target.com/landing"), "/other": redirect("http://other.org/")},
        "other.org": {"/": Resource(html("<p>other</p>"))},
        "target.com": {"/aff": Resource(html("<p>aff</p>"))},
        # Where the short link leads is closed to crawlers: the link counts all the same.
        "www.target.com": {
            "/robots.txt": Resource("User-agent: *\nDisallow: /\n", 200, {"Content-Type": "text/plain"})
        },
    }
    with LocalWeb(web) as local:
        crawl = run_crawl(
            database_url, "-a", "target=target.com", "-a", "seeds=http://ref.net/", proxy=local.proxy_url,
            settings={"CONCURRENT_REQUESTS": "1"},
        )  # fmt: skip
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    rows = crawl.rows("SELECT source_url, target_url, anchor_text, link_type, sponsored, placement FROM backlinks")
    assert {
        (source, target, anchor, kind, bool(sponsored), placement)
        for source, target, anchor, kind, sponsored, placement in rows
    } == {
        ("http://ref.net/post", "http://www.target.com/landing", "the target tool", "redirect", True, "content"),
        ("http://ref.net/post", "http://target.com/aff?ref=ref.net", "this deal", "redirect", False, "content"),
        ("http://ref.net/post", "http://target.com/direct", "Target", "text", False, "content"),
    }

"""Links as Chromium reads them: the same page through ``extract_page`` and through the browser
(JavaScript off, the page answered from a route, nothing else fetched), link by link.

URLs are compared in the one spelling the README gives ``target_url`` (``request_url``: what
Scrapy requests), the browser's brought to it by the same rules, so that only a difference in
where a link goes shows; anchors as the browser's ``innerText``, for links with text of their own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from backlink_spider._layout import collapse_whitespace
from backlink_spider.extraction import extract_page, request_url
from tests.services import missing

CHROMIUM = "/usr/bin/chromium"
PAGE = "http://example.com/dir/page.html"
LINKS = "() => [...document.querySelectorAll('a[href], area[href]')].map(a => [a.href, a.innerText])"

# Name, charset, markup of the page's body.
PAGES = [
    (
        "relative",
        "utf-8",
        '<a href="a//b">1</a> <a href="../x">2</a> <a href="./%2e/y">3</a> <a href="?q=1">4</a>'
        ' <a href="/abs//p/../q">5</a> <a href="//other.org/x//y">6</a> <a href="y//../z">7</a>'
        ' <a href="%20http://www.x.co.uk/a">8</a> <a href=";p">9</a> <a href="">10</a>',
    ),
    (
        "schemes and slashes",
        "utf-8",
        '<a href="HTTP://EXAMPLE.ORG/A">1</a> <a href="http:same">2</a> <a href="https:other.org/x">3</a>'
        ' <a href="http:///three.org/">4</a> <a href="\\\\back.org\\x">5</a> <a href="/a\\b?c\\d">6</a>'
        ' <a href=" \n http://spaced.org/ \t">7</a> <a href="http://tab\tbed.org/p\na">8</a>'
        ' <a href="http://a.org/p#frag">9</a> <a href="http://a.org:80/">10</a> <a href="http://a.org:8080/">11</a>',
    ),
    (
        "escapes and hosts",
        "utf-8",
        '<a href="http://a.org/%zz%3a">1</a> <a href="http://t%61rget.com/">2</a> <a href="http://bücher.de/ä?ö=ü">3</a>'
        ' <a href="http://a.org/p?q={a}[b]|c^d">4</a> <a href="http://a.org/{a}|c">5</a>'
        ' <a href="http://a.org/caf%c3%a9">6</a> <a href="http://a.org/a b">7</a> <a href="http://Straße.de/">8</a>',
    ),
    (
        "a base elsewhere",
        "utf-8",
        '<base href="https://other.example/docs/"><a href="#top">1</a> <a href="">2</a> <a href="x">3</a>'
        ' <a href="../up">4</a> <a href="?q">5</a>',
    ),
    ("windows-1252", "windows-1252", '<a href="http://a.org/café?q=café&x=ñ">1</a> <a href="?q=日本">2</a>'),
    ("shift_jis", "shift_jis", '<a href="http://a.org/日本?q=日本">1</a>'),
    ("utf-16le", "utf-16le", '<a href="http://a.org/café?q=café">1</a>'),
    (
        "anchors",
        "utf-8",
        '<a href="/1">Title<br>Line</a> <a href="/2"><h3>Heading</h3><p>Summary</p></a>'
        ' <a href="/3">x<script>var s = 1;</script><style>p {}</style>y</a>'
        ' <a href="/4">Home <svg><title>House</title><desc>A house</desc></svg></a>'
        ' <a href="/5">  spaced\n\t out  </a> <a href="/6">a&amp;b&nbsp;c</a>'
        " <table><tr><td><a href='/7'>cell</a></td><td>next</td></tr></table>",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        missing(f"Chromium at {CHROMIUM}", "run `make install` as root, or `sudo apt-get install chromium`")
    with sync_playwright() as playwright:
        # No name resolves: nothing but the page (answered from the route) can be fetched.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--host-resolver-rules=MAP * ~NOTFOUND"])
        yield launched
        launched.close()


def chromium_links(browser: Browser, body: bytes, content_type: str) -> list[tuple[str, str]]:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.route(
            "**/*",
            lambda route: (
                route.fulfill(status=200, body=body, headers={"content-type": content_type})
                if route.request.url == PAGE
                else route.abort()
            ),
        )
        page.goto(PAGE)
        return [(href, text) for href, text in page.evaluate(LINKS)]
    finally:
        context.close()


@pytest.mark.parametrize(("charset", "markup"), [case[1:] for case in PAGES], ids=[case[0] for case in PAGES])
def test_links_go_where_chromium_sends_them_and_read_as_it_shows_them(
    browser: Browser, charset: str, markup: str
) -> None:
    body = f"<!DOCTYPE html><html><head><title>t</title></head><body>{markup}</body></html>".encode(
        charset, "xmlcharrefreplace"
    )
    content_type = f"text/html; charset={charset}"
    theirs = [
        (request_url(href.partition("#")[0]), collapse_whitespace(text))
        for href, text in chromium_links(browser, body, content_type)
        if href.startswith(("http://", "https://"))
    ]
    page = extract_page(body, PAGE, content_type=content_type)
    ours = [(request_url(link.url), link.anchor) for link in page.links]
    # Links to the page itself (an empty or fragment-only href without a base elsewhere) are no outlinks.
    theirs = [(url, text) for url, text in theirs if url != PAGE or page.base_url != PAGE]
    assert [url for url, _ in ours] == [url for url, _ in theirs]
    # A link without text is named otherwise (alt, aria-label: test_extraction); one with text, as shown.
    with_text = [(anchor, text) for (_, anchor), (_, text) in zip(ours, theirs, strict=True) if text]
    assert [anchor for anchor, _ in with_text] == [text for _, text in with_text]

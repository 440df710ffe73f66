"""BacklinksSpider.harvest: what one parsed page gives the crawl, and when its parse is let go."""

from __future__ import annotations

import asyncio
import gc
import inspect

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from backlink_spider import settings as project_settings
from backlink_spider.items import Backlink, PageRecord
from backlink_spider.rendering import extract_response
from backlink_spider.spiders.backlinks import BacklinksSpider

HTML = """<html><body><main><p>We use <a href="http://target.com/tool" rel="ugc">their tool</a> daily.</p>
<a href="/next">next</a> <a href="http://other.org/">other</a></main></body></html>"""


def _spider() -> BacklinksSpider:
    settings = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    settings.update(ADDONS={}, BACKLINKS_RENDER_MODE="never")
    return BacklinksSpider.from_crawler(get_crawler(BacklinksSpider, settings), target="target.com")


def _response(html: str = HTML) -> HtmlResponse:
    url = "http://blog.com/post"
    return HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url))


def test_a_harvested_page_is_freed_before_its_items_go_on() -> None:
    spider, response = _spider(), _response()
    page = extract_response(response)
    harvest = spider.harvest(response, page)
    # Nothing the pipelines and the scheduler will still hold keeps the page or its links (and
    # so its parsed tree) alive: only this test does...
    here = inspect.currentframe()
    assert [holder for holder in gc.get_referrers(page) if holder is not here] == []
    links = page.links
    for link in links:
        assert gc.get_referrers(link) == [links]
    # ...and they have all they need from it.
    (backlink,) = [item for item in harvest if isinstance(item, Backlink)]
    assert (backlink.target_url, backlink.anchor_text, backlink.rel, backlink.placement) == (
        "http://target.com/tool", "their tool", "ugc", "content"
    )  # fmt: skip
    assert "daily" in backlink.snippet
    requests = [item.url for item in harvest if isinstance(item, Request)]
    assert set(requests) == {"http://blog.com/next", "http://other.org/", "http://target.com/tool"}
    (record,) = [item for item in harvest if isinstance(item, PageRecord)]
    assert (record.outlinks, record.backlinks) == (3, 1) and harvest[-1] is record


def test_a_parsed_page_keeps_no_decoded_copy_of_its_body() -> None:
    # The scraper holds the response until all the page gave is stored; Scrapy's meta-refresh
    # check (and the extraction) read its text, which Scrapy caches on it, as large as the body.
    html = HTML.replace("daily", "daily " + "and more " * 2000)
    response = _response(html)
    assert response.text == html
    output = asyncio.run(_spider().parse(response))
    assert [item.url for item in output if isinstance(item, PageRecord)] == ["http://blog.com/post"]
    assert not [held for held in gc.get_referents(response) if isinstance(held, str) and len(held) >= len(html)]
    # Whoever reads it again still gets it.
    assert response.text == html


def test_a_link_a_page_repeats_is_one_backlink_at_its_best_placement() -> None:
    prose = "A paragraph long enough to be the article's own text, about tools and their makers. " * 2
    html = f"""<html><body><nav><a href="http://target.com/">Target</a></nav>
    <main><p>{prose}<a href="http://target.com/">Target</a></p></main>
    <footer><a href="http://target.com/">Target</a> <a href="http://target.com/">Target home</a></footer>
    </body></html>"""
    spider, response = _spider(), _response(html)
    harvest = spider.harvest(response, extract_response(response))
    backlinks = {(item.anchor_text, item.placement) for item in harvest if isinstance(item, Backlink)}
    assert backlinks == {("Target", "content"), ("Target home", "footer")}


def test_each_url_that_redirected_to_a_page_is_a_record_with_no_links() -> None:
    spider = _spider()
    url = "https://www.blog.com/post"
    meta = {
        "redirect_urls": ["http://blog.com/p?id=1", "http://blog.com/post"],
        "redirect_reasons": [301, "meta refresh"],
    }
    response = HtmlResponse(url, body=HTML.encode(), encoding="utf-8", request=Request(url, meta=meta))
    records = [item for item in spider.harvest(response, extract_response(response)) if isinstance(item, PageRecord)]
    assert [(r.url, r.domain, r.status, r.outlinks, r.backlinks, r.request_id) for r in records] == [
        ("http://blog.com/p?id=1", "blog.com", 301, 0, 0, None),
        ("http://blog.com/post", "blog.com", 200, 0, 0, None),
        (url, "blog.com", 200, 3, 1, None),
    ]


def test_a_target_url_is_stored_as_one_spelling_and_an_idn_is_followed_by_idna_2008() -> None:
    html = """<html><body><main><p>
    <a href="http://target.com/caf%c3%a9">menu</a> <a href="http://target.com/x/../café">menu</a>
    <a href="http://target.com/a b">space</a> <a href="http://straße.de/">street</a></p></main></body></html>"""
    spider, response = _spider(), _response(html)
    harvest = spider.harvest(response, extract_response(response))
    backlinks = sorted((item.target_url, item.anchor_text) for item in harvest if isinstance(item, Backlink))
    assert backlinks == [("http://target.com/a%20b", "space"), ("http://target.com/caf%C3%A9", "menu")]
    requests = {item.url for item in harvest if isinstance(item, Request)}
    assert "http://xn--strae-oqa.de/" in requests and "http://strasse.de/" not in requests


def test_a_page_search_engines_do_not_index_gives_backlinks_marked_so() -> None:
    link = '<main><p>See <a href="http://target.com/">their tool</a>.</p></main>'
    heads = {
        "": (True, False, None),
        '<meta name="robots" content="noindex">': (False, True, None),
        '<link rel="canonical" href="/post?ref=x">': (False, False, "http://blog.com/post?ref=x"),
        '<link rel="canonical" href="http://blog.com/post">': (True, False, None),
    }
    for head, (indexable, noindex, canonical) in heads.items():
        spider, response = _spider(), _response(f"<html><head>{head}</head><body>{link}</body></html>")
        harvest = spider.harvest(response, extract_response(response))
        (backlink,) = [item for item in harvest if isinstance(item, Backlink)]
        (record,) = [item for item in harvest if isinstance(item, PageRecord)]
        assert (backlink.indexable, record.noindex, record.canonical_url) == (indexable, noindex, canonical), head


def test_a_link_to_a_url_seen_to_redirect_to_a_target_is_a_backlink_of_type_redirect() -> None:
    spider = _spider()
    # A fetch went http://bit.ly/abc -> http://target.com/landing.
    spider.learn({"redirect_urls": ["http://bit.ly/abc"], "redirect_reasons": [301]}, "http://target.com/landing")
    # A redirect within the target's own site, or to another site, teaches nothing.
    spider.learn({"redirect_urls": ["http://target.com/old"]}, "http://target.com/new")
    spider.learn({"redirect_urls": ["http://news.org/x"]}, "http://other.org/")
    assert list(spider.redirects.landings) == ["http://bit.ly/abc"]
    html = """<html><body><main><p>Our pick: <a href="http://bit.ly/abc" rel="ugc">the tool</a>,
    not <a href="http://bit.ly/zzz">that one</a>.</p></main></body></html>"""
    response = _response(html)
    harvest = spider.harvest(response, extract_response(response))
    backlinks = [
        (b.target_url, b.anchor_text, b.link_type, b.rel, b.via_url) for b in harvest if isinstance(b, Backlink)
    ]
    assert backlinks == [("http://target.com/landing", "the tool", "redirect", "ugc", "http://bit.ly/abc")]
    # The other short link is probed: a request that answers its redirect instead of following it.
    (probe,) = [item for item in harvest if isinstance(item, Request) and "bit.ly" in item.url]
    assert (probe.url, probe.meta["dont_redirect"], probe.dont_filter) == ("http://bit.ly/zzz", True, True)
    (record,) = [item for item in harvest if isinstance(item, PageRecord)]
    # Where the first leads is known, the second's not yet: only its rows are kept from being lost.
    assert record.redirect_links == (("http://bit.ly/zzz", "that one"),)


@pytest.mark.parametrize(
    ("status", "headers", "body", "location"),
    [
        (301, {"Location": "/next"}, "", "http://blog.com/next"),
        (302, {"Location": "http://exa mple.com/%%%"}, "", None),
        (301, {"Location": "http://[::1/x"}, "", None),
        (301, {"Location": "javascript:alert(1)"}, "", None),
        (200, {}, '<meta http-equiv="refresh" content="0; url=http://target.com/x">', "http://target.com/x"),
        # A page that reloads itself every ten minutes is a page, as Scrapy's METAREFRESH_MAXDELAY says.
        (200, {}, '<meta http-equiv="refresh" content="600; url=http://blog.com/post">', None),
        (200, {}, "<p>a page</p>", None),
    ],
)
def test_where_a_probe_s_answer_redirects(
    status: int, headers: dict[str, str], body: str, location: str | None
) -> None:
    url = "http://blog.com/post"
    html = f"<html><head>{body}</head><body></body></html>"
    response = HtmlResponse(
        url, status=status, headers=headers, body=html.encode(), encoding="utf-8", request=Request(url)
    )
    assert _spider().redirect_location(response) == location


def test_a_probe_whose_links_wait_in_another_process_settles_the_link_it_carries() -> None:
    # A worker of a distributed crawl, or a JOBDIR crawl resumed after a kill, answers a probe
    # whose links were put to wait elsewhere: the first of them came with the request.
    first = ("http://blog.com/post", "the tool", "ugc", "content", "see the tool", False, True, "http://bit.ly/abc")
    origin = first[-1]
    meta = {"backlinks_via": origin, "backlinks_hops": 0, "backlinks_first_link": list(first)}
    request = Request(origin, meta=meta)
    response = HtmlResponse(origin, status=301, headers={"Location": "http://target.com/x"}, body=b"", request=request)
    answer = _spider().probed(response, origin)
    assert answer is not None
    backlinks = [
        (b.source_url, b.target_url, b.anchor_text, b.link_type, b.via_url) for b in answer if isinstance(b, Backlink)
    ]
    assert backlinks == [("http://blog.com/post", "http://target.com/x", "the tool", "redirect", "http://bit.ly/abc")]

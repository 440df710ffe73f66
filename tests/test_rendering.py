"""Rendering of JavaScript-built pages end to end: the real spider, real Chromium, a fresh
loopback web per test, and assertions on the stored rows and on what the web was asked for."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.async_api import async_playwright
from scrapy import Request
from scrapy.core.scraper import Slot
from scrapy.exceptions import UsageError
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from backlink_spider import rendering
from backlink_spider.browser import (
    BrowserHandler,
    _redirected,
    browser_args,
    browser_memory,
    find_browser,
    page_script,
    render_drawing,
)
from backlink_spider.extraction import Page
from backlink_spider.localweb import LocalWeb, Resource
from backlink_spider.rendering import HostState, RenderDecider
from tests.conftest import Crawl, run_crawl
from tests.services import missing
from tests.web import html, most_at_once
from tests.web_js import BLOCKED_URLS, IMAGE_URL, PRIVATE_URLS, js_sites

# The browsers make install installs; a crawl renders with the first (the default setting).
BROWSERS = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"]
# Short limits keep the tests fast; the pages that never settle hit them on purpose.
FAST = {
    "BACKLINKS_RENDER_NAVIGATION_TIMEOUT": "2",
    "BACKLINKS_RENDER_SETTLE_TIMEOUT": "2",
    "BACKLINKS_RENDER_QUIET": "0.5",
    "BACKLINKS_RENDER_TIMEOUT": "4",
}
OFF_WARNING = "Rendering of JavaScript-built pages is off"


def installed(browser: str) -> str:
    if shutil.which(browser) is None:
        missing(f"Chromium at {browser}", f"run `make install` as root, or `sudo apt-get install {Path(browser).name}`")
    return browser


@pytest.fixture
def chromium() -> str:
    for browser in BROWSERS:
        installed(browser)
    return BROWSERS[0]


@pytest.fixture
def js_web() -> Iterator[LocalWeb]:
    with LocalWeb(js_sites()) as web:
        yield web


def crawl(tmp_path: Path, web: LocalWeb, seeds: str, **settings: str) -> Crawl:
    result = run_crawl(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "-a", "target=target.com", "-a", f"seeds={seeds}",
        proxy=web.proxy_url, settings={**FAST, **settings}, timeout=90,
    )  # fmt: skip
    assert result.process.returncode == 0, result.process.stderr[-3000:]
    return result


def rendered_pages(result: Crawl) -> dict[str, bool]:
    return {url: bool(rendered) for url, rendered in result.rows("SELECT url, rendered FROM pages")}


def backlinks(result: Crawl) -> set[tuple[str, str, str]]:
    return set(result.rows("SELECT source_url, target_url, anchor_text FROM backlinks"))


def stats(result: Crawl) -> dict[str, Any]:
    ((text,),) = result.rows("SELECT stats FROM crawls")
    return json.loads(text)


@pytest.mark.parametrize("browser", [None, *BROWSERS])
def test_a_single_page_app_is_rendered_in_auto_mode_and_a_static_page_is_not(
    browser: str | None, chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    # The default setting, then each browser named alone.
    result = crawl(
        tmp_path,
        js_web,
        "http://spa.com/,http://static.org/",
        **({"BACKLINKS_RENDER_BROWSER": browser} if browser else {}),
    )
    assert rendered_pages(result) == {
        "http://spa.com/": True,
        "http://spa.com/about": True,
        "http://static.org/": False,
        "http://static.org/second": False,
    }
    assert backlinks(result) == {
        ("http://spa.com/", "http://target.com/from-spa", "Target from the app"),
        ("http://spa.com/about", "http://target.com/from-about", "Target again"),
        ("http://static.org/", "http://target.com/from-static", "Target"),
    }
    ((placement,),) = result.rows("SELECT placement FROM backlinks WHERE target_url = 'http://target.com/from-spa'")
    assert placement == "content"
    # The app's first page was judged from its HTML and rendered from it, without a second
    # request; the host was remembered, so /about went to the browser directly.
    assert js_web.requests.count("http://spa.com/") == 1
    assert js_web.requests.count("http://spa.com/about") == 1
    crawl_stats = stats(result)
    assert crawl_stats["backlinks/render/mode"] == "auto"
    assert crawl_stats["backlinks/render/browser"] == (browser or chromium)
    assert crawl_stats["backlinks/render/judged/app_root"] == 1
    assert crawl_stats["backlinks/render/judged/static"] == 2
    assert crawl_stats["backlinks/render/direct"] == 1
    assert crawl_stats["backlinks/render/hosts_rendered"] == 1
    assert crawl_stats["backlinks/render/pages"] == 2
    # /about rendered in the tab that rendered the app's first page (its renderer process kept).
    assert crawl_stats["backlinks/render/same_host_tab"] == 1
    assert crawl_stats["playwright/page_count"] == 1
    # No event for each browser request and response crosses from Playwright's driver for
    # scrapy-playwright's counts of them.
    counted = ("playwright/request_count", "playwright/response_count")
    assert not [name for name in crawl_stats if name.startswith(counted)]
    assert crawl_stats["backlinks/render/new_links_pages"] == 2
    assert crawl_stats["backlinks/render/seconds"] > 0
    assert "backlinks/render/failed" not in crawl_stats
    assert "'backlinks/render/pages': 2" in result.process.stderr


def test_links_added_after_load_by_fetch_and_by_a_timer_are_found(
    chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    result = crawl(tmp_path, js_web, "http://late.net/")
    assert rendered_pages(result) == {"http://late.net/": True}
    assert backlinks(result) == {
        ("http://late.net/", "http://target.com/from-fetch", "From fetch"),
        ("http://late.net/", "http://target.com/from-timer", "From the timer"),
    }
    assert js_web.fetched("http://late.net/links.json")


def test_the_browser_reaches_the_web_through_the_operators_authenticating_proxy(chromium: str, tmp_path: Path) -> None:
    # The web answers only requests with the proxy's credentials: the page and the JSON its script
    # fetches after load (a request of the browser's own) both came through the proxy with them.
    with LocalWeb(js_sites(), proxy_auth="crawler:s3cret") as web:
        proxy = web.proxy_url.replace("http://", "http://crawler:s3cret@")
        result = run_crawl(
            f"sqlite:///{tmp_path / 'db.sqlite3'}", "-a", "target=target.com", "-a", "seeds=http://late.net/",
            proxy=proxy, settings=FAST, timeout=90,
        )  # fmt: skip
    assert result.process.returncode == 0, result.process.stderr[-3000:]
    assert rendered_pages(result) == {"http://late.net/": True}
    assert ("http://late.net/", "http://target.com/from-fetch", "From fetch") in backlinks(result)
    assert web.fetched("http://late.net/links.json") and web.unauthorized == []
    assert "s3cret" not in result.process.stderr


def test_a_page_waiting_for_the_browser_holds_no_download_slot(chromium: str, js_web: LocalWeb, tmp_path: Path) -> None:
    # One download at a time: plain pages are fetched while the slow render waits for its timer.
    result = crawl(tmp_path, js_web, "http://patient.com/,http://static.org/", CONCURRENT_REQUESTS="1")
    assert rendered_pages(result)["http://patient.com/"] is True
    assert ("http://patient.com/", "http://target.com/from-patient", "Patient") in backlinks(result)
    asked = js_web.requests
    late = asked.index("http://patient.com/late.json")
    assert asked.index("http://static.org/") < late
    assert asked.index("http://static.org/second") < late


@pytest.mark.parametrize(("room", "set_aside"), [("5000000", True), ("0", False)])
def test_a_page_waiting_for_the_browser_is_set_aside_from_the_room_of_pages_being_parsed(
    room: str, set_aside: bool, chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    # Room for no page in Scrapy's scraper: the engine downloads nothing while a page is being
    # parsed, unless that page is waiting for the browser and fits in the room set aside for those.
    result = crawl(
        tmp_path,
        js_web,
        "http://patient.com/,http://static.org/",
        CONCURRENT_REQUESTS="1",
        SCRAPER_SLOT_MAX_ACTIVE_SIZE="1",
        BACKLINKS_RENDER_WAITING_SIZE=room,
    )
    assert rendered_pages(result)["http://patient.com/"] is True
    assert ("http://patient.com/", "http://target.com/from-patient", "Patient") in backlinks(result)
    asked = js_web.requests
    assert asked.index("http://patient.com/") < asked.index("http://static.org/")
    assert (asked.index("http://static.org/second") < asked.index("http://patient.com/late.json")) is set_aside


def test_a_page_set_aside_counts_again_once_rendered_even_when_the_render_fails() -> None:
    crawler = get_crawler(settings_dict={"BACKLINKS_RENDER_WAITING_SIZE": 150_000})
    slot = Slot(max_active_size=1_000_000)
    slot.active_size = 300_000
    nudged: list[bool] = []
    engine_slot = SimpleNamespace(nextcall=SimpleNamespace(schedule=lambda: nudged.append(True)))
    crawler.engine = SimpleNamespace(scraper=SimpleNamespace(slot=slot), _slot=engine_slot)  # type: ignore[assignment]
    decider = RenderDecider(crawler, "auto")
    page = HtmlResponse("http://a.com/", body=b"x" * 100_000)
    with decider._set_aside(page):
        assert slot.active_size == 200_000 and nudged == [True]
        with decider._set_aside(page):  # no room left for a second page: it counts as any other
            assert slot.active_size == 200_000 and decider.waiting == 100_000
    assert slot.active_size == 300_000 and decider.waiting == 0
    with pytest.raises(RuntimeError), decider._set_aside(page):
        assert slot.active_size == 200_000
        raise RuntimeError("the render failed")
    assert slot.active_size == 300_000 and decider.waiting == 0
    # What the engine backs out on, in the Scrapy this project runs.
    slot.active_size = 1_000_001
    assert slot.needs_backout()


def test_the_verdicts_of_the_hosts_rendered_lately_are_kept_and_no_more(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "HOST_VERDICTS", 3)
    crawler = get_crawler(settings_dict={"BACKLINKS_RENDER_FUTILE_RENDERS": 2})
    crawler.stats = MemoryStatsCollector(crawler)
    decider = RenderDecider(crawler, "auto")
    for number in range(10):
        request = Request(f"http://h{number}.com/")
        fetched = Page(request.url, request.url, nofollow=False)
        for _ in range(2):
            decider.judge(request, fetched, fetched)
    assert dict(decider.hosts) == {f"h{number}.com": HostState.PLAIN for number in (7, 8, 9)}
    assert len(decider.futile) == 3
    assert crawler.stats.get_value("backlinks/render/hosts_plain") == 10


def test_pages_that_never_settle_are_cut_off_and_the_crawl_goes_on(
    chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    result = crawl(tmp_path, js_web, "http://stuck.com/busy,http://stuck.com/hang,http://stuck.com/loop")
    pages = rendered_pages(result)
    # A script that never ends: the render fails in time and the page is kept as fetched,
    # its raw links followed.
    assert pages["http://stuck.com/busy"] is False and pages["http://stuck.com/hang"] is False
    assert pages["http://static.org/"] is False and pages["http://static.org/second"] is False
    # A page that navigates again and again stays where it is, rendered.
    assert pages["http://stuck.com/loop"] is True
    assert ("http://stuck.com/loop", "http://target.com/from-loop", "Loop") in backlinks(result)
    assert not [url for url in js_web.requests if url.startswith("http://stuck.com/loop?")]
    crawl_stats = stats(result)
    assert crawl_stats["backlinks/render/failed"] == 2
    assert crawl_stats["backlinks/render/blocked/navigation"] >= 1
    assert "Traceback" not in result.process.stderr


def test_the_tab_of_a_finished_render_does_nothing_until_it_serves_the_next_one(
    chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    result = crawl(tmp_path, js_web, "http://restless.org/", BACKLINKS_RENDER_MAX_PAGES="1")
    assert rendered_pages(result) == {"http://restless.org/": True, "http://restless.org/next": True}
    assert ("http://restless.org/next", "http://target.com/from-next", "Target") in backlinks(result)
    # Its timers were stopped with it: no request, no navigation once its render was over.
    assert not js_web.fetched("http://restless.org/poll")
    assert not js_web.fetched("http://restless.org/elsewhere")
    crawl_stats = stats(result)
    assert "backlinks/render/blocked/after_render" not in crawl_stats
    assert crawl_stats["playwright/page_count"] == 1
    assert "backlinks/render/failed" not in crawl_stats


def test_no_more_pages_are_open_than_render_at_once_and_wait_between_renders(
    chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    # Four renders on three hosts, one at a time, one page waiting in between: a second page
    # opens, none more (no render waits for a page that never comes).
    result = crawl(
        tmp_path,
        js_web,
        "http://spa.com/,http://late.net/,http://stuck.com/loop",
        BACKLINKS_RENDER_MAX_PAGES="1",
        BACKLINKS_RENDER_IDLE_PAGES="1",
    )
    pages = rendered_pages(result)
    assert all(pages[url] for url in ("http://spa.com/", "http://spa.com/about", "http://late.net/"))
    assert pages["http://stuck.com/loop"]
    crawl_stats = stats(result)
    assert crawl_stats["backlinks/render/pages"] == 4
    assert crawl_stats["playwright/page_count"] == 2
    assert "backlinks/render/failed" not in crawl_stats


def test_a_rendered_page_reaches_no_private_address_and_no_path_robots_txt_disallows(
    chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    result = crawl(tmp_path, js_web, "http://sneaky.net/")
    # The page was rendered: its scripts ran.
    assert rendered_pages(result) == {"http://sneaky.net/": True}
    assert backlinks(result) == {("http://sneaky.net/", "http://target.com/from-sneaky", "Target")}
    assert [url for url in js_web.requests if url in PRIVATE_URLS] == []
    # The script was fetched; the private address it redirects to was not.
    assert js_web.fetched("http://hopper.org/r.js")
    crawl_stats = stats(result)
    assert crawl_stats["backlinks/guard/refused"] >= 5
    assert crawl_stats["backlinks/render/refused"] >= 6


def test_a_rendered_page_s_own_requests_keep_to_two_at_a_time_per_domain(chromium: str, tmp_path: Path) -> None:
    calls = 6
    script = (
        f"Promise.all([...Array({calls}).keys()].map(i => fetch('http://api.pub.com/slow?i=' + i)))"
        ".then(() => document.body.insertAdjacentHTML('beforeend', '<a href=\"http://target.com/api\">API</a>'));"
    )
    slow = {"Content-Type": "application/json"}
    sites = {
        "app.pub.com": {"/": Resource(html(f"<script>{script}</script>"))},
        "api.pub.com": {f"/slow?i={i}": Resource("{}", headers=slow, delay=0.4) for i in range(calls)},
    }
    with LocalWeb(sites) as web:
        result = crawl(
            tmp_path, web, "http://app.pub.com/", BACKLINKS_RENDER_MODE="always",
            BACKLINKS_RENDER_SETTLE_TIMEOUT="8", BACKLINKS_RENDER_TIMEOUT="15", CONCURRENT_REQUESTS_PER_DOMAIN="2",
        )  # fmt: skip
        starts = [at for url, at in zip(web.requests, web.times, strict=True) if "/slow?" in url]
    assert len(starts) == calls
    # Each answer takes 0.4 s: requests that reached the server within that of another were in flight together.
    assert most_at_once(starts, 0.35) <= 2
    # And the render waited for them all: the link the script adds once they answered is found.
    assert backlinks(result) == {("http://app.pub.com/", "http://target.com/api", "API")}


def test_with_private_networks_allowed_the_same_page_reaches_them(
    chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    # The counterpart of the test above: what it asserts is absent does arrive when allowed.
    result = crawl(
        tmp_path, js_web, "http://sneaky.net/", BACKLINKS_ALLOW_PRIVATE_NETWORKS="True", ROBOTSTXT_OBEY="False"
    )
    fetched_by_script = {url for url in PRIVATE_URLS if "169.254" not in url and "192.168" not in url}
    assert fetched_by_script <= set(js_web.requests)
    # Frames and images are never loaded, private or not; nor stylesheets, fonts and media.
    assert not js_web.fetched("http://169.254.169.254/latest/meta-data/")
    assert not js_web.fetched("http://192.168.1.1/pixel.gif")
    assert not [url for url in [*BLOCKED_URLS, IMAGE_URL] if js_web.fetched(url)]
    crawl_stats = stats(result)
    assert {
        kind for kind in ("stylesheet", "font", "media") if crawl_stats.get(f"backlinks/render/blocked/{kind}")
    } == {"stylesheet", "font", "media"}
    # Images are not even asked for (Chromium's own setting), so none meets the route to be refused.
    assert "backlinks/render/blocked/image" not in crawl_stats


def test_images_are_loaded_when_they_are_not_a_blocked_kind(chromium: str, js_web: LocalWeb, tmp_path: Path) -> None:
    # The counterpart of the test above: the page's image arrives once images are not blocked.
    result = crawl(tmp_path, js_web, "http://sneaky.net/", BACKLINKS_RENDER_BLOCKED_RESOURCES="stylesheet,font,media")
    assert rendered_pages(result) == {"http://sneaky.net/": True}
    assert js_web.fetched(IMAGE_URL)
    assert not js_web.fetched("http://192.168.1.1/pixel.gif")


def test_blocked_images_are_switched_off_in_the_browser_keeping_its_other_blink_settings() -> None:
    def blink(**settings: str) -> list[str]:
        args = browser_args(Settings({"BACKLINKS_RENDER_BLOCKED_RESOURCES": ["image", "font"], **settings}))
        return [arg for arg in args if arg.startswith("--blink-settings=")]

    assert blink() == [
        "--blink-settings=primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4,"
        "imagesEnabled=false"
    ]
    assert blink(BACKLINKS_RENDER_BROWSER_ARGS=["--blink-settings=hideScrollbars=true"]) == [
        "--blink-settings=hideScrollbars=true,imagesEnabled=false"
    ]
    assert blink(BACKLINKS_RENDER_BLOCKED_RESOURCES=["font"]) == []


def test_a_tab_keeps_its_frame_from_one_render_of_a_site_to_the_next_keeping_playwrights_features() -> None:
    def features(*args: str) -> list[str]:
        given = Settings({"BACKLINKS_RENDER_BROWSER_ARGS": list(args)})
        return [arg for arg in browser_args(given) if "-features=" in arg]

    assert features() == [
        "--enable-features=CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies,RenderDocument:level/crashed-frame"
    ]
    # The operator's features replace Playwright's (Chromium reads the last switch only), ours join them.
    assert features("--enable-features=Foo", "--disable-features=Bar") == [
        "--disable-features=Bar",
        "--enable-features=Foo,RenderDocument:level/crashed-frame",
    ]
    # An operator who sets RenderDocument has the last word.
    assert features("--enable-features=RenderDocument:level/all-frames") == [
        "--enable-features=RenderDocument:level/all-frames"
    ]


@pytest.mark.parametrize(
    ("drawing", "seen_by_the_script"),
    [
        ("full", {"laid-out", "painted", "seen", "drawn-when-seen"}),
        # The default: not painted, yet measured and observed as on a screen.
        ("layout", {"laid-out", "seen", "drawn-when-seen"}),
        # Skipped but where measured, until the script observes it: then laid out, as in layout.
        ("measured", {"laid-out", "skipped", "seen", "drawn-when-seen"}),
    ],
)
def test_the_browser_draws_as_much_of_a_page_as_the_drawing_setting_says(
    drawing: str, seen_by_the_script: set[str], chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    result = crawl(tmp_path, js_web, "http://drawn.com/", BACKLINKS_RENDER_DRAWING=drawing)
    assert rendered_pages(result) == {"http://drawn.com/": True}
    targets = {target for _, target, _ in backlinks(result)}
    assert targets == {f"http://target.com/{path}" for path in seen_by_the_script}


def test_the_drawing_setting_is_checked_and_names_the_style_sheet_each_document_adopts() -> None:
    assert render_drawing(Settings()) == "measured"
    assert render_drawing(Settings({"BACKLINKS_RENDER_DRAWING": " Measured"})) == "measured"
    with pytest.raises(UsageError, match="BACKLINKS_RENDER_DRAWING must be one of full, layout, measured, not 'none'"):
        render_drawing(Settings({"BACKLINKS_RENDER_DRAWING": "none"}))
    # Every drawing keeps the page clock; all but full add a style sheet to it.
    assert "adoptedStyleSheets" not in page_script("full")
    assert page_script("layout").startswith(page_script("full"))
    assert "html { visibility: hidden !important; }" in page_script("layout")
    assert "body { content-visibility: hidden !important; }" in page_script("measured")
    assert "IntersectionObserver" in page_script("measured")
    assert "IntersectionObserver" not in page_script("layout")


def test_a_host_whose_renders_find_nothing_new_is_rendered_no_more(chromium: str, tmp_path: Path) -> None:
    """Pages that look script-built (an empty app root) but whose links are all in their HTML: after
    ``BACKLINKS_RENDER_FUTILE_RENDERS`` renders that found no new link, the host's pages stay plain."""
    chain = ["/", "/p1", "/p2", "/p3"]
    shell = {
        path: Resource(html(f'<div id="root"></div><p>{path}</p><a href="{following}">next</a>'))
        for path, following in zip(chain, [*chain[1:], "/"], strict=True)
    }
    with LocalWeb({"shell.com": shell}) as web:
        result = crawl(tmp_path, web, "http://shell.com/", BACKLINKS_RENDER_FUTILE_RENDERS="2")
    assert rendered_pages(result) == {
        "http://shell.com/": True, "http://shell.com/p1": True, "http://shell.com/p2": False,
        "http://shell.com/p3": False,
    }  # fmt: skip
    crawl_stats = stats(result)
    # The first two were judged and rendered, and their renders found no link the HTML lacked;
    # the rest were not even judged.
    assert crawl_stats["backlinks/render/judged/app_root"] == 2
    assert crawl_stats["backlinks/render/pages"] == 2
    assert crawl_stats["backlinks/render/hosts_plain"] == 1
    assert "backlinks/render/new_links_pages" not in crawl_stats


def test_never_mode_renders_nothing(chromium: str, js_web: LocalWeb, tmp_path: Path) -> None:
    result = crawl(tmp_path, js_web, "http://spa.com/,http://static.org/", BACKLINKS_RENDER_MODE="never")
    assert not any(rendered_pages(result).values())
    assert set(rendered_pages(result)) == {"http://spa.com/", "http://static.org/", "http://static.org/second"}
    assert backlinks(result) == {("http://static.org/", "http://target.com/from-static", "Target")}
    crawl_stats = stats(result)
    assert crawl_stats["backlinks/render/off"] == "BACKLINKS_RENDER_MODE is never"
    assert not [key for key in crawl_stats if key.startswith(("playwright/", "backlinks/render/pages"))]


def test_always_mode_renders_every_page_and_restarts_the_browser_every_n_pages(
    chromium: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    result = crawl(
        tmp_path, js_web, "http://spa.com/,http://static.org/",
        BACKLINKS_RENDER_MODE="always", BACKLINKS_RENDER_RESTART_PAGES="2",
    )  # fmt: skip
    pages = rendered_pages(result)
    assert len(pages) == 4 and all(pages.values()), pages
    assert ("http://spa.com/about", "http://target.com/from-about", "Target again") in backlinks(result)
    crawl_stats = stats(result)
    assert crawl_stats["backlinks/render/pages"] == 4
    # Every page request went to the browser directly (those to the missing target site too).
    assert crawl_stats["backlinks/render/direct"] >= 4
    assert crawl_stats["backlinks/render/browser_restarts"] >= 1
    # A static page rendered finds nothing new.
    assert crawl_stats["backlinks/render/new_links_pages"] == 2


def test_the_memory_of_the_processes_a_crawl_started_is_measured() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; data = bytearray(64 << 20); time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while browser_memory() < 64 << 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert browser_memory() >= 64 << 20
    finally:
        child.kill()
        child.wait()


def test_a_message_from_the_browser_costs_a_busy_event_loop_a_few_turns(chromium: str) -> None:
    """A crawl's event loop always has work ready. Playwright's reader used to yield after each
    message until none was (100 turns at most): renders stood still while pages were parsed."""

    async def turns_per_round_trip() -> float:
        loop = asyncio.get_running_loop()
        turns, busy = 0, True

        def parse_a_page() -> None:  # stands for the crawl: always one more callback ready
            nonlocal turns
            turns += 1
            time.sleep(0.002)
            if busy:
                loop.call_soon(parse_a_page)

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium, args=browser_args(Settings()))
            page = await browser.new_page()
            loop.call_soon(parse_a_page)
            turns = 0
            for _ in range(20):
                await page.evaluate("1 + 1")
            busy = False
            await browser.close()
        return turns / 20

    # Sending a call, reading its answer and resuming the caller take a few turns of 2 ms (the
    # browser answers within them); the old wait took 100 for the answer alone.
    assert asyncio.run(turns_per_round_trip()) < 50  # 6 here; 105 with the old wait


def test_the_browser_is_restarted_when_it_grows_past_its_memory_limit() -> None:
    stats = MemoryStatsCollector(SimpleNamespace(settings=Settings()))  # type: ignore[arg-type]
    handler = SimpleNamespace(restart_pages=0, _since_launch=1, restart_memory=1.0, stats=stats)
    with_child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        reason = BrowserHandler._restart_reason(handler)  # type: ignore[arg-type]
    finally:
        with_child.kill()
        with_child.wait()
    assert reason is not None and reason.startswith("its processes grew to")
    handler.restart_memory, handler.restart_pages, handler._since_launch = 0, 500, 500
    assert BrowserHandler._restart_reason(handler) == "500 pages"  # type: ignore[arg-type]


def test_a_redirect_of_a_browser_request_is_followed_as_scrapy_follows_one() -> None:
    headers = {"Cookie": "a=1", "Authorization": "Basic x", "Proxy-Authorization": "Basic y", "Content-Type": "a/b"}
    post = Request("http://a.com/form", method="POST", body=b"x=1", headers=headers, meta={"proxy": "http://p:1"})
    same_host = _redirected(post, 307, "http://a.com/again")
    assert (same_host.method, same_host.body, same_host.headers.get("Cookie")) == ("POST", b"x=1", b"a=1")
    assert "proxy" not in same_host.meta and "Proxy-Authorization" not in same_host.headers
    elsewhere = _redirected(post, 303, "https://b.com/done")
    assert (elsewhere.method, elsewhere.body) == ("GET", b"")
    assert not {"Cookie", "Authorization", "Content-Type"} & {k.decode() for k in elsewhere.headers}


def test_the_first_browser_found_is_driven(tmp_path: Path) -> None:
    assert find_browser(["/nonexistent/shell", "/bin/true", "/bin/false"]) == "/bin/true"
    # A name is looked up on the PATH.
    assert find_browser(["no-such-browser", "true"]) == shutil.which("true")
    assert find_browser(["/nonexistent/shell", str(tmp_path)]) is None
    assert find_browser([]) is None


@pytest.mark.parametrize("browser", ["/nonexistent/chromium", "/bin/false"])
def test_without_a_working_browser_the_crawl_warns_once_and_runs_without_rendering(
    browser: str, js_web: LocalWeb, tmp_path: Path
) -> None:
    result = crawl(tmp_path, js_web, "http://spa.com/,http://static.org/", BACKLINKS_RENDER_BROWSER=browser)
    assert result.process.stderr.count(OFF_WARNING) == 1
    assert "Traceback" not in result.process.stderr
    assert not any(rendered_pages(result).values())
    assert ("http://static.org/", "http://target.com/from-static", "Target") in backlinks(result)
    assert stats(result)["backlinks/render/off"]

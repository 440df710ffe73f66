"""The browser that renders JavaScript-built pages: Debian's Chromium driven by scrapy-playwright.

``BrowserRendering`` (an add-on) installs ``BrowserHandler`` as the http(s) download handler only
when a render can happen at all; without a browser the crawl runs plain, after one warning.
``BrowserHandler`` downloads plain requests as Scrapy does and renders the ones whose meta asks
for it (``playwright=True``). Which pages ask is ``rendering.RenderDecider``'s business, not this.

The browser has no network of its own. Chromium is pointed at a proxy port that refuses every
connection, loopback included, and each request a page makes is answered from Python: checked
by the crawl's own ``PrivateNetworkGuard`` and robots.txt middleware, fetched with Scrapy's HTTP
handler (the ``PublicAddressResolver`` judges the address connected to, the operator's proxy
and the size caps apply) at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` at once per registered domain
across all renders (``DomainLimit``), redirects followed here hop by hop with the same checks. Playwright's
page routes never see redirect hops, and the browser would resolve names again: answering from
Python closes both gaps, and whatever slips past the route still meets the refusing proxy.

Costs are bounded: images, media, fonts and stylesheets are refused (images are not even asked for:
Chromium's own setting turns them off, which spares each a round trip), iframes are not loaded, the
page is neither painted nor laid out but where a script measures it, until a script observes its
elements appear or resize (``BACKLINKS_RENDER_DRAWING``: a style sheet the document adopts), further
navigations of the page are answered 204 (so a page that redirects itself in a loop stays put), at
most ``BACKLINKS_RENDER_MAX_PAGES`` pages render at once in one context, each within
``BACKLINKS_RENDER_TIMEOUT``, and the browser is restarted after ``BACKLINKS_RENDER_RESTART_PAGES``
pages or when its processes use more than ``BACKLINKS_RENDER_RESTART_MEMORY`` MiB. A render that
fails falls back to the page as fetched. A render ends as soon as its page is quiet (requests, DOM,
timers due soon after load); its waits and its markup come from the page clock, a small script of
ours, not from the script Playwright injects into each document for ``wait_for_function`` and
``content()`` (that costs a render a third more). The page (tab) of a render that went well serves a
next one: a new tab costs the browser more than the navigation itself. Up to
``BACKLINKS_RENDER_IDLE_PAGES`` pages wait between renders, and the next page of a host goes to the
one that rendered that host last, which keeps its renderer process (a page of another site starts a
new one); renders wait for a page in line, the host of an idle page first (``RenderLine``). Between
two renders a tab is stopped, not sent to about:blank (that navigation costs the browser about a
third of a render), in the same call that takes its markup: its loads, timers and animation frames
are cancelled, its listeners and DOM dropped, and whatever it still asks for is refused."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from time import monotonic
from typing import Any
from urllib.parse import urljoin, urlsplit
from weakref import WeakKeyDictionary

from playwright._impl import transport as playwright_transport
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route
from playwright.async_api import Request as BrowserRequest
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.httpproxy import HttpProxyMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from backlink_spider.content import content_type_of, is_html
from backlink_spider.domainlimit import DomainLimit
from backlink_spider.guard import PrivateNetworkGuard
from backlink_spider.processes import memory_bytes, process_tree
from backlink_spider.render_line import RenderLine
from backlink_spider.settingcheck import setting_list

logger = logging.getLogger(__name__)

MODES = ("auto", "always", "never")
# BACKLINKS_RENDER_DRAWING: the style sheet that spares the browser drawing what no link needs.
# Hiding the document skips painting (its layout stays: geometry, observers); content-visibility
# skips the layout of what no script measures too, until a script observes elements appear or
# resize (lazy content, virtual lists): from then on the page is laid out as in ``layout``.
_HIDDEN = "html { visibility: hidden !important; }"
DRAWINGS = {"full": None, "layout": _HIDDEN, "measured": f"{_HIDDEN} body {{ content-visibility: hidden !important; }}"}
# Adopted by each document before its own scripts run.
_ADOPT_SHEET = """
(() => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(%(style)s);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];%(observed)s
})();"""
# In ``measured``: an observer's first observe() turns the sheet into ``layout``'s.
_LAY_OUT_WHEN_OBSERVED = """
  for (const Observer of [window.IntersectionObserver, window.ResizeObserver]) {
    if (!Observer) continue;
    const observe = Observer.prototype.observe;
    Observer.prototype.observe = function (...args) {
      sheet.replaceSync(%s);
      return observe.apply(this, args);
    };
  }"""
HANDLER = "backlink_spider.browser.BrowserHandler"
# Meta key: the plain response a render starts from (the decider's) or ended with (the handler's).
META_DOCUMENT = "backlinks_render_document"
# Flags Chromium gets whatever the operator adds: no traffic of its own (updates, sync, QUIC),
# no proxy bypass for loopback (every request must meet the refusing proxy), no UDP around it.
_FIXED_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--proxy-bypass-list=<-loopback>",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)
# What Playwright passes to a headless Chromium as --blink-settings and --enable-features (Chromium
# keeps the last of each switch only, so ours carry Playwright's values on).
_PLAYWRIGHT_BLINK_SETTINGS = "primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4"
_PLAYWRIGHT_FEATURES = "CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies"
# A new document in the frame that showed the last one (same site), not a new frame for each
# navigation (RenderDocument) but after a crash: a tab's next render of its host costs the browser
# about a tenth less CPU.
_SAME_FRAME = "RenderDocument:level/crashed-frame"
_REDIRECTS = (301, 302, 303, 307, 308)
# Schemes the browser answers itself, without any network.
_LOCAL_SCHEMES = ("data", "blob", "about")
_HOP_BY_HOP = frozenset(
    ["connection", "content-length", "content-encoding", "host", "keep-alive", "proxy-connection", "te",
     "trailer", "transfer-encoding", "upgrade"]
)  # fmt: skip
# Runs in every page before its own scripts: notes when the DOM last changed (nodes, hrefs) or the
# page loaded, and which one-shot timers are pending, so that a render ends as soon as nothing is
# left that could still add a link soon. __backlinksBusyFor(quiet, timers) is how many ms to wait
# still: until ``quiet`` ms passed since the last change, and since each timer due within
# ``timers`` ms of load fired (later timers, intervals and string handlers are not waited for).
_PAGE_CLOCK = """(() => {
  const now = () => performance.now(), pending = new Map(), set = setTimeout, clear = clearTimeout;
  let changed = now(), loaded = null;
  const mark = () => { changed = now(); };
  new MutationObserver(mark).observe(document, {subtree: true, childList: true, attributeFilter: ["href"]});
  addEventListener("load", () => { loaded = now(); mark(); });
  window.setTimeout = function (handler, delay, ...args) {
    if (typeof handler !== "function") return set.call(window, handler, delay, ...args);
    const id = set.call(window, function () { pending.delete(id); return handler.apply(this, arguments); },
      delay, ...args);
    pending.set(id, now() + Math.max(0, Number(delay) || 0));
    return id;
  };
  window.clearTimeout = function (id) { pending.delete(id); return clear.call(window, id); };
  Object.defineProperty(window, "__backlinksBusyFor", {value: (quiet, timers) => {
    const at = now(), horizon = (loaded === null ? at : loaded) + timers;
    let wait = changed + quiet - at;
    for (const due of pending.values()) if (due <= horizon) wait = Math.max(wait, Math.max(due - at, 0) + quiet);
    return Math.max(0, wait);
  }});
  const Serializer = XMLSerializer, serialize = Serializer.prototype.serializeToString;
  const outerHTML = Object.getOwnPropertyDescriptor(Element.prototype, "outerHTML").get;
  Object.defineProperty(window, "__backlinksContent", {value: () => {
    const doctype = document.doctype, root = document.documentElement;
    return (doctype ? serialize.call(new Serializer(), doctype) : "") + (root ? outerHTML.call(root) : "");
  }});
})();"""
# Leaves a rendered page inert for its next render, for much less than a navigation to about:blank
# costs: loads stopped, timers and animation frames cancelled, listeners and DOM dropped by
# document.open(). True when the document is empty; a page whose script broke this goes blank.
_STOP_PAGE = """() => {
  stop();
  for (let id = setTimeout(() => {}); id >= 0; id--) { clearTimeout(id); clearInterval(id); }
  for (let id = requestAnimationFrame(() => {}); id >= 0; id--) cancelAnimationFrame(id);
  document.open();
  document.close();
  return document.documentElement === null || document.documentElement.textContent === "";
}"""
# The document's markup, as Playwright's page.content() returns it (without the script Playwright
# injects into each document for that and for its waits, which costs a render a third more), and
# the page stopped at once: {html, stopped}.
_TAKE = f"""() => {{
  const doctype = document.doctype, root = document.documentElement;
  const html = window.__backlinksContent ? window.__backlinksContent()
    : (doctype ? new XMLSerializer().serializeToString(doctype) : "") + (root ? root.outerHTML : "");
  let stopped = false;
  try {{ stopped = ({_STOP_PAGE})(); }} catch (error) {{}}
  return {{html, stopped}};
}}"""
# One round trip a look at the page: {loaded, wait} while it is loading or not quiet yet (wait: ms
# still needed by the page clock, or ``busy``, the crawl's view of the page's requests), else what
# ``_TAKE`` returns.
_SETTLED = f"""([quiet, timers, busy]) => {{
  if (document.readyState !== "complete") return {{loaded: false, wait: 20}};
  const clock = window.__backlinksBusyFor ? window.__backlinksBusyFor(quiet, timers) : 0;
  const wait = Math.max(clock, busy);
  return wait > 0 ? {{loaded: true, wait}} : ({_TAKE})();
}}"""
# Seconds between two measures of the browser's memory.
_MEMORY_EVERY = 5.0
# How often the settle wait looks again while the page has requests in flight (seconds).
_TICK = 0.02
# One handler (one browser) per crawl, whatever the number of schemes it serves.
_HANDLERS: WeakKeyDictionary[Crawler, BrowserHandler] = WeakKeyDictionary()


async def _next_message() -> None:
    """What Playwright's pipe reader awaits between two messages from its driver, in place of
    ``wait_for_next_task``, which yields to the event loop until nothing else is ready, up to 100
    turns. A crawl's loop always has something ready, so each message cost a render 100 turns of
    parsing: on the benchmark's mixed web renders stood still for 3-4 s at a time, and under a page
    budget the crawl reached the script-built sites' pages a fifth as often as the static ones. The
    reader still yields whenever it has read all it was sent (``readexactly`` waits for more), and
    the reactions to a message (futures set, handler tasks started) run, in order, in the turn after
    its batch."""


playwright_transport.wait_for_next_task = _next_message


def render_mode(settings: BaseSettings) -> str:
    mode = str(settings.get("BACKLINKS_RENDER_MODE", "auto")).strip().lower()
    if mode not in MODES:
        raise UsageError(f"BACKLINKS_RENDER_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def render_drawing(settings: BaseSettings) -> str:
    drawing = str(settings.get("BACKLINKS_RENDER_DRAWING", "measured")).strip().lower()
    if drawing not in DRAWINGS:
        raise UsageError(f"BACKLINKS_RENDER_DRAWING must be one of {', '.join(DRAWINGS)}, not {drawing!r}")
    return drawing


def page_script(drawing: str) -> str:
    """What runs in each document before its own scripts: the page clock, and the style sheet of
    ``drawing``, adopted by the document (no element of the page's DOM, nothing it can read)."""
    style = DRAWINGS[drawing]
    if style is None:
        return _PAGE_CLOCK
    observed = _LAY_OUT_WHEN_OBSERVED % json.dumps(_HIDDEN) if drawing == "measured" else ""
    return _PAGE_CLOCK + _ADOPT_SHEET % {"style": json.dumps(style), "observed": observed}


def browser_args(settings: BaseSettings) -> list[str]:
    args = list(setting_list(settings, "BACKLINKS_RENDER_BROWSER_ARGS"))
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--no-sandbox" not in args:
        # Chromium refuses to start as root with its sandbox on.
        args.append("--no-sandbox")
    blocked = {kind.lower() for kind in setting_list(settings, "BACKLINKS_RENDER_BLOCKED_RESOURCES")}
    if "image" in blocked:
        # Blocked images are never even asked for: refusing each at the route cost the browser,
        # Playwright's driver and the crawl a round trip, a fifth of a render of a page with images.
        args = _with_value(args, "--blink-settings", _PLAYWRIGHT_BLINK_SETTINGS, "imagesEnabled=false")
    args = _with_value(args, "--enable-features", _PLAYWRIGHT_FEATURES, _SAME_FRAME, unless="RenderDocument")
    return [*args, *_FIXED_ARGS]


def _with_value(args: list[str], switch: str, default: str, value: str, unless: str | None = None) -> list[str]:
    """``args`` with ``value`` added to the list of the last ``switch`` in them, the only one
    Chromium reads (else to ``default``, Playwright's), unless that list names ``unless`` already."""
    prefix = f"{switch}="
    given = [arg for arg in args if arg.startswith(prefix)]
    values = given[-1].split("=", 1)[1] if given else default
    if unless is not None and unless in values:
        return args
    return [*(arg for arg in args if not arg.startswith(prefix)), f"{prefix}{values},{value}"]


def find_browser(candidates: list[str]) -> str | None:
    """The first of ``candidates`` (paths, or names on the PATH) that is an executable."""
    for candidate in candidates:
        if executable := shutil.which(candidate.strip()):
            return executable
    return None


class BrowserRendering:
    """Add-on: scrapy-playwright as the download handler, configured from ``BACKLINKS_RENDER_*``,
    when the mode is not ``never`` and the browser is there; ``off_reason`` says why not, and
    ``executable`` which browser it is."""

    def __init__(self) -> None:
        self.off_reason: str | None = None
        self.executable: str | None = None

    def update_settings(self, settings: BaseSettings) -> None:
        render_drawing(settings)  # a wrong value stops the crawl before it starts
        if render_mode(settings) == "never":
            self.off_reason = "BACKLINKS_RENDER_MODE is never"
            return
        candidates = setting_list(settings, "BACKLINKS_RENDER_BROWSER")
        executable = find_browser(candidates)
        if executable is None:
            places = ", ".join(map(repr, candidates)) or "none set"
            self.off_reason = f"no browser at {places}"
            logger.warning(
                "Rendering of JavaScript-built pages is off: no browser at %s. Install Chromium with"
                " `sudo apt-get install chromium-headless-shell` or set BACKLINKS_RENDER_BROWSER; the crawl goes"
                " on without it.",
                places,
            )
            return
        self.executable = executable
        for scheme in ("http", "https"):
            settings["DOWNLOAD_HANDLERS"].set(scheme, HANDLER, "addon")
        launch = {"executable_path": executable, "headless": True, "args": browser_args(settings)}
        pages = max(1, settings.getint("BACKLINKS_RENDER_MAX_PAGES"))
        idle = max(0, settings.getint("BACKLINKS_RENDER_IDLE_PAGES"))
        settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", "addon")
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", launch, "addon")
        settings.set("PLAYWRIGHT_MAX_CONTEXTS", 1, "addon")
        settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", pages + idle, "addon")
        settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", 1000 * _seconds(settings, "NAVIGATION_TIMEOUT"), "addon")


def _seconds(settings: BaseSettings, name: str) -> float:
    return max(0.1, settings.getfloat(f"BACKLINKS_RENDER_{name}"))


@dataclass(eq=False)
class _Render:
    """One page being rendered: where its document comes from and what its page is doing."""

    request: Request
    document: Response
    page: Page | None = None
    navigated: bool = False
    finished: bool = False
    stopped: bool = False
    in_flight: int = 0
    last_activity: float = field(default_factory=monotonic)


class BrowserHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, with every browser request answered from Python, a bound
    on pages at once, a time limit a render, a fallback to the plain page and browser restarts."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.crawler = crawler
        self.max_pages = max(1, settings.getint("BACKLINKS_RENDER_MAX_PAGES"))
        # Pages open at most: those rendering and those waiting for the next render of their host.
        self.max_open_pages = self.max_pages + max(0, settings.getint("BACKLINKS_RENDER_IDLE_PAGES"))
        self.render_timeout = _seconds(settings, "TIMEOUT")
        self.navigation_timeout = _seconds(settings, "NAVIGATION_TIMEOUT")
        self.settle_timeout = max(0.0, settings.getfloat("BACKLINKS_RENDER_SETTLE_TIMEOUT"))
        self.quiet = max(0.0, settings.getfloat("BACKLINKS_RENDER_QUIET"))
        self.timers = max(0.0, settings.getfloat("BACKLINKS_RENDER_TIMERS"))
        self.page_script = page_script(render_drawing(settings))
        self.blocked = frozenset(t.lower() for t in setting_list(settings, "BACKLINKS_RENDER_BLOCKED_RESOURCES"))
        self.restart_pages = settings.getint("BACKLINKS_RENDER_RESTART_PAGES")
        self.restart_memory = settings.getfloat("BACKLINKS_RENDER_RESTART_MEMORY") * 1024 * 1024
        self.user_agent = settings.get("USER_AGENT")
        self.max_redirects = settings.getint("REDIRECT_MAX_TIMES")
        self.subrequest_timeout = min(settings.getfloat("DOWNLOAD_TIMEOUT"), self.navigation_timeout)
        # The pages' own requests, from every render together, per registered domain as the downloader's.
        self._subrequests = DomainLimit(settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        self.context_kwargs = {"service_workers": "block", "accept_downloads": False}
        # A bound, never listening socket: a port on which every connection is refused.
        self._dead_end = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._dead_end.bind(("127.0.0.1", 0))
        self.config.launch_options["proxy"] = {"server": f"http://127.0.0.1:{self._dead_end.getsockname()[1]}"}
        self.broken: str | None = None
        self._renders: dict[Request, _Render] = {}
        # Pages of finished renders, blank, for the next renders; the render each page serves or
        # served last (whose route answers the page's requests).
        self._idle_pages: list[Page] = []
        self._page_renders: WeakKeyDictionary[Page, _Render] = WeakKeyDictionary()
        self._line = RenderLine(
            self.max_pages,
            ready=lambda: self._restart_due is None,
            idle_hosts=lambda: {_host(page.url) for page in self._idle_pages},
        )
        self._since_launch = 0
        self._restart_due: str | None = None
        self._memory_due = 0.0
        # Playwright starts with the first render, not with the crawl: most crawls render few pages or none.
        crawler.signals.disconnect(self._maybe_launch_in_thread, signal=signals.engine_started)
        self._started = asyncio.Lock()
        # scrapy-playwright logs each failed page with a traceback; render_failed() says it in one line.
        # It logs each browser request and response at DEBUG too, each after a round trip to
        # Playwright's driver for a header, whenever its logger lets DEBUG through (Scrapy leaves
        # that to its handler's level): its logger gets the crawl's level.
        playwright_logger = logging.getLogger("scrapy-playwright")
        playwright_logger.addFilter(_QuietPageFailures())
        level = settings.get("LOG_LEVEL") or "DEBUG"
        playwright_logger.setLevel(level.upper() if isinstance(level, str) else level)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserHandler:
        if crawler not in _HANDLERS:
            _HANDLERS[crawler] = cls(crawler)
        return _HANDLERS[crawler]

    async def close(self) -> None:
        if self._dead_end.fileno() == -1:
            return
        self._dead_end.close()
        await super().close()

    # --- one render ------------------------------------------------------------------

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        document = request.meta.pop(META_DOCUMENT, None) or await self._document(request)
        content_type = content_type_of(document)
        if self.broken or document.status != 200 or not is_html(content_type, document.body):
            return document
        render = _Render(request, document)
        try:
            async with self._started:
                if getattr(self, "browser_provider", None) is None:
                    await self._launch()
        except Exception as error:  # noqa: BLE001 - no Playwright, no rendering: the crawl goes on without
            self._render_failed(request, error, fatal=True)
            return document
        async with self._page_slot(request.url):
            if self.broken:
                return document
            started = monotonic()
            self._renders[request] = render
            render.page = await self._idle_page(request.url)
            request.meta.setdefault("playwright_context_kwargs", self.context_kwargs)
            rendered = False
            try:
                response = await asyncio.wait_for(super().download_request(request), self.render_timeout)
                rendered = True
            except Exception as error:  # noqa: BLE001 - whatever broke the render, the page is kept as fetched
                self._render_failed(request, error)
                return document
            finally:
                spent = (self.stats.get_value("backlinks/render/seconds") or 0) + monotonic() - started
                self.stats.set_value("backlinks/render/seconds", round(spent, 3))
                self._renders.pop(request, None)
                await self._release_page(render, reusable=rendered)
        self.stats.inc_value("backlinks/render/pages")
        request.meta[META_DOCUMENT] = document
        return response

    async def _download_request_with_retry(self, request: Request, spider: Spider) -> Response:
        """The render in a page: an idle one, or a new one, set up once (the page clock, and
        ``_serve`` answering its every request for whichever render it serves). scrapy-playwright's
        own version routes the page again for each render, to a handler that ours shadows."""
        render = self._renders[request]
        if render.page is None or render.page.is_closed():
            render.page = await self._create_page(request=request, spider=spider)
            # scrapy-playwright counts the page's requests and responses by kind: the driver then
            # sends the crawl an event for each, which the crawl's own stats make redundant.
            render.page.remove_listener("request", self._increment_request_stats)
            render.page.remove_listener("response", self._increment_response_stats)
        page = render.page
        if self._page_renders.get(page) is None:
            await page.add_init_script(self.page_script)
            await page.route("**", partial(self._serve, page))
        render.navigated = False
        self._page_renders[page] = render
        return await self._download_request_with_page(request, page, spider)

    async def _download_request_with_page(self, request: Request, page: Page, spider: Spider) -> Response:
        """The page rendered: its document (the one fetched) loaded, the page settled, its markup
        as the response, under the fetched document's headers."""
        render = self._renders[request]
        await page.goto(request.url, wait_until="commit")
        html, render.stopped = await self._settle(page, render)
        headers = render.document.headers.copy()
        for name in ("Content-Encoding", "Content-Length"):
            headers.pop(name, None)
        body = html.encode("utf-8")
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return respcls(
            url=request.url, headers=headers, body=body, request=request, flags=["playwright"], encoding="utf-8"
        )

    async def _settle(self, page: Page, render: _Render) -> tuple[str, bool]:
        """Wait until the document is loaded (for at most the navigation timeout), then until it
        is quiet: no request in flight, ``quiet`` seconds since the last request and the last DOM
        change, no timer pending that is due within ``timers`` seconds of load (links fetched or
        added late); for at most ``settle_timeout`` seconds. The page's markup then, and whether
        the page was stopped with it (``_TAKE``).

        Playwright's own load states stall when a script starts a navigation that is then
        cancelled, so the wait watches the document, this page's requests and its DOM itself.
        Each look at the page is one round trip, which takes the markup as soon as the page is
        quiet: the page is looked at when its requests are quiet, and, until it is known to be
        loaded, every ``quiet`` seconds whatever its requests do.
        """
        loaded, deadline = False, monotonic() + self.navigation_timeout
        look_by = monotonic() + self.quiet
        while (left := deadline - monotonic()) > 0:
            busy = _TICK if render.in_flight else self.quiet - (monotonic() - render.last_activity)
            if busy > 0 and (loaded or monotonic() < look_by):
                wait = busy if loaded else min(busy, look_by - monotonic())
            else:
                look_by = monotonic() + self.quiet
                look = page.evaluate(_SETTLED, [1000 * self.quiet, 1000 * self.timers, 1000 * max(busy, 0)])
                try:  # a script that never yields holds the look up: the deadline stands
                    state = await asyncio.wait_for(look, left)
                except PlaywrightError:
                    state = {"loaded": loaded, "wait": 0}
                if "html" in state:
                    return str(state["html"]), bool(state["stopped"])
                if state["loaded"] and not loaded:
                    loaded, deadline = True, monotonic() + self.settle_timeout
                wait = state["wait"] / 1000
            await asyncio.sleep(min(max(wait, _TICK), left))
        if not loaded:
            raise TimeoutError(f"the page did not load within {self.navigation_timeout:g} s")
        state = await page.evaluate(_TAKE)
        return str(state["html"]), bool(state["stopped"])

    def _render_failed(self, request: Request, error: BaseException, fatal: bool = False) -> None:
        kind = type(error).__name__
        message = str(error).strip().splitlines()[0] if str(error).strip() else kind
        if (fatal or "BrowserType.launch" in message) and not self.broken:
            self.broken = message
            self.stats.set_value("backlinks/render/off", f"the browser did not start: {message}")
            logger.warning("Rendering of JavaScript-built pages is off: the browser did not start (%s)", message)
            return
        self.stats.inc_value("backlinks/render/failed")
        self.stats.inc_value(f"backlinks/render/failed/{kind}")
        logger.info("Rendering %s failed (%s): the page is kept as fetched", request.url, message)

    async def _idle_page(self, url: str) -> Page | None:
        """A page of a finished render for the next one: one that last showed the same host (it
        keeps its renderer process, which a page of another site must start anew), else none while
        fewer than ``max_open_pages`` are open (a new page comes), else the one idle the longest of
        those whose host no waiting render has (else of all). Its inert document is still there:
        going to its own URL again (but for the fragment) would load nothing, so that page goes
        blank first."""
        self._idle_pages = [page for page in self._idle_pages if not page.is_closed()]
        host = _host(url)
        same = [index for index, page in enumerate(self._idle_pages) if _host(page.url) == host]
        # Each render under way (this one included) holds a page, and no other page is open.
        if not same and len(self._idle_pages) + self._line.active <= self.max_open_pages:
            return None
        while self._idle_pages:
            same_host = bool(same)
            page = self._idle_pages.pop(same.pop() if same else self._least_wanted())
            if page.url.split("#", 1)[0] == url.split("#", 1)[0]:
                try:
                    await asyncio.wait_for(page.goto("about:blank"), 5)
                except Exception:  # noqa: BLE001 - a page that cannot even go blank is not used again
                    await self._close_page(page)
                    continue
            if same_host:
                self.stats.inc_value("backlinks/render/same_host_tab")
            return page
        return None

    def _least_wanted(self) -> int:
        """Which idle page to take for another host: the first whose host no render waits for."""
        wanted = self._line.waiting_hosts
        return next((i for i, page in enumerate(self._idle_pages) if _host(page.url) not in wanted), 0)

    async def _release_page(self, render: _Render, reusable: bool) -> None:
        """Keep the page of a render that went well for the next one, its document stopped when its
        markup was taken (a new tab costs the browser a renderer process more than a navigation
        does, and a navigation to about:blank more than stopping the page); close any other."""
        page, render.page, render.finished = render.page, None, True
        if page is None or page.is_closed():
            return
        if reusable and self._restart_due is None:
            with suppress(Exception):
                if not render.stopped:  # its script broke what stops it (or an XML document)
                    await asyncio.wait_for(page.goto("about:blank"), 5)
                self._idle_pages.append(page)
                return
        await self._close_page(page)

    async def _close_page(self, page: Page) -> None:
        try:
            await asyncio.wait_for(page.close(), 5)
        except Exception as error:  # noqa: BLE001 - a page that will not close calls for a new browser
            self._restart_due = self._restart_due or f"a page that would not close ({type(error).__name__})"

    # --- every request of the page ---------------------------------------------------

    async def _serve(self, page: Page, route: Route, request: BrowserRequest) -> None:
        render = self._page_renders[page]
        render.in_flight += 1
        render.last_activity = monotonic()
        try:
            await self._answer(render, route, request)
        except Exception as error:  # noqa: BLE001 - never leave a browser request unanswered: refuse it
            logger.debug("Browser request %s failed: %r", request.url, error)
            with suppress(Exception):
                await route.abort("failed")
        finally:
            render.in_flight -= 1
            render.last_activity = monotonic()

    async def _answer(self, render: _Render, route: Route, request: BrowserRequest) -> None:
        if render.finished:
            # Whatever a page still asks for once its render is over goes nowhere.
            self._blocked("after_render")
            await route.abort("blockedbyclient")
            return
        if request.url.split(":", 1)[0].lower() in _LOCAL_SCHEMES:
            await route.continue_()
            return
        if request.is_navigation_request():
            frame = request.frame
            if frame.parent_frame is not None:
                self._blocked("frame")
                await route.abort("blockedbyclient")
            elif render.navigated:
                # Later navigations (script redirects, reload loops) do not leave the page;
                # 204 No Content is the answer that cancels a navigation without an error page.
                self._blocked("navigation")
                await route.fulfill(status=204, body=b"")
            else:
                render.navigated = True
                await route.fulfill(**_fulfilment(render.document))
            return
        if request.resource_type in self.blocked:
            self._blocked(request.resource_type)
            await route.abort("blockedbyclient")
            return
        response = await self._subresource(request)
        if response is None:
            await route.abort("blockedbyclient")
        else:
            await route.fulfill(**_fulfilment(response))

    def _blocked(self, kind: str) -> None:
        self.stats.inc_value(f"backlinks/render/blocked/{kind}")

    async def _document(self, request: Request) -> Response:
        """The page as a plain request gets it, before any browser is involved.

        The request has been through every downloader middleware already (guard, robots,
        proxy). A redirect, an error or a body that is not HTML is not rendered: it goes back
        as it is, and Scrapy handles it as any plain response (redirects followed, with checks).
        """
        plain = request.copy()
        plain.meta.pop("playwright", None)
        return (await self._fetch(plain)).replace(request=request)

    async def _subresource(self, browser_request: BrowserRequest) -> Response | None:
        """Fetch what the page asked for, as the crawler fetches pages; None when refused."""
        headers = {
            name: value
            for name, value in (await browser_request.all_headers()).items()
            if not name.startswith(":") and name.lower() not in _HOP_BY_HOP and name.lower() != "user-agent"
        }
        headers["User-Agent"] = self.user_agent
        request = Request(
            browser_request.url,
            method=browser_request.method,
            headers=headers,
            body=browser_request.post_data_buffer or b"",
            meta={"download_timeout": self.subrequest_timeout},
            dont_filter=True,
        )
        for _ in range(self.max_redirects + 1):
            if not await self._allowed(request):
                self.stats.inc_value("backlinks/render/refused")
                return None
            async with self._subrequests.room(request.url):
                response = await self._fetch(request)
            self.stats.inc_value("backlinks/render/subrequests")
            location = response.headers.get("Location")
            if response.status not in _REDIRECTS or not location:
                return response
            request = _redirected(request, response.status, urljoin(request.url, location.decode("latin-1")))
        return None

    async def _allowed(self, request: Request) -> bool:
        """The crawl's own private-network guard and robots.txt rules, as for a page request."""
        if request.url.split(":", 1)[0].lower() not in ("http", "https"):
            return False
        try:
            guard = self.crawler.get_downloader_middleware(PrivateNetworkGuard)
            if guard is not None:
                await guard.process_request(request)
            robots = self.crawler.get_downloader_middleware(RobotsTxtMiddleware)
            if robots is not None:
                await asyncio.wait_for(robots.process_request(request), self.navigation_timeout)
        except (TimeoutError, IgnoreRequest):
            return False
        return True

    async def _fetch(self, request: Request) -> Response:
        """Scrapy's HTTP download with the operator's proxy, decompressed under the size caps."""
        proxy = self.crawler.get_downloader_middleware(HttpProxyMiddleware)
        compression = self.crawler.get_downloader_middleware(HttpCompressionMiddleware)
        if proxy is not None and "proxy" not in request.meta:
            proxy.process_request(request)
        if compression is not None:
            compression.process_request(request)
        response = await super().download_request(request)
        if compression is not None:
            decoded = compression.process_response(request, response)
            assert isinstance(decoded, Response)
            response = decoded
        return response

    # --- pages at once, and restarting the browser ------------------------------------

    @asynccontextmanager
    async def _page_slot(self, url: str) -> AsyncIterator[None]:
        """At most ``max_pages`` renders at once, in line (``RenderLine``); none starts while a
        restart is due."""
        await self._line.enter(_host(url))
        try:
            yield
        finally:
            # Measuring the browser's memory reads /proc for each of its processes (tens of ms):
            # in a thread, and once every few seconds, not after every page.
            used = 0
            if self.restart_memory > 0 and monotonic() >= self._memory_due:
                self._memory_due = monotonic() + _MEMORY_EVERY
                used = await asyncio.to_thread(browser_memory)
            self._since_launch += 1
            self._restart_due = self._restart_due or self._restart_reason(used)
            if self._restart_due is not None and self._line.active == 1:  # the last render under way
                await self._restart_browser(self._restart_due)
                self._restart_due = None
            self._line.leave()

    def _restart_reason(self, used: int | None = None) -> str | None:
        """Why the browser should restart now; ``used`` is its memory when measured already
        (0: not measured this time, None: measure it here)."""
        if self.restart_pages > 0 and self._since_launch >= self.restart_pages:
            return f"{self._since_launch} pages"
        if self.restart_memory > 0:
            used = browser_memory() if used is None else used
            if not used:
                return None
            mib = round(used / 1024 / 1024)
            self.stats.max_value("backlinks/render/browser_memory_mib", mib)
            if used > self.restart_memory:
                return f"its processes grew to {mib} MiB"
        return None

    async def _restart_browser(self, reason: str) -> None:
        self._since_launch = 0
        browser = getattr(self, "browser", None)
        if browser is None:
            return
        logger.info("Restarting the browser after %s", reason)
        self.stats.inc_value("backlinks/render/browser_restarts")
        self._idle_pages.clear()
        with suppress(Exception):
            await asyncio.wait_for(browser.close(), 10)
        # scrapy-playwright's disconnect callback closes the contexts and forgets the browser;
        # the next render launches a new one.
        for _ in range(100):
            if not hasattr(self, "browser"):
                return
            await asyncio.sleep(0.05)
        self.context_wrappers.clear()
        with suppress(AttributeError):
            del self.browser


def _host(url: str) -> str:
    """The host (and port) a tab is matched by: the next page of a host renders in its last tab."""
    return urlsplit(url).netloc


def _redirected(request: Request, status: int, url: str) -> Request:
    """The next hop, as Scrapy's RedirectMiddleware builds it: the proxy is chosen again for
    the new URL, credentials do not follow to another host, 303 (and POST on 301/302) turn GET."""
    headers = request.headers.copy()
    headers.pop("Proxy-Authorization", None)
    if urlsplit(url).netloc != urlsplit(request.url).netloc:
        headers.pop("Cookie", None)
        headers.pop("Authorization", None)
    method, body = request.method, request.body
    if status == 303 or (status in (301, 302) and method == "POST"):
        method, body = "GET", b""
        headers.pop("Content-Type", None)
    meta = {"download_timeout": request.meta.get("download_timeout")}
    return Request(url, method=method, headers=headers, body=body, meta=meta, dont_filter=True)


def _fulfilment(response: Response) -> dict[str, Any]:
    headers = {
        name.decode("latin-1"): ", ".join(value.decode("latin-1") for value in values)
        for name, values in response.headers.items()
        if name.decode("latin-1").lower() not in _HOP_BY_HOP
    }
    return {"status": response.status, "headers": headers, "body": response.body}


def browser_memory(root: int | None = None) -> int:
    """Bytes used by the processes this one started (the Playwright driver and the browser),
    proportional set size where the kernel reports it; 0 where /proc is not available."""
    root = os.getpid() if root is None else root
    return memory_bytes(process for process in process_tree(root) if process != root)


class _QuietPageFailures(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Closing page due to failed request")

"""RenderDecider: which pages go through the browser, and the pure heuristic that tells a page
built by script from one whose links are in its HTML. Driving the browser is ``browser.py``'s job.

Modes (``BACKLINKS_RENDER_MODE``): ``never`` renders nothing, ``always`` renders every page,
``auto`` (default) fetches each page plainly and renders it only when its HTML looks script-built.
A page looks script-built when any of these holds (thresholds are ``BACKLINKS_RENDER_*`` settings):

- ``app_root``: an application root (``#root``, ``#app``, ``#__next``, ``#__nuxt``, ``app-root``,
  ``[ng-app]`` ...) is empty: no link, and under 20 characters of text once the ``{{ ... }}``
  placeholders of client-side templates are left out;
- ``cloak``: an element carries ``v-cloak`` or ``ng-cloak``, which exist only to hide templates
  until a script compiles them;
- ``noscript``: a ``<noscript>`` talks about JavaScript ("please enable JavaScript") and the page
  shows less than ``MIN_TEXT`` characters of text;
- ``scripts``: less than ``MIN_TEXT`` characters of text and fewer than ``MIN_LINKS`` links, but
  scripts: ``SCRIPT_FILES`` external ones or ``SCRIPT_CHARS`` characters inline;
- ``few_links``: a page of at least ``LARGE_PAGE`` characters with fewer than ``LINKS_PER_KIB``
  links per KiB of HTML (an inlined bundle and data, not a document).

Such a page is rendered from the HTML already fetched (no second request to the site), and its
rendered links are compared with the raw ones. A host where rendering found links the raw HTML
lacked has its pages rendered without being judged from then on; a host whose ``FUTILE_RENDERS`` renders found nothing
new is not rendered again (verdicts kept for the last ``HOST_VERDICTS`` hosts; one forgotten is
reached again). Rendered or not, the spider extracts a page's links the same way.
``judge`` reaches the verdict ``script_built(page_signals(...))`` would, measuring only what it needs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

from scrapy import Request, signals
from scrapy.core.scraper import Slot
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.httpobj import urlparse_cached
from selectolax.lexbor import LexborHTMLParser, LexborNode

from backlink_spider.browser import META_DOCUMENT, BrowserRendering, render_mode
from backlink_spider.content import content_type_of
from backlink_spider.extraction import Page, browser_encoding, extract_page, parse_html

logger = logging.getLogger(__name__)

APP_ROOTS = (
    "#root, #app, #__next, #__nuxt, #___gatsby, #svelte, #react-root, app-root, "
    "[ng-app], [data-ng-app], [ng-version], [data-reactroot]"
)
CLOAKS = "[v-cloak], [ng-cloak], [data-ng-cloak], .ng-cloak"
# Text an empty application root may still hold (a spinner's "Loading...").
EMPTY_ROOT_CHARS = 20
# Hosts whose verdict (and count of futile renders) is kept: bounds a long crawl's memory.
HOST_VERDICTS = 65_536
_INVISIBLE = ["script", "style", "noscript", "template", "svg"]
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_JAVASCRIPT = re.compile(r"javascript", re.IGNORECASE)
# What the raw HTML, ASCII-lowercased as HTML names are, must contain for each rule to have a
# chance (supersets): most static pages hold none and are judged without a parse. An id (or class)
# with a character reference in it could name a root (or a cloak) once decoded.
_ROOT_TOKENS = (b"<app-root", b"ng-app", b"ng-version", b"data-reactroot")
_ROOT_IDS = (
    re.compile(rb"""id\s*=\s*["']?(?:root|app|__next|__nuxt|___gatsby|svelte|react-root)(?:["'\s>/]|$)"""),
    re.compile(rb"""id\s*=\s*(?:"[^"]*&|'[^']*&|[^\s>]*&)"""),
)
_CLOAK_CLASS = re.compile(rb"""class\s*=\s*(?:"[^"]*&|'[^']*&|[^\s>]*&)""")


@dataclass(frozen=True)
class Thresholds:
    """The numbers of the heuristic; ``from_settings`` reads the ``BACKLINKS_RENDER_*`` settings."""

    min_text: int = 500
    min_links: int = 5
    script_files: int = 1
    script_chars: int = 20_000
    large_page: int = 32_768
    links_per_kib: float = 0.1

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Thresholds:
        return cls(
            min_text=settings.getint("BACKLINKS_RENDER_MIN_TEXT", cls.min_text),
            min_links=settings.getint("BACKLINKS_RENDER_MIN_LINKS", cls.min_links),
            script_files=settings.getint("BACKLINKS_RENDER_SCRIPT_FILES", cls.script_files),
            script_chars=settings.getint("BACKLINKS_RENDER_SCRIPT_CHARS", cls.script_chars),
            large_page=settings.getint("BACKLINKS_RENDER_LARGE_PAGE", cls.large_page),
            links_per_kib=settings.getfloat("BACKLINKS_RENDER_LINKS_PER_KIB", cls.links_per_kib),
        )


@dataclass(frozen=True)
class PageSignals:
    """What one parse of a page's raw HTML tells about how it is built."""

    html_chars: int
    text_chars: int
    links: int
    script_files: int
    inline_script_chars: int
    empty_root: str | None
    cloaked: bool
    noscript_asks_for_javascript: bool


def _scripts(tree: LexborHTMLParser) -> tuple[int, int]:
    """External scripts, and characters of inline script (JSON-LD data is no script)."""
    files = inline = 0
    for script in tree.css("script"):
        if script.attributes.get("src"):
            files += 1
        elif (script.attributes.get("type") or "").strip().lower() != "application/ld+json":
            inline += len(script.text(deep=True))
    return files, inline


def page_signals(html: str, url: str = "http://localhost/") -> PageSignals:
    """Measure ``html`` (a page as served at ``url``, before any script ran)."""
    links = link_count(extract_page(html, url))
    tree = parse_html(html)
    script_files, inline = _scripts(tree)
    asks = any(_JAVASCRIPT.search(node.text(deep=True, separator=" ")) for node in tree.css("noscript"))
    cloaked = tree.css_first(CLOAKS) is not None
    tree.strip_tags(_INVISIBLE)
    body = tree.body
    text = _visible_text(body) if body is not None else ""
    return PageSignals(
        html_chars=len(html),
        text_chars=len(text),
        links=links,
        script_files=script_files,
        inline_script_chars=inline,
        empty_root=next((_describe(root) for root in tree.css(APP_ROOTS) if _is_empty(root)), None),
        cloaked=cloaked,
        noscript_asks_for_javascript=asks,
    )


def script_built(signals: PageSignals, thresholds: Thresholds) -> str | None:
    """Why the page looks built by script (``app_root``, ``cloak``, ``noscript``, ``scripts``,
    ``few_links``), or None when its HTML looks like the page itself."""
    text_light = signals.text_chars < thresholds.min_text
    if signals.empty_root is not None:
        return "app_root"
    if signals.cloaked:
        return "cloak"
    if text_light and signals.noscript_asks_for_javascript:
        return "noscript"
    scripted = signals.script_files >= thresholds.script_files or signals.inline_script_chars >= thresholds.script_chars
    if text_light and signals.links < thresholds.min_links and scripted:
        return "scripts"
    sparse = signals.links < thresholds.links_per_kib * signals.html_chars / 1024
    # A page without a script has no script to add links: however few it has, they are all.
    if signals.html_chars >= thresholds.large_page and sparse and (signals.script_files or signals.inline_script_chars):
        return "few_links"
    return None


def judge(html: str, thresholds: Thresholds, links: int) -> str | None:
    """``script_built(page_signals(html), thresholds)``, given ``links`` (``link_count`` of the
    page's extraction, which the spider makes anyway), measuring only what the verdict needs: no
    parse when the raw HTML holds nothing a rule looks for, and no visible text unless a rule asks
    whether the page is text-light."""
    raw = html.encode("utf-8", "replace").lower()
    maybe_root = any(token in raw for token in _ROOT_TOKENS) or any(ids.search(raw) for ids in _ROOT_IDS)
    maybe_cloak = b"cloak" in raw or _CLOAK_CLASS.search(raw) is not None
    maybe_noscript = b"<noscript" in raw
    # The scripts rule needs few links: with enough, the page's scripts need not be measured.
    may_script = links < thresholds.min_links and (
        thresholds.script_files <= 0 or thresholds.script_chars <= 0 or b"<script" in raw
    )
    sparse = (
        len(html) >= thresholds.large_page and links < thresholds.links_per_kib * len(html) / 1024 and b"<script" in raw
    )
    if not (maybe_root or maybe_cloak or maybe_noscript or may_script or sparse):
        return None
    tree = parse_html(html)
    # What page_signals measures before it strips the invisible elements, when a rule needs it.
    cloaked = maybe_cloak and tree.css_first(CLOAKS) is not None
    asks = maybe_noscript and any(_JAVASCRIPT.search(n.text(deep=True, separator=" ")) for n in tree.css("noscript"))
    files, inline = _scripts(tree) if may_script or sparse else (0, 0)
    scripted = may_script and (files >= thresholds.script_files or inline >= thresholds.script_chars)
    sparse = sparse and bool(files or inline)
    tree.strip_tags(_INVISIBLE)
    if maybe_root and any(_is_empty(root) for root in tree.css(APP_ROOTS)):
        return "app_root"
    if cloaked:
        return "cloak"
    if asks or scripted:
        body = tree.body
        text_light = len(_visible_text(body) if body is not None else "") < thresholds.min_text
        if text_light and asks:
            return "noscript"
        if text_light and scripted:
            return "scripts"
    return "few_links" if sparse else None


def link_count(page: Page) -> int:
    """A page's links as the heuristic counts them: those the spider follows (http(s), not the
    page itself), but for the ``{{ ... }}`` placeholders of client-side templates."""
    return sum(1 for link in page.links if "{{" not in link.url)


def extract_response(response: Response) -> Page:
    """The spider's extraction of ``response``: its links with every field, read lazily."""
    robots = [value.decode("latin-1") for value in response.headers.getlist("X-Robots-Tag")]
    content_type = content_type_of(response)
    text = isinstance(response, TextResponse)
    html = page_text(response) if text else response.body
    links = [value.decode("latin-1") for value in response.headers.getlist("Link")]
    return extract_page(html, response.url, robots, content_type, links, page_encoding(response) if text else None)


def page_encoding(response: TextResponse) -> str:
    """The encoding browsers read a page in: Scrapy's ``response.encoding`` but where they
    differ (``extraction.browser_encoding``)."""
    return browser_encoding(response.encoding, response.body, content_type_of(response)) or response.encoding


def page_text(response: TextResponse) -> str:
    """A page's text as browsers decode it: Scrapy's ``response.text`` but where they differ
    (``extraction.browser_encoding``)."""
    encoding = page_encoding(response)
    return response.text if encoding == response.encoding else response.body.decode(encoding, "replace")


def forget_text(response: Response) -> None:
    """Drop the decoded copy of a page's body that Scrapy keeps once ``response.text`` is read (by
    its meta-refresh check and by ``extract_response``), as large again as the body: the scraper
    holds each page until all it gave has gone through the pipelines, dozens of pages when the
    database falls behind. Read again, the body is decoded again."""
    if isinstance(response, TextResponse):
        response._cached_ubody = None  # Scrapy's cache of .text, refilled when read again


def _real_href(href: str) -> bool:
    href = href.strip()
    return bool(href) and not href.startswith("#") and not href.lower().startswith("javascript:") and "{{" not in href


def _visible_text(node: LexborNode) -> str:
    return " ".join(_PLACEHOLDER.sub(" ", node.text(deep=True, separator=" ")).split())


def _is_empty(root: LexborNode) -> bool:
    if any(_real_href(link.attributes.get("href") or "") for link in root.css("a[href]")):
        return False
    return len(_visible_text(root)) < EMPTY_ROOT_CHARS


def _describe(node: LexborNode) -> str:
    return f"{node.tag}#{node.id}" if node.id else node.tag or "?"


def was_rendered(response: Response) -> bool:
    """True when ``response`` is a page's DOM after the browser ran its scripts."""
    return "playwright" in response.flags


class HostState(Enum):
    RENDER = "render"
    PLAIN = "plain"


class RenderDecider:
    """Decides per page whether the browser renders it (``BACKLINKS_RENDER_MODE``), renders it,
    and judges what each render found. The spider asks it for each page it parses (``page``).

    A page is always fetched plainly first, by the downloader, under the crawl's politeness and
    budgets; the render happens after, through the download handler, from the HTML fetched (no
    second request for the page). So a page waiting for the browser holds none of the
    downloader's slots (``CONCURRENT_REQUESTS``): when renders held them, a crawl with many
    script-built pages had its plain pages wait behind renders waiting for a browser page. Nor,
    within ``BACKLINKS_RENDER_WAITING_SIZE``, does it hold room in Scrapy's scraper (``_set_aside``).
    """

    def __init__(self, crawler: Crawler, mode: str) -> None:
        self.crawler = crawler
        self.mode = mode
        # Whether the browser is there is the BrowserRendering add-on's verdict, read when the crawl opens.
        self.off_reason: str | None = "the crawl has not opened yet"
        self.thresholds = Thresholds.from_settings(crawler.settings)
        self.futile_limit = crawler.settings.getint("BACKLINKS_RENDER_FUTILE_RENDERS", 3)
        self.waiting_room = crawler.settings.getint("BACKLINKS_RENDER_WAITING_SIZE", 5_000_000)
        self.waiting = 0
        # Verdicts of the hosts rendered lately: one forgotten is judged again.
        self.hosts: LocalCache[str, HostState] = LocalCache(limit=HOST_VERDICTS)
        self.futile: LocalCache[str, int] = LocalCache(limit=HOST_VERDICTS)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderDecider:
        """Built with the spider, before the crawl's stats and add-ons exist: they are looked up later."""
        return cls(crawler, render_mode(crawler.settings))

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def spider_opened(self) -> None:
        addon = self.crawler.get_addon(BrowserRendering)
        self.off_reason = "the BrowserRendering add-on is not enabled" if addon is None else addon.off_reason
        self.stats.set_value("backlinks/render/mode", self.mode)
        if self.off_reason is not None:
            self.stats.set_value("backlinks/render/off", self.off_reason)
        elif addon is not None and addon.executable is not None:
            self.stats.set_value("backlinks/render/browser", addon.executable)

    async def page(self, response: Response) -> tuple[Response, Page]:
        """The page as the spider should read it, and its extraction: ``response`` rendered when
        the mode, its host's verdict or its HTML calls for it, else (or when the render fails)
        ``response`` itself. Each version of the page is extracted once, for the spider and the
        verdict alike."""
        page = extract_response(response)
        if self.off_reason is not None or response.status != 200 or not isinstance(response, TextResponse):
            return response, page
        request = response.request
        if request is None or was_rendered(response):
            return response, page
        state = self.hosts.get(_host(request))
        if self.mode == "always" or state is HostState.RENDER:
            self.stats.inc_value("backlinks/render/direct")
            return await self.render(request, response, page)
        if self.mode != "auto" or state is HostState.PLAIN:
            return response, page
        reason = judge(page_text(response), self.thresholds, link_count(page))
        self.stats.inc_value(f"backlinks/render/judged/{reason or 'static'}")
        if reason is None:
            return response, page
        return await self.render(request, response, page)

    async def render(self, request: Request, response: Response, page: Page) -> tuple[Response, Page]:
        """Render the page from ``response``, the HTML already fetched (``page``, its extraction);
        ``response`` and ``page`` if that fails."""
        assert self.crawler.engine is not None
        request.meta["playwright"] = True
        request.meta[META_DOCUMENT] = response
        try:
            with self._set_aside(response):
                rendered = await self.crawler.engine.downloader.handlers.download_request_async(request)
        except Exception as error:  # noqa: BLE001 - a page that cannot be rendered is kept as fetched
            logger.info("Rendering %s failed (%s): the page is kept as fetched", request.url, error)
            rendered = response
        request.meta.pop(META_DOCUMENT, None)
        request.meta.pop("playwright", None)
        if not was_rendered(rendered):
            return response, page
        rendered_page = extract_response(rendered)
        self.judge(request, page, rendered_page)
        return rendered, rendered_page

    @contextmanager
    def _set_aside(self, response: Response) -> Iterator[None]:
        """While ``response`` waits for the browser and is rendered, Scrapy's scraper does not
        count it toward ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``, within ``BACKLINKS_RENDER_WAITING_SIZE``
        bytes of such pages: the engine stops downloading when its scraper holds that many bytes
        of pages, and renders waiting for one of the browser's pages would otherwise stop the
        plain pages too. Beyond that room, a page waits as any other."""
        engine = self.crawler.engine
        assert engine is not None
        slot = engine.scraper.slot
        size = max(len(response.body), Slot.MIN_RESPONSE_SIZE)
        if slot is None or self.waiting + size > self.waiting_room:
            yield
            return
        slot.active_size -= size
        self.waiting += size
        if engine._slot is not None:
            engine._slot.nextcall.schedule()  # the engine may download again now: tell it
        try:
            yield
        finally:
            slot.active_size += size
            self.waiting -= size

    def judge(self, request: Request, fetched: Page, rendered: Page) -> None:
        """Count the links the render found that the fetched HTML lacked; remember the host's verdict."""
        new = {link.url for link in rendered.links} - {link.url for link in fetched.links}
        host = _host(request)
        if new:
            self.stats.inc_value("backlinks/render/new_links_pages")
            self.stats.inc_value("backlinks/render/new_links", len(new))
            if self.mode == "auto" and self.hosts.get(host) is not HostState.RENDER:
                self.hosts[host] = HostState.RENDER
                self.stats.inc_value("backlinks/render/hosts_rendered")
                logger.info("Rendering every page of %s from now on: its links are built by script", host)
        elif self.mode == "auto" and host not in self.hosts:
            self.futile[host] = futile = self.futile.get(host, 0) + 1
            if futile >= self.futile_limit:
                self.hosts[host] = HostState.PLAIN
                self.stats.inc_value("backlinks/render/hosts_plain")
                logger.info("Not rendering %s any more: %d renders found no new link", host, futile)


def _host(request: Request) -> str:
    return (urlparse_cached(request).hostname or "").lower()

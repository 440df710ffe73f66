"""The ``backlinks`` spider: crawl outward from seeds, parse each page once, yield the
links that point at a target and follow the rest within the frontier's budgets.

All logic lives in pure modules (extraction, targets, anchors, frontier); this class
wires them to Scrapy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_meta_refresh
from twisted.python.failure import Failure

from backlink_spider.arguments import CrawlArguments
from backlink_spider.budget import STAT_COUNTED
from backlink_spider.directives import Rel
from backlink_spider.distributed import claim_seeds, seeds_pushed
from backlink_spider.domains import domain_of, unicode_host
from backlink_spider.downloader import StoppedBeforeFetch
from backlink_spider.extraction import Link, Page, request_url
from backlink_spider.frontier import Frontier, strip_session_ids
from backlink_spider.items import Backlink, PageRecord, backlink_of
from backlink_spider.monitoring import STAT_GONE, STAT_LEFT
from backlink_spider.outlinks import domain_outlinks
from backlink_spider.quality import PLACEMENT_WEIGHTS
from backlink_spider.redirects import (
    FIRST_LINK,
    HOPS,
    MAX_HOPS,
    REDIRECT_STATUSES,
    SHORTENERS,
    VIA,
    Redirects,
    Via,
)
from backlink_spider.rendering import RenderDecider, forget_text, was_rendered
from backlink_spider.scheduler import META_KEY as FRONTIER_ID
from backlink_spider.seedlists import seed_priority
from backlink_spider.seen import MEMORY
from backlink_spider.settingcheck import setting_list
from backlink_spider.signals import frontier_restored, request_finished
from backlink_spider.targets import TargetMatcher

# A page that answers one of these is gone, and so are the links it had (Ahrefs, Majestic and
# Moz count them lost); any other failure (a timeout, a 5xx, a 403) may pass, and keeps them.
GONE_STATUSES = frozenset({404, 410})


class BacklinksSpider(scrapy.Spider):
    name = "backlinks"

    def __init__(
        self,
        arguments: CrawlArguments,
        keywords: tuple[str, ...] = (),
        variants_per_path: int = 10,
        seen_memory: int = MEMORY,
        **kwargs: Any,
    ) -> None:
        # kwargs takes what else a runner passes, such as scrapyd's _job.
        super().__init__(**kwargs)
        self.arguments = arguments
        self.targets = arguments.targets
        self.max_pages = arguments.max_pages
        self.matcher = TargetMatcher(arguments.targets)
        self.frontier = Frontier(arguments.max_depth, arguments.pages_per_domain, variants_per_path, seen_memory)
        self.redirects = Redirects(arguments.targets)
        self.keywords = keywords
        self.renderer: RenderDecider  # built with the crawler (from_crawler)
        # Whether the queue outlives this process (JOBDIR, distributed mode): then the links of
        # the pages fetched as the page budget runs out are queued too, for a crawl that goes on
        # with a larger one.
        self.frontier_kept = False
        # Records on their way to the pipelines from outside a callback (``dropped``).
        self._storing: set[asyncio.Future[None]] = set()

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any], settings: BaseSettings) -> CrawlArguments:
        """Parse the spider's arguments; ``ArgumentError`` names the one that is bad."""
        return CrawlArguments.parse(kwargs, settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BacklinksSpider:
        arguments = cls.check_arguments(kwargs, crawler.settings)
        keywords = tuple(setting_list(crawler.settings, "BACKLINKS_KEYWORDS"))
        # What passed the check besides the spider's own arguments: a runner's, such as scrapyd's _job.
        extra = {k: v for k, v in kwargs.items() if k.startswith("_")}
        variants = crawler.settings.getint("BACKLINKS_VARIANTS_PER_PATH")
        spider = cls(arguments, keywords, variants, crawler.settings.getint("BACKLINKS_SEEN_MEMORY"), **extra)
        spider._set_crawler(crawler)
        spider.renderer = RenderDecider.from_crawler(crawler)
        spider.frontier_kept = bool(crawler.settings.get("JOBDIR")) or crawler.settings.getbool("BACKLINKS_DISTRIBUTED")
        crawler.signals.connect(spider.restore, signal=frontier_restored)
        crawler.signals.connect(spider.dropped, signal=signals.request_dropped)
        return spider

    def restore(self, urls: Callable[[], Iterator[str]]) -> None:
        """A crawl resumed from JOBDIR: what it scheduled before counts against its budgets."""
        for url in urls():
            host = urlsplit(url).hostname or ""
            self.frontier.restore(url, domain_of(host))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # In distributed mode only the first worker of a crawl pushes the seeds; the others
        # take their work from the shared queue (distributed.py).
        if not claim_seeds(self.crawler):
            return
        for url in self.arguments.seeds:
            host = urlsplit(url).hostname or ""
            priority = self.frontier.admit(url, domain_of(host), 0)
            if priority is not None:
                priority += seed_priority(self.arguments.seeds, url)
                # A non-ASCII host by IDNA 2008, as ``follow`` sends one.
                fetched = url if url.isascii() else request_url(url)
                yield scrapy.Request(fetched, callback=self.parse, errback=self.failed, priority=priority)
        seeds_pushed(self.crawler)

    def failed(self, failure: Failure) -> list[Backlink | PageRecord]:
        """A page that could not be fetched: one log line and a stat, never a traceback; and
        the records of what its fetch left behind, when the server answered."""
        if failure.check(StoppedBeforeFetch):
            return []  # not fetched and not finished: a resumed crawl fetches it
        request = getattr(failure, "request", None)
        # Where redirects led tells whether a link reached a target, whether or not it could be
        # fetched there (robots.txt may forbid the target's page).
        left: list[Backlink | PageRecord] = []
        if request is not None:
            self.crawler.signals.send_catch_log(request_finished, request=request)
            left.extend(self.learn(request.meta, request.url))
            if VIA in request.meta:
                self.redirects.forget(request.meta[VIA])
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return left
        assert self.crawler.stats is not None
        gone = failure.check(HttpError) and failure.value.response.status in GONE_STATUSES
        # A page gone (404, 410) is an answer about the page, not a failure of the crawl.
        self.crawler.stats.inc_value(STAT_GONE if gone else f"backlinks/fetch_failed/{type(failure.value).__name__}")
        url = request.url if request else "?"
        if gone:
            self.logger.info("Gone (%d): %s", failure.value.response.status, url)
        elif failure.check(HttpError):
            self.logger.info("Could not fetch %s: it answered %d", url, failure.value.response.status)
        else:
            self.logger.info("Could not fetch %s: %s", url, failure.getErrorMessage() or type(failure.value).__name__)
        if not failure.check(HttpError):
            return left
        response: Response = failure.value.response
        left.extend(self.left_behind(response))
        if response.status in GONE_STATUSES:
            left.append(self.linkless_record(response.url, response.status, response))
        return left

    def left_behind(self, response: Response | scrapy.Request) -> list[PageRecord]:
        """A record, with no links, of each URL that redirected on the way to ``response`` (or
        to a request): a link that page had is lost (its page has moved; the final page's links
        are its own)."""
        urls = response.meta.get("redirect_urls", ())
        if not urls:
            return []
        # A reason is the HTTP status, or "meta refresh" for a page that answered 200.
        reasons = response.meta.get("redirect_reasons", ())
        statuses = [reason if isinstance(reason, int) else 200 for reason in reasons]
        return [self.linkless_record(url, status, response) for url, status in zip(urls, statuses, strict=False)]

    def dropped(self, request: scrapy.Request) -> None:
        """A redirect to a page the crawl had already queued is dropped as a duplicate and never
        reaches ``parse``: the pages that moved on the way to it are recorded here."""
        engine = self.crawler.engine
        records = self.left_behind(request)
        if not records or engine is None or engine.scraper.slot is None:
            return
        for record in records:
            stored = asyncio.ensure_future(engine.scraper.start_itemproc_async(record, response=None))
            self._storing.add(stored)
            stored.add_done_callback(self._storing.discard)

    def linkless_record(self, url: str, status: int, response: Response | scrapy.Request) -> PageRecord:
        """The record of a page gone or moved: stored with no links, counted apart from the
        pages parsed (``STAT_LEFT``)."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(STAT_LEFT)
        host = unicode_host(urlsplit(url).hostname or "")
        return PageRecord(
            url=url,
            host=host,
            domain=domain_of(host),
            status=status,
            fetched_at=datetime.now(UTC),
            nofollow=False,
            outlinks=0,
            backlinks=0,
            depth=int(response.meta.get("depth", 0)),
        )

    def budget_spent(self) -> bool:
        assert self.crawler.stats is not None
        return (self.crawler.stats.get_value(STAT_COUNTED) or 0) >= self.max_pages

    async def parse(self, response: Response) -> list[Backlink | PageRecord | scrapy.Request]:
        """The page as its host needs it read (rendered by the browser when its links are built by
        script: ``rendering.py``), harvested; a probe's redirect, followed (``probed``)."""
        origin = response.meta.get(VIA)
        if origin is not None and (answer := self.probed(response, origin)) is not None:
            return answer
        output = self.harvest(*await self.renderer.page(response))
        forget_text(response)
        return output

    def harvest(self, response: Response, page: Page) -> list[Backlink | PageRecord | scrapy.Request]:
        """The page's backlinks, the requests for the links it leads to, and its record.

        All are worked out before the first goes on, so that the page's parsed tree (several
        times the size of its HTML) is freed at once, not held until the last of them has been
        through the pipelines: a crawl whose database falls behind holds dozens of pages there."""
        source_host = unicode_host(urlsplit(response.url).hostname or "")
        source_domain = domain_of(source_host)
        indexable = not page.noindex and page.canonical is None
        output: list[Backlink | PageRecord | scrapy.Request] = list(
            self.backlinks(page, source_host, source_domain, indexable)
        )
        backlinks = len(output)
        depth = int(response.meta.get("depth", 0))
        output.extend(self.learn(response.meta, response.url))
        # The links it leads to are scheduled before the page is recorded: once its record
        # is stored, a resumed crawl (JOBDIR, distributed) never fetches the page again.
        followed, redirect_links = self.follow(page, source_domain, depth + 1, indexable)
        output.extend(followed)
        output.extend(self.left_behind(response))
        output.append(
            PageRecord(
                url=response.url,
                host=source_host,
                domain=source_domain,
                status=response.status,
                fetched_at=datetime.now(UTC),
                nofollow=page.nofollow,
                noindex=page.noindex,
                canonical_url=page.canonical,
                redirect_links=redirect_links,
                outlinks=len(page.links),
                backlinks=backlinks,
                depth=depth,
                rendered=was_rendered(response),
                request_id=response.meta.get(FRONTIER_ID),
                domain_links=domain_outlinks(page, source_domain),
            )
        )
        return output

    def backlinks(self, page: Page, source_host: str, source_domain: str, indexable: bool) -> Iterator[Backlink]:
        seen_at = datetime.now(UTC)
        # One row a link (DESIGN: same page, target URL, anchor and rel); when a page repeats a
        # link, the row takes its best placement (a link in nav and in content is in content).
        best: dict[tuple[str, str, str], tuple[Link, str]] = {}
        for link in page.links:
            target = self.matcher.match(link.host, source_domain)
            if target is None:
                continue
            # The database's identity of a link (``link_key``): rel by its follow tokens.
            key = (request_url(link.url), link.anchor, link.rel.follow_text)
            known = best.get(key)
            if known is None or PLACEMENT_WEIGHTS[link.placement] > PLACEMENT_WEIGHTS[known[0].placement]:
                best[key] = (link, target)
        for (target_url, _, _), (link, target) in best.items():
            yield self.backlink(
                target, target_url, page.url, link.anchor, link.rel, link.link_type, link.placement, link.snippet,
                page.nofollow, indexable, seen_at,
            )  # fmt: skip

    def backlink(
        self, target: str, target_url: str, source_url: str, anchor: str, rel: Rel, link_type: str, placement: str,
        snippet: str, page_nofollow: bool, indexable: bool, seen_at: datetime, via_url: str | None = None,
    ) -> Backlink:  # fmt: skip
        return backlink_of(
            target, target_url, source_url, anchor, rel, page_nofollow, seen_at, self.keywords,
            link_type=link_type, placement=placement, snippet=snippet, indexable=indexable, via_url=via_url,
        )  # fmt: skip

    def through(self, via: Via, landing: tuple[str, str]) -> Backlink | None:
        """The backlink of type redirect of a link (``via``) whose URL leads to ``landing``."""
        source_url, anchor, rel, placement, snippet, page_nofollow, indexable, via_url = via
        target = self.matcher.match(landing[1], domain_of(unicode_host(urlsplit(source_url).hostname or "")))
        if target is None:
            return None
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("backlinks/redirect/found")
        return self.backlink(
            target, landing[0], source_url, anchor, Rel.parse(rel), "redirect", placement, snippet, page_nofollow,
            indexable, datetime.now(UTC), via_url,
        )  # fmt: skip

    def learn(self, meta: dict[str, Any], url: str) -> list[Backlink]:
        """A fetch that redirects followed from another site to a target teaches where the
        first URL leads: the links waiting for it, and a later page's link to it, are backlinks."""
        urls = meta.get("redirect_urls")
        if not urls or urls[0] in self.redirects.landings:
            return []
        landing_host = unicode_host(urlsplit(url).hostname or "")
        if self.matcher.match(landing_host, domain_of(unicode_host(urlsplit(urls[0]).hostname or ""))) is None:
            return []
        landing = (request_url(url), landing_host)
        links = self.redirects.settle(urls[0], landing)
        return [backlink for via in links if (backlink := self.through(via, landing)) is not None]

    def probe(self, url: str, origin: str, hops: int, first: Via | None, priority: int) -> scrapy.Request:
        """A request for ``url`` whose redirect comes to the spider (``probed``) instead of being
        followed; ``origin`` is the URL the pages link to, ``hops`` the redirects before it,
        ``first`` the first link to it, which goes with the request."""
        meta = {
            VIA: origin, HOPS: hops, FIRST_LINK: first, "dont_redirect": True,
            "handle_httpstatus_list": REDIRECT_STATUSES,
        }  # fmt: skip
        return scrapy.Request(
            url, callback=self.parse, errback=self.failed, meta=meta, dont_filter=True, priority=priority
        )

    def probed(self, response: Response, origin: str) -> list[Backlink | PageRecord | scrapy.Request] | None:
        """A probe's answer for the links to ``origin``: a redirect to a target settles them as
        backlinks; one elsewhere is probed in turn (up to ``MAX_HOPS``); a page that is no
        redirect settles them as none, and None says to harvest it as any page (one a link on a
        page at the last depth leads to is read, and its links are not followed: ``follow``)."""
        location = self.redirect_location(response)
        if location is None:
            self.redirects.settle(origin, None)
            if response.status not in REDIRECT_STATUSES:
                return None  # a page: harvested, and its record ends its request
            self.crawler.signals.send_catch_log(request_finished, request=response.request)
            return []
        # Its request ends here: the record below has no id of it (a JOBDIR frontier must know).
        self.crawler.signals.send_catch_log(request_finished, request=response.request)
        # The URL that redirected is a page fetched, with no links (as ``left_behind`` records them).
        output: list[Backlink | PageRecord | scrapy.Request] = [
            self.linkless_record(response.url, response.status, response)
        ]
        landing_host = unicode_host(urlsplit(location).hostname or "")
        if self.matcher.match(landing_host, domain_of(unicode_host(urlsplit(origin).hostname or ""))) is not None:
            landing = (request_url(location), landing_host)
            links = self.redirects.settle(origin, landing)
            if not links and (first := response.meta.get(FIRST_LINK)):
                # Its links wait in another process (a worker, a killed run): the first is known here.
                links = [cast(Via, tuple(first))]
            output.extend(backlink for via in links if (backlink := self.through(via, landing)) is not None)
            return output
        hops = int(response.meta.get(HOPS, 0)) + 1
        if hops < MAX_HOPS:
            output.append(self.probe(location, origin, hops, response.meta.get(FIRST_LINK), response.request.priority))
            return output
        self.redirects.settle(origin, None)
        return output

    def redirect_location(self, response: Response) -> str | None:
        """Where a probe's answer redirects to: its Location, or a meta refresh of no longer
        than Scrapy would follow (``METAREFRESH_MAXDELAY``); None for none, or one that is no
        http(s) URL (a malformed Location is none: the browser would not follow it either)."""
        location = host = None
        try:
            if response.status in REDIRECT_STATUSES:
                header = response.headers.get(b"Location")
                location = response.urljoin(header.decode("latin-1")) if header else None
            elif isinstance(response, HtmlResponse):
                delay, location = get_meta_refresh(response)
                if delay is not None and delay > self.crawler.settings.getfloat("METAREFRESH_MAXDELAY"):
                    location = None
            if location is not None:
                location = request_url(location)
                host = urlsplit(location).hostname
        except ValueError:
            return None
        if location is None or not location.startswith(("http://", "https://")) or not host or " " in host:
            return None
        return location

    def follow(
        self, page: Page, source: str, depth: int, indexable: bool
    ) -> tuple[list[Backlink | scrapy.Request], tuple[tuple[str, str], ...]]:
        """Requests for the links of the page (of registered domain ``source``) within the
        frontier's budgets, and for each link that may reach a target through redirects what
        ``redirect_link`` gives. Also the (URL, anchor) of those links whose destination this
        crawl does not know (a probe pending or failed, or none made): their backlinks of type
        redirect are not lost with the page (``PageRecord``)."""
        output: list[Backlink | scrapy.Request] = []
        unsettled: list[tuple[str, str]] = []
        spendable = self.frontier_kept or not self.budget_spent()
        admit = depth <= self.frontier.max_depth and spendable
        # Asking where a link leads is part of reading its page, not a hop deeper: the links of a
        # page at the last depth are asked too, and a page an answer leads to is read, its links not.
        probing = depth <= self.frontier.max_depth + 1
        targets, redirects = self.targets, self.redirects
        known = bool(redirects.landings or redirects.waiting or redirects.unanswered)
        for link in page.links:
            domain = domain_of(link.host)
            # Scrapy would send a non-ASCII host through IDNA 2003 (straße.de to strasse.de).
            url = strip_session_ids(link.url if link.url.isascii() else request_url(link.url))
            if domain in targets:
                priority = self.frontier.admit(url, domain, depth) if admit else None
                if priority is not None:
                    output.append(scrapy.Request(url, callback=self.parse, errback=self.failed, priority=priority))
                continue
            # A shortener's links are no pages (none counts against its domain's budget); a URL
            # probed before is not fetched again.
            seen = known and (url in redirects.landings or redirects.unsettled(url))
            if not seen:
                if domain in SHORTENERS:
                    asked = probing
                elif not redirects.guess.cached(url, link.host, domain):
                    priority = self.frontier.admit(url, domain, depth) if admit else None
                    if priority is not None:
                        output.append(scrapy.Request(url, callback=self.parse, errback=self.failed, priority=priority))
                    continue
                else:
                    asked = spendable and self.frontier.admit(url, domain, depth, probe=True) is not None
                if not asked:
                    # Not to be fetched (seen, over a budget, too deep): where it leads stays unknown.
                    unsettled.append((url, link.anchor))
                    continue
            via = (page.url, link.anchor, link.rel.text, link.placement, link.snippet, page.nofollow, indexable, url)
            output.extend(self.redirect_link(url, domain, via, source))
            if redirects.unsettled(url) or url not in redirects.landings:
                unsettled.append((url, link.anchor))
        return output, tuple(unsettled)

    def redirect_link(self, url: str, domain: str, via: Via, source: str) -> list[Backlink | scrapy.Request]:
        """A link that may reach a target through redirects, on a page of the registered domain
        ``source``: its backlink when where ``url`` leads is known; else it waits, and the first
        link to ``url`` gets it probed."""
        redirects = self.redirects
        if url in redirects.unanswered:
            return []
        landing = redirects.landings.get(url, False)
        if landing is False:
            # Once the budget is spent no new probe is made: a link would wait for no answer.
            if url not in redirects.waiting and self.budget_spent():
                return []
            priority = redirects.wait(url, domain, via, source)
            return [self.probe(url, url, 0, via, priority)] if priority is not None else []
        backlink = self.through(via, landing) if landing is not None else None
        return [backlink] if backlink is not None else []

    def closed(self, reason: str) -> None:
        assert self.crawler.stats is not None
        for trap, count in self.frontier.traps.items():
            self.crawler.stats.set_value(f"backlinks/traps/{trap}", count)

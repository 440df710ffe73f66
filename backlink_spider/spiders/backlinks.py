"""The ``backlinks`` spider: crawl outward from seeds, parse each page once, yield the
links that point at a target and follow the rest within the frontier's budgets.

All logic lives in pure modules (extraction, targets, anchors, frontier); this class
wires them to Scrapy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from backlink_spider.anchors import classify_anchor
from backlink_spider.arguments import CrawlArguments
from backlink_spider.budget import STAT_COUNTED
from backlink_spider.directives import Rel
from backlink_spider.distributed import claim_seeds, seeds_pushed
from backlink_spider.domains import domain_of, unicode_host
from backlink_spider.extraction import Link, Page, request_url
from backlink_spider.frontier import Frontier, strip_session_ids
from backlink_spider.items import Backlink, PageRecord
from backlink_spider.monitoring import STAT_LEFT
from backlink_spider.outlinks import domain_outlinks
from backlink_spider.quality import PLACEMENT_WEIGHTS
from backlink_spider.redirects import VIA, RedirectGuess
from backlink_spider.rendering import RenderDecider, forget_text, was_rendered
from backlink_spider.scheduler import META_KEY as FRONTIER_ID
from backlink_spider.seedlists import seed_priority
from backlink_spider.signals import frontier_restored, request_finished
from backlink_spider.targets import TargetMatcher

# Redirects learned in a crawl (a URL that led to a target -> where it led), kept up to this many.
MAX_REDIRECTS = 100_000
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
        **kwargs: Any,
    ) -> None:
        # kwargs takes what else a runner passes, such as scrapyd's _job.
        super().__init__(**kwargs)
        self.arguments = arguments
        self.targets = arguments.targets
        self.max_pages = arguments.max_pages
        self.matcher = TargetMatcher(arguments.targets)
        self.frontier = Frontier(arguments.max_depth, arguments.pages_per_domain, variants_per_path)
        self.may_redirect = RedirectGuess(arguments.targets)
        # A URL seen to redirect to a target -> (the URL it led to, that URL's host).
        self.redirects: dict[str, tuple[str, str]] = {}
        self.keywords = keywords
        self.renderer: RenderDecider  # built with the crawler (from_crawler)

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any], settings: BaseSettings) -> CrawlArguments:
        """Parse the spider's arguments; ``ArgumentError`` names the one that is bad."""
        return CrawlArguments.parse(kwargs, settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BacklinksSpider:
        arguments = cls.check_arguments(kwargs, crawler.settings)
        keywords = tuple(k.strip() for k in crawler.settings.getlist("BACKLINKS_KEYWORDS") if k.strip())
        # What passed the check besides the spider's own arguments: a runner's, such as scrapyd's _job.
        extra = {k: v for k, v in kwargs.items() if k.startswith("_")}
        variants = crawler.settings.getint("BACKLINKS_VARIANTS_PER_PATH")
        spider = cls(arguments, keywords, variants, **extra)
        spider._set_crawler(crawler)
        spider.renderer = RenderDecider.from_crawler(crawler)
        crawler.signals.connect(spider.restore, signal=frontier_restored)
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
                yield scrapy.Request(url, callback=self.parse, errback=self.failed, priority=priority)
        seeds_pushed(self.crawler)

    def failed(self, failure: Failure) -> list[Backlink | PageRecord]:
        """A page that could not be fetched: one log line and a stat, never a traceback; and
        the records of what its fetch left behind, when the server answered."""
        request = getattr(failure, "request", None)
        # Where redirects led tells whether a link reached a target, whether or not it could be
        # fetched there (robots.txt may forbid the target's page).
        left: list[Backlink | PageRecord] = []
        if request is not None:
            self.crawler.signals.send_catch_log(request_finished, request=request)
            left.extend(self.redirected(request.meta, request.url))
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return left
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"backlinks/fetch_failed/{type(failure.value).__name__}")
        self.logger.info("Could not fetch %s: %s", request.url if request else "?", failure.getErrorMessage())
        if not failure.check(HttpError):
            return left
        response: Response = failure.value.response
        left.extend(self.left_behind(response))
        if response.status in GONE_STATUSES:
            left.append(self.linkless_record(response.url, response.status, response))
            self.crawler.stats.inc_value(STAT_LEFT)
        return left

    def left_behind(self, response: Response) -> list[PageRecord]:
        """A record, with no links, of each URL that redirected on the way to ``response``: a
        link that page had is lost (its page has moved; the final page's links are its own)."""
        urls = response.meta.get("redirect_urls", ())
        if not urls:
            return []
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(STAT_LEFT, len(urls))
        # A reason is the HTTP status, or "meta refresh" for a page that answered 200.
        reasons = response.meta.get("redirect_reasons", ())
        statuses = [reason if isinstance(reason, int) else 200 for reason in reasons]
        return [self.linkless_record(url, status, response) for url, status in zip(urls, statuses, strict=False)]

    def linkless_record(self, url: str, status: int, response: Response) -> PageRecord:
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
        script: ``rendering.py``), harvested."""
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
        output.extend(self.redirected(response.meta, response.url))
        # The links it leads to are scheduled before the page is recorded: once its record
        # is stored, a resumed crawl (JOBDIR, distributed) never fetches the page again.
        if not self.budget_spent():
            output.extend(self.follow(page, depth + 1, indexable))
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
        best: dict[tuple[str, str, str], tuple[Link, str, str]] = {}
        redirects = self.redirects
        for link in page.links:
            target = self.matcher.match(link.host, source_domain)
            if target is not None:
                target_url, link_type = request_url(link.url), link.link_type
            elif redirects and (landing := redirects.get(link.url)) is not None:
                # A link to a URL this crawl has seen redirect to a target.
                target = self.matcher.match(landing[1], source_domain)
                if target is None:
                    continue
                target_url, link_type = landing[0], "redirect"
            else:
                continue
            # The database's identity of a link (``link_key``): rel by its follow tokens.
            key = (target_url, link.anchor, link.rel.follow_text)
            known = best.get(key)
            if known is None or PLACEMENT_WEIGHTS[link.placement] > PLACEMENT_WEIGHTS[known[0].placement]:
                best[key] = (link, target, link_type)
        for (target_url, _, _), (link, target, link_type) in best.items():
            yield self.backlink(
                target, target_url, page.url, link.anchor, link.rel, link_type, link.placement, link.snippet,
                page.nofollow, indexable, seen_at,
            )  # fmt: skip

    def backlink(
        self, target: str, target_url: str, source_url: str, anchor: str, rel: Rel, link_type: str, placement: str,
        snippet: str, page_nofollow: bool, indexable: bool, seen_at: datetime,
    ) -> Backlink:  # fmt: skip
        source_host = unicode_host(urlsplit(source_url).hostname or "")
        return Backlink(
            target_domain=target,
            target_url=target_url,
            source_url=source_url,
            source_host=source_host,
            source_domain=domain_of(source_host),
            anchor_text=anchor,
            anchor_class=classify_anchor(anchor, target, self.keywords),
            rel=rel.text,
            nofollow=rel.nofollow,
            ugc=rel.ugc,
            sponsored=rel.sponsored,
            dofollow=rel.dofollow(page_nofollow),
            link_type=link_type,
            placement=placement,
            snippet=snippet,
            seen_at=seen_at,
            indexable=indexable,
        )

    def redirected(self, meta: dict[str, Any], url: str) -> list[Backlink]:
        """When redirects led a request (its ``meta``, now for ``url``) from another site to a
        target: the redirect is learned (a later page's link to the same URL is a backlink), and
        the link the request was made for, if it carried it (``redirects.VIA``), is a backlink
        of type redirect."""
        urls = meta.get("redirect_urls")
        if not urls:
            return []
        landing_host = unicode_host(urlsplit(url).hostname or "")
        first_host = unicode_host(urlsplit(urls[0]).hostname or "")
        if self.matcher.match(landing_host, domain_of(first_host)) is None:
            return []
        landing = request_url(url)
        if len(self.redirects) < MAX_REDIRECTS:
            self.redirects[urls[0]] = (landing, landing_host)
        via = meta.get(VIA)
        if via is None:
            return []
        source_url, anchor, rel, placement, snippet, page_nofollow, indexable = via
        target = self.matcher.match(landing_host, domain_of(unicode_host(urlsplit(source_url).hostname or "")))
        if target is None:
            return []
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("backlinks/redirect/found")
        return [
            self.backlink(
                target, landing, source_url, anchor, Rel.parse(rel), "redirect", placement, snippet, page_nofollow,
                indexable, datetime.now(UTC),
            )
        ]  # fmt: skip

    def follow(self, page: Page, depth: int, indexable: bool) -> Iterator[scrapy.Request]:
        if depth > self.frontier.max_depth:
            return
        targets = self.targets
        for link in page.links:
            domain = domain_of(link.host)
            # Scrapy would send a non-ASCII host through IDNA 2003 (straße.de to strasse.de).
            url = strip_session_ids(link.url if link.url.isascii() else request_url(link.url))
            priority = self.frontier.admit(url, domain, depth)
            if priority is None:
                continue
            if domain in targets or not self.may_redirect(url, link.host, domain):
                yield scrapy.Request(url, callback=self.parse, errback=self.failed, priority=priority)
                continue
            # The link goes with the request, and its redirects pass the duplicate filter (where
            # they lead may have been fetched): the response tells whether it reached a target.
            via = (page.url, link.anchor, link.rel.text, link.placement, link.snippet, page.nofollow, indexable)
            yield scrapy.Request(
                url, callback=self.parse, errback=self.failed, priority=priority, meta={VIA: via}, dont_filter=True
            )

    def closed(self, reason: str) -> None:
        assert self.crawler.stats is not None
        for trap, count in self.frontier.traps.items():
            self.crawler.stats.set_value(f"backlinks/traps/{trap}", count)

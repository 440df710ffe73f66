"""HtmlOnly: drop responses that are not HTML pages before the spider parses them.

Judged by ``content.is_html`` (Content-Type and magic bytes). robots.txt responses and
non-200 responses pass untouched: other middlewares own them.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from backlink_spider.content import content_type_of, is_html, is_html_type
from backlink_spider.robots import is_robots_request


class HtmlOnly:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HtmlOnly:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status != 200 or is_robots_request(request):
            return response
        content_type = content_type_of(response)
        if is_html(content_type, response.body):
            return response
        kind = "type" if not is_html_type(content_type) else "binary"
        self.stats.inc_value(f"backlinks/skipped/not_html_{kind}")
        raise IgnoreRequest(f"not an HTML page ({content_type or 'no Content-Type'}, {kind}): {response.url}")

"""robots.txt requests: telling them apart from page requests.

Scrapy's RobotsTxtMiddleware fetches ``/robots.txt`` itself, through the same
downloader middlewares as pages; the budget and the HTML filter must let it pass.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.utils.httpobj import urlparse_cached


def is_robots_request(request: Request) -> bool:
    """True for the robots.txt fetches that RobotsTxtMiddleware makes."""
    return bool(request.meta.get("dont_obey_robotstxt")) and urlparse_cached(request).path == "/robots.txt"

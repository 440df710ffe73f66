"""The depth of a probe's hops: each hop of a link asked where it redirects is as deep as the link.

Scrapy's ``DepthMiddleware`` gives a request its response's depth plus one. A probe that
answers a redirect yields the next hop as a new request (its redirects come to the spider,
``redirects.py``), which Scrapy would count a level deeper each time, where its own redirect
middleware keeps a redirected request's depth. A page reached through two redirects from a
link on a page of depth 1 is at depth 2, as the link's page would be; with each hop counted
it was at 4, and the links on it were cut short.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.depth import DepthMiddleware

from backlink_spider.redirects import HOPS


class HopDepthMiddleware(DepthMiddleware):
    """``DepthMiddleware`` for which a probe's next hop (``HOPS`` in its meta, from 1) keeps the
    depth of the hop before it."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is not None and request.meta.get(HOPS):
            request.meta["depth"] = response.meta["depth"]
            return request
        return super().get_processed_request(request, response)

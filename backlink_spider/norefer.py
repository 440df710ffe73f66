"""NoReferer: no ``Referer`` header on any request, and no warning that it is so.

Robots send no Referer (Googlebot does not; site owners take a robot's for referrer spam,
and it would tell every site where the crawl found it), so ``REFERER_ENABLED`` is off.
Scrapy's redirect middlewares then warn at every start that they "found no
RefererMiddleware" and will remove the Referer on redirects, which is what this project
wants: the add-on drops that one warning, so a crawl's log holds only what needs a look.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.settings import BaseSettings

REDIRECT_LOGGER = "scrapy.downloadermiddlewares.redirect"
_WARNING = "found no scrapy.spidermiddlewares.referer.RefererMiddleware instance"


class _DropRefererWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return _WARNING not in record.getMessage()


class NoReferer:
    """Add-on: with ``REFERER_ENABLED`` off, Scrapy's warning about it is not logged."""

    def update_settings(self, settings: BaseSettings) -> None:
        if settings.getbool("REFERER_ENABLED"):
            return
        logger = logging.getLogger(REDIRECT_LOGGER)
        if not any(isinstance(existing, _DropRefererWarning) for existing in logger.filters):
            logger.addFilter(_DropRefererWarning())

    @classmethod
    def from_crawler(cls, crawler: Any) -> NoReferer:
        return cls()

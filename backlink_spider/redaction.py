"""Secrets stay out of logs: passwords inside URLs are masked in every log record.

A database URL given with ``-s BACKLINKS_DATABASE_URL=...`` would otherwise appear in
Scrapy's "Overridden settings" line and in any error that quotes it. The ``Redaction``
add-on installs the filter on the root logging handlers before the crawler logs its
settings; our own messages already go through ``pipelines.database.safe_url``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from scrapy.settings import BaseSettings

# scheme://user:password@host -> scheme://user:***@host. The password runs to the last "@"
# of its word: one written without escapes may hold "@" or "/" (SQLAlchemy reads them so).
_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s'\"]*):(?P<password>[^\s'\"]+)@")
# ?password=... or &sslpassword=... in a URL's query, where libpq reads them too.
_QUERY_PASSWORD = re.compile(r"(?P<name>[?&](?:ssl)?password=)[^&#\s'\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    return _QUERY_PASSWORD.sub(r"\g<name>***", _CREDENTIALS.sub(r"\g<scheme>:***@", text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _install(logger: logging.Logger) -> None:
    if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
        logger.addFilter(RedactSecrets())


class Redaction:
    """Add-on: mask passwords in URLs in everything logged."""

    def update_settings(self, settings: BaseSettings) -> None:
        # Filters on a logger only see that logger's records: put one on the loggers
        # that print settings and errors, and on the root handlers for the rest.
        for name in ("scrapy.crawler", "scrapy.core.engine", "scrapy.utils.log", "pipelines", "backlink_spider"):
            _install(logging.getLogger(name))
        for handler in logging.getLogger().handlers:
            if not any(isinstance(existing, RedactSecrets) for existing in handler.filters):
                handler.addFilter(RedactSecrets())

    @classmethod
    def from_crawler(cls, crawler: Any) -> Redaction:
        return cls()

"""The settings of ``settings.py``, the project's own and Scrapy's, checked before a crawl starts.

A ``BACKLINKS_*`` name the project does not have, or a value (``-s``, scrapyd) that does not read as
its setting's type or is out of its range, raises ``SettingError`` naming the setting; the ``crawl``
command makes it a one-line error and exit code 2, as it does a bad argument, instead of a traceback
or a crawl that fails every fetch. A type is its default's in ``settings.py`` (or Scrapy's: ``KINDS``);
ranges and choices are listed here, and the components' own checks run as they will at the start.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from backlink_spider import settings as project_settings
from backlink_spider.arguments import CrawlArguments, closest

# Numbers of at least 1: none of these means anything at 0 (a crawl of no page, a batch of no row;
# no request in flight at all, or to any domain, is a crawl that waits for ever and ignores SIGTERM).
AT_LEAST_ONE = frozenset({
    "BACKLINKS_MAX_PAGES", "BACKLINKS_PAGES_PER_DOMAIN", "BACKLINKS_BATCH_SIZE", "BACKLINKS_MAX_PENDING",
    "BACKLINKS_ROBOTS_CACHE", "BACKLINKS_RENDER_MAX_PAGES", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
})  # fmt: skip
# Numbers above 0: a timeout of no time fails every fetch or lookup, AutoThrottle aiming at no request
# in flight is not one (Scrapy turns it off), a lease of no time makes every worker look dead.
ABOVE_ZERO = frozenset({
    "DOWNLOAD_TIMEOUT", "DNS_TIMEOUT", "AUTOTHROTTLE_TARGET_CONCURRENCY", "BACKLINKS_DISTRIBUTED_LEASE_TTL",
    "BACKLINKS_DB_WRITE_TIMEOUT",
})  # fmt: skip

# Scrapy reads these as numbers with a fraction; their defaults in settings.py are whole.
KINDS: dict[str, type[int] | type[float]] = {"DOWNLOAD_TIMEOUT": float, "DNS_TIMEOUT": float}
# The levels Python's logging knows by name, as the README and Scrapy's documentation give them.
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")

# The kinds of request Playwright names (Request.resource_type): what BACKLINKS_RENDER_BLOCKED_RESOURCES lists.
RESOURCE_TYPES = (
    "document", "stylesheet", "image", "media", "font", "script", "texttrack", "xhr", "fetch", "eventsource",
    "websocket", "manifest", "beacon", "ping", "cspreport", "other",
)  # fmt: skip
# List settings whose items are from a fixed set.
LIST_CHOICES = {"BACKLINKS_RENDER_BLOCKED_RESOURCES": RESOURCE_TYPES}


class SettingError(ValueError):
    """A setting with a bad value; the message names the setting."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"setting {name}: {problem}")
        self.name = name


def documented_defaults() -> Iterator[tuple[str, Any]]:
    """Every setting ``settings.py`` sets, with its default: the project's own and the Scrapy
    settings the README documents."""
    for name in dir(project_settings):
        if name.isupper():
            yield name, getattr(project_settings, name)


def project_defaults() -> Iterator[tuple[str, Any]]:
    """The project's own settings (``BACKLINKS_*``) with their defaults."""
    return ((name, default) for name, default in documented_defaults() if name.startswith("BACKLINKS_"))


def setting_list(settings: BaseSettings, name: str) -> list[str]:
    """A list setting's items, stripped, empty ones dropped. On the command line it is comma-separated
    text (``a,b``) or a JSON list (``["a", "b"]``, ``[]``): Scrapy's ``getlist`` would split the
    latter at its commas, brackets and quotes kept."""
    value = settings.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = _text_list(name, value)
    if not isinstance(value, list | tuple) or not all(_is_item(item) for item in value):
        raise SettingError(name, f"{value!r} is not a list of text or numbers")
    return [text for text in (str(item).strip() for item in value) if text]


def _text_list(name: str, text: str) -> list[Any]:
    if not text.strip().startswith("["):
        return text.split(",")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise SettingError(name, f"{text!r} is not a JSON list (or give the items comma-separated)") from None
    if not isinstance(value, list):
        raise SettingError(name, f"{text!r} is not a JSON list (or give the items comma-separated)")
    return value


def _is_item(item: object) -> bool:
    return isinstance(item, str | int | float) and not isinstance(item, bool)


def _list(settings: BaseSettings, name: str) -> None:
    choices = LIST_CHOICES.get(name)
    for item in setting_list(settings, name):
        if choices is not None and item.lower() not in choices:
            close = closest(item.lower(), choices)
            hint = f"; did you mean {close}?" if close else ""
            raise SettingError(name, f"{item!r} is not one of {', '.join(choices)}{hint}")


def _flag(settings: BaseSettings, name: str) -> None:
    try:
        settings.getbool(name)
    except ValueError:
        raise SettingError(name, f"{settings.get(name)!r} is not True or False (1 or 0)") from None


def _number(settings: BaseSettings, name: str, kind: type[int] | type[float]) -> None:
    try:
        value = settings.getint(name) if kind is int else settings.getfloat(name)
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number"
        raise SettingError(name, f"{settings.get(name)!r} is not {what}") from None
    if name in ABOVE_ZERO and not value > 0:
        raise SettingError(name, f"must be more than 0, got {settings.get(name)!r}")
    minimum = 1 if name in AT_LEAST_ONE else 0
    if math.isnan(value) or value < minimum:
        raise SettingError(name, f"must be at least {minimum}, got {settings.get(name)!r}")


def _components() -> dict[str, Callable[[BaseSettings], object]]:
    """Checks the components run when the crawl starts (imported here: the browser's module
    loads Playwright, which only a crawl needs)."""
    from backlink_spider.browser import render_drawing, render_mode
    from backlink_spider.gctuning import gc_threshold

    return {
        "BACKLINKS_RENDER_MODE": render_mode,
        "BACKLINKS_RENDER_DRAWING": render_drawing,
        "BACKLINKS_GC_THRESHOLD": gc_threshold,
    }


def _unknown_setting(name: str, known: set[str]) -> SettingError:
    """A ``BACKLINKS_*`` name no component reads, with the name it likely misspells (as the spider's
    arguments say), so that a misspelled ``-s`` name does not run a crawl of the default size."""
    short = name.removeprefix("BACKLINKS_")
    close = closest(short, (known_name.removeprefix("BACKLINKS_") for known_name in known))
    if short.lower() in CrawlArguments.NAMES:
        hint = f"it is an argument of the spider: -a {short.lower()}=..."
    elif close:
        hint = f"did you mean BACKLINKS_{close}?"
    else:
        hint = "the README's settings table lists them"
    return SettingError(name, f"is not a setting of the project; {hint}")


def _known(settings: BaseSettings) -> None:
    known = {name for name, _ in project_defaults()}
    for name in settings:
        if isinstance(name, str) and name.startswith("BACKLINKS_") and name not in known:
            raise _unknown_setting(name, known)


def _log_levels(settings: BaseSettings) -> None:
    """``LOG_LEVEL`` and ``RETRY_GIVE_UP_LOG_LEVEL`` as ``logging`` takes them: a level's name
    (upper case, as logging wants it) or number (Scrapy would fail on the first failed download)."""
    for name in ("LOG_LEVEL", "RETRY_GIVE_UP_LOG_LEVEL"):
        level = settings.get(name)
        if not (isinstance(level, int) or (isinstance(level, str) and level in logging.getLevelNamesMapping())):
            raise SettingError(name, f"must be one of {', '.join(LOG_LEVELS)}, not {level!r}")


def _writable(name: str, path: Path, directory: bool) -> None:
    """``path`` (a directory, or a file) can be created or written, as the crawl will: otherwise a
    traceback at the start (a log file, a job directory) or, worse, rows lost when the database is
    away (the directory of the files of unsaved rows)."""
    if path.exists():
        if path.is_dir() != directory:
            raise SettingError(name, f"{str(path)!r} is {'not ' if directory else ''}a directory")
        if not os.access(path, os.W_OK):
            raise SettingError(name, f"{str(path)!r} cannot be written")
        return
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        if not directory:
            raise SettingError(name, f"{str(path)!r} cannot be created: no directory {str(path.parent)!r}")
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise SettingError(name, f"{str(path)!r} cannot be created in {str(parent)!r}")


def _paths(settings: BaseSettings) -> None:
    """Where the crawl writes, checked before it starts."""
    for name, directory in (("LOG_FILE", False), ("JOBDIR", True), ("BACKLINKS_UNSAVED_DIR", True)):
        value = settings.get(name)
        if value:
            _writable(name, Path(value).expanduser(), directory)


def check_settings(settings: BaseSettings) -> None:
    """Raise ``SettingError`` for a ``BACKLINKS_*`` setting the project does not have, or the first
    setting of ``settings.py`` whose value cannot be used."""
    _known(settings)
    for name, default in documented_defaults():
        if isinstance(default, bool):
            _flag(settings, name)
        elif isinstance(default, int | float):
            _number(settings, name, KINDS.get(name, type(default)))
        elif isinstance(default, list) and name.startswith("BACKLINKS_"):
            _list(settings, name)
    _log_levels(settings)
    _paths(settings)
    for name, check in _components().items():
        try:
            check(settings)
        except SettingError:
            raise
        except (UsageError, ValueError) as error:
            raise SettingError(name, str(error).removeprefix(f"{name} ")) from None

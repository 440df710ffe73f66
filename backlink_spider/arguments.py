"""The arguments of the ``backlinks`` spider, parsed and checked in one place.

A bad value raises ``ArgumentError`` naming the argument; the ``crawl`` command turns
it into a one-line error and a non-zero exit code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from scrapy.settings import BaseSettings

from backlink_spider.seedlists import load_seeds
from backlink_spider.targets import parse_targets


def closest(name: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` that ``name`` most likely misspells, if any is close (a did-you-mean)."""
    close = get_close_matches(name, list(names), n=1)
    return close[0] if close else None


class ArgumentError(ValueError):
    """A spider argument with a bad value; the message names the argument."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"argument {name}: {problem}")
        self.name = name


@dataclass(frozen=True)
class CrawlArguments:
    targets: list[str]
    seeds: list[str]
    max_pages: int
    max_depth: int
    pages_per_domain: int

    NAMES = ("target", "seeds", "max_pages", "max_depth", "pages_per_domain")

    @classmethod
    def parse(cls, kwargs: dict[str, Any], settings: BaseSettings) -> CrawlArguments:
        """Check every argument of ``kwargs``, taking defaults from ``settings``. Names starting
        with ``_`` are a runner's (scrapyd's ``_job``) and pass; any other unknown name is an
        error, so that a mistyped ``max_page=5`` does not run a crawl of the default size."""
        for name in kwargs:
            if name not in cls.NAMES and not name.startswith("_"):
                close = closest(name, cls.NAMES)
                setting = f"BACKLINKS_{name.upper()}"
                if setting in settings:
                    hint = f"it is a setting: -s {setting}=..."
                elif close:
                    hint = f"did you mean {close}?"
                else:
                    hint = f"the spider takes {', '.join(cls.NAMES)}"
                raise ArgumentError(name, f"is not an argument of the spider; {hint}")
        if kwargs.get("target") is None:
            raise ArgumentError("target", "is required, e.g. -a target=example.com")
        try:
            targets = parse_targets(str(kwargs["target"]))
        except ValueError as error:
            raise ArgumentError("target", str(error)) from None
        try:
            seeds = load_seeds(kwargs.get("seeds"), targets)
        except ValueError as error:
            raise ArgumentError("seeds", str(error)) from None
        return cls(
            targets=targets,
            seeds=seeds,
            max_pages=_integer(kwargs, "max_pages", settings.getint("BACKLINKS_MAX_PAGES"), minimum=1),
            max_depth=_integer(kwargs, "max_depth", settings.getint("BACKLINKS_MAX_DEPTH"), minimum=0),
            pages_per_domain=_integer(
                kwargs, "pages_per_domain", settings.getint("BACKLINKS_PAGES_PER_DOMAIN"), minimum=1
            ),
        )


def _integer(kwargs: dict[str, Any], name: str, default: int, minimum: int) -> int:
    raw = kwargs.get(name)
    if raw is None:
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ArgumentError(name, f"{raw!r} is not a whole number") from None
    if value < minimum:
        raise ArgumentError(name, f"must be at least {minimum}, got {value}")
    return value

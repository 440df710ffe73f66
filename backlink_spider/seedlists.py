"""Seed lists: reading the ``seeds`` argument into start URLs.

The argument is a comma-separated list of seed files, URLs and names of the lists shipped in
``seeds/`` (``directories``, ``news-and-blogs``...), in any mix. Without it: every shipped list
plus the targets' home pages; empty, it is an error. The pages of candidates files of Common
Crawl discovery (``commoncrawl/candidates.py``) come first, wherever they stand, and are fetched first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from backlink_spider.commoncrawl.candidates import is_candidates, read_candidates
from backlink_spider.targets import comma_separated

# Extra request priority of seeds read from candidates files: above any other seed, even
# past a domain's page budget (the frontier lowers a domain's n-th page by n).
CANDIDATE_PRIORITY = 1_000_000
# Where a seed file's line turns into a comment: a # after whitespace.
COMMENT = re.compile(r"\s#")


def parse_seed_text(text: str) -> list[str]:
    """URLs of a seed file: one a line, blank lines and ``#`` comments skipped. A comment may end a
    line after whitespace (``http://a.org/  # dir``); a URL's own ``#fragment`` has none before it."""
    return [url for _, url in _numbered_urls(text)]


def _numbered_urls(text: str) -> Iterator[tuple[int, str]]:
    """The URLs of a seed file with the numbers of their lines (from 1)."""
    for number, line in enumerate(text.splitlines(), 1):
        line = COMMENT.split(line, maxsplit=1)[0].strip()
        if line and not line.startswith("#"):
            yield number, line


def shipped_lists() -> dict[str, str]:
    """Name -> text of every seed list shipped in the ``seeds`` package."""
    lists = {}
    for entry in resources.files("seeds").iterdir():
        if entry.name.endswith(".txt"):
            lists[entry.name.removesuffix(".txt")] = entry.read_text(encoding="utf-8")
    return dict(sorted(lists.items()))


def check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host, else ValueError."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        raise ValueError(f"{url!r} is not a valid URL") from error
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    if parts.username or parts.password:
        raise ValueError(f"{url!r} carries credentials")
    return url


class Seeds(list[str]):
    """Start URLs; ``candidate_urls`` are the ones read from candidates files (listed first)."""

    candidate_urls: frozenset[str] = frozenset()


def seed_priority(seeds: Sequence[str], url: str) -> int:
    """The priority a seed gets on top of the frontier's: ``CANDIDATE_PRIORITY`` for a
    page to verify from a candidates file, 0 for any other."""
    return CANDIDATE_PRIORITY if url in getattr(seeds, "candidate_urls", ()) else 0


def home_pages(targets: list[str]) -> list[str]:
    return [f"https://{target}/" for target in targets]


def _parts(value: str) -> list[str]:
    """The comma-separated parts of ``value``; a path to a file that has a comma in it is one."""
    if "://" not in value and Path(value).expanduser().is_file():
        return [value]
    return comma_separated(value)


def _seed_file(path: Path, part: str) -> list[str]:
    numbered = list(_numbered_urls(path.read_text(encoding="utf-8", errors="replace")))
    if not numbered:
        raise ValueError(f"seed file {part!r} holds no URL")
    for number, url in numbered:
        try:
            check_url(url)
        except ValueError:
            # Say where, not what: the file may be one that should not be shown (/etc/shadow).
            raise ValueError(f"seed file {part!r}: line {number} is not an absolute http(s) URL") from None
    return [url for _, url in numbered]


def _read_part(part: str, lists: dict[str, str]) -> tuple[list[str], bool]:
    """The URLs one part of the argument names (a URL, a candidates or seed file, a shipped list's
    name), and whether they are a candidates file's."""
    if "://" in part:
        return [part], False
    path = Path(part).expanduser()
    if is_candidates(path):
        found = read_candidates(path).seed_urls()
        if not found:
            raise ValueError(f"candidates file {part!r} holds no candidate")
        return found, True
    if path.is_file():
        return _seed_file(path, part), False
    name = part.removesuffix(".txt")
    if name not in lists:
        raise ValueError(f"{part!r} is neither a file nor a seed list (lists: {', '.join(lists)})")
    return parse_seed_text(lists[name]), False


def load_seeds(value: str | None, targets: list[str]) -> list[str]:
    """Start URLs for the ``seeds`` argument (see the module docstring); ValueError if bad."""
    if value is None:
        urls = [url for text in shipped_lists().values() for url in parse_seed_text(text)]
        return list(dict.fromkeys(home_pages(targets) + urls))
    value = value.strip()
    if not value.strip(", "):
        # An empty -a seeds= is a variable that was not set, not a wish for the default lists.
        raise ValueError("is empty: leave it out to start from the shipped lists and the targets' home pages")
    lists = shipped_lists()
    candidates: list[str] = []
    urls: list[str] = []
    for part in _parts(value):
        found, from_candidates = _read_part(part, lists)
        (candidates if from_candidates else urls).extend(found)
    seeds = Seeds(dict.fromkeys(check_url(url) for url in candidates + urls))
    seeds.candidate_urls = frozenset(candidates)
    return seeds

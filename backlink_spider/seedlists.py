"""Seed lists: reading the ``seeds`` argument into start URLs.

The argument is a path to a seed file, a comma-separated list of URLs, or a
comma-separated list of names of the lists shipped in ``seeds/`` (``directories``,
``news-and-blogs``...). Without it: every shipped list plus the targets' home pages.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit


def parse_seed_text(text: str) -> list[str]:
    """URLs of a seed file: one a line, blank lines and ``#`` comments skipped."""
    urls = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            urls.append(line)
    return urls


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


def home_pages(targets: list[str]) -> list[str]:
    return [f"https://{target}/" for target in targets]


def load_seeds(value: str | None, targets: list[str]) -> list[str]:
    """Start URLs for the ``seeds`` argument (see the module docstring); ValueError if bad."""
    if value is None or not value.strip():
        urls = [url for text in shipped_lists().values() for url in parse_seed_text(text)]
        return list(dict.fromkeys(home_pages(targets) + urls))
    value = value.strip()
    path = Path(value).expanduser()
    if "://" not in value and path.is_file():
        urls = parse_seed_text(path.read_text(encoding="utf-8", errors="replace"))
        if not urls:
            raise ValueError(f"seed file {value!r} holds no URL")
    elif "://" in value:
        urls = [part.strip() for part in value.split(",") if part.strip()]
    else:
        lists = shipped_lists()
        urls = []
        for name in (part.strip().removesuffix(".txt") for part in value.split(",")):
            if name not in lists:
                raise ValueError(f"{name!r} is neither a file nor a seed list (lists: {', '.join(lists)})")
            urls.extend(parse_seed_text(lists[name]))
    return list(dict.fromkeys(check_url(url) for url in urls))

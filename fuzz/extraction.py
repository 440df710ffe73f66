"""Fuzz ``extract_page`` (and the target matching it feeds) with atheris.

Every input is a page body, a URL, a Content-Type and an X-Robots-Tag value carved
from the fuzzer's bytes. The page must parse without an exception and give only
absolute http(s) links, every field of which can be read; matching their hosts against a
target must not raise either.
A crash is saved under fuzz/crashes/; put the input in fuzz/regressions/ and
tests/test_fuzz_regressions.py replays it forever after.

    .venv/bin/python -m fuzz.extraction -max_total_time=60 fuzz/seeds
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import atheris

with atheris.instrument_imports():
    from backlink_spider.extraction import extract_page
    from backlink_spider.targets import TargetMatcher

MATCHER = TargetMatcher(["example.com", "bücher.de"])
CONTENT_TYPES = (
    None, "text/html", "text/html; charset=utf-8", "text/html; charset=shift_jis", "text/html; charset=utf-16",
    "application/xhtml+xml",
)  # fmt: skip


def check(data: bytes) -> None:
    """The invariants, for one input; raises AssertionError when one breaks."""
    provider = atheris.FuzzedDataProvider(data)
    url = "http://" + provider.ConsumeUnicodeNoSurrogates(40) + "/page"
    content_type = CONTENT_TYPES[provider.ConsumeIntInRange(0, len(CONTENT_TYPES) - 1)]
    robots = provider.ConsumeUnicodeNoSurrogates(30)
    body = provider.ConsumeBytes(provider.remaining_bytes())
    try:
        _ = urlsplit(url).port  # raises on an unusable port or host
    except ValueError:
        return  # the crawler only ever passes URLs it could request
    page = extract_page(body, url, [robots], content_type)
    for link in page.links:
        assert link.url.startswith(("http://", "https://")), link.url
        MATCHER.match(link.host, "source.org")
        # The fields a backlink carries are worked out on first read: read them all.
        _ = (link.anchor, link.link_type, link.placement, link.snippet, link.rel.text)


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

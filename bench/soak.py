"""The soak: a crawl of a generated web with hostile sites mixed in, run until it ends on its own.

One registered domain in ``hostile_every`` of the synthetic web (``bench/web.py``) is hostile:
its generated pages carry, first thing in their body, links to every kind of broken or
malicious page a crawler meets (issue #8): crawler traps (an endless calendar, a path that
grows forever, session ids, faceted search), a redirect loop and a chain longer than the
redirect limit, redirects and links to private addresses, a page that answers after twice
the download timeout, gzip and brotli bombs, an endless body, a body over the size cap, a
binary body labelled ``text/html``, pages in declared and undeclared legacy encodings, a
truncated page, NUL bytes and invalid surrogates in anchors and URLs, a 5,000-character
URL, 5,000 links on one page, markup nested 10,000 deep, a tag of 100,000 attributes, 5,000
formatting elements reopened in each of 5,000 paragraphs, a page
in UTF-16 without a byte order mark (named by its header), and a robots.txt that forbids a
path (or, on one hostile domain in four, a robots.txt that answers 503).

The web is served in this process by ``LocalWeb``, which records what it served; the
crawl is ``scrapy crawl backlinks`` with the project's settings (AutoThrottle and the delay
off, a 3 s download timeout so that the slow pages cost seconds). Reported:

- backlinks stored against expected: every link to the target on every page the server
  answered in full, hostile pages included (must be all), and any stored that were not expected;
- requests that must never arrive: private addresses, robots-disallowed paths, hosts whose
  robots.txt failed (must be none);
- the peak memory of the crawl's process tree, the browser's included (target: < 1.5 GB): one
  site in ten builds its pages by script (when the browser is there), so the browser renders all
  through the soak;
- errors by kind, from the crawl's own stats, and whether the crawl ended on its own.
"""

from __future__ import annotations

import gzip
import itertools
import os
import random
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import brotli

from backlink_spider.browser import find_browser
from backlink_spider.localweb import LocalWeb, Resource, redirect
from backlink_spider.settings import BACKLINKS_RENDER_BROWSER
from bench.crawl import TARGET, run_ours
from bench.web import ROBOTS_TXT, SyntheticWeb, WebSpec

MEMORY_LIMIT = 1536 * 2**20
DOWNLOAD_TIMEOUT = 3
# Stats of the crawl that count what went wrong, and what the crawl refused or cut short.
ERROR_STATS = re.compile(
    r"exception|fail|error|forbidden|traps/|guard/|robots/(unreachable|forgotten)|ignored|retry/|maxsize|redirect|skipped|refused",
    re.IGNORECASE,
)
_TARGET_HREF = re.compile(rb'href="(https?://(?:www\.)?' + re.escape(TARGET.encode()) + rb'/[^"]*)"')
_PRIVATE = ("http://10.0.0.7/admin", "http://127.0.0.1:9/", "http://192.168.1.1/", "http://169.254.169.254/latest/")
_PRIVATE_HOSTS = frozenset(("10.0.0.7", "127.0.0.1", "192.168.1.1", "169.254.169.254", "localhost"))
_TEXT = "A paragraph of an article long enough to be read as content, about tools and the people who make them. "


def _html(body: str, head: str = "<meta charset='utf-8'>") -> str:
    return f"<!doctype html><html><head>{head}<title>t</title></head><body>{body}</body></html>"


def _encoded(encoding: str) -> dict[str, str]:
    return {"Content-Type": "text/html", "Content-Encoding": encoding}


def _bombs() -> dict[str, Resource]:
    """The pages whose bodies are built once and shared by every hostile domain."""
    blank = b"<html><body>" + b" " * (60 * 2**20) + b"</body></html>"  # 60 MiB once decompressed
    rng = random.Random(7)
    paragraph = b"<p>" + b"x" * 1000 + b"</p>"
    return {
        "/gzip-bomb": Resource(gzip.compress(blank, 9), headers=_encoded("gzip")),
        "/br-bomb": Resource(brotli.compress(blank, quality=5), headers=_encoded("br")),
        "/endless": Resource(endless=b"<p>" + b"and on " * 10_000 + b"</p>"),
        "/huge": Resource(b"<html><body>" + paragraph * (12 * 2**20 // len(paragraph)) + b"</body></html>"),
        "/binary.html": Resource(bytes(rng.randrange(256) for _ in range(300_000))),
    }


class HostilePages:
    """The hostile pages of one domain: ``resources`` by path, the target links each must yield."""

    def __init__(self, host: str, robots_fail: bool, shared: Mapping[str, Resource]) -> None:
        target = f"http://{TARGET}"
        self.host = host
        self.expected: dict[str, set[str]] = {}
        self.sessions = itertools.count()
        long_url = f"{target}/{'x' * 5000}"
        many = "".join(f'<a href="/many/{n}">item {n}</a> ' for n in range(5000))
        deep = "<div>" * 10_000 + f'<a href="{target}/deep">deep down</a>' + "</div>" * 10_000
        wide = "<div " + " ".join(f"a{n}=1" for n in range(100_000)) + f'><a href="{target}/wide">wide</a></div>'
        # 5,000 formatting elements the paragraph's end closes, which each paragraph after makes again.
        reopened = "<p>" + "".join(f"<b id={n}>" for n in range(5_000)) + "</p>" + "<p>x</p>" * 5_000
        pages: dict[str, tuple[bytes | str, dict[str, str], set[str]]] = {
            "/cp1252": (
                _html(f'<p>{_TEXT} Caf\xe9 na\xefve <a href="{target}/cp1252">R\xe9sum\xe9 \u2013 target</a></p>', "")
                .encode("cp1252"),
                {"Content-Type": "text/html; charset=windows-1252"}, {f"{target}/cp1252"},
            ),
            "/undeclared": (
                _html(f'<p>{_TEXT} Gr\xfc\xdfe <a href="{target}/latin1">\xdcber das Ziel</a></p>', "")
                .encode("latin-1"),
                {"Content-Type": "text/html"}, {f"{target}/latin1"},
            ),
            "/shift-jis": (
                _html(f'<p>{_TEXT} <a href="{target}/sjis">\u30bf\u30fc\u30b2\u30c3\u30c8</a></p>',
                      "<meta charset='shift_jis'>").encode("shift_jis"),
                {"Content-Type": "text/html"}, {f"{target}/sjis"},
            ),
            "/truncated": (
                f'<!doctype html><html><head><title>t</title></head><body><p>{_TEXT} '
                f'<a href="{target}/truncated">before the cut</a></p><p>{_TEXT[:40]}<a href="/tru',
                {}, {f"{target}/truncated"},
            ),
            "/nul": (
                _html(f'<p>{_TEXT} <a href="{target}/nul">nul\x00 and \udcff</a> '
                      f'<a href="{target}/in\x00url">url</a></p>').encode("utf-8", "surrogateescape"),
                # NUL in an attribute parses as U+FFFD, stored percent-encoded (extraction.request_url).
                {}, {f"{target}/nul", f"{target}/in%EF%BF%BDurl"},
            ),
            "/long-url": (_html(f'<p>{_TEXT} <a href="{long_url}">{"long anchor " * 2000}</a></p>'), {}, {long_url}),
            "/many-links": (
                _html(f'<p>{_TEXT}</p>{many}<p><a href="{target}/many">last</a></p>'), {}, {f"{target}/many"}
            ),
            "/deep": (_html(deep), {}, {f"{target}/deep"}),
            "/wide": (_html(wide), {}, {f"{target}/wide"}),
            "/reopened": (
                _html(f'{reopened}<p><a href="{target}/reopened">reopened</a></p>'), {}, {f"{target}/reopened"}
            ),
            "/utf16": (
                _html(f'<p>{_TEXT} <a href="{target}/utf16">UTF-16 \u2013 target</a></p>').encode("utf-16-le"),
                {"Content-Type": "text/html; charset=utf-16"}, {f"{target}/utf16"},
            ),
            "/private/secret": (_html(f'<a href="{target}/disallowed">never fetched</a>'), {}, set()),
            "/slow": (_html(f'<a href="{target}/slow">too late</a>'), {}, set()),
        }  # fmt: skip
        self.resources: dict[str, Resource] = dict(shared)
        for path, (body, headers, targets) in pages.items():
            self.resources[path] = Resource(body, headers=headers or {"Content-Type": "text/html; charset=utf-8"})
            self.expected[path] = targets
        self.resources["/slow"] = Resource(self.resources["/slow"].body, delay=2 * DOWNLOAD_TIMEOUT)
        self.resources["/robots.txt"] = (
            Resource("unavailable", 503, {"Content-Type": "text/plain"})
            if robots_fail
            else Resource(ROBOTS_TXT, headers={"Content-Type": "text/plain"})
        )
        self.resources.update(
            {"/loop1": redirect("/loop2"), "/loop2": redirect("/loop1"), "/to-private": redirect(_PRIVATE[0])}
        )
        self.resources.update({f"/chain{n}": redirect(f"/chain{n + 1}") for n in range(30)})  # fmt: skip
        self.resources["/chain30"] = Resource(_html(f'<a href="{target}/chain-end">past the redirect limit</a>'))
        entries = [*pages, "/loop1", "/chain0", "/to-private", "/calendar?month=1", "/a/", "/search?color=red",
                   "/session?sid=0", *shared, *_PRIVATE]  # fmt: skip
        self.nav = "".join(f'<a href="{path}">{path[:20]}</a> ' for path in entries).encode()

    def trap(self, path: str) -> Resource | None:
        """The endless pages: a calendar, a path that grows, faceted search, session ids."""
        if path.startswith("/calendar?month="):
            month = int(path.rsplit("=", 1)[1] or 0)
            return Resource(_html(f'<p>{_TEXT}</p><a href="/calendar?month={month + 1}">next month</a>'))
        if path.startswith("/a/"):
            return Resource(_html('<a href="a/">deeper</a>'))
        if path.startswith("/search?"):
            return Resource(_html("".join(f'<a href="{path}&f{n}=x">refine {n}</a> ' for n in range(5))))
        if path.startswith("/session?"):
            return Resource(_html(f'<a href="/session?sid={next(self.sessions)}">again</a> <a href="/">home</a>'))
        return None


class SoakWeb(Mapping[str, Mapping[str, Resource]]):
    """The synthetic web with hostile domains, as ``LocalWeb`` reads it; records what it served
    in full and the target links on it (``served``)."""

    def __init__(self, web: SyntheticWeb, hostile_every: int) -> None:
        self.web = web
        shared = _bombs()
        self.hostile = {
            web.domains[i]: HostilePages(web.domains[i], robots_fail=n % 4 == 1, shared=shared)
            for n, i in enumerate(range(hostile_every // 2, len(web.domains), hostile_every))
        }
        self.served: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def __getitem__(self, host: str) -> Mapping[str, Resource]:
        if host not in self.web.index:
            raise KeyError(host)
        return _SoakPaths(self, host)

    def __iter__(self) -> Iterator[str]:
        return iter(self.web.domains)

    def __len__(self) -> int:
        return len(self.web.domains)

    def answer(self, host: str, path: str) -> Resource:
        hostile = self.hostile.get(host)
        if hostile is not None:
            resource = hostile.resources.get(path) or hostile.trap(path)
            if resource is not None:
                if not resource.delay:
                    self._serve(host, path, hostile.expected.get(path, set()))
                return resource
        elif path == "/robots.txt":
            return Resource(ROBOTS_TXT, headers={"Content-Type": "text/plain"})
        page = self.web.page(host, path)
        if page is None:
            raise KeyError(path)
        body = page.body
        if hostile is not None:
            body = body.replace(b'<body class="home blog">', b'<body class="home blog">' + hostile.nav, 1)
        # A script-built page carries its markup as a JSON string, quotes escaped.
        markup = body.replace(b'\\"', b'"') if self.web.scripted(self.web.index[host]) else body
        self._serve(host, path, {match.decode() for match in _TARGET_HREF.findall(markup)})
        return Resource(body)

    def _serve(self, host: str, path: str, targets: set[str]) -> None:
        with self._lock:
            self.served.setdefault(f"http://{host}{path}", set()).update(targets)


class _SoakPaths(Mapping[str, Resource]):
    def __init__(self, soak: SoakWeb, host: str) -> None:
        self.soak, self.host = soak, host

    def __getitem__(self, path: str) -> Resource:
        return self.soak.answer(self.host, path)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _InProcess:
    """``LocalWeb`` serving from this process, as ``bench.crawl`` expects a benchmark web."""

    def __init__(self, web: LocalWeb) -> None:
        self.proxy_url = web.proxy_url
        self.pid = os.getpid()


def _stored(database: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        return set(connection.execute("SELECT source_url, target_url FROM backlinks"))


def run(domains: int = 300, hostile_every: int = 10, pages_per_domain: int = 50, max_depth: int = 4) -> dict[str, Any]:
    # One site in ten built by script, when the browser is there to render it: its backlinks count too.
    scripted_every = 10 if find_browser(BACKLINKS_RENDER_BROWSER) else 0
    spec = WebSpec(
        domains=domains, max_site_pages=30, min_site_pages=5, linker_share=0.2, target_rate=0.5,
        scripted_every=scripted_every,
    )  # fmt: skip
    soak = SoakWeb(SyntheticWeb(spec), hostile_every)
    seeds = soak.web.seed_urls() + [f"http://{host}/" for host in soak.hostile]
    with LocalWeb(soak) as web, tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        crawl = run_ours(
            _InProcess(web), seeds, 100_000, Path(tmp), "soak",
            arguments=("-a", f"pages_per_domain={pages_per_domain}", "-a", f"max_depth={max_depth}"),
            settings={"DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT)}, budget=True, timeout=1200,
        )  # fmt: skip
        stored = _stored(Path(tmp) / "backlinks.sqlite3")
        requests = list(web.requests)
    expected = {(url, target) for url, targets in soak.served.items() for target in targets}
    failing_robots = {host for host, pages in soak.hostile.items() if pages.resources["/robots.txt"].status != 200}
    forbidden = [
        url for url in requests
        if url.split("/")[2] in _PRIVATE_HOSTS or "/private/" in url
        or (url.split("/")[2] in failing_robots and not url.endswith("/robots.txt"))
    ]  # fmt: skip
    stats = crawl.meter.get("stats", {})
    missing = sorted(expected - stored)
    return {
        "domains": domains,
        "hostile_domains": len(soak.hostile),
        "scripted_domains": sum(map(soak.web.scripted, range(len(soak.web.domains)))),
        "pages_fetched": crawl.pages,
        "pages_rendered": stats.get("backlinks/render/pages", 0),
        "requests": len(requests),
        "ended": crawl.meter.get("reason"),
        "returncode": crawl.returncode,
        "backlinks_expected": len(expected),
        "backlinks_stored": len(stored & expected),
        "backlinks_missing": [list(pair) for pair in missing[:20]],
        "backlinks_unexpected": len(stored - expected),
        "stored_vs_expected": round(len(stored & expected) / len(expected), 4) if expected else None,
        "forbidden_requests": forbidden[:20],
        "peak_memory_mib": round(crawl.peak_tree_memory / 2**20, 1),
        "peak_crawl_rss_mib": round(crawl.meter.get("peak_rss", 0) / 2**20, 1),
        "memory_limit_mib": MEMORY_LIMIT // 2**20,
        "wall_s": round(crawl.wall, 1),
        "errors_by_kind": {name: value for name, value in sorted(stats.items()) if ERROR_STATS.search(name)},
        "log_tail": crawl.log_tail[-1500:] if crawl.returncode else "",
    }

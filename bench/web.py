"""The benchmark's synthetic web: generated from a seed, served on loopback as an HTTP proxy.

``SyntheticWeb`` turns a ``WebSpec`` into thousands of registered domains whose site sizes
and inbound links follow power laws, and each URL into a page of realistic size and markup
(30-80 KB; header, nav, main content, aside, comment thread, footer; 100-300 links with some
nofollow/ugc/sponsored, image links and a few links to the target domains), the same bytes
for the same seed every time; with ``scripted_every`` set, a share of the sites carry the same
markup in an inline script that builds the page (for the rendering benchmark). ``BenchServer``
serves it from a process of its own, answering as an HTTP proxy by the host of the requested
URL (as ``localweb.LocalWeb`` does for the tests, so a crawler reaches it through
``http_proxy``), on asyncio with keep-alive so that it is never what a crawl waits for;
``ceiling`` measures how fast it answers.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import random
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

from backlink_spider.localweb import LocalWeb, Resource

ROOT = Path(__file__).resolve().parent.parent
# Asked through the proxy, this host answers with the server's counters (``/stats``) and
# clears them (``/reset``); it is no site of the web.
CONTROL_HOST = "bench.control"
PAGE_MIN, PAGE_MAX = 30_000, 80_000
LINKS_MIN, LINKS_MAX = 100, 300
T = TypeVar("T")
ROBOTS_TXT = b"User-agent: *\nDisallow: /private/\n"

_SYLLABLES = [
    "ka",
    "to",
    "ri",
    "mo",
    "na",
    "lu",
    "be",
    "sa",
    "ve",
    "do",
    "ple",
    "tra",
    "qui",
    "zen",
    "bor",
    "fal",
    "gri",
    "hin",
    "jor",
    "kel",
    "lam",
    "mer",
    "nor",
    "pon",
    "rus",
    "sel",
    "tam",
    "vin",
    "wex",
    "yal",
    "zor",
    "bri",
    "cla",
    "dre",
    "fro",
    "glo",
    "kri",
    "ost",
    "ux",
    "ar",
    "en",
    "il",
    "on",
    "um",
]
# Suffixes weighted roughly as the web's, multi-label and private ones included.
_SUFFIXES = (("com", 50), ("org", 10), ("net", 8), ("io", 5), ("co.uk", 5), ("de", 6), ("fr", 3),
             ("info", 2), ("blog", 2), ("com.au", 2), ("github.io", 2), ("nl", 3), ("es", 2))  # fmt: skip
_GENERIC = ("click here", "read more", "here", "this post", "more", "source", "via", "link")


@dataclass(frozen=True)
class WebSpec:
    """What to generate. Equal specs generate equal webs, byte for byte."""

    seed: int = 1
    domains: int = 3000
    # Site sizes follow a power law: domain i has about max_site_pages / (i+1)**site_exponent pages.
    max_site_pages: int = 2000
    min_site_pages: int = 5
    site_exponent: float = 0.9
    # External links pick domain j with weight 1 / (j+1)**link_exponent (preferential attachment).
    link_exponent: float = 1.0
    targets: tuple[str, ...] = ("linkbench-target.com",)
    # Share of domains whose pages link to a target, and share of their pages that do.
    linker_share: float = 0.05
    target_rate: float = 0.2
    # Linkers only in the long tail (index >= domains * far_from), and the seed sites never
    # link to one: the backlinks are at least two hops from the seeds.
    far_from: float = 0.0
    seeds: int = 10
    # One domain in ``scripted_every`` (those whose index it divides) builds its pages by script:
    # an empty app root that an inline script fills with the page's markup; 0: none does.
    scripted_every: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> WebSpec:
        data = json.loads(text)
        data["targets"] = tuple(data["targets"])
        return cls(**data)


@dataclass(slots=True)
class GeneratedPage:
    """One page's bytes and what the generator put in it."""

    body: bytes
    links: int
    target_links: int
    rels: dict[str, int] = field(default_factory=dict)
    image_links: int = 0


class SyntheticWeb:
    """The web of a ``WebSpec``: domain names, site sizes, and pages generated on demand."""

    def __init__(self, spec: WebSpec) -> None:
        self.spec = spec
        rng = random.Random(f"web:{spec.seed}")
        names: list[str] = []
        taken = set(spec.targets)
        suffixes = [s for s, _ in _SUFFIXES]
        suffix_weights = list(accumulate(w for _, w in _SUFFIXES))
        while len(names) < spec.domains:
            label = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            if rng.random() < 0.3:
                label += "-" + "".join(rng.choice(_SYLLABLES) for _ in range(2))
            suffix = suffixes[bisect.bisect_right(suffix_weights, rng.random() * suffix_weights[-1])]
            name = f"{label}.{suffix}"
            if name not in taken:
                taken.add(name)
                names.append(name)
        self.domains = names
        self.index = {name: i for i, name in enumerate(names)}
        self.sizes = [
            max(spec.min_site_pages, min(spec.max_site_pages, int(spec.max_site_pages / (i + 1) ** spec.site_exponent)))
            for i in range(spec.domains)
        ]
        self._popularity = list(accumulate(1.0 / (j + 1) ** spec.link_exponent for j in range(spec.domains)))
        first_linker = max(spec.seeds, int(spec.domains * spec.far_from)) if spec.far_from else 0
        self.linkers = frozenset(
            i
            for i in range(first_linker, spec.domains)
            if random.Random(f"linker:{spec.seed}:{i}").random() < spec.linker_share
        )
        self.words = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(1500)]
        self.sentences = []
        for _ in range(2000):
            words = [rng.choice(self.words) for _ in range(rng.randint(7, 22))]
            self.sentences.append(escape(" ".join(words).capitalize() + rng.choice(".....?!")))
        # Titles of 1-6 words, drawn from pools (a page draws hundreds: composing each is slow).
        self.titles = [
            [" ".join(rng.choice(self.words) for _ in range(n)).title() for _ in range(400)] for n in range(7)
        ]

    # --- addresses ----------------------------------------------------------------------

    def url(self, domain: int, page: int) -> str:
        host = self.domains[domain]
        return f"http://{host}/" if page == 0 else f"http://{host}/post/{page}/{self.words[page % len(self.words)]}"

    def seed_urls(self) -> list[str]:
        """The home pages of the biggest sites."""
        return [self.url(i, 0) for i in range(min(self.spec.seeds, self.spec.domains))]

    def locate(self, host: str, path: str) -> tuple[int, int] | None:
        """(domain, page) of a URL of this web, or None."""
        domain = self.index.get(host)
        if domain is None:
            return None
        path = path.split("?", 1)[0]
        if path == "/":
            return domain, 0
        parts = path.split("/")
        if len(parts) == 4 and parts[1] == "post" and parts[2].isdigit():
            page = int(parts[2])
            if 0 < page < self.sizes[domain]:
                return domain, page
        return None

    # --- pages --------------------------------------------------------------------------

    def _external(self, rng: random.Random, source: int) -> int:
        """A domain other than ``source``, by popularity; never a linker from a seed site when far_from."""
        far = self.spec.far_from and source < self.spec.seeds
        popularity = self._popularity
        while True:
            j = bisect.bisect_right(popularity, rng.random() * popularity[-1])
            j = min(j, self.spec.domains - 1)
            if j != source and not (far and j in self.linkers):
                return j

    def _page_of(self, rng: random.Random, domain: int) -> int:
        size = self.sizes[domain]
        roll = rng.random()
        return 0 if size == 1 or roll < 0.4 else 1 + int((roll - 0.4) / 0.6 * (size - 1))

    def page(self, host: str, path: str) -> GeneratedPage | None:
        located = self.locate(host, path)
        if located is None:
            return None
        return self.generate(*located)

    def generate(self, domain: int, page: int) -> GeneratedPage:
        """The page ``page`` of site ``domain``: the same bytes for the same spec, every time."""
        spec = self.spec
        rng = random.Random(f"page:{spec.seed}:{domain}:{page}")
        rand = rng.random

        def between(low: int, high: int) -> int:
            return low + int(rand() * (high - low + 1))

        def pick(sequence: Sequence[T]) -> T:
            return sequence[int(rand() * len(sequence))]

        host = self.domains[domain]
        total = between(LINKS_MIN, LINKS_MAX)
        target_links = 0
        if domain in self.linkers and rand() < spec.target_rate:
            target_links = pick((1, 1, 1, 2))
        rels: dict[str, int] = {}
        images = 0
        sentences = self.sentences
        words = self.words
        titles = self.titles

        def text(count: int) -> str:
            return " ".join([pick(sentences) for _ in range(count)])

        def title(count: int = 3) -> str:
            return pick(titles[count])

        def internal() -> str:
            return self.url(domain, self._page_of(rng, domain)).split(host, 1)[1]

        def external() -> str:
            j = self._external(rng, domain)
            url = self.url(j, self._page_of(rng, j))
            return url + "?ref=" + host if rand() < 0.05 else url

        def anchor(href: str, label: str, rel: str = "", image: bool = False) -> str:
            nonlocal images
            if rel:
                rels[rel] = rels.get(rel, 0) + 1
            rel_attr = f' rel="{rel}"' if rel else ""
            if image:
                images += 1
                image_tag = f'<img src="/img/{int(rand() * 999)}.jpg" alt="{label}" width="120" height="60">'
                return f'<a href="{href}"{rel_attr}>{image_tag}</a>'
            return f'<a href="{href}"{rel_attr}>{label}</a>'

        def target_anchor() -> str:
            target = pick(spec.targets)
            url = f"https://{'www.' if rand() < 0.5 else ''}{target}/" + pick(("", "pricing", "blog/launch"))
            brand = target.split(".")[0].replace("-", " ").title()
            label = pick((brand, target, "click here", title(2), brand + " " + title(1)))
            rel = "nofollow" if rand() < 0.2 else ""
            return anchor(url, label, rel)

        # How the page's links split across its regions.
        header_n = 5
        nav_n = between(8, 20)
        comment_n = between(0, 16) if page else 0
        footer_n = between(10, 20)
        content_n = max(10, int(total * (0.15 + 0.15 * rand())))
        aside_n = total - header_n - nav_n - comment_n - footer_n - content_n - target_links
        out: list[str] = []
        out.append(
            f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title(5)} | {host}</title>\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<link rel="stylesheet" href="/static/site.css?v={spec.seed}">\n'
            f'<link rel="canonical" href="{self.url(domain, page)}">\n'
            "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
            "gtag('js',new Date());gtag('config','G-BENCH');</script>\n</head>\n<body class=\"home blog\">\n"
        )
        out.append('<header class="site-header"><div class="container">')
        out.append(anchor("/", host, image=True))
        out.append('<ul class="header-links">')
        out.extend(f"<li>{anchor(internal(), title(1))}</li>" for _ in range(header_n - 1))
        out.append('</ul></div></header>\n<nav class="main-navigation" role="navigation"><ul class="menu">')
        out.extend(f'<li class="menu-item">{anchor(internal(), title(2))}</li>' for _ in range(nav_n))
        out.append('</ul></nav>\n<div id="page" class="site-content"><main id="main" class="site-main">\n')
        out.append(
            f'<article class="post hentry"><h1 class="entry-title">{title(6)}</h1>\n<div class="entry-content">\n'
        )
        # Content: paragraphs of prose with links inside; the target links sit here mostly.
        placed = 0
        content_parts: list[str] = []
        while placed < content_n:
            inline = []
            for _ in range(between(1, 4)):
                if placed >= content_n:
                    break
                placed += 1
                if rand() < 0.45:
                    inline.append(anchor(internal(), title(between(1, 4))))
                else:
                    roll = rand()
                    rel = "nofollow" if roll < 0.1 else "sponsored" if roll < 0.13 else ""
                    href = external()
                    label = pick((title(between(1, 5)), pick(_GENERIC), href))
                    inline.append(anchor(href, label, rel, image=rand() < 0.05))
            pieces = [text(between(1, 3))]
            for link in inline:
                pieces += [link, text(1)]
            content_parts.append("<p>" + " ".join(pieces) + "</p>\n")
        for _ in range(target_links):
            at = int(rand() * (len(content_parts) + 1))
            if rand() < 0.8:
                content_parts.insert(at, f"<p>{text(2)} {target_anchor()} {text(1)}</p>\n")
            else:
                content_parts.insert(at, f"<ul><li>{target_anchor()}</li></ul>\n")
        out.extend(content_parts)
        out.append("</div>\n")
        # Comments: each commenter's link is ugc nofollow.
        if comment_n:
            out.append(
                f'<section id="comments" class="comments-area"><h2>{comment_n} comments</h2><ol class="comment-list">\n'
            )
            for number in range(comment_n):
                out.append(
                    f'<li class="comment" id="comment-{number}"><article class="comment-body">'
                    f'<footer class="comment-meta"><span class="comment-author">'
                    f"{anchor(external(), title(2), 'external nofollow ugc')}</span></footer>"
                    f'<div class="comment-content"><p>{text(between(1, 3))}</p></div></article></li>\n'
                )
            out.append("</ol></section>\n")
        out.append("</article></main>\n")
        # Aside: blogroll, tag cloud, sponsored banners; it takes the rest of the budget.
        out.append('<aside id="secondary" class="widget-area sidebar"><section class="widget"><h3>Blogroll</h3><ul>')
        for _ in range(aside_n):
            roll = rand()
            if roll < 0.5:
                out.append(f"<li>{anchor(external(), title(between(1, 3)))}</li>")
            elif roll < 0.55:
                out.append(f"<li>{anchor(external(), title(2), 'sponsored', image=True)}</li>")
            else:
                out.append(f'<li class="tag">{anchor(internal(), pick(words))}</li>')
        out.append("</ul></section></aside>\n</div>\n")
        out.append('<footer id="colophon" class="site-footer"><div class="footer-widgets"><ul>')
        for _ in range(footer_n):
            if rand() < 0.8:
                out.append(f"<li>{anchor(internal(), title(2))}</li>")
            else:
                out.append(f"<li>{anchor(external(), title(2), 'sponsored' if rand() < 0.3 else '')}</li>")
        out.append(f'</ul></div><p class="copyright">&copy; 2025 {host}</p></footer>\n')
        # Filler: more article text up to the page's size, inserted before the comments would be
        # simplest, but a trailing "archive" section keeps the link budget exact.
        size = sum(len(part) for part in out)
        goal = between(PAGE_MIN, PAGE_MAX) - 40
        filler: list[str] = []
        while size < goal:
            paragraph = f"<p>{text(between(3, 8))}</p>\n"
            if size + len(paragraph) > PAGE_MAX - 200:
                paragraph = paragraph[: PAGE_MAX - 240 - size] + "</p>\n"
            filler.append(paragraph)
            size += len(paragraph)
        out.insert(out.index("</div>\n") + 1, f'<div class="entry-more">{"".join(filler)}</div>\n')
        if self.scripted(domain):
            out[1:] = [built_by_script("".join(out[1:]))]
        out.append("</body>\n</html>\n")
        body = "".join(out).encode("utf-8")
        return GeneratedPage(body, total, target_links, rels, images)

    def scripted(self, domain: int) -> bool:
        """Whether the pages of site ``domain`` are built by script."""
        return bool(self.spec.scripted_every) and domain % self.spec.scripted_every == 0


def built_by_script(markup: str) -> str:
    """A page body's ``markup`` as a script-built page carries it: an empty app root and an inline
    script that fills it (the React way), so that only a browser sees its links."""
    text = json.dumps(markup).replace("</", "<\\/")
    return f'<div id="root"></div>\n<script>document.getElementById("root").innerHTML = {text};</script>\n'


# --- the server ---------------------------------------------------------------------------


class _Counters:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.pages = 0
        self.bytes = 0
        self.not_found = 0
        self.generated = 0
        self.generate_seconds = 0.0
        self.referring: set[str] = set()

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "pages": self.pages,
            "bytes": self.bytes,
            "not_found": self.not_found,
            "generated": self.generated,
            "generate_seconds": round(self.generate_seconds, 3),
            "referring_domains": sorted(self.referring),
        }


def _response(status: str, body: bytes, content_type: bytes = b"text/html; charset=utf-8") -> bytes:
    return (
        b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: " + content_type
        + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


class _Site:
    """Answers requests for a web, with a cache of generated pages."""

    def __init__(self, web: SyntheticWeb, cache_pages: int = 4000) -> None:
        self.web = web
        self.cache: OrderedDict[tuple[str, str], tuple[bytes, bool]] = OrderedDict()
        self.cache_pages = cache_pages
        self.counters = _Counters()

    def answer(self, target: bytes, host_header: bytes) -> bytes:
        counters = self.counters
        counters.requests += 1
        text = target.decode("latin-1")
        if "://" in text:
            rest = text.split("://", 1)[1]
            host, _, path = rest.partition("/")
            path = "/" + path
        else:
            host, path = host_header.decode("latin-1"), text
        host = host.split(":", 1)[0].lower()
        if host == CONTROL_HOST:
            if path.startswith("/reset"):
                counters.reset()
            return _response("200 OK", json.dumps(counters.as_dict()).encode(), b"application/json")
        if path == "/robots.txt":
            return _response("200 OK", ROBOTS_TXT, b"text/plain")
        key = (host, path)
        cached = self.cache.get(key)
        if cached is not None:
            self.cache.move_to_end(key)
            payload, links_to_target = cached
            if links_to_target:
                counters.referring.add(host)
            counters.pages += 1
            counters.bytes += len(payload)
            return payload
        started = time.perf_counter()
        page = self.web.page(host, path)
        if page is None:
            counters.not_found += 1
            return _response("404 Not Found", b"not found", b"text/plain")
        counters.generated += 1
        counters.generate_seconds += time.perf_counter() - started
        if page.target_links:
            counters.referring.add(host)
        payload = _response("200 OK", page.body)
        self.cache[key] = (payload, page.target_links > 0)
        if len(self.cache) > self.cache_pages:
            self.cache.popitem(last=False)
        counters.pages += 1
        counters.bytes += len(payload)
        return payload


class _Protocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; GET and HEAD without bodies, which is all a crawler sends."""

    def __init__(self, site: _Site) -> None:
        self.site = site
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            lines = head.split(b"\r\n")
            try:
                method, target, _ = lines[0].split(b" ", 2)
            except ValueError:
                self.transport.write(_response("400 Bad Request", b"bad request", b"text/plain"))
                self.transport.close()
                return
            host = b""
            close = False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"host":
                    host = value.strip()
                elif name in (b"connection", b"proxy-connection") and value.strip().lower() == b"close":
                    close = True
            payload = self.site.answer(target, host)
            if method == b"HEAD":
                payload = payload[: payload.find(b"\r\n\r\n") + 4]
            self.transport.write(payload)
            if close:
                self.transport.close()
                return


class _LazySites(Mapping[str, Mapping[str, Resource]]):
    """The web as ``LocalWeb`` reads it (host -> path -> resource), pages generated on demand."""

    def __init__(self, web: SyntheticWeb) -> None:
        self.web = web
        # Pages generated once, as LocalWeb's own webs are built once (only as many as a
        # ceiling measurement asks for).
        self.cache: dict[tuple[str, str], Resource] = {}

    def __getitem__(self, host: str) -> Mapping[str, Resource]:
        if host not in self.web.index:
            raise KeyError(host)
        return _LazyPaths(self.web, host, self.cache)

    def __iter__(self) -> Iterator[str]:
        return iter(self.web.domains)

    def __len__(self) -> int:
        return len(self.web.domains)


class _LazyPaths(Mapping[str, Resource]):
    def __init__(self, web: SyntheticWeb, host: str, cache: dict[tuple[str, str], Resource]) -> None:
        self.web, self.host, self.cache = web, host, cache

    def __getitem__(self, path: str) -> Resource:
        if path == "/robots.txt":
            return Resource(ROBOTS_TXT, headers={"Content-Type": "text/plain"})
        resource = self.cache.get((self.host, path))
        if resource is None:
            page = self.web.page(self.host, path)
            if page is None:
                raise KeyError(path)
            resource = self.cache[self.host, path] = Resource(page.body)
        return resource

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _serve_localweb(spec: WebSpec, port: int) -> None:
    """The same web from the tests' ``LocalWeb`` (threaded ``http.server``), to compare ceilings."""
    with LocalWeb(_LazySites(SyntheticWeb(spec)), port) as web:
        print(f"PORT {web.server.server_address[1]}", flush=True)
        web.thread.join()


async def _serve(spec: WebSpec, port: int) -> None:
    site = _Site(SyntheticWeb(spec))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(site), "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    async with server:
        await server.serve_forever()


class BenchServer:
    """Serves a ``WebSpec`` from a process of its own on 127.0.0.1; a context manager."""

    def __init__(self, spec: WebSpec, kind: str = "asyncio") -> None:
        self.spec = spec
        self.kind = kind
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> BenchServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.web", "--spec", self.spec.to_json(), "--server", self.kind],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"benchmark web did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def control(self, action: str = "stats") -> dict[str, object]:
        """The server's counters since the last reset (``action="reset"`` clears them)."""
        return asyncio.run(_control(self.port, action))

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


async def _control(port: int, action: str) -> dict[str, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET http://{CONTROL_HOST}/{action} HTTP/1.1\r\nHost: {CONTROL_HOST}\r\nConnection: close\r\n\r\n".encode()
    )
    data = await reader.read()
    writer.close()
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


# --- the server's ceiling ----------------------------------------------------------------


async def _load(port: int, urls: list[str], connections: int, seconds: float) -> tuple[int, int]:
    """Fetch ``urls`` round robin over keep-alive connections for ``seconds``; (responses, bytes)."""
    deadline = time.perf_counter() + seconds
    done = [0, 0]
    cursor = [0]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            url = urls[cursor[0] % len(urls)]
            cursor[0] += 1
            host = url.split("/")[2]
            writer.write(f"GET {url} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            done[0] += 1
            done[1] += len(head) + length
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return done[0], done[1]


def ceiling(port: int, urls: list[str], connections: int = 32, seconds: float = 2.0) -> dict[str, float]:
    """Pages per second the server answers to a light client over ``connections`` keep-alive
    connections (a lower bound: the client, a Python process too, may be what limits it)."""
    started = time.perf_counter()
    responses, size = asyncio.run(_load(port, urls, connections, seconds))
    elapsed = time.perf_counter() - started
    return {"pages_per_s": responses / elapsed, "mib_per_s": size / elapsed / 2**20, "responses": responses}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description="Serve the benchmark's synthetic web.")
    parser.add_argument("--spec", default=WebSpec().to_json(), help="the WebSpec as JSON")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--server", choices=("asyncio", "localweb"), default="asyncio")
    arguments = parser.parse_args()
    spec = WebSpec.from_json(arguments.spec)
    try:
        if arguments.server == "localweb":
            _serve_localweb(spec, arguments.port)
        else:
            asyncio.run(_serve(spec, arguments.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

"""Link extraction: one parse of a page gives every outlink with all its fields.

Pure functions over the page's text (or bytes and Content-Type), its URL and its
``X-Robots-Tag`` values; no Scrapy. The parser is lexbor (selectolax): it repairs
broken markup as browsers do and is the fastest measured here (see the README).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode
from w3lib.encoding import html_to_unicode
from w3lib.html import strip_html5_whitespace

from backlink_spider.anchors import normalise_anchor
from backlink_spider.directives import ROBOTS_META_NAMES, Rel, header_nofollow, robots_nofollow
from backlink_spider.domains import unicode_host
from backlink_spider.placement import TOP, Region, enter

SNIPPET_CHARS = 160
_QUERY_START = re.compile(r"[?#]")
_FOLLOWABLE_SCHEMES = ("http", "https")
# Elements whose text is the natural context of a link inside them.
_BLOCKS = frozenset(
    [
        "p",
        "li",
        "td",
        "th",
        "dd",
        "dt",
        "blockquote",
        "figcaption",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "caption",
    ]
)
# Prose around a link, this many characters besides link text, marks it as content when no
# element says where it is (or only class words of a region that may wrap the main text).
_PROSE_CHARS = 100


@dataclass(slots=True)
class Link:
    """One outlink of a page."""

    url: str
    host: str
    anchor: str
    rel: Rel
    link_type: str
    placement: str
    snippet: str


@dataclass(slots=True)
class Page:
    """What one parse of a page tells: its links and whether it is nofollow as a whole."""

    url: str
    base_url: str
    nofollow: bool
    links: list[Link] = field(default_factory=list)


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode a body by its declared charset (header, BOM, ``<meta>``) or a detected one."""
    _, text = html_to_unicode(content_type, body)
    return text


def absolute_url(href: str, base_url: str) -> str | None:
    """Resolve ``href`` against ``base_url``; None unless the result is an http(s) URL
    (``javascript:``, ``mailto:``, ``tel:``, ``data:`` and fragment-only links give None).

    The scheme and host are lowercased, the host kept in Unicode, the fragment dropped.
    """
    resolved = _resolve(href, base_url)
    return resolved[0] if resolved is not None else None


# Characters after which ``urlsplit(url).hostname`` of a resolved URL may not be its host
# as built (a non-ASCII host is also checked by urlsplit, which may refuse it).
_UNPLAIN_HOST = frozenset("/?#@%[]\t\r\n")


# Pages repeat their hrefs (menus, footers) and sites repeat them across pages.
@lru_cache(maxsize=65536)
def _resolve(href: str, base_url: str) -> tuple[str, str | None] | None:
    """``absolute_url`` and the host of the result (``urlsplit(url).hostname``), or None
    for the host when only ``urlsplit`` can tell it."""
    href = strip_html5_whitespace(href)
    if not href or href.startswith("#"):
        return None
    # Browsers drop tabs and newlines from URLs, and read a backslash before the query
    # as a slash in http(s) URLs (http://target.com\@evil.com/ goes to target.com).
    href = href.replace("\t", "").replace("\n", "").replace("\r", "")
    if "\\" in href:
        query = _QUERY_START.search(href)
        cut = query.start() if query else len(href)
        href = href[:cut].replace("\\", "/") + href[cut:]
    # Two shapes of href that most links have, resolved without urljoin (it gives the
    # same: see _resolve_root); anything else (params, dot segments...) takes urljoin.
    absolute = False
    if ";" not in href:
        if href[:1] == "/" and href[:2] != "//" and href != "/":
            path, _, query = href.partition("#")[0].partition("?")
            root = _resolve_root(base_url) if "/." not in path else None
            if root is not None:
                return f"{root[0]}{path}?{query}" if query else f"{root[0]}{path}", root[1]
        else:
            absolute = href.startswith(("http://", "https://")) and _parses(base_url)
    try:
        # urljoin gives an absolute href with a host back as it is, or (same scheme)
        # rebuilt from its parts; either splits as the href itself does.
        parts = urlsplit(href) if absolute else None
        if parts is None or not parts.netloc:
            parts = urlsplit(urljoin(base_url, href))
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in _FOLLOWABLE_SCHEMES or not host:
        return None
    netloc = unicode_host(host)
    if ":" in netloc:
        netloc = f"[{netloc}]"
    try:
        port = parts.port
    except ValueError:
        return None
    plain = netloc if netloc and netloc.isascii() and _UNPLAIN_HOST.isdisjoint(netloc) and netloc.islower() else None
    if port is not None and port != (80 if parts.scheme == "http" else 443):
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), plain


class _PageWalker:
    """Answers per-element questions about one parsed page, memoised by element."""

    def __init__(self) -> None:
        self._region: dict[int, Region] = {}
        self._text: dict[int, str] = {}

    def region(self, node: LexborNode | None) -> Region:
        """The region inside ``node``: each ancestor is judged once per page, top down."""
        chain: list[LexborNode] = []
        region = TOP
        current = node
        while current is not None and current.tag not in ("body", "html", "-document"):
            known = self._region.get(current.mem_id)
            if known is not None:
                region = known
                break
            chain.append(current)
            current = current.parent
        for element in reversed(chain):
            attrs = element.attributes
            region = enter(region, element.tag or "", attrs.get("role"), attrs.get("class"), attrs.get("id"))
            self._region[element.mem_id] = region
        return region

    def text(self, node: LexborNode) -> str:
        key = node.mem_id
        text = self._text.get(key)
        if text is None:
            text = normalise_anchor(node.text(deep=True))
            self._text[key] = text
        return text


@lru_cache(maxsize=4096)
def _resolve_root(base_url: str) -> tuple[str, str | None] | None:
    """What ``_resolve`` gives for ``"/"`` on ``base_url``, without its final slash.

    urljoin resolves an href of an absolute path without dot segments or params to the
    base's scheme and netloc and the href's path and query, so such an href resolves
    to this plus its path and query.
    """
    resolved = _resolve("/", base_url)
    return None if resolved is None else (resolved[0][:-1], resolved[1])


@lru_cache(maxsize=4096)
def _parses(base_url: str) -> bool:
    """Whether urljoin can parse ``base_url`` (it raises ValueError for a few)."""
    try:
        urlsplit(base_url)
    except ValueError:
        return False
    return True


# Rel is immutable, and pages repeat a few rel values.
_parse_rel = lru_cache(maxsize=1024)(Rel.parse)


def _block(node: LexborNode) -> LexborNode | None:
    current = node.parent
    while current is not None:
        if current.tag in _BLOCKS:
            return current
        if current.tag in ("body", "html"):
            return None
        current = current.parent
    return None


def _is_prose(context: str, link_chars: int) -> bool:
    """Whether a block's text is prose: ``_PROSE_CHARS`` of it are not the text of its
    links, and its links are at most half of it (a cell or item listing links is not)."""
    return len(context) - link_chars >= _PROSE_CHARS and 2 * link_chars <= len(context)


def _snippet(context: str, anchor: str) -> str:
    if len(context) <= SNIPPET_CHARS:
        return context
    at = context.find(anchor) if anchor else -1
    if at < 0:
        return context[:SNIPPET_CHARS]
    start = max(0, at + len(anchor) // 2 - SNIPPET_CHARS // 2)
    return context[start : start + SNIPPET_CHARS]


def _anchor_and_type(node: LexborNode) -> tuple[str, str]:
    text = normalise_anchor(node.text(deep=True))
    if text:
        return text, "text"
    image = node.css_first("img")
    if image is not None:
        return normalise_anchor(image.attributes.get("alt") or ""), "image"
    label = normalise_anchor(node.attributes.get("title") or node.attributes.get("aria-label") or "")
    if node.tag == "area":
        # A hotspot of an image map: its alt is its anchor.
        return normalise_anchor(node.attributes.get("alt") or "") or label, "image"
    return label, "text"


def page_nofollow(tree: LexborHTMLParser, robots_headers: Iterable[str]) -> bool:
    """True when the page forbids following all its links (meta robots or X-Robots-Tag)."""
    if header_nofollow(robots_headers):
        return True
    for meta in tree.css("meta[name][content]"):
        attrs = meta.attributes
        if (attrs.get("name") or "").strip().lower() in ROBOTS_META_NAMES and robots_nofollow(
            attrs.get("content") or ""
        ):
            return True
    return False


def extract_page(
    html: str | bytes,
    url: str,
    robots_headers: Iterable[str] = (),
    content_type: str | None = None,
) -> Page:
    """Parse ``html`` once and return every http(s) outlink with all its fields.

    ``url`` is the page's final URL (after redirects); ``<base href>`` overrides it for
    resolving links. ``robots_headers`` are the ``X-Robots-Tag`` values the page came with.
    """
    if isinstance(html, bytes):
        html = decode_html(html, content_type)
    # NULs are left to the parser, which treats them as browsers do (dropped from text,
    # U+FFFD in attribute values).
    tree = LexborHTMLParser(html)
    base_url = url
    base = tree.css_first("base[href]")
    if base is not None:
        resolved = absolute_url(base.attributes.get("href") or "", url)
        if resolved:
            base_url = resolved
    page = Page(url=url, base_url=base_url, nofollow=page_nofollow(tree, robots_headers))
    walker = _PageWalker()
    found: list[tuple[LexborNode, str, str | None, str | None, str, str, LexborNode | None]] = []
    # Link text per block (the nearest block of each link), to tell prose from link lists.
    link_chars: dict[int, int] = {}
    for node in tree.css("a[href], area[href]"):
        attrs = node.attributes
        resolved = _resolve(attrs.get("href") or "", base_url)
        if resolved is None:
            continue
        anchor, link_type = _anchor_and_type(node)
        block = _block(node)
        if block is not None:
            link_chars[block.mem_id] = link_chars.get(block.mem_id, 0) + len(anchor)
        found.append((node, *resolved, attrs.get("rel"), anchor, link_type, block))
    links = page.links
    for node, target, host, rel, anchor, link_type, block in found:
        context = walker.text(block) if block is not None else anchor
        region = walker.region(node.parent)
        placement = region.placement
        if region.prose_decides and block is not None and _is_prose(context, link_chars[block.mem_id]):
            placement = "content"
        elif placement is None:
            placement = "unknown"
        links.append(
            Link(
                url=target,
                host=host if host is not None else urlsplit(target).hostname or "",
                anchor=anchor,
                rel=_parse_rel(rel),
                link_type=link_type,
                placement=placement,
                snippet=_snippet(context or anchor, anchor),
            )
        )
    return page

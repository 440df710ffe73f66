"""Link extraction: one parse of a page gives every outlink with all its fields.

Pure functions over the page's text (or bytes and Content-Type), its URL and its
``X-Robots-Tag`` values; no Scrapy. The parser is lexbor (selectolax): it repairs
broken markup as browsers do and is the fastest measured here (see the README). A link's
URL, host and rel come with the parse; its anchor, type, placement and snippet when read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode
from w3lib.encoding import html_to_unicode
from w3lib.html import HTML5_WHITESPACE

from backlink_spider.anchors import normalise_anchor
from backlink_spider.directives import ROBOTS_META_NAMES, Rel, header_nofollow, robots_nofollow
from backlink_spider.domains import unicode_host
from backlink_spider.placement import REGION_TAGS, TOP, Region, enter

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


class Link:
    """One outlink of a page.

    ``url``, ``host`` and ``rel`` come with the parse. ``anchor``, ``link_type``,
    ``placement`` and ``snippet`` are worked out on first access and kept (by the page's
    ``_Layout``): a crawl reads them only for the links to its targets, a small share of
    a page's links.
    """

    __slots__ = ("_index", "_layout", "host", "rel", "url")

    def __init__(self, url: str, host: str, rel: Rel, layout: _Layout, index: int) -> None:
        self.url = url
        self.host = host
        self.rel = rel
        self._layout = layout
        self._index = index

    @property
    def anchor(self) -> str:
        """The link's text, whitespace collapsed; for a link without text, its image's
        alt (or its own, for an image map's ``<area>``), title or aria-label."""
        anchor = self._layout.anchors[self._index]
        return anchor if anchor is not None else self._layout.label(self._index)

    @property
    def link_type(self) -> str:
        """``image`` for an image link (and an ``<area>``), else ``text``."""
        layout = self._layout
        if layout.anchors[self._index] is None:
            layout.label(self._index)
        return layout.link_types[self._index]

    @property
    def placement(self) -> str:
        """Where on the page the link sits: one of ``placement.PLACEMENTS``."""
        placement = self._layout.placements[self._index]
        return placement if placement is not None else self._layout.placement(self._index)

    @property
    def snippet(self) -> str:
        """The text of the link's nearest block (paragraph, list item, cell, heading...),
        or its anchor outside any; a window of ``SNIPPET_CHARS`` around the link in a
        longer one."""
        snippet = self._layout.snippets[self._index]
        return snippet if snippet is not None else self._layout.snippet(self._index)

    def _fields(self) -> tuple[str, str, str, Rel, str, str, str]:
        return (self.url, self.host, self.anchor, self.rel, self.link_type, self.placement, self.snippet)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Link):
            return NotImplemented
        return self._fields() == other._fields()

    def __repr__(self) -> str:
        fields = zip(("url", "host", "anchor", "rel", "link_type", "placement", "snippet"), self._fields(), strict=True)
        return f"Link({', '.join(f'{name}={value!r}' for name, value in fields)})"


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
# An absolute http(s) href whose host urlsplit and unicode_host give back as written:
# lowercase ASCII labels, no port, user, trailing dot or punycode (checked apart).
_PLAIN_ABSOLUTE = re.compile(r"(https?)://([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?=[/?#]|\Z)")
# A scheme as urlsplit reads one: ASCII letter, then letters, digits, "+", "-", ".".
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def _resolve(href: str, base_url: str) -> tuple[str, str | None] | None:
    """``absolute_url`` and the host of the result (``urlsplit(url).hostname``), or None
    for the host when only ``urlsplit`` can tell it."""
    href = href.strip(HTML5_WHITESPACE)
    if not href or href.startswith("#"):
        return None
    # Browsers drop tabs and newlines from URLs, and read a backslash before the query
    # as a slash in http(s) URLs (http://target.com\@evil.com/ goes to target.com).
    if "\t" in href or "\n" in href or "\r" in href:
        href = href.replace("\t", "").replace("\n", "").replace("\r", "")
    if "\\" in href:
        query = _QUERY_START.search(href)
        cut = query.start() if query else len(href)
        href = href[:cut].replace("\\", "/") + href[cut:]
    # Three shapes of href that most links have, resolved without urljoin (it gives the
    # same: see _resolve_root); anything else (params, dot segments...) takes urljoin.
    absolute = False
    if href[:1] == "/":
        if ";" not in href and href[:2] != "//" and href != "/":
            path, _, query = href.partition("#")[0].partition("?")
            root = _resolve_root(base_url) if "/." not in path else None
            if root is not None:
                return f"{root[0]}{path}?{query}" if query else f"{root[0]}{path}", root[1]
        elif href[:2] == "//" and ";" not in href and (root := _resolve_root(base_url)) is not None:
            # A network-path href ("//host/path") takes the base's scheme, then resolves
            # as an absolute one.
            resolved = _resolve_plain(f"{root[0][: root[0].index(':')]}:{href}")
            if resolved is not None:
                return resolved
    elif href.startswith(("http://", "https://")):
        if not _parses(base_url):
            return None
        # urljoin drops empty params (a trailing ";"): such hrefs take it.
        absolute = ";" not in href
        resolved = _resolve_plain(href) if absolute else None
        if resolved is not None:
            return resolved
    else:
        # urljoin gives an href with a scheme of its own back as it is.
        scheme = _SCHEME.match(href)
        if scheme is not None and scheme[1].lower() not in _FOLLOWABLE_SCHEMES:
            return None
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
    if "%" in host:
        host = _percent_decoded_host(host)
        if host is None:
            return None
    netloc = unicode_host(host)
    if ":" in netloc:
        netloc = f"[{netloc}]"
    try:
        port = parts.port
    except ValueError:
        return None
    plain_host = (
        netloc if netloc and netloc.isascii() and _UNPLAIN_HOST.isdisjoint(netloc) and netloc.islower() else None
    )
    if port is not None and port != (80 if parts.scheme == "http" else 443):
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), plain_host


# Code points a browser refuses in a host once it is percent-decoded (the URL standard's
# forbidden domain code points).
_FORBIDDEN_IN_HOST = frozenset(" #/:<>?@[\\]^|%\x7f") | frozenset(map(chr, range(32)))


def _percent_decoded_host(host: str) -> str | None:
    """A host as a browser reads it: percent-decoded (``t%61rget.com`` is ``target.com``),
    or None when that gives something no host may hold (``a%2Fb.com``, invalid UTF-8)."""
    try:
        decoded = unquote(host, errors="strict")
    except UnicodeDecodeError:
        return None
    return None if not decoded or not _FORBIDDEN_IN_HOST.isdisjoint(decoded) else decoded


def _resolve_plain(href: str) -> tuple[str, str] | None:
    """``_resolve`` of an absolute http(s) href without ";" whose host is plain (see
    ``_PLAIN_ABSOLUTE``), or None for any other href.

    urlsplit keeps such a host, path and query as written; urlunsplit puts them back
    with "/" for an empty path and without the fragment.
    """
    plain = _PLAIN_ABSOLUTE.match(href)
    if plain is None or "xn--" in plain[2]:
        return None
    path, _, query = href[plain.end() :].partition("#")[0].partition("?")
    resolved = f"{plain[1]}://{plain[2]}{path or '/'}"
    return f"{resolved}?{query}" if query else resolved, plain[2]


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
# Most links have none: its parse, without a call to the cache.
_NO_REL = Rel.parse(None)

# What an element's ancestors say about a link inside it: the region, the nearest block
# (and its mem_id) at or above it, None and 0 outside any, and the mem_id of the block
# around that block (0 if none), which tells a block's links from those of a block in it.
_Context = tuple[Region, LexborNode | None, int, int]
_OUTSIDE: _Context = (TOP, None, 0, 0)
_ROOTS = frozenset(["body", "html", "-document"])
_UNSEEN: tuple[str, str | None] = ("", None)


def _context(parent: LexborNode | None, contexts: dict[int, _Context]) -> _Context:
    """The context of the links inside ``parent``.

    One walk up to the nearest ancestor already met (links of a page share most of
    their ancestors), then down again judging each new one: every element of the page
    is judged at most once, and only those above a link.
    """
    if parent is None:
        return _OUTSIDE
    key = parent.mem_id
    # Links share parents (a list's items, a paragraph's links): most are known.
    known = contexts.get(key)
    if known is not None:
        return known
    chain: list[tuple[LexborNode, int, str]] = []
    context = _OUTSIDE
    current: LexborNode | None = parent
    while current is not None:
        tag = current.tag or ""
        if tag in _ROOTS:
            contexts[key] = _OUTSIDE
            break
        chain.append((current, key, tag))
        current = current.parent
        if current is not None:
            key = current.mem_id
            known = contexts.get(key)
            if known is not None:
                context = known
                break
    region, block, block_id, outer_id = context
    for element, key, tag in reversed(chain):
        attrs = element.attributes
        # An element with no attributes says nothing unless its tag does.
        if attrs or tag in REGION_TAGS:
            region = enter(region, tag, attrs.get("role"), attrs.get("class"), attrs.get("id"))
        if tag in _BLOCKS:
            block, block_id, outer_id = element, key, block_id
        context = contexts[key] = (region, block, block_id, outer_id)
    return context


def _is_prose(context: str, link_chars: int) -> bool:
    """Whether a block's text is prose: ``_PROSE_CHARS`` of it are not the text of its
    links, and its links are at most half of it (a cell or item listing links is not)."""
    return len(context) - link_chars >= _PROSE_CHARS and 2 * link_chars <= len(context)


def _snippet(context: str, anchor: str, at: int) -> str:
    """The ``SNIPPET_CHARS`` of ``context`` centred on ``anchor`` found at ``at`` (its
    start when not found)."""
    if at < 0:
        return context[:SNIPPET_CHARS]
    start = max(0, at + len(anchor) // 2 - SNIPPET_CHARS // 2)
    return context[start : start + SNIPPET_CHARS]


class _Layout:
    """The fields of a page's links that need the tree around them, worked out on demand
    and kept, by the link's index: anchors, placements, snippets, and on the way each
    element's context, each block's text and each block's links.

    It holds the tree (through the links' nodes), not the links: a page and its links are
    freed as soon as they are dropped, with no reference cycle for the garbage collector.
    """

    __slots__ = (
        "_blocks",
        "_contexts",
        "_own_text",
        "_texts",
        "_wheres",
        "anchors",
        "link_types",
        "nodes",
        "placements",
        "snippets",
    )

    def __init__(self) -> None:
        self.nodes: list[LexborNode] = []
        self._contexts: dict[int, _Context] = {}
        self._texts: dict[int, str] = {}
        # Block -> the indexes of its links (those it is the nearest block of) and the
        # length of their anchors.
        self._blocks: dict[int, tuple[list[int], int]] = {}

    def seal(self) -> None:
        """Make room for the fields of the links of ``nodes``, once they are all there."""
        nodes = self.nodes
        unknown: list[None] = [None] * len(nodes)
        self.anchors: list[str | None] = unknown.copy()
        self.link_types: list[str] = ["text"] * len(nodes)
        # Whether the anchor is the link's own text (not an alt, title or aria-label).
        self._own_text: list[bool] = [True] * len(nodes)
        self.placements: list[str | None] = unknown.copy()
        self.snippets: list[str | None] = unknown.copy()
        self._wheres: list[_Context | None] = unknown

    def label(self, index: int) -> str:
        """Work out the anchor (and link type) of a link."""
        node = self.nodes[index]
        anchor = normalise_anchor(node.text_lexbor())
        if not anchor:
            self._own_text[index] = False
            anchor, self.link_types[index] = _label(node, node.attributes)
        self.anchors[index] = anchor
        return anchor

    def anchor(self, index: int) -> str:
        """The anchor of a link, worked out if it is not yet."""
        anchor = self.anchors[index]
        return anchor if anchor is not None else self.label(index)

    def where(self, index: int) -> _Context:
        """Work out the context of a link (its callers look in ``_wheres`` first)."""
        where = self._wheres[index] = _context(self.nodes[index].parent, self._contexts)
        return where

    def text(self, block: LexborNode, block_id: int) -> str:
        """The text of a block, worked out if it is not yet."""
        text = self._texts.get(block_id)
        if text is None:
            text = self._texts[block_id] = normalise_anchor(block.text_lexbor())
        return text

    def block_links(self, index: int, block_id: int) -> tuple[list[int], int]:
        """The links of the block ``block_id`` (those it is the nearest block of), in
        document order, and the length of their anchors; ``index`` is one of them.

        The links inside a block are a run of the page's (a subtree is a run of the
        document order): the neighbours of ``index`` up to the first one on each side
        that is not inside it.
        """
        known = self._blocks.get(block_id)
        if known is not None:
            return known
        first = index
        while first and self._inside(first - 1, block_id):
            first -= 1
        end = index + 1
        while end < len(self.nodes) and self._inside(end, block_id):
            end += 1
        indexes = [other for other in range(first, end) if (self._wheres[other] or self.where(other))[2] == block_id]
        known = self._blocks[block_id] = (indexes, sum(len(self.anchor(other)) for other in indexes))
        return known

    def _inside(self, index: int, block_id: int) -> bool:
        """Whether a link is inside the block ``block_id`` (its nearest block is that one
        or one inside it), working out its context if need be."""
        _, _, nearest, outer = self._wheres[index] or self.where(index)
        while nearest and nearest != block_id:
            nearest, outer = outer, self._contexts[outer][3] if outer else 0
        return nearest == block_id

    def placement(self, index: int) -> str:
        region, block, block_id, _ = self._wheres[index] or self.where(index)
        placement = region.placement or "unknown"
        # A link in a long run of prose is content unless a region holds (see _is_prose;
        # a block shorter than _PROSE_CHARS is not prose, whatever its links).
        if block is not None and region.prose_decides:
            text = self.text(block, block_id)
            if len(text) >= _PROSE_CHARS and _is_prose(text, self.block_links(index, block_id)[1]):
                placement = "content"
        self.placements[index] = placement
        return placement

    def snippet(self, index: int) -> str:
        """The snippet of a link; and of every other link of its block when the block's
        text is longer than a snippet."""
        _, block, block_id, _ = self._wheres[index] or self.where(index)
        text = self.text(block, block_id) if block is not None else ""
        if not text:
            # Outside any block (or a link without text in a block without any): the anchor.
            anchor = self.anchor(index)
            snippet = _snippet(anchor, anchor, 0) if len(anchor) > SNIPPET_CHARS else anchor
        elif len(text) > SNIPPET_CHARS:
            return self._cut(text, self.block_links(index, block_id)[0], index)
        else:
            snippet = text
        self.snippets[index] = snippet
        return snippet

    def _cut(self, context: str, indexes: list[int], wanted: int) -> str:
        """Centre each link's snippet on its own text in its block's ``context``: the
        first occurrence of its anchor after the anchor of the link before it, in one walk
        of the text. An anchor that is not the link's text (an alt, a title) has no place
        in it: its first occurrence, if any, stands in. ``wanted``, one of ``indexes``, is
        the link whose snippet is returned."""
        snippets = self.snippets
        cursor = 0
        firsts: dict[str, int] = {}
        wanted_snippet = ""
        for index in indexes:
            anchor = self.anchor(index)
            at = context.find(anchor, cursor) if anchor and self._own_text[index] else -1
            if at >= 0:
                cursor = at + len(anchor)
            elif anchor:
                at = firsts.get(anchor, -2)
                if at == -2:
                    at = firsts[anchor] = context.find(anchor)
            snippet = snippets[index] = _snippet(context, anchor, at)
            if index == wanted:
                wanted_snippet = snippet
        return wanted_snippet


def _label(node: LexborNode, attrs: dict[str, str | None]) -> tuple[str, str]:
    """The anchor and link type of a link without text."""
    image = node.css_first("img")
    if image is not None:
        return normalise_anchor(image.attributes.get("alt") or ""), "image"
    label = normalise_anchor(attrs.get("title") or attrs.get("aria-label") or "")
    if node.tag == "area":
        # A hotspot of an image map: its alt is its anchor.
        return normalise_anchor(attrs.get("alt") or "") or label, "image"
    return label, "text"


def page_nofollow(tree: LexborHTMLParser, robots_headers: Iterable[str]) -> bool:
    """True when the page forbids following all its links (meta robots or X-Robots-Tag)."""
    return header_nofollow(robots_headers) or _metas_nofollow(tree.css("meta[name][content]"))


def _metas_nofollow(metas: Iterable[LexborNode]) -> bool:
    for meta in metas:
        attrs = meta.attributes
        if (attrs.get("name") or "").strip().lower() in ROBOTS_META_NAMES and robots_nofollow(
            attrs.get("content") or ""
        ):
            return True
    return False


# One pass of the selector engine finds the links and what the page says about them all:
# each selector on its own costs a walk of the whole tree.
_SELECTOR = "a[href], area[href], base[href], meta[name][content]"


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
    anchors: list[LexborNode] = []
    metas: list[LexborNode] = []
    base: LexborNode | None = None
    for node in tree.css(_SELECTOR):
        tag = node.tag
        if tag == "meta":
            metas.append(node)
        elif tag == "base":
            base = base or node
        else:
            anchors.append(node)
    base_url = url
    if base is not None:
        resolved = absolute_url(base.attributes.get("href") or "", url)
        if resolved:
            base_url = resolved
    page = Page(url=url, base_url=base_url, nofollow=header_nofollow(robots_headers) or _metas_nofollow(metas))
    # Pages repeat their hrefs (menus, footers): each is resolved once.
    targets: dict[str, tuple[str, str | None] | None] = {}
    layout = _Layout()
    nodes = layout.nodes
    links = page.links
    for node in anchors:
        attrs = node.attributes
        href = attrs.get("href") or ""
        resolved = targets.get(href, _UNSEEN)
        if resolved is _UNSEEN:
            resolved = targets[href] = _resolve(href, base_url)
        if resolved is None:
            continue
        target, host = resolved
        if host is None:
            host = urlsplit(target).hostname or ""
        rel = attrs.get("rel")
        links.append(Link(target, host, _NO_REL if rel is None else _parse_rel(rel), layout, len(nodes)))
        nodes.append(node)
    layout.seal()
    return page

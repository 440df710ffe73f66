"""Link extraction: one parse of a page gives every outlink with all its fields.

Pure functions over the page's text (or bytes and Content-Type), its URL and its
``X-Robots-Tag`` values; no Scrapy. The parser is lexbor (selectolax): it repairs
broken markup as browsers do and is the fastest measured here (see the README). A link's
URL, host and rel come with the parse; its anchor, type, placement and snippet when read,
worked out in C over the tree by ``_layout``. This module resolves and keeps the links.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import SplitResult, quote_from_bytes, unquote, urljoin, urlsplit, urlunsplit

import idna
from selectolax.lexbor import LexborHTMLParser
from w3lib.encoding import html_to_unicode, read_bom, resolve_encoding
from w3lib.html import HTML5_WHITESPACE
from w3lib.url import safe_url_string

from backlink_spider._layout import SNIPPET_CHARS as SNIPPET_CHARS
from backlink_spider._layout import Layout, Link
from backlink_spider._nesting import flatten
from backlink_spider.content import header_utf16
from backlink_spider.directives import ROBOTS_META_NAMES, Rel, header_canonical, header_says, robots_say
from backlink_spider.domains import unicode_host

_QUERY_START = re.compile(r"[?#]")
_FOLLOWABLE_SCHEMES = ("http", "https")


@dataclass(slots=True)
class Page:
    """What one parse of a page tells: its links, whether it is nofollow or noindex as a
    whole, and the page it names canonical."""

    url: str
    base_url: str
    nofollow: bool
    # Robots noindex (meta or X-Robots-Tag), and the page its <link rel=canonical> names when
    # that is another page (as ``request_url`` spells it; None when it names itself or none).
    noindex: bool = False
    canonical: str | None = None
    links: list[Link] = field(default_factory=list)


# Elements nested deeper than this are set beside the deepest, as Blink does (``_nesting``):
# the parse of deeper nesting costs its square, the placement of a link in each level its cube.
MAX_NESTING = 512


def parse_html(html: str) -> LexborHTMLParser:
    """lexbor's tree of ``html``, nested at most ``MAX_NESTING`` deep."""
    return LexborHTMLParser(flatten(html, MAX_NESTING))


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode a body by its declared charset (header, BOM, ``<meta>``) or a detected one, as
    browsers do where w3lib does not (``browser_encoding``)."""
    return _decode(body, content_type)[1]


def _decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    """``decode_html``'s encoding and text."""
    encoding, text = html_to_unicode(content_type, body)
    actual = browser_encoding(encoding, body, content_type)
    return (encoding, text) if actual is None else (actual, body.decode(actual, "replace"))


def browser_encoding(encoding: str, body: bytes, content_type: str | None) -> str | None:
    """The encoding browsers read a body in where w3lib (and so Scrapy), which decoded it as
    ``encoding``, reads it otherwise; None where both agree. The HTML standard's rules:
    - a ``<meta>`` that names UTF-16 means UTF-8 (its prescan's rule: a page in UTF-16 starts
      with a byte order mark, and a ``<meta>`` readable as ASCII is not UTF-16); w3lib read
      CJK noise without a link;
    - the label "utf-16" in the header, with no byte order mark, is little-endian; w3lib
      follows RFC 2781, big-endian."""
    if not resolve_encoding(encoding).startswith("utf-16") or read_bom(body)[0] is not None:
        return None
    order = header_utf16(content_type)
    if order is None:
        return "utf-8"
    return None if resolve_encoding(encoding) == order else order


def absolute_url(href: str, base_url: str) -> str | None:
    """Resolve ``href`` against ``base_url``; None unless the result is an http(s) URL
    (``javascript:``, ``mailto:``, ``tel:``, ``data:`` links give None) other than the base
    itself (an empty or fragment-only href; ``extract_page`` keeps those a ``<base>`` sends
    to another page).

    The scheme and host are lowercased, the host kept in Unicode, the fragment dropped.
    """
    resolved = _resolve(href, base_url)
    return resolved[0] if resolved is not None else None


def request_url(url: str) -> str:
    """One spelling of the address ``url`` (as ``absolute_url`` gives it) names: the one a
    browser requests, as Scrapy does. Its host in ASCII (punycode by IDNA 2008, as browsers
    encode it; w3lib's IDNA 2003 would send ``straße.de`` to ``strasse.de``), its path without
    dot segments (``.``, ``..``, or written ``%2e``), a space or a non-ASCII character
    percent-encoded as UTF-8 (and what w3lib escapes besides: ``{ } [ ] | ^`` and the backtick),
    every escape in uppercase hex (``/caf%c3%a9``, ``/caf%C3%A9`` and ``/café`` are one
    address), and no empty query (``/?`` is ``/``)."""
    parts = urlsplit(url)
    if not parts.netloc.isascii():
        with suppress(idna.IDNAError, ValueError):
            host = idna.encode(parts.hostname or "", uts46=True).decode("ascii")
            port = parts.port
            parts = parts._replace(netloc=f"{host}:{port}" if port is not None else host)
    path = parts.path
    if "/." in path or "%2e" in path or "%2E" in path:
        parts = parts._replace(path=remove_dot_segments(path))
    url = safe_url_string(urlunsplit(parts))
    return _ESCAPE.sub(_upper, url) if "%" in url else url


_ESCAPE = re.compile(r"%(?:[a-f][0-9a-fA-F]|[0-9A-F][a-f])")


def _upper(escape: re.Match[str]) -> str:
    return escape[0].upper()


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
    if "#" in href:
        # Whitespace before a fragment stays in the URL, percent-encoded as a browser does: kept
        # raw it would end the URL, and be stripped when the URL is read again.
        before, _, fragment = href.partition("#")
        kept = before.rstrip(HTML5_WHITESPACE)
        if len(kept) < len(before):
            href = kept + "".join(f"%{ord(char):02X}" for char in before[len(kept) :]) + "#" + fragment
    if "\\" in href:
        query = _QUERY_START.search(href)
        cut = query.start() if query else len(href)
        href = href[:cut].replace("\\", "/") + href[cut:]
    if (
        # Most hrefs are "/path" or "http(s)://host...": spared the regex.
        (href[:3] == "///" or href[:1] in "hH")
        and (not href.startswith(("http://", "https://")) or href.startswith(("http:///", "https:///")))
        and (special := _SPECIAL_START.match(href)) is not None
    ):
        href = _as_browsers_read(href, special, base_url)
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
            if "//" in href or base_url.count("//") > 1:
                parts = _keep_empty_segments(parts, href, base_url)
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
    if not netloc or "\ufffd" in netloc or not _FORBIDDEN_IN_NAME.isdisjoint(netloc):
        # No host left (a control character), what the parser made of a NUL or of bytes no
        # encoding reads, or a host whose mapping made a character no host may hold (a
        # fullwidth bracket U+FF3D is "]"): no browser goes there. (Without a host, a path's "//" would
        # read as one.)
        return None
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


def _keep_empty_segments(parts: SplitResult, href: str, base_url: str) -> SplitResult:
    """``parts`` of ``urljoin(base_url, href)`` with the path a browser resolves a relative-path
    ``href`` to: urljoin drops the empty segments of both (``a//b`` is not ``a/b``)."""
    reference = urlsplit(href)
    if reference.scheme or reference.netloc or not reference.path or reference.path[:1] == "/":
        return parts
    base_path = urlsplit(base_url).path
    merged = base_path[: base_path.rfind("/") + 1] + reference.path if base_path else "/" + reference.path
    return parts._replace(path=remove_dot_segments(merged))


_DOT = frozenset([".", "%2e", "%2E"])
_DOT_DOT = frozenset(["..", ".%2e", ".%2E", "%2e.", "%2E.", "%2e%2e", "%2E%2E", "%2e%2E", "%2E%2e"])


def remove_dot_segments(path: str) -> str:
    """An absolute ``path`` without its ``.`` and ``..`` segments, as browsers resolve them
    (RFC 3986, 5.2.4, and the URL standard's ``%2e`` for a dot); empty segments are kept."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:]:
        if segment in _DOT_DOT:
            if kept:
                kept.pop()
        elif segment not in _DOT:
            kept.append(segment)
    if segments[-1] in _DOT or segments[-1] in _DOT_DOT:
        kept.append("")
    return "/" + "/".join(kept)


# Code points a browser refuses in a host once it is percent-decoded (the URL standard's
# forbidden domain code points).
_FORBIDDEN_IN_HOST = frozenset(" #/:<>?@[\\]^|%\x7f") | frozenset(map(chr, range(32)))
# The same in a host as mapped to Unicode, where ":" is an IPv6 address's.
_FORBIDDEN_IN_NAME = _FORBIDDEN_IN_HOST - {":"}


def _percent_decoded_host(host: str) -> str | None:
    """A host as a browser reads it: percent-decoded (``t%61rget.com`` is ``target.com``),
    or None when that gives something no host may hold (``a%2Fb.com``, invalid UTF-8)."""
    try:
        decoded = unquote(host, errors="strict")
    except UnicodeDecodeError:
        return None
    return None if not decoded or not _FORBIDDEN_IN_HOST.isdisjoint(decoded) else decoded


# An href that may start otherwise in the URL standard than in RFC 3986, for http(s):
# its scheme (if any) and the slashes after it.
# (Not the usual "http://host": two slashes and a host.)
_SPECIAL_START = re.compile(r"(?:(https?):(?!//(?!/))(/*)|/{3,})", re.IGNORECASE)


def _as_browsers_read(href: str, special: re.Match[str], base_url: str) -> str:
    """``href`` as the URL standard reads an http(s) one, spelled so urljoin reads it the
    same: any number of slashes starts the host (``///target.com/``, ``http:////target.com/``),
    and so does a scheme other than the base's with fewer than two (``https:target.com/x``
    on an http page); with the base's own scheme, fewer than two make a relative reference."""
    scheme, slashes = special.group(1), special.group(2)
    rest = href[special.end() :]
    if scheme is None:
        return "//" + rest
    scheme = scheme.lower()
    if len(slashes) >= 2 or not base_url.lower().startswith(scheme + ":"):
        return f"{scheme}://{rest}"
    return href


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


def _query_encoding(encoding: str | None) -> str | None:
    """The encoding a browser percent-encodes a link's query in where it is not UTF-8 (as
    Scrapy's requests do): the page's, but UTF-8 on a UTF-16 page (the URL standard)."""
    if encoding is None:
        return None
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    return None if name == "utf-8" or name.startswith("utf-16") else name


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _query_encoded(url: str, encoding: str) -> str:
    """``url`` with the non-ASCII characters of its query percent-encoded in ``encoding``, as
    ``&#N;`` where it has none for them (the URL standard's query encoding)."""
    path, mark, query = url.partition("?")
    if not mark or query.isascii():
        return url
    encoded = _NON_ASCII.sub(lambda run: quote_from_bytes(run[0].encode(encoding, "xmlcharrefreplace"), ""), query)
    return f"{path}?{encoded}"


def _names_base(href: str) -> bool:
    """Whether ``href`` resolves to its base URL itself: empty, or only a fragment."""
    href = href.strip(HTML5_WHITESPACE)
    return not href or href.startswith("#")


# Rel is immutable, and pages repeat a few rel values.
_parse_rel = lru_cache(maxsize=1024)(Rel.parse)
# Most links have none: its parse, without a call to the cache.
_NO_REL = Rel.parse(None)

_UNSEEN: tuple[str, str | None] = ("", None)


def _metas_say(metas: Iterable[tuple[str | None, str | None]], directive: str) -> bool:
    """Whether a robots ``<meta name content>`` (as ``(name, content)``) says ``directive``."""
    return any(
        (name or "").strip().lower() in ROBOTS_META_NAMES and robots_say(content or "", directive)
        for name, content in metas
    )


def _canonical_elsewhere(href: str | None, base_url: str, url: str) -> str | None:
    canonical = absolute_url(href, base_url) if href else None
    # Most pages name themselves, as written: no need to spell both out.
    if canonical is None or canonical == url:
        return None
    canonical = request_url(canonical)
    return None if canonical == request_url(url) else canonical


def extract_page(
    html: str | bytes,
    url: str,
    robots_headers: Iterable[str] = (),
    content_type: str | None = None,
    link_headers: Iterable[str] = (),
    encoding: str | None = None,
) -> Page:
    """Parse ``html`` once and return every http(s) outlink with all its fields.

    ``url`` is the page's final URL (after redirects); ``<base href>`` overrides it for
    resolving links. ``robots_headers`` are the ``X-Robots-Tag`` values the page came with,
    ``link_headers`` its ``Link`` values (a canonical there counts when the head names none).
    ``encoding`` is the one a text ``html`` was decoded from (bytes are decoded here): a
    link's query is percent-encoded in it, as browsers do.
    """
    if isinstance(html, bytes):
        encoding, html = _decode(html, content_type)
    query_encoding = _query_encoding(encoding)
    # NULs are left to the parser, which treats them as browsers do (dropped from text,
    # U+FFFD in attribute values).
    layout = Layout(parse_html(html))
    base_url = url
    if layout.base_href:
        resolved = absolute_url(layout.base_href, url)
        if resolved:
            base_url = resolved
    robots_headers = tuple(robots_headers)
    page = Page(
        url=url,
        base_url=base_url,
        nofollow=header_says(robots_headers, "nofollow") or _metas_say(layout.metas, "nofollow"),
        noindex=header_says(robots_headers, "noindex") or _metas_say(layout.metas, "noindex"),
        canonical=_canonical_elsewhere(layout.canonical_href, base_url, url)
        if layout.canonical_href
        else _canonical_elsewhere(header_canonical(link_headers), url, url),
    )
    # An empty or fragment-only href names the base: the page itself (no outlink), or the page
    # a <base> names.
    base_itself = _resolve(base_url, base_url) if base_url != url else None
    # Pages repeat their hrefs (menus, footers): each is resolved once.
    targets: dict[str | None, tuple[str, str | None] | None] = {}
    links = page.links
    for position, (href, rel) in enumerate(zip(layout.hrefs, layout.rels, strict=True)):
        resolved = targets.get(href, _UNSEEN)
        if resolved is _UNSEEN:
            resolved = targets[href] = _resolve(href or "", base_url)
            if resolved is None and base_itself is not None and _names_base(href or ""):
                resolved = targets[href] = base_itself
            elif resolved is not None and query_encoding is not None and not resolved[0].isascii():
                resolved = targets[href] = (_query_encoded(resolved[0], query_encoding), resolved[1])
        if resolved is None:
            continue
        target, host = resolved
        if host is None:
            host = urlsplit(target).hostname or ""
        links.append(layout.keep(position, target, host, _NO_REL if rel is None else _parse_rel(rel)))
    layout.seal()
    return page

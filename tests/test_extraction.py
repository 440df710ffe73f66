"""Link extraction: one parse of a page gives every outlink with URL, anchor, rel, type and snippet.

Placement is tested in test_placement.py; here pages are realistic fragments (a blog post,
a forum thread, a directory) and the edge cases real crawls meet: broken markup, odd
encodings, NUL bytes, huge and deep pages.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from backlink_spider.domains import unicode_host
from backlink_spider.extraction import SNIPPET_CHARS, Link, Page, absolute_url, decode_html, extract_page, request_url
from backlink_spider.placement import PLACEMENTS
from backlink_spider.rendering import extract_response

BLOG = "https://blog.example.org/2024/05/cookie-banners.html"

BLOG_POST = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Do you still need a cookie banner? | The Example Blog</title>
  <link rel="canonical" href="https://blog.example.org/2024/05/cookie-banners.html">
  <link rel="stylesheet" href="/static/site.css">
</head>
<body>
  <header class="site-header">
    <a href="/" class="logo"><img src="/static/logo.svg" alt="The Example Blog"></a>
    <nav><ul>
      <li><a href="/archive/">Archive</a></li>
      <li><a href="/about/">About</a></li>
    </ul></nav>
  </header>
  <main>
    <article class="post">
      <h1>Do you still need a cookie banner?</h1>
      <p>Most sites show a cookie banner because their analytics script sets cookies. Tools such
         as <a href="https://plausible.io/?utm_source=blog&amp;utm_medium=post">Plausible
         Analytics</a> count visits without cookies, so no consent is needed for them. The
         <a href="https://gdpr.eu/cookies/" rel="nofollow noopener" target="_blank">GDPR guide on
         cookies</a> explains the rules in detail.</p>
      <p>We moved this blog last year. <a href="HTTPS://WWW.PLAUSIBLE.IO/Blog/Google-Analytics-Cookies#consent">
         Read <em>their <strong>write-up</strong></em> on consent</a> for the background, or
         <a href="https://example.net/sponsor" rel="sponsored">our sponsor</a>.</p>
      <p><a href="https://plausible.io/docs"><img src="/img/docs.png" alt="  Plausible
         documentation "></a></p>
      <p>Contact us: <a href="mailto:editor@example.org">editor@example.org</a>,
         <a href="tel:+441234567890">call</a>, <a href="javascript:void(0)" onclick="share()">share</a>,
         <a href="#comments">jump to comments</a>,
         <a href="data:text/html;base64,PGgxPmhpPC9oMT4=">data</a>.</p>
    </article>
    <section id="comments">
      <div class="comment">
        <p>Great post! I run <a href="https://my-site.example.com/" rel="ugc nofollow">my site</a>
           without banners too.</p>
      </div>
    </section>
  </main>
  <footer><a href="//cdn.example.org/privacy">Privacy</a></footer>
</body>
</html>
"""

FORUM = "https://forum.example.net/t/best-self-hosted-analytics/4821?page=2"

FORUM_THREAD = """<!DOCTYPE html>
<html>
<head>
<base href="https://forum.example.net/">
<meta name="robots" content="index, follow">
<title>Best self-hosted analytics? - Page 2 - Example Forum</title>
</head>
<body>
<div id="thread">
  <div class="post" id="post-17">
    <div class="author"><a href="u/marta">marta</a></div>
    <div class="post-body">
      <p>We switched from GA to <a href="https://plausible.io/self-hosted-web-analytics">self-hosted
      Plausible</a> in March; the <a href="t/plausible-docker-setup/5102">docker setup thread</a>
      has our compose file.</p>
      <blockquote>Does it handle <a href='https://umami.is/'>Umami</a>-style events?</blockquote>
    </div>
  </div>
  <div class="post" id="post-18">
    <div class="post-body">
      <p>See <a href="  https://github.com/plausible/analytics  ">the repo</a> and
      <a href="
        https://plausible.io/docs/self-hosting
      ">the self-hosting docs</a>.</p>
    </div>
  </div>
  <div class="pagination"><a href="t/best-self-hosted-analytics/4821?page=1">&laquo; Previous</a>
  <a href="t/best-self-hosted-analytics/4821?page=3">Next &raquo;</a></div>
</div>
</body>
</html>
"""


def links_by_anchor(page: Page) -> dict[str, Link]:
    found = {link.anchor: link for link in page.links}
    assert len(found) == len(page.links), "anchors must be unique in a test page"
    return found


def page_with(body: str, url: str = BLOG, **kwargs: object) -> Page:
    return extract_page(f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>", url, **kwargs)


# -- a blog post -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blog() -> Page:
    return extract_page(BLOG_POST, BLOG)


def test_blog_post_every_http_link_in_document_order(blog: Page) -> None:
    assert [link.url for link in blog.links] == [
        "https://blog.example.org/",
        "https://blog.example.org/archive/",
        "https://blog.example.org/about/",
        "https://plausible.io/?utm_source=blog&utm_medium=post",
        "https://gdpr.eu/cookies/",
        "https://www.plausible.io/Blog/Google-Analytics-Cookies",
        "https://example.net/sponsor",
        "https://plausible.io/docs",
        "https://my-site.example.com/",
        "https://cdn.example.org/privacy",
    ]


def test_blog_post_page_fields(blog: Page) -> None:
    assert blog.url == BLOG
    assert blog.base_url == BLOG
    assert blog.nofollow is False


def test_blog_post_anchors_types_and_rel(blog: Page) -> None:
    found = {link.url: (link.anchor, link.link_type, link.rel.text, link.host) for link in blog.links}
    assert found == {
        "https://blog.example.org/": ("The Example Blog", "image", "", "blog.example.org"),
        "https://blog.example.org/archive/": ("Archive", "text", "", "blog.example.org"),
        "https://blog.example.org/about/": ("About", "text", "", "blog.example.org"),
        "https://plausible.io/?utm_source=blog&utm_medium=post": ("Plausible Analytics", "text", "", "plausible.io"),
        "https://gdpr.eu/cookies/": ("GDPR guide on cookies", "text", "nofollow noopener", "gdpr.eu"),
        "https://www.plausible.io/Blog/Google-Analytics-Cookies": (
            "Read their write-up on consent",
            "text",
            "",
            "www.plausible.io",
        ),
        "https://example.net/sponsor": ("our sponsor", "text", "sponsored", "example.net"),
        "https://plausible.io/docs": ("Plausible documentation", "image", "", "plausible.io"),
        "https://my-site.example.com/": ("my site", "text", "ugc nofollow", "my-site.example.com"),
        "https://cdn.example.org/privacy": ("Privacy", "text", "", "cdn.example.org"),
    }


def test_blog_post_rel_flags(blog: Page) -> None:
    found = links_by_anchor(blog)
    gdpr, sponsor, comment = found["GDPR guide on cookies"], found["our sponsor"], found["my site"]
    assert (gdpr.rel.nofollow, gdpr.rel.ugc, gdpr.rel.sponsored, gdpr.rel.dofollow(blog.nofollow)) == (
        True,
        False,
        False,
        False,
    )
    assert (sponsor.rel.sponsored, sponsor.rel.dofollow(blog.nofollow)) == (True, False)
    assert (comment.rel.ugc, comment.rel.nofollow, comment.rel.dofollow(blog.nofollow)) == (True, True, False)
    assert found["Plausible Analytics"].rel.dofollow(blog.nofollow) is True


def test_blog_post_snippets_are_the_paragraph_text(blog: Page) -> None:
    found = links_by_anchor(blog)
    snippet = found["our sponsor"].snippet
    assert snippet == (
        "We moved this blog last year. Read their write-up on consent for the background, or our sponsor."
    )
    assert found["my site"].snippet == "Great post! I run my site without banners too."
    # An image link alone in its paragraph: the snippet is its alt.
    assert found["Plausible documentation"].snippet == "Plausible documentation"
    for link in blog.links:
        assert link.anchor in link.snippet
        assert len(link.snippet) <= SNIPPET_CHARS


# -- a forum thread with <base href> -----------------------------------------------------


@pytest.fixture(scope="module")
def forum() -> Page:
    return extract_page(FORUM_THREAD, FORUM)


def test_forum_base_href_resolves_relative_links(forum: Page) -> None:
    assert forum.url == FORUM
    assert forum.base_url == "https://forum.example.net/"
    found = links_by_anchor(forum)
    assert found["marta"].url == "https://forum.example.net/u/marta"
    assert found["docker setup thread"].url == "https://forum.example.net/t/plausible-docker-setup/5102"
    assert found["« Previous"].url == "https://forum.example.net/t/best-self-hosted-analytics/4821?page=1"
    assert found["Next »"].url == "https://forum.example.net/t/best-self-hosted-analytics/4821?page=3"


def test_forum_whitespace_padded_and_single_quoted_hrefs(forum: Page) -> None:
    found = links_by_anchor(forum)
    assert found["the repo"].url == "https://github.com/plausible/analytics"
    assert found["the self-hosting docs"].url == "https://plausible.io/docs/self-hosting"
    assert found["Umami"].url == "https://umami.is/"
    assert found["self-hosted Plausible"].url == "https://plausible.io/self-hosted-web-analytics"
    assert forum.nofollow is False


def test_forum_snippet_of_a_blockquote(forum: Page) -> None:
    assert links_by_anchor(forum)["Umami"].snippet == "Does it handle Umami-style events?"


# -- <base href> details -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected_base", "expected_link"),
    [
        ("https://cdn.other.net/docs/", "https://cdn.other.net/docs/", "https://cdn.other.net/docs/guide.html"),
        ("/mirror/", "https://blog.example.org/mirror/", "https://blog.example.org/mirror/guide.html"),
        ("//static.example.org/v2/", "https://static.example.org/v2/", "https://static.example.org/v2/guide.html"),
        ("HTTPS://CDN.Other.NET/Docs/", "https://cdn.other.net/Docs/", "https://cdn.other.net/Docs/guide.html"),
        # a base that is no http(s) URL is ignored
        ("javascript:alert(1)", BLOG, "https://blog.example.org/2024/05/guide.html"),
        ("data:text/html,x", BLOG, "https://blog.example.org/2024/05/guide.html"),
        ("", BLOG, "https://blog.example.org/2024/05/guide.html"),
    ],
)
def test_base_href(base: str, expected_base: str, expected_link: str) -> None:
    html = f'<html><head><base href="{base}"></head><body><a href="guide.html">Guide</a></body></html>'
    page = extract_page(html, BLOG)
    assert page.base_url == expected_base
    assert [link.url for link in page.links] == [expected_link]


def test_first_base_href_wins() -> None:
    html = (
        '<html><head><base href="https://one.example/"><base href="https://two.example/"></head>'
        '<body><a href="x">X</a></body></html>'
    )
    assert [link.url for link in extract_page(html, BLOG).links] == ["https://one.example/x"]


def test_base_href_after_the_links_still_applies() -> None:
    html = '<html><body><a href="x">X</a><base href="https://one.example/"></body></html>'
    assert [link.url for link in extract_page(html, BLOG).links] == ["https://one.example/x"]


def test_robots_meta_in_the_body_still_counts() -> None:
    html = '<html><body><a href="x">X</a><meta name="robots" content="nofollow"></body></html>'
    assert extract_page(html, BLOG).nofollow


def test_base_without_href_is_ignored() -> None:
    html = '<html><head><base target="_blank"></head><body><a href="x">X</a></body></html>'
    assert [link.url for link in extract_page(html, BLOG).links] == ["https://blog.example.org/2024/05/x"]


def test_empty_and_fragment_hrefs_link_to_the_page_a_base_names() -> None:
    # A browser goes to the base itself: on a page whose <base> names another, an outlink.
    html = (
        '<html><head><base href="https://other.example/home?x=1#top"></head><body>'
        '<a href="#top">top</a><a href="">empty</a><a href>bare</a><a href=" #x ">spaced</a></body></html>'
    )
    assert [link.url for link in extract_page(html, BLOG).links] == ["https://other.example/home?x=1"] * 4


@pytest.mark.parametrize("island", ["svg", "math"])
def test_a_base_inside_svg_or_mathml_rebases_nothing(island: str) -> None:
    # Browsers take an HTML <base> only: one in a foreign island would turn relative links into backlinks.
    html = f'<html><body><{island}><base href="http://target.com/"></base></{island}><a href="x">X</a></body></html>'
    page = extract_page(html, BLOG)
    assert [link.url for link in page.links] == ["https://blog.example.org/2024/05/x"] and page.base_url == BLOG


# -- absolute_url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/about", "https://blog.example.org/about"),
        ("../", "https://blog.example.org/2024/"),
        ("other.html", "https://blog.example.org/2024/05/other.html"),
        ("?page=2", "https://blog.example.org/2024/05/cookie-banners.html?page=2"),
        ("//cdn.example.net/a.css", "https://cdn.example.net/a.css"),
        ("https://a.com/a?b=1&c=2", "https://a.com/a?b=1&c=2"),
        ("  https://a.com/x  ", "https://a.com/x"),
        ("\n\thttps://a.com/y\n", "https://a.com/y"),
        ("https://a.com/long\n/path\t/x", "https://a.com/long/path/x"),
        ("HTTPS://WWW.Example.COM/Path?Q=1", "https://www.example.com/Path?Q=1"),
        ("Http://Example.com", "http://example.com/"),
        ("https://a.com/x#frag", "https://a.com/x"),
        ("https://a.com/#", "https://a.com/"),
        ("https://a.com:443/", "https://a.com/"),
        ("http://a.com:80/", "http://a.com/"),
        ("http://a.com:8080/x", "http://a.com:8080/x"),
        ("https://a.com:80/x", "https://a.com:80/x"),
        ("https://xn--bcher-kva.de/", "https://bücher.de/"),
        ("https://BÜCHER.de/ä?q=ü", "https://bücher.de/ä?q=ü"),
        ("https://user:pw@a.com/", "https://a.com/"),
        ("https://[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443/x"),
        ("https://a.com./x", "https://a.com/x"),
        # As the URL standard reads http(s) (BLOG is https): slashes, however many, start a host,
        ("///target.com/x", "https://target.com/x"),
        ("http:///target.com/", "http://target.com/"),
        ("https:////target.com/", "https://target.com/"),
        ("HTTP:///target.com/", "http://target.com/"),
        # and so does another scheme than the page's without them; the page's own makes a path.
        ("http:target.com/x", "http://target.com/x"),
        ("http:/target.com/x", "http://target.com/x"),
        ("https:/about", "https://blog.example.org/about"),
        ("https:x", "https://blog.example.org/2024/05/x"),
    ],
)
def test_absolute_url(href: str, expected: str) -> None:
    assert absolute_url(href, BLOG) == expected


@pytest.mark.parametrize(
    "href",
    [
        "",
        "   ",
        "#",
        "#comments",
        "  #top",
        "javascript:void(0)",
        " JavaScript:alert(1)",
        "java\nscript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "mailto:editor@example.org",
        "MAILTO:editor@example.org",
        "tel:+441234567890",
        "sms:+441234567890",
        "data:text/html;base64,PGgxPmhpPC9oMT4=",
        "ftp://files.example.org/",
        "file:///etc/passwd",
        "about:blank",
        "http://[bad/",
        "https://a.com:99999/",
    ],
)
def test_absolute_url_skips_what_is_not_http(href: str) -> None:
    assert absolute_url(href, BLOG) is None


def test_whitespace_before_a_fragment_stays_in_the_url_percent_encoded() -> None:
    # Found by the property below: raw, it ended the URL and was stripped when the URL was read again.
    assert absolute_url("0 #", BLOG) == "https://blog.example.org/2024/05/0%20"
    assert absolute_url("/x \x0c#top", BLOG) == "https://blog.example.org/x%20%0C"
    assert absolute_url("http://a.com/p?q= #", BLOG) == "http://a.com/p?q=%20"
    assert absolute_url("a b#", BLOG) == "https://blog.example.org/2024/05/a b"


@given(st.text(max_size=60))
def test_absolute_url_property_result_is_http_without_fragment(href: str) -> None:
    result = absolute_url(href, BLOG)
    if result is not None:
        assert result.startswith(("http://", "https://"))
        assert "#" not in result
        assert absolute_url(result, BLOG) == result


def _rfc3986_without_dots(path: str) -> str:
    """RFC 3986's remove_dot_segments (5.2.4), step by step as it is written."""
    output = ""
    while path:
        if path.startswith(("../", "./")):
            path = path.partition("/")[2]
        elif path.startswith("/./") or path == "/.":
            path = "/" + path[3:]
        elif path.startswith("/../") or path == "/..":
            path = "/" + path[4:]
            output = output[: output.rfind("/")] if "/" in output else ""
        elif path in (".", ".."):
            path = ""
        else:
            end = path.find("/", 1)
            end = len(path) if end < 0 else end
            output, path = output + path[:end], path[end:]
    return output


def urljoin_reference(href: str, base: str) -> str | None:
    """``absolute_url`` through ``urljoin`` alone, without its shortcuts for common hrefs."""
    href = href.strip(" \t\n\f\r").replace("\t", "").replace("\n", "").replace("\r", "")
    if not href or href.startswith("#"):
        return None
    # Whitespace before a fragment, percent-encoded as a browser does (urljoin would keep it raw).
    before, hash_, fragment = href.partition("#")
    kept = before.rstrip(" \f")
    href = kept + "".join(f"%{ord(char):02X}" for char in before[len(kept) :]) + hash_ + fragment
    # As the URL standard reads http(s): slashes, however many, start a host, and so does a
    # scheme other than the base's without them.
    for scheme in ("http", "https"):
        if href.lower().startswith(scheme + ":"):
            rest = href[len(scheme) + 1 :]
            if len(rest) - len(rest.lstrip("/")) >= 2 or not base.lower().startswith(scheme + ":"):
                href = f"{scheme}://{rest.lstrip('/')}"
    if href.startswith("///"):
        href = "//" + href.lstrip("/")
    try:
        parts = urlsplit(urljoin(base, href))
        host, port = parts.hostname, parts.port
        reference = urlsplit(href)
    except ValueError:
        return None
    base_path = urlsplit(base).path or "/"
    relative = not reference.scheme and not reference.netloc and reference.path[:1] not in ("", "/")
    if relative and ("//" in reference.path or "//" in base_path):
        # urljoin drops the empty segments of a relative path and of its base: RFC 3986 does not.
        parts = parts._replace(path=_rfc3986_without_dots(base_path[: base_path.rfind("/") + 1] + reference.path))
    if parts.scheme not in ("http", "https") or not host:
        return None
    if "%" in host:
        try:
            host = unquote(host, errors="strict")
        except UnicodeDecodeError:
            return None
        if not host or any(char in host for char in "\x00\t\n\r #/:<>?@[\\]^|%\x7f") or min(host) < " ":
            return None
    netloc = unicode_host(host)
    # A host mapped to nothing ("."), or to what no host may hold: browsers refuse it.
    if not netloc or any(char in netloc for char in " #/<>?@[\\]^|%\x7f") or min(netloc) < " ":
        return None
    netloc = f"[{netloc}]" if ":" in netloc else netloc
    if port is not None and port != (80 if parts.scheme == "http" else 443):
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


_HREFS = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["", "http://", "https://", "HTTP://", "//", "/", "./", "javascript:", "mailto:", "Tel:"]),
        st.sampled_from(
            [
                *("", "a.com", "a-b.c0.org", "A.com", "a.com.", "a..b", "xn--bcher-kva.de", "a.com:8080", "a.com:80"),
                *("u@a.com", "[::1]", "h\u00e9.de", "a.com:99999", "1.2.3.4", "-"),
            ]
        ),
        st.text(alphabet="/?#;.:@%a\u00e9 \t", max_size=12),
    ),
)
_BASES = [
    BLOG,
    "http://a.com:8080/x/y?q",
    "https://xn--bcher-kva.de/",
    "ftp://files.example/",
    "http://[bad/",
    "http://a.com//x//y",
]


@pytest.mark.parametrize(
    ("href", "base", "expected"),
    [
        # urljoin would give /2024/05/a/b and /a/b/x: a browser keeps an empty segment.
        ("a//b", BLOG, "https://blog.example.org/2024/05/a//b"),
        ("x", "http://a.com/a//b/page", "http://a.com/a//b/x"),
        ("../x", "http://a.com/a//b/page", "http://a.com/a//x"),
        ("%20http://www.x.co.uk/a", BLOG, "https://blog.example.org/2024/05/%20http://www.x.co.uk/a"),
        ("y//../z", "http://a.com/a/", "http://a.com/a/y/z"),
    ],
)
def test_relative_paths_resolve_as_browsers_resolve_them(href: str, base: str, expected: str) -> None:
    assert absolute_url(href, base) == expected


@given(_HREFS, st.sampled_from(_BASES))
def test_absolute_url_property_same_as_urljoin(href: str, base: str) -> None:
    assert absolute_url(href, base) == urljoin_reference(href, base)


def test_a_host_holding_a_replacement_character_is_no_link() -> None:
    # A NUL in a host (U+FFFD once parsed) or undecodable bytes: browsers refuse the URL.
    hrefs = ("http://targ\x00et.com/", "http://t\ufffdarget.com/b", "/c")
    page = page_with("".join(f'<a href="{href}">x</a>' for href in hrefs))
    assert [link.url for link in page.links] == ["https://blog.example.org/c"]


def test_percent_encoded_hosts_are_read_as_a_browser_reads_them() -> None:
    # A browser decodes a host before anything else: these links go to target.com.
    page = page_with(
        '<a href="http://t%61rget.com/x">a</a><a href="//%74ARGET.com/y">b</a><a href="http://b%C3%BCcher.de/">c</a>'
    )
    assert [(link.url, link.host) for link in page.links] == [
        ("http://target.com/x", "target.com"),
        ("https://target.com/y", "target.com"),
        ("http://bücher.de/", "bücher.de"),
    ]
    # What no host may hold once decoded (a slash, an "@", invalid UTF-8) is no link.
    for href in ("http://a%2Fb.com/", "http://evil.com%40target.com/", "http://a%ffb.com/", "http://a%00b.com/"):
        assert absolute_url(href, BLOG) is None, href


# -- links that are skipped or kept ------------------------------------------------------


def test_skipped_schemes_and_fragments_give_no_links() -> None:
    page = page_with(
        '<p><a href="javascript:void(0)">js</a> <a href="mailto:a@b.org">mail</a> <a href="tel:+1">tel</a>'
        ' <a href="data:,x">data</a> <a href="#top">top</a> <a>no href</a> <a href="">empty</a>'
        ' <a href="https://kept.example/">kept</a></p>'
    )
    assert [(link.url, link.anchor) for link in page.links] == [("https://kept.example/", "kept")]


def test_entity_encoded_hrefs_are_decoded() -> None:
    page = page_with(
        '<a href="https://shop.example/search?q=shoes&amp;size=42&amp;colour=r&#101;d">shoes</a>'
        '<a href="https://shop.example/?a=1&#38;b=2">numeric</a>'
        '<a href="https&#58;//shop.example/colon">colon</a>'
    )
    assert [link.url for link in page.links] == [
        "https://shop.example/search?q=shoes&size=42&colour=red",
        "https://shop.example/?a=1&b=2",
        "https://shop.example/colon",
    ]


def test_idn_links_have_unicode_hosts() -> None:
    page = page_with('<a href="https://www.xn--bcher-kva.de/angebote">Bücher-Angebote</a>')
    [link] = page.links
    assert link.url == "https://www.bücher.de/angebote"
    assert link.host == "www.bücher.de"


# -- anchors -----------------------------------------------------------------------------


def test_nested_inline_markup_in_anchors() -> None:
    page = page_with(
        '<p><a href="https://a.example/1"><span class="icon"></span> <strong>Plausible</strong>'
        "<em> Analytics</em>\n<small>(open source)</small></a></p>"
        '<p><a href="https://a.example/2">Caf<b>é</b>&nbsp;&amp;&nbsp;<i>Bar</i></a></p>'
        '<p><a href="https://a.example/3"><span><span><span>deeply</span></span> nested</span></a></p>'
    )
    assert [link.anchor for link in page.links] == ["Plausible Analytics (open source)", "Café & Bar", "deeply nested"]
    assert all(link.link_type == "text" for link in page.links)


def test_image_links() -> None:
    page = page_with(
        '<a href="https://a.example/logo"><img src="logo.png" alt="Acme   Corp\nlogo"></a>'
        '<a href="https://a.example/noalt"><img src="x.png"></a>'
        '<a href="https://a.example/pic"><picture><source srcset="x.webp">'
        '<img src="x.jpg" alt="Team photo"></picture></a>'
        '<a href="https://a.example/both"><img src="y.png" alt="ignored"> Visible text</a>'
    )
    assert [(link.anchor, link.link_type) for link in page.links] == [
        ("Acme Corp logo", "image"),
        ("", "image"),
        ("Team photo", "image"),
        ("Visible text", "text"),
    ]


def test_links_without_text_use_title_or_aria_label() -> None:
    page = page_with(
        '<a href="https://a.example/t" title="Follow us"></a>'
        '<a href="https://a.example/l" aria-label="  Share on\nMastodon "><svg></svg></a>'
        '<a href="https://a.example/e"></a>'
    )
    assert [(link.anchor, link.link_type) for link in page.links] == [
        ("Follow us", "text"),
        ("Share on Mastodon", "text"),
        ("", "text"),
    ]


def test_links_without_text_use_their_name_for_a_screen_reader() -> None:
    # Icon links (social profiles, share buttons) carry their name on the icon; a link's
    # aria-label comes before its title and before a decorative image's empty alt.
    page = page_with(
        '<a href="https://a.example/svg"><svg aria-label="Mastodon"><path d="M0 0"/></svg></a>'
        '<a href="https://a.example/icon"><i class="icon" aria-label=" Share\non X "></i></a>'
        '<a href="https://a.example/hidden"><span aria-hidden="true"><i aria-label="Hidden"></i></span>'
        '<span aria-label="Shown"></span></a>'
        '<a href="https://a.example/own" title="Tooltip" aria-label="Own label"><i aria-label="Inner"></i></a>'
        '<a href="https://a.example/decorative" aria-label="Home"><img src="logo.png" alt=""></a>'
        '<a href="https://a.example/untitled" title="Logo"><img src="logo.png"></a>'
        # An SVG's title names it, as an image's alt; neither it nor its description is text shown.
        '<a href="https://a.example/titled"><svg><title>Example</title><desc>The logo, in blue</desc></svg></a>'
        '<a href="https://a.example/home">Home <svg><title>House icon</title><path d="M0 0"/></svg></a>'
    )
    assert [(link.anchor, link.link_type) for link in page.links] == [
        ("Mastodon", "text"),
        ("Share on X", "text"),
        ("Shown", "text"),
        ("Own label", "text"),
        ("Home", "image"),
        ("Logo", "image"),
        ("Example", "text"),
        ("Home", "text"),
    ]


def test_image_map_areas_use_their_alt() -> None:
    page = page_with(
        '<img src="map.png" usemap="#m"><map name="m">'
        '<area shape="rect" coords="0,0,10,10" href="https://a.example/north" alt="North office">'
        '<area shape="rect" coords="10,10,20,20" href="https://a.example/south" title="South office">'
        '<area shape="rect" coords="20,20,30,30" href="mailto:x@a.example" alt="Mail">'
        "</map>"
    )
    assert [(link.url, link.anchor, link.link_type) for link in page.links] == [
        ("https://a.example/north", "North office", "image"),
        ("https://a.example/south", "South office", "image"),
    ]


def test_rel_tokens_are_lowercased_and_deduplicated() -> None:
    page = page_with(
        '<a href="https://a.example/1" rel="NoFollow  UGC nofollow">one</a>'
        '<a href="https://a.example/2" rel=" noopener\tnoreferrer ">two</a>'
        '<a href="https://a.example/3" rel="">three</a>'
        '<a href="https://a.example/4">four</a>'
    )
    assert [link.rel.text for link in page.links] == ["nofollow ugc", "noopener noreferrer", "", ""]
    assert [link.rel.dofollow(page.nofollow) for link in page.links] == [False, True, True, True]


# -- page-level nofollow -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "headers", "nofollow"),
    [
        ("", (), False),
        ('<meta name="robots" content="index, follow">', (), False),
        ('<meta name="robots" content="noindex, nofollow">', (), True),
        ('<meta name="ROBOTS" content="NOFOLLOW">', (), True),
        ('<meta name=" Robots " content="none">', (), True),
        ('<meta name="robots" content="noindex">', (), False),
        ('<meta name="googlebot" content="nofollow">', (), True),
        ('<meta name="bingbot" content="nofollow">', (), True),
        ('<meta name="otherbot" content="nofollow">', (), False),
        ('<meta name="description" content="nofollow tips for SEOs">', (), False),
        ('<meta property="robots" content="nofollow">', (), False),
        ('<meta name="robots" content="index, follow">', ("noindex, nofollow",), True),
        ("", ("nofollow",), True),
        ("", ("googlebot: nofollow",), True),
        ("", ("otherbot: nofollow",), False),
        ("", ("noarchive", "nofollow"), True),
        ("", ("unavailable_after: 25 Jun 2010 15:00:00 PST",), False),
    ],
)
def test_page_nofollow(head: str, headers: tuple[str, ...], nofollow: bool) -> None:
    html = f'<html><head>{head}</head><body><p><a href="https://a.example/">link</a></p></body></html>'
    page = extract_page(html, BLOG, headers)
    assert page.nofollow is nofollow
    [link] = page.links
    assert link.rel.dofollow(page.nofollow) is (not nofollow)


# -- page-level noindex and canonical ------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "headers", "noindex"),
    [
        ("", (), False),
        ('<meta name="robots" content="noindex, follow">', (), True),
        ('<meta name="googlebot" content="none">', (), True),
        ('<meta name="otherbot" content="noindex">', (), False),
        ('<meta name="robots" content="nofollow">', (), False),
        ("", ("noindex",), True),
        ("", ("otherbot: noindex",), False),
    ],
)
def test_page_noindex(head: str, headers: tuple[str, ...], noindex: bool) -> None:
    html = f"<html><head>{head}</head><body><p>text</p></body></html>"
    assert extract_page(html, BLOG, headers).noindex is noindex


@pytest.mark.parametrize(
    ("head", "canonical"),
    [
        ("", None),
        ('<link rel="canonical" href="https://amp.example.org/post">', "https://amp.example.org/post"),
        ('<link rel="Canonical" href="/other?a=1">', "https://blog.example.org/other?a=1"),
        ('<link rel="alternate canonical" href="/x/../other">', "https://blog.example.org/other"),
        ('<link rel="canonical" href="/2024/05/./cookie-banners.html">', None),
        # Itself, however spelled, is no other page.
        (f'<link rel="canonical" href="{BLOG}">', None),
        ('<link rel="canonical" href="">', None),
        ('<link rel="canonical" href="javascript:void(0)">', None),
        ('<link rel="stylesheet" href="/style.css">', None),
        # The first canonical counts; relative to the page's <base>.
        ('<base href="https://cdn.example/"><link rel=canonical href="p"><link rel=canonical href="/q">',
         "https://cdn.example/p"),
    ],
)  # fmt: skip
def test_page_canonical_is_the_other_page_it_names(head: str, canonical: str | None) -> None:
    html = f"<html><head>{head}</head><body><p>text</p></body></html>"
    assert extract_page(html, BLOG).canonical == canonical


def test_a_canonical_in_the_body_is_not_read_and_one_in_a_link_header_is() -> None:
    body = '<html><head></head><body><p>text <link rel="canonical" href="/spam"></p></body></html>'
    assert extract_page(body, BLOG).canonical is None
    header = ['<https://blog.example.org/amp>; rel="alternate", <https://blog.example.org/main>; rel="canonical"']
    assert extract_page(body, BLOG, link_headers=header).canonical == "https://blog.example.org/main"
    # The head's canonical wins over the header's.
    head = '<html><head><link rel="canonical" href="/head"></head><body></body></html>'
    assert extract_page(head, BLOG, link_headers=header).canonical == "https://blog.example.org/head"


# -- snippets ----------------------------------------------------------------------------

INTRO = (
    "Privacy regulation in Europe has changed how small publishers measure their audience. "
    "For years the default was a free tracker that set a dozen cookies and shipped every "
    "visit to an advertising company. "
)
OUTRO = (
    " The switch took an afternoon, the numbers matched within two percent, and the cookie "
    "banner disappeared from every page of the site, which readers noticed immediately."
)


def test_snippet_around_a_link_in_a_long_paragraph() -> None:
    page = page_with(
        f'<article><p>{INTRO}Then we tried <a href="https://plausible.io/">Plausible Analytics</a>, '
        f"a lightweight script without cookies.{OUTRO}</p></article>"
    )
    [link] = page.links
    assert len(link.snippet) == SNIPPET_CHARS
    assert "Then we tried Plausible Analytics, a lightweight script" in link.snippet
    # The anchor sits in the middle of the snippet.
    at = link.snippet.index("Plausible Analytics")
    middle = at + len("Plausible Analytics") // 2
    assert abs(middle - SNIPPET_CHARS // 2) <= 1
    paragraph = f"{INTRO}Then we tried Plausible Analytics, a lightweight script without cookies.{OUTRO}"
    assert link.snippet in " ".join(paragraph.split())


def test_snippet_near_the_start_and_end_of_a_long_paragraph() -> None:
    page = page_with(
        f'<p><a href="https://a.example/first">First link</a> {INTRO}{OUTRO} '
        f'<a href="https://a.example/last">last link</a></p>'
    )
    first, last = page.links
    assert first.snippet.startswith("First link ")
    assert len(first.snippet) == SNIPPET_CHARS
    assert last.snippet.endswith("immediately. last link")
    assert last.anchor in last.snippet


def test_snippet_of_a_short_block_is_the_block() -> None:
    page = page_with('<ul><li>Docs: <a href="https://a.example/docs">the manual</a> (PDF)</li></ul>')
    assert page.links[0].snippet == "Docs: the manual (PDF)"


def test_snippet_of_a_link_outside_any_block_is_its_anchor() -> None:
    page = page_with('<div class="widget"><a href="https://a.example/">Widget link</a> and text</div>')
    assert page.links[0].snippet == "Widget link"


def test_two_links_with_the_same_anchor_in_a_block_each_get_their_own_snippet() -> None:
    page = page_with(
        f'<p>{INTRO}Then <a href="https://a.example/1">the docs</a> of the first tool.{OUTRO} '
        f'{INTRO}Then <a href="https://a.example/2">the docs</a> of the second tool.{OUTRO}</p>'
    )
    first, second = page.links
    assert first.anchor == second.anchor == "the docs"
    assert first.snippet != second.snippet
    assert "Then the docs of the first tool" in first.snippet
    assert "Then the docs of the second tool" in second.snippet
    for link in (first, second):
        at = link.snippet.index("the docs")
        assert abs(at + len("the docs") // 2 - SNIPPET_CHARS // 2) <= 1


def test_many_links_with_one_anchor_in_a_block_are_each_centred_on_their_own() -> None:
    # A tag cloud or an index of a thousand same-named links: one walk of the block's text.
    items = " ".join(f'item {n:04d} <a href="https://a.example/{n}">more</a>' for n in range(1000))
    page = page_with(f"<p>{items}</p>")
    assert len(page.links) == 1000
    for n, link in enumerate(page.links):
        assert f"item {n:04d} more" in link.snippet
        if 10 <= n < 990:
            # Its own "more" in the middle, its item number before it.
            assert link.snippet[SNIPPET_CHARS // 2 - 12 : SNIPPET_CHARS // 2 + 2] == f"item {n:04d} more"


def test_an_image_link_in_a_long_block_keeps_its_alt_s_first_mention() -> None:
    page = page_with(
        f'<p>{INTRO}<a href="https://a.example/logo"><img src="l.png" alt="Plausible"></a> '
        f'and then <a href="https://a.example/text">Plausible</a> again.{OUTRO}</p>'
    )
    image, text = page.links
    assert (image.link_type, text.link_type) == ("image", "text")
    # The alt is not in the text: the text link's place stands in for it.
    assert image.snippet == text.snippet
    assert "and then Plausible again." in text.snippet


# -- fields worked out on first access ----------------------------------------------------


def test_fields_are_the_same_whichever_link_is_read_first() -> None:
    def fields(link: Link) -> tuple[object, ...]:
        return (link.url, link.host, link.anchor, link.rel, link.link_type, link.placement, link.snippet)

    in_order = [fields(link) for link in extract_page(BLOG_POST, BLOG).links]
    links = extract_page(BLOG_POST, BLOG).links
    for link in reversed(links):
        # The last link first, and its snippet before its anchor; then read back as kept.
        assert link.snippet and link.placement and link.link_type and link.anchor is not None
    assert [fields(link) for link in links] == in_order


def test_prose_of_a_block_counts_every_link_of_it_when_one_is_read() -> None:
    # Link text over half the block: not prose, so the unlabelled region stays unknown,
    # whichever link's placement is read first.
    links = " ".join(f'<a href="https://a.example/{n}">a rather long link text number {n}</a>' for n in range(8))
    body = f"<div><p>Some words of prose around the links, not many of them. {links}</p></div>"
    for index in (0, 7):
        page = page_with(body)
        assert page.links[index].placement == "unknown"
        assert {link.placement for link in page.links} == {"unknown"}


def test_a_block_s_links_are_not_those_of_a_block_inside_it() -> None:
    # The item's own links come before and after a paragraph of links inside it: each
    # link is cut from its own block's text, whichever link is read first.
    inner = " ".join(f'<a href="https://a.example/p{n}">inner {n}</a>' for n in range(3))
    body = (
        f'<ul><li><a href="https://a.example/first">first link</a> {INTRO}<p>{INTRO}{inner}{OUTRO}</p>'
        f'{OUTRO} <a href="https://a.example/last">last link</a></li></ul>'
    )
    in_order = [(link.snippet, link.placement) for link in page_with(body).links]
    first, *inners, last = (snippet for snippet, _ in in_order)
    assert first.startswith("first link Privacy") and last.endswith("noticed immediately. last link")
    for n, snippet in enumerate(inners):
        assert f"inner {n}" in snippet and "first link" not in snippet
    for index in range(5):
        links = page_with(body).links
        assert (links[index].snippet, links[index].placement) == in_order[index]
        assert [(link.snippet, link.placement) for link in links] == in_order


def test_links_compare_and_print_by_their_fields() -> None:
    one, two = (page_with('<p><a href="https://a.example/" rel="nofollow">A</a></p>').links[0] for _ in range(2))
    assert one == two
    assert repr(one) == (
        "Link(url='https://a.example/', host='a.example', anchor='A', rel=" + repr(one.rel) + ", "
        "link_type='text', placement='unknown', snippet='A')"
    )


# -- encodings ---------------------------------------------------------------------------


def test_windows_1252_bytes_with_a_meta_charset() -> None:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head><body>'
        "<p>Unser Tipp: <a href='https://kaffee.example.de/'>Caf\u00e9 \u201eZ\u00fcrich\u201c \u2013 na\u00efv &amp; "
        "gro\u00dfartig</a></p></body></html>"
    ).encode("windows-1252")
    for content_type in ("text/html", None):
        [link] = extract_page(html, "https://blog.example.de/", content_type=content_type).links
        assert link.anchor == "Caf\u00e9 \u201eZ\u00fcrich\u201c \u2013 na\u00efv & gro\u00dfartig"


def test_shift_jis_with_charset_only_in_the_content_type() -> None:
    html = (
        "<html><head><title>カフェ案内</title></head><body><p>東京で一番のコーヒーは"
        "<a href='https://kissa.example.jp/'>銀座の喫茶店</a>です。</p></body></html>"
    ).encode("shift_jis")
    page = extract_page(html, "https://blog.example.jp/", content_type="text/html; charset=Shift_JIS")
    [link] = page.links
    assert link.anchor == "銀座の喫茶店"
    assert link.snippet == "東京で一番のコーヒーは銀座の喫茶店です。"


def test_cp1251_with_charset_only_in_the_content_type() -> None:
    html = (
        "<html><body><p>Лучший обзор: <a href='https://kofe.example.ru/'>Кофейни Москвы — рейтинг</a></p></body></html>"
    ).encode("cp1251")
    [link] = extract_page(html, "https://blog.example.ru/", content_type="text/html; charset=windows-1251").links
    assert link.anchor == "Кофейни Москвы — рейтинг"


def test_content_type_charset_wins_over_meta() -> None:
    html = "<html><head><meta charset='utf-8'></head><body><a href='https://a.example/'>Привет</a></body></html>"
    [link] = extract_page(html.encode("cp1251"), BLOG, content_type="text/html; charset=windows-1251").links
    assert link.anchor == "Привет"


def test_utf8_without_any_declaration() -> None:
    html = "<html><body><p><a href='https://a.example/'>Grüße aus Köln \u2013 schön, 東京</a></p></body></html>"
    for content_type in (None, "text/html"):
        [link] = extract_page(html.encode("utf-8"), BLOG, content_type=content_type).links
        assert link.anchor == "Grüße aus Köln \u2013 schön, 東京"


def test_utf16_with_bom() -> None:
    html = "<html><body><a href='https://a.example/'>Grüße</a></body></html>".encode("utf-16")
    [link] = extract_page(html, BLOG, content_type="text/html").links
    assert (link.url, link.anchor) == ("https://a.example/", "Grüße")


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be"])
def test_a_page_whose_meta_names_utf16_is_utf8_as_browsers_read_it(label: str) -> None:
    body = f"<html><head><meta charset='{label}'></head><body><a href='https://a.example/'>Grüße</a></body></html>"
    for content_type in (None, "text/html"):
        [link] = extract_page(body.encode(), BLOG, content_type=content_type).links
        assert (link.url, link.anchor) == ("https://a.example/", "Grüße")
    # As the spider reads a response (Scrapy's decoding says UTF-16).
    response = HtmlResponse(BLOG, body=body.encode(), headers={"Content-Type": "text/html"})
    [link] = extract_response(response).links
    assert (link.url, link.anchor) == ("https://a.example/", "Grüße")


@pytest.mark.parametrize(
    ("label", "encoding"), [("utf-16le", "utf-16-le"), ("UTF-16BE", "utf-16-be"), ("utf-16", "utf-16-le")]
)
def test_utf16_named_by_the_header_is_utf16_in_the_order_browsers_read(label: str, encoding: str) -> None:
    """Without a byte order mark, "utf-16" is little-endian for browsers (the HTML standard); w3lib
    (and so Scrapy's response.text) reads it big-endian, as RFC 2781 says."""
    html = "<html><body><a href='https://a.example/'>Grüße</a></body></html>".encode(encoding)
    content_type = f"text/html; charset={label}"
    [link] = extract_page(html, BLOG, content_type=content_type).links
    assert (link.url, link.anchor) == ("https://a.example/", "Grüße")
    [link] = extract_response(HtmlResponse(BLOG, body=html, headers={"Content-Type": content_type})).links
    assert (link.url, link.anchor) == ("https://a.example/", "Grüße")


@pytest.mark.parametrize(
    ("charset", "query", "expected"),
    [
        ("windows-1252", "café", "caf%E9"),
        ("shift_jis", "日本", "%93%FA%96%7B"),
        # What the page's encoding cannot hold (written &#26085; in it) is sent as that reference.
        ("windows-1252", "日本", "%26%2326085%3B%26%2326412%3B"),
        ("koi8-r", "ф&x=ё", "%C6&x=%A3"),
        ("utf-8", "café", "caf%C3%A9"),
        # A UTF-16 page's links are sent in UTF-8 (the URL standard).
        ("utf-16le", "café", "caf%C3%A9"),
    ],
)
def test_a_query_is_percent_encoded_in_the_page_encoding_as_browsers_send_it(
    charset: str, query: str, expected: str
) -> None:
    # A legacy-encoded site's search or tag links: its server reads the query in its own encoding.
    # The path is always UTF-8.
    body = f'<a href="http://example.org/café?q={query}">x</a>'.encode(charset, "xmlcharrefreplace")
    content_type = f"text/html; charset={charset}"
    for page in (
        extract_page(body, BLOG, content_type=content_type),
        extract_response(HtmlResponse(BLOG, body=body, headers={"Content-Type": content_type})),
    ):
        [link] = page.links
        assert request_url(link.url) == f"http://example.org/caf%C3%A9?q={expected}"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("Grüße".encode(), None, "Grüße"),
        ("Grüße".encode("cp1252"), "text/html; charset=windows-1252", "Grüße"),
        ("<meta charset='koi8-r'>Привет".encode("koi8-r"), None, "<meta charset='koi8-r'>Привет"),
        ("\ufeffGrüße".encode(), "text/html; charset=iso-8859-1", "Grüße"),
    ],
)
def test_decode_html(body: bytes, content_type: str | None, expected: str) -> None:
    assert decode_html(body, content_type) == expected


def test_str_and_utf8_bytes_give_the_same_page(blog: Page) -> None:
    assert extract_page(BLOG_POST.encode("utf-8"), BLOG, content_type="text/html; charset=utf-8") == blog


# -- robustness --------------------------------------------------------------------------


def test_malformed_html_still_yields_its_links() -> None:
    html = """<html><body>
    <div class="post"><p>Unclosed paragraph with <a href="https://a.example/1">one link
    <p>Next paragraph <a href="https://a.example/2">second</div></div></div></span>
    <a href="https://a.example/3">outer <a href="https://a.example/4">inner</a> tail</a>
    <table><tr><td><a href="https://a.example/5">in a cell<td>no close</table>
    <a href="https://a.example/6" rel=nofollow class=x>unquoted attributes</a>
    <a href="https://a.example/7">never closed
    """
    page = extract_page(html, BLOG)
    # The tree browsers build: an unclosed <a> is reopened in the next paragraph (the adoption
    # agency algorithm), an <a> closes the open <a>, a table cell closes at the next cell.
    assert [(link.url, link.anchor) for link in page.links] == [
        ("https://a.example/1", "one link"),
        ("https://a.example/1", "Next paragraph"),
        ("https://a.example/2", "second"),
        ("https://a.example/2", ""),
        ("https://a.example/3", "outer"),
        ("https://a.example/4", "inner"),
        ("https://a.example/5", "in a cell"),
        ("https://a.example/6", "unquoted attributes"),
        ("https://a.example/7", "never closed"),
    ]
    assert page.links[7].rel.tokens == ("nofollow",)


def test_nul_bytes_in_the_page() -> None:
    html = (
        '<html><body>\x00<p>Nul\x00 bytes <a href="https://a.example/\x00x">an\x00chor</a> and '
        '<a href="https://b.example/">B\x00</a></p>\x00\x00</body></html>'
    )
    page = extract_page(html, BLOG)
    assert [link.anchor for link in page.links] == ["anchor", "B"]
    assert page.links[1].url == "https://b.example/"
    # In an attribute a NUL becomes U+FFFD, as in browsers.
    assert page.links[0].url == "https://a.example/\ufffdx"
    assert page.links[0].snippet == "Nul bytes anchor and B"
    for link in page.links:
        assert "\x00" not in link.anchor + link.snippet + link.url
    assert extract_page(html.encode("utf-8"), BLOG).links == page.links


def test_lone_surrogates_do_not_crash() -> None:
    page = page_with('<p><a href="https://a.example/">broken \ud800 text</a></p>')
    [link] = page.links
    assert link.anchor.encode("utf-8").decode("utf-8") == link.anchor
    assert link.anchor.startswith("broken") and link.anchor.endswith("text")


def test_a_directory_page_with_5000_links() -> None:
    items = "".join(
        f'<li><a href="https://site{i}.example.com/?ref=dir&amp;id={i}">Site number {i}</a> - a site</li>'
        for i in range(5000)
    )
    started = time.perf_counter()
    page = page_with(f'<h1>Directory</h1><ul class="listing">{items}</ul>', url="https://dir.example/all")
    elapsed = time.perf_counter() - started
    assert len(page.links) == 5000
    assert page.links[0].url == "https://site0.example.com/?ref=dir&id=0"
    assert page.links[4999].url == "https://site4999.example.com/?ref=dir&id=4999"
    assert page.links[4999].anchor == "Site number 4999"
    assert page.links[4999].host == "site4999.example.com"
    assert page.links[4999].snippet == "Site number 4999 - a site"
    assert elapsed < 10


@pytest.mark.parametrize("depth", [2000, 20000])
def test_deeply_nested_markup(depth: int) -> None:
    html = (
        "<html><body>"
        + "<div><span>" * depth
        + '<a href="https://deep.example/">deep link</a>'
        + "</span></div>" * depth
        + '<p><a href="https://after.example/">after</a></p></body></html>'
    )
    page = extract_page(html, BLOG)
    assert [(link.url, link.anchor) for link in page.links] == [
        ("https://deep.example/", "deep link"),
        ("https://after.example/", "after"),
    ]


def test_deeply_nested_unclosed_markup() -> None:
    html = "<html><body>" + "<div><b><i>" * 2000 + '<a href="https://deep.example/">x</a>'
    [link] = extract_page(html, BLOG).links
    assert link.url == "https://deep.example/"


def test_an_empty_document() -> None:
    for html in ("", b"", "   ", "<html></html>"):
        page = extract_page(html, BLOG)
        assert page.links == []
        assert page.nofollow is False
        assert page.base_url == BLOG


_MARKUP = st.lists(
    st.sampled_from(
        [
            '<a href="https://x.example/">',
            '<a href="/rel">',
            "</a>",
            "<p>",
            "</p>",
            "<div>",
            "</div>",
            "<img alt='pic'>",
            "<script>",
            "</script>",
            "<!--",
            "-->",
            "text",
            "\x00",
            "&amp;",
            "<table><td>",
            '<meta name="robots" content="nofollow">',
        ]
    ),
    max_size=40,
)


@given(_MARKUP)
def test_property_arbitrary_tag_soup_never_crashes(pieces: list[str]) -> None:
    page = extract_page("".join(pieces), BLOG)
    for link in page.links:
        assert link.url in ("https://x.example/", "https://blog.example.org/rel")
        assert link.link_type in ("text", "image")
        assert "\x00" not in link.anchor
        assert len(link.snippet) <= SNIPPET_CHARS


def test_a_page_and_its_links_are_freed_without_the_garbage_collector() -> None:
    # A crawl drops each page after its parse: no reference cycle may keep its tree alive
    # until a collection.
    gc.disable()
    try:
        gc.collect()
        page = extract_page(BLOG_POST, BLOG)
        assert all(link.snippet and link.placement for link in page.links)
        del page
        assert gc.collect() == 0
    finally:
        gc.enable()


FUZZ = Path(__file__).resolve().parent.parent / "fuzz"


@pytest.mark.parametrize(
    "path", sorted((FUZZ / "regressions").glob("*")) + sorted((FUZZ / "seeds").glob("*")), ids=lambda p: p.name
)
def test_fuzz_inputs_give_every_field(path: Path) -> None:
    # The fuzz harness reads URLs and hosts; the fields worked out on first access are read here.
    for link in extract_page(path.read_bytes(), "http://source.org/page", ["nofollow"], "text/html").links:
        assert link.link_type in ("text", "image")
        assert link.placement in PLACEMENTS
        assert len(link.snippet) <= SNIPPET_CHARS
        assert "\x00" not in link.anchor + link.snippet


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://target.com/x/../y", "http://target.com/y"),
        ("http://target.com/a/./b/.", "http://target.com/a/b/"),
        ("http://target.com/?q=/./x", "http://target.com/?q=/./x"),
        ("http://target.com/a b", "http://target.com/a%20b"),
        ("http://target.com/café", "http://target.com/caf%C3%A9"),
        ("http://target.com/caf%c3%a9", "http://target.com/caf%C3%A9"),
        ("http://target.com/caf%C3%A9", "http://target.com/caf%C3%A9"),
        ("http://target.com/%zz%3a", "http://target.com/%zz%3A"),
        ("http://bücher.de/puny?q=ä", "http://xn--bcher-kva.de/puny?q=%C3%A4"),
        # IDNA 2008, as browsers encode it: not w3lib's IDNA 2003 "strasse.de".
        ("http://straße.de:8080/x", "http://xn--strae-oqa.de:8080/x"),
        ("https://example.com/plain?a=1&b=2", "https://example.com/plain?a=1&b=2"),
        # Empty segments are kept; a dot segment written %2e is one for a browser.
        ("http://target.com/a//b/../c", "http://target.com/a//c"),
        ("http://target.com/a/%2e/b/%2E%2e/c", "http://target.com/a/c"),
        ("http://target.com/a/%2ex/%20", "http://target.com/a/%2Ex/%20"),
        # What Scrapy escapes besides (w3lib), and an empty query, which servers read as none.
        ("http://target.com/p{a}?q=[b]|c", "http://target.com/p%7Ba%7D?q=%5Bb%5D%7Cc"),
        ("http://target.com/?", "http://target.com/"),
    ],
)
def test_request_url_is_one_spelling_of_an_address(url: str, expected: str) -> None:
    assert request_url(url) == expected
    assert request_url(expected) == expected

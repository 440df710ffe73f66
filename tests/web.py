"""The loopback test web: a handful of sites that link to ``target.com`` in every way
the crawl must handle. The end-to-end tests assert the exact rows it yields."""

from __future__ import annotations

from backlink_spider.localweb import Resource, Sites, redirect

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" + bytes(range(256)) * 8


def html(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head><meta charset='utf-8'><title>t</title>{head}</head><body>{body}</body></html>"


def most_at_once(starts: list[float], duration: float) -> int:
    """The most of the intervals [start, start + duration) that overlap at one time: the
    requests in flight together, from when each reached the server and how long each took."""
    return max(sum(1 for other in starts if start <= other < start + duration) for start in starts)


PROSE = "This paragraph is long enough to be the content of an article about a subject, "

BLOG_POST = html(
    f"""
<header class="site-header"><nav><a href="/">Blog home</a> <a href="http://target.com/">Target in nav</a></nav></header>
<main><article class="post">
  <p>{PROSE} and it recommends <a href="https://www.target.com/pricing">Target pricing</a> warmly.</p>
  <p>{PROSE} with a <a href="http://target.com/paid" rel="sponsored">paid link</a> and
     a <a href="http://target.com/nf" rel="NOFOLLOW noopener">nofollowed one</a>.</p>
  <p><a href="http://docs.target.com/guide"><img src="/logo.png" alt="  Target   docs "></a></p>
  <p>{PROSE} twice: <a href="http://target.com/twice">same link</a> and again
     <a href="http://target.com/twice">same link</a>.</p>
  <p>Lookalikes: <a href="http://target.com.evil.net/">evil</a> <a href="http://notarget.com/">not</a>
     <a href="http://target.co/">co</a> and a <a href="mailto:me@target.com">mail</a>.</p>
  <p><a href="/private">private page</a> <a href="http://news.org/">news</a></p>
</article>
<section id="comments"><ol class="comment-list"><li class="comment">
  <p>Great post! Also see <a href="http://target.com/from-comment" rel="ugc nofollow">my site</a> for more.</p>
</li></ol></section></main>
<aside class="sidebar"><a href="http://target.com/ad" rel="sponsored">Sponsor</a></aside>
<footer><a href="http://target.com/">Target</a></footer>
"""
)

SITES: Sites = {
    "blog.com": {
        "/": Resource(html('<a href="/post">a post</a> <a href="http://news.org/">news</a>')),
        "/post": Resource(BLOG_POST),
        "/private": Resource(html('<p><a href="http://target.com/secret">secret</a></p>')),
        "/robots.txt": Resource("User-agent: *\nDisallow: /private\n", headers={"Content-Type": "text/plain"}),
    },
    "news.org": {
        "/": Resource(
            html(
                '<p><a href="http://target.com/from-nofollow-page">target</a></p>'
                '<a href="/xrobots">x</a> <a href="/old">old</a> <a href="/binary">bin</a>'
                ' <a href="/after-binary">after</a> <a href="/huge">huge</a> <a href="/utf16">utf16</a>',
                head='<meta name="robots" content="noindex, nofollow">',
            )
        ),
        "/xrobots": Resource(
            html('<p><a href="http://target.com/from-header-page">target</a></p>'),
            headers={"Content-Type": "text/html", "X-Robots-Tag": "noarchive, nofollow"},
        ),
        "/old": redirect("http://news.org/new"),
        "/new": Resource(html('<p><a href="http://www.target.com/redirected">moved article</a></p>')),
        "/binary": Resource(PDF, headers={"Content-Type": "text/html"}),
        # Past DOWNLOAD_MAXSIZE (10 MiB): abandoned unread, links and all.
        "/huge": Resource(html('<p><a href="http://target.com/from-huge">huge</a></p>' + "<p>filler</p>" * 1_000_000)),
        "/after-binary": Resource(html('<p><a href="http://target.com/after-binary">still crawling</a></p>')),
        # UTF-16 without a byte order mark, as the header says: a page, not binary (as browsers read it).
        "/utf16": Resource(
            html('<p><a href="http://target.com/from-utf16">Grüße</a></p>').encode("utf-16-le"),
            headers={"Content-Type": "text/html; charset=utf-16"},
        ),
    },
    "shop.co.uk": {
        "/": Resource(
            "<html><head><meta charset='windows-1252'></head><body><div class='entry-content'>"
            "<a href='http://target.com/caf%C3%A9'>Caf\xe9 cr\xe8me \x93quoted\x94</a></div></body></html>".encode(
                "latin-1"
            ),
            headers={"Content-Type": "text/html"},
        ),
    },
    "target.com": {
        "/": Resource(
            html('<a href="http://www.target.com/about">about us</a> <a href="http://partner.net/">partner</a>')
        ),
    },
    "partner.net": {
        "/": Resource(html('<ul class="menu"><li><a href="http://target.com/">Partner of Target</a></li></ul>')),
    },
}

SEEDS = "http://blog.com/,http://news.org/,http://shop.co.uk/,http://target.com/"

# (source_url, target_url, anchor_text, anchor_class, rel, nofollow, ugc, sponsored, dofollow, link_type, placement)
EXPECTED_BACKLINKS = {
    (
        "http://blog.com/post",
        "http://target.com/",
        "Target in nav",
        "branded",
        "",
        False,
        False,
        False,
        True,
        "text",
        "nav",
    ),
    (
        "http://blog.com/post",
        "https://www.target.com/pricing",
        "Target pricing",
        "branded",
        "",
        False,
        False,
        False,
        True,
        "text",
        "content",
    ),
    (
        "http://blog.com/post",
        "http://target.com/paid",
        "paid link",
        "other",
        "sponsored",
        False,
        False,
        True,
        False,
        "text",
        "content",
    ),
    (
        "http://blog.com/post",
        "http://target.com/nf",
        "nofollowed one",
        "other",
        "nofollow noopener",
        True,
        False,
        False,
        False,
        "text",
        "content",
    ),
    (
        "http://blog.com/post",
        "http://docs.target.com/guide",
        "Target docs",
        "branded",
        "",
        False,
        False,
        False,
        True,
        "image",
        "content",
    ),
    (
        "http://blog.com/post",
        "http://target.com/twice",
        "same link",
        "other",
        "",
        False,
        False,
        False,
        True,
        "text",
        "content",
    ),
    (
        "http://blog.com/post",
        "http://target.com/from-comment",
        "my site",
        "other",
        "ugc nofollow",
        True,
        True,
        False,
        False,
        "text",
        "comment",
    ),
    (
        "http://blog.com/post",
        "http://target.com/ad",
        "Sponsor",
        "other",
        "sponsored",
        False,
        False,
        True,
        False,
        "text",
        "aside",
    ),
    (
        "http://blog.com/post",
        "http://target.com/",
        "Target",
        "branded",
        "",
        False,
        False,
        False,
        True,
        "text",
        "footer",
    ),
    (
        "http://news.org/",
        "http://target.com/from-nofollow-page",
        "target",
        "branded",
        "",
        False,
        False,
        False,
        False,
        "text",
        "unknown",
    ),
    (
        "http://news.org/xrobots",
        "http://target.com/from-header-page",
        "target",
        "branded",
        "",
        False,
        False,
        False,
        False,
        "text",
        "unknown",
    ),
    (
        "http://news.org/new",
        "http://www.target.com/redirected",
        "moved article",
        "other",
        "",
        False,
        False,
        False,
        True,
        "text",
        "unknown",
    ),
    (
        "http://news.org/after-binary",
        "http://target.com/after-binary",
        "still crawling",
        "other",
        "",
        False,
        False,
        False,
        True,
        "text",
        "unknown",
    ),
    (
        "http://news.org/utf16",
        "http://target.com/from-utf16",
        "Grüße",
        "other",
        "",
        False,
        False,
        False,
        True,
        "text",
        "unknown",
    ),
    (
        "http://shop.co.uk/",
        "http://target.com/caf%C3%A9",
        "Café crème “quoted”",
        "other",
        "",
        False,
        False,
        False,
        True,
        "text",
        "content",
    ),
    (
        "http://partner.net/",
        "http://target.com/",
        "Partner of Target",
        "branded",
        "",
        False,
        False,
        False,
        True,
        "text",
        "nav",
    ),
}

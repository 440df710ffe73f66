"""The demo web: a few sites around ``plausible-analytics.com``, a fictional product.

A directory lists the sites; blogs, a forum and a news site link to the product in
the ways real pages do (in articles, navigation, comments, sidebars, with and without
nofollow, as text and as images). Everything is generated here, nothing is fetched.
"""

from __future__ import annotations

from backlink_spider.localweb import Resource, Sites, redirect

TARGET = "plausible-analytics.com"
SEEDS = ("http://webdirectory.org/",)


def page(title: str, body: str, head: str = "") -> Resource:
    return Resource(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{body}</body></html>"
    )


def article(site: str, title: str, paragraphs: list[str], comments: list[str] = (), sidebar: str = "") -> Resource:
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    thread = "".join(f"<li class='comment'><div class='comment-body'>{c}</div></li>" for c in comments)
    return page(
        title,
        f"<header class='site-header'><a href='/'>{site}</a><nav class='main-nav'><a href='/'>Home</a>"
        f" <a href='/about'>About</a></nav></header>"
        f"<main><article class='post'><h1>{title}</h1><div class='entry-content'>{text}</div></article>"
        f"<section id='comments'><h2>Comments</h2><ol class='comment-list'>{thread}</ol></section></main>"
        f"<aside class='sidebar'>{sidebar}</aside>"
        f"<footer class='site-footer'>&copy; {site} &middot; "
        "<a href='http://webdirectory.org/'>Listed in WebDirectory</a></footer>",
    )


T = f"http://{TARGET}"

SITES: Sites = {
    TARGET: {
        "/": page("Plausible Analytics", "<nav><a href='/about'>About</a> <a href='/pricing'>Pricing</a></nav>"),
        "/about": page("About", "<p>A small, bootstrapped team.</p>"),
    },
    "webdirectory.org": {
        "/": page(
            "WebDirectory: hand-picked sites",
            "<h1>WebDirectory</h1><ul class='listing'>"
            "<li><a href='http://devblog.net/'>DevBlog</a>: notes of a web developer</li>"
            "<li><a href='http://privacyforum.org/'>Privacy Forum</a>: discussions on web privacy</li>"
            "<li><a href='http://technews.com/'>Tech News</a>: daily technology news</li>"
            "<li><a href='http://marketing-weekly.com/'>Marketing Weekly</a>: growth and SEO</li>"
            "</ul>",
        ),
    },
    "devblog.net": {
        "/": page("DevBlog", "<h1>DevBlog</h1><a href='/posts/leaving-google-analytics'>Leaving Google Analytics</a>"),
        "/posts/leaving-google-analytics": article(
            "DevBlog",
            "Why I left Google Analytics",
            [
                "After years of cookie banners I moved my sites to a lightweight, privacy-friendly tool. "
                f"<a href='{T}/'>Plausible Analytics</a> gives me the numbers I need without tracking anyone.",
                "The script is under 1 KB, which matters for page speed. Their "
                f"<a href='{T}/docs/script'>script documentation</a> explains the setup in five minutes.",
                f"<a href='{T}/blog/open-source'><img src='/img/plausible.png' alt='Plausible dashboard'></a>",
            ],
            comments=[
                "Thanks! I switched too, see my setup on "
                f"<a href='{T}/' rel='ugc nofollow'>plausible-analytics.com</a>.",
            ],
            sidebar=f"<h3>Tools I use</h3><a href='{T}/'>Analytics</a>",
        ),
        "/robots.txt": Resource("User-agent: *\nDisallow: /drafts/\n", headers={"Content-Type": "text/plain"}),
    },
    "privacyforum.org": {
        "/": page("Privacy Forum", "<a href='/t/cookie-free-analytics'>Cookie-free analytics?</a>"),
        "/t/cookie-free-analytics": article(
            "Privacy Forum",
            "Cookie-free analytics?",
            ["Which analytics tools work without cookies and without a consent banner?"],
            comments=[
                f"We use <a href='{T}/' rel='nofollow ugc'>this one</a> on all our sites.",
                f"Click <a href='{T}/pricing' rel='ugc'>here</a> for their pricing.",
            ],
        ),
    },
    "technews.com": {
        "/": page("Tech News", "<a href='/2026/11/privacy-first-startups'>Privacy-first startups</a>"),
        "/2026/11/privacy-first-startups": article(
            "Tech News",
            "Five privacy-first startups to watch",
            [
                "Privacy is becoming a selling point. Among the companies we spoke to, "
                f"<a href='{T}/about'>the team behind Plausible</a> stands out for being bootstrapped.",
                f"Sponsored: try <a href='{T}/?ref=technews' rel='sponsored'>privacy-friendly analytics</a> today.",
            ],
        ),
        "/old-review": redirect("http://technews.com/2026/11/privacy-first-startups"),
    },
    "marketing-weekly.com": {
        "/": page(
            "Marketing Weekly",
            "<a href='/seo/analytics-tools'>Analytics tools</a>",
            head="<meta name='robots' content='nofollow'>",
        ),
        "/seo/analytics-tools": article(
            "Marketing Weekly",
            "The best web analytics tools",
            [f"For a simple dashboard, read more at <a href='{T}/'>{T}/</a>."],
        ),
    },
}

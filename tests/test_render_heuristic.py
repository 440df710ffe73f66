"""The heuristic that tells a page built by script from one whose links are in its HTML,
on the HTML real frameworks serve (before any script ran)."""

from __future__ import annotations

import json

import pytest
from scrapy.settings import Settings

from backlink_spider import settings as project_settings
from backlink_spider.extraction import extract_page
from backlink_spider.rendering import Thresholds, judge, link_count, page_signals, script_built
from tests.corpus import page_dirs, read_gz

DEFAULT = Thresholds()

CREATE_REACT_APP = """<!doctype html><html lang="en"><head><meta charset="utf-8"/>
<link rel="icon" href="/favicon.ico"/><meta name="viewport" content="width=device-width,initial-scale=1"/>
<title>Acme dashboard</title><script defer="defer" src="/static/js/main.8c2f1a9e.js"></script>
<link href="/static/css/main.0e3b7c1d.css" rel="stylesheet"></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>"""

NEXT_DATA = json.dumps({"props": {"pageProps": {"posts": [{"id": i, "title": f"Post {i}"} for i in range(40)]}}})

NEXT_CLIENT_ONLY = f"""<!DOCTYPE html><html><head><meta charSet="utf-8"/><title>Blog</title>
<script src="/_next/static/chunks/webpack-59c5c889f52620d6.js" defer=""></script>
<script src="/_next/static/chunks/framework-2c79e2a64abdb08b.js" defer=""></script>
<script src="/_next/static/chunks/main-0ecb9ccfcb6c9b24.js" defer=""></script>
<script src="/_next/static/chunks/pages/_app-3c9ca3c3c2f3e2b8.js" defer=""></script></head>
<body><div id="__next"></div>
<script id="__NEXT_DATA__" type="application/json">{NEXT_DATA}</script></body></html>"""

PROSE = (
    "Privacy-friendly analytics have come a long way. This review compares the tools we tried over a year, "
    "what they cost, how they treat visitors' data and how easy they were to install on a static site. "
)

NEXT_SERVER_RENDERED = f"""<!DOCTYPE html><html><head><meta charSet="utf-8"/><title>Blog</title>
<script src="/_next/static/chunks/main-0ecb9ccfcb6c9b24.js" defer=""></script></head>
<body><div id="__next"><header><nav><a href="/">Home</a> <a href="/blog">Blog</a> <a href="/about">About</a></nav>
</header>
<main><article><h1>Choosing an analytics tool</h1><p>{PROSE * 4}</p>
<p>We settled on <a href="https://plausible.io/">Plausible</a> after trying
<a href="https://usefathom.com/">Fathom</a> and <a href="https://umami.is/">Umami</a>.</p></article></main>
<footer><a href="/privacy">Privacy</a> <a href="/rss.xml">RSS</a></footer></div>
<script id="__NEXT_DATA__" type="application/json">{NEXT_DATA}</script></body></html>"""

ANGULARJS = """<!DOCTYPE html><html ng-app="shopApp"><head><title>Shop</title>
<script src="https://ajax.googleapis.com/ajax/libs/angularjs/1.8.2/angular.min.js"></script>
<script src="/js/app.js"></script></head>
<body ng-controller="MainCtrl"><h1>{{ shop.title }}</h1>
<ul><li ng-repeat="item in items"><a ng-href="{{ item.url }}">{{ item.name }}</a> {{ item.price | currency }}</li></ul>
<div ng-view></div></body></html>"""

ANGULAR = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title>
<base href="/"><link rel="stylesheet" href="styles.ef46db3751d8e999.css"></head>
<body><app-root></app-root>
<script src="runtime.1b8e6a9a5b1c4b4e.js" type="module"></script>
<script src="polyfills.5cf0f0b2c8b37c62.js" type="module"></script>
<script src="main.7f3c2f2b1a9e9e1d.js" type="module"></script></body></html>"""

VUE = """<!DOCTYPE html><html><head><title>Events</title>
<script src="https://unpkg.com/vue@3/dist/vue.global.prod.js"></script></head>
<body><div id="app"><h1>{{ title }}</h1>
<ul><li v-for="event in events"><a :href="event.url">{{ event.name }}</a></li></ul></div>
<script>Vue.createApp({ data() { return { title: 'Events', events: [] } } }).mount('#app')</script></body></html>"""

NOSCRIPT_WALL = """<!DOCTYPE html><html><head><title>Loading</title><script src="/bundle.4f1e.js" defer></script></head>
<body><noscript><p>Please enable JavaScript in your browser to use this site.</p></noscript>
<div class="splash"><div class="spinner"></div>Loading...</div></body></html>"""

ARTICLE = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A review of analytics tools</title>
<link rel="stylesheet" href="/wp-content/themes/twentytwentyfour/style.css">
<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXX"></script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
<script src="/wp-includes/js/jquery/jquery.min.js"></script>
<script type="application/ld+json">{json.dumps({"@type": "Article", "headline": "x" * 3000})}</script></head>
<body class="single-post"><header class="site-header"><nav><a href="/">Home</a> <a href="/category/tools">Tools</a>
<a href="/about">About</a> <a href="/contact">Contact</a></nav></header>
<main id="main"><article class="post"><h1>A review of analytics tools</h1>
<p>{PROSE}</p><p>{PROSE} Our favourite is <a href="https://plausible.io/">Plausible</a>.</p><p>{PROSE}</p>
</article>
<div id="disqus_thread"></div><noscript>Please enable JavaScript to view the comments powered by Disqus.</noscript>
</main><aside class="sidebar"><a href="/tag/privacy">privacy</a> <a href="/tag/seo">seo</a></aside>
<footer><a href="/privacy-policy">Privacy policy</a></footer></body></html>"""


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        pytest.param(CREATE_REACT_APP, "app_root", id="react-empty-root"),
        pytest.param(NEXT_CLIENT_ONLY, "app_root", id="nextjs-empty-root"),
        pytest.param(ANGULARJS, "app_root", id="angularjs-ng-app-templates"),
        pytest.param(ANGULAR, "app_root", id="angular-app-root"),
        pytest.param(VUE, "app_root", id="vue-app-templates"),
        pytest.param(NOSCRIPT_WALL, "noscript", id="noscript-asks-for-javascript"),
        pytest.param(NEXT_SERVER_RENDERED, None, id="nextjs-server-rendered"),
        pytest.param(ARTICLE, None, id="normal-article"),
    ],
)
def test_pages_built_by_script_are_told_from_pages_whose_links_are_in_their_html(html: str, reason: str | None) -> None:
    assert script_built(page_signals(html), DEFAULT) == reason


def test_the_signals_of_an_article_count_only_what_a_reader_sees() -> None:
    signals = page_signals(ARTICLE)
    assert signals.links == 8
    assert signals.script_files == 2
    # JSON-LD is data, not script; the inline gtag snippet is.
    assert 0 < signals.inline_script_chars < 200
    assert signals.text_chars > 3 * len(PROSE) and "{{" not in ARTICLE
    assert signals.empty_root is None and not signals.cloaked
    # Disqus asks for JavaScript, but a page full of text does not need it.
    assert signals.noscript_asks_for_javascript


def test_an_empty_root_is_named() -> None:
    assert page_signals(CREATE_REACT_APP).empty_root == "div#root"
    assert page_signals(ANGULAR).empty_root == "app-root"


def test_a_root_that_only_shows_a_spinner_text_is_empty_but_one_with_a_link_is_not() -> None:
    assert page_signals('<div id="app">Loading...</div>').empty_root == "div#app"
    assert page_signals('<div id="app"><a href="/start">Start</a></div>').empty_root is None


def test_cloaked_templates_are_script_built_even_in_a_long_page() -> None:
    comments = "<div id='comments' v-cloak><p v-for='c in comments'>{{ c.text }}</p></div>"
    html = f"<main><p>{PROSE * 5}</p>{comments}</main>"
    assert script_built(page_signals(html), DEFAULT) == "cloak"


def test_a_short_page_with_a_bundle_and_no_links_is_script_built() -> None:
    html = '<body><div id="mount"></div><script src="/bundle.js"></script></body>'
    assert script_built(page_signals(html), DEFAULT) == "scripts"


def test_a_short_static_page_with_no_script_is_not() -> None:
    assert script_built(page_signals("<body><h1>Contact</h1><p>Write to us.</p></body>"), DEFAULT) is None


def test_a_large_page_with_very_few_links_for_its_size_is_script_built() -> None:
    state = json.dumps({"items": ["x" * 100] * 400})
    html = f"<body><p>{PROSE * 3}</p><a href='/'>home</a><script>window.__STATE__ = {state}</script></body>"
    signals = page_signals(html)
    assert signals.text_chars >= DEFAULT.min_text and signals.html_chars >= DEFAULT.large_page
    assert script_built(signals, DEFAULT) == "few_links"
    dense = html + "".join(f"<a href='/p{i}'>p{i}</a>" for i in range(60))
    assert script_built(page_signals(dense), DEFAULT) is None


@pytest.mark.parametrize(
    "html",
    [
        f"<body><p>{PROSE * 3}</p><a href='/'>home</a><pre>{'data ' * 20_000}</pre></body>",
        # A hostile tag of 100,000 attributes: the browser would be handed all of them.
        "<body><div " + " ".join(f"a{n}=1" for n in range(100_000)) + "><a href='/'>home</a></div></body>",
        # JSON-LD is data, not a script.
        f"<body><a href='/'>home</a><script type='application/ld+json'>{json.dumps(['x' * 100] * 400)}</script>",
    ],
)
def test_a_large_page_with_few_links_and_no_script_is_not_rendered(html: str) -> None:
    # No script, nothing to add a link: the links it has are all it has.
    assert script_built(page_signals(html), DEFAULT) is None
    assert judge(html, DEFAULT, link_count(extract_page(html, URL))) is None


def test_links_are_those_the_spider_follows_but_for_template_placeholders() -> None:
    html = (
        '<a href="javascript:void(0)">x</a><a href="#top">top</a><a href="{{ url }}">t</a><a href="/real">r</a>'
        '<a href="mailto:us@example.com">mail</a><a href="https://elsewhere.org/">out</a><a>no href</a>'
    )
    assert page_signals(html).links == 2


def test_thresholds_come_from_the_settings_with_the_project_defaults() -> None:
    project = Settings()
    project.setmodule(project_settings)
    assert Thresholds.from_settings(project) == DEFAULT
    custom = Thresholds.from_settings(
        Settings({"BACKLINKS_RENDER_MIN_TEXT": "10", "BACKLINKS_RENDER_LINKS_PER_KIB": "2"})
    )
    assert (custom.min_text, custom.links_per_kib) == (10, 2.0)
    short = '<body><p>Two words.</p><script src="/app.js"></script></body>'
    assert script_built(page_signals(short), DEFAULT) == "scripts"
    assert script_built(page_signals(short), Thresholds(min_text=5)) is None


URL = "https://pages.example.com/a/page"
SHORT_APP = '<body><div id="mount"></div><script src="/bundle.js"></script></body>'
# Pages every rule fires on (and does not), and the raw-HTML shapes the quick judgement could miss.
VARIANTS = [
    CREATE_REACT_APP,
    NEXT_CLIENT_ONLY,
    NEXT_SERVER_RENDERED,
    ANGULARJS,
    ANGULAR,
    VUE,
    NOSCRIPT_WALL,
    ARTICLE,
    SHORT_APP,
    "<body><h1>Contact</h1><p>Write to us.</p></body>",
    "",
    "<p>plain</p>",
    "<DIV ID=ROOT></DIV>",
    "<div id=app>",
    '<div id="&#114;oot"></div>',
    "<div class='ng-&#99;loak'>{{ x }}</div>",
    f"<main><p>{PROSE * 5}</p><div v-cloak></div></main>",
    "<noscript>Enable JavaScript</noscript><p>Hi</p>",
    f"<noscript>Enable JavaScript</noscript><p>{PROSE * 4}</p>",
    "<APP-ROOT></APP-ROOT>",
    f"<body><p>{PROSE * 3}</p><a href='/'>home</a><script>window.__S = {json.dumps(['x' * 100] * 400)}</script></body>",
    f"<body><p>{PROSE}</p><!-- {'<a href=/x>x</a>' * 40} -->{'y' * 40_000}</body>",
    f"<body><p>{PROSE}</p>{'<a href=/x>x</a>' * 40}{'y' * 40_000}</body>",
    '<div id="root"><template><a href="/t">t</a></template></div><script src="/a.js"></script>',
    f"<body><p>{PROSE}</p>{'<a href=mailto:us@example.com>us</a>' * 40}{'y' * 40_000}</body>",
    f"<body><noscript>Enable JavaScript</noscript><script src=/a.js></script>{'<a href=/x>x</a>' * 40}{'y' * 40_000}",
    f"<body><p>{PROSE}</p><script></script>{'y' * 40_000}</body>",
    f"<body><p>{PROSE}</p><!-- <script>x</script> -->{'y' * 40_000}</body>",
    f"<body><p>{PROSE}</p><script src=/a.js></script>{'y' * 40_000}</body>",
]
THRESHOLDS = [DEFAULT, Thresholds(script_files=0), Thresholds(script_chars=0, min_links=0), Thresholds(large_page=10)]


@pytest.mark.parametrize("thresholds", THRESHOLDS)
def test_the_quick_judgement_decides_as_the_full_measure_does(thresholds: Thresholds) -> None:
    pages = VARIANTS + [read_gz(folder / "source.html.gz").decode("utf-8", "replace") for folder in page_dirs()]
    quick = [judge(html, thresholds, link_count(extract_page(html, URL))) for html in pages]
    assert quick == [script_built(page_signals(html, URL), thresholds) for html in pages]

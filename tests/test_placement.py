"""Placement: one element at a time (``element_placement``), then whole pages through
``extract_page`` on small snippets of the markup real themes, CMSs and frameworks emit."""

from __future__ import annotations

import pytest

from backlink_spider.extraction import extract_page
from backlink_spider.placement import REGION_TAGS, TOP, attribute_words, element_placement, enter

PAGE = "https://blog.example/2024/05/a-post/"
PROSE = (
    "Readers who follow the project closely will know that the release was delayed twice, "
    "first by a licence review and then by a regression in the importer. "
)


def placements(body: str) -> dict[str, str]:
    """Anchor text -> placement of every link of a page with ``body`` as its body."""
    page = extract_page(f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>", PAGE)
    found = {link.anchor: link.placement for link in page.links}
    assert len(found) == len(page.links), "anchors must be unique in a test page"
    return found


# -- one element -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "role", "classes", "element_id", "expected"),
    [
        ("nav", None, None, None, "nav"),
        ("aside", None, None, None, "aside"),
        ("main", None, None, None, "content"),
        ("article", None, None, None, "content"),
        ("header", None, None, None, "header"),
        ("footer", None, None, None, "footer"),
        ("div", "navigation", None, None, "nav"),
        ("div", " Navigation ", None, None, "nav"),
        ("div", "main navigation", None, None, "content"),
        ("div", "complementary", None, None, "aside"),
        ("div", "contentinfo", None, None, "footer"),
        ("div", "banner", None, None, "header"),
        ("div", "presentation", None, None, None),
        ("div", None, "entry-content", None, "content"),
        ("div", None, "post-body entry-content", "post-body-123", "content"),
        ("div", None, "c-entry-content", None, "content"),
        ("div", None, "articleBody", None, "content"),
        ("div", None, None, "mainContent", "content"),
        ("div", None, None, "content", "content"),
        ("div", None, "post type-post status-publish hentry", "post-42", "content"),
        ("div", None, "comment-content", None, "comment"),
        ("div", None, None, "disqus_thread", "comment"),
        ("ol", None, "comment-list", None, "comment"),
        ("ol", None, "commentList", None, "comment"),
        ("div", None, "comments-area", "comments", "comment"),
        ("div", None, "site-footer__links", None, "footer"),
        ("div", None, None, "pageFooter", "footer"),
        ("div", None, None, "sideBar", "aside"),
        ("div", None, "widget widget_recent_entries", None, "aside"),
        ("div", None, "related-posts", None, "aside"),
        ("div", None, "most-popular", None, "aside"),
        ("ul", None, "navbar-nav", None, "nav"),
        ("div", None, "dropdown-menu", None, "nav"),
        ("div", None, "dropdown-content", None, "nav"),
        ("span", None, "cat-links", None, "nav"),
        ("span", None, "tags-links", None, "nav"),
        ("div", None, "masthead", None, "header"),
        # Components named "...-content" and layout names say nothing about the page.
        ("div", None, "modal-content", None, None),
        ("div", None, "tab-content", None, None),
        ("div", None, "card-content", None, None),
        ("div", None, "main", None, None),
        ("div", None, "container row", None, None),
        ("div", None, None, None, None),
    ],
)
def test_element_placement(
    tag: str, role: str | None, classes: str | None, element_id: str | None, expected: str | None
) -> None:
    assert element_placement(tag, role, classes, element_id) == expected


def test_header_inside_a_section_is_that_sections_header() -> None:
    assert element_placement("header", None, None, None, sectioned=True) is None
    assert element_placement("header", None, "entry-header", None, sectioned=True) == "header"
    assert element_placement("footer", None, None, None, sectioned=True) == "footer"
    assert element_placement("div", "banner", None, None, sectioned=True) == "header"


def test_attribute_words_split_punctuation_camel_case_and_pairs() -> None:
    words = attribute_words("site-footer__links mainContent")
    assert {"site", "footer", "links", "sitefooter", "footerlinks", "sitefooterlinks"} <= words
    assert {"main", "content", "maincontent"} <= words


def test_enter_holds_regions_against_nearer_content_claims() -> None:
    def inside(*elements: tuple[str, str | None, str | None, str | None]) -> str | None:
        region = TOP
        for element in elements:
            region = enter(region, *element)
        return region.placement

    # Firm regions (tags, roles, comment words) hold against any content claim.
    assert inside(("aside", None, None, None), ("article", None, None, None)) == "aside"
    assert inside(("div", None, None, "disqus_thread"), ("div", None, "post-body", None)) == "comment"
    assert inside(("nav", None, None, None), ("div", None, "widget", None), ("main", None, None, None)) == "aside"
    # Class-word regions hold against weak claims only, not against a theme's body class.
    assert inside(("div", None, "related", None), ("article", None, "post", None)) == "aside"
    assert inside(("div", None, "widget Blog", "Blog1"), ("div", None, "post-body entry-content", None)) == "content"
    # A layout wrapper that names the content too does not hold at all.
    assert inside(("div", None, "content-sidebar-wrap", None), ("div", None, "content", None)) == "content"
    # Inside a comment everything is the comment's; elsewhere the nearest region decides.
    assert inside(("ol", None, "comment-list", None), ("footer", None, "comment-meta", None)) == "comment"
    assert inside(("main", None, None, None), ("div", None, "sharedaddy", None), ("nav", None, None, None)) == "nav"


@pytest.mark.parametrize("tag", ["div", "span", "ul", "li", "p", "td", "table", "b", "form", "my-widget"])
def test_an_element_without_attributes_says_nothing_unless_its_tag_does(tag: str) -> None:
    # Extraction skips enter() for such elements: it must give the region around them back.
    assert tag not in REGION_TAGS
    for outer in (TOP, enter(TOP, "nav", None, None, None), enter(TOP, "section", None, "sidebar", None)):
        assert enter(outer, tag, None, None, None) == outer


def test_region_tags_are_the_tags_enter_acts_on() -> None:
    for tag in REGION_TAGS:
        assert enter(TOP, tag, None, None, None) != TOP


# -- whole pages -----------------------------------------------------------------------

WORDPRESS = f"""
<div id="page" class="site">
  <a class="skip-link screen-reader-text" href="#content">Skip to content</a>
  <header id="masthead" class="site-header">
    <div class="site-branding"><p class="site-title"><a href="/" rel="home">Example Blog</a></p></div>
    <nav id="site-navigation" class="main-navigation">
      <ul id="primary-menu" class="menu"><li class="menu-item"><a href="/about/">About</a></li></ul>
    </nav>
  </header>
  <div id="content" class="site-content">
    <div id="primary" class="content-area">
      <main id="main" class="site-main">
        <article id="post-7" class="post-7 post type-post status-publish format-standard hentry">
          <header class="entry-header">
            <h1 class="entry-title">A post</h1>
            <div class="entry-meta"><span class="byline">by <a href="/author/jane/">Jane</a></span></div>
          </header>
          <div class="entry-content">
            <p>{PROSE}See <a href="https://docs.example/importer">the importer docs</a> for details.</p>
            <ul><li><a href="https://tool.example/">A tool</a></li></ul>
          </div>
          <footer class="entry-footer">
            <span class="cat-links"><a href="/category/news/" rel="category tag">News</a></span>
          </footer>
        </article>
        <nav class="navigation post-navigation" aria-label="Posts">
          <div class="nav-links"><a href="/2024/04/older/" rel="prev">Older post</a></div>
        </nav>
        <div id="comments" class="comments-area">
          <ol class="comment-list">
            <li id="comment-3" class="comment even thread-even depth-1">
              <article id="div-comment-3" class="comment-body">
                <footer class="comment-meta"><b class="fn"><a href="https://commenter.example/">Bob</a></b></footer>
                <div class="comment-content"><p>{PROSE}Also <a href="https://spam.example/">cheap pills</a>.</p></div>
              </article>
            </li>
          </ol>
        </div>
      </main>
    </div>
    <aside id="secondary" class="widget-area">
      <section id="recent-posts-2" class="widget widget_recent_entries">
        <h2 class="widget-title">Recent Posts</h2>
        <ul><li><a href="/2024/03/another/">Another post</a></li></ul>
      </section>
    </aside>
  </div>
  <footer id="colophon" class="site-footer">
    <div class="site-info"><a href="https://wordpress.org/">Proudly powered by WordPress</a></div>
  </footer>
</div>
"""


def test_wordpress_theme() -> None:
    assert placements(WORDPRESS) == {
        "Example Blog": "header",
        "About": "nav",
        "Jane": "header",
        "the importer docs": "content",
        "A tool": "content",
        "News": "nav",
        "Older post": "nav",
        "Bob": "comment",
        "cheap pills": "comment",
        "Another post": "aside",
        "Proudly powered by WordPress": "footer",
    }


def test_disqus_thread() -> None:
    body = f"""
    <article><p>{PROSE}<a href="https://source.example/">the source</a></p></article>
    <div id="disqus_thread">
      <ul id="post-list" class="post-list">
        <li class="post"><div class="post-content"><div class="post-body">
          <span class="author"><a href="https://disqus.com/by/alice/">Alice</a></span>
          <div class="post-message"><p>{PROSE}<a href="https://alice.example/">my blog</a></p></div>
        </div></div></li>
      </ul>
    </div>
    """
    assert placements(body) == {"the source": "content", "Alice": "comment", "my blog": "comment"}


def test_bootstrap_navbar() -> None:
    body = f"""
    <nav class="navbar navbar-expand-lg bg-body-tertiary">
      <div class="container-fluid">
        <a class="navbar-brand" href="/">Brand</a>
        <div class="collapse navbar-collapse" id="navbarNav">
          <ul class="navbar-nav">
            <li class="nav-item"><a class="nav-link active" href="/">Home page</a></li>
            <li class="nav-item dropdown">
              <ul class="dropdown-menu"><li><a class="dropdown-item" href="/docs/">Docs</a></li></ul>
            </li>
          </ul>
        </div>
      </div>
    </nav>
    <div class="navbar navbar-default"><div class="container"><div class="content">
      <a href="/pricing/">Pricing</a>
    </div></div></div>
    <main class="container"><div class="row"><div class="col-md-8">
      <p>{PROSE}<a href="https://bootstrap.example/">Bootstrap</a></p>
      <div class="modal"><div class="modal-content"><a href="/signup/">Sign up</a></div></div>
    </div></div></main>
    """
    assert placements(body) == {
        "Brand": "nav",
        "Home page": "nav",
        "Docs": "nav",
        "Pricing": "nav",
        "Bootstrap": "content",
        "Sign up": "content",
    }


def test_aside_widgets_and_teasers() -> None:
    body = f"""
    <main>
      <article class="post"><div class="entry-content"><p>{PROSE}<a href="https://a.example/">body link</a></p></div>
      </article>
      <aside class="widget"><h3>Follow us</h3><a href="https://social.example/us">Our page</a></aside>
      <div class="related-posts">
        <article class="post"><h3><a href="/teaser/">A teaser</a></h3></article>
      </div>
    </main>
    <div id="sidebar">
      <div class="widget"><div class="widget-content"><ul><li><a href="/archive/">Archive</a></li></ul></div></div>
    </div>
    """
    assert placements(body) == {
        "body link": "content",
        "Our page": "aside",
        "A teaser": "aside",
        "Archive": "aside",
    }


def test_role_navigation() -> None:
    body = f"""
    <div role="navigation" class="breadcrumbs-wrap"><div class="content"><a href="/">Top</a></div></div>
    <div role="main"><p>{PROSE}<a href="https://b.example/">in main</a></p></div>
    """
    assert placements(body) == {"Top": "nav", "in main": "content"}


def test_header_and_footer_inside_article() -> None:
    body = f"""
    <header><a class="logo" href="/">Logo</a><nav><a href="/news/">News desk</a></nav></header>
    <article>
      <header><h1>Headline</h1><p class="byline">By <a href="/staff/jane/">Jane Doe</a></p></header>
      <p>{PROSE}<a href="https://report.example/">the report</a></p>
      <footer><a href="/tag/energy/">energy</a></footer>
    </article>
    <footer><a href="/privacy/">Privacy</a></footer>
    """
    assert placements(body) == {
        "Logo": "header",
        "News desk": "nav",
        "Jane Doe": "content",
        "the report": "content",
        "energy": "footer",
        "Privacy": "footer",
    }


def test_camel_case_ids() -> None:
    body = f"""
    <div id="headerWrap"><a href="/">Home</a></div>
    <div id="mainContent"><ul><li><a href="https://c.example/">listed in content</a></li></ul></div>
    <div id="sideBar"><a href="/ads/">Advertise</a></div>
    <div id="commentList"><p>{PROSE}<a href="https://d.example/">commenter</a></p></div>
    <div id="pageFooter"><a href="/contact/">Contact</a></div>
    """
    assert placements(body) == {
        "Home": "header",
        "listed in content": "content",
        "Advertise": "aside",
        "commenter": "comment",
        "Contact": "footer",
    }


def test_no_semantic_markup_prose_decides() -> None:
    links = " | ".join(f'<a href="/section-{n}/">Section number {n} of the site</a>' for n in range(6))
    body = f"""
    <table><tr><td><a href="/a/">A</a> | <a href="/b/">B</a></td></tr>
    <tr><td>{links}</td></tr>
    <tr><td><p>{PROSE}<a href="https://e.example/">in prose</a></p></td></tr></table>
    """
    found = placements(body)
    assert found.pop("in prose") == "content"
    # A cell of links is long too, but it is links, not prose.
    assert set(found.values()) == {"unknown"}
    assert len(found) == 8


def test_layout_wrapper_named_by_a_sidebar_word_keeps_prose_as_content() -> None:
    # Drupal Panels names the whole two-column layout after its sidebar.
    body = f"""
    <div class="panel-display panel-two-col-sidebar-right">
      <div class="panel-col"><p>{PROSE}<a href="https://f.example/">in the text</a></p></div>
      <div class="panel-col-last"><a href="/more/">More stories</a></div>
    </div>
    """
    assert placements(body) == {"in the text": "content", "More stories": "aside"}

"""Placement: where on a page a link sits (content, nav, header, footer, aside, comment).

The nearest ancestor that says what it is decides: its tag (``<nav>``, ``<aside>``,
``<article>``...), its ARIA role, or the class/id conventions of real sites, themes
and comment systems (``comment-list``, ``disqus_thread``, ``sidebar``, ``site-footer``,
``entry-content``...). Except that a region holds against a content claim inside it:
a comment's ``post-body``, a sidebar's teaser ``<article>`` and a menu's
``dropdown-content`` are not the page's content (see ``enter``). The extraction module
walks the tree top down and memoises a ``Region`` per element; this module judges one
element at a time, given the region around it, so it tests without a parser.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

PLACEMENTS = ("content", "nav", "header", "footer", "aside", "comment", "unknown")

_TAGS = {
    "nav": "nav",
    "header": "header",
    "footer": "footer",
    "aside": "aside",
    "main": "content",
    "article": "content",
    "menu": "nav",
}

# A <header> inside one of these heads it, not the page (HTML-AAM maps only a top-level
# one to the banner landmark). A <footer> inside an article still holds its tags, share
# buttons and related links, not its text, so it stays a footer.
_SCOPED_TAGS = frozenset({"header"})
_SECTIONING_TAGS = frozenset({"article", "aside", "main", "nav", "section"})
_SECTIONING_ROLES = frozenset({"article", "complementary", "main", "navigation", "region"})

_ROLES = {
    "navigation": "nav",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "aside",
    "main": "content",
    "article": "content",
    "comment": "comment",
    "menu": "nav",
    "menubar": "nav",
}

# Words of class/id values, most specific first: a "comment" word beats a "nav" one in
# the same attribute ("comment-nav" is a comment's), and every region word beats a
# content claim ("sidebar-content" is a sidebar's).
_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "comment",
        frozenset(
            [
                "comment",
                "comments",
                "commentlist",
                "commentary",
                "disqus",
                "respond",
                "reply",
                "replies",
                "discussion",
                "discussions",
                "talkback",
                "livefyre",
                "coral",
            ]
        ),
    ),
    (
        "nav",
        frozenset(
            [
                "nav",
                "navbar",
                "navigation",
                "menu",
                "menubar",
                "menus",
                "breadcrumb",
                "breadcrumbs",
                "pagination",
                "pager",
                "topnav",
                "subnav",
                "sitenav",
                "mainnav",
                "skip",
                "skiplink",
                "toc",
                "dropdown",
                "catlinks",
                "categories",
                "tags",
                "taglinks",
                "tagslinks",
                "tagcloud",
            ]
        ),
    ),
    (
        "footer",
        frozenset(["footer", "foot", "colophon", "copyright", "bottombar", "sitefooter"]),
    ),
    (
        "header",
        frozenset(["header", "masthead", "banner", "topbar", "siteheader", "branding"]),
    ),
    (
        "aside",
        frozenset(
            [
                "sidebar",
                "aside",
                "widget",
                "widgets",
                "related",
                "share",
                "sharing",
                "social",
                "sponsor",
                "sponsored",
                "promo",
                "advert",
                "advertisement",
                "ads",
                "blogroll",
                "rail",
                "popular",
                "mostpopular",
                "mostread",
                "trending",
                "recommended",
                "recommendations",
                "recirc",
                "recirculation",
            ]
        ),
    ),
)

# Content claims. The body classes of themes and CMSs (a noun of the page's text joined
# to body/content/text: ``entry-content``, ``post-body``, ``articleBody``, ``c-story-text``
# ...) claim firmly, wherever they sit in a class name.
_BODY_NOUNS = ("article", "story", "post", "entry", "blogpost", "news")
_BODY_WORDS = frozenset(
    [noun + suffix for noun in _BODY_NOUNS for suffix in ("body", "content", "text")]
    + ["bodytext", "richtext", "prose", "markdown", "markdownbody"]
)
# Bare words claim weakly, and only as a whole class or id name: ``modal-content``,
# ``tab-content``, ``dropdown-content`` and ``widget-content`` are the bodies of
# components, ``main-menu`` a menu. A bare ``main`` is a layout wrapper of both columns
# as often as not (``#main`` holds ``#primary`` and ``#secondary`` in WordPress themes).
_CONTENT_NAMES = frozenset(
    [
        "content",
        "maincontent",
        "contentmain",
        "contentarea",
        "pagecontent",
        "sitecontent",
        "article",
        "post",
        "entry",
        "story",
        "hentry",
        "blogpost",
    ]
)
# Any of these words in a region's class or id makes it a layout wrapper that may hold
# the main column too (``content-sidebar-wrap``, ``contentWithSidebar``,
# ``article-with-rail``): it does not hold.
_CONTENT_WORDS = frozenset(["content", "main", "article", "post", "entry", "story", "body"])
# Prefixes that namespace a class rather than name it (BEM/ITCSS ``c-``, ``l-``, ``js-``).
_NAMESPACES = frozenset(["c", "l", "o", "u", "t", "s", "js", "is", "has"])

_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _parts(token: str) -> list[str]:
    return [p for p in _SPLIT.split(_CAMEL.sub("-", token).lower()) if p]


def attribute_words(value: str) -> set[str]:
    """Words of a class or id value: ``site-footer__links`` -> {site, footer, links, sitefooter...}.

    Each class is split on punctuation and camelCase; the joined form of each class and
    of each pair of neighbouring parts is kept too, so ``comment_list`` also yields
    ``commentlist`` and ``post-content-inner`` yields ``postcontent``.
    """
    words: set[str] = set()
    for token in value.split():
        parts = _parts(token)
        words.update(parts)
        words.update(a + b for a, b in pairwise(parts))
        words.add("".join(parts))
    return words


def attribute_names(value: str) -> set[str]:
    """Whole class or id names, joined, without a namespace prefix: ``c-main-content``,
    ``mainContent`` and ``main_content`` all give ``maincontent``."""
    names: set[str] = set()
    for token in value.split():
        parts = _parts(token)
        while len(parts) > 1 and parts[0] in _NAMESPACES:
            del parts[0]
        names.add("".join(parts))
    return names


# How firmly an element's placement holds. A non-content region holds against a
# content claim nearer the link: a FIRM one against any, a SOFT one against a weak
# claim only (and there prose decides). A content claim is FIRM or weak (NONE).
NONE, SOFT, FIRM = 0, 1, 2


def element_placement(
    tag: str, role: str | None, classes: str | None, element_id: str | None, sectioned: bool = False
) -> str | None:
    """The placement an element gives the links inside it, or None when it says nothing.

    ``sectioned`` tells that the element sits inside an ``<article>``, ``<main>``,
    ``<aside>``, ``<nav>`` or ``<section>`` (or their roles): there a ``<header>`` heads
    that section, not the page (as in HTML-AAM, where only a top-level one is a banner
    landmark), so the tag says nothing and its links are of the section around it.
    """
    return judge(tag, role, classes, element_id, sectioned)[0]


# Pages and sites repeat their class names: each distinct element is judged once.
@lru_cache(maxsize=65536)
def judge(
    tag: str, role: str | None, classes: str | None, element_id: str | None, sectioned: bool = False
) -> tuple[str | None, int]:
    """The element's placement (see ``element_placement``) and its strength.

    Regions: tags, roles and comment words are FIRM. Other class/id words are SOFT: a
    layout wrapper may carry them around the main column (Blogger's ``widget Blog``,
    Drupal's ``panel-two-col-sidebar-right``, an off-canvas ``nav-drawer`` panel); one
    that also names content (``content-sidebar-wrap``, ``contentWithSidebar``) is NONE.
    Content claims: ``<main>``, ``role=main`` and the body classes (``entry-content``,
    ``post-body``, ``articleBody``...) are FIRM; ``<article>`` (teaser cards are articles
    too) and the bare names (``content``, ``post``, ``main-content``...) are weak (NONE).
    """
    placement = _TAGS.get(tag)
    if placement is not None and not (sectioned and tag in _SCOPED_TAGS):
        return placement, NONE if tag == "article" else FIRM
    if role:
        # The first role a user agent knows applies: role="main navigation" is main.
        for token in role.lower().split():
            placement = _ROLES.get(token)
            if placement:
                return placement, NONE if token == "article" else FIRM
    if not classes and not element_id:
        return None, NONE
    value = f"{classes or ''} {element_id or ''}"
    words = attribute_words(value)
    for placement, vocabulary in _WORDS:
        if not words.isdisjoint(vocabulary):
            if placement == "comment":
                return placement, FIRM
            return placement, SOFT if words.isdisjoint(_CONTENT_WORDS) else NONE
    if not words.isdisjoint(_BODY_WORDS):
        return "content", FIRM
    if not attribute_names(value).isdisjoint(_CONTENT_NAMES):
        return "content", NONE
    return None, NONE


class Region(NamedTuple):
    """What the ancestors of an element say about the links inside it.

    ``placement``: the decision so far (None: nothing said yet). ``holds``: how firmly
    a non-content placement holds against a content claim nearer the link.
    ``sectioned``: an ancestor is a sectioning element (see ``element_placement``).
    A tuple, so that ``enter``'s cache hashes and compares it in C.
    """

    placement: str | None = None
    holds: int = NONE
    sectioned: bool = False

    @property
    def prose_decides(self) -> bool:
        """Whether a link in a long run of prose here is content: nothing decided, or only
        class words of a SOFT region, which may be a layout wrapper around the main text."""
        return self.placement is None or self.holds == SOFT


TOP = Region()
# The tags that say something by themselves: ``enter`` gives the region around any other
# element without a role, class or id back as it is.
REGION_TAGS = frozenset(_TAGS) | _SECTIONING_TAGS


@lru_cache(maxsize=65536)
def enter(outer: Region, tag: str, role: str | None, classes: str | None, element_id: str | None) -> Region:
    """The region inside an element, given the region around it.

    The nearest element that says what it is decides, with two exceptions. Inside a
    comment, everything is the comment's (WordPress puts the commenter's link in a
    ``<footer class="comment-meta">``). Inside a nav, header, footer or aside region,
    an element that claims content does not make its links content (a widget's
    ``post-content``, a dropdown menu's ``<main>`` link, a teaser ``<article>`` in a
    sidebar), unless the region is SOFT and the claim FIRM.
    """
    roles = (role or "").lower().split()
    sectioned = outer.sectioned or tag in _SECTIONING_TAGS or not _SECTIONING_ROLES.isdisjoint(roles)
    placement, strength = judge(tag, role, classes, element_id, outer.sectioned)
    if (
        placement is None
        or outer.placement == "comment"
        or (placement == "content" and (outer.holds == FIRM or outer.holds > strength))
    ):
        placement, holds = outer.placement, outer.holds
    elif placement == "content":
        holds = NONE
    else:
        # A region inside a held one names the placement; the hold stays.
        holds = max(strength, outer.holds)
    if (placement, holds, sectioned) == (outer.placement, outer.holds, outer.sectioned):
        return outer
    return Region(placement, holds, sectioned)

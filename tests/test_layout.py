"""The C walk of lexbor's tree (``backlink_spider._layout``) against selectolax's own API.

The walk reads lexbor's structs through headers copied from selectolax's sdist
(``third_party/lexbor``): it is right only for the selectolax release they came from, and
only while it reads what selectolax's ``css()``, ``attributes`` and text nodes give (its text
of an element is ``_read``'s here, a reader's: lines break at ``<br>`` and around blocks,
scripts and styles are not read).
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser, LexborNode

from backlink_spider._layout import BLOCKS, SNIPPET_CHARS, Layout
from backlink_spider.anchors import normalise_anchor
from backlink_spider.directives import Rel

ROOT = Path(__file__).resolve().parent.parent


def test_the_installed_selectolax_is_the_one_the_lexbor_headers_came_from() -> None:
    headers = re.search(r"selectolax (\S+)'s sdist", (ROOT / "third_party" / "lexbor" / "README.md").read_text())
    assert headers is not None
    pins = set(re.findall(r'"selectolax==([^"]+)"', (ROOT / "pyproject.toml").read_text()))
    installed = version("selectolax")
    assert pins == {headers[1]}, f"pyproject.toml pins selectolax {pins}, third_party/lexbor has {headers[1]}'s headers"
    assert installed == headers[1], (
        f"selectolax {installed} is installed, but backlink_spider/_layout.pyx is built against the lexbor "
        f"headers of selectolax {headers[1]} (third_party/lexbor), whose structs may be laid out otherwise: "
        f"install selectolax=={headers[1]} (make install), or refresh the headers for {installed} as "
        "third_party/lexbor/README.md says and re-pin it in pyproject.toml"
    )


_TAGS = [
    "a", "area", "p", "li", "td", "table", "div", "nav", "aside", "header", "main", "article", "span", "b",
    "svg", "math", "template", "noscript", "img", "base", "meta", "body", "html", "h1", "pre", "caption", "x-card",
    "title", "desc",
]  # fmt: skip
_ATTRIBUTES = [
    " href=/x", ' href=""', " href", " HREF=/y", " xlink:href=/z", ' href="https://t.example/&amp;a\x00"',
    " rel=nofollow", " rel", " title=' T  t '", " title", " aria-label=L\u2003", " Aria-Label=M", " alt=A",
    " alt", " class=nav", " class=''", " role=navigation", " id=comments", " name=robots", " content=nofollow",
    " data-x=1", " aria-hidden=true", " aria-hidden=false",
]  # fmt: skip
_TEXTS = [
    "x", "words in a sentence", " ", "\t\n", "\xa0", "\u2003", "\x1c", "\x00", "&amp;", "&nbsp;", "&#0;",
    "&lt;b&gt;", "é", "<!-- c -->", "<script>s()</script>", "<style>p{}</style>", "<br>", "y" * 90,
    # Foreign content: namespaced attributes are no plain href, title or class.
    "<svg><a xlink:href=/z xlink:title=T>svg</a><a href=/s class=nav>s</a></svg>",
    "<math><a href=/m xlink:href=/n>m</a></math>",
]  # fmt: skip
_MARKUP = st.lists(
    st.one_of(
        st.builds(lambda tag, attributes: f"<{tag}{''.join(attributes)}>", st.sampled_from(_TAGS),
                  st.lists(st.sampled_from(_ATTRIBUTES), max_size=4)),
        st.sampled_from(_TAGS).map(lambda tag: f"</{tag}>"),
        st.sampled_from(_TEXTS),
    ),
    max_size=50,
)  # fmt: skip


def _hidden(inner: LexborNode, link: LexborNode) -> bool:
    """Whether ``inner`` or an element between it and ``link`` is hidden from screen readers."""
    node: LexborNode | None = inner
    while node is not None and node != link:
        if node.attributes.get("aria-hidden") == "true":
            return True
        node = node.parent
    return False


def _name(element: LexborNode) -> str:
    """What an element inside a link names it by: its aria-label, or an SVG title's text."""
    label = normalise_anchor(element.attributes.get("aria-label") or "")
    return label or (normalise_anchor(_read(element)) if element.tag == "title" else "")


def _label(node: LexborNode) -> tuple[str, str]:
    image = node.css_first("img")
    alt = normalise_anchor(image.attributes.get("alt") or "") if image is not None else ""
    if alt:
        return alt, "image"
    attrs = node.attributes
    inner = [_name(element) for element in node.css("*") if not _hidden(element, node)]
    names = (normalise_anchor(name or "") for name in (attrs.get("aria-label"), *inner, attrs.get("title")))
    label = next((name for name in names if name), "")
    if node.tag == "area":
        return normalise_anchor(attrs.get("alt") or "") or label, "image"
    return label, "image" if image is not None else "text"


# Where a reader's line breaks (``_read``), as ``_layout`` lists them, and what is not read.
_BREAKS = BLOCKS | {
    "br", "hr", "div", "section", "article", "main", "header", "footer", "nav", "aside", "ul", "ol", "dl", "table",
    "tr", "address", "figure", "form", "fieldset", "legend", "details", "summary",
}  # fmt: skip
_HIDDEN = {"script", "style", "title", "desc"}


def _read(node: LexborNode) -> str:
    """The text of ``node`` as a reader sees it, before whitespace is collapsed."""
    parts: list[str] = []
    for child in node.iter(include_text=True):
        if child.is_text_node:
            parts.append(child.text_content or "")
        elif child.tag in _BREAKS:
            parts.append(f" {_read(child)} ")
        elif child.tag not in _HIDDEN and child.tag != "-comment":
            parts.append(_read(child))
    return "".join(parts)


def _block(node: LexborNode) -> LexborNode | None:
    parent = node.parent
    while parent is not None and parent.tag not in ("body", "html", "-document"):
        if parent.tag in BLOCKS:
            return parent
        parent = parent.parent
    return None


@settings(max_examples=400)
@given(_MARKUP)
def test_the_walk_reads_what_selectolax_gives(pieces: list[str]) -> None:
    tree = LexborHTMLParser("".join(pieces))
    nodes = tree.css("a[href], area[href]")
    # Only an HTML <base> rebases links: it is void, serialised without an end tag, where one
    # in SVG or MathML content is not.
    base = next((node for node in tree.css("base[href]") if not (node.html or "").endswith("</base>")), None)
    layout = Layout(tree)
    assert layout.hrefs == [node.attributes.get("href") for node in nodes]
    assert layout.rels == [node.attributes.get("rel") for node in nodes]
    assert layout.base_href == (base.attributes.get("href") if base is not None else None)
    metas = tree.css("meta[name][content]")
    assert layout.metas == [(meta.attributes.get("name"), meta.attributes.get("content")) for meta in metas]
    links = [layout.keep(position, "http://t.example/", "t.example", Rel.parse(None)) for position in range(len(nodes))]
    layout.seal()
    for link, node in zip(links, nodes, strict=True):
        anchor = normalise_anchor(_read(node))
        anchor, link_type = (anchor, "text") if anchor else _label(node)
        assert (link.anchor, link.link_type) == (anchor, link_type)
        block = _block(node)
        text = normalise_anchor(_read(block)) if block is not None else ""
        if len(text or anchor) <= SNIPPET_CHARS:
            assert link.snippet == (text or anchor)
        else:
            assert link.snippet in (text or anchor)
            assert len(link.snippet) <= SNIPPET_CHARS


@pytest.mark.parametrize(
    ("markup", "anchor"),
    [
        ("<strong>Target</strong><br>Analytics for teams", "Target Analytics for teams"),
        ("<h3>Best Widgets</h3><p>Our review of widgets</p>", "Best Widgets Our review of widgets"),
        ("<div>one</div>two<span>three</span>", "one twothree"),
        ("Item<br>Second line", "Item Second line"),
        ("Text<script>var x=1;</script><style>.a{}</style> more", "Text more"),
        ("a<b>b</b><i>c</i>", "abc"),
        ("<ul><li>first</li><li>second</li></ul>", "first second"),
    ],
)
def test_an_anchor_reads_as_its_text_is_shown(markup: str, anchor: str) -> None:
    tree = LexborHTMLParser(f"<div>Before <a href=/x>{markup}</a> after</div>")
    layout = Layout(tree)
    link = layout.keep(0, "http://t.example/x", "t.example", Rel.parse(None))
    layout.seal()
    assert link.anchor == anchor
    assert anchor in link.snippet

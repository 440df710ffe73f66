"""Markup nested deeper than browsers build it is flattened before the parse (``_nesting``):
a small page of deep nesting cannot stall the crawl, and its links are still found."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from backlink_spider._nesting import MAX_ATTRIBUTES, MAX_OPTIONS, MAX_REOPENED, flatten
from backlink_spider.extraction import MAX_NESTING, extract_page, parse_html
from backlink_spider.localweb import LocalWeb, Resource
from tests.conftest import run_crawl
from tests.web import html


def depth(markup: str) -> int:
    """How deep lexbor's tree of ``markup`` goes (iteratively: it may be deep)."""
    deepest = 0
    stack = [(parse_html(markup).root, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        child = node.child
        while child is not None:
            stack.append((child, level + 1))
            child = child.next
    return deepest


@pytest.mark.parametrize(
    "markup",
    [
        html("<div><p>a<p>b</div><ul><li>x<li>y</ul><table><tr><td>c<td>d</table>"),
        # Elements a sibling closes, formatting elements and void ones do not nest: never counted.
        "<body>" + "<li>x" * 2000 + "<p>y" * 2000 + "<b><i>z" * 1000 + "<br><img>" * 1000,
        # Nesting that is closed as it goes stays shallow, however long the page.
        "<body>" + "<div><span>a</span></div>" * 5000,
        # A script, a style sheet or a comment may say anything.
        "<body><script>"
        + "<div>" * 1000
        + "</script><style>"
        + "<div>" * 1000
        + "</style><!--"
        + "<div>" * 1000
        + "-->",
    ],
)
def test_pages_nested_as_browsers_build_them_are_left_alone(markup: str) -> None:
    assert flatten(markup, MAX_NESTING) is markup


def test_elements_beyond_the_limit_are_set_beside_the_deepest_and_keep_their_links() -> None:
    levels = 600
    markup = "<body>" + "".join(f'<div><a href="http://target.com/{n}">t{n}</a>' for n in range(levels))
    markup += "</div>" * levels + '<p><a href="http://target.com/after">after</a></p>'
    flat = flatten(markup, MAX_NESTING)
    assert len(flat) == len(markup)  # tags are blanked, nothing moves
    assert flat.count("<div>") == MAX_NESTING and flat.count("</div>") == MAX_NESTING
    assert MAX_NESTING <= depth(markup) <= MAX_NESTING + 5
    page = extract_page(markup, "http://example.com/")
    assert [link.url for link in page.links] == [f"http://target.com/{n}" for n in range(levels)] + [
        "http://target.com/after"
    ]
    # The paragraph after the nest sits at the top again: the end tags closed what was opened.
    assert page.links[-1].placement == "content" or page.links[-1].snippet == "after"


def test_end_tags_of_elements_never_opened_do_not_hide_the_nesting() -> None:
    # The tree builder ignores an end tag with no open element of its name: so does the count.
    markup = "<body>" + "<section></span></em></li>" * 2000
    assert depth(markup) <= MAX_NESTING + 5


@pytest.mark.parametrize("unit", ["<div>", "<ul><li>", "<table><tr><td>", "<dl><dt>", "<blockquote>x "])
def test_deep_nesting_of_every_shape_is_bounded(unit: str) -> None:
    markup = "<body>" + unit * 20_000 + '<a href="http://target.com/">deep</a>'
    assert depth(markup) <= 4 * MAX_NESTING + 5  # a table nests table, tbody, tr and td
    (link,) = extract_page(markup, "http://example.com/").links
    assert (link.url, link.anchor) == ("http://target.com/", "deep")


def attributes(count: int, start: int = 0) -> str:
    return " ".join(f"a{n}=1" for n in range(start, start + count))


def test_a_start_tag_keeps_its_first_attributes_and_the_rest_are_blanked() -> None:
    # lexbor checks each attribute against those before it: a tag's attributes cost their square.
    markup = f'<body><a href="http://target.com/x" {attributes(5_000)} title="t">x</a><p id="after">after</p>'
    flat = flatten(markup, MAX_NESTING)
    assert len(flat) == len(markup)  # blanked, nothing moves
    tag = parse_html(flat).css_first("a")
    assert tag is not None and len(tag.attributes) == MAX_ATTRIBUTES
    assert tag.attributes["href"] == "http://target.com/x" and f"a{MAX_ATTRIBUTES - 2}" in tag.attributes
    assert "title" not in tag.attributes and parse_html(flat).css_first("#after") is not None
    (link,) = extract_page(markup, "http://example.com/").links
    assert (link.url, link.anchor) == ("http://target.com/x", "x")


@pytest.mark.parametrize(
    "head",
    [
        '<div title="a > b"',  # a ">" in a quoted value does not end the tag
        "<div title='x>y' data-x",
        "<svg><path d=x",
        "<div =odd",  # an attribute name may start with "="
    ],
)
def test_every_way_of_writing_attributes_is_counted(head: str) -> None:
    markup = f"<body>{head} {attributes(3_000)}><a href='http://target.com/in'>in</a></div>"
    tag = parse_html(flatten(markup, MAX_NESTING)).css_first("div, path")
    assert tag is not None and len(tag.attributes) == MAX_ATTRIBUTES
    (link,) = extract_page(markup, "http://example.com/").links
    assert link.url == "http://target.com/in"


@pytest.mark.parametrize(
    "markup",
    [
        # Long values, few attributes: as they are.
        '<body><svg><path d="' + "M0 0 L1 1 " * 20_000 + '"/></svg>',
        "<body><div data-state='" + '{"a": "<b> & >"}, ' * 20_000 + "'>x</div>",
        f"<body><div {attributes(MAX_ATTRIBUTES)}>x</div>",
        # End tags' attributes are dropped by the tokenizer without a check.
        f"<body><div>x</div {attributes(5_000)}>",
    ],
)
def test_tags_of_at_most_the_attributes_kept_are_left_alone(markup: str) -> None:
    assert flatten(markup, MAX_NESTING) is markup


def elements(markup: str, tag: str) -> int:
    return len(parse_html(markup).css(tag))


@pytest.mark.parametrize(
    "markup",
    [
        # 1,000 formatting elements that the end of their paragraph closes, each reopened in every
        # paragraph after it: a million elements of 17 KB.
        "<body><p>" + "".join(f"<b id={n}>" for n in range(1_000)) + "</p>" + "<p>x</p>" * 1_000,
        # Three alike are all the standard keeps (its "Noah's Ark"), yet a million paragraphs reopen them.
        "<body><p><b><b><b></p>" + "<p>x</p>" * 400_000,
    ],
)
def test_formatting_elements_reopened_after_every_block_are_bounded(markup: str) -> None:
    markup += '<p><a href="http://target.com/after">after</a></p>'
    flat = flatten(markup, MAX_NESTING)
    assert len(flat) == len(markup)
    assert elements(flat, "b") <= MAX_REOPENED + 1_000
    (link,) = extract_page(markup, "http://example.com/").links
    assert (link.url, link.anchor) == ("http://target.com/after", "after")


@pytest.mark.parametrize(
    "markup",
    [
        "<body>" + "<p><b>bold</b> <i>and <em>so on</em></i></p>" * 50_000,
        # Left open, but never closed by a block: nothing to reopen.
        "<body><font face=arial><b>" + "<span>x</span>" * 10_000,
        # An <a> left open is closed by the next one: never counted.
        "<body>" + "<p><a href=/x>x" * 50_000,
    ],
)
def test_formatting_that_is_closed_or_stays_open_is_left_alone(markup: str) -> None:
    assert flatten(markup, MAX_NESTING) is markup


@pytest.mark.parametrize("option", ["<option>x</option>", "<option value=v>x"])
def test_a_select_keeps_its_first_options_and_the_rest_are_blanked(option: str) -> None:
    # lexbor's options cost their square in a select (16,000: 0.8 s); a select holds no link.
    markup = f"<body><form><select>{option * 5_000}</select><select>{option * 1_500}</select></form>"
    markup += '<p><a href="http://target.com/after">after</a></p>'
    flat = flatten(markup, MAX_NESTING)
    assert len(flat) == len(markup)
    assert [len(select.css("option")) for select in parse_html(flat).css("select")] == [MAX_OPTIONS, MAX_OPTIONS]
    (link,) = extract_page(markup, "http://example.com/").links
    assert (link.url, link.anchor) == ("http://target.com/after", "after")


@pytest.mark.parametrize(
    "markup",
    [
        f"<body><select>{'<option>x</option>' * MAX_OPTIONS}</select>",
        f"<body><datalist>{'<option>x</option>' * 5_000}</datalist>",
        # An input ends the select: the options after it are in no select.
        f"<body><select><option>a<input>{'<option>x</option>' * 5_000}",
    ],
)
def test_options_of_no_select_or_of_at_most_the_options_kept_are_left_alone(markup: str) -> None:
    assert flatten(markup, MAX_NESTING) is markup


# 200,000 nested <div>, 1.6 KB gzipped: lexbor alone takes minutes over it (100,000: 45 s).
DEEP = html("<div>" * 200_000 + '<a href="http://target.com/deep">deep</a>')
# A tag of 800,000 attributes (8 MB): lexbor alone would take hours.
WIDE = html(f"<div {attributes(800_000)}>" + '<a href="http://target.com/deep">deep</a>')


@pytest.mark.parametrize("bomb", [DEEP, WIDE], ids=["deep", "wide"])
def test_a_small_page_of_hostile_markup_does_not_stall_the_crawl(tmp_path: Path, bomb: str) -> None:
    gzipped = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    sites = {
        "bomb.com": {"/": Resource(gzip.compress(bomb.encode()), headers=gzipped)},
        "good.com": {"/": Resource(html('<p><a href="http://target.com/good">good</a></p>'), delay=1.0)},
    }
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with LocalWeb(sites) as web:
        crawl = run_crawl(
            url, "-a", "target=target.com", "-a", "seeds=http://bomb.com/,http://good.com/",
            proxy=web.proxy_url, timeout=60,
        )  # fmt: skip
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert set(crawl.rows("SELECT source_url, target_url FROM backlinks")) == {
        ("http://bomb.com/", "http://target.com/deep"),
        ("http://good.com/", "http://target.com/good"),
    }


def test_a_link_in_every_level_of_a_nest_gets_its_own_level_s_snippet_and_placement() -> None:
    # Each level's block holds every level below: read naively, placements cost the nest's cube.
    levels = 20_000
    markup = "<body>" + "".join(
        f'<blockquote><a href="http://target.com/{n}">t{n}</a> said {n} ' for n in range(levels)
    )
    links = extract_page(markup, "http://example.com/").links
    assert len(links) == levels
    # The outer levels hold prose (their text and the levels inside, past PROSE characters).
    assert [link.placement for link in links[:400]] == ["content"] * 400
    assert links[0].snippet.startswith("t0 said 0 t1 said 1")
    assert "t1000 said 1000" in links[1000].snippet
    # Past BLOCK_TEXT (64 KB) of its block's text, a link's snippet is the block's start.
    assert links[-1].snippet.startswith("t511 said 511")


@pytest.mark.parametrize("character", ["é", "€", "😀"])
@pytest.mark.parametrize("shift", range(4))
def test_a_snippet_that_reaches_the_cut_of_a_long_block_ends_on_a_whole_character(character: str, shift: int) -> None:
    # The block's text is read up to BLOCK_TEXT (64 KB): the cut may fall inside a character.
    markup = f'<body><p>{"a" * (65_490 + shift)} <a href="http://target.com/x">link</a> {character * 40}</p>'
    [link] = extract_page(markup, "http://example.com/").links
    assert "\ufffd" not in link.snippet
    assert link.snippet.endswith(character * 3)

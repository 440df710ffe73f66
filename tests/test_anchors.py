"""Anchors: whitespace normalisation and the anchor class of each backlink."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlink_spider.anchors import GENERIC_ANCHORS, brand_name, classify_anchor, normalise_anchor

# -- normalise_anchor --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Plausible Analytics", "Plausible Analytics"),
        ("  Plausible   Analytics  ", "Plausible Analytics"),
        ("Plausible\u00a0Analytics", "Plausible Analytics"),
        ("\u00a0\u00a0Read\u00a0\u00a0more\u00a0", "Read more"),
        ("Read\nthe\r\nfull\tstory", "Read the full story"),
        ("\n      Privacy-friendly\n      analytics\n    ", "Privacy-friendly analytics"),
        ("em\u2003space\u2002en\u3000ideographic", "em space en ideographic"),
        ("line\u2028separator", "line separator"),
        ("a\x00b", "ab"),
        ("\x00\x00", ""),
        ("nul\x00 \x00 spaced", "nul spaced"),
        ("\x00 Read more \x00", "Read more"),
        ("", ""),
        ("   \n\t ", ""),
        ("Grüße aus Köln", "Grüße aus Köln"),
        ("東京 の カフェ", "東京 の カフェ"),
    ],
)
def test_normalise_anchor(raw: str, expected: str) -> None:
    assert normalise_anchor(raw) == expected


@pytest.mark.parametrize("raw", ["\ud800abc", "x\udfffy", "broken \ud83d emoji", "\udc00\ud800"])
def test_lone_surrogates_become_valid_utf8(raw: str) -> None:
    result = normalise_anchor(raw)
    # Encodes strictly: no surrogate survives.
    assert result.encode("utf-8").decode("utf-8") == result
    assert not any("\ud800" <= ch <= "\udfff" for ch in result)


def test_lone_surrogate_keeps_the_rest_of_the_text() -> None:
    assert normalise_anchor("x\udfffy\x00 z") == "x?y z"
    assert normalise_anchor("Caf\ud800e  review") == "Caf?e review"


def test_valid_astral_characters_are_kept() -> None:
    assert normalise_anchor("Launch \U0001f680  day") == "Launch \U0001f680 day"


UNSEEN = "\x00\x07\x1b\x7f\x9f\u200b\u2060\ufeff"


@given(
    st.text(
        alphabet=st.sampled_from(
            [*"ab \t\n\r\x0b\x0c\x1c\x1f\x85\xa0", *UNSEEN, "\u2028", "\u3000", "\ud800", "\u200d"]
        )
    )
)
def test_normalise_anchor_collapses_exactly_what_regex_whitespace_matches(raw: str) -> None:
    # normalise_anchor splits with str.split(), which reads whitespace as re's \s does, and drops
    # what shows nothing: control characters, zero-width spaces (not the joiner emoji are made with).
    expected = re.sub(r"\s+", " ", re.sub(f"[{UNSEEN}]", "", raw)).strip()
    assert normalise_anchor(raw) == expected.encode("utf-8", "replace").decode("utf-8")


def test_characters_that_show_nothing_are_dropped_from_an_anchor() -> None:
    assert normalise_anchor("Best\x07 tool\u200bs\ufeff") == "Best tools"
    assert normalise_anchor("family \U0001f468\u200d\U0001f469") == "family \U0001f468\u200d\U0001f469"


@given(st.text())
def test_normalise_anchor_property(raw: str) -> None:
    result = normalise_anchor(raw)
    assert result.encode("utf-8").decode("utf-8") == result  # never raises, even for surrogates
    assert "\x00" not in result
    assert result == result.strip()
    assert "  " not in result
    assert normalise_anchor(result) == result


# -- brand_name --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "brand"),
    [
        ("plausible.io", "plausible"),
        ("bbc.co.uk", "bbc"),
        ("the-brand.com", "the-brand"),
        ("xn--bcher-kva.de", "bücher"),
        ("Example.COM", "example"),
    ],
)
def test_brand_name(domain: str, brand: str) -> None:
    assert brand_name(domain) == brand


# -- classify_anchor ---------------------------------------------------------------------


@pytest.mark.parametrize("anchor", [""])
def test_empty(anchor: str) -> None:
    assert classify_anchor(anchor, "plausible.io") == "empty"


@pytest.mark.parametrize(
    "anchor",
    [
        "https://x.com/y",
        "https://plausible.io/",
        "http://example.com",
        "HTTPS://EXAMPLE.COM/Path?q=1",
        "www.x.com",
        "www.plausible.io/docs",
        "example.com",
        "example.com/path",
        "example.com/",
        "plausible.io",
        "Plausible.io",
        "blog.plausible.io/cookie-banners",
        "news.bbc.co.uk",
        "bücher.de",
        "xn--bcher-kva.de",
    ],
)
def test_url(anchor: str) -> None:
    assert classify_anchor(anchor, "plausible.io") == "url"


@pytest.mark.parametrize(
    ("anchor", "target"),
    [
        # Dotted names that are no host: not naked URLs.
        ("Node.js", "nodejs.org"),
        ("v1.2", "example.com"),
        ("3.5", "example.com"),
        ("e.g.", "example.com"),
    ],
)
def test_dotted_words_that_are_not_hosts_are_not_urls(anchor: str, target: str) -> None:
    assert classify_anchor(anchor, target) != "url"


def test_node_js_names_its_brand() -> None:
    assert classify_anchor("Node.js", "nodejs.org") == "branded"


@pytest.mark.parametrize(
    ("anchor", "target"),
    [
        ("Plausible Analytics", "plausible.io"),
        ("plausible", "plausible.io"),
        ("PLAUSIBLE", "plausible.io"),
        ("Try Plausible today", "plausible.io"),
        ("Plausible's dashboard", "plausible.io"),
        ("Try Plausible.io today", "plausible.io"),
        ("the BBC", "bbc.co.uk"),
        ("GitHub", "github.com"),
        ("Git Hub", "github.com"),
        ("the-brand", "the-brand.com"),
        ("The Brand", "the-brand.com"),
        ("TheBrand", "the-brand.com"),
        ("Bücher Shop", "bücher.de"),
        ("BÜCHER", "xn--bcher-kva.de"),
        ("Box", "box.com"),
    ],
)
def test_branded(anchor: str, target: str) -> None:
    assert classify_anchor(anchor, target) == "branded"


@pytest.mark.parametrize(
    ("anchor", "target"),
    [
        # The brand inside another word is not the brand.
        ("An implausible claim", "plausible.io"),
        ("Dropbox alternatives", "box.com"),
        ("String formatting in Python", "ring.com"),
        ("Start here", "art.com"),
        ("Google Search Console", "go.dev"),
    ],
)
def test_brand_inside_another_word_is_not_branded(anchor: str, target: str) -> None:
    assert classify_anchor(anchor, target) == "other"


KEYWORDS = ("web analytics", "cookie banner")


@pytest.mark.parametrize(
    "anchor",
    ["web analytics", "Web Analytics", "web  analytics!", "Cookie banner", "cookie-banner"],
)
def test_exact(anchor: str) -> None:
    assert classify_anchor(anchor, "plausible.io", KEYWORDS) == "exact"


@pytest.mark.parametrize(
    "anchor",
    [
        "privacy-friendly web analytics tool",
        "Simple web analytics without cookies",
        "how to get rid of the cookie banner",
        "open source analytics",
    ],
)
def test_partial(anchor: str) -> None:
    assert classify_anchor(anchor, "plausible.io", KEYWORDS) == "partial"


@pytest.mark.parametrize(
    ("anchor", "kind"),
    [
        ("track website visitors easily", "partial"),  # 3 of its 3 topical words
        ("website visitors", "partial"),  # 2 of 3
        ("How to track visitors", "partial"),
        ("the docs", "other"),  # only stop words shared
        ("how to cook pasta", "other"),
        ("the website of my uncle", "other"),  # 1 of 3
        ("track", "other"),
        ("Comment suivre les visiteurs", "other"),
    ],
)
def test_partial_takes_half_the_keyword_s_topical_words(anchor: str, kind: str) -> None:
    keywords = ("how to track website visitors", "the best widgets")
    assert classify_anchor(anchor, "example.com", keywords) == kind


def test_keywords_do_not_apply_without_keywords() -> None:
    assert classify_anchor("web analytics", "plausible.io") == "other"


def test_brand_wins_over_keywords() -> None:
    assert classify_anchor("Plausible web analytics", "plausible.io", KEYWORDS) == "branded"


@pytest.mark.parametrize(
    "anchor",
    [
        "click here",
        "Click Here",
        "CLICK HERE!",
        "here",
        "here.",
        "this",
        "this link",
        "read more",
        "Read more »",
        "Read more...",
        "Read more →",
        "Learn more \u203a",
        "learn more",
        "click here >>",
        "website",
        "[link]",
        "(source)",
        "Source:",
        "Continue reading",
        "Download",
        # other languages
        "hier klicken",
        "Weiterlesen",
        "mehr erfahren",
        "en savoir plus",
        "Lire la suite",
        "cliquez ici",
        "leer más",
        "haz clic aquí",
        "saiba mais",
        "leggi tutto",
        "lees meer",
        "подробнее",
        "Читать далее",
        "続きを読む",
        "点击这里",
    ],
)
def test_generic(anchor: str) -> None:
    assert classify_anchor(anchor, "plausible.io") == "generic"


@pytest.mark.parametrize(
    "anchor",
    [
        "A privacy-first alternative to Google Analytics",
        "this excellent write-up on cookie law",
        "Read more about GDPR fines",
        "3.5 million users",
        "...",
        "»",
    ],
)
def test_other(anchor: str) -> None:
    assert classify_anchor(anchor, "plausible.io") == "other"


def test_generic_list_is_clean() -> None:
    assert all(word == word.strip() and word == word.lower() and word for word in GENERIC_ANCHORS)
    assert {"click here", "read more", "learn more", "hier", "ici", "подробнее"} <= GENERIC_ANCHORS


def test_a_brand_that_is_a_generic_word_is_branded() -> None:
    # A link to here.com saying "Here" names the brand.
    assert classify_anchor("Here", "here.com") == "branded"


_CLASSES = {"empty", "url", "branded", "exact", "partial", "generic", "other"}


@given(st.text(max_size=200), st.sampled_from(["plausible.io", "bbc.co.uk", "bücher.de", "x.com"]))
def test_classify_anchor_property_always_a_known_class(anchor: str, target: str) -> None:
    result = classify_anchor(normalise_anchor(anchor), target, KEYWORDS)
    assert result in _CLASSES
    assert (result == "empty") == (normalise_anchor(anchor) == "")


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        ("the team behind Plausible", "branded"),
        ("Plausible Analytics", "branded"),
        ("plausible-analytics", "branded"),
        ("analytics", "other"),
        ("an implausible story", "other"),
    ],
)
def test_a_hyphenated_brand_is_named_by_its_first_word(anchor: str, expected: str) -> None:
    assert classify_anchor(anchor, "plausible-analytics.com") == expected


@pytest.mark.parametrize(
    ("anchor", "target", "expected"),
    [
        ("Acme Widgets", "acme-widgets.com", "branded"),  # the whole label
        ("my site", "my-site.com", "branded"),
        ("Acme", "acme-widgets.com", "other"),  # four letters are mostly a common word:
        ("big data analytics", "data-dog.com", "other"),
        ("news", "news-corp.com", "other"),
        ("Website", "website-builder.com", "generic"),  # a generic anchor is no name
        ("Comment", "comment-box.com", "other"),  # nor a stop word (French "how")
        ("Plausible", "plausible-analytics.com", "branded"),
    ],
)
def test_a_hyphenated_brand_s_first_word_names_it_when_it_is_distinctive(
    anchor: str, target: str, expected: str
) -> None:
    assert classify_anchor(anchor, target) == expected

"""Directives: ``rel`` tokens and flags, and robots ``nofollow`` in meta content and headers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlink_spider.directives import ROBOTS_META_NAMES, Rel, header_canonical, header_says, robots_say

# -- Rel.parse ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tokens"),
    [
        ("nofollow", ("nofollow",)),
        ("NoFollow UGC", ("nofollow", "ugc")),
        ("SPONSORED", ("sponsored",)),
        ("nofollow nofollow  noopener", ("nofollow", "noopener")),
        ("noopener NOOPENER noreferrer", ("noopener", "noreferrer")),
        ("  \t sponsored\nnoreferrer  ", ("sponsored", "noreferrer")),
        ("ugc nofollow", ("ugc", "nofollow")),
        ("ugc,nofollow", ("ugc", "nofollow")),
        ("sponsored, nofollow", ("sponsored", "nofollow")),
        (" ,nofollow,,NoFollow, ", ("nofollow",)),
        ("external nofollow noopener noreferrer", ("external", "nofollow", "noopener", "noreferrer")),
        ("", ()),
        ("   ", ()),
        (None, ()),
    ],
)
def test_rel_parse_tokens(value: str | None, tokens: tuple[str, ...]) -> None:
    rel = Rel.parse(value)
    assert rel.tokens == tokens
    assert rel.text == " ".join(tokens)


def test_rel_text_is_lowercase_space_separated_in_source_order() -> None:
    assert Rel.parse("  UGC\tNoFollow  ugc ").text == "ugc nofollow"


def test_empty_rel_is_empty() -> None:
    assert Rel.parse(None) == Rel()
    assert Rel.parse("") == Rel()
    assert Rel().text == ""


@pytest.mark.parametrize(
    ("value", "nofollow", "ugc", "sponsored"),
    [
        ("nofollow", True, False, False),
        ("ugc", False, True, False),
        ("sponsored", False, False, True),
        ("UGC NOFOLLOW", True, True, False),
        ("sponsored nofollow", True, False, True),
        ("nofollow ugc sponsored", True, True, True),
        ("ugc,nofollow", True, True, False),
        ("sponsored, nofollow", True, False, True),
        ("noopener noreferrer", False, False, False),
        ("nofollowed", False, False, False),
        ("no-follow", False, False, False),
        (None, False, False, False),
    ],
)
def test_rel_flags(value: str | None, nofollow: bool, ugc: bool, sponsored: bool) -> None:
    rel = Rel.parse(value)
    assert (rel.nofollow, rel.ugc, rel.sponsored) == (nofollow, ugc, sponsored)


@pytest.mark.parametrize(
    ("value", "page_nofollow", "dofollow"),
    [
        (None, False, True),
        ("", False, True),
        ("noopener noreferrer", False, True),
        ("external", False, True),
        ("nofollow", False, False),
        ("ugc", False, False),
        ("sponsored", False, False),
        ("NOFOLLOW noopener", False, False),
        (None, True, False),
        ("noopener", True, False),
        ("nofollow", True, False),
    ],
)
def test_dofollow_rules(value: str | None, page_nofollow: bool, dofollow: bool) -> None:
    assert Rel.parse(value).dofollow(page_nofollow) is dofollow


_TOKENS = st.sampled_from(["nofollow", "ugc", "sponsored", "noopener", "noreferrer", "external", "me"])


@given(st.lists(_TOKENS), st.booleans())
def test_dofollow_property(tokens: list[str], page_nofollow: bool) -> None:
    rel = Rel.parse(" ".join(token.upper() if i % 2 else token for i, token in enumerate(tokens)))
    assert set(rel.tokens) == set(tokens)
    assert len(rel.tokens) == len(set(tokens))
    restricted = bool({"nofollow", "ugc", "sponsored"} & set(tokens))
    assert rel.dofollow(page_nofollow) is (not restricted and not page_nofollow)


# -- robots_say -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "nofollow"),
    [
        ("nofollow", True),
        ("NOFOLLOW", True),
        ("NoFollow", True),
        (" nofollow ", True),
        ("none", True),
        ("NONE", True),
        ("noindex, nofollow", True),
        ("noindex,nofollow", True),
        ("noindex;nofollow", True),
        ("max-snippet:-1, nofollow", True),
        ("googlebot: nofollow", True),
        ("index,follow", False),
        ("index, follow, max-image-preview:large", False),
        ("noindex", False),
        ("follow", False),
        ("nofollowing", False),
        ("noimageindex, noarchive", False),
        ("all", False),
        ("", False),
        ("unavailable_after: 25 Jun 2010 15:00:00 PST", False),
    ],
)
def test_robots_say_nofollow(content: str, nofollow: bool) -> None:
    assert robots_say(content, "nofollow") is nofollow


@pytest.mark.parametrize(
    ("content", "noindex"),
    [
        ("noindex", True),
        ("NoIndex, follow", True),
        ("none", True),
        ("googlebot: noindex", True),
        ("max-snippet:-1;noindex", True),
        ("nofollow", False),
        ("index, follow", False),
        ("noimageindex", False),
        ("", False),
    ],
)
def test_robots_say_noindex(content: str, noindex: bool) -> None:
    assert robots_say(content, "noindex") is noindex


# -- header_says -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "nofollow"),
    [
        ([], False),
        (["nofollow"], True),
        (["noindex, nofollow"], True),
        (["none"], True),
        (["noindex"], False),
        (["index, follow"], False),
        (["noindex", "nofollow"], True),
        (["noarchive", "noindex"], False),
        # scoped to a user agent: only ours and the ones we resemble count
        (["googlebot: nofollow"], True),
        (["GoogleBot: NoFollow"], True),
        (["bingbot: none"], True),
        (["robots: nofollow"], True),
        (["backlink_spider: nofollow"], True),
        (["otherbot: nofollow"], False),
        (["otherbot:nofollow"], False),
        (["otherbot: noindex, nofollow"], False),
        (["googlebot-news: nofollow"], False),
        (["googlebot: noindex"], False),
        (["otherbot: nofollow", "noindex"], False),
        (["otherbot: noindex", "nofollow"], True),
        # directives written name: value are no user agents
        (["unavailable_after: 25 Jun 2010 15:00:00 PST"], False),
        (["unavailable_after: 25 Jun 2010 15:00:00 PST, nofollow"], True),
        (["max-snippet: 20, nofollow"], True),
        (["max-image-preview:large, noindex, nofollow"], True),
        (["max-video-preview:-1"], False),
        (["noindex, googlebot: nofollow"], True),
    ],
)
def test_header_says_nofollow(values: list[str], nofollow: bool) -> None:
    assert header_says(values, "nofollow") is nofollow


def test_header_says_accepts_any_iterable() -> None:
    assert header_says((value for value in ["noarchive", "nofollow"]), "nofollow") is True
    assert header_says((), "nofollow") is False


@pytest.mark.parametrize(
    ("values", "noindex"),
    [
        (["noindex"], True),
        (["none"], True),
        (["googlebot: noindex"], True),
        (["otherbot: noindex"], False),
        (["nofollow"], False),
        (["unavailable_after: 25 Jun 2010 15:00:00 PST, noindex"], True),
    ],
)
def test_header_says_noindex(values: list[str], noindex: bool) -> None:
    assert header_says(values, "noindex") is noindex


def test_robots_meta_names() -> None:
    assert {"robots", "googlebot", "bingbot"} <= ROBOTS_META_NAMES


@pytest.mark.parametrize(
    ("values", "canonical"),
    [
        ([], None),
        (['<https://example.com/page>; rel="canonical"'], "https://example.com/page"),
        (["<https://example.com/page>; rel=canonical"], "https://example.com/page"),
        (['<https://example.com/a>; rel="alternate"; hreflang="de", <https://example.com/b>; REL="Canonical"'],
         "https://example.com/b"),
        (['<https://example.com/a>; rel="alternate"', '<https://example.com/c>; rel="canonical"'],
         "https://example.com/c"),
        (['<https://example.com/a>; rel="preload"; as="style"'], None),
        (['<https://example.com/a>; title="canonical"'], None),
    ],
)  # fmt: skip
def test_header_canonical(values: list[str], canonical: str | None) -> None:
    assert header_canonical(values) == canonical

"""Targets: the ``target`` argument to registered domains, and matching link hosts to targets."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from backlink_spider.domains import registered_domain
from backlink_spider.targets import TargetMatcher, parse_target, parse_targets

# -- parse_target: what is accepted ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.com", "example.com"),
        ("www.example.com", "example.com"),
        ("blog.shop.example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("  example.com\t", "example.com"),
        ("https://example.com/page", "example.com"),
        ("http://www.example.com/", "example.com"),
        ("https://example.com:8443/a/b?c=1#top", "example.com"),
        ("example.com:8080", "example.com"),
        ("example.com/path/to/page.html", "example.com"),
        ("//example.com/x", "example.com"),
        ("HTTPS://WWW.EXAMPLE.COM/Pricing", "example.com"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("https://www.bbc.co.uk/news/technology", "bbc.co.uk"),
        ("shop.example.com.au", "example.com.au"),
        ("bücher.de", "bücher.de"),
        ("BÜCHER.DE", "bücher.de"),
        ("xn--bcher-kva.de", "bücher.de"),
        ("www.xn--bcher-kva.de", "bücher.de"),
        ("https://xn--bcher-kva.de/angebote", "bücher.de"),
        ("https://shop.bücher.de/", "bücher.de"),
        ("münchen.de", "münchen.de"),
        ("plausible.io", "plausible.io"),
        # PSL private suffixes count: a github.io site is its own registered domain.
        ("alice.github.io", "alice.github.io"),
    ],
)
def test_parse_target_accepts_domains_hosts_and_urls(value: str, expected: str) -> None:
    assert parse_target(value) == expected


# -- parse_target: what is refused -------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "\t\n",
        "localhost",
        "LOCALHOST",
        "app.localhost",
        "http://localhost:8000/",
        "127.0.0.1",
        "http://127.0.0.1/admin",
        "8.8.8.8",
        "2130706433",
        "0x7f000001",
        "[::1]",
        "http://[::1]:8080/",
        "[2001:4860:4860::8888]",
        "co.uk",
        "com",
        "github.io",
        "example",
        "example.com;rm -rf /",
        "$(id).com",
        "`id`.example.com",
        "example.com|cat /etc/passwd",
        "example.com && reboot",
        "a b",
        "example.com\nevil.com",
        "example.com\x00",
        "http://",
        "https:///path",
    ],
)
def test_parse_target_rejects_what_names_no_registered_domain(value: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_target(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("example..com", "a label is empty"),
        ("-bad-.com", "starts or ends with -"),
        ("www.bad-.example.com", "starts or ends with -"),
        ("a" * 64 + ".com", "too long"),
        ("a_b.com", "a registered domain has no _"),
    ],
)
def test_a_malformed_domain_is_refused_as_one_not_as_a_public_suffix(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{value!r} is not a domain \\(") as raised:
        parse_target(value)
    assert reason in str(raised.value)


def test_labels_that_are_fine_pass() -> None:
    assert parse_target("_dmarc.my-site.example.com.") == "example.com"
    assert parse_target("xn--bcher-kva.de") == "bücher.de"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("localhost", "not a public domain"),
        ("127.0.0.1", "not a public domain"),
        ("[::1]", "not a public domain"),
        ("8.8.8.8", "not a public domain"),
        ("co.uk", "public suffix"),
        ("com", "public suffix"),
        ("example.com;rm -rf /", "not a domain, host or URL"),
        ("$(id).com", "not a domain, host or URL"),
        ("a b", "not a domain, host or URL"),
    ],
)
def test_parse_target_error_messages_say_why(value: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=r".") as raised:
        parse_target(value)
    assert fragment in str(raised.value)
    if value.strip():
        assert repr(value) in str(raised.value)


# -- parse_targets -----------------------------------------------------------------------


def test_parse_targets_single() -> None:
    assert parse_targets("example.com") == ["example.com"]


def test_parse_targets_keeps_order_and_collapses_duplicates() -> None:
    value = "plausible.io, www.example.com,https://Example.com/pricing,bücher.de,xn--bcher-kva.de,news.bbc.co.uk"
    assert parse_targets(value) == ["plausible.io", "example.com", "bücher.de", "bbc.co.uk"]


def test_parse_targets_order_is_the_users_not_sorted() -> None:
    assert parse_targets("zeta.org,alpha.net,middle.com") == ["zeta.org", "alpha.net", "middle.com"]


@pytest.mark.parametrize("value", ["example.com,", ",example.com", "example.com, ,", "example.com,,example.com"])
def test_parse_targets_refuses_an_empty_entry(value: str) -> None:
    """``$A,$B`` with ``B`` unset: crawling ``A`` alone would do less than was asked without a word."""
    with pytest.raises(ValueError, match=r"has an empty entry \(a variable that was not set\?\)"):
        parse_targets(value)


@pytest.mark.parametrize("value", ["", ",", " , ,"])
def test_parse_targets_empty_list_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is empty"):
        parse_targets(value)


def test_parse_targets_one_bad_item_refuses_the_list() -> None:
    with pytest.raises(ValueError, match="localhost"):
        parse_targets("example.com,localhost")
    with pytest.raises(ValueError, match="public suffix"):
        parse_targets("example.com, co.uk")


_LABEL = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)


def _registrable(label: str, suffix: str) -> bool:
    """``label.suffix`` is a registered domain, not a private public suffix (``x0.com``, ``us.com``)."""
    return registered_domain(f"{label}.{suffix}") == f"{label}.{suffix}"


@given(st.lists(_LABEL, min_size=1, max_size=6), st.sampled_from(["com", "org", "net", "co.uk", "de"]))
def test_parse_targets_property_dedup_keeps_first_occurrence(labels: list[str], suffix: str) -> None:
    assume(all(_registrable(label, suffix) for label in labels))
    hosts = [f"www.{label}.{suffix}" for label in labels] + [f"{label}.{suffix}" for label in labels]
    expected = list(dict.fromkeys(f"{label}.{suffix}" for label in labels))
    assert parse_targets(",".join(hosts)) == expected


# -- TargetMatcher -----------------------------------------------------------------------


@pytest.fixture
def matcher() -> TargetMatcher:
    return TargetMatcher(["example.com"])


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "www.example.com",
        "WWW.EXAMPLE.COM",
        "Example.Com",
        "docs.example.com",
        "a.b.c.example.com",
        "example.com.",
    ],
)
def test_matcher_matches_the_domain_and_its_subdomains(matcher: TargetMatcher, host: str) -> None:
    assert matcher.match(host, "blog.org") == "example.com"


@pytest.mark.parametrize(
    "host",
    [
        "example.com.evil.net",
        "www.example.com.evil.net",
        "notexample.com",
        "myexample.com",
        "example-com.net",
        "example.co",
        "example.co.uk",
        "example.org",
        "exampl.com",
        "examples.com",
        "com",
        "",
        "127.0.0.1",
    ],
)
def test_matcher_never_matches_lookalikes(matcher: TargetMatcher, host: str) -> None:
    assert matcher.match(host, "blog.org") is None


@pytest.mark.parametrize("host", ["example.com", "www.example.com", "docs.example.com"])
def test_internal_links_are_not_backlinks(matcher: TargetMatcher, host: str) -> None:
    assert matcher.match(host, "example.com") is None


def test_a_subdomain_of_a_source_that_is_not_the_target_still_counts(matcher: TargetMatcher) -> None:
    # The referring page is on another registered domain; a subdomain of it is still other.
    assert matcher.match("www.example.com", "blog.example.net") == "example.com"


@pytest.mark.parametrize("host", ["bücher.de", "xn--bcher-kva.de", "shop.XN--BCHER-KVA.DE", "www.bücher.de"])
@pytest.mark.parametrize("target", ["bücher.de", "xn--bcher-kva.de"])
def test_matcher_matches_idns_in_either_form(host: str, target: str) -> None:
    matcher = TargetMatcher([target])
    assert matcher.match(host, "blog.org") == "bücher.de"


@pytest.mark.parametrize("host", ["straße.de", "xn--strae-oqa.de", "www.xn--strae-oqa.de", "STRAßE.de"])
@pytest.mark.parametrize(
    "target",
    [
        "straße.de", "xn--strae-oqa.de", "https://xn--strae-oqa.de/",
        # Typed as a browser takes it: an ideographic full stop, full-width letters and punctuation.
        "straße\u3002de", "http://\uff53\uff54\uff52\uff41\u00df\uff45\uff0e\uff44\uff45/",
    ],
)  # fmt: skip
def test_an_idna_2008_name_matches_in_either_form_and_not_its_2003_spelling(host: str, target: str) -> None:
    matcher = TargetMatcher([parse_target(target)])
    assert matcher.match(host, "blog.org") == "straße.de"
    assert matcher.match("strasse.de", "blog.org") is None


@pytest.mark.parametrize("source", ["bücher.de", "xn--bcher-kva.de"])
def test_internal_idn_links_in_either_form(source: str) -> None:
    assert TargetMatcher(["bücher.de"]).match("www.xn--bcher-kva.de", source) is None


def test_matcher_does_not_confuse_idn_with_its_ascii_lookalike() -> None:
    assert TargetMatcher(["bücher.de"]).match("bucher.de", "blog.org") is None
    assert TargetMatcher(["bucher.de"]).match("bücher.de", "blog.org") is None


def test_several_targets_each_link_gets_its_own() -> None:
    matcher = TargetMatcher(parse_targets("example.com, plausible.io, bbc.co.uk"))
    assert matcher.match("www.example.com", "news.org") == "example.com"
    assert matcher.match("plausible.io", "news.org") == "plausible.io"
    assert matcher.match("news.bbc.co.uk", "news.org") == "bbc.co.uk"
    assert matcher.match("bbc.com", "news.org") is None
    # A link between two targets is a backlink of the one linked to.
    assert matcher.match("plausible.io", "example.com") == "plausible.io"
    assert matcher.match("example.com", "example.com") is None


def test_matcher_contains() -> None:
    matcher = TargetMatcher(["example.com", "bücher.de"])
    assert "example.com" in matcher
    assert "EXAMPLE.COM" in matcher
    assert "bücher.de" in matcher
    assert "xn--bcher-kva.de" in matcher
    assert "www.example.com" not in matcher
    assert "example.org" not in matcher


@given(_LABEL, st.lists(_LABEL, max_size=3))
def test_matcher_property_any_subdomain_matches(name: str, subdomains: list[str]) -> None:
    assume(_registrable(name, "com") and _registrable(f"x{name}", "com"))
    matcher = TargetMatcher([f"{name}.com"])
    host = ".".join([*subdomains, name, "com"])
    assert matcher.match(host, "referrer.org") == f"{name}.com"
    assert matcher.match(host.upper(), "referrer.org") == f"{name}.com"
    assert matcher.match(f"{host}.evil.net", "referrer.org") is None
    assert matcher.match(f"x{name}.com", "referrer.org") is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("example.com:abc", "has a port that is not a number from 1 to 65535"),
        ("https://example.com:99999/", "has a port that is not a number from 1 to 65535"),
        ("example.com:0", "has a port that is not a number from 1 to 65535"),
        ("//example.com:x/", "has a port that is not a number from 1 to 65535"),
        ("ftp://example.com", "is not a web address: a target's URL is http:// or https://"),
        ("ws://example.com/feed", "is not a web address"),
    ],
)
def test_a_port_that_is_no_port_or_a_scheme_that_is_not_the_web_is_refused(value: str, fragment: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_targets(f"example.org,{value}")
    assert str(raised.value).startswith(f"{value!r} {fragment}")


@pytest.mark.parametrize(
    "value", ["example.com:8080", "HTTPS://example.com:443/", "user:pw@example.com", "http://user:pw@example.com:81/"]
)
def test_a_real_port_and_credentials_are_accepted_and_dropped(value: str) -> None:
    assert parse_target(value) == "example.com"

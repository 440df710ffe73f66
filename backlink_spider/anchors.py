"""Anchor text: normalisation and the anchor class of a backlink.

Classes (see DESIGN.md): ``empty``, ``url`` (a naked URL or host), ``branded`` (names
the target's brand), ``exact``/``partial`` (equals / contains one of the target's
keywords), ``generic`` ("click here", "read more" ...), and ``other`` for descriptive
text that is none of these.
"""

from __future__ import annotations

import re

from backlink_spider._layout import collapse_whitespace
from backlink_spider.domains import registered_domain, unicode_host

_URLISH = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$|^(?P<host>[\w-]+(?:\.[\w-]+)+)(?:/\S*)?$", re.IGNORECASE)
_PUNCT = re.compile(r"[^\w\s]+")
_SURROGATE = re.compile("[\ud800-\udfff]")

# Anchors that say nothing about the page they point at, in the languages seen most.
GENERIC_ANCHORS = frozenset(
    word.strip()
    for word in [
        "\n    click here",
        "click",
        "here",
        "this",
        "this link",
        "link",
        "link here",
        "read more",
        "more",
        "learn more",
        "see more",
        "\n    find out more",
        "more info",
        "more information",
        "details",
        "website",
        "web site",
        "site",
        "homepage",
        "home page",
        "\n    home",
        "visit",
        "visit site",
        "visit website",
        "go",
        "go to",
        "go here",
        "source",
        "via",
        "page",
        "this page",
        "this site",
        "\n    this article",
        "article",
        "post",
        "the website",
        "official website",
        "continue",
        "continue reading",
        "\n    download",
        "download here",
        "view",
        "view more",
        "open",
        "check it out",
        "check this out",
        "see here",
        "url",
        "\n    hier",
        "hier klicken",
        "mehr",
        "weiterlesen",
        "mehr erfahren",
        "webseite",
        "klicken sie hier",
        "\n    ici",
        "cliquez ici",
        "en savoir plus",
        "lire la suite",
        "plus",
        "site web",
        "\n    aquí",
        "aqui",
        "haga clic aquí",
        "haz clic aquí",
        "leer más",
        "más",
        "más información",
        "sitio web",
        "\n    clique aqui",
        "saiba mais",
        "leia mais",
        "\n    qui",
        "clicca qui",
        "leggi tutto",
        "di più",
        "\n    hier klikken",
        "lees meer",
        "meer",
        "\n    здесь",
        "тут",
        "подробнее",
        "читать далее",
        "сайт",
        "\n    ここ",
        "詳細",
        "続きを読む",
        "这里",
        "点击这里",
        "更多",
        "\n    ",
    ]
    if word.strip()
)


def normalise_anchor(text: str) -> str:
    """Collapse whitespace runs to one space, trim, and drop NULs and lone surrogates."""
    # Whitespace as str.split() and re's \s read it (Py_UNICODE_ISSPACE); isascii() is a
    # flag, no scan.
    text = collapse_whitespace(text)
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "replace").decode("utf-8")


def brand_name(domain: str) -> str:
    """The brand of a registered domain: its first label (``plausible.io`` -> ``plausible``)."""
    return unicode_host(domain).split(".", 1)[0]


def brand_names(domain: str) -> tuple[str, ...]:
    """The ways an anchor may name the brand: the whole label, and for a hyphenated one
    its distinctive first word (``plausible-analytics.com`` -> ``plausible``)."""
    label = brand_name(domain)
    first = label.split("-", 1)[0]
    return (label, first) if first != label and len(first) >= 5 else (label,)


def _words(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def _is_url(lowered: str) -> bool:
    """A URL, or a host (with a path) under a known public suffix: not ``Node.js``, ``v1.2``."""
    found = _URLISH.match(lowered)
    return found is not None and (found["host"] is None or bool(registered_domain(found["host"])))


def _names_brand(words: list[str], brand: str) -> bool:
    """Whether consecutive whole words spell ``brand`` (``GitHub``, ``Git Hub``, ``the-brand``):
    ``Dropbox`` does not name ``box.com``, nor ``implausible`` ``plausible.io``."""
    brand = _words(brand).replace(" ", "")
    if not brand:
        return False
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if joined == brand:
                return True
            if not brand.startswith(joined):
                break
    return False


def classify_anchor(anchor: str, target_domain: str, keywords: tuple[str, ...] = ()) -> str:
    """The anchor class of ``anchor`` for a link to ``target_domain``."""
    if not anchor:
        return "empty"
    lowered = anchor.lower()
    if _is_url(lowered):
        return "url"
    words = _words(anchor)
    if any(_names_brand(words.split(), brand) for brand in brand_names(target_domain)):
        return "branded"
    for keyword in keywords:
        key = _words(keyword)
        if key and words == key:
            return "exact"
    for keyword in keywords:
        key = _words(keyword)
        if key and (f" {key} " in f" {words} " or any(w in words.split() for w in key.split())):
            return "partial"
    if words in GENERIC_ANCHORS or lowered.strip(" .!>»›→") in GENERIC_ANCHORS:  # noqa: RUF001
        return "generic"
    return "other"

"""Anchor text: normalisation and the anchor class of a backlink.

Classes (see DESIGN.md): ``empty``, ``url`` (a naked URL or host), ``branded`` (names
the target's brand), ``exact``/``partial`` (equals / contains one of the target's
keywords, or half its words that are no stop words), ``generic`` ("click here", "read
more" ...), and ``other`` for descriptive text that is none of these.
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


# Words that give a keyword no topic, in the languages above: an anchor that shares only these
# with a keyword ("the docs" and "the best widgets") is no partial match of it.
STOP_WORDS = frozenset(
    " ".join(
        (
            "a an and are as at be best by can do for free from get how i in is it its my new of on or our",
            "the this to top vs what when where which who why will with you your",  # English
            "als auf das dem den der des die ein eine für im in ist mit und von wie zu zum zur",  # German
            "au aux avec comment dans de des du en est et la le les l pour sur un une",  # French
            "como con de del el en es la las lo los para por que un una y",  # Spanish
            "che come con da del della di e gli il la le per un una",  # Italian
            "com da do dos e em na no o os um uma",  # Portuguese
            "de een en het hoe in is met op van voor",  # Dutch
        )
    ).split()
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
    """The ways an anchor may name the brand: the whole label, and for a hyphenated one its
    first word when that is distinctive (``plausible-analytics.com`` -> ``plausible``): five
    letters or more (shorter ones are mostly common words: ``data-dog``, ``blog-xyz``,
    ``news-corp``), and no stop word or generic anchor (``website-builder.com``)."""
    label = brand_name(domain)
    first = label.split("-", 1)[0]
    distinctive = len(first) >= 5 and first not in STOP_WORDS and first not in GENERIC_ANCHORS
    return (label, first) if first != label and distinctive else (label,)


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


def _shares_keyword(words: str, key: str) -> bool:
    """Whether an anchor's ``words`` hold the keyword ``key`` (both from ``_words``), or at least
    half the words of the keyword that are no ``STOP_WORDS`` (``open source analytics`` shares
    ``analytics`` with ``web analytics``; ``the website of my uncle`` shares too little of ``how
    to track website visitors``)."""
    if not key:
        return False
    if f" {key} " in f" {words} ":
        return True
    topical = set(key.split()) - STOP_WORDS
    shared = topical.intersection(words.split())
    return bool(shared) and 2 * len(shared) >= len(topical)


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
    if any(_shares_keyword(words, _words(keyword)) for keyword in keywords):
        return "partial"
    if words in GENERIC_ANCHORS or lowered.strip(" .!>»›→") in GENERIC_ANCHORS:  # noqa: RUF001
        return "generic"
    return "other"

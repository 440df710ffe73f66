"""Registered domains and host names: the one place that knows the public-suffix list.

Uses tldextract with its bundled snapshot (never a download at start-up) and keeps
host names in Unicode, so ``xn--bcher-kva.de`` and ``bücher.de`` are the same domain.
"""

from __future__ import annotations

from contextlib import suppress
from functools import lru_cache

import idna
from tldextract import TLDExtract

# PSL private suffixes count (``alice.github.io`` is its own site, as link indexes treat it).
_extract = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


@lru_cache(maxsize=65536)
def unicode_host(host: str) -> str:
    """``host`` as one spelling: lowercase, without a trailing dot, in Unicode.

    A non-ASCII host is mapped as browsers map one (UTS #46: full-width letters, ``。`` for
    a dot, case; ``ß`` stays ``ß``), and punycode labels are decoded by IDNA 2008, as
    browsers encode them (Python's own codec is IDNA 2003, which knows no ``xn--strae-oqa``
    for ``straße``); a label that is not valid punycode stays as written.
    """
    host = browser_mapped(host.strip()).rstrip(".").lower()
    if "xn--" not in host:
        return host
    return ".".join(_decoded(label) if label.startswith("xn--") else label for label in host.split("."))


def browser_mapped(text: str) -> str:
    """``text`` (a host, or a URL typed by a user) mapped as browsers map what is typed (UTS
    #46): full-width letters and punctuation to ASCII, ``。`` to a dot, case folded; ``ß``
    stays ``ß``. ASCII text, and text it cannot map, is given back as it is."""
    if text.isascii():
        return text
    with suppress(idna.IDNAError):
        return idna.uts46_remap(text, std3_rules=False, transitional=False)
    return text


def _decoded(label: str) -> str:
    try:
        return idna.decode(label)
    except idna.IDNAError:
        pass
    with suppress(UnicodeError):
        return label.encode("ascii").decode("idna")
    return label


@lru_cache(maxsize=65536)
def registered_domain(host: str) -> str:
    """The registered domain of ``host`` (``news.bbc.co.uk`` -> ``bbc.co.uk``), or ``''``.

    ``''`` means the host has no registered domain: an IP address, ``localhost``,
    a bare public suffix.
    """
    return _extract(unicode_host(host)).top_domain_under_public_suffix


@lru_cache(maxsize=65536)
def domain_of(host: str) -> str:
    """The domain ``host`` counts under (budgets, referring domains): its registered domain,
    or the host itself when it has none (an IP address, ``localhost``)."""
    return registered_domain(host) or host


def is_public_suffix(host: str) -> bool:
    """True when ``host`` is itself a public suffix such as ``co.uk``."""
    result = _extract(unicode_host(host))
    return bool(result.suffix) and not result.domain

"""Registered domains and host names: the one place that knows the public-suffix list.

Uses tldextract with its bundled snapshot (never a download at start-up) and keeps
host names in Unicode, so ``xn--bcher-kva.de`` and ``bücher.de`` are the same domain.
"""

from __future__ import annotations

from contextlib import suppress
from functools import lru_cache

from tldextract import TLDExtract

# PSL private suffixes count (``alice.github.io`` is its own site, as link indexes treat it).
_extract = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


@lru_cache(maxsize=65536)
def unicode_host(host: str) -> str:
    """Lowercase ``host``, drop a trailing dot and decode punycode labels to Unicode."""
    host = host.strip().rstrip(".").lower()
    if "xn--" not in host:
        return host
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            # A label that is not valid punycode stays as written.
            with suppress(UnicodeError):
                label = label.encode("ascii").decode("idna")
        labels.append(label)
    return ".".join(labels)


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

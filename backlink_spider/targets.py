"""Targets: turning the ``target`` argument into registered domains, and matching link hosts.

A link is a backlink of a target when its host's registered domain is the target's
(any subdomain, any scheme, ``www.`` or not, IDN in either form) and the referring
page's registered domain is a different one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from backlink_spider.addresses import is_local_name, parse_ip_literal
from backlink_spider.domains import browser_mapped, is_public_suffix, registered_domain, unicode_host


def parse_target(value: str) -> str:
    """Normalise one target (a domain, a host or a URL) to its registered domain.

    Raises ValueError with a message fit for the user when ``value`` names no
    registered domain: empty, ``localhost``, an IP address, a bare public suffix, a URL that is
    not http(s), a port that is no port.
    """
    text = browser_mapped(value.strip())
    if not text:
        raise ValueError("is empty")
    _check_scheme_and_port(text, value)
    if "://" in text or text.startswith("//"):
        host = urlsplit(text if "://" in text else "http:" + text).hostname or ""
    else:
        host = text.split("/", 1)[0].rsplit("@", 1)[-1]
        if not host.startswith("["):
            host = host.split(":", 1)[0]
    if not host or not all(ch.isalnum() or ch in "-._[]:" for ch in host):
        raise ValueError(f"{value!r} is not a domain, host or URL")
    if is_local_name(host) or parse_ip_literal(host) is not None:
        raise ValueError(f"{value!r} is not a public domain (local names and IP addresses have no backlinks)")
    labels = host.removesuffix(".").split(".")
    if any(not label or len(label) > 63 or label[0] == "-" or label[-1] == "-" for label in labels):
        raise ValueError(f"{value!r} is not a domain (a label is empty, too long, or starts or ends with -)")
    if is_public_suffix(host):
        raise ValueError(f"{value!r} is a public suffix, not a registered domain")
    domain = registered_domain(host)
    if not domain:
        raise ValueError(f"{value!r} has no registered domain under a known public suffix")
    if "_" in domain:
        raise ValueError(f"{value!r} is not a domain (a registered domain has no _)")
    return domain


def _check_scheme_and_port(text: str, value: str) -> None:
    """A target is a web site: a URL of another scheme (``ftp://``) or a port that is no port
    (``example.com:abc``) is a mistake, not something to drop in silence. Credentials
    (``user:pw@example.com``) name no other site and are dropped."""
    url = text if "://" in text else "http:" + text if text.startswith("//") else "http://" + text
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError(f"{value!r} is not a domain, host or URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"{value!r} is not a web address: a target's URL is http:// or https://")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError(f"{value!r} has a port that is not a number from 1 to 65535")


def parse_targets(value: str) -> list[str]:
    """Parse a comma-separated list of targets; duplicates collapse, order is kept."""
    parts = comma_separated(value)
    domains: list[str] = []
    for part in parts:
        domain = parse_target(part)
        if domain not in domains:
            domains.append(domain)
    return domains


def comma_separated(value: str) -> list[str]:
    """The stripped entries of a comma-separated argument; ValueError if it is empty or one
    entry is: ``a.com,`` is most often ``$A,$B`` with a variable that was not set, and
    reading it as ``a.com`` alone would crawl less than was asked without a word."""
    parts = [part.strip() for part in value.split(",")]
    if not any(parts):
        raise ValueError("is empty")
    if not all(parts):
        raise ValueError(f"{value!r} has an empty entry (a variable that was not set?)")
    return parts


def parse_one_target(value: str) -> str:
    """``parse_targets`` for the commands that take one target at a time."""
    targets = parse_targets(value)
    if len(targets) > 1:
        raise ValueError("one target at a time")
    return targets[0]


class TargetMatcher:
    """Answers "which target, if any, does a link to this host point at?"."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = frozenset(unicode_host(t) for t in targets)

    def match(self, link_host: str, source_domain: str) -> str | None:
        """The target that ``link_host`` belongs to, unless the link is internal."""
        domain = registered_domain(link_host)
        if domain in self.targets and domain != unicode_host(source_domain):
            return domain
        return None

    def __contains__(self, domain: str) -> bool:
        return unicode_host(domain) in self.targets

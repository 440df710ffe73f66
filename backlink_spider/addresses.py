"""Which network addresses a crawler may fetch: pure checks on IP addresses and host names.

Used by the private-network guard (host literals, before any request) and by the
resolver (the address a name resolves to, at connect time). Knows nothing of Scrapy.
"""

from __future__ import annotations

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
# IPv6 prefixes whose last 32 bits are an IPv4 address the packet reaches: IPv4-compatible
# addresses (deprecated, ``::127.0.0.1``) and NAT64's well-known prefix (RFC 6052), which a
# network with NAT64 translates to that IPv4 address (``64:ff9b::a00:1`` is 10.0.0.1).
_EMBEDDING_IPV4 = (ipaddress.IPv6Network("::/96"), ipaddress.IPv6Network("64:ff9b::/96"))
# NAT64 prefixes for local use (RFC 8215): whatever they reach is the local network's choice.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def parse_ip_literal(host: str) -> IPAddress | None:
    """The IP address written in ``host`` in any notation browsers accept, else None.

    Accepts dotted decimal, short forms (``127.1``), one integer (``2130706433``),
    hex and octal parts (``0x7f000001``, ``0177.0.0.1``) and IPv6 with or without
    brackets (``[::1]``).
    """
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or any(ch not in "0123456789abcdefxABCDEFX." for ch in host):
        return None
    try:
        # inet_aton is the classic BSD parser: the notations a URL host may use.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_public_ip(address: IPAddress) -> bool:
    """True when ``address`` is globally routable: not private, loopback, link-local,
    shared (100.64/10), unspecified, multicast or reserved, also when it is an IPv4
    address inside IPv6 (mapped, 6to4, IPv4-compatible, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and any(address in prefix for prefix in _EMBEDDING_IPV4):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_ip(embedded)
    return address.is_global and not address.is_multicast


def is_local_name(host: str) -> bool:
    """True for ``localhost`` and its relatives, which always mean this machine."""
    host = host.strip().rstrip(".").lower()
    return host in _LOCAL_NAMES or host.endswith(".localhost")


def refusal_reason(host: str) -> str | None:
    """Why a URL host must not be fetched without contacting anything, or None.

    Only the host as written is judged here; names are judged again on the address
    they resolve to.
    """
    if is_local_name(host):
        return f"host {host!r} is this machine"
    address = parse_ip_literal(host)
    if address is not None and not is_public_ip(address):
        return f"address {address} is not public"
    return None

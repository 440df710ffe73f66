"""Addresses: IP literals in every notation a URL host may use, and which hosts are refused."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlink_spider.addresses import is_local_name, is_public_ip, parse_ip_literal, refusal_reason

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address

# -- parse_ip_literal --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", V4("127.0.0.1")),
        ("127.1", V4("127.0.0.1")),
        ("127.0.1", V4("127.0.0.1")),
        ("2130706433", V4("127.0.0.1")),
        ("0x7f000001", V4("127.0.0.1")),
        ("0X7F000001", V4("127.0.0.1")),
        ("0x7f.1", V4("127.0.0.1")),
        ("0177.0.0.1", V4("127.0.0.1")),
        ("0300.0250.0001.0001", V4("192.168.1.1")),
        ("0xc0.0xa8.1.1", V4("192.168.1.1")),
        ("3232235777", V4("192.168.1.1")),
        ("012.0.0.1", V4("10.0.0.1")),
        ("1.2.3", V4("1.2.0.3")),
        ("0.0.0.0", V4("0.0.0.0")),
        ("0", V4("0.0.0.0")),
        ("8.8.8.8", V4("8.8.8.8")),
        ("0xdeadbeef", V4("222.173.190.239")),
        ("127.0.0.1.", V4("127.0.0.1")),
        (" 127.0.0.1 ", V4("127.0.0.1")),
        ("::1", V6("::1")),
        ("[::1]", V6("::1")),
        ("::ffff:127.0.0.1", V6("::ffff:7f00:1")),
        ("[::ffff:127.0.0.1]", V6("::ffff:7f00:1")),
        ("[2001:4860:4860::8888]", V6("2001:4860:4860::8888")),
        ("fe80::1", V6("fe80::1")),
    ],
)
def test_parse_ip_literal_notations(host: str, expected: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    assert parse_ip_literal(host) == expected


@pytest.mark.parametrize(
    "host",
    [
        "face.com",
        "deadbeef",
        "example.com",
        "cafe",
        "abc",
        "a.b.c.d",
        "1e2",
        "0x",
        "",
        "256.1.1.1",
        "1.2.3.4.5",
        "08.0.0.1",
        "4294967296",
        "0x100000000",
        "127.0.0.1.example.com",
        "localhost",
        "[example.com]",
    ],
)
def test_parse_ip_literal_hostnames_and_invalid_give_none(host: str) -> None:
    assert parse_ip_literal(host) is None


# -- refusal_reason ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        # loopback, all of 127/8, in every notation
        "127.0.0.1",
        "127.255.255.254",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        # RFC 1918
        "10.0.0.1",
        "10.255.255.255",
        "012.0.0.1",
        "0x0a000001",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "192.168.255.255",
        "3232235777",
        # link-local, including the cloud metadata address
        "169.254.0.1",
        "169.254.169.254",
        # shared address space (carrier-grade NAT)
        "100.64.0.1",
        "100.127.255.255",
        # "this network"
        "0.0.0.0",
        "0.1.2.3",
        "0",
        # multicast, broadcast, documentation
        "224.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        # IPv6
        "::1",
        "[::1]",
        "::",
        "fc00::1",
        "fd12:3456:789a::1",
        "fe80::1",
        "[fe80::1]",
        "ff02::1",
        "2001:db8::1",
        # IPv4-mapped and 6to4 forms of private addresses
        "::ffff:127.0.0.1",
        "[::ffff:127.0.0.1]",
        "::ffff:10.0.0.1",
        "::ffff:192.168.1.1",
        "2002:7f00:1::",
        "2002:a00:1::",
        # IPv4-compatible and NAT64 forms (a NAT64 network translates 64:ff9b::a00:1 to 10.0.0.1)
        "[::127.0.0.1]",
        "::a9fe:a9fe",
        "[64:ff9b::7f00:1]",
        "64:ff9b::a00:1",
        "64:ff9b::169.254.169.254",
        "64:ff9b:1::808:808",  # the local-use NAT64 prefix: the local network's, whatever it embeds
    ],
)
def test_refuses_non_public_addresses(host: str) -> None:
    reason = refusal_reason(host)
    assert reason is not None
    assert reason.startswith("address ")
    assert reason.endswith(" is not public")


def test_refusal_names_the_parsed_address() -> None:
    assert refusal_reason("2130706433") == "address 127.0.0.1 is not public"
    assert refusal_reason("0x0a000001") == "address 10.0.0.1 is not public"
    assert refusal_reason("[::1]") == "address ::1 is not public"


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST", "localhost.", "app.localhost", "a.b.localhost", "localhost.localdomain", "ip6-loopback"],
)
def test_refuses_local_names(host: str) -> None:
    assert refusal_reason(host) == f"host {host!r} is this machine"
    assert is_local_name(host)


@pytest.mark.parametrize(
    "host",
    [
        "8.8.8.8",
        "1.1.1.1",
        "134744072",  # 8.8.8.8 as one integer
        "0x08080808",
        "172.15.255.255",
        "172.32.0.1",
        "100.63.255.255",
        "100.128.0.1",
        "11.0.0.1",
        "2001:4860:4860::8888",
        "[2001:4860:4860::8888]",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "::8.8.8.8",
        "example.com",
        "face.com",
        "deadbeef",
        "notlocalhost",
        "localhost.example.com",
        "my-localhost.net",
        "bücher.de",
    ],
)
def test_allows_public_addresses_and_names(host: str) -> None:
    assert refusal_reason(host) is None


def test_is_local_name_is_not_fooled_by_lookalikes() -> None:
    assert not is_local_name("localhost.example.com")
    assert not is_local_name("notlocalhost")
    assert not is_local_name("localhostx")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (V4("8.8.8.8"), True),
        (V4("10.1.2.3"), False),
        (V4("100.64.0.1"), False),
        (V4("224.0.0.251"), False),
        (V6("2001:4860:4860::8888"), True),
        (V6("::ffff:8.8.8.8"), True),
        (V6("::ffff:169.254.169.254"), False),
        (V6("ff0e::1"), False),
    ],
)
def test_is_public_ip(address: ipaddress.IPv4Address | ipaddress.IPv6Address, public: bool) -> None:
    assert is_public_ip(address) is public


# -- properties --------------------------------------------------------------------------

_LOOPBACK = st.integers(min_value=int(V4("127.0.0.0")), max_value=int(V4("127.255.255.255")))


@given(_LOOPBACK)
def test_every_loopback_address_as_one_decimal_integer_is_refused(number: int) -> None:
    assert parse_ip_literal(str(number)) == V4(number)
    assert refusal_reason(str(number)) == f"address {V4(number)} is not public"


@given(_LOOPBACK)
def test_every_loopback_address_in_hex_and_mapped_ipv6_is_refused(number: int) -> None:
    assert refusal_reason(hex(number)) is not None
    assert refusal_reason(f"[::ffff:{V4(number)}]") is not None


@given(st.integers(min_value=int(V4("10.0.0.0")), max_value=int(V4("10.255.255.255"))))
def test_every_ten_slash_eight_address_in_dotted_octal_is_refused(number: int) -> None:
    octal = ".".join(f"0{int(part):o}" for part in str(V4(number)).split("."))
    assert parse_ip_literal(octal) == V4(number)
    assert refusal_reason(octal) is not None

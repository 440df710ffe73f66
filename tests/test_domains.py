"""Registered domains come from tldextract's bundled snapshot: never from the network."""

from __future__ import annotations

import importlib
import socket

import pytest

from backlink_spider import domains


def test_registered_domains_never_touch_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network used")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # A fresh module: its extractor loads the suffix list now, under the patch.
    fresh = importlib.reload(domains)
    assert fresh.registered_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert fresh.registered_domain("a.b.example.com.au") == "example.com.au"
    assert fresh.registered_domain("alice.github.io") == "alice.github.io"
    assert attempts == []


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("WWW.Example.COM.", "www.example.com"),
        ("xn--bcher-kva.de", "bücher.de"),
        ("xn--invalid-.de", "xn--invalid-.de"),
        # IDNA 2008, as browsers encode: Python's IDNA 2003 codec cannot decode these.
        ("xn--strae-oqa.de", "straße.de"),
        ("xn--fa-hia.de", "faß.de"),
        # UTS #46 mapping of a non-ASCII host, as browsers map a typed one.
        ("\uff54\uff41\uff52\uff47\uff45\uff54.com", "target.com"),  # full-width "target"
        ("target。com", "target.com"),
        ("STRASSE.de", "strasse.de"),
        ("Straße.DE", "straße.de"),
        # An emoji label: not IDNA 2008, still the IDNA 2003 decoding browsers show.
        ("xn--ls8h.la", "\U0001f4a9.la"),
    ],
)
def test_unicode_host(host: str, expected: str) -> None:
    assert domains.unicode_host(host) == expected


@pytest.mark.parametrize(("host", "expected"), [("localhost", ""), ("127.0.0.1", ""), ("co.uk", "")])
def test_hosts_without_a_registered_domain(host: str, expected: str) -> None:
    assert domains.registered_domain(host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("xn--bcher-kva.de", "bücher.de"),
        ("localhost", "localhost"),
        ("10.0.0.1", "10.0.0.1"),
    ],
)
def test_a_host_counts_under_its_registered_domain_or_itself(host: str, expected: str) -> None:
    assert domains.domain_of(host) == expected

"""The private-network guard end to end: literals refused before any request (proxy or
not), redirects to private addresses refused, names resolving to private addresses
refused at connect time, and all of it allowed by the setting."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError

from backlink_spider.addresses import is_public_ip
from backlink_spider.guard import PrivateNetworkGuard, resolved_refusal
from backlink_spider.localweb import LocalWeb, Resource, redirect
from backlink_spider.resolver import PublicAddressResolver, proxy_hosts
from tests.conftest import run_crawl
from tests.web import html

PRIVATE_LINKS = ("http://127.1/a", "http://2130706433/b", "http://0x7f000001/c", "http://[::1]/d", "http://0.0.0.0/e")


@pytest.fixture
def sneaky_web() -> Iterator[LocalWeb]:
    sites = {
        "sneaky.com": {
            "/": Resource(html("".join(f'<a href="{url}">x</a>' for url in PRIVATE_LINKS) + '<a href="/hop">hop</a>')),
            "/hop": redirect("http://10.0.0.1/admin", 302),
        },
    }
    with LocalWeb(sites) as web:
        yield web


def crawl_stats(database_url: str, crawl: object) -> dict:
    ((stats,),) = crawl.rows("SELECT stats FROM crawls")  # type: ignore[attr-defined]
    return json.loads(stats)


def test_private_literals_and_redirects_are_refused_even_through_a_proxy(sneaky_web: LocalWeb, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    crawl = run_crawl(url, "-a", "target=target.com", "-a", "seeds=http://sneaky.com/", proxy=sneaky_web.proxy_url)
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert sneaky_web.fetched("http://sneaky.com/hop")
    reached = [request for request in sneaky_web.requests if "sneaky.com" not in request]
    assert reached == []
    assert crawl_stats(url, crawl)["backlinks/guard/refused"] == len(PRIVATE_LINKS) + 1


def test_the_setting_lets_private_addresses_through(sneaky_web: LocalWeb, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    crawl = run_crawl(
        url,
        "-a", "target=target.com", "-a", "seeds=http://sneaky.com/",
        proxy=sneaky_web.proxy_url,
        settings={"BACKLINKS_ALLOW_PRIVATE_NETWORKS": "True", "ROBOTSTXT_OBEY": "False"},
    )  # fmt: skip
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert "http://10.0.0.1/admin" in sneaky_web.requests
    assert "backlinks/guard/refused" not in crawl_stats(url, crawl)


def loopback_name() -> str:
    """A host name (not a literal, not 'localhost') that resolves to a non-public address here."""
    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        pytest.skip(f"the host name {name!r} does not resolve")
    if is_public_ip(ipaddress.ip_address(address)):
        pytest.skip(f"the host name {name!r} resolves to a public address")
    return name


@pytest.mark.parametrize("allowed", [False, True])
def test_a_name_resolving_to_a_private_address_is_refused_at_connect_time(tmp_path: Path, allowed: bool) -> None:
    name = loopback_name()
    with LocalWeb({name: {"/": Resource(html("<p>hello</p>"))}}) as web:
        port = web.server.server_address[1]
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        crawl = run_crawl(
            url,
            "-a", "target=target.com", "-a", f"seeds=http://{name}:{port}/",
            settings={"BACKLINKS_ALLOW_PRIVATE_NETWORKS": str(allowed), "ROBOTSTXT_OBEY": "False"},
        )  # fmt: skip
        # Refused, the crawl fetched nothing: a failed crawl.
        assert crawl.process.returncode == (0 if allowed else 1), crawl.process.stderr[-2000:]
        assert web.fetched(f"http://{name}/") is allowed
        if not allowed:
            assert "resolves to non-public address" in crawl.process.stderr


def test_a_host_refused_at_connect_time_is_counted_as_refused_not_as_denied_by_robots_txt(tmp_path: Path) -> None:
    """Without a proxy the first request to a name is for its robots.txt, which the resolver refuses:
    its pages are the network guard's refusals, not pages robots.txt denied (the summary said "3 denied
    by robots.txt (1 host whose robots.txt could not be fetched), 0 refused by the network guard")."""
    name = loopback_name()
    with LocalWeb({name: {"/": Resource(html("<p>hello</p>"))}}) as web:
        port = web.server.server_address[1]
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        seeds = ",".join(f"http://{name}:{port}/{page}" for page in ("a", "b", "c"))
        crawl = run_crawl(url, "-a", "target=target.com", "-a", f"seeds={seeds}")
        assert web.requests == []
    stats = crawl_stats(url, crawl)
    assert stats["backlinks/guard/refused"] == 4  # its robots.txt and its three pages
    assert "robotstxt/forbidden" not in stats and "backlinks/robots/unreachable" not in stats
    assert "0 denied by robots.txt, 4 refused by the network guard" in crawl.process.stderr
    assert f"Refused {name}: resolves to non-public address" in crawl.process.stderr


def test_through_a_proxy_every_name_is_checked_on_what_it_resolves_to_here(tmp_path: Path) -> None:
    """Through a proxy, the resolver only looks up the proxy's name: a name pointing at a private
    address must be refused before the request goes to the proxy, and a direct request to the
    proxy's own name (an https URL with only ``http_proxy`` set) must not ride on its trust."""
    name = loopback_name()
    direct = socket.create_server(("127.0.0.1", 0))
    direct.settimeout(0.2)
    links = f'<a href="http://{name}/admin">a</a><a href="https://{name}:{direct.getsockname()[1]}/secret">s</a>'
    sites = {
        "sneaky.com": {
            "/": Resource(html(links + '<a href="/hop">hop</a>')),
            "/hop": redirect(f"http://{name}/in", 302),
        },
        name: {"/admin": Resource(html("<p>admin</p>")), "/in": Resource(html("<p>in</p>"))},
    }
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with direct, LocalWeb(sites) as web:
        # The proxy itself is named by that name: connecting to it is the operator's choice.
        proxy = web.proxy_url.replace("127.0.0.1", name)
        crawl = run_crawl(
            url, "-a", "target=target.com", "-a", "seeds=http://sneaky.com/", proxy=proxy,
            settings={"BACKLINKS_CHECK_PROXIED_NAMES": "True"},
        )  # fmt: skip
        with pytest.raises(TimeoutError):
            direct.accept()
    assert crawl.process.returncode == 0, crawl.process.stderr[-2000:]
    assert web.fetched("http://sneaky.com/hop")
    assert [request for request in web.requests if name in request] == []
    assert f"{name} resolves to non-public address" in crawl.process.stderr
    assert crawl_stats(url, crawl)["backlinks/guard/refused"] == 3


def test_resolver_refuses_private_answers_and_trusts_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DNSLookupError, match=r"non-public address 10\.1\.2\.3"):
        PublicAddressResolver._refuse_private("10.1.2.3", "intranet.example.com")
    assert PublicAddressResolver._refuse_private("93.184.216.34", "example.com") == "93.184.216.34"
    monkeypatch.setenv("http_proxy", "http://proxy.internal:3128")
    monkeypatch.setenv("https_proxy", "squid.lan:8080")
    assert {"proxy.internal", "squid.lan"} <= proxy_hosts()


def test_a_name_is_judged_by_every_address_it_resolves_to_and_one_held_back_fails_its_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = {
        "public.com": ["93.184.216.34"],
        "metadata.internal": ["169.254.169.254"],
        "mixed.com": ["93.184.216.34", "10.0.0.1"],  # round robin: one private answer is enough
    }

    def getaddrinfo(host: str, *_: object, **__: object) -> list[tuple[object, ...]]:
        if host == "slow.com":
            time.sleep(1.0)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0)) for address in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    async def verdicts() -> list[str | None]:
        hosts = ("public.com", "metadata.internal", "mixed.com", "unknown.com")
        return [await resolved_refusal(host, 0.3) for host in hosts]

    public, metadata, mixed, unknown = asyncio.run(verdicts())
    assert public is None and unknown is None  # a name unknown here is the proxy's to resolve
    assert metadata == "metadata.internal resolves to non-public address 169.254.169.254"
    assert mixed == "mixed.com resolves to non-public address 10.0.0.1"
    with pytest.raises(DNSLookupError, match=r"slow\.com did not resolve within 0\.3 s \(DNS_TIMEOUT\)"):
        asyncio.run(resolved_refusal("slow.com", 0.3))


def test_a_lookup_that_timed_out_fails_that_fetch_only_and_the_host_is_looked_up_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A resolver slow once says nothing of the host: its pages are fetched once it answers (a
    timeout remembered as a refusal dropped every page of the host until the crawl ended)."""
    lookups: list[str] = []

    def getaddrinfo(host: str, *_: object, **__: object) -> list[tuple[object, ...]]:
        lookups.append(host)
        if len(lookups) == 1:
            time.sleep(0.5)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    guard = PrivateNetworkGuard(get_crawler(), proxied=True, check_names=True, cache_size=100, timeout=0.2)

    async def fetch_twice() -> None:
        with pytest.raises(DNSLookupError):  # retried by RetryMiddleware, counted as a failed fetch
            await guard.process_request(Request("http://hub.com/p0"))
        assert await guard.process_request(Request("http://hub.com/p1")) is None
        assert await guard.process_request(Request("http://hub.com/p2")) is None  # remembered now

    asyncio.run(fetch_twice())
    assert lookups == ["hub.com", "hub.com"]

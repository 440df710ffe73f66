"""A small multi-domain web served on loopback, for the offline demo and the tests.

One threaded HTTP server plays every site: it answers as an HTTP proxy, by the host
of the requested URL (or the ``Host`` header), so a crawler pointed at it with
``http_proxy=http://127.0.0.1:PORT`` sees ``http://blog.com/`` and ``http://news.org/``
as separate sites. Plain HTTP only. With ``proxy_auth`` set ("user:password"), it answers only
requests that carry those credentials, as an authenticating proxy does (407 to the others).
"""

from __future__ import annotations

import base64
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Resource:
    """What one URL answers: a body, a status and headers."""

    body: bytes | str = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0
    # A body that never ends: this chunk, sent again and again until the client hangs up.
    endless: bytes = b""

    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


def redirect(location: str, status: int = 301) -> Resource:
    return Resource(b"", status, {"Location": location})


# host -> path (with query) -> resource
Sites = Mapping[str, Mapping[str, Resource]]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A crawler that gives up on a response (size cap, timeout) resets the connection.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalWeb:
    """Serves ``sites`` on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(self, sites: Sites, port: int = 0, proxy_auth: str | None = None) -> None:
        self.sites = sites
        self.requests: list[str] = []
        # The headers of each request, and when it arrived (time.monotonic()), in the order of ``requests``.
        self.headers: list[dict[str, str]] = []
        self.times: list[float] = []
        # The Proxy-Authorization every request must carry, if any; the URLs asked for without it.
        self.proxy_authorization = f"Basic {base64.b64encode(proxy_auth.encode()).decode()}" if proxy_auth else None
        self.unauthorized: list[str] = []
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                web.answer(self)

            def do_HEAD(self) -> None:
                web.answer(self, with_body=False)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, handler: BaseHTTPRequestHandler, with_body: bool = True) -> None:
        if "://" in handler.path:
            parts = urlsplit(handler.path)
            host, path = parts.hostname or "", parts.path or "/"
            if parts.query:
                path = f"{path}?{parts.query}"
        else:
            host, path = (handler.headers.get("Host") or "").split(":", 1)[0].lower(), handler.path
        if self.proxy_authorization and handler.headers.get("Proxy-Authorization") != self.proxy_authorization:
            self.unauthorized.append(f"http://{host}{path}")
            handler.send_response(407)
            handler.send_header("Proxy-Authenticate", 'Basic realm="localweb"')
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        self.requests.append(f"http://{host}{path}")
        self.headers.append(dict(handler.headers.items()))
        self.times.append(time.monotonic())
        site = self.sites.get(host)
        if site is None:
            resource = Resource(f"unknown host {host}", 502, {"Content-Type": "text/plain"})
        else:
            resource = site.get(path) or Resource("not found", 404, {"Content-Type": "text/plain"})
        if resource.delay:
            time.sleep(resource.delay)
        payload = resource.payload()
        handler.send_response(resource.status)
        for name, value in resource.headers.items():
            handler.send_header(name, value)
        if resource.endless:
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.close_connection = True
            self._send_endlessly(handler, resource.endless)
            return
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if with_body:
            handler.wfile.write(payload)

    @staticmethod
    def _send_endlessly(handler: BaseHTTPRequestHandler, chunk: bytes, limit: int = 1 << 30) -> None:
        sent = 0
        try:
            while sent < limit:  # a bound, so a test can never hang on it
                handler.wfile.write(chunk)
                sent += len(chunk)
        except ConnectionError:
            pass

    def fetched(self, url: str) -> bool:
        """True when the crawler asked for ``url``."""
        return url in self.requests

    def __enter__(self) -> LocalWeb:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

"""Opening Common Crawl inputs as byte streams: local files, HTTP(S) URLs, and the path
lists Common Crawl publishes (``wat.paths.gz``: one path a line, relative to its data host).

A stream is read as it arrives, never whole into memory; opening a URL is retried on
the answers Common Crawl gives under load (429, 5xx) and on network errors. What the
files hold is for the callers to know.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.commoncrawl.org/"
USER_AGENT = "backlink_spider/0.1 (+https://github.com/backlink-spider/backlink_spider)"
# Bytes looked at to tell a WARC file from a list of paths.
_SNIFF_BYTES = 65536
_RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_TRIES = 5
_TIMEOUT = 60.0


class SourceError(OSError):
    """An input that cannot be opened or read; the message names it."""


def is_url(location: str) -> bool:
    return urlsplit(location).scheme in ("http", "https")


def join(base: str, path: str) -> str:
    """``path`` of a Common Crawl list resolved against ``base`` (a URL or a local directory);
    URLs and absolute local paths stay as they are."""
    if is_url(path) or os.path.isabs(path):
        return path
    if is_url(base):
        return base.rstrip("/") + "/" + path.lstrip("/")
    return str(Path(base) / path)


def _open_url(url: str, user_agent: str) -> BinaryIO:
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    delay = 1.0
    for attempt in range(1, _TRIES + 1):
        try:
            return urllib.request.urlopen(request, timeout=_TIMEOUT)
        except urllib.error.HTTPError as error:
            if error.code not in _RETRIED_STATUSES or attempt == _TRIES:
                raise SourceError(f"{url}: HTTP {error.code} {error.reason}") from None
            problem = f"HTTP {error.code}"
        except ValueError as error:
            # http.client refuses a URL with a control character or a host it cannot spell.
            raise SourceError(f"{url}: not a URL that can be fetched ({error})") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            if attempt == _TRIES:
                reason = getattr(error, "reason", error)
                raise SourceError(f"{url}: {reason}") from None
            problem = str(getattr(error, "reason", error))
        logger.info("Retrying %s in %.0f s (%s)", url, delay, problem)
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


def open_stream(location: str, user_agent: str = USER_AGENT) -> io.BufferedReader:
    """A buffered binary stream of ``location`` (a local path or an http(s) URL), as stored
    (gzip is not undone here). ``peek`` shows its first bytes without consuming them."""
    if is_url(location):
        response = _open_url(location, user_agent)
        return io.BufferedReader(response, buffer_size=_SNIFF_BYTES)  # type: ignore[arg-type]
    try:
        return open(location, "rb", buffering=_SNIFF_BYTES)
    except OSError as error:
        raise SourceError(f"{location}: {error.strerror or error}") from None


def _head(stream: io.BufferedReader) -> bytes:
    """The first bytes of ``stream``, decompressed if it is gzip, without consuming them."""
    head = stream.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
    if head[:2] == b"\x1f\x8b":
        try:
            return zlib.decompressobj(31).decompress(head, 4096)
        except zlib.error:
            return b""
    return head


def is_warc(stream: io.BufferedReader) -> bool:
    """True when ``stream`` starts like a WARC file (WAT and WET are WARC files too)."""
    return _head(stream).startswith(b"WARC/")


def read_path_list(stream: BinaryIO, base: str) -> list[str]:
    """The paths of a list file (gzip or plain; ``#`` comments and blank lines skipped),
    each resolved against ``base``."""
    data = stream.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    paths = []
    for raw in data.decode("utf-8", errors="replace").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            paths.append(join(base, line))
    return paths


def _kind_by_name(location: str) -> str | None:
    name = urlsplit(location).path.rsplit("/", 1)[-1].lower().removesuffix(".gz")
    if name.endswith((".paths", ".txt")):
        return "list"
    if name.endswith((".warc", ".wat", ".wet")):
        return "warc"
    return None


def _names_warc_file(line: str) -> bool:
    """True when a list's line is a URL or path of a WARC/WAT/WET file: no space or control
    character, and a name such a file has (``*.warc.wat.gz``), as in Common Crawl's lists."""
    return line.isprintable() and not any(char.isspace() for char in line) and _kind_by_name(line) == "warc"


def _list_lines(stream: io.BufferedReader) -> Iterator[tuple[int, str]]:
    """(line number, line) of a list file, gzip or plain, read as it arrives; ``#`` comments
    and blank lines are skipped."""
    raw: BinaryIO = stream
    if stream.peek(2)[:2] == b"\x1f\x8b":
        raw = gzip.GzipFile(fileobj=stream)  # type: ignore[assignment]
    for number, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8", errors="strict"), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield number, line


def read_warc_list(stream: io.BufferedReader, location: str, base: str) -> list[str]:
    """The WARC/WAT/WET files a list names, resolved against ``base``. A list is read whole
    and checked before anything it names is fetched: one that is damaged, not text, empty,
    or has a line that names no such file is refused with a ``SourceError`` naming it."""
    refused = f"{location}: not a WAT file nor a list of WAT paths"
    paths: list[str] = []
    try:
        for number, line in _list_lines(stream):
            if not _names_warc_file(line):
                raise SourceError(f"{refused} (line {number}: {line[:60]!r})")
            paths.append(join(base, line))
    except UnicodeDecodeError:
        raise SourceError(f"{refused} (binary data)") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise SourceError(f"{location}: damaged gzip ({error})") from None
    except OSError as error:
        raise SourceError(f"{location}: {error.strerror or error}") from None
    if not paths:
        raise SourceError(f"{refused} (no path in it)")
    return paths


def expand_inputs(locations: list[str], base: str, user_agent: str = USER_AGENT) -> Iterator[str]:
    """Every WARC/WAT/WET file named by ``locations``: each is such a file, or a list of
    paths (as Common Crawl publishes them), whose entries are resolved against ``base``.
    The name tells which (``*.warc.wat.gz``, ``*.paths.gz``); failing that, the content.
    A list that names no such file raises ``SourceError`` (``read_warc_list``)."""
    for location in locations:
        if _kind_by_name(location) == "warc":
            yield location
            continue
        with open_stream(location, user_agent) as stream:
            if is_warc(stream):
                yield location
                continue
            yield from read_warc_list(stream, location, base)


def expand_graph_inputs(locations: list[str], base: str, user_agent: str = USER_AGENT) -> list[str]:
    """The files of a web-graph part (vertices, edges or ranks): each location is a file
    (local, http(s), or a local glob, which DuckDB expands), a local directory of
    ``*.gz`` part files, or a ``*.paths[.gz]`` list as Common Crawl publishes them."""
    files: list[str] = []
    for location in locations:
        if not is_url(location) and os.path.isdir(location):
            found = sorted(str(path) for path in Path(location).glob("*.gz"))
            if not found:
                raise SourceError(f"{location}: no *.gz file in this directory")
            files.extend(found)
        elif urlsplit(location).path.lower().endswith((".paths", ".paths.gz")):
            with open_stream(location, user_agent) as stream:
                files.extend(read_path_list(stream, base))
        else:
            files.append(location)
    return files

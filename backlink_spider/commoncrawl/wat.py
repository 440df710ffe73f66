"""Reading WAT files: every hyperlink to a target that Common Crawl captured, with the
fields the crawler would have stored for it.

A WAT file is a WARC file of JSON metadata records, one per capture. For an HTML
response, ``HTML-Metadata.Links`` lists every URL of the page with the element and
attribute it came from: ``A@/href`` and ``AREA@/href`` are hyperlinks, ``IMG@/src``,
``SCRIPT@/src``... are embedded resources and never backlinks. Hrefs are resolved like
the crawler resolves them (``extraction.absolute_url``, ``<base href>`` first), anchors
normalised alike (``anchors.normalise_anchor``), and the referring page's URL is the one
Scrapy would request, so a link has the same link key from either path. Records are
read one at a time with warcio; a record that does not even mention a target is not
parsed. Nothing here writes anywhere: ``rows`` and ``candidates`` do.
"""

from __future__ import annotations

import contextlib
import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from w3lib.url import safe_url_string
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from backlink_spider.anchors import normalise_anchor
from backlink_spider.commoncrawl.candidates import CandidateLink
from backlink_spider.commoncrawl.sources import USER_AGENT, SourceError, is_warc, open_stream
from backlink_spider.directives import ROBOTS_META_NAMES, Rel, header_says, robots_say
from backlink_spider.domains import domain_of, unicode_host
from backlink_spider.extraction import absolute_url, request_url
from backlink_spider.targets import TargetMatcher
from backlink_spider.wording import count_of

logger = logging.getLogger(__name__)

HYPERLINK_PATHS = frozenset({"A@/href", "AREA@/href"})
_IMAGE_PATH = "IMG@/src"


@dataclass
class WatStats:
    """What reading WAT files met; added up over files (and over Spark tasks)."""

    files: int = 0
    files_failed: int = 0
    records: int = 0
    # Records that name no target anywhere: not parsed, they cannot link to one.
    skipped: int = 0
    # Records that name a target but are not valid JSON (or not a WAT record's shape).
    malformed: int = 0
    # Captures of HTML pages that were parsed for links.
    html_pages: int = 0
    # Response captures that are not an HTML page with status 2xx (PDFs, redirects, errors).
    not_html: int = 0
    links: int = 0

    def add(self, other: WatStats) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def summary(self) -> str:
        return (
            f"{count_of(self.links, 'link')} to the target in {count_of(self.html_pages, 'HTML page')}; "
            f"{count_of(self.records, 'record')} in {count_of(self.files, 'file')} ({self.files_failed} failed), "
            f"{self.skipped} not naming the target, {self.not_html} not HTML, {self.malformed} malformed"
        )


def _needles(targets: list[str]) -> tuple[bytes, ...]:
    """Byte strings of which a record that links to a target holds at least one: each
    target's name in ASCII (punycode), in UTF-8, and as JSON escapes its Unicode."""
    needles: set[bytes] = set()
    for target in targets:
        name = unicode_host(target)
        needles.add(name.encode("utf-8"))
        needles.add(json.dumps(name)[1:-1].encode("ascii"))
        with contextlib.suppress(UnicodeError):
            needles.add(name.encode("idna"))
    return tuple(needles)


def _capture_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _header_values(headers: Any, name: str) -> list[str]:
    values: list[str] = []
    if isinstance(headers, dict):
        for key, value in headers.items():
            if str(key).lower() == name:
                values.extend(value if isinstance(value, list) else [value])
    return [str(value) for value in values]


def _page_nofollow(head: dict[str, Any], headers: Any) -> bool:
    if header_says(_header_values(headers, "x-robots-tag"), "nofollow"):
        return True
    for meta in head.get("Metas") or ():
        if not isinstance(meta, dict):
            continue
        name = str(meta.get("name") or "").strip().lower()
        if name in ROBOTS_META_NAMES and robots_say(str(meta.get("content") or ""), "nofollow"):
            return True
    return False


def _anchor_and_type(entry: dict[str, Any], previous: dict[str, Any] | None) -> tuple[str, str]:
    """The anchor as ``extraction`` finds it: the link's text; for a link around an image
    (WAT lists the image just before the link that closes around it) the image's alt;
    else the title. An image map's area has no text in WAT: ''."""
    if entry.get("path") == "AREA@/href":
        return "", "image"
    text = normalise_anchor(str(entry.get("text") or ""))
    if text:
        return text, "text"
    if previous is not None and previous.get("path") == _IMAGE_PATH:
        return normalise_anchor(str(previous.get("alt") or "")), "image"
    return normalise_anchor(str(entry.get("title") or "")), "text"


class WatReader:
    """Reads the links to ``targets`` out of WAT records and files."""

    def __init__(self, targets: list[str], user_agent: str = USER_AGENT) -> None:
        self.targets = list(targets)
        self.matcher = TargetMatcher(self.targets)
        self.needles = _needles(self.targets)
        self.user_agent = user_agent
        # What went wrong with the files that could not be read, one line each.
        self.errors: list[str] = []

    def mentions_target(self, payload: bytes) -> bool:
        lowered = payload.lower()
        return any(needle in lowered for needle in self.needles)

    def page_links(self, metadata: dict[str, Any], stats: WatStats) -> list[CandidateLink]:
        """The links to a target of one parsed WAT record (none unless an HTML 2xx response)."""
        envelope = metadata["Envelope"]
        warc = envelope["WARC-Header-Metadata"]
        if warc.get("WARC-Type") != "response":
            return []
        http = (envelope.get("Payload-Metadata") or {}).get("HTTP-Response-Metadata") or {}
        html = http.get("HTML-Metadata")
        status = str((http.get("Response-Message") or {}).get("Status") or "")
        page_url = safe_url_string(str(warc["WARC-Target-URI"]))
        parts = urlsplit(page_url)
        if not isinstance(html, dict) or not status.startswith("2") or parts.scheme not in ("http", "https"):
            stats.not_html += 1
            return []
        stats.html_pages += 1
        captured = _capture_time(str(warc["WARC-Date"]))
        source_host = unicode_host(parts.hostname or "")
        source_domain = domain_of(source_host)
        head = html.get("Head") or {}
        base_url = page_url
        if head.get("Base"):
            base_url = absolute_url(str(head["Base"]), page_url) or page_url
        nofollow = _page_nofollow(head, http.get("Headers"))
        links: list[CandidateLink] = []
        seen: set[tuple[str, str, str]] = set()
        previous: dict[str, Any] | None = None
        for entry in html.get("Links") or ():
            if not isinstance(entry, dict):
                continue
            if entry.get("path") in HYPERLINK_PATHS and entry.get("url"):
                target_url = absolute_url(str(entry["url"]), base_url)
                target = None
                if target_url is not None:
                    target = self.matcher.match(urlsplit(target_url).hostname or "", source_domain)
                if target is not None and target_url is not None:
                    target_url = request_url(target_url)
                    anchor, link_type = _anchor_and_type(entry, previous)
                    rel = Rel.parse(str(entry.get("rel") or "") or None)
                    key = (target_url, anchor, rel.text)
                    if key not in seen:
                        seen.add(key)
                        links.append(
                            CandidateLink(
                                source_url=page_url,
                                target_url=target_url,
                                target_domain=target,
                                anchor_text=anchor,
                                rel=rel.text,
                                link_type=link_type,
                                page_nofollow=nofollow,
                                captured_at=captured,
                            )
                        )
            previous = entry
        stats.links += len(links)
        return links

    def record_links(self, payload: bytes, stats: WatStats) -> list[CandidateLink]:
        """The links to a target of one WAT record's JSON payload; malformed ones are counted."""
        stats.records += 1
        if not self.mentions_target(payload):
            stats.skipped += 1
            return []
        try:
            metadata = json.loads(payload)
            return self.page_links(metadata, stats)
        except (ValueError, KeyError, TypeError, AttributeError):
            stats.malformed += 1
            return []

    def stream_links(self, stream: BinaryIO, stats: WatStats) -> Iterator[CandidateLink]:
        """The links to a target in a WAT stream (gzip members or plain), record by record."""
        for record in ArchiveIterator(stream, no_record_parse=True, arc2warc=True):
            if record.rec_type != "metadata":
                continue
            content_type = (record.rec_headers.get_header("Content-Type") or "").lower()
            if not content_type.startswith("application/json"):
                continue
            yield from self.record_links(record.content_stream().read(), stats)

    def file_links(self, location: str, stats: WatStats) -> Iterator[CandidateLink]:
        """The links to a target in one WAT file (local or http(s)); a file that cannot be
        opened or read is logged and counted, and the ones after it are still read."""
        stats.files += 1
        try:
            with open_stream(location, self.user_agent) as stream:
                if not is_warc(stream):
                    raise SourceError(f"{location}: not a WARC/WAT file")
                yield from self.stream_links(stream, stats)
        except (SourceError, ArchiveLoadFailed, OSError, EOFError, zlib.error) as error:
            stats.files_failed += 1
            message = str(error) if str(error).startswith(location) else f"{location}: {error}"
            self.errors.append(message)
            logger.error("Could not read %s", message)

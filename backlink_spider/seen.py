"""What a long crawl has seen, in about 12 bytes an entry and a bounded memory: counts of
64-bit fingerprints.

A crawl remembers every URL it has queued (so it never queues one twice), how many
variants of each page and how many pages of each registered domain it has queued
(``frontier.py``). In Python sets and dicts of the URLs themselves that costs 150 to 250
bytes a URL, and a crawl's memory grows without end: ten million URLs would hold
gigabytes. ``FingerprintCounter`` keeps 64-bit fingerprints of them instead, recent ones
in a dict and the rest in sorted NumPy arrays (8-byte keys, 4-byte counts), into which the
dict is merged when it reaches a sixteenth of their size (and at least ``buffer``
entries): a lookup is a dict probe or one binary search, and each entry costs 12 bytes
once merged (about 18 on average with the dict). The floor is small (8,192 entries, half a
MiB): a dict entry costs about 70 bytes, and a floor of 65,536 made each counter's dict
swell by 4.7 MiB through a crawl's first 130,000 URLs, memory the process kept after the
merge freed it.

Once the arrays hold ``memory`` entries (``BACKLINKS_SEEN_MEMORY``), they move to a
private temporary SQLite database (``SpilledCounts``: a file in ``SQLITE_TMPDIR`` or
``TMPDIR``, deleted when the crawl's process ends, about 17 bytes an entry on disk, a
page cache of 1 MiB in memory), and fill again: so a counter's memory is bounded whatever
the length of the crawl, as Heritrix keeps its seen-set on disk. A lookup the memory
cannot answer then costs one indexed read (about 2.6 us against 1.4 for the arrays'
binary search).
Two of ten million URLs share a 64-bit fingerprint with a chance of about 3 in a million.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Self

import numpy as np
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.job import job_dir
from scrapy.utils.request import RequestFingerprinterProtocol

logger = logging.getLogger(__name__)

_KEY_MASK = 2**64 - 1
# Entries a counter's arrays hold before they move to disk (BACKLINKS_SEEN_MEMORY's default).
MEMORY = 262_144


def fingerprint(text: str) -> int:
    """A 64-bit fingerprint of ``text`` for this process (Python's SipHash of the string)."""
    return hash(text) & _KEY_MASK


class SpilledCounts:
    """Counts of fingerprints in a private temporary SQLite database on disk. A disk that
    fails it loses nothing the crawl found: a count it cannot read is 0 (a URL may be
    queued twice), and counts it cannot write stay in memory (``FingerprintCounter``)."""

    __slots__ = ("_connection", "entries", "failed")

    def __init__(self) -> None:
        # An empty name is a private on-disk database SQLite deletes when it is closed
        # (or when the process ends); journal and syncs are for files that must survive.
        self._connection = sqlite3.connect("", isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE", "cache_size=-1024"):
            self._connection.execute(f"PRAGMA {pragma}")
        self._connection.execute("CREATE TABLE counts (key INTEGER PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID")
        self.entries = 0
        self.failed = False

    def count(self, key: int) -> int:
        try:
            row = self._connection.execute("SELECT count FROM counts WHERE key = ?", (_signed(key),)).fetchone()
        except sqlite3.Error as error:
            self._failed(error)
            return 0
        return row[0] if row else 0

    def write(self, keys: np.ndarray, counts: np.ndarray, new: int) -> bool:
        """Store these counts (sorted ``keys``, ``new`` of them not stored before), replacing
        any stored; False if the disk failed (some may be stored, with these counts)."""
        rows = zip(keys.view(np.int64).tolist(), counts.tolist(), strict=True)
        try:
            self._connection.execute("BEGIN")
            self._connection.executemany(
                "INSERT INTO counts VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET count = excluded.count", rows
            )
            self._connection.execute("COMMIT")
        except sqlite3.Error as error:
            self._failed(error)
            return False
        self.entries += new
        return True

    def _failed(self, error: sqlite3.Error) -> None:
        if not self.failed:
            self.failed = True
            logger.error("The seen-set's file failed (%s): what it holds no more stays in memory", error)


def _signed(key: int) -> int:
    """``key`` (0 to 2**64 - 1) as SQLite's signed 64-bit integer."""
    return key - 2**64 if key >= 2**63 else key


class FingerprintCounter:
    """Counts of 64-bit fingerprints (ints from 0 to 2**64 - 1), at most about ``memory``
    of them in memory (0: all of them)."""

    __slots__ = ("_buffer", "_counts", "_keys", "_memory", "_recent", "_spilled", "_stored_again")

    def __init__(self, buffer: int = 8192, memory: int = MEMORY) -> None:
        self._buffer = buffer
        self._memory = memory
        self._recent: dict[int, int] = {}
        self._keys = np.empty(0, np.uint64)
        self._counts = np.empty(0, np.uint32)
        self._spilled: SpilledCounts | None = None
        # Keys counted again in memory since they were spilled (in the dict or the arrays).
        self._stored_again = 0

    def __len__(self) -> int:
        spilled = self._spilled.entries - self._stored_again if self._spilled else 0
        return len(self._recent) + len(self._keys) + spilled

    def __contains__(self, key: int) -> bool:
        return self.count(key) > 0

    def count(self, key: int) -> int:
        """How many times ``key`` was added."""
        count = self._recent.get(key)
        if count is not None:
            return count
        at = self._find(key)
        if at >= 0:
            return int(self._counts[at])
        return self._spilled.count(key) if self._spilled else 0

    def add(self, key: int) -> int:
        """Count ``key`` once more; how many times it was added before."""
        recent = self._recent
        count = recent.get(key)
        if count is not None:
            recent[key] = count + 1
            return count
        at = self._find(key)
        if at >= 0:
            count = int(self._counts[at])
            self._counts[at] = count + 1
            return count
        # The count on disk, if any, goes on in memory until the arrays are spilled again.
        count = self._spilled.count(key) if self._spilled else 0
        self._stored_again += count > 0
        recent[key] = count + 1
        if len(recent) >= max(self._buffer, len(self._keys) // 16):
            self._merge()
        return count

    def _find(self, key: int) -> int:
        """The index of ``key`` in the merged arrays, or -1."""
        keys = self._keys
        if not len(keys):
            return -1
        wanted = np.uint64(key)
        at = int(keys.searchsorted(wanted))
        return at if at < len(keys) and keys[at] == wanted else -1

    def _merge(self) -> None:
        recent = self._recent
        keys = np.fromiter(recent.keys(), np.uint64, len(recent))
        counts = np.fromiter(recent.values(), np.uint32, len(recent))
        order = keys.argsort()
        keys, counts = keys[order], counts[order]
        # None of the recent keys is in the arrays: each goes in where searchsorted says.
        at = self._keys.searchsorted(keys)
        self._keys = np.insert(self._keys, at, keys)
        self._counts = np.insert(self._counts, at, counts)
        recent.clear()
        if self._memory and len(self._keys) >= self._memory:
            self._spill()

    def _spill(self) -> None:
        """Move the arrays to disk; keep them, and all to come, in memory if the disk fails."""
        if self._spilled is None:
            self._spilled = SpilledCounts()
        if not self._spilled.write(self._keys, self._counts, new=len(self._keys) - self._stored_again):
            self._memory = 0
            return
        self._stored_again = 0
        self._keys = np.empty(0, np.uint64)
        self._counts = np.empty(0, np.uint32)


class CompactDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter (same fingerprints of canonical URL, method and body),
    holding the first 8 bytes of each in a ``FingerprintCounter`` instead of the whole
    fingerprint in a set (~85 bytes a request). With ``JOBDIR``, whole fingerprints are
    written to Scrapy's ``requests.seen`` as Scrapy writes them, and read from it at start,
    so a job directory resumes across either filter; only memory holds less.
    """

    def __init__(
        self,
        path: str | None = None,
        debug: bool = False,
        *,
        fingerprinter: RequestFingerprinterProtocol | None = None,
        memory: int = MEMORY,
    ) -> None:
        super().__init__(None, debug, fingerprinter=fingerprinter)
        self._compact = FingerprintCounter(memory=memory)
        if path:
            self.file = Path(path, "requests.seen").open("a+b")  # noqa: SIM115 (closed by close(), as Scrapy's)
            self.file.seek(0)
            for seen in _read_fingerprints(self.file):
                self._compact.add(int.from_bytes(seen[:8]))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            job_dir(settings),
            settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
            memory=settings.getint("BACKLINKS_SEEN_MEMORY", MEMORY),
        )

    def request_seen(self, request: Request) -> bool:
        whole = self.fingerprinter.fingerprint(request)
        if self._compact.add(int.from_bytes(whole[:8])):
            return True
        if self.file:
            self.file.write(len(whole).to_bytes(2, "big") + whole)
        return False


def _read_fingerprints(file: BinaryIO, chunk: int = 2**20) -> Iterator[bytes]:
    """The fingerprints of a ``requests.seen`` file (each after its 2-byte big-endian length),
    read a MiB at a time. A last one cut short by an unclean shutdown is cut off the file, so
    that the fingerprints written after it can be read on the next resume."""
    rest = b""
    while block := file.read(chunk):
        data = rest + block
        at = 0
        while at + 2 <= len(data) and at + 2 + (size := int.from_bytes(data[at : at + 2], "big")) <= len(data):
            yield data[at + 2 : at + 2 + size]
            at += 2 + size
        rest = data[at:]
    if rest:
        file.truncate(file.tell() - len(rest))

"""What a long crawl has seen, in about 12 bytes an entry: counts of 64-bit fingerprints.

A crawl remembers every URL it has queued (so it never queues one twice) and how many
variants of each page it has queued (``frontier.py``). In Python sets and dicts of the
URLs themselves that costs 150 to 250 bytes a URL, and a crawl's memory grows without
end: ten million URLs would hold gigabytes. ``FingerprintCounter`` keeps 64-bit
fingerprints of them instead, recent ones in a dict and the rest in sorted NumPy arrays
(8-byte keys, 4-byte counts), into which the dict is merged when it reaches a sixteenth
of their size (and at least ``buffer`` entries): a lookup is a dict probe or one binary
search, and each entry costs 12 bytes once merged (about 18 on average with the dict).
The floor is small (8,192 entries, half a MiB): a dict entry costs about 70 bytes, and a
floor of 65,536 made each counter's dict swell by 4.7 MiB through a crawl's first 130,000
URLs, memory the process kept after the merge freed it.
Two of ten million URLs share a 64-bit fingerprint with a chance of about 3 in a million.
"""

from __future__ import annotations

import numpy as np
from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.request import RequestFingerprinterProtocol

_KEY_MASK = 2**64 - 1


def fingerprint(text: str) -> int:
    """A 64-bit fingerprint of ``text`` for this process (Python's SipHash of the string)."""
    return hash(text) & _KEY_MASK


class FingerprintCounter:
    """Counts of 64-bit fingerprints (ints from 0 to 2**64 - 1)."""

    __slots__ = ("_buffer", "_counts", "_keys", "_recent")

    def __init__(self, buffer: int = 8192) -> None:
        self._buffer = buffer
        self._recent: dict[int, int] = {}
        self._keys = np.empty(0, np.uint64)
        self._counts = np.empty(0, np.uint32)

    def __len__(self) -> int:
        return len(self._recent) + len(self._keys)

    def __contains__(self, key: int) -> bool:
        return self.count(key) > 0

    def count(self, key: int) -> int:
        """How many times ``key`` was added."""
        count = self._recent.get(key)
        if count is not None:
            return count
        at = self._find(key)
        return int(self._counts[at]) if at >= 0 else 0

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
        recent[key] = 1
        if len(recent) >= max(self._buffer, len(self._keys) // 16):
            self._merge()
        return 0

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


class CompactDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter (same fingerprints of canonical URL, method and body),
    holding the first 8 bytes of each in a ``FingerprintCounter`` instead of the whole
    fingerprint in a set (~80 bytes a request). With ``JOBDIR`` it is Scrapy's, file and all.
    """

    def __init__(
        self, path: str | None = None, debug: bool = False, *, fingerprinter: RequestFingerprinterProtocol | None = None
    ) -> None:
        super().__init__(path, debug, fingerprinter=fingerprinter)
        self._compact = FingerprintCounter()

    def request_seen(self, request: Request) -> bool:
        if self.file:
            return super().request_seen(request)
        return self._compact.add(int.from_bytes(self.fingerprinter.fingerprint(request)[:8])) > 0

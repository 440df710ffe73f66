"""Authority: seconds to rank a generated domain graph (``rank_domains``), 1M edges by default.

The graph has preferential attachment (a few domains get most links) and a share of
nofollow edges, generated from a seed with numpy.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from backlink_spider.authority import rank_domains


def graph(edges: int, seed: int = 1) -> list[tuple[str, str, bool]]:
    rng = np.random.default_rng(seed)
    domains = max(1000, edges // 10)
    names = [f"d{i}.example.com" for i in range(domains)]
    sources = rng.integers(0, domains, size=edges)
    targets = np.minimum(rng.zipf(1.6, size=edges) - 1, domains - 1)
    follow = rng.random(edges) > 0.2
    return [(names[s], names[t], bool(f)) for s, t, f in zip(sources, targets, follow, strict=True)]


def run(edges: int = 1_000_000, rounds: int = 2) -> dict[str, Any]:
    data = graph(edges)
    best = float("inf")
    ranked = 0
    for _ in range(rounds):
        started = time.perf_counter()
        ranked = len(rank_domains(data))
        best = min(best, time.perf_counter() - started)
    return {"edges": edges, "domains": ranked, "seconds": round(best, 2), "edges_per_s": round(edges / best)}

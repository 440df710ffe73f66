"""Referring-domain authority: PageRank over the domain link graph, on a 0-100 log scale.

In the spirit of Ahrefs' Domain Rating: a domain counts for another when at least one
of its pages has a followable link to it (many links from one domain count once,
links within a domain are ignored, nofollow/ugc/sponsored links carry no weight);
each domain splits its rank equally over the domains it links to; the rank is
iterated to a fixed point (PageRank, damping 0.85) with sparse linear algebra, then
mapped to 0-100 on a logarithmic scale: 0 for a domain no one links to with a
followable link, 100 for the best-linked domain of the graph. It is only as good as
the part of the web crawled: a domain's authority is relative to the graph at hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

DAMPING = 0.85
TOLERANCE = 1e-10
MAX_ITERATIONS = 200


@dataclass(frozen=True, slots=True)
class DomainRank:
    """A domain's authority and what it came from."""

    authority: float
    pagerank: float
    referring_domains: int  # distinct domains with a followable link to it
    linking_domains: int  # distinct domains with any link to it
    outbound_domains: int  # distinct domains it links to


def rank_domains(edges: Iterable[tuple[str, str, bool]]) -> dict[str, DomainRank]:
    """Rank every domain of a graph given as (source, target, followable) edges.

    Repeated edges and self-links are ignored; an edge is followable when any link
    behind it is.
    """
    followable: dict[tuple[str, str], bool] = {}
    for source, target, follow in edges:
        if source != target:
            followable[source, target] = followable.get((source, target), False) or bool(follow)
    names = sorted({domain for pair in followable for domain in pair})
    if not names:
        return {}
    index = {name: number for number, name in enumerate(names)}
    size = len(names)
    sources = np.fromiter((index[s] for s, _ in followable), dtype=np.int64, count=len(followable))
    targets = np.fromiter((index[t] for _, t in followable), dtype=np.int64, count=len(followable))
    follow = np.fromiter(followable.values(), dtype=bool, count=len(followable))
    pagerank = _pagerank(sources[follow], targets[follow], size)
    authority = _log_scale(pagerank, size)
    referring = np.bincount(targets[follow], minlength=size)
    authority[referring == 0] = 0.0
    linking = np.bincount(targets, minlength=size)
    outbound = np.bincount(sources, minlength=size)
    return {
        name: DomainRank(
            authority=round(float(authority[i]), 1),
            pagerank=float(pagerank[i]),
            referring_domains=int(referring[i]),
            linking_domains=int(linking[i]),
            outbound_domains=int(outbound[i]),
        )
        for i, name in enumerate(names)
    }


def _pagerank(sources: np.ndarray, targets: np.ndarray, size: int) -> np.ndarray:
    # Imported when a graph is ranked, at the end of a crawl: scipy would hold 35 MiB of the
    # crawl's memory from its start.
    from scipy import sparse

    out_degree = np.bincount(sources, minlength=size).astype(float)
    weights = 1.0 / out_degree[sources]
    # transition[t, s]: the share of s's rank that flows to t.
    transition = sparse.csr_matrix((weights, (targets, sources)), shape=(size, size))
    dangling = out_degree == 0
    rank = np.full(size, 1.0 / size)
    for _ in range(MAX_ITERATIONS):
        spread = DAMPING * rank[dangling].sum() / size + (1.0 - DAMPING) / size
        updated = DAMPING * (transition @ rank) + spread
        if np.abs(updated - rank).sum() < TOLERANCE:
            return updated
        rank = updated
    return rank


def _log_scale(pagerank: np.ndarray, size: int) -> np.ndarray:
    """0 at the rank of a domain nobody links to, 100 at the graph's best."""
    floor = (1.0 - DAMPING) / size
    top = pagerank.max()
    if top <= floor * (1 + 1e-9):
        return np.zeros_like(pagerank)
    scaled = 100.0 * np.log(np.maximum(pagerank, floor) / floor) / np.log(top / floor)
    return np.clip(scaled, 0.0, 100.0)

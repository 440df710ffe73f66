"""Link quality: what one backlink is worth, from the parts the seed article names.

A transparent product of four parts, each shown beside the score: the referring
domain's authority (0-100, as a factor from 0.2 to 1.0, so a link from an unranked
domain still counts a little), where the link sits (content counts fully, a comment
least), whether it passes authority (nofollow, ugc and sponsored links count a fifth),
and its anchor (descriptive text counts fully, "click here" or no text less).
"""

from __future__ import annotations

from dataclasses import dataclass

PLACEMENT_WEIGHTS = {
    "content": 1.0,
    "aside": 0.5,
    "header": 0.4,
    "nav": 0.4,
    "footer": 0.3,
    "comment": 0.2,
    "unknown": 0.6,
}
ANCHOR_WEIGHTS = {
    "exact": 1.0,
    "partial": 1.0,
    "branded": 1.0,
    "other": 1.0,
    "url": 0.8,
    "generic": 0.6,
    "empty": 0.5,
}
NOT_FOLLOWED = 0.2


@dataclass(frozen=True, slots=True)
class LinkQuality:
    """The score (0-100) of a backlink and the factors it is the product of."""

    score: float
    authority_factor: float
    placement_factor: float
    follow_factor: float
    anchor_factor: float


def link_quality(authority: float | None, placement: str, dofollow: bool, anchor_class: str) -> LinkQuality:
    authority_factor = 0.2 + 0.8 * max(0.0, min(100.0, authority or 0.0)) / 100.0
    placement_factor = PLACEMENT_WEIGHTS.get(placement, PLACEMENT_WEIGHTS["unknown"])
    follow_factor = 1.0 if dofollow else NOT_FOLLOWED
    anchor_factor = ANCHOR_WEIGHTS.get(anchor_class, 1.0)
    score = 100.0 * authority_factor * placement_factor * follow_factor * anchor_factor
    return LinkQuality(round(score, 1), round(authority_factor, 3), placement_factor, follow_factor, anchor_factor)

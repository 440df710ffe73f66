"""Counts in the sentences users read (summaries, reports): "1 crawl", "3 crawls"."""

from __future__ import annotations


def plural(number: int, noun: str) -> str:
    """``noun`` as it follows ``number``: "crawl" after 1, "crawls" after any other."""
    return noun if number == 1 else f"{noun}s"


def count_of(number: int, noun: str) -> str:
    """``number`` and ``noun``, plural unless one: "1 crawl", "3 crawls"."""
    return f"{number} {plural(number, noun)}"

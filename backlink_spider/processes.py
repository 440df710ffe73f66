"""A process's tree of descendants and their memory, read from Linux's /proc: the browser's
processes, whose memory restarts the browser (``browser.py``), and a benchmark crawl's
processes, whose CPU and memory the benchmark reports (``bench/meter.py``). Where /proc is
missing, a tree is empty and its memory 0."""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import suppress

_PAGE = os.sysconf("SC_PAGE_SIZE")


def stat_fields(pid: int) -> list[bytes]:
    """The fields of ``/proc/<pid>/stat`` after the command's name (the state is the first,
    the parent's pid the second)."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return stat.read().rsplit(b")", 1)[1].split()


def process_tree(root: int) -> dict[int, list[bytes]]:
    """``root`` and all its descendants now, each with its ``stat_fields`` (one read of /proc)."""
    stats: dict[int, list[bytes]] = {}
    children: dict[int, list[int]] = {}
    with suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    fields = stat_fields(int(entry.name))
                    parent = int(fields[1])
                except (OSError, IndexError, ValueError):
                    continue  # gone meanwhile
                stats[int(entry.name)] = fields
                children.setdefault(parent, []).append(int(entry.name))
    tree: dict[int, list[bytes]] = {}
    stack = [root]
    while stack:
        process = stack.pop()
        if process in stats:
            tree[process] = stats[process]
        stack.extend(children.get(process, ()))
    return tree


def memory_bytes(processes: Iterable[int]) -> int:
    """Memory of these processes now: the sum of their proportional set sizes (``Pss``, so
    pages that a browser's processes share are counted once), or resident sizes where the
    kernel reports no ``Pss``."""
    return sum(_process_memory(process) for process in processes)


def _process_memory(pid: int) -> int:
    with suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
        for line in rollup:
            if line.startswith(b"Pss:"):
                return int(line.split()[1]) * 1024
    with suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE
    return 0  # gone meanwhile

"""The process tree and memory read from /proc, against processes started here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress

from backlink_spider.processes import memory_bytes, process_tree, stat_fields


def test_a_tree_holds_the_root_its_children_and_their_children_with_their_stat_fields() -> None:
    script = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(30)'])"
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        tree: dict[int, list[bytes]] = {}
        for _ in range(200):  # until the grandchild has started
            tree = process_tree(child.pid)
            if len(tree) == 2:
                break
            time.sleep(0.02)
        assert set(tree) >= {child.pid} and len(tree) == 2
        grandchild = next(pid for pid in tree if pid != child.pid)
        assert int(tree[grandchild][1]) == child.pid  # its parent
        assert stat_fields(child.pid)[1] == str(os.getpid()).encode()
        assert child.pid not in process_tree(grandchild)
    finally:
        for pid in {*tree, child.pid}:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    child.wait()
    assert process_tree(child.pid) == {}
    # A process gone counts nothing; a live one its memory (the browser's is tested in test_rendering).
    assert memory_bytes([child.pid]) == 0 < memory_bytes([os.getpid()])

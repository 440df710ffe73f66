"""Discovery: at a fixed budget of pages, the referring domains of the target that our
frontier policy finds, against plain breadth-first order, on a synthetic web where every
backlink is at least two domain hops from the seeds (the seeds are the biggest sites, and
only small sites of the long tail link to the target).

The server counts them: the distinct hosts of the fetched pages that carry a link to the
target, the same ground truth for both spiders.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.crawl import run_bare, run_ours
from bench.web import BenchServer, SyntheticWeb, WebSpec

SPEC = WebSpec(seed=2, domains=3000, link_exponent=0.8, linker_share=0.08, target_rate=0.5, far_from=0.2, seeds=5)


def run(pages: int = 600, spec: WebSpec = SPEC) -> dict[str, Any]:
    web = SyntheticWeb(spec)
    seeds = web.seed_urls()
    found: dict[str, int] = {}
    fetched: dict[str, int] = {}
    with BenchServer(spec) as server, tempfile.TemporaryDirectory(prefix="bench-discovery-") as tmp:
        for name in ("backlinks", "breadth_first"):
            server.control("reset")
            workdir = Path(tmp) / name
            if name == "backlinks":
                result = run_ours(server, seeds, pages, workdir)
            else:
                result = run_bare(server, seeds, pages, workdir, "seen_set", settings={"DEPTH_PRIORITY": "1"})
            if result.returncode != 0:
                raise RuntimeError(f"discovery crawl {name} failed: {result.log_tail}")
            counters = server.control()
            found[name] = len(counters["referring_domains"])  # type: ignore[arg-type]
            fetched[name] = result.pages
    return {
        "pages": pages,
        "linker_domains": len(web.linkers),
        "referring_domains": found,
        "pages_fetched": fetched,
        # None when breadth first found none (the table shows that as infinite when we did).
        "ratio": round(found["backlinks"] / found["breadth_first"], 2) if found["breadth_first"] else None,
    }

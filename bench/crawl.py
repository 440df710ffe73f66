"""Crawl throughput: pages/s of ``scrapy crawl backlinks`` (extraction, placement, the
storage pipeline into SQLite, everything) against bare Scrapy spiders on the same
synthetic web, with the same concurrency and politeness settings, in the same run.

Each crawl runs in a subprocess through the benchmark server's proxy; the ``Meter``
extension times it from inside. The rate is taken over the middle 80 % of the pages
(start-up, the first seeds and the close are left out), and runs alternate between
the spiders so that a change in the machine's load hits both.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from backlink_spider import settings as ours
from bench.meter import TreeWatch, cpu_seconds
from bench.web import ROOT, BenchServer, SyntheticWeb, WebSpec, ceiling

# Scrapy's own settings of the project that a bare spider gets too: concurrency,
# politeness, queues, limits. AutoThrottle and the delay are off for every run.
MIRRORED = (
    "USER_AGENT", "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE", "COOKIES_ENABLED", "RETRY_TIMES",
    "REDIRECT_MAX_TIMES", "SCHEDULER_MEMORY_QUEUE", "SCHEDULER_DISK_QUEUE", "TELNETCONSOLE_ENABLED",
    "REMOTE_CONTROL_ENABLED",
)  # fmt: skip
# The bare spiders use Scrapy's plain priority queue, which the project's bounds by its budget.
BARE = {"SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"}
# The synthetic web's names exist only behind its proxy: looking each one up first (what
# BACKLINKS_CHECK_PROXIED_NAMES does through an operator's proxy) would time the resolver.
FAST = {
    "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "INFO",
    "BACKLINKS_CHECK_PROXIED_NAMES": "False",
}  # fmt: skip
TARGET = WebSpec().targets[0]
# Diagnostics: the crawl with Python's own garbage collector settings (what gctuning.py
# saves), and the end of a crawl by its max_pages budget.
PYTHON_GC = {"BACKLINKS_GC_THRESHOLD": "", "BACKLINKS_GC_FREEZE": "False"}
DIAGNOSTIC_PYTHON_GC = "backlinks, Python's gc settings"
DIAGNOSTIC_BUDGET = "backlinks, ended by max_pages"


def crawl_env(proxy: str) -> dict[str, str]:
    """This environment, reaching the web through ``proxy`` only, with ``bench`` importable."""
    env = {
        k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
    }
    for name in ("BACKLINKS_DATABASE_URL", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"):
        env.pop(name, None)
    env["http_proxy"] = proxy
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


class Web(Protocol):
    """What a crawl needs of the web it is pointed at: its proxy, and the process serving it."""

    @property
    def proxy_url(self) -> str: ...

    @property
    def pid(self) -> int: ...


@dataclass
class CrawlRun:
    """One timed crawl: what the Meter saw and what the server spent serving it."""

    name: str
    meter: dict[str, Any]
    wall: float
    server_cpu: float
    cpu: float
    returncode: int
    log_tail: str
    # Peak memory of the crawl's process tree (a browser's processes included).
    peak_tree_memory: int = 0

    @property
    def pages(self) -> int:
        return len(self.meter.get("times", []))

    @property
    def rate(self) -> float:
        """Pages per second over the middle 80 % of the crawl."""
        times = self.meter.get("times", [])
        if len(times) < 10:
            return 0.0
        low, high = int(0.1 * len(times)), int(0.9 * len(times)) - 1
        return (high - low) / (times[high] - times[low])

    @property
    def server_share(self) -> float:
        """Share of one core the server used while the crawl ran."""
        return self.server_cpu / self.wall if self.wall else 0.0

    def summary(self) -> dict[str, Any]:
        rss = self.meter.get("rss", [])
        return {
            "pages": self.pages,
            "pages_per_s": round(self.rate, 1),
            "wall_s": round(self.wall, 1),
            "cpu_s": round(self.cpu, 1),
            "pages_per_cpu_s": round(self.pages / self.cpu, 1) if self.cpu else None,
            "server_cpu_share": round(self.server_share, 2),
            "worst_stall_ms": self.meter.get("worst_stall_ms"),
            "p99_stall_ms": self.meter.get("p99_stall_ms"),
            "peak_rss_mib": round(self.meter.get("peak_rss", 0) / 2**20, 1),
            "peak_tree_memory_mib": round(self.peak_tree_memory / 2**20, 1),
            "rss_first_mib": round(rss[1][1] / 2**20, 1) if len(rss) > 1 else None,
            "rss_last_mib": round(rss[-1][1] / 2**20, 1) if rss else None,
            "gc_s": round(sum(self.meter.get("gc_seconds", [])), 2),
            "gc_collections": self.meter.get("gc_collections"),
            "returncode": self.returncode,
        }


def run_watched(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int, str, TreeWatch]:
    """Run a crawl's ``command`` under a ``TreeWatch``: its exit code, its stderr and the watch."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeWatch(process.pid) as watch:
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    return process.returncode, stderr, watch


def _run(name: str, command: list[str], cwd: Path, server: Web, meter_path: Path, timeout: float) -> CrawlRun:
    before = cpu_seconds(server.pid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    returncode, stderr, watch = run_watched(command, cwd, crawl_env(server.proxy_url), timeout)
    wall = time.perf_counter() - started
    server_cpu = cpu_seconds(server.pid) - before
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    meter = json.loads(meter_path.read_text()) if meter_path.exists() else {}
    return CrawlRun(name, meter, wall, server_cpu, cpu, returncode, stderr[-8000:], watch.peak)


def _settings(values: dict[str, str]) -> list[str]:
    arguments: list[str] = []
    for name, value in values.items():
        arguments += ["-s", f"{name}={value}"]
    return arguments


def meter_settings(
    meter_path: Path, stop_at: int = 0, rss_every: int = 100, extensions: dict[str, int] | None = None
) -> dict[str, str]:
    """The Meter's settings; ``extensions`` are the crawl's own, which the Meter joins."""
    return {
        "EXTENSIONS": json.dumps({**(extensions or {}), "bench.meter.Meter": 0}),
        "BENCH_METER_PATH": str(meter_path),
        "BENCH_STOP_AT": str(stop_at),
        "BENCH_RSS_EVERY": str(rss_every),
    }


def run_ours(
    server: Web,
    seeds: list[str],
    pages: int,
    workdir: Path,
    name: str = "backlinks",
    arguments: tuple[str, ...] = (),
    settings: dict[str, str] | None = None,
    rss_every: int = 100,
    timeout: float = 900,
    budget: bool = False,
) -> CrawlRun:
    """``scrapy crawl backlinks`` with its defaults (AutoThrottle and the delay off), into SQLite."""
    workdir.mkdir(parents=True, exist_ok=True)
    meter_path = workdir / "meter.json"
    # Stopped by the meter at ``pages``, as the bare spiders are, unless ``budget``: then by
    # the spider's own max_pages, which drops what is still queued one request at a time.
    values = {
        **FAST,
        "BACKLINKS_DATABASE_URL": f"sqlite:///{workdir / 'backlinks.sqlite3'}",
        **meter_settings(meter_path, stop_at=0 if budget else pages, rss_every=rss_every, extensions=ours.EXTENSIONS),
        **(settings or {}),
    }
    max_pages = pages if budget else 10 * pages
    command = [
        sys.executable, "-m", "scrapy", "crawl", "backlinks",
        "-a", f"target={TARGET}", "-a", f"seeds={','.join(seeds)}", "-a", f"max_pages={max_pages}",
        *arguments, *_settings(values),
    ]  # fmt: skip
    return _run(name, command, ROOT, server, meter_path, timeout)


def run_bare(
    server: BenchServer,
    seeds: list[str],
    pages: int,
    workdir: Path,
    mode: str = "follow_all",
    settings: dict[str, str] | None = None,
    rss_every: int = 100,
    timeout: float = 900,
) -> CrawlRun:
    """A bare spider of ``bench/bare.py`` outside the project, with the project's Scrapy settings."""
    workdir.mkdir(parents=True, exist_ok=True)
    meter_path = workdir / "meter.json"
    values = {name: str(getattr(ours, name)) for name in MIRRORED}
    values.update(BARE)
    values.update(FAST)
    values.update(meter_settings(meter_path, stop_at=pages, rss_every=rss_every))
    values.update(settings or {})
    command = [
        sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare.py"),
        "-a", f"seeds={','.join(seeds)}", "-a", f"mode={mode}", *_settings(values),
    ]  # fmt: skip
    return _run(f"bare {mode}", command, workdir, server, meter_path, timeout)


def run(pages: int = 500, rounds: int = 2, spec: WebSpec | None = None, diagnostics: bool = True) -> dict[str, Any]:
    spec = spec or WebSpec()
    web = SyntheticWeb(spec)
    seeds = web.seed_urls()
    runs: dict[str, list[CrawlRun]] = {}
    with BenchServer(spec) as server, tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        sample = [web.url(d, p % web.sizes[d]) for d, p in zip(range(0, spec.domains, 3), range(10**6), strict=False)]
        server_ceiling = {
            "cold": ceiling(server.port, sample[:1500], seconds=1.5),
            "warm": ceiling(server.port, sample[:300], seconds=1.5),
        }
        plan = ["backlinks", "bare follow_all"] * rounds + ["bare seen_set"]
        if diagnostics:
            plan += [DIAGNOSTIC_PYTHON_GC, DIAGNOSTIC_BUDGET]
        for number, name in enumerate(plan):
            workdir = Path(tmp) / f"run{number}"
            if name == "backlinks":
                result = run_ours(server, seeds, pages, workdir)
            elif name == DIAGNOSTIC_PYTHON_GC:
                result = run_ours(server, seeds, pages, workdir, name, settings=PYTHON_GC)
            elif name == DIAGNOSTIC_BUDGET:
                result = run_ours(server, seeds, max(20, pages // 4), workdir, name, budget=True)
            else:
                result = run_bare(server, seeds, pages, workdir, name.split()[1])
            if result.returncode != 0 or result.pages < (pages // 4 if name == DIAGNOSTIC_BUDGET else pages) * 0.9:
                raise RuntimeError(
                    f"crawl {name} failed ({result.returncode}, {result.pages} pages): {result.log_tail}"
                )
            runs.setdefault(name, []).append(result)
    best = {name: max(results, key=lambda r: r.rate) for name, results in runs.items()}
    ours_rate = best["backlinks"].rate
    summary: dict[str, Any] = {
        "pages": pages,
        "server_ceiling": {k: {m: round(v, 1) for m, v in c.items()} for k, c in server_ceiling.items()},
        "runs": {name: [r.summary() for r in results] for name, results in runs.items()},
        "pages_per_s": {name: round(r.rate, 1) for name, r in best.items()},
        "ratios": {
            "vs_bare_follow_all": round(ours_rate / best["bare follow_all"].rate, 3),
            "vs_bare_seen_set": round(ours_rate / best["bare seen_set"].rate, 3),
        },
    }
    if DIAGNOSTIC_PYTHON_GC in best:
        python_gc = best[DIAGNOSTIC_PYTHON_GC]
        ours_run = min(runs["backlinks"], key=lambda r: r.cpu / max(r.pages, 1))
        # CPU per page as well as pages/s: one run each, on a machine that may be shared.
        summary["ratios"]["vs_python_gc"] = round(ours_rate / python_gc.rate, 3)
        summary["ratios"]["cpu_per_page_vs_python_gc"] = round(
            (ours_run.cpu / ours_run.pages) / (python_gc.cpu / python_gc.pages), 3
        )
    if DIAGNOSTIC_BUDGET in best:
        meter = best[DIAGNOSTIC_BUDGET].meter
        summary["max_pages_drain_s"] = round(meter["closed"] - meter["times"][-1], 1)
        summary["max_pages_crawl_s"] = round(meter["times"][-1] - meter["started"], 1)
    return summary

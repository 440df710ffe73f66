"""``python -m bench [--smoke] [--only NAME] [--json PATH] [--set NAME.PARAM=N]``: run the
benchmarks, print a table of ratios against the baselines measured in the same run, and
write every figure as JSON (``bench-results.json`` unless ``--json`` says otherwise).

``--smoke`` runs each benchmark at a small size (CI runs it so that none can rot); its
figures mean nothing. A full run takes about five minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import authority, crawl, discovery, extraction, memory, rendering, soak, storage
from bench.web import BenchServer, SyntheticWeb, WebSpec, ceiling

FULL: dict[str, dict[str, Any]] = {
    "web": {"pages": 300, "seconds": 2.0},
    "extraction": {"rounds": 3},
    "crawl": {"pages": 500, "rounds": 2},
    "storage": {"rows": 20_000, "rounds": 2},
    "memory": {"pending": 200_000, "pending_jobdir": 100_000},
    "discovery": {"pages": 600},
    "authority": {"edges": 1_000_000},
    # 1,000 pages: at 200 the figure was mostly the browser's launch, not rendering's throughput.
    # 200 realistic sites: with 50, auto's last seconds were the five script-built sites' renders,
    # one after another (links found by rendering the page before), which measured their latency.
    "rendering": {"domains": 100, "pages": 10, "budget_domains": 400, "realistic_domains": 200},
    "soak": {"domains": 300},
}
SMOKE: dict[str, dict[str, Any]] = {
    "web": {"pages": 20, "seconds": 0.3},
    "extraction": {"rounds": 1, "limit": 8},
    "crawl": {"pages": 15, "rounds": 1, "diagnostics": False},
    "storage": {"rows": 300, "rounds": 1},
    "memory": {"pending": 2_000, "crawl_pages": 300},
    "discovery": {"pages": 15},
    "authority": {"edges": 20_000, "rounds": 1},
    "rendering": {"domains": 10, "pages": 2, "rounds": 1, "budget_domains": 20, "realistic_domains": 10},
    "soak": {"domains": 8, "hostile_every": 4},
}


def web_benchmark(pages: int, seconds: float) -> dict[str, Any]:
    """The generator's pages/s, and the ceiling of the asyncio server against LocalWeb's."""
    spec = WebSpec()
    web = SyntheticWeb(spec)
    rng = random.Random(0)
    addresses = [(d, rng.randrange(web.sizes[d])) for d in (rng.randrange(spec.domains) for _ in range(pages))]
    started = time.perf_counter()
    size = sum(len(web.generate(d, p).body) for d, p in addresses)
    generated = time.perf_counter() - started
    urls = [web.url(d, p) for d, p in addresses]
    ceilings = {}
    for kind in ("asyncio", "localweb"):
        with BenchServer(spec, kind) as server:
            ceiling(server.port, urls, seconds=seconds / 4)  # generate and cache every page first
            ceilings[kind] = {k: round(v, 1) for k, v in ceiling(server.port, urls, seconds=seconds).items()}
    return {
        "generated_pages_per_s": round(pages / generated, 1),
        "mean_page_kib": round(size / pages / 1024, 1),
        "ceiling_pages_per_s": ceilings,
        # None when LocalWeb answered nothing in the time given (a smoke run on a loaded machine).
        "ratio_asyncio_vs_localweb": (
            round(ceilings["asyncio"]["pages_per_s"] / ceilings["localweb"]["pages_per_s"], 2)
            if ceilings["localweb"]["pages_per_s"]
            else None
        ),
    }


def postgres_reachable() -> bool:
    import psycopg

    try:
        psycopg.connect(**storage.POSTGRES, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def storage_benchmark(**size: Any) -> dict[str, Any]:
    kinds = ("sqlite", "postgresql") if postgres_reachable() else ("sqlite",)
    result = storage.run(kinds=kinds, **size)
    if "postgresql" not in kinds:
        result["postgresql"] = "not reachable on 127.0.0.1:5432: not measured"
    return result


BENCHMARKS: dict[str, Callable[..., dict[str, Any]]] = {
    "web": web_benchmark,
    "extraction": extraction.run,
    "crawl": crawl.run,
    "storage": storage_benchmark,
    "memory": memory.run,
    "discovery": discovery.run,
    "authority": authority.run,
    "rendering": rendering.run,
    "soak": soak.run,
}


def _ratio(value: float | None, target: float, at_most: bool = False) -> tuple[str, str]:
    if value is None:
        return "n/a", "n/a"
    met = value <= target if at_most else value >= target
    return f"{value:g}", "yes" if met else "NO"


def table(results: dict[str, Any]) -> str:
    """One line per figure: what, ours, the baseline, the ratio, the target and whether it is met."""
    lines: list[tuple[str, str, str, str, str, str]] = []
    if "web" in results:
        web = results["web"]
        c = web["ceiling_pages_per_s"]
        lines.append(
            (
                "server ceiling (pages/s), asyncio vs LocalWeb",
                f"{c['asyncio']['pages_per_s']:g}",
                f"{c['localweb']['pages_per_s']:g}",
                f"{web['ratio_asyncio_vs_localweb'] or 'n/a'}",
                "-",
                "-",
            )
        )
    if "extraction" in results:
        ex = results["extraction"]
        rates = ex["pages_per_s"]
        for name, key, target in (
            ("LinkExtractor", "vs_LinkExtractor", 5.0),
            ("lexbor parse+iterate", "vs_lexbor_bare", 0.5),
        ):
            ratio, met = _ratio(ex["ratios"][key], target)
            lines.append(
                (
                    f"extraction (pages/s) vs {name}",
                    f"{rates['extract_page']:g}",
                    f"{rates[name]:g}",
                    ratio,
                    f">= {target:g}",
                    met,
                )
            )
    if "crawl" in results:
        cr = results["crawl"]
        rates = cr["pages_per_s"]
        for name, key in (("bare follow_all", "vs_bare_follow_all"), ("bare seen_set", "vs_bare_seen_set")):
            ratio, met = _ratio(cr["ratios"][key], 0.8)
            lines.append(
                (f"crawl (pages/s) vs {name}", f"{rates['backlinks']:g}", f"{rates[name]:g}", ratio, ">= 0.8", met)
            )
        if "vs_python_gc" in cr["ratios"]:
            lines.append(
                (
                    "  (diagnostic) crawl vs Python's gc settings (pages/s)",
                    f"{rates['backlinks']:g}",
                    f"{rates[crawl.DIAGNOSTIC_PYTHON_GC]:g}",
                    f"{cr['ratios']['vs_python_gc']:g}",
                    "-",
                    "-",
                )
            )
            lines.append(
                (
                    "  (diagnostic) crawl vs Python's gc settings (CPU s/page)",
                    "-",
                    "-",
                    f"{cr['ratios']['cpu_per_page_vs_python_gc']:g}",
                    "-",
                    "-",
                )
            )
        if "max_pages_drain_s" in cr:
            lines.append(
                (
                    "  (diagnostic) seconds to close after max_pages",
                    f"{cr['max_pages_drain_s']:g}",
                    f"{cr['max_pages_crawl_s']:g} crawling",
                    "-",
                    "-",
                    "-",
                )
            )
    if "storage" in results:
        st = results["storage"]
        for kind in ("sqlite", "postgresql"):
            if isinstance(st.get(kind), dict):
                row = st[kind]
                ratio, met = _ratio(row["ratio"], 0.5)
                lines.append(
                    (
                        f"storage {kind} (rows/s) vs raw executemany",
                        f"{row['pipeline_rows_per_s']:g}",
                        f"{row['raw_rows_per_s']:g}",
                        ratio,
                        ">= 0.5",
                        met,
                    )
                )
                lines.append(
                    (f"  {kind}: event loop's worst stall (ms)", f"{row['worst_stall_ms']:g}", "-", "-", "-", "-")
                )
    if "memory" in results:
        for name, row in results["memory"].items():
            if not isinstance(row, dict):
                continue
            if name == "long crawl":
                early, last = row["early"], row["last"]
                # From a fifth of the crawl, and over its last fifth.
                for since, ratio in ((early, row["rss_last_vs_early"]), (row["late"], row["rss_last_vs_late"])):
                    lines.append(
                        (f"crawl RSS at {last['pages']:,} vs {since['pages']:,} pages (MiB)", f"{last['rss_mib']:g}",
                         f"{since['rss_mib']:g}", f"{ratio:g}",
                         f"pending {since['pending']:,} -> {last['pending']:,}, slots {since['downloader_slots']:,}"
                         f" -> {last['downloader_slots']:,}, robots.txt cached {since['robots_hosts']:,}"
                         f" -> {last['robots_hosts']:,}", "-")
                    )  # fmt: skip
                lines.append(
                    (f"crawl's live Python blocks at {last['pages']:,} vs {early['pages']:,} pages",
                     f"{last['python_blocks']:,}", f"{early['python_blocks']:,}",
                     f"{row['python_blocks_last_vs_early']:g}", "no leak", "-")
                )  # fmt: skip
                continue
            if "bounded" in name:
                grown = round(row["rss_after_mib"] - row["rss_before_mib"], 1)
                lines.append(
                    (f"frontier RSS growth, {name} (MiB)", f"{grown:g}",
                     f"{row['pending']:,} held of {row['pushed']:,}", "-", "bounded", "-")
                )  # fmt: skip
                continue
            lines.append(
                (f"frontier RSS per 100k pending, {name} (MiB)", f"{row['mib_per_100k']:g}",
                 f"{row['pending']:,} pending", "-", "bounded", "-")
            )  # fmt: skip
    if "crawl" in results:
        run = results["crawl"]["runs"]["backlinks"][0]
        if run.get("rss_first_mib") is not None:
            lines.append(
                (
                    "crawl RSS, first vs last sample (MiB)",
                    f"{run['rss_last_mib']:g}",
                    f"{run['rss_first_mib']:g}",
                    f"{run['rss_last_mib'] / run['rss_first_mib']:.3g}",
                    "no growth",
                    "-",
                )
            )
    if "discovery" in results:
        di = results["discovery"]
        found = di["referring_domains"]
        ratio, met = _ratio(di["ratio"], 2.0)
        if di["ratio"] is None and found["backlinks"]:
            ratio, met = "inf", "yes"
        lines.append(
            (
                f"discovery: referring domains at {di['pages']} pages",
                f"{found['backlinks']}",
                f"{found['breadth_first']}",
                ratio,
                ">= 2",
                met,
            )
        )
    if "authority" in results:
        au = results["authority"]
        lines.append((f"authority: rank_domains, {au['edges']:,} edges (s)", f"{au['seconds']:g}", "-", "-", "-", "-"))
    if "rendering" in results and "skipped" not in results["rendering"]:
        re_ = results["rendering"]
        for web, mixed in (("1-KB pages", re_), ("30-80 KB pages", re_.get("realistic"))):
            if mixed is None:
                continue
            ratio, met = _ratio(mixed["ratio_auto_vs_never"], 0.5)
            lines.append(
                (f"rendering, {web}: pages/s, auto vs never", f"{mixed['auto']['pages_per_s']:g}",
                 f"{mixed['never']['pages_per_s']:g}", ratio, ">= 0.5", met)
            )  # fmt: skip
            auto, never = mixed["auto"], mixed["never"]
            lines.append(
                (f"rendering, {web}: CPU per page, crawl + browser (ms), auto vs never",
                 f"{auto['cpu_ms_per_page']:g}", f"{never['cpu_ms_per_page']:g}",
                 f"{mixed['cpu_per_page_auto_vs_never']:.2f}", "-", "-")
            )  # fmt: skip
            lines.append(
                (f"rendering, {web}: browser CPU per render (ms); cores busy, auto / never",
                 f"{auto['browser_cpu_ms_per_render']:g}", f"{auto['cores_busy']:g} / {never['cores_busy']:g}",
                 "-", "-", "-")
            )  # fmt: skip
            ratio, met = _ratio(mixed["script_only_recall"], 1.0)
            lines.append(
                (f"rendering, {web}: script-only backlinks found (auto)", f"{mixed['auto']['script_only_found']}",
                 f"{mixed['script_only_backlinks']}", ratio, "= 1", met)
            )  # fmt: skip
        if "budget" in re_:
            bu = re_["budget"]
            ratio, met = _ratio(bu["ratio_script_vs_static"], 0.8)
            lines.append(
                (f"rendering: share of backlinks reached at {bu['max_pages']:,} pages, script-only vs static",
                 f"{bu['script_only_found']}/{bu['script_only_backlinks']}",
                 f"{bu['static_found']}/{bu['static_backlinks']}", ratio, ">= 0.8", met)
            )  # fmt: skip
    if "soak" in results:
        lines.extend(soak_lines(results["soak"]))
    head = ("measure", "ours", "baseline", "ratio", "target", "met")
    widths = [max(len(str(row[i])) for row in [head, *lines]) for i in range(len(head))]
    out = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in [head, *lines]]
    out.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(out)


def soak_lines(so: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """The soak's verdicts: nothing lost, nothing forbidden fetched, memory bounded, ended on its own."""
    stored, expected = so["backlinks_stored"], so["backlinks_expected"]
    memory, limit = so["peak_memory_mib"], so["memory_limit_mib"]
    forbidden = len(so["forbidden_requests"])
    where = (
        f"{so['pages_fetched']} pages, {so['pages_rendered']} rendered, {so['hostile_domains']} hostile domains,"
        f" {so['scripted_domains']} built by script"
    )

    def met(ok: bool) -> str:
        return "yes" if ok else "NO"

    return [
        (f"soak: backlinks stored ({where})", f"{stored}", f"{expected} expected",
         f"{so['stored_vs_expected']:g}", "= 1", met(stored == expected)),
        ("soak: peak memory of the crawl, browser included (MiB)", f"{memory:g}", f"{limit} limit",
         f"{memory / limit:.2f}", "< 1", met(memory < limit)),
        ("soak: requests to private addresses or robots-forbidden", f"{forbidden}", "-", "-", "= 0",
         met(forbidden == 0)),
        ("soak: how the crawl ended", f"{so['ended']}", "-", "-", "finished", met(so["ended"] == "finished")),
    ]  # fmt: skip


def errors_by_kind(so: dict[str, Any]) -> str:
    return "\n".join(["soak: errors and refusals by kind (the crawl's stats)"] + [
        f"  {name}: {value}" for name, value in so["errors_by_kind"].items()
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="run every benchmark at a small size (CI)")
    parser.add_argument(
        "--only", action="append", choices=sorted(BENCHMARKS), help="run only this benchmark (repeatable)"
    )
    parser.add_argument("--json", default="bench-results.json", help="where to write the results")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME.PARAM=N",
        help="change a size, e.g. memory.pending=1000000 or memory.crawl_pages=50000 (repeatable)",
    )  # fmt: skip
    arguments = parser.parse_args(argv)
    sizes = {name: dict(size) for name, size in (SMOKE if arguments.smoke else FULL).items()}
    for change in arguments.set:
        target, _, value = change.partition("=")
        name, _, param = target.partition(".")
        if name not in sizes or not param or not value:
            parser.error(f"--set {change!r}: expected NAME.PARAM=N with NAME one of {', '.join(sizes)}")
        sizes[name][param] = int(value)
    names = arguments.only or list(BENCHMARKS)
    results: dict[str, Any] = {}
    started = time.perf_counter()
    for name in names:
        print(f"running {name}...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        results[name] = BENCHMARKS[name](**sizes[name])
        results[name]["seconds_taken"] = round(time.perf_counter() - began, 1)
    report = {
        "smoke": arguments.smoke,
        "machine": {
            "python": platform.python_version(),
            "cpus": __import__("os").cpu_count(),
            "platform": platform.platform(),
        },
        "seconds": round(time.perf_counter() - started, 1),
        "results": results,
    }
    Path(arguments.json).write_text(json.dumps(report, indent=2))
    print(table(results))
    if "soak" in results:
        print(errors_by_kind(results["soak"]))
    print(f"\n{'smoke run: figures mean nothing. ' if arguments.smoke else ''}"
          f"All figures in {arguments.json} ({report['seconds']:.0f} s).")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rendering: the cost and the yield of ``BACKLINKS_RENDER_MODE=auto`` on a mixed web.

A tenth of the web's domains build their pages by script (an empty app root filled by
an inline script, the React way); the rest are static. The same crawl runs with
``never`` and with ``auto``, in turn, twice: pages/s of ``auto`` as a ratio of ``never``,
each mode's fastest run (target: at least 0.5), and the share of the script-only backlinks
``auto`` finds in its worst run (target: all).

Under a page budget (``budget_domains`` domains, half their pages fetched) a crawl reaches some of
the web's backlinks; ``auto`` should reach those of the script-built sites about as often as those
of the static ones, though each page of theirs waits for the browser: the share of script-only
backlinks found as a ratio of the share of static-page backlinks found.
On pages of realistic size (``realistic_domains``: the synthetic web of ``web.py``, 30-80 KB and
100-300 links a page, ten pages a site, one site in ten built by script) the same two modes, in
turn, as often: a render costs the browser more there, while a plain page costs the crawl about
what a small one does; every script-only backlink (a page of a script-built site linking the
target) must be found there too.
Each run also says what it cost the machine: CPU seconds of the crawl's process and of the
browser's (sampled from /proc), per page and per render, and how many cores were busy. Where
``never`` keeps one core busy and ``auto`` two, ``auto``'s pages/s can keep at most twice
never's CPU per page divided by its own.
Needs Debian's Chromium (the first of ``BACKLINKS_RENDER_BROWSER`` found); reported as skipped without it.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

from backlink_spider.browser import find_browser
from backlink_spider.localweb import LocalWeb, Resource, Sites
from backlink_spider.settings import BACKLINKS_RENDER_BROWSER
from bench.crawl import crawl_env, run_watched
from bench.web import ROOT, BenchServer, SyntheticWeb, WebSpec, built_by_script

TARGET = "linkbench-target.org"
SCRIPTED_EVERY = 10  # one domain in ten builds its pages by script
PROSE = "A paragraph of an article about tools and the people who make them, long enough to be read. " * 4


def _page(links: str) -> str:
    return f"<!doctype html><html><head><meta charset='utf-8'><title>t</title></head><body>{links}</body></html>"


def target_url(number: int, page: int) -> str:
    """The target URL that page ``page`` of site ``number`` links."""
    return f"http://{TARGET}/site{number}.com/{page}"


def mixed_web(domains: int, pages: int) -> tuple[Sites, set[str], list[str]]:
    """The sites, the target URLs linked only from script-built pages, and the seeds (every other
    page links a target URL of its own, ``static_targets``)."""
    sites: dict[str, dict[str, Resource]] = {}
    script_only: set[str] = set()
    for number in range(domains):
        host = f"site{number}.com"
        scripted = number % SCRIPTED_EVERY == 0
        site: dict[str, Resource] = {}
        for page in range(pages):
            target = target_url(number, page)
            onward = [f"/p{page + 1}"] if page + 1 < pages else []
            onward.append(f"http://site{(number + 1) % domains}.com/p0")
            body = (
                f'<main><article><p>{PROSE}See <a href="{target}">the target</a> for more.</p>'
                + "".join(f'<a href="{link}">next</a> ' for link in onward)
                + "</article></main>"
            )
            if scripted:
                script_only.add(target)
                html = _page(built_by_script(body))
            else:
                html = _page(body)
            site[f"/p{page}"] = Resource(html)
        sites[host] = site
    return sites, script_only, [f"http://site{number}.com/p0" for number in range(domains)]


def static_targets(domains: int, pages: int, script_only: set[str]) -> set[str]:
    """The target URLs linked from the static pages of ``mixed_web(domains, pages)``."""
    return {target_url(number, page) for number in range(domains) for page in range(pages)} - script_only


def _crawl(
    mode: str, proxy_url: str, seeds: list[str], pages: int, workdir: Path, max_pages: int | None = None
) -> dict[str, Any]:
    database = workdir / f"{mode}.sqlite3"
    budget = ["-a", f"max_pages={max_pages}"] if max_pages else []
    command = [
        sys.executable, "-m", "scrapy", "crawl", "backlinks",
        "-a", f"target={TARGET}", "-a", f"seeds={','.join(seeds)}",
        "-a", f"pages_per_domain={pages}", "-a", f"max_depth={pages * 2}",
        "-s", f"BACKLINKS_DATABASE_URL=sqlite:///{database}", "-s", f"BACKLINKS_RENDER_MODE={mode}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING",
        "-s", "BACKLINKS_AUTHORITY_AT_CLOSE=False", "-s", "BACKLINKS_CHECK_PROXIED_NAMES=False", *budget,
    ]  # fmt: skip
    returncode, stderr, watch = run_watched(command, ROOT, crawl_env(proxy_url), timeout=900)
    if returncode != 0:
        raise RuntimeError(f"the {mode} crawl failed: {stderr[-2000:]}")
    with sqlite3.connect(database) as connection:
        stats = json.loads(connection.execute("SELECT stats FROM crawls").fetchone()[0])
        found = {row[0] for row in connection.execute("SELECT target_url FROM backlinks")}
        referring = {row[0] for row in connection.execute("SELECT source_url FROM backlinks")}
        rendered = connection.execute("SELECT count(*) FROM pages WHERE rendered").fetchone()[0]
    elapsed = float(stats.get("elapsed_time_seconds") or 0)
    stored = int(stats.get("backlinks/stored/pages") or 0)
    cpu = watch.cpu + watch.descendants_cpu
    return {
        "pages": stored,
        "rendered_pages": rendered,
        "seconds": round(elapsed, 2),
        "pages_per_s": round(stored / elapsed, 2) if elapsed else None,
        # The crawl's process, and the browser's (Playwright's driver and Chromium's processes).
        "crawl_cpu_s": round(watch.cpu, 2),
        "browser_cpu_s": round(watch.descendants_cpu, 2),
        "cpu_ms_per_page": round(1000 * cpu / stored, 2) if stored else None,
        "browser_cpu_ms_per_render": round(1000 * watch.descendants_cpu / rendered, 1) if rendered else None,
        # Of the machine's cores, how many the crawl and its browser kept busy on average.
        "cores_busy": round(cpu / elapsed, 2) if elapsed else None,
        "backlinks": found,
        "referring": referring,
    }


def budget_reach(domains: int, pages: int) -> dict[str, Any]:
    """An ``auto`` crawl of half the pages of a larger mixed web: the share of script-only and of
    static-page backlinks it found."""
    sites, script_only, seeds = mixed_web(domains, pages)
    static = static_targets(domains, pages, script_only)
    max_pages = domains * pages // 2
    with LocalWeb(sites) as web, tempfile.TemporaryDirectory(prefix="bench-rendering-budget-") as tmp:
        result = _crawl("auto", web.proxy_url, seeds, pages, Path(tmp), max_pages=max_pages)
    result.pop("referring")
    found = result.pop("backlinks")
    script_found, static_found = len(found & script_only), len(found & static)
    static_share = static_found / len(static)
    return {
        "domains": domains,
        "max_pages": max_pages,
        **result,
        "script_only_found": script_found,
        "script_only_backlinks": len(script_only),
        "static_found": static_found,
        "static_backlinks": len(static),
        "ratio_script_vs_static": round(script_found / len(script_only) / static_share, 3) if static_share else None,
    }


def realistic_web(domains: int) -> WebSpec:
    """The synthetic web of ``domains`` sites of ten realistic pages each, all seeds, every site
    linking the target from some pages, one site in ``SCRIPTED_EVERY`` built by script."""
    return WebSpec(
        domains=domains, max_site_pages=10, min_site_pages=10, seeds=domains, targets=(TARGET,),
        linker_share=1.0, target_rate=0.3, scripted_every=SCRIPTED_EVERY,
    )  # fmt: skip


def script_only_pages(spec: WebSpec) -> set[str]:
    """The pages of ``spec``'s script-built sites that link the target."""
    web = SyntheticWeb(spec)
    return {
        web.url(domain, page)
        for domain in range(spec.domains)
        if web.scripted(domain)
        for page in range(web.sizes[domain])
        if web.generate(domain, page).target_links
    }


def compare(
    serve: LocalWeb | BenchServer, seeds: list[str], pages: int, rounds: int, script_only: set[str], key: str
) -> dict[str, Any]:
    """``never`` and ``auto`` in turn, ``rounds`` times, on the web ``serve`` serves: each mode keeps
    its fastest run, as the other benchmarks do (a burst of load on the machine hurts neither
    more); every ``auto`` run must find the script-only backlinks (``key``: ``backlinks`` for
    target URLs, ``referring`` for the pages linking them), so the recall is that of its worst run."""
    results: dict[str, Any] = {"script_only_backlinks": len(script_only), "runs": {"never": [], "auto": []}}
    with serve as web, tempfile.TemporaryDirectory(prefix="bench-rendering-") as tmp:
        for round_number in range(rounds):
            for mode in ("never", "auto"):
                workdir = Path(tmp) / str(round_number)
                workdir.mkdir(exist_ok=True)
                run_ = _crawl(mode, web.proxy_url, seeds, pages, workdir)
                found = {"backlinks": run_.pop("backlinks"), "referring": run_.pop("referring")}[key]
                run_["script_only_found"] = len(found & script_only)
                results["runs"][mode].append(run_)
    for mode, runs in results["runs"].items():
        results[mode] = max(runs, key=lambda run_: run_["pages_per_s"] or 0)
    never, auto = results["never"], results["auto"]
    results["ratio_auto_vs_never"] = (
        round(auto["pages_per_s"] / never["pages_per_s"], 3) if auto["pages_per_s"] and never["pages_per_s"] else None
    )
    # What a page costs the machine in each mode: with one page in ten rendered, auto's pages/s can
    # keep at most (cores busy in auto / cores busy in never) / this of never's.
    results["cpu_per_page_auto_vs_never"] = (
        round(auto["cpu_ms_per_page"] / never["cpu_ms_per_page"], 3)
        if auto["cpu_ms_per_page"] and never["cpu_ms_per_page"]
        else None
    )
    worst = min(run_["script_only_found"] for run_ in results["runs"]["auto"])
    results["script_only_recall"] = round(worst / len(script_only), 3) if script_only else None
    return results


def run(
    domains: int = 40, pages: int = 5, rounds: int = 2, budget_domains: int = 0, realistic_domains: int = 0
) -> dict[str, Any]:
    """The mixed web of small pages, under a budget, and of realistic pages (each when asked for)."""
    browser = find_browser(BACKLINKS_RENDER_BROWSER)
    if browser is None:
        return {"skipped": f"none of {', '.join(BACKLINKS_RENDER_BROWSER)} found"}
    sites, script_only, seeds = mixed_web(domains, pages)
    results: dict[str, Any] = {
        "browser": browser,
        "domains": domains,
        "pages_per_domain": pages,
        **compare(LocalWeb(sites), seeds, pages, rounds, script_only, "backlinks"),
    }
    if budget_domains:
        results["budget"] = budget_reach(budget_domains, pages)
    if realistic_domains:
        spec = realistic_web(realistic_domains)
        # Twice the site's pages: 5 % of its links to another site add "?ref=", a page more each.
        seeds, script_only = SyntheticWeb(spec).seed_urls(), script_only_pages(spec)
        results["realistic"] = {
            "domains": realistic_domains,
            **compare(BenchServer(spec), seeds, 20, rounds, script_only, "referring"),
        }
    return results

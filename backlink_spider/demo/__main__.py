"""``python -m backlink_spider.demo``: serve the demo web on loopback, crawl it with the
real spider, and print what was found. Needs no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from backlink_spider.demo.web import SEEDS, SITES, TARGET
from backlink_spider.localweb import LocalWeb

DATABASE = Path("demo.sqlite3")


def crawl(proxy: str) -> int:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("https_proxy", "no_proxy", "all_proxy")}
    env.update(http_proxy=proxy, SCRAPY_SETTINGS_MODULE="backlink_spider.settings")
    env.pop("BACKLINKS_DATABASE_URL", None)
    command = [
        sys.executable, "-m", "scrapy", "crawl", "backlinks",
        "-a", f"target={TARGET}", "-a", f"seeds={','.join(SEEDS)}",
        "-s", f"BACKLINKS_DATABASE_URL=sqlite:///{DATABASE.resolve()}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING",
    ]  # fmt: skip
    return subprocess.run(command, env=env, check=False).returncode


def summary() -> str:
    engine = create_engine(f"sqlite:///{DATABASE.resolve()}")
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT source_domain, placement, dofollow, rel, anchor_class, link_type, anchor_text, target_url"
                " FROM backlinks ORDER BY source_domain, placement"
            )
        ).all()
        # Pages read: not the ones that answered 404 or redirected, stored with no links.
        pages = connection.execute(text("SELECT count(*) FROM pages WHERE status < 300")).scalar_one()
        linking = connection.execute(text("SELECT count(DISTINCT source_url) FROM backlinks")).scalar_one()
    engine.dispose()
    domains = {row.source_domain for row in rows}
    followed = sum(1 for row in rows if row.dofollow)
    lines = [
        f"Backlinks of {TARGET}: {len(rows)} from {len(domains)} referring domains"
        f" ({followed} dofollow) on {linking} pages, found by reading {pages}.",
        "",
        f"{'referring domain':22} {'placement':9} {'follow':8} {'rel':13} {'class':8} {'type':6} anchor -> target",
    ]
    for row in rows:
        follow = "dofollow" if row.dofollow else "nofollow"
        lines.append(
            f"{row.source_domain:22} {row.placement:9} {follow:8} {row.rel or '-':13} {row.anchor_class:8}"
            f" {row.link_type:6} {row.anchor_text!r} -> {row.target_url}"
        )
    lines += ["", f"All rows are in {DATABASE} (table backlinks; also pages and crawls)."]
    return "\n".join(lines)


def main() -> int:
    DATABASE.unlink(missing_ok=True)
    with LocalWeb(SITES) as web:
        print(f"Demo web of {len(SITES)} sites on {web.proxy_url}; crawling for backlinks of {TARGET}...")
        code = crawl(web.proxy_url)
    if code != 0:
        print(f"The crawl failed with exit code {code}.", file=sys.stderr)
        return code
    print(summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())

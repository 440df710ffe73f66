"""``make demo``'s program: serves the bundled web, crawls it offline, prints a summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import ROOT, crawl_env


def test_demo_crawls_the_bundled_web_and_reports_its_backlinks(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "backlink_spider.demo"],
        cwd=tmp_path, env=crawl_env(None), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr[-2000:]
    assert "Backlinks of plausible-analytics.com: 10 from 4 referring domains (6 dofollow)" in process.stdout
    # The README shows the demo's table as it is printed.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```\nBacklinks of plausible-analytics.com:", 1)[1].split("```", 1)[0]
    printed = process.stdout.split("Backlinks of plausible-analytics.com:", 1)[1]
    assert printed.startswith(shown), (shown, printed)
    assert "WARNING" not in process.stderr, process.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    with engine.connect() as connection:
        placements = dict(
            connection.execute(text("SELECT placement, count(*) FROM backlinks GROUP BY placement")).all()
        )
    engine.dispose()
    assert placements == {"content": 6, "comment": 3, "aside": 1}

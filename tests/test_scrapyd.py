"""Scheduled crawls on a server: a real scrapyd on loopback runs the project deployed as
an egg, and the crawl it schedules stores exactly the backlinks of the test web.

The project is copied to a temporary directory and deployed from there with
``scrapyd-deploy`` (so nothing is built inside the checkout, and only what pyproject.toml
packages reaches the egg); scrapyd runs in another temporary directory, so the crawl
finds its code, seed lists and migrations in the egg or not at all.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import ProxyHandler, build_opener

import pytest
from sqlalchemy import create_engine, text

from backlink_spider.localweb import LocalWeb
from tests.conftest import ROOT, crawl_env
from tests.services import missing
from tests.test_crawl import BACKLINK_COLUMNS, normalise
from tests.web import EXPECTED_BACKLINKS, SEEDS, SITES

PROJECT = "backlink_spider"
# What scrapyd-deploy needs to build the egg: the packages and their metadata.
PROJECT_FILES = (
    "pyproject.toml", "setup.py", "scrapy.cfg", "README.md", "backlink_spider", "pipelines", "seeds", "third_party",
)  # fmt: skip
JOB_TIMEOUT = 90.0
# Loopback requests must never go through a proxy the machine may have configured.
HTTP = build_opener(ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(url: str, data: dict[str, str | list[str]] | None = None) -> dict:
    body = urlencode(data, doseq=True).encode() if data is not None else None
    with HTTP.open(url, data=body, timeout=30) as response:
        answer = json.loads(response.read())
    assert answer.get("status") == "ok", answer
    return answer


class Scrapyd:
    """A scrapyd process on 127.0.0.1 with every directory under ``home``."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        (home / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"eggs_dir = {home / 'eggs'}\n"
            f"logs_dir = {home / 'logs'}\n"
            f"dbs_dir = {home / 'dbs'}\n"
            "items_dir =\n"
            "jobs_dir =\n"
            "poll_interval = 0.2\n"
            "max_proc = 1\n"
            "username =\n"
            "password =\n",
            encoding="utf-8",
        )
        self.output = home / "scrapyd.out"
        with self.output.open("wb") as output:
            # scrapyd reads ./scrapyd.conf; its crawls inherit this environment and directory.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scrapyd"], cwd=home, env=env, stdout=output, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")[-5000:]

    def wait_until_up(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"scrapyd exited:\n{self.log()}"
            try:
                call(self.url + "daemonstatus.json")
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"scrapyd did not answer on {self.url} within {timeout} s:\n{self.log()}")

    def wait_for_job(self, job: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = call(self.url + "listjobs.json?" + urlencode({"project": PROJECT}))
            if any(finished["id"] == job for finished in jobs["finished"]):
                return
            assert self.process.poll() is None, f"scrapyd exited:\n{self.log()}"
            time.sleep(0.3)
        pytest.fail(f"job {job} did not finish within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def scrapyd_tools() -> None:
    for module in ("scrapyd", "scrapyd_client"):
        if importlib.util.find_spec(module) is None:
            missing("scrapyd", f"{module} is not installed (pip install -e '.[server]')")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the project's packaged files, with a deploy target to be filled in."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=ignore)
        else:
            shutil.copy2(source, copy / name)
    return copy


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    """A test web of this test's own: the session's records what other crawls fetched."""
    with LocalWeb(SITES) as local_web:
        yield local_web


def deploy_command(checkout: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy", *arguments],
        cwd=checkout, env=crawl_env(None), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_scrapyd_runs_the_deployed_egg_and_stores_the_backlinks(
    scrapyd_tools: None, checkout: Path, web: LocalWeb, tmp_path: Path
) -> None:
    egg = tmp_path / "backlink_spider.egg"
    deploy_command(checkout, "--build-egg", str(egg))
    names = set(zipfile.ZipFile(egg).namelist())
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "seeds").glob("*.txt")}
    migrations = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pipelines/alembic/versions").glob("*.py")}
    assert shipped and migrations
    assert shipped | migrations | {"pipelines/alembic/script.py.mako", "pipelines/alembic/env.py"} <= names
    assert "backlink_spider/spiders/backlinks.py" in names and not any(n.startswith("tests/") for n in names)

    home = tmp_path / "scrapyd"
    home.mkdir()
    database = tmp_path / "scheduled.sqlite3"
    env = crawl_env(web.proxy_url)  # the crawls reach the test web through its proxy
    env["BACKLINKS_DATABASE_URL"] = f"sqlite:///{database}"  # a secret on a server: environment, not request
    server = Scrapyd(home, env)
    try:
        server.wait_until_up()
        with (checkout / "scrapy.cfg").open("a", encoding="utf-8") as cfg:
            cfg.write(f"\n[deploy:test]\nurl = {server.url}\n")
        deploy_command(checkout, "test", "--egg", str(egg), "--version", "r1")
        assert call(server.url + "listspiders.json?project=" + PROJECT)["spiders"] == ["backlinks"]

        # The egg alone supplies code, seed lists and migrations, whatever the directory.
        deployed = home / "eggs" / PROJECT / "r1.egg"
        probe = subprocess.run(
            [sys.executable, "-c", EGG_PROBE, str(deployed)], cwd=home, env={**env, "SCRAPY_PROJECT": PROJECT},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert probe.returncode == 0, probe.stdout + probe.stderr
        assert json.loads(probe.stdout) == {"outside_egg": [], "lists": sorted(Path(n).stem for n in shipped)}

        job = call(
            server.url + "schedule.json",
            {
                "project": PROJECT,
                "spider": "backlinks",
                "target": "target.com",
                "seeds": SEEDS,
                "setting": ["AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "BACKLINKS_FLUSH_INTERVAL=0.2"],
            },
        )["jobid"]
        server.wait_for_job(job, JOB_TIMEOUT)
    finally:
        server.stop()

    log_file = home / "logs" / PROJECT / "backlinks" / f"{job}.log"
    log = log_file.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-5000:]
    assert "'finish_reason': 'finished'" in log, log[-5000:]
    assert "Traceback" not in server.log(), server.log()

    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            rows = [tuple(row) for row in connection.execute(text(f"SELECT {BACKLINK_COLUMNS} FROM backlinks"))]
            crawls = [tuple(row) for row in connection.execute(text("SELECT target, finish_reason FROM crawls"))]
    finally:
        engine.dispose()
    stored = normalise(rows)
    assert sorted(stored - EXPECTED_BACKLINKS) == sorted(EXPECTED_BACKLINKS - stored) == []
    assert crawls == [("target.com", "finished")]


# Run in scrapyd's directory with its runner's egg activation: every module of the
# project comes from the egg, and the seed lists and migrations are readable there.
EGG_PROBE = """
import json, sys
from scrapyd.runner import project_environment
with project_environment("backlink_spider"):
    import backlink_spider.spiders.backlinks, pipelines.migrate, seeds
    from backlink_spider.seedlists import shipped_lists
    pipelines.migrate.head_revision()
    mine = [m for name, m in sys.modules.items() if name.split(".")[0] in ("backlink_spider", "pipelines", "seeds")]
    egg = sys.argv[1]
    print(json.dumps({
        "outside_egg": sorted(m.__name__ for m in mine if not (getattr(m, "__file__", None) or "").startswith(egg)),
        "lists": sorted(shipped_lists()),
    }))
"""

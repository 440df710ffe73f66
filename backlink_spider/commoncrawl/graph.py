"""The hosts or domains that link to a target, from a Common Crawl web-graph release.

A release is gzip text in Common Crawl's layout: ``vertices`` (``id<TAB>reversed name``,
plus ``<TAB>number of hosts`` at domain level; a host-level graph drops a leading
``www.``: ``www.blog.example.com`` is ``com.example.blog``), ``edges``
(``from_id<TAB>to_id``, one edge per linked pair) and ``ranks`` (a ``#harmonicc_pos
#harmonicc_val #pr_pos #pr_val #host_rev [#n_hosts]`` header, then one line per vertex).
Host-level vertices and edges come split in several files.

DuckDB scans them, several files in parallel and decompressing as it reads, holding only
the target's vertices, the edges into them and their sources: the vertices twice (the
target's ids, then the names of the ids linking to them), the edges and the ranks once.
A local file is read by DuckDB itself; an http(s) URL is streamed to it through a named
pipe by a thread that decompresses as the bytes arrive, never stored on disk.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from backlink_spider.commoncrawl.candidates import Referrer
from backlink_spider.commoncrawl.sources import USER_AGENT, SourceError, is_url, open_stream
from backlink_spider.domains import domain_of, unicode_host

logger = logging.getLogger(__name__)

_TEXT = "delim='\\t', header=false, auto_detect=false, quote='', escape='', new_line='\\n'"
_VERTEX_COLUMNS = "{'id': 'BIGINT', 'name': 'VARCHAR', 'n_hosts': 'BIGINT'}"
_EDGE_COLUMNS = "{'from_id': 'BIGINT', 'to_id': 'BIGINT'}"
_RANK_COLUMNS = (
    "{'hc_pos': 'VARCHAR', 'hc_val': 'VARCHAR', 'pr_pos': 'VARCHAR', 'pr_val': 'VARCHAR', "
    "'name': 'VARCHAR', 'n_hosts': 'VARCHAR'}"
)


class GraphError(ValueError):
    """A graph that cannot be read, or that does not hold the target; the message says why."""


def ascii_host(host: str) -> str:
    """``host`` in ASCII (punycode labels), as the web graph writes names."""
    labels = []
    for label in unicode_host(host).split("."):
        try:
            labels.append(label.encode("idna").decode("ascii") if not label.isascii() else label)
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def reverse_host(host: str) -> str:
    """``blog.example.com`` <-> ``com.example.blog`` (the graph's notation, both ways)."""
    return ".".join(reversed(host.split(".")))


@dataclass
class GraphResult:
    """The referrers of one target, best ranked first, and what the scan found."""

    target: str
    level: str
    target_vertices: list[str] = field(default_factory=list)
    referrers: list[Referrer] = field(default_factory=list)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _files(paths: list[str]) -> str:
    return "[" + ", ".join(_literal(path) for path in paths) + "]"


class _Pipes:
    """Named pipes that stream http(s) inputs to DuckDB, one feeding thread each; local
    paths pass through. Each set of pipes serves one scan."""

    def __init__(self, directory: Path, user_agent: str) -> None:
        self.directory = directory
        self.user_agent = user_agent
        self.threads: list[threading.Thread] = []
        self.pipes: list[Path] = []
        self.errors: list[str] = []
        self._count = 0

    def paths(self, locations: list[str]) -> list[str]:
        return [self._pipe(location) if is_url(location) else location for location in locations]

    def _pipe(self, url: str) -> str:
        self._count += 1
        pipe = self.directory / f"input-{self._count}.txt"
        os.mkfifo(pipe)
        thread = threading.Thread(target=self._feed, args=(url, pipe), daemon=True, name=f"cc-graph-{self._count}")
        thread.start()
        self.threads.append(thread)
        self.pipes.append(pipe)
        return str(pipe)

    def _feed(self, url: str, pipe: Path) -> None:
        try:
            raw = open_stream(url, self.user_agent)
        except SourceError as error:
            self.errors.append(str(error))
            raw = None
        try:
            # Opened even when the URL failed: the reader then sees an empty file, not a hang.
            with open(pipe, "wb") as sink:
                if raw is not None:
                    with raw:
                        text = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == b"\x1f\x8b" else raw
                        shutil.copyfileobj(text, sink, 1 << 20)
        except BrokenPipeError:
            pass
        except (OSError, EOFError) as error:
            if getattr(error, "errno", None) != errno.EPIPE:
                self.errors.append(f"{url}: {error}")
                logger.error("Could not stream %s: %s", url, error)

    def close(self) -> None:
        # A pipe DuckDB never opened keeps its writer waiting in open(): open the reading
        # end once, so the writer gets a broken pipe and ends.
        for pipe, thread in zip(self.pipes, self.threads, strict=True):
            if thread.is_alive():
                with contextlib.suppress(OSError):
                    os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))
            thread.join(timeout=5)
        for pipe in self.pipes:
            pipe.unlink(missing_ok=True)
        self.pipes, self.threads = [], []


class GraphScan:
    """One DuckDB connection over one release; ``referrers`` runs the scans for a target."""

    def __init__(
        self,
        vertices: list[str],
        edges: list[str],
        ranks: list[str] | None = None,
        threads: int = 0,
        user_agent: str = USER_AGENT,
    ) -> None:
        if not vertices or not edges:
            raise GraphError("give the vertices and the edges of the graph")
        self.vertices, self.edges, self.ranks = vertices, edges, ranks or []
        self.threads = threads
        self.user_agent = user_agent

    @contextlib.contextmanager
    def _connection(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, _Pipes]]:
        with tempfile.TemporaryDirectory(prefix="backlinks-cc-graph-") as directory:
            connection = duckdb.connect(config={"preserve_insertion_order": False})
            if self.threads:
                connection.execute(f"SET threads = {int(self.threads)}")
            connection.execute(f"SET temp_directory = {_literal(str(Path(directory) / 'spill'))}")
            pipes = _Pipes(Path(directory), self.user_agent)
            try:
                yield connection, pipes
            finally:
                pipes.close()
                connection.close()

    def _run(self, connection: duckdb.DuckDBPyConnection, pipes: _Pipes, sql: str, inputs: list[str]) -> None:
        try:
            connection.execute(sql.replace("$FILES", _files(pipes.paths(inputs))))
        except duckdb.Error as error:
            first = str(error).strip().splitlines()[0]
            raise GraphError(f"cannot read {', '.join(inputs)}: {first}") from None
        finally:
            pipes.close()
        if pipes.errors:
            raise GraphError("; ".join(pipes.errors))

    def referrers(self, target: str) -> GraphResult:
        """The vertices with an edge to ``target`` (its registered domain and every host
        under it), other than the target's own, with their ranks when a ranks file is given."""
        target = domain_of(target)
        reversed_target = reverse_host(ascii_host(target))
        with self._connection() as (connection, pipes):
            self._run(
                connection,
                pipes,
                f"""CREATE TEMP TABLE targets AS
                SELECT id, name, n_hosts FROM read_csv($FILES, {_TEXT}, null_padding=true, columns={_VERTEX_COLUMNS})
                WHERE name = {_literal(reversed_target)} OR starts_with(name, {_literal(reversed_target + ".")})""",
                self.vertices,
            )
            found = connection.execute("SELECT name, n_hosts FROM targets ORDER BY name").fetchall()
            level = "domain" if any(n_hosts is not None for _, n_hosts in found) else "host"
            result = GraphResult(target, level, [unicode_host(reverse_host(name)) for name, _ in found])
            if not found:
                return result
            self._run(
                connection,
                pipes,
                f"""CREATE TEMP TABLE links AS
                SELECT DISTINCT from_id, to_id FROM read_csv($FILES, {_TEXT}, columns={_EDGE_COLUMNS})
                WHERE to_id IN (SELECT id FROM targets) AND from_id NOT IN (SELECT id FROM targets)""",
                self.edges,
            )
            self._run(
                connection,
                pipes,
                f"""CREATE TEMP TABLE sources AS
                SELECT id, name FROM read_csv($FILES, {_TEXT}, null_padding=true, columns={_VERTEX_COLUMNS})
                WHERE id IN (SELECT from_id FROM links)""",
                self.vertices,
            )
            ranks_join = ""
            rank_columns = "NULL, NULL, NULL, NULL"
            if self.ranks:
                self._run(
                    connection,
                    pipes,
                    f"""CREATE TEMP TABLE ranks AS
                    SELECT name, TRY_CAST(hc_pos AS BIGINT) AS hc_pos, TRY_CAST(hc_val AS DOUBLE) AS hc_val,
                           TRY_CAST(pr_pos AS BIGINT) AS pr_pos, TRY_CAST(pr_val AS DOUBLE) AS pr_val
                    FROM read_csv($FILES, {_TEXT.replace("header=false", "header=true")}, null_padding=true,
                                  columns={_RANK_COLUMNS})
                    WHERE name IN (SELECT name FROM sources)""",
                    self.ranks,
                )
                ranks_join = "LEFT JOIN ranks r ON r.name = s.name"
                rank_columns = "any_value(r.hc_pos), any_value(r.hc_val), any_value(r.pr_pos), any_value(r.pr_val)"
            rows = connection.execute(
                f"""SELECT s.name, {rank_columns}, list(DISTINCT t.name ORDER BY t.name)
                FROM links l JOIN sources s ON s.id = l.from_id JOIN targets t ON t.id = l.to_id {ranks_join}
                GROUP BY s.name"""
            ).fetchall()
        for name, hc_pos, hc_val, pr_pos, pr_val, linked in rows:
            host = unicode_host(reverse_host(name))
            result.referrers.append(
                Referrer(
                    referrer=host,
                    domain=domain_of(host),
                    harmonic_rank=hc_pos,
                    harmonic_value=hc_val,
                    pagerank_rank=pr_pos,
                    pagerank_value=pr_val,
                    links_to=tuple(unicode_host(reverse_host(t)) for t in linked),
                )
            )
        result.referrers.sort(key=lambda r: (r.harmonic_rank is None, r.harmonic_rank or 0, r.referrer))
        return result

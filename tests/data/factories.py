"""Helpers of the store and ingestion tests: run the command line (in this process, or as the real
`python cli.py` process), query a store file, and fingerprint every table.
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

import cli
from data.prediction_parts import parts_root
from data.store import StoreSettings, connect

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BAD = HERE / "bad"
GOOD = HERE / "good"


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python cli.py ARGS` in the project root, as a user would run it."""
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli_in_process(*args: str) -> subprocess.CompletedProcess[str]:
    """`python cli.py ARGS` through `cli.main` in this process, from the project root: the exit
    status, stdout and stderr the command gives, without a new interpreter's start-up (about a
    second of imports per call). Tests of what only a process shows (signals, kill points, the
    interpreter's exit) use `run_cli`."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(list(args))
        except SystemExit as usage:  # argparse ends a usage error with SystemExit(2)
            status = usage.code if isinstance(usage.code, int) else 1
    return subprocess.CompletedProcess(["cli.py", *args], status, out.getvalue(), err.getvalue())


def _ingest_args(
    settings: StoreSettings, kind: str, files: tuple[Path, ...], extra: tuple[str, ...]
) -> tuple[str, ...]:
    return ("ingest", "--db", str(settings.path), "--kind", kind, *extra, *(str(f) for f in files))


def ingest(
    settings: StoreSettings, kind: str, *files: Path, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`python cli.py ingest --db STORE --kind KIND FILES`, in this process (`cli_in_process`)."""
    return cli_in_process(*_ingest_args(settings, kind, files, extra))


def ingest_process(
    settings: StoreSettings, kind: str, *files: Path, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The same command as `ingest`, as the real `python cli.py` process (`run_cli`)."""
    return run_cli(*_ingest_args(settings, kind, files, extra))


def start_ingest(
    settings: StoreSettings, kind: str, *files: Path, stdout: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """The same command as `ingest`, started as the real `python cli.py` process and left
    running, for a test that stops it midway (stderr piped: its progress lines)."""
    return subprocess.Popen(
        [sys.executable, "cli.py", *_ingest_args(settings, kind, files, ())],
        cwd=ROOT,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


def table_checksums(path: Path) -> dict[str, tuple[int, int | None]]:
    """Row count and an order-independent hash of every row, per table of the store (predictions:
    the table and its Parquet parts, as every reader sees them)."""
    with connect(StoreSettings(path), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_catalog = current_database() ORDER BY table_name"
            ).fetchall()
        ]
        # One statement for every table: a query per table cost more than the hashing itself.
        every_table = " UNION ALL ".join(
            f'SELECT {i} AS position, count(*), sum(hash(t)) FROM "{t}" t'
            for i, t in enumerate(tables)
        )
        rows = con.execute(f"{every_table} ORDER BY position").fetchall() if tables else []
        return {t: (count, digest) for t, (_, count, digest) in zip(tables, rows, strict=True)}


def query(path: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    """Rows of a read-only query, for checks (predictions: the table and its parts)."""
    with connect(StoreSettings(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def copy_store(source: Path, target: Path) -> Path:
    """Copy a store as a backup would: its file and its parts folder; returns the copy's path."""
    shutil.copy2(source, target)
    if parts_root(source).is_dir():
        shutil.copytree(parts_root(source), parts_root(target))
    return target


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write a small input file exactly as given (no newline translation); returns its path."""
    path.write_bytes(text.encode(encoding))
    return path


def write_parquet(path: Path, columns: dict[str, object]) -> Path:
    """A Parquet file of the given pyarrow arrays (or lists of values), by column name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)
    return path


# Rows of the large files that tests stopping a load midway load, smaller first (the files are
# written once per worker: tests/conftest.py, tests/data/conftest.py). A load must last long
# enough that the step to stop it in is reached (its progress line shows only after a second) and
# still runs when the signal comes. The smallest file does when this machine is slow; when its
# load finished first, the test tries the next one (`stop_midway`), written only then.
LARGE_EVENTS = (2_000_000, 4_000_000, 8_000_000)
LARGE_PREDICTIONS = (1_500_000, 3_000_000, 6_000_000)


def write_large_events_csv(path: Path, rows: int) -> None:
    """`rows` distinct events as CSV, written by DuckDB itself (no Python loop)."""
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT 'crash' || (i % 50000) AS unit_id, 'impression' AS event, 1 AS value, "
            f"TIMESTAMP '2020-01-01' + to_microseconds(i * 1000) AS ts FROM range({rows}) r(i)) "
            f"TO '{path}' (HEADER, DELIMITER ',')"
        )
    finally:
        con.close()


def wait_for_stderr(process: subprocess.Popen[bytes], marker: bytes, timeout: float) -> bool:
    """Read the process's stderr (progress lines end in \\r, not \\n) until `marker` appears."""
    assert process.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stderr], [], [], 0.05)
        if ready:
            seen += os.read(process.stderr.fileno(), 4096)
            if marker in seen:
                return True
    return False


def write_large_predictions_csv(path: Path, rows: int, model_id: str) -> None:
    """`rows` distinct predictions of `model_id` in July 2026, as CSV written by DuckDB itself."""
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT TIMESTAMP '2026-07-01' + to_microseconds(i * 997) AS ts, "
            f"'{model_id}' AS model_id, 'k' || i AS request_id, "
            "(hash(i) % 1000003) / 1000003.0 AS score, (hash(i, 1) % 900) / 10.0 AS latency_ms, "
            f"(hash(i, 2) % 5000)::DOUBLE AS price FROM range({rows}) r(i)) "
            f"TO '{path}' (HEADER, DELIMITER ',')"
        )
    finally:
        con.close()


@dataclass(frozen=True)
class StartedLoad:
    """An ingest started as the real `python cli.py` process, into its own store, of `rows` rows."""

    process: subprocess.Popen[bytes]
    settings: StoreSettings
    rows: int


def load_on_copy(
    template: Path,
    folder: Path,
    kind: str,
    file_of: Callable[[int], Path],
    stdout: int = subprocess.DEVNULL,
) -> Callable[[int], StartedLoad]:
    """`start(rows)` for `stop_midway`: the ingest of `file_of(rows)` into a fresh copy of the
    store `template` (in `folder`, one per size)."""

    def start(rows: int) -> StartedLoad:
        settings = StoreSettings(copy_store(template, folder / f"{rows}.duckdb"))
        return StartedLoad(
            start_ingest(settings, kind, file_of(rows), stdout=stdout), settings, rows
        )

    return start


def writing_for_a_moment(load: StartedLoad) -> bool:
    """Whether the load said "writing" (every check has passed and the write begins); then 0.3 s
    more, so that a stop lands inside the write rather than at its start."""
    if not wait_for_stderr(load.process, b"writing", timeout=300):
        return False
    time.sleep(0.3)
    return True


def stop_midway(
    sizes: Sequence[int],
    start: Callable[[int], StartedLoad],
    reached: Callable[[StartedLoad], bool],
) -> StartedLoad:
    """A load started by `start(rows)` that is at the point to stop it (`reached`) and still
    running: each size is tried in turn until one is. A load that finished first (or never said
    it got there) is waited for, and the next size tried on a fresh store."""
    for rows in sizes:
        load = start(rows)
        if reached(load) and load.process.poll() is None:
            return load
        load.process.kill()
        load.process.communicate()
    raise AssertionError(f"every load ({', '.join(map(str, sizes))} rows) ended before its stop")

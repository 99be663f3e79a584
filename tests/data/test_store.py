"""The store under stress: upgrades in place, waits out a lock or says so, survives a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from data.prediction_parts import parts_folder
from data.store import (
    StoreLockedError,
    StoreSettings,
    available_migrations,
    connect,
    latest_schema_version,
    migrate,
    schema_version,
    upgrade_if_needed,
)
from i18n.errors import describe
from tests.data.factories import (
    LARGE_EVENTS,
    LARGE_PREDICTIONS,
    ROOT,
    StartedLoad,
    ingest_process,
    load_on_copy,
    query,
    start_ingest,
    stop_midway,
    table_checksums,
    write_large_predictions_csv,
    writing_for_a_moment,
)
from tests.factories import dashboard
from tests.monitoring.factories import MODEL, store

HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_a_store_at_the_first_migration_upgrades_in_place_and_keeps_its_rows(
    empty_settings: StoreSettings,
) -> None:
    con = duckdb.connect(str(empty_settings.path))
    assert migrate(con, target=1) == [1]
    con.execute(
        "INSERT INTO models VALUES ('m1', 'fam', 'v1', TIMESTAMP '2026-01-01', NULL, "
        "'kept across upgrades', 'production')"
    )
    con.execute("INSERT INTO events VALUES ('u1', 'click', 1, TIMESTAMP '2026-01-02 03:04:05')")
    con.close()

    with connect(empty_settings) as upgraded:
        assert schema_version(upgraded) == latest_schema_version()
        versions = upgraded.execute(
            "SELECT version, name FROM schema_version ORDER BY version"
        ).fetchall()

    assert versions == [(m.version, m.name) for m in available_migrations()]
    assert latest_schema_version() > 1
    assert query(empty_settings.path, "SELECT model_id, notes FROM models") == [
        ("m1", "kept across upgrades")
    ]
    assert query(empty_settings.path, "SELECT count(*) FROM events") == [(1,)]


def test_migrating_an_up_to_date_store_again_changes_nothing(empty_settings: StoreSettings) -> None:
    with connect(empty_settings):
        pass
    con = duckdb.connect(str(empty_settings.path))
    try:
        before = con.execute("SELECT * FROM schema_version ORDER BY version").fetchall()
        assert migrate(con) == []
        assert con.execute("SELECT * FROM schema_version ORDER BY version").fetchall() == before
    finally:
        con.close()


def test_a_connection_to_an_existing_store_takes_a_registered_frame(
    empty_settings: StoreSettings,
) -> None:
    """Opening checks the schema version; that check leaves no unfinished result behind, which
    DuckDB would hold against the caller's next `register`."""
    import pandas as pd

    with connect(empty_settings):
        pass
    with connect(empty_settings) as con:
        con.register("frame", pd.DataFrame({"model_id": ["m"]}))
        assert con.execute("SELECT model_id FROM frame").fetchall() == [("m",)]


def hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process with a write connection open on `path`, for `seconds`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_store_held_by_another_process_is_reported_locked_after_retrying(
    empty_settings: StoreSettings,
) -> None:
    with connect(empty_settings):
        pass
    holder = hold_write_lock(empty_settings.path, 30)
    try:
        impatient = StoreSettings(empty_settings.path, lock_timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(StoreLockedError) as locked, connect(impatient):
            pass
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()

    assert waited >= 0.5
    assert locked.value.code == "store.locked"
    message = describe(locked.value, "en")
    assert str(empty_settings.path) in message
    assert "in use by another process" in message
    assert "try again" in message


def test_a_lock_released_within_the_timeout_lets_the_write_through(
    empty_settings: StoreSettings,
) -> None:
    with connect(empty_settings):
        pass
    holder = hold_write_lock(empty_settings.path, 1.0)
    try:
        patient = StoreSettings(empty_settings.path, lock_timeout_s=30)
        with connect(patient) as con:
            con.execute(
                "INSERT INTO events (unit_id, event, value, ts) "
                "VALUES ('u1', 'click', 1, TIMESTAMP '2026-01-01')"
            )
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
        holder.wait()
    assert query(empty_settings.path, "SELECT count(*) FROM events") == [(1,)]


def wal_written(load: StartedLoad, timeout: float = 300) -> bool:
    """Wait until the load's store has content in its write-ahead log (DuckDB's FILE.wal beside
    it): DuckDB logs a large insert as it commits."""
    wal = load.settings.path.with_name(load.settings.path.name + ".wal")
    process = load.process
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > 0:
            return True
        time.sleep(0.005)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("kill_point", ["while inserting", "once the log is written"])
def test_an_ingest_killed_midway_leaves_all_of_the_file_or_none(
    kill_point: str,
    demo_store_template: Path,
    large_events_csv: Callable[[int], Path],
    tmp_path: Path,
) -> None:
    (before,) = query(demo_store_template, "SELECT count(*) FROM events")[0]
    start = load_on_copy(demo_store_template, tmp_path, "events", large_events_csv)
    reached = writing_for_a_moment if kill_point == "while inserting" else wal_written
    load = stop_midway(LARGE_EVENTS, start, reached)
    os.kill(load.process.pid, signal.SIGKILL)
    load.process.wait()
    assert load.process.returncode == -signal.SIGKILL

    settings, rows = load.settings, load.rows
    with connect(settings, read_only=True) as con:
        (after,) = con.execute("SELECT count(*) FROM events").fetchone()
        (crash_rows,) = con.execute(
            "SELECT count(*) FROM events WHERE unit_id LIKE 'crash%'"
        ).fetchone()
    assert after in (before, before + rows)
    assert crash_rows in (0, rows)
    assert after - before == crash_rows
    with connect(settings) as writable:
        assert writable.execute("SELECT count(*) FROM events").fetchone()[0] == after


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_a_predictions_load_stopped_while_writing_its_part_lists_no_part(
    stop: signal.Signals, tmp_path: Path, large_predictions_csv: Callable[[int], Path]
) -> None:
    checksums: dict[int, dict[str, tuple[int, int | None]]] = {}

    def start(rows: int) -> StartedLoad:
        settings = store(tmp_path / f"{rows}" / "store.duckdb")
        checksums[rows] = table_checksums(settings.path)
        process = start_ingest(settings, "predictions", large_predictions_csv(rows))
        return StartedLoad(process, settings, rows)

    load = stop_midway(LARGE_PREDICTIONS, start, writing_for_a_moment)
    load.process.send_signal(stop)
    load.process.wait()

    settings = load.settings
    assert table_checksums(settings.path) == checksums[load.rows]
    assert query(settings.path, "SELECT count(*) FROM prediction_parts") == [(0,)]
    folder = parts_folder(settings.path)
    if stop == signal.SIGINT:  # a rolled-back load removes what it wrote
        assert not folder.exists() or not any(folder.iterdir())
    small = tmp_path / "small.csv"
    write_large_predictions_csv(small, 10, MODEL)
    done = ingest_process(settings, "predictions", small)
    assert done.returncode == 0, done.stderr
    assert len(list(folder.iterdir())) == 1  # the next writer removed the orphan
    assert query(settings.path, "SELECT count(*) FROM predictions") == [(10,)]


def test_an_older_store_is_upgraded_once_for_readers_and_then_left_alone(
    empty_settings: StoreSettings,
) -> None:
    con = duckdb.connect(str(empty_settings.path))
    migrate(con, target=1)
    con.close()

    applied = upgrade_if_needed(empty_settings)

    assert applied == [m.version for m in available_migrations() if m.version > 1]
    assert upgrade_if_needed(empty_settings) == []
    assert upgrade_if_needed(StoreSettings(empty_settings.path.with_name("absent.duckdb"))) == []


def test_the_dashboard_opens_a_store_made_by_the_first_version(
    empty_settings: StoreSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = duckdb.connect(str(empty_settings.path))
    migrate(con, target=1)
    con.execute(
        "INSERT INTO models VALUES ('m1', 'fam', 'v1', TIMESTAMP '2026-01-01', NULL, NULL, "
        "'production')"
    )
    con.close()
    monkeypatch.setenv("YARDSTICK_DB", str(empty_settings.path))
    app = dashboard("en", timeout_s=90)
    app.run()
    assert not app.exception, app.exception
    assert "fam: m1" in [s.value for s in app.subheader]


# Run in a fresh interpreter, as a command line runs: a connection whose COMMIT gets Ctrl-C (SIGINT
# to the main thread, so the signal is taken as COMMIT starts) as it begins; prints whether
# KeyboardInterrupt surfaced and how far `commits_so_far` moved. The probe first gives Ctrl-C
# Python's own handler, as a command typed in a terminal has it: a process inherits an IGNORED
# Ctrl-C from its parent (a suite started in the background by a non-interactive shell, as CI may
# start it, or a test worker after a test that ignores it), and Python then leaves it ignored, so
# the held signal was re-raised into "ignore" and the test failed now and then.
_COMMIT_PROBE = """
import datetime as dt, signal, sys, threading
from pathlib import Path
from data.store import StoreSettings, commit, commits_so_far, connect, write_audit

signal.signal(signal.SIGINT, signal.default_int_handler)

class SignalledAtCommit:
    def __init__(self, con):
        self.con = con

    def execute(self, sql, *params):
        if sql == "COMMIT":
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return self.con.execute(sql, *params)

settings = StoreSettings(Path(sys.argv[1]))
with connect(settings) as con:
    con.execute("BEGIN TRANSACTION")
    write_audit(con, "probe", "commit", at=dt.datetime(2026, 11, 28, 6))
    before = commits_so_far()
    try:
        commit(SignalledAtCommit(con), settings.path)
    except KeyboardInterrupt:
        print("interrupted", commits_so_far() - before)
    else:
        print("not interrupted", commits_so_far() - before)
"""


def test_ctrl_c_during_a_commit_surfaces_after_it_is_stored_and_counted(
    empty_settings: StoreSettings,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _COMMIT_PROBE, str(empty_settings.path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["interrupted", "1"], done.stdout + done.stderr
    assert query(empty_settings.path, "SELECT count(*) FROM audit_log WHERE action = 'probe'") == [
        (1,)
    ]


@pytest.mark.slow
def test_ctrl_c_as_an_ingest_commits_says_whether_the_load_is_stored(
    demo_store_template: Path, large_events_csv: Callable[[int], Path], tmp_path: Path
) -> None:
    (before,) = query(demo_store_template, "SELECT count(*) FROM events")[0]
    start = load_on_copy(
        demo_store_template, tmp_path, "events", large_events_csv, stdout=subprocess.PIPE
    )

    # DuckDB writes a large insert to the log as it commits: Ctrl-C then lands inside COMMIT.
    load = stop_midway(LARGE_EVENTS, start, wal_written)
    process, rows = load.process, load.rows
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)

    (after,) = query(load.settings.path, "SELECT count(*) FROM events")[0]
    assert process.returncode == 130, stderr
    assert b"Traceback" not in stderr
    assert after in (before, before + rows)
    if after == before + rows:
        assert b"interrupted: the command's changes had already been stored" in stderr
    else:
        assert b"interrupted: nothing was written by the unfinished command" in stderr

"""The monitoring benchmark compares like with like: on a small store built by its own generator,
the hand-written query counts exactly the bins and categories `monitor check` reads, for the last
daily window and for each of the heat map's 30 windows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from benchmarks import monitor_scale
from data import monitor_store
from data.prediction_parts import native_table, parts_folder
from data.store import StoreSettings, connect
from monitoring.drift import psi
from services.monitoring_views import drift_map


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "m.duckdb"
    monitor_scale.build(path, rows=37_000, seed=3, chunk=20_000)
    monitor_scale._define(path)
    return path


def _hand_counts(path: Path, windows: int) -> dict[tuple[str, int], dict[str, int]]:
    """(column, side) -> bucket -> n from the hand query (side -1: the reference)."""
    # The store's connection: `predictions` is the table and the Parquet parts the build wrote.
    with connect(StoreSettings(path), read_only=True) as con:
        cursor = con.execute(monitor_scale.hand_query(windows))
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    counts: dict[tuple[str, int], dict[str, int]] = {}
    for row in rows:
        record = dict(zip(names, row, strict=True))
        filled = [n for n in names if n.startswith("b_") and record[n] is not None]
        if filled:
            (name,) = filled
            key = (name[2:], int(record["side"]))
            counts.setdefault(key, {})[str(record[name])] = int(record["n"])
    return counts


def test_the_hand_query_counts_what_the_check_reads(built: Path) -> None:
    first = monitor_scale.FIRST_DAY
    reference = (first, first + dt.timedelta(days=6))
    last = first + dt.timedelta(days=monitor_scale.DAYS - 1)
    hand = _hand_counts(built, 1)
    with connect(StoreSettings(built), read_only=True) as con:
        numeric, categorical = monitor_store.feature_readings(
            con,
            monitor_scale.FAMILY,
            list(monitor_scale.NUMERIC),
            list(monitor_scale.CATEGORICAL),
            reference,
            (last, last),
        )
    for name, readings in zip(monitor_scale.NUMERIC, numeric, strict=True):
        for side, bins in ((-1, readings.reference_bins), (0, readings.window_bins)):
            expected = {str(k): n for k, n in enumerate(bins) if n}
            assert hand[(name, side)] == expected, name
    for name, counts in zip(monitor_scale.CATEGORICAL, categorical, strict=True):
        assert hand[(name, -1)] == counts.reference
        assert hand[(name, 0)] == counts.window


def test_the_hand_query_counts_what_the_heat_map_reads(built: Path) -> None:
    cells = drift_map(StoreSettings(built), monitor_scale.MONITOR_ID, windows=30).cells
    hand = _hand_counts(built, 30)
    windows = sorted({c.window for c in cells})
    assert len(windows) == 30
    for name in monitor_scale.NUMERIC:
        reference = [hand[(name, -1)].get(str(k), 0) for k in range(12)]
        for index, window in enumerate(windows):
            counts = [hand.get((name, index), {}).get(str(k), 0) for k in range(12)]
            (cell,) = [c for c in cells if c.feature == name and c.window == window]
            assert cell.psi == pytest.approx(psi(reference, counts), abs=1e-12), (name, window)


def test_the_build_writes_its_rows_as_parts_through_the_ingest_writer(built: Path) -> None:
    with connect(StoreSettings(built), read_only=True) as con:
        native = con.execute(f"SELECT count(*) FROM {native_table(con)}").fetchone()
        listed = con.execute("SELECT count(*), sum(rows) FROM prediction_parts").fetchone()
        read = con.execute("SELECT count(*), count(DISTINCT batch_id) FROM predictions").fetchone()
    assert native == (0,)
    assert listed == (2, 37_000)  # two chunks of at most 20,000 rows: two load batches
    assert read == (37_000, 2)
    assert len(list(parts_folder(built).iterdir())) == 2

"""Predictions stored as Parquet parts beside the store: every reader sees one relation holding the
same values and types the table would hold; a part is listed only once its load commits, removed
after its deletion commits, and an unlisted file is never read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.clock import fixed_clock
from data.batches import delete_rows
from data.ingest import IngestError, ingest_files
from data.prediction_parts import native_table, parts_folder, parts_root
from data.store import StoreFaultError, StoreSettings, connect
from i18n.errors import describe
from tests.data.factories import cli_in_process, copy_store, query, table_checksums
from tests.monitoring.factories import MODEL, store

CLOCK = fixed_clock(dt.datetime(2026, 11, 28, 6, 0))
ROWS = 500


def _frame(seed: int = 5, rows: int = ROWS) -> pd.DataFrame:
    """Predictions with every kind of column: microsecond timestamps out of order, full-precision
    doubles, NULLs in optional and feature columns, a numeric and a categorical feature."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-07-01T00:00:00", "us")
    ts = start + rng.integers(0, 7 * 86_400_000_000, rows).astype("timedelta64[us]")
    latency = rng.lognormal(3, 0.4, rows)
    latency[rng.random(rows) < 0.1] = np.nan
    label = rng.integers(0, 2, rows).astype(float)
    label[rng.random(rows) < 0.5] = np.nan
    price = rng.normal(0, 1e6, rows)
    price[rng.random(rows) < 0.2] = np.nan
    category = rng.choice(np.array(["靴", "bags", "hats"], dtype=object), rows)
    category[rng.random(rows) < 0.2] = None
    return pd.DataFrame(
        {
            "ts": ts,
            "model_id": MODEL,
            "request_id": [f"q{seed}-{i}" for i in range(rows)],
            "score": rng.random(rows),
            "served_by": rng.choice(["model", "popular"], rows),
            "latency_ms": latency,
            "label": label,
            "price": price,
            "category": category,
        }
    )


def _parquet(path: Path, frame: pd.DataFrame) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def _parts(settings: StoreSettings) -> list[Path]:
    folder = parts_folder(settings.path)
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _manifest(settings: StoreSettings) -> list[tuple]:
    return query(settings.path, "SELECT file_name, batch_id, rows FROM prediction_parts")


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[StoreSettings, pd.DataFrame]:
    settings = store(tmp_path / "store.duckdb")
    frame = _frame()
    ingest_files(settings, "predictions", [_parquet(tmp_path / "p.parquet", frame)], clock=CLOCK)
    return settings, frame


def _same_bits(stored: pd.Series, given: pd.Series) -> bool:
    left = stored.to_numpy(dtype=float)
    right = given.to_numpy(dtype=float)
    return bool(
        np.array_equal(np.isnan(left), np.isnan(right))
        and np.array_equal(np.nan_to_num(left).view(np.int64), np.nan_to_num(right).view(np.int64))
    )


def test_a_load_reads_back_with_every_value_and_type_the_table_holds(
    loaded: tuple[StoreSettings, pd.DataFrame],
) -> None:
    settings, frame = loaded
    (part,) = _parts(settings)
    assert _manifest(settings) == [(part.name, 1, ROWS)]
    with connect(settings, read_only=True) as con:
        stored = con.execute("SELECT * FROM predictions ORDER BY request_id").df()
        view_types = con.execute("DESCRIBE predictions").fetchall()
        table_types = con.execute(f"DESCRIBE {native_table(con)}").fetchall()
        part_types = dict(
            con.execute(f"DESCRIBE SELECT * FROM read_parquet('{part}')").fetchall()[i][:2]
            for i in range(len(table_types))
        )
    assert [(name, kind) for name, kind, *_ in view_types] == [
        (name, kind) for name, kind, *_ in table_types
    ]
    assert part_types == {name: kind for name, kind, *_ in table_types}
    given = frame.sort_values("request_id").reset_index(drop=True)
    assert stored["ts"].astype("datetime64[us]").tolist() == given["ts"].tolist()
    for name in ("model_id", "request_id", "served_by"):
        assert stored[name].tolist() == given[name].tolist()

    def text(values: pd.Series) -> list[str | None]:
        return [None if pd.isna(v) else str(v) for v in values]

    assert text(stored["category"]) == text(given["category"])
    assert stored["category"].isna().sum() == given["category"].isna().sum() > 0
    for name in ("score", "latency_ms", "label", "price"):
        assert _same_bits(stored[name], given[name]), name
    assert set(stored["batch_id"]) == {1}


def test_a_part_holds_its_rows_in_time_order(loaded: tuple[StoreSettings, pd.DataFrame]) -> None:
    settings, _ = loaded
    (part,) = _parts(settings)
    con = duckdb.connect()
    times = [row[0] for row in con.execute(f"SELECT ts FROM read_parquet('{part}')").fetchall()]
    con.close()
    assert times == sorted(times) and len(times) == ROWS


def test_the_same_file_again_adds_nothing_and_a_changed_value_is_refused(
    loaded: tuple[StoreSettings, pd.DataFrame], tmp_path: Path
) -> None:
    settings, frame = loaded
    again = ingest_files(
        settings, "predictions", [_parquet(tmp_path / "again.parquet", frame)], clock=CLOCK
    )
    assert (again.new_rows, again.already_present) == (0, ROWS)
    changed = frame.copy()
    changed.loc[3, "score"] = 0.123
    before = table_checksums(settings.path)
    with pytest.raises(IngestError) as refused:
        ingest_files(
            settings, "predictions", [_parquet(tmp_path / "changed.parquet", changed)], clock=CLOCK
        )
    assert {p.code for p in refused.value.problems} == {"ingest.key_stored"}
    assert table_checksums(settings.path) == before
    assert len(_parts(settings)) == 1


def test_a_refused_load_writes_no_part(tmp_path: Path) -> None:
    settings = store(tmp_path / "store.duckdb")
    bad = _frame()
    bad.loc[7, "latency_ms"] = -1.0
    with pytest.raises(IngestError):
        ingest_files(
            settings, "predictions", [_parquet(tmp_path / "bad.parquet", bad)], clock=CLOCK
        )
    assert _parts(settings) == []
    assert _manifest(settings) == []


def test_deleting_a_batch_drops_its_part_and_the_file_goes_after_commit(
    loaded: tuple[StoreSettings, pd.DataFrame], tmp_path: Path
) -> None:
    settings, frame = loaded
    dry = delete_rows(settings, reason="check", clock=CLOCK, batch_id=1, dry_run=True)
    assert dry.rows == ROWS and len(_parts(settings)) == 1
    done = delete_rows(settings, reason="wrong file", clock=CLOCK, batch_id=1)
    assert done.rows == ROWS
    assert _parts(settings) == [] and _manifest(settings) == []
    assert query(settings.path, "SELECT count(*) FROM predictions") == [(0,)]
    reloaded = ingest_files(
        settings, "predictions", [_parquet(tmp_path / "p.parquet", frame)], clock=CLOCK
    )
    assert reloaded.new_rows == ROWS


def test_deleting_by_key_writes_the_part_again_without_those_rows(
    loaded: tuple[StoreSettings, pd.DataFrame],
) -> None:
    settings, frame = loaded
    (old,) = _parts(settings)
    target = frame.iloc[10]
    key = {"model_id": MODEL, "request_id": str(target["request_id"])}
    done = delete_rows(settings, reason="test row", clock=CLOCK, kind="predictions", key=key)
    assert done.rows == 1
    (new,) = _parts(settings)
    assert new != old and not old.exists()
    assert _manifest(settings) == [(new.name, 1, ROWS - 1)]
    left = query(settings.path, "SELECT request_id FROM predictions")
    assert sorted(r[0] for r in left) == sorted(set(frame["request_id"]) - {key["request_id"]})


def test_a_file_the_manifest_does_not_list_is_never_read_and_the_next_writer_removes_it(
    loaded: tuple[StoreSettings, pd.DataFrame], tmp_path: Path
) -> None:
    settings, _ = loaded
    (part,) = _parts(settings)
    orphan = part.with_name("99-orphan.parquet")
    orphan.write_bytes(part.read_bytes())
    assert query(settings.path, "SELECT count(*) FROM predictions") == [(ROWS,)]
    more = _frame(seed=6, rows=20)
    ingest_files(settings, "predictions", [_parquet(tmp_path / "more.parquet", more)], clock=CLOCK)
    assert not orphan.exists()
    assert query(settings.path, "SELECT count(*) FROM predictions") == [(ROWS + 20,)]


def test_parts_written_before_a_feature_existed_read_it_as_null(
    loaded: tuple[StoreSettings, pd.DataFrame], tmp_path: Path
) -> None:
    settings, _ = loaded
    more = _frame(seed=8, rows=30).assign(basket=lambda f: f["score"] * 10)
    ingest_files(settings, "predictions", [_parquet(tmp_path / "more.parquet", more)], clock=CLOCK)
    counts = query(
        settings.path,
        "SELECT batch_id, count(basket), count(*) FROM predictions GROUP BY ALL ORDER BY 1",
    )
    assert counts == [(1, 0, ROWS), (2, 30, 30)]


def test_a_copied_store_and_folder_read_the_same(
    loaded: tuple[StoreSettings, pd.DataFrame], tmp_path: Path
) -> None:
    settings, _ = loaded
    before = table_checksums(settings.path)
    (tmp_path / "backup").mkdir()
    copy = copy_store(settings.path, tmp_path / "backup" / "copy.duckdb")
    moved = settings.path.with_name("gone.duckdb")
    settings.path.rename(moved)
    parts_root(settings.path).rename(parts_root(moved))
    assert table_checksums(copy) == before


def test_a_missing_part_is_named_with_the_way_out_and_no_traceback(
    loaded: tuple[StoreSettings, pd.DataFrame],
) -> None:
    settings, _ = loaded
    (part,) = _parts(settings)
    part.unlink()
    with pytest.raises(StoreFaultError) as missing, connect(settings, read_only=True):
        pass
    assert missing.value.code == "store.part_missing"
    for lang in ("en", "ja"):
        text = describe(missing.value, lang)
        assert str(part) in text and str(settings.path) in text
    shown = cli_in_process("batches", "--db", str(settings.path))
    assert shown.returncode == 1
    assert str(part) in shown.stderr and "Traceback" not in shown.stderr

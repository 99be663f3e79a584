"""Loading predictions, late labels and annotations: validated before writing, one transaction,
idempotent, every problem at its line and column; features typed from the file, each stored as a
column of its own."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.prediction_parts import parts_folder
from data.store import StoreSettings
from tests.monitoring.factories import rows, run_cli, store

HEADER = "ts,model_id,request_id,score,served_by,latency_ms,price,category_id\n"
FIRST = (
    HEADER + "2026-06-01 10:00:00,rec-v1,r1,0.5,model,12,100,a\n"
    "2026-06-01 10:00:01,rec-v1,r2,0.6,,13,200.5,7\n"
    "2026-06-01 10:00:02,rec-v1,r3,0.7,random,,,b\n"
)


def _load(capsys, settings: StoreSettings, kind: str, path: Path) -> tuple[int, str, str]:
    """The ingest's status, stdout and stderr without its progress lines: a load that takes over a
    second (a loaded machine) shows "\rreading ..." lines, which are not messages."""
    status, out, err = run_cli(
        capsys, "ingest", "--db", str(settings.path), "--kind", kind, str(path)
    )
    messages = [line for line in err.split("\n") if not line.startswith("\r")]
    return status, out, "\n".join(messages)


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _columns(settings: StoreSettings) -> dict[str, str]:
    found = rows(
        settings,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'predictions'",
    )
    return dict(found)


@pytest.fixture
def settings(tmp_path: Path) -> StoreSettings:
    return store(tmp_path / "s.duckdb")


def test_features_are_typed_from_the_file_and_defaults_fill_empty_cells(
    capsys, tmp_path: Path, settings: StoreSettings
) -> None:
    status, out, err = _load(capsys, settings, "predictions", _file(tmp_path, "p.csv", FIRST))
    assert (status, err) == (0, "")
    assert "3 new" in out
    columns = _columns(settings)
    assert (columns["price"], columns["category_id"]) == ("DOUBLE", "VARCHAR")
    assert rows(
        settings,
        "SELECT request_id, served_by, latency_ms, price, category_id FROM predictions ORDER BY ts",
    ) == [
        ("r1", "model", 12.0, 100.0, "a"),
        ("r2", "model", 13.0, 200.5, "7"),
        ("r3", "random", None, None, "b"),
    ]


def test_loading_the_same_file_again_adds_nothing(capsys, tmp_path, settings) -> None:
    path = _file(tmp_path, "p.csv", FIRST)
    _load(capsys, settings, "predictions", path)
    status, out, _ = _load(capsys, settings, "predictions", path)
    assert status == 0 and "0 new, 3 already present" in out
    assert rows(settings, "SELECT count(*) FROM predictions") == [(3,)]


def test_a_stored_prediction_is_never_overwritten(capsys, tmp_path, settings) -> None:
    _load(capsys, settings, "predictions", _file(tmp_path, "p.csv", FIRST))
    changed = FIRST.replace("r1,0.5", "r1,0.9")
    status, _, err = _load(capsys, settings, "predictions", _file(tmp_path, "q.csv", changed))
    assert status == 1
    assert "q.csv, line 2" in err and "already stored with different values" in err


def test_text_in_a_numeric_feature_is_refused_at_its_line_and_column_and_adds_no_column(
    capsys, tmp_path, settings
) -> None:
    _load(capsys, settings, "predictions", _file(tmp_path, "p.csv", FIRST))
    later = (
        "ts,model_id,request_id,score,price,session_length\n"
        "2026-06-02 10:00:00,rec-v1,r4,0.5,12,3\n"
        "2026-06-02 10:00:01,rec-v1,r5,0.5,abc,4\n"
    )
    status, _, err = _load(capsys, settings, "predictions", _file(tmp_path, "q.csv", later))
    assert status == 1
    assert 'q.csv, line 3, column price: cannot read "abc" as a number' in err
    assert "session_length" not in _columns(settings)
    assert rows(settings, "SELECT count(*) FROM predictions") == [(3,)]


def test_a_new_feature_adds_a_column_and_older_rows_have_none(capsys, tmp_path, settings) -> None:
    _load(capsys, settings, "predictions", _file(tmp_path, "p.csv", FIRST))
    later = (
        "ts,model_id,request_id,score,category_id,session_length\n2026-06-02,rec-v1,r4,0.5,9,3\n"
    )
    status, _, err = _load(capsys, settings, "predictions", _file(tmp_path, "q.csv", later))
    assert (status, err) == (0, "")
    assert _columns(settings)["session_length"] == "DOUBLE"
    assert rows(
        settings, "SELECT request_id, category_id, session_length FROM predictions ORDER BY ts"
    ) == [
        ("r1", "a", None),
        ("r2", "7", None),
        ("r3", "b", None),
        ("r4", "9", 3.0),
    ]


def test_parquet_features_are_typed_by_their_stored_type(capsys, tmp_path, settings) -> None:
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(["2026-06-01 10:00", "2026-06-01 11:00"]),
            "model_id": ["rec-v1", "rec-v1"],
            "score": [0.1, 0.2],
            "clicks": pd.array([3, 4], dtype="int64"),
            "device": ["ios", "web"],
        }
    )
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    status, _, err = _load(capsys, settings, "predictions", path)
    assert (status, err) == (0, "")
    columns = _columns(settings)
    assert (columns["clicks"], columns["device"]) == ("DOUBLE", "VARCHAR")
    assert rows(settings, "SELECT request_id FROM predictions") == [("",), ("",)]


def test_a_feature_named_like_the_loaders_own_columns_is_refused(
    capsys, tmp_path, settings
) -> None:
    text = "ts,model_id,score,_line\n2026-06-01,rec-v1,0.5,3\n"
    status, _, err = _load(capsys, settings, "predictions", _file(tmp_path, "p.csv", text))
    assert status == 1
    assert "p.csv, line 1: the column '_line' starts with an underscore" in err


def test_a_negative_latency_and_an_unknown_model_are_refused(capsys, tmp_path, settings) -> None:
    text = HEADER + "2026-06-01,rec-v1,r1,0.5,model,-3,1,a\n2026-06-01,rec-v9,r2,0.5,model,3,1,a\n"
    status, _, err = _load(capsys, settings, "predictions", _file(tmp_path, "p.csv", text))
    assert status == 1
    assert "p.csv, line 2, column latency_ms" in err
    assert 'p.csv, line 3, column model_id: unknown model "rec-v9"' in err
    assert rows(settings, "SELECT count(*) FROM predictions") == [(0,)]


def test_late_labels_load_by_request_id_once_and_never_change(capsys, tmp_path, settings) -> None:
    labels = _file(tmp_path, "l.csv", "model_id,request_id,label\nrec-v1,r1,1\nrec-v1,r2,0\n")
    assert _load(capsys, settings, "labels", labels)[0] == 0
    status, out, _ = _load(capsys, settings, "labels", labels)
    assert status == 0 and "0 new, 2 already present" in out
    changed = _file(tmp_path, "m.csv", "model_id,request_id,label\nrec-v1,r1,0\n")
    status, _, err = _load(capsys, settings, "labels", changed)
    assert status == 1 and "m.csv, line 2" in err
    assert rows(settings, "SELECT request_id, label FROM prediction_labels ORDER BY 1") == [
        ("r1", 1.0),
        ("r2", 0.0),
    ]


def test_annotations_take_only_the_documented_kinds(capsys, tmp_path, settings) -> None:
    text = (
        "date,family,kind,note,author\n"
        "2026-08-02,recommender,business,catalogue change,ken\n"
        "2026-08-03,recommender,weather,rain,ken\n"
    )
    status, _, err = _load(capsys, settings, "annotations", _file(tmp_path, "a.csv", text))
    assert status == 1
    assert 'a.csv, line 3, column kind: "weather" is not one of data, labels' in err
    good = _file(tmp_path, "b.csv", text.splitlines(keepends=True)[0] + text.splitlines()[1])
    assert _load(capsys, settings, "annotations", good)[0] == 0
    assert rows(settings, "SELECT kind, note, author FROM annotations") == [
        ("business", "catalogue change", "ken")
    ]


def test_a_feature_named_like_another_column_but_for_case_is_refused(
    capsys, tmp_path, settings
) -> None:
    _load(capsys, settings, "predictions", _file(tmp_path, "p.csv", FIRST))
    for name, other in (("PRICE", "price"), ("Score", "score")):
        text = f"ts,model_id,request_id,score,{name}\n2026-06-02,rec-v1,r9,0.5,3\n"
        status, _, err = _load(capsys, settings, "predictions", _file(tmp_path, "q.csv", text))
        assert status == 1
        assert f"q.csv, line 1: the column '{name}' differs from the column '{other}'" in err
    assert rows(settings, "SELECT count(*) FROM predictions") == [(3,)]


def test_a_load_is_written_in_timestamp_order_whatever_the_files_order(
    capsys, tmp_path: Path, settings: StoreSettings
) -> None:
    """Rows land sorted by ts in their part (so timestamps compress and time windows skip row
    groups), with every value as the file gave it."""
    shuffled = pd.DataFrame(
        {
            "ts": pd.Timestamp("2026-06-01")
            + pd.to_timedelta([(7 * k) % 50 for k in range(50)], "s"),
            "model_id": "rec-v1",
            "request_id": [f"r{k}" for k in range(50)],
            "score": [k / 100 for k in range(50)],
        }
    )
    path = tmp_path / "shuffled.csv"
    shuffled.to_csv(path, index=False)
    # Only the status: a slow machine may show progress on stderr.
    status, _, _ = _load(capsys, settings, "predictions", path)
    assert status == 0
    # The load's one Parquet part, in the order its rows are written in the file.
    ((name,),) = rows(settings, "SELECT file_name FROM prediction_parts")
    part = parts_folder(settings.path) / name
    stored = rows(
        settings,
        f"SELECT ts, request_id, score FROM read_parquet('{part}', file_row_number = true) "
        "ORDER BY file_row_number",
    )
    assert [r[0] for r in stored] == sorted(r[0] for r in stored)
    by_id = {r[1]: r[2] for r in stored}
    assert by_id == dict(zip(shuffled["request_id"], shuffled["score"], strict=True))

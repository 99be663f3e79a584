"""Regenerate the binary and re-encoded test fixtures from the UTF-8 files committed beside them.

Good fixtures: every `good/<kind>.csv` (UTF-8) is rewritten as UTF-8 with a BOM, as CP932 the way
Japanese Excel saves it (CRLF line ends, dates as 2026/11/27, times as 2026/11/27 9:05), and as
Parquet with the stored column types. Bad fixtures that cannot be typed by hand (mixed encodings,
undecodable bytes, Parquet files) are written into `bad/`.

Run from the project root: .venv/bin/python tests/data/make_corpus.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
GOOD = HERE / "good"
BAD = HERE / "bad"

# The stored type of each column of the good fixtures, for the Parquet copies.
COLUMN_TYPES: dict[str, dict[str, pa.DataType]] = {
    "models": {
        "model_id": pa.string(),
        "family": pa.string(),
        "version": pa.string(),
        "deployed_at": pa.timestamp("us"),
        "retired_at": pa.timestamp("us"),
        "notes": pa.string(),
        "stage": pa.string(),
    },
    "offline_metrics": {
        "model_id": pa.string(),
        "metric": pa.string(),
        "value": pa.float64(),
        "evaluated_at": pa.timestamp("us"),
        "dataset": pa.string(),
        "n": pa.int64(),
    },
    "online_metrics": {
        "date": pa.date32(),
        "model_id": pa.string(),
        "metric": pa.string(),
        "value": pa.float64(),
        "n": pa.int64(),
        "std": pa.float64(),
    },
    "assignments": {
        "experiment_id": pa.string(),
        "unit_id": pa.string(),
        "variant": pa.string(),
        "assigned_at": pa.timestamp("us"),
        "device": pa.string(),
        "region": pa.string(),
    },
    "events": {
        "unit_id": pa.string(),
        "event": pa.string(),
        "value": pa.float64(),
        "ts": pa.timestamp("us"),
    },
}
GOOD_KINDS = tuple(COLUMN_TYPES)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and data rows of a UTF-8 CSV file."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(header: list[str], rows: list[list[str]], line_end: str) -> str:
    """CSV text with the given line ends, quoting only where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def excel_style(value: str, column_type: pa.DataType) -> str:
    """A value as Japanese Excel shows it: 2026/11/27 for dates, 2026/11/27 9:05 for times."""
    if not value:
        return value
    if column_type == pa.date32():
        return dt.date.fromisoformat(value).strftime("%Y/%m/%d")
    if pa.types.is_timestamp(column_type):
        moment = dt.datetime.fromisoformat(value)
        if moment.second or moment.microsecond:
            raise ValueError(f"{value}: Excel's short time format would drop the seconds")
        return f"{moment:%Y/%m/%d} {moment.hour}:{moment:%M}"
    return value


def typed(value: str, column_type: pa.DataType) -> object:
    """A CSV cell as the Python value of its Parquet column; empty cells become nulls."""
    if value == "":
        return None
    if column_type == pa.date32():
        return dt.date.fromisoformat(value)
    if pa.types.is_timestamp(column_type):
        return dt.datetime.fromisoformat(value)
    if pa.types.is_floating(column_type):
        return float(value)
    if pa.types.is_integer(column_type):
        return int(value)
    return value


def write_parquet(
    path: Path, columns: dict[str, list[object]], types: dict[str, pa.DataType]
) -> None:
    schema = pa.schema([(name, types[name]) for name in columns])
    table = pa.table(
        {name: pa.array(values, types[name]) for name, values in columns.items()}, schema=schema
    )
    pq.write_table(table, path)


def make_good(kind: str, target: Path = GOOD) -> None:
    """The BOM, CP932 and Parquet copies of `good/<kind>.csv`, written into `target`."""
    header, rows = read_rows(GOOD / f"{kind}.csv")
    types = COLUMN_TYPES[kind]
    (target / f"{kind}.bom.csv").write_bytes(
        b"\xef\xbb\xbf" + write_csv(header, rows, "\n").encode("utf-8")
    )
    excel_rows = [
        [excel_style(v, types[h]) for h, v in zip(header, row, strict=True)] for row in rows
    ]
    (target / f"{kind}.cp932.csv").write_bytes(
        write_csv(header, excel_rows, "\r\n").encode("cp932")
    )
    columns = {h: [typed(row[i], types[h]) for row in rows] for i, h in enumerate(header)}
    write_parquet(target / f"{kind}.parquet", columns, types)


def make_bad() -> None:
    """Bad fixtures that are bytes or Parquet rather than typed text."""
    (BAD / "mixed_encodings.assignments.csv").write_bytes(
        b"experiment_id,unit_id,variant,assigned_at,region\n"
        + "exp-1,u1,control,2026-11-20 10:00:00,関東\n".encode()
        + "exp-1,u2,treatment,2026-11-20 10:01:00,関西\n".encode("cp932")
    )
    # Windows-1252 (a European Excel's CSV): "Zoë," is neither UTF-8 nor valid CP932.
    (BAD / "windows1252_bytes.events.csv").write_bytes(
        b"unit_id,event,value,ts\nu1,click,1,2026-11-20 10:00:00\nZo\xeb,click,1,"
        b"2026-11-20 10:01:00\n"
    )
    (BAD / "cp932_unknown_model.online_metrics.csv").write_bytes(
        "date,model_id,metric,value,n\r\n2026/11/20,recommender-v2,ctr,0.05,51000\r\n"
        "2026/11/21,推薦モデル-v4,ctr,0.05,51000\r\n".encode("cp932")
    )
    write_parquet(
        BAD / "wrong_types.online_metrics.parquet",
        {
            "date": [20261120],
            "model_id": ["recommender-v2"],
            "metric": ["ctr"],
            "value": [True],
            "n": [51000],
        },
        {
            "date": pa.int64(),
            "model_id": pa.string(),
            "metric": pa.string(),
            "value": pa.bool_(),
            "n": pa.int64(),
        },
    )
    write_parquet(
        BAD / "missing_column.events.parquet",
        {"unit_id": ["u1"], "event": ["click"], "value": [1.0]},
        {"unit_id": pa.string(), "event": pa.string(), "value": pa.float64()},
    )
    write_parquet(
        BAD / "nan_value.online_metrics.parquet",
        {
            "date": [dt.date(2026, 11, 20), dt.date(2026, 11, 21), dt.date(2026, 11, 22)],
            "model_id": ["recommender-v2"] * 3,
            "metric": ["ctr"] * 3,
            "value": [0.05, 0.051, float("nan")],
            "n": [51000, 50000, 52000],
        },
        COLUMN_TYPES["online_metrics"],
    )
    write_parquet(
        BAD / "negative_n.online_metrics.parquet",
        {
            "date": [dt.date(2026, 11, 20), dt.date(2026, 11, 21)],
            "model_id": ["recommender-v2"] * 2,
            "metric": ["ctr"] * 2,
            "value": [0.05, 0.051],
            "n": [51000, -7],
        },
        COLUMN_TYPES["online_metrics"],
    )


def main() -> None:
    for kind in GOOD_KINDS:
        make_good(kind)
    make_bad()


if __name__ == "__main__":
    main()

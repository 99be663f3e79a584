"""Shared helpers of the monitoring tests: stores holding generated predictions, monitor specs,
and the command line in-process.

Predictions are generated with numpy (seeded) and inserted as DataFrames; feature columns are
added as the ingest adds them (data.prediction_features), so the tests read the same layout.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from sqlglot import exp
from sqlglot.dialects.dialect import rename_func
from sqlglot.dialects.duckdb import DuckDB

import cli
from core.toml import dumps
from data.kinds import KINDS, ColumnSpec, ColumnType
from data.prediction_features import add_feature_columns
from data.prediction_parts import native_table
from data.store import StoreSettings, connect, transaction

FAMILY = "recommender"
MODEL = "rec-v1"
DEPLOYED = dt.date(2026, 6, 1)
REFERENCE = (dt.date(2026, 6, 1), dt.date(2026, 6, 28))
WINDOW = (dt.date(2026, 7, 1), dt.date(2026, 7, 7))


def store(path: Path, models: Sequence[tuple[str, str, dt.date]] = ((MODEL, FAMILY, DEPLOYED),)):
    """A fresh store with production models (model_id, family, deployed day)."""
    settings = StoreSettings(path)
    add_models(settings, models)
    return settings


def add_models(settings: StoreSettings, models: Sequence[tuple[str, str, dt.date]]) -> None:
    """Register production models (model_id, family, deployed day)."""
    frame = pd.DataFrame(
        {
            "model_id": [m[0] for m in models],
            "family": [m[1] for m in models],
            "version": [m[0] for m in models],
            "deployed_at": [pd.Timestamp(m[2]) for m in models],
        }
    )
    with transaction(settings) as con:
        con.register("new_models", frame)
        con.execute(
            "INSERT INTO models (model_id, family, version, deployed_at) "
            "SELECT model_id, family, version, deployed_at FROM new_models"
        )


def insert_predictions(settings: StoreSettings, frame: pd.DataFrame) -> None:
    """Insert generated predictions; every column beyond the kind's is a feature (float: numeric,
    else categorical), added to the table first."""
    spec = KINDS["predictions"]
    known = {c.name for c in spec.columns}
    features = tuple(
        ColumnSpec(
            name,
            ColumnType.FLOAT if pd.api.types.is_float_dtype(frame[name]) else ColumnType.TEXT,
            required=False,
        )
        for name in frame.columns
        if name not in known
    )
    with transaction(settings) as con:
        add_feature_columns(con, dataclasses.replace(spec, columns=spec.columns + features))
        con.register("new_predictions", frame)
        names = ", ".join(f'"{c}"' for c in frame.columns)
        # The store's own table: `predictions` is a view once the store holds Parquet parts.
        con.execute(
            f"INSERT INTO {native_table(con)} ({names}) SELECT {names} FROM new_predictions"
        )


def predictions(
    rng: np.random.Generator,
    days: tuple[dt.date, dt.date],
    per_day: int,
    *,
    model_id: str = MODEL,
    numeric: Mapping[str, tuple[float, float]] | None = None,
    categorical: Mapping[str, tuple[Sequence[str], Sequence[float]]] | None = None,
    score: tuple[float, float] = (2.0, 5.0),
    latency: tuple[float, float] = (3.0, 0.3),
    fallbacks: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """`per_day` predictions a day over `days`: normal numeric features (mean, sd), categorical
    features (categories, probabilities), beta scores, log-normal latency (ms), and a share of
    requests answered by each fallback level."""
    n_days = (days[1] - days[0]).days + 1
    n = n_days * per_day
    seconds = rng.integers(0, 86_400, n)
    day_index = np.repeat(np.arange(n_days), per_day)
    ts = pd.Timestamp(days[0]) + pd.to_timedelta(day_index, "D") + pd.to_timedelta(seconds, "s")
    levels = ["model", *(fallbacks or {})]
    shares = [1 - sum((fallbacks or {}).values()), *(fallbacks or {}).values()]
    frame = pd.DataFrame(
        {
            "ts": ts,
            "model_id": model_id,
            "request_id": [f"{model_id}-{days[0]}-{i}" for i in range(n)],
            "score": rng.beta(*score, n),
            "served_by": rng.choice(levels, n, p=shares),
            "latency_ms": rng.lognormal(*latency, n),
        }
    )
    for name, (mean, sd) in (numeric or {}).items():
        frame[name] = rng.normal(mean, sd, n)
    for name, (categories, probabilities) in (categorical or {}).items():
        frame[name] = rng.choice(list(categories), n, p=list(probabilities))
    return frame


def spec_text(**changes: Any) -> str:
    """A monitor spec (TOML) over the default reference and family, with keys changed or added
    (a value None drops the key)."""
    mapping: dict[str, Any] = {
        "id": "rec-inputs",
        "family": FAMILY,
        "reference": {"start": REFERENCE[0], "end": REFERENCE[1]},
        "window_days": 7,
        "owner": "data science",
        "rationale": "inputs as trained",
        "min_rows": 100,
    }
    mapping.update(changes)
    return dumps({k: v for k, v in mapping.items() if v is not None})


def rows(settings: StoreSettings, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on the store."""
    with connect(settings, read_only=True) as con:
        return con.execute(sql).fetchall()


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`python cli.py ARGS` in-process: exit status, stdout, stderr."""
    status = cli.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


class DuckDBReadingSpark(DuckDB):
    """DuckDB as the target of Spark SQL read back: sqlglot reads Spark's `percentile` (exact,
    linear) as its `Quantile`, which it writes for DuckDB as `quantile`, DuckDB's name for
    `quantile_disc`; the linear one is `quantile_cont`."""

    class Generator(DuckDB.Generator):
        TRANSFORMS: ClassVar = {
            **DuckDB.Generator.TRANSFORMS,
            exp.Quantile: rename_func("QUANTILE_CONT"),
        }

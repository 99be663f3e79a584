"""KPI SQL: portable (rendered for Spark and read back, the same rows on DuckDB) and the
live-version rule (on a hand-over day the newer deployment wins), through the real store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlglot

from core.tables import STORE_TABLES
from data import kpi_store
from data.store import StoreSettings, connect
from kpi import sql
from tests.factories import DEMO_END

HOSTILE = "x'; DROP TABLE models; --"


def queries() -> dict[str, sqlglot.exp.Expression]:
    start = DEMO_END - dt.timedelta(days=60)
    return {
        "live": sql.live_daily_series_query("recommender", ["ctr", "impressions", HOSTILE], start),
        "live_all_days": sql.live_daily_series_query("fraud", ["tp", "fp", "tn", "fn"]),
        "offline": sql.offline_series_query("recommender", ["auc", HOSTILE], start),
        "offline_names": sql.offline_metric_names_query("recommender"),
        "availability": sql.metric_availability_query(),
        "deployments": sql.deployments_query("recommender"),
        "last_date": sql.last_online_date_query(),
        "latest_versions": sql.latest_versions_query(["kpi_id", "version", "target"]),
    }


def _same_rows(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right)
    for column in left.columns:
        if pd.api.types.is_float_dtype(left[column]):
            np.testing.assert_allclose(left[column], right[column], rtol=0, atol=1e-12)
        else:
            assert left[column].tolist() == right[column].tolist(), column


@pytest.mark.parametrize("name", sorted(queries()))
def test_spark_rendering_read_back_gives_the_same_rows(demo_store_template: Path, name) -> None:
    query = queries()[name]
    spark = query.sql(dialect="spark")
    for duckdb_only in ("QUALIFY", "LIST_CONTAINS", "::"):
        assert duckdb_only not in spark.upper()
    back = sqlglot.transpile(spark, read="spark", write="duckdb")[0]
    with connect(StoreSettings(demo_store_template), read_only=True) as con:
        direct = con.execute(query.sql(dialect="duckdb")).df()
        via_spark = con.execute(back).df()
        assert con.execute("SELECT count(*) FROM models").fetchone()[0] > 0
    assert not direct.empty
    _same_rows(direct, via_spark)


def test_user_text_enters_as_a_literal(demo_store_template: Path) -> None:
    with connect(StoreSettings(demo_store_template), read_only=True) as con:
        rows = kpi_store.live_daily_series(con, HOSTILE, [HOSTILE])
    assert rows.empty


def test_on_a_hand_over_day_the_newer_deployment_wins(tmp_path: Path) -> None:
    day = dt.date(2026, 3, 1)
    models = pd.DataFrame(
        {
            "model_id": ["old", "new", "shadow"],
            "family": ["rec", "rec", "rec"],
            "version": ["v1", "v2", "v3"],
            "stage": ["production", "production", "challenger"],
            "deployed_at": pd.to_datetime(
                ["2026-02-01 00:00", "2026-03-01 12:00", "2026-03-01 00:00"]
            ),
            "retired_at": pd.to_datetime(["2026-03-01 12:00", None, None]),
        }
    )
    days = pd.to_datetime([day - dt.timedelta(days=1), day, day, day, day + dt.timedelta(days=1)])
    online = pd.DataFrame(
        {
            "date": days.date,
            "model_id": ["old", "old", "new", "shadow", "new"],
            "metric": ["ctr"] * 5,
            "value": [0.01, 0.02, 0.03, 0.09, 0.04],
            "n": [100, 100, 100, 100, 100],
            "std": [None] * 5,
        }
    )
    settings = StoreSettings(tmp_path / "store.duckdb")
    with connect(settings) as con:
        con.register("new_models", models)
        con.execute(
            "INSERT INTO models (model_id, family, version, stage, deployed_at, retired_at) "
            "SELECT model_id, family, version, stage, deployed_at, retired_at FROM new_models"
        )
        con.register("new_online", online)
        con.execute(
            "INSERT INTO online_metrics (date, model_id, metric, value, n, std) "
            "SELECT date, model_id, metric, value, n, std FROM new_online"
        )
    with connect(settings, read_only=True) as con:
        series = kpi_store.live_daily_series(con, "rec", ["ctr"], tables=STORE_TABLES)
    assert list(series["model_id"]) == ["old", "new", "new"]
    assert list(series["value"]) == [0.01, 0.03, 0.04]


def test_an_offline_evaluation_is_live_by_the_same_rule(tmp_path: Path) -> None:
    day = dt.date(2026, 3, 1)
    models = pd.DataFrame(
        {
            "model_id": ["old", "new", "shadow"],
            "family": ["rec", "rec", "rec"],
            "version": ["v1", "v2", "v3"],
            "stage": ["production", "production", "challenger"],
            "deployed_at": pd.to_datetime(
                ["2026-02-01 00:00", "2026-03-01 12:00", "2026-02-01 00:00"]
            ),
            "retired_at": pd.to_datetime(["2026-03-01 12:00", None, None]),
        }
    )
    before, after = day - dt.timedelta(days=3), day + dt.timedelta(days=1)
    evaluations = [  # (model, day, dataset, live by the rule)
        ("old", before, "a", True),  # the only version serving
        ("new", before, "a", False),  # evaluated before its launch
        ("shadow", before, "a", False),  # a challenger never serves
        ("old", day, "a", False),  # hand-over day: the newer deployment wins
        ("new", day, "a", True),
        ("new", day, "b", True),  # every dataset of the live version
        ("old", after, "a", False),  # retired
        ("new", after, "a", True),
    ]
    offline = pd.DataFrame(
        {
            "model_id": [e[0] for e in evaluations],
            "metric": "auc",
            "value": np.linspace(0.7, 0.8, len(evaluations)),
            "evaluated_at": pd.to_datetime([e[1] for e in evaluations]),
            "dataset": [e[2] for e in evaluations],
            "n": 100,
        }
    )
    settings = StoreSettings(tmp_path / "store.duckdb")
    with connect(settings) as con:
        con.register("new_models", models)
        con.execute(
            "INSERT INTO models (model_id, family, version, stage, deployed_at, retired_at) "
            "SELECT model_id, family, version, stage, deployed_at, retired_at FROM new_models"
        )
        con.register("new_offline", offline)
        con.execute(
            "INSERT INTO offline_metrics (model_id, metric, value, evaluated_at, dataset, n) "
            "SELECT model_id, metric, value, evaluated_at, dataset, n FROM new_offline"
        )
    with connect(settings, read_only=True) as con:
        series = kpi_store.offline_series(con, "rec", ["auc"])
    read = {
        (row.model_id, row.evaluated_at.date(), row.dataset): bool(row.live)
        for row in series.itertuples()
    }
    assert read == {(m, d, ds): live for m, d, ds, live in evaluations}

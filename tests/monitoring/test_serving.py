"""Serving health per day and model: latency quantiles equal numpy's linear quantiles on the day's
requests, fallback rates equal the day's shares per level, and the objectives each day broke."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlglot

from data import monitor_store
from data.store import connect
from monitoring import sql
from monitoring.check import daily_serving
from monitoring.spec import parse_spec
from tests.monitoring.factories import (
    FAMILY,
    WINDOW,
    DuckDBReadingSpark,
    insert_predictions,
    predictions,
    rows,
    spec_text,
    store,
)


@pytest.fixture
def served(tmp_path: Path):
    """A week of requests; a fallback incident on 3 July and slow requests on 5 July."""
    rng = np.random.default_rng(4)
    settings = store(tmp_path / "s.duckdb")
    frames = []
    for offset in range(7):
        day = WINDOW[0] + dt.timedelta(days=offset)
        incident = {"popular": 0.2, "random": 0.05} if offset == 2 else {"popular": 0.02}
        latency = (4.0, 0.3) if offset == 4 else (3.0, 0.3)
        frames.append(
            predictions(rng, (day, day), 300 + 10 * offset, fallbacks=incident, latency=latency)
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.loc[frame.index[::97], "latency_ms"] = np.nan  # requests without a latency
    insert_predictions(settings, frame)
    return settings


def test_daily_quantiles_and_fallback_rates_agree_with_numpy(served) -> None:
    spec = parse_spec(spec_text(serving={"latency_p95_ms": 40.0, "fallback_rate": 0.1}))
    with connect(served, read_only=True) as con:
        days = daily_serving(monitor_store.daily_serving_rows(con, FAMILY, WINDOW), spec)
    stored = pd.DataFrame(
        rows(served, "SELECT CAST(ts AS DATE), served_by, latency_ms FROM predictions"),
        columns=["day", "served_by", "latency_ms"],
    )
    assert [d.day for d in days] == [WINDOW[0] + dt.timedelta(days=k) for k in range(7)]
    for day in days:
        requests = stored[stored["day"] == day.day]
        latency = requests["latency_ms"].dropna().to_numpy()
        assert day.n == len(requests)
        for q, value in (
            (0.5, day.latency_p50_ms),
            (0.95, day.latency_p95_ms),
            (0.99, day.latency_p99_ms),
        ):
            assert value == pytest.approx(np.quantile(latency, q), rel=1e-12)
        shares = requests["served_by"].value_counts(normalize=True).drop("model")
        assert day.fallback_by_level == pytest.approx(shares.to_dict(), rel=1e-12)
        assert day.fallback_rate == pytest.approx(shares.sum(), rel=1e-12)
    breached = {d.day: d.breached for d in days if d.breached}
    assert breached == {
        dt.date(2026, 7, 3): ("fallback_rate",),
        dt.date(2026, 7, 5): ("latency_p95_ms",),
    }


def test_a_per_level_limit_is_reported_by_name(served) -> None:
    spec = parse_spec(spec_text(serving={"fallback_rate": {"overall": 0.5, "random": 0.01}}))
    with connect(served, read_only=True) as con:
        days = daily_serving(monitor_store.daily_serving_rows(con, FAMILY, WINDOW), spec)
    assert {d.day: d.breached for d in days if d.breached} == {
        dt.date(2026, 7, 3): ("fallback_rate.random",)
    }


def test_the_daily_query_reads_back_from_spark_to_the_same_rows(served) -> None:
    query = sql.daily_serving_query(FAMILY, WINDOW)
    spark = query.sql(dialect="spark")
    assert "PERCENTILE(" in spark and "QUANTILE" not in spark.upper()
    back = sqlglot.transpile(spark, read="spark", write=DuckDBReadingSpark)[0]
    with connect(served, read_only=True) as con:
        direct = con.execute(query.sql(dialect="duckdb")).df()
        via_spark = con.execute(back).df()
    assert len(direct) > 7
    pd.testing.assert_frame_equal(direct, via_spark, check_exact=False, rtol=0, atol=1e-12)

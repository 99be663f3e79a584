"""The column types of the monitoring SQL: every count is BIGINT and every sum of scores or labels
DOUBLE, by an explicit COUNT or CAST, never the type DuckDB infers for a SUM over a CASE of small
integer literals (HUGEINT here, an 8-bit integer after its statistics narrowed it once, which
failed above 127 rows: monitoring/cbpe_sql.py) nor another engine's choice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlglot import exp

from data.store import StoreSettings, connect
from monitoring import cbpe_sql, sql, sql_features, sql_serving
from monitoring.sql_features import Watched
from tests.monitoring.factories import (
    FAMILY,
    MODEL,
    REFERENCE,
    WINDOW,
    add_models,
    insert_predictions,
    predictions,
    store,
)

NUMBERS = {"BIGINT", "DOUBLE"}
ARM_WINDOW = (dt.datetime(2026, 7, 1), dt.datetime(2026, 7, 8))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> StoreSettings:
    rng = np.random.default_rng(2)
    path: Path = tmp_path_factory.mktemp("types") / "s.duckdb"
    settings = store(path)
    add_models(settings, [("rec-v2", FAMILY, dt.date(2026, 6, 20))])
    frame = predictions(
        rng,
        (REFERENCE[0], WINDOW[1]),
        50,
        numeric={"price": (10.0, 2.0)},
        categorical={"category_id": (["a", "b"], [0.5, 0.5])},
        fallbacks={"popular": 0.1},
    )
    frame["label"] = (rng.random(len(frame)) < frame["score"]).astype(float)
    insert_predictions(settings, frame)
    insert_predictions(settings, predictions(rng, WINDOW, 50, model_id="rec-v2"))
    return settings


def _queries() -> dict[str, exp.Expression]:
    edges = (0.0, *np.linspace(5, 15, 9), 20.0)
    return {
        "ecdf_distance": sql.ecdf_distance_query(FAMILY, "price", REFERENCE, WINDOW),
        "window_readings": sql_features.window_readings_query(
            FAMILY,
            [(Watched("price"), edges), (Watched("category_id"), None)],
            REFERENCE,
            WINDOW,
        ),
        "slow_requests": sql_serving.slow_requests_query(FAMILY, WINDOW, [("p95", 20.0)]),
        "score_ks": sql_serving.score_ks_query(MODEL, "rec-v2", ARM_WINDOW),
        "daily_scores": cbpe_sql.daily_scores_query(FAMILY, WINDOW, 0.3),
        "live_daily_scores": cbpe_sql.live_daily_scores_query(FAMILY, WINDOW, 0.3),
        "level_outcomes": sql_serving.level_outcomes_query(FAMILY, WINDOW),
        "reliability": cbpe_sql.reliability_query(FAMILY, REFERENCE),
    }


@pytest.mark.parametrize("name", sorted(_queries()))
def test_counts_are_bigint_and_sums_double(settings: StoreSettings, name: str) -> None:
    query = _queries()[name].sql(dialect="duckdb")
    with connect(settings, read_only=True) as con:
        described = con.execute(f"DESCRIBE {query}").fetchall()
        assert con.execute(query).fetchall()  # the query runs and reads rows
    # `feature` is an index into the watched columns, not a count
    numeric = {
        row[0]: row[1]
        for row in described
        if row[1] not in ("VARCHAR", "DATE") and row[0] != "feature"
    }
    assert numeric and set(numeric.values()) <= NUMBERS, numeric

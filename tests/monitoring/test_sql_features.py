"""All features at once (monitoring/sql_features.py, data.monitor_store.feature_readings): numbers
against independent implementations on the rows the test generates: scipy for KS and Wasserstein
(1e-9), numpy for the sd, the bins on linear deciles, and the categories; and the SQL rendered for
Spark reads back to the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlglot
from scipy.stats import ks_2samp, wasserstein_distance

from data import monitor_store
from data.store import connect
from monitoring.sql_features import Span, Watched, bucket_counts_query, window_readings_query
from tests.monitoring.factories import (
    FAMILY,
    REFERENCE,
    WINDOW,
    insert_predictions,
    predictions,
    rows,
    store,
)

NUMERIC = ("price", "items", "rate")
CATEGORICAL = ("category_id",)


def _frame(rng: np.random.Generator, days, per_day: int, shift: float) -> pd.DataFrame:
    frame = predictions(
        rng,
        days,
        per_day,
        numeric={"price": (100.0 + shift, 12.0)},
        categorical={"category_id": (["a", "b", "c"], [0.5, 0.3, 0.2])},
        fallbacks={"popular": 0.1},
    )
    frame["price"] = frame["price"].round(2)  # prices to the cent: many ties
    frame["items"] = rng.poisson(3 + shift / 10, len(frame)).astype(float)  # a count
    frame["rate"] = rng.normal(0.02, 0.01, len(frame))  # full precision
    frame.loc[frame.index[::17], "rate"] = np.nan  # empty values are not counted
    frame["empty"] = np.nan  # a feature without any value
    return frame


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory):
    rng = np.random.default_rng(20261201)
    settings_ = store(tmp_path_factory.mktemp("features") / "s.duckdb")
    insert_predictions(settings_, _frame(rng, REFERENCE, 60, 0.0))
    window = _frame(rng, WINDOW, 90, 6.0)
    window.loc[:2, "price"] = [0.0, 500.0, 600.0]  # beyond the reference on both sides
    window.loc[:4, "category_id"] = "z"  # a category the reference never saw
    insert_predictions(settings_, window)
    return settings_


def _values(settings_, column: str, days, model_only: bool = False) -> np.ndarray:
    start, end = days
    served = " AND served_by = 'model'" if model_only else ""
    found = rows(
        settings_,
        f"SELECT {column} FROM predictions WHERE CAST(ts AS DATE) BETWEEN '{start}' AND '{end}' "
        f"AND {column} IS NOT NULL{served}",
    )
    return np.array([r[0] for r in found])


def _hand_bins(values: np.ndarray, edges: np.ndarray) -> list[int]:
    inside = 1 + (values[:, None] > edges[None, 1:-1]).sum(axis=1)
    index = np.where(values < edges[0], 0, np.where(values > edges[-1], 11, inside))
    return np.bincount(index, minlength=12).tolist()


def _readings(settings_):
    with connect(settings_, read_only=True) as con:
        return monitor_store.feature_readings(
            con, FAMILY, [*NUMERIC, "empty"], list(CATEGORICAL), REFERENCE, WINDOW
        )


def test_every_numeric_feature_agrees_with_numpy_and_scipy(drifted) -> None:
    numeric, _ = _readings(drifted)
    for column, readings in zip(NUMERIC, numeric[: len(NUMERIC)], strict=True):
        reference, current = _values(drifted, column, REFERENCE), _values(drifted, column, WINDOW)
        edges = np.concatenate(
            [[reference.min()], np.quantile(reference, np.arange(1, 10) / 10), [reference.max()]]
        )
        assert (readings.reference_n, readings.window_n) == (len(reference), len(current))
        assert readings.reference_sd == pytest.approx(np.std(reference, ddof=1), rel=1e-12)
        assert readings.ks == pytest.approx(ks_2samp(reference, current).statistic, abs=1e-9)
        assert readings.wasserstein == pytest.approx(
            wasserstein_distance(reference, current), abs=1e-9
        )
        assert readings.reference_bins == _hand_bins(reference, edges), column
        assert readings.window_bins == _hand_bins(current, edges), column
    assert numeric[0].window_bins[0] >= 1 and numeric[0].window_bins[11] >= 2


def test_a_feature_without_values_has_no_reference_and_no_bins(drifted) -> None:
    numeric, _ = _readings(drifted)
    empty = numeric[len(NUMERIC)]
    assert (empty.reference_n, empty.window_n, empty.ks, empty.reference_sd) == (0, 0, None, None)
    assert empty.reference_bins == empty.window_bins == [0] * 12


def test_categories_are_counted_per_window(drifted) -> None:
    _, categorical = _readings(drifted)
    for side, days in (("reference", REFERENCE), ("window", WINDOW)):
        values = pd.Series(_values(drifted, "category_id", days))
        assert getattr(categorical[0], side) == values.value_counts().to_dict()


def _same_rows(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right)
    for column in left.columns:
        if pd.api.types.is_float_dtype(left[column]):
            np.testing.assert_allclose(left[column], right[column], rtol=1e-12, atol=1e-12)
        else:
            assert left[column].tolist() == right[column].tolist(), column


@pytest.mark.parametrize("name", ["readings", "score_buckets", "buckets"])
def test_spark_rendering_reads_back_to_the_same_rows(drifted, name: str) -> None:
    numeric = [Watched("price"), Watched("score", model_only=True)]
    edges = (70.0, 85.0, 90.0, 93.5, 97.0, 100.0, 103.0, 106.5, 110.0, 115.0, 130.0)
    query = {
        "readings": window_readings_query(
            FAMILY,
            [(numeric[0], edges), (numeric[1], edges), (Watched("category_id"), None)],
            REFERENCE,
            WINDOW,
        ),
        "score_buckets": bucket_counts_query(
            FAMILY,
            [(numeric[1], edges)],
            [Span(REFERENCE[0], REFERENCE[1], 28, -1), Span(WINDOW[0], WINDOW[1], 7, 0)],
        ),
        "buckets": bucket_counts_query(
            FAMILY,
            [(Watched("price"), edges), (Watched("category_id"), None)],
            [Span(REFERENCE[0], REFERENCE[1], 28, -1), Span(WINDOW[0], WINDOW[1], 1, 0)],
        ),
    }[name]
    spark = query.sql(dialect="spark")
    for duckdb_only in ("QUALIFY", "LIST_CONTAINS", "::", "FILTER ("):
        assert duckdb_only not in spark.upper()
    back = sqlglot.transpile(spark, read="spark", write="duckdb")[0]
    with connect(drifted, read_only=True) as con:
        direct = con.execute(query.sql(dialect="duckdb")).df()
        via_spark = con.execute(back).df()
    assert not direct.empty
    _same_rows(direct, via_spark)


def test_a_feature_name_enters_as_a_quoted_identifier() -> None:
    rendered = window_readings_query(
        "x'; DROP TABLE models; --", [(Watched('a"b'), None)], REFERENCE, WINDOW
    ).sql("duckdb")
    assert '"a""b"' in rendered
    assert "'x''; DROP TABLE models; --'" in rendered


def test_reading_many_windows_matches_reading_each(drifted) -> None:
    """The heat map's one scan over daily windows counts what a scan per window counts."""
    edges = (70.0, 85.0, 90.0, 93.5, 97.0, 100.0, 103.0, 106.5, 110.0, 115.0, 130.0)
    watched = [(Watched("price"), edges), (Watched("category_id"), None)]
    with connect(drifted, read_only=True) as con:
        together = monitor_store.bucket_counts(
            con, FAMILY, watched, [Span(WINDOW[0], WINDOW[1], 1, 0)]
        )
        for index in range(7):
            day = WINDOW[0] + pd.Timedelta(days=index).to_pytimedelta()
            alone = monitor_store.bucket_counts(con, FAMILY, watched, [Span(day, day, 1, 0)])
            for feature in range(2):
                assert together[feature][index] == alone[feature][0]
    prices = _values(drifted, "price", (WINDOW[0], WINDOW[0]))
    assert sum(together[0][0].values()) == len(prices)

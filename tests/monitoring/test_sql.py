"""Monitor SQL: portable (rendered for Spark and read back, the same rows on DuckDB), user text only
as literals and quoted identifiers, and the numeric bins stable under the order rows arrive in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from data import monitor_store
from data.store import connect
from monitoring import sql
from tests.monitoring.factories import (
    FAMILY,
    REFERENCE,
    WINDOW,
    DuckDBReadingSpark,
    insert_predictions,
    predictions,
    store,
)

HOSTILE = "x'; DROP TABLE models; --"
EDGES = (70.0, 85.0, 90.0, 93.5, 97.0, 100.0, 103.0, 106.5, 110.0, 115.0, 130.0)


def queries() -> dict[str, sqlglot.exp.Expression]:
    return {
        "binned": sql.binned_counts_query(FAMILY, "price", REFERENCE, WINDOW, EDGES),
        "score_binned": sql.binned_counts_query(
            FAMILY, "score", REFERENCE, WINDOW, EDGES, model_only=True
        ),
        "ecdf": sql.ecdf_distance_query(FAMILY, "price", REFERENCE, WINDOW),
        "categories": sql.category_counts_query(FAMILY, "category_id", REFERENCE, WINDOW),
        "row_counts": sql.row_counts_query(FAMILY, REFERENCE, WINDOW),
        "last_day": sql.last_day_query(),
        "live_model": sql.live_model_query(FAMILY, WINDOW[1]),
        "hostile_family": sql.row_counts_query(HOSTILE, REFERENCE, WINDOW),
    }


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory):
    rng = np.random.default_rng(11)
    settings = store(tmp_path_factory.mktemp("sql") / "s.duckdb")
    categories = (["a", "b", "c"], [0.5, 0.3, 0.2])
    insert_predictions(
        settings,
        predictions(
            rng,
            REFERENCE,
            50,
            numeric={"price": (100.0, 10.0)},
            categorical={"category_id": categories},
        ),
    )
    insert_predictions(
        settings,
        predictions(
            rng,
            WINDOW,
            80,
            numeric={"price": (104.0, 12.0)},
            categorical={"category_id": categories},
            fallbacks={"popular": 0.1},
        ),
    )
    return settings


def _same_rows(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right)
    for column in left.columns:
        if pd.api.types.is_float_dtype(left[column]):
            np.testing.assert_allclose(left[column], right[column], rtol=0, atol=1e-12)
        else:
            assert left[column].tolist() == right[column].tolist(), column


@pytest.mark.parametrize("name", sorted(queries()))
def test_spark_rendering_read_back_gives_the_same_rows(monitored, name: str) -> None:
    query = queries()[name]
    spark = query.sql(dialect="spark")
    for duckdb_only in ("QUALIFY", "LIST_CONTAINS", "::", "FILTER ("):
        assert duckdb_only not in spark.upper()
    back = sqlglot.transpile(spark, read="spark", write="duckdb")[0]
    with connect(monitored, read_only=True) as con:
        direct = con.execute(query.sql(dialect="duckdb")).df()
        via_spark = con.execute(back).df()
        assert con.execute("SELECT count(*) FROM models").fetchone()[0] == 1
    assert not direct.empty
    _same_rows(direct, via_spark)


@pytest.mark.parametrize("name", ["serving", "reference_summary", "reference_summaries"])
def test_the_quantile_queries_read_back_from_spark_to_the_same_rows(monitored, name: str) -> None:
    # Spark's exact, linear `percentile`; never the approximate one or DuckDB's names.
    query = {
        "serving": sql.serving_query(FAMILY, WINDOW),
        "reference_summary": sql.reference_summary_query(FAMILY, "price", REFERENCE),
        "reference_summaries": sql.reference_summaries_query(
            FAMILY, [("price", False), ("score", True), ("latency_ms", False)], REFERENCE
        ),
    }[name]
    spark = query.sql(dialect="spark")
    assert "PERCENTILE(" in spark.upper()
    for wrong in ("QUANTILE", "PERCENTILE_APPROX", "PERCENTILE_CONT"):
        assert wrong not in spark.upper()
    back = sqlglot.transpile(spark, read="spark", write=DuckDBReadingSpark)[0]
    assert "QUANTILE_CONT(" in back.upper()
    with connect(monitored, read_only=True) as con:
        _same_rows(con.execute(query.sql(dialect="duckdb")).df(), con.execute(back).df())


def test_family_and_feature_names_enter_as_a_literal_and_an_identifier() -> None:
    rendered = sql.binned_counts_query(HOSTILE, 'a"b', REFERENCE, WINDOW, EDGES).sql("duckdb")
    assert "'x''; DROP TABLE models; --'" in rendered
    assert '"a""b"' in rendered


@settings(max_examples=12, deadline=None)
@given(
    values=st.lists(
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=12, max_size=60
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_bins_do_not_depend_on_the_order_rows_arrive_in(
    tmp_path_factory: pytest.TempPathFactory, values: list[float], seed: int
) -> None:
    """The same values, in order for one family and shuffled for another, bin alike; and a
    window identical to its reference has no distance."""
    rng = np.random.default_rng(seed)
    families = {"ordered": "m-ordered", "shuffled": "m-shuffled"}
    settings_ = store(
        tmp_path_factory.mktemp("order") / "s.duckdb",
        [(model, family, REFERENCE[0]) for family, model in families.items()],
    )
    frames = []
    for order, model in zip(
        (np.arange(len(values)), rng.permutation(len(values))), families.values(), strict=True
    ):
        frame = predictions(rng, REFERENCE, len(values), model_id=model, numeric={"x": (0, 1)})
        frame = frame.iloc[: len(values)].copy()
        frame["x"] = np.asarray(values, dtype=float)[order]
        window = frame.copy()
        window["ts"] = pd.Timestamp(WINDOW[0]) + (frame["ts"] - frame["ts"].dt.normalize())
        window["request_id"] = window["request_id"] + "-w"
        frames += [frame, window.iloc[::-1]]
    insert_predictions(settings_, pd.concat(frames))
    counts = []
    with connect(settings_, read_only=True) as con:
        for family in families:
            readings = monitor_store.numeric_readings(con, family, "x", REFERENCE, WINDOW)
            counts.append((tuple(readings.reference_bins), tuple(readings.window_bins)))
            assert readings.ks == 0.0 and readings.wasserstein == 0.0
    assert counts[0] == counts[1]
    assert counts[0][0] == counts[0][1]


def test_every_columns_reference_summary_from_one_statement_is_its_own_statements(
    monitored,
) -> None:
    """The one-statement summaries (what `monitor check` and the heat map read) give each column
    the numbers of its own statement: n, minimum, maximum and deciles exactly, the sd to 1e-12;
    the score counts only the rows the model served, on a window where fallbacks served some."""
    columns = [
        monitor_store.Watched("price"),
        monitor_store.Watched("score", model_only=True),
        monitor_store.Watched("latency_ms"),
    ]
    with connect(monitored, read_only=True) as con:
        together = monitor_store.reference_summaries(con, FAMILY, columns, WINDOW)
        alone = [monitor_store.reference_summary(con, FAMILY, c, WINDOW) for c in columns]
        served = con.execute(
            "SELECT count(*) FILTER (WHERE served_by = 'model'), count(*) FROM predictions"
            " WHERE ts >= ?",
            [f"{WINDOW[0]} 00:00:00"],
        ).fetchone()
    assert served[0] < served[1]  # the window has fallbacks: model-only differs
    assert together[1].reference_n == served[0] and together[0].reference_n == served[1]
    for one, own in zip(together, alone, strict=True):
        assert one.reference_n == own.reference_n
        assert one.edges == own.edges
        assert one.sd == pytest.approx(own.sd, rel=1e-12)

"""The experiment queries port to another engine: rendered for Spark and read back for DuckDB,
and run over tables and columns with other names, they give the same statistics."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlglot

from core.tables import Table, TableMapping
from data import experiment_store
from data.store import StoreSettings, connect
from experiments.sql import analysis_query, cumulative_query
from tests.experiments.factories import (
    END,
    START,
    make_spec,
    random_experiment,
    read_statistics,
)

REL = 1e-12
SPEC = make_spec(
    cuped_days=14,
    segments=["device"],
    metrics=[
        {"name": "ctr", "kind": "ratio", "numerator": "click", "denominator": "impression"},
        {"name": "revenue", "kind": "mean", "event": "purchase", "cap_percentile": 0.95},
        {"name": "converted", "kind": "proportion", "event": "purchase", "role": "primary"},
    ],
)
LOOKS = (START + dt.timedelta(days=3), START + dt.timedelta(days=10), END)
QUERIES = {
    "analysis": analysis_query(SPEC, END),
    "cumulative": cumulative_query(SPEC, LOOKS),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> StoreSettings:
    settings, _ = random_experiment(tmp_path_factory.mktemp("engines") / "s.duckdb", units=300)
    # One thread: two readings sum in the same order, so equal statistics are a fair demand.
    return dataclasses.replace(settings, threads=1)


def _rows(settings: StoreSettings, sql: str) -> list[dict[str, object]]:
    with connect(settings, read_only=True) as con:
        rows = experiment_store.records(con, sql)
    return sorted(rows, key=lambda row: [str(value) for value in row.values()][:5])


def _same(left: list[dict[str, object]], right: list[dict[str, object]]) -> None:
    assert len(left) == len(right) > 0
    for mine, theirs in zip(left, right, strict=True):
        assert set(mine) == set(theirs)
        for column, value in mine.items():
            other = theirs[column]
            if isinstance(value, float) or isinstance(other, float):
                assert value == pytest.approx(other, rel=REL), column
            else:
                assert value == other, column


@pytest.mark.parametrize("name", QUERIES)
def test_a_query_rendered_for_spark_and_read_back_gives_the_same_rows(store, name):
    query = QUERIES[name]
    spark = query.sql(dialect="spark")
    assert spark != query.sql(dialect="duckdb")
    round_tripped = sqlglot.transpile(spark, read="spark", write="duckdb")[0]
    _same(_rows(store, query.sql(dialect="duckdb")), _rows(store, round_tripped))


RENAMED = TableMapping(
    assignments=Table(
        "lab.exposures",
        {
            "experiment_id": "test_name",
            "unit_id": "visitor",
            "variant": "arm",
            "assigned_at": "first_seen",
            "attributes": "traits",
        },
    ),
    events=Table(
        "lab.activity",
        {"unit_id": "visitor", "event": "action", "value": "amount", "ts": "happened_at"},
    ),
)


def test_a_mapping_to_other_table_and_column_names_gives_the_same_statistics(store, tmp_path):
    copy = StoreSettings(tmp_path / "renamed.duckdb", threads=1)
    copy.path.write_bytes(store.path.read_bytes())
    with connect(copy) as con:
        con.execute("CREATE SCHEMA lab")
        con.execute(
            "CREATE TABLE lab.exposures AS SELECT experiment_id AS test_name, unit_id AS visitor,"
            " variant AS arm, assigned_at AS first_seen, attributes AS traits FROM assignments"
        )
        con.execute(
            "CREATE TABLE lab.activity AS SELECT unit_id AS visitor, event AS action,"
            " value AS amount, ts AS happened_at FROM events"
        )
        con.execute("DELETE FROM events")
        con.execute("DELETE FROM assignments")
    rendered = analysis_query(SPEC, END, RENAMED).sql(dialect="duckdb")
    assert "assignments" not in rendered and " events" not in rendered
    renamed = read_statistics(copy, SPEC, END, RENAMED)
    assert renamed == read_statistics(store, SPEC, END)
    assert read_statistics(copy, SPEC, END) == ([], 0)

"""The statistics SQL: its sums equal unit-level truth, and it follows the window definitions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlglot

from data.store import connect
from experiments.sql import OTHER_SEGMENT, analysis_query, cumulative_query
from experiments.sufficient import (
    CupedStats,
    MeanStats,
    ProportionCupedStats,
    ProportionStats,
    RatioStats,
)
from tests.experiments.factories import (
    END,
    START,
    make_spec,
    random_experiment,
    read_exposure,
    read_statistics,
    write_store,
)

HOSTILE = "x'; DROP TABLE events; --"


def _whole_arms(cells):
    return {cell.variant: cell for cell in cells if cell.segment_column is None}


def test_sums_per_arm_equal_unit_level_sums(tmp_path):
    settings, truth = random_experiment(tmp_path / "s.duckdb")
    spec = make_spec(cuped_days=14)
    arms = _whole_arms(read_statistics(settings, spec, spec.end)[0])
    for variant in ("a", "b"):
        mask = truth.variant == variant
        ctr, revenue, converted = arms[variant].metrics
        assert isinstance(ctr, RatioStats)
        assert isinstance(revenue, CupedStats)
        assert isinstance(converted, ProportionCupedStats)
        x, y = truth.clicks[mask], truth.impressions[mask]
        expected_ratio = (mask.sum(), x.sum(), (x * x).sum(), y.sum(), (y * y).sum(), (x * y).sum())
        assert ctr == RatioStats(*expected_ratio)
        y, x = truth.revenue[mask], truth.pre_revenue[mask]
        expected = [mask.sum(), y.sum(), (y * y).sum(), x.sum(), (x * x).sum(), (x * y).sum()]
        got = [
            revenue.n,
            revenue.sum,
            revenue.sum_sq,
            revenue.pre_sum,
            revenue.pre_sum_sq,
            revenue.cross_sum,
        ]
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        y, x = truth.converted[mask], truth.pre_converted[mask]
        assert (converted.sum, converted.pre_sum, converted.cross_sum) == (
            y.sum(),
            x.sum(),
            (x * y).sum(),
        )


def test_segment_statistics_add_up_to_the_whole_arm(tmp_path):
    settings, _ = random_experiment(tmp_path / "s.duckdb")
    spec = make_spec(segments=["device"], cuped_days=14)
    cells = read_statistics(settings, spec, spec.end)[0]
    arms = _whole_arms(cells)
    for variant, whole in arms.items():
        parts = [c for c in cells if c.variant == variant and c.segment_column == "device"]
        assert sorted(c.segment_value for c in parts) == ["desktop", "mobile", "tablet"]
        for position, metric in enumerate(whole.metrics):
            total = parts[0].metrics[position]
            for part in parts[1:]:
                total = total + part.metrics[position]
            np.testing.assert_allclose(
                [getattr(total, f) for f in total.__dataclass_fields__],
                [getattr(metric, f) for f in metric.__dataclass_fields__],
                rtol=1e-12,
            )


def _unit(variant: str, unit: str, at: dt.datetime, exp_id: str = "exp", attrs=None):
    return (exp_id, unit, variant, at, attrs)


def test_events_count_from_assignment_until_the_end_exclusive(tmp_path):
    at = START + dt.timedelta(days=2)
    settings = write_store(
        tmp_path / "s.duckdb",
        [_unit("a", "u1", at), _unit("b", "u2", at)],
        [
            ("u1", "purchase", 10.0, at),  # at assignment: counts
            ("u1", "purchase", 20.0, END - dt.timedelta(microseconds=1)),  # counts
            ("u1", "purchase", 40.0, END),  # at the end: left out
            ("u1", "purchase", 80.0, at - dt.timedelta(seconds=1)),  # before: pre-period only
            ("u1", "purchase", 160.0, at - dt.timedelta(days=14, seconds=1)),  # before pre-period
        ],
    )
    spec = make_spec(cuped_days=14)
    arms = _whole_arms(read_statistics(settings, spec, spec.end)[0])
    revenue = arms["a"].metrics[1]
    assert (revenue.sum, revenue.pre_sum) == (30.0, 80.0)
    assert arms["b"].metrics[1].sum == 0.0 and arms["b"].n == 1


def test_as_of_cuts_events_and_leaves_out_units_assigned_later(tmp_path):
    as_of = START + dt.timedelta(days=5)
    settings = write_store(
        tmp_path / "s.duckdb",
        [_unit("a", "early", START), _unit("a", "late", as_of), _unit("b", "b1", START)],
        [
            ("early", "purchase", 5.0, as_of - dt.timedelta(hours=1)),
            ("early", "purchase", 7.0, as_of),
            ("late", "purchase", 11.0, as_of + dt.timedelta(hours=1)),
        ],
    )
    spec = make_spec()
    arms = _whole_arms(read_statistics(settings, spec, as_of)[0])
    assert arms["a"].n == 1
    assert arms["a"].metrics[1] == MeanStats(1, 5.0, 25.0)
    assert isinstance(arms["a"].metrics[2], ProportionStats)


def test_units_in_two_variants_are_excluded_from_every_arm_and_counted(tmp_path):
    settings = write_store(
        tmp_path / "s.duckdb",
        [
            _unit("a", "both", START),
            _unit("b", "both", START + dt.timedelta(days=1)),
            _unit("a", "u1", START),
            _unit("a", "u1", START + dt.timedelta(days=1)),  # same variant twice: kept once
            _unit("b", "u2", START),
            _unit("a", "other-exp", START, exp_id="another"),
        ],
        [("both", "purchase", 99.0, START + dt.timedelta(days=2))],
    )
    spec = make_spec()
    arms = _whole_arms(read_statistics(settings, spec, spec.end)[0])
    assert {v: c.n for v, c in arms.items()} == {"a": 1, "b": 1}
    assert arms["a"].metrics[1].sum == 0.0 and arms["b"].metrics[1].sum == 0.0
    exposure = read_exposure(settings, spec, spec.end)
    assert exposure.excluded_multiple_variants == 1
    assert (exposure.units("a"), exposure.units("b")) == (1, 1)
    assert read_statistics(settings, spec, spec.end)[1] == 1


def test_cap_percentile_caps_unit_values_at_the_quantile_of_units_with_a_value(tmp_path):
    settings, truth = random_experiment(tmp_path / "s.duckdb")
    revenue_capped = {
        "name": "revenue",
        "kind": "mean",
        "event": "purchase",
        "cap_percentile": 0.9,
        "role": "primary",
    }
    spec = make_spec(metrics=[revenue_capped])
    assert (truth.revenue == 0).any()
    cap = np.quantile(truth.revenue[truth.revenue != 0], 0.9)
    arms = _whole_arms(read_statistics(settings, spec, spec.end)[0])
    for variant in ("a", "b"):
        raw = truth.revenue[truth.variant == variant]
        values = np.minimum(raw, cap)
        revenue = arms[variant].metrics[0]
        np.testing.assert_allclose(
            [revenue.sum, revenue.sum_sq], [values.sum(), (values**2).sum()], rtol=1e-10
        )
        assert arms[variant].uncapped_sums[0] == pytest.approx(raw.sum(), rel=1e-10)


def test_segments_keep_the_twenty_largest_values_and_sum_the_rest_as_other(tmp_path):
    assignments = []
    for value in range(25):
        for copy in range(30 - value):
            assignments.append(
                _unit(
                    "a" if copy % 2 else "b",
                    f"r{value}-{copy}",
                    START,
                    attrs={"region": f"R{value:02d}"},
                )
            )
    assignments.append(_unit("a", "no-region", START, attrs={}))
    settings = write_store(tmp_path / "s.duckdb", assignments, [])
    spec = make_spec(segments=["region"])
    cells = [c for c in read_statistics(settings, spec, spec.end)[0] if c.segment_column]
    values = {c.segment_value for c in cells}
    assert values == {f"R{v:02d}" for v in range(20)} | {OTHER_SEGMENT}
    other = sum(c.n for c in cells if c.segment_value == OTHER_SEGMENT)
    assert other == sum(30 - v for v in range(20, 25)) + 1


def test_hostile_event_names_and_ids_are_data_not_sql(tmp_path):
    settings = write_store(
        tmp_path / "s.duckdb",
        [_unit("a", "u1", START, exp_id="it's"), _unit("b", "u2", START, exp_id="it's")],
        [("u1", HOSTILE, 3.0, START + dt.timedelta(hours=1))],
    )
    spec = make_spec(
        id="it's", metrics=[{"name": "m", "kind": "mean", "event": HOSTILE, "role": "primary"}]
    )
    arms = _whole_arms(read_statistics(settings, spec, spec.end)[0])
    assert arms["a"].metrics[0] == MeanStats(1, 3.0, 9.0)
    with connect(settings, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 1


@pytest.mark.parametrize("dialect", ["spark", "bigquery", "snowflake"])
def test_the_statistics_query_transpiles_to_other_warehouses(dialect):
    spec = make_spec(
        cuped_days=14,
        segments=["device"],
        metrics=[
            {
                "name": "ctr",
                "kind": "ratio",
                "numerator": "click",
                "denominator": "impression",
                "role": "primary",
            },
            {"name": "revenue", "kind": "mean", "event": HOSTILE, "cap_percentile": 0.99},
        ],
    )
    rendered = analysis_query(spec, spec.end).sql(dialect=dialect)
    reparsed = sqlglot.parse_one(rendered, read=dialect)
    assert "GROUPING SETS" in rendered.upper()
    literals = {lit.this for lit in reparsed.find_all(sqlglot.exp.Literal) if lit.is_string}
    assert HOSTILE in literals
    assert len(list(reparsed.find_all(sqlglot.exp.Drop))) == 0


def test_the_cumulative_query_transpiles_to_spark_with_user_text_as_literals():
    spec = make_spec(metrics=[{"name": "m", "kind": "mean", "event": HOSTILE, "role": "primary"}])
    looks = (START + dt.timedelta(days=1), START + dt.timedelta(days=2))
    rendered = cumulative_query(spec, looks).sql(dialect="spark")
    reparsed = sqlglot.parse_one(rendered, read="spark")
    literals = {lit.this for lit in reparsed.find_all(sqlglot.exp.Literal) if lit.is_string}
    assert HOSTILE in literals


def test_the_cumulative_query_refuses_unordered_looks():
    with pytest.raises(ValueError, match="ascending"):
        cumulative_query(make_spec(), (END, START))

"""A statistics row becomes typed statistics by column name, never by position."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest

from experiments import cells
from experiments.cells import cell_from_record, metric_statistics
from experiments.sql import metric_columns
from experiments.sufficient import CupedStats, ProportionCupedStats, RatioStats
from tests.experiments.factories import make_spec

# Five units of one arm. The ratio's and the mean's sums all differ from each other and from n, so a
# sum read into another field shows; a proportion's sum and sum of squares coincide, as 0/1 do.
UNITS = pd.DataFrame(
    {
        "clicks": [0, 3, 1, 7, 2],
        "impressions": [4, 9, 2, 11, 5],
        "revenue": [0.0, 12.5, 3.0, 40.0, 7.25],
        "pre_revenue": [1.0, 0.0, 6.5, 22.0, 3.0],
        "converted": [0, 1, 1, 1, 0],
        "pre_converted": [1, 0, 1, 1, 0],
    }
)


def _sums(value: pd.Series, other: pd.Series, names: tuple[str, ...]) -> dict[str, float]:
    """Sum, sum of squares of `value` and of `other`, and of their product, under `names`."""
    terms = (value, value * value, other, other * other, value * other)
    return {name: float(term.sum()) for name, term in zip(names, terms, strict=True)}


# Each spec metric's statistics as the query names them (`m<index>_<field>`), computed here from
# the units: make_spec's metrics are ctr (ratio of clicks to impressions), revenue (mean) and
# converted (proportion); with a pre-period the last two carry CUPED sums.
EXPECTED = {
    0: _sums(
        UNITS.clicks,
        UNITS.impressions,
        ("num_sum", "num_sum_sq", "den_sum", "den_sum_sq", "num_den_sum"),
    ),
    1: _sums(
        UNITS.revenue, UNITS.pre_revenue, ("sum", "sum_sq", "pre_sum", "pre_sum_sq", "cross_sum")
    ),
    2: _sums(
        UNITS.converted,
        UNITS.pre_converted,
        ("sum", "sum_sq", "pre_sum", "pre_sum_sq", "cross_sum"),
    ),
}


def _record(seed: int) -> dict[str, Any]:
    """The arm's whole-arm row, its columns in an order shuffled by `seed`."""
    columns = [("variant", "a"), ("n", len(UNITS))] + [
        (f"m{index}_{field}", value)
        for index, sums in EXPECTED.items()
        for field, value in sums.items()
    ]
    random.Random(seed).shuffle(columns)
    return dict(columns)


def test_each_statistics_field_is_the_sum_of_its_own_name() -> None:
    spec = make_spec(cuped_days=14)
    cell = cell_from_record(spec, _record(seed=3))
    ratio, revenue, converted = cell.metrics
    assert type(ratio) is RatioStats
    assert type(revenue) is CupedStats
    assert type(converted) is ProportionCupedStats
    for index, stats in enumerate(cell.metrics):
        assert stats.n == len(UNITS)
        for field, expected in EXPECTED[index].items():
            assert getattr(stats, field) == expected, (index, field)
    # What the sums are for, from the units themselves.
    assert ratio.mean == UNITS.clicks.sum() / UNITS.impressions.sum()
    assert revenue.pre_variance == pytest.approx(UNITS.pre_revenue.var(ddof=1), rel=1e-12)
    assert revenue.covariance == pytest.approx(
        np.cov(UNITS.revenue, UNITS.pre_revenue, ddof=1)[0, 1], rel=1e-12
    )


def test_the_order_of_a_rows_columns_does_not_change_its_statistics() -> None:
    spec = make_spec(cuped_days=14)
    first = cell_from_record(spec, _record(seed=1))
    assert all(cell_from_record(spec, _record(seed=seed)) == first for seed in range(2, 8))


@pytest.mark.parametrize("cuped_days", [0, 14])
def test_statistics_classes_declared_in_another_field_order_are_filled_by_name(
    cuped_days: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were a statistics class's fields reordered, each would still get its own column."""
    real = cells.statistics_class

    def reversed_fields(kind: Any, cuped: bool) -> Any:
        original = real(kind, cuped)
        declared = [(f.name, f.type) for f in reversed(dataclasses.fields(original))]
        return dataclasses.make_dataclass(f"Reversed{original.__name__}", declared, frozen=True)

    monkeypatch.setattr(cells, "statistics_class", reversed_fields)
    record = _record(seed=5)
    for index, columns in enumerate(metric_columns(make_spec(cuped_days=cuped_days))):
        stats = metric_statistics(columns, record)
        assert stats.n == len(UNITS)
        for field in columns.fields[1:]:
            assert getattr(stats, field) == EXPECTED[index][field], (index, field)

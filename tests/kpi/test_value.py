"""Value models: per unit, cost matrix and through the bridge, against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.bridge import fit_bridge
from kpi.value import (
    ConfusionCounts,
    CostMatrix,
    value_cost_matrix,
    value_per_day_bridge,
    value_per_day_per_unit,
)

FRAUD_CELLS = CostMatrix(tp=48_000, fp=-800, tn=0, fn=-50_000)


def test_per_unit_value_is_metric_times_n_times_unit_value() -> None:
    # 2,000,000 sessions at a CTR of 0.05 are 100,000 clicks worth 1,200 yen each.
    assert value_per_day_per_unit(0.05, 2_000_000, 1_200) == pytest.approx(120_000_000)


def test_per_unit_value_refuses_negative_n() -> None:
    with pytest.raises(ValueError, match="n must not be negative"):
        value_per_day_per_unit(0.05, -1, 1_200)


def test_cost_matrix_value_matches_a_hand_computation() -> None:
    counts = ConfusionCounts(tp=30, fp=400, tn=99_500, fn=70)
    # 30 x 48,000 - 400 x 800 + 0 - 70 x 50,000 = 1,440,000 - 320,000 - 3,500,000 = -2,380,000
    value = value_cost_matrix(counts, FRAUD_CELLS)
    assert value.total == pytest.approx(-2_380_000)
    assert value.predictions == 100_000
    assert value.per_prediction == pytest.approx(-23.8)


@given(
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.lists(st.floats(-1e6, 1e6), min_size=4, max_size=4),
)
def test_value_per_prediction_lies_between_the_smallest_and_largest_cell(
    tp: int, fp: int, tn: int, fn: int, cells: list[float]
) -> None:
    counts = ConfusionCounts(tp, fp, tn, fn)
    if counts.predictions == 0:
        return
    value = value_cost_matrix(counts, CostMatrix(*cells))
    tolerance = 1e-9 * max(abs(c) for c in cells) + 1e-12
    assert min(cells) - tolerance <= value.per_prediction <= max(cells) + tolerance


def test_cost_matrix_refuses_no_predictions_and_negative_counts() -> None:
    with pytest.raises(ValueError, match="no predictions"):
        value_cost_matrix(ConfusionCounts(0, 0, 0, 0), FRAUD_CELLS)
    with pytest.raises(ValueError, match="count fp"):
        ConfusionCounts(1, -2, 3, 4)


def test_bridge_value_is_the_predicted_online_metric_times_n_times_unit_value() -> None:
    pairs = pd.DataFrame(
        {
            "model_id": ["v1", "v1", "v2", "v2", "v3", "v3"],
            "week": pd.to_datetime(["2026-01-05", "2026-01-12"] * 3),
            "offline_value": [0.70, 0.70, 0.72, 0.72, 0.74, 0.74],
            "online_value": [0.0440, 0.0442, 0.0470, 0.0468, 0.0500, 0.0498],
        }
    )
    bridge = fit_bridge(pairs)
    value = value_per_day_bridge(bridge, offline_value=0.73, n=1_000_000, unit_value=1_200)
    # The pooled OLS line through the six pairs, fitted by numpy, not by the code under test.
    slope, intercept = np.polyfit(pairs["offline_value"], pairs["online_value"], deg=1)
    expected_ctr = intercept + slope * 0.73
    assert value.predicted_online == pytest.approx(expected_ctr)
    assert value.value_per_day == pytest.approx(expected_ctr * 1_000_000 * 1_200)
    assert value.value_ci[0] < value.value_per_day < value.value_ci[1]

"""Economics priced with the KPI's direction: an improvement is a gain and a degradation a loss,
for higher-is-better and lower-is-better KPIs alike (issue 9, item 1)."""

from __future__ import annotations

import pytest

from kpi.economics import EconomicsInputs, Estimate, decay_value_per_day, evaluate

# Latency: 100 ms on 50,000 requests a day, each millisecond-request costing 0.5 (a cost, so the
# value per day is negative), rising 0.1 ms a day. Truth: 0.1 x 50,000 x 0.5 = 2,500 lost a day.
LATENCY_LEVEL, LATENCY_N, LATENCY_UNIT_VALUE, LATENCY_SLOPE = 100.0, 50_000.0, -0.5, 0.1
# CTR: 5% on 1,000,000 impressions a day, each click worth 60, falling 0.0001 a day.
CTR_LEVEL, CTR_N, CTR_UNIT_VALUE, CTR_SLOPE = 0.05, 1_000_000.0, 60.0, -0.0001


def exact(value: float) -> Estimate:
    return Estimate(value, value, value)


def test_a_rising_latency_is_a_positive_decay_of_slope_times_units_times_unit_cost() -> None:
    value_per_day = LATENCY_LEVEL * LATENCY_N * LATENCY_UNIT_VALUE
    decay = decay_value_per_day(LATENCY_SLOPE, LATENCY_LEVEL, value_per_day, "decrease")
    assert decay == pytest.approx(LATENCY_SLOPE * LATENCY_N * abs(LATENCY_UNIT_VALUE))
    assert decay == pytest.approx(2_500.0)


def test_a_falling_ctr_is_a_positive_decay_of_slope_times_units_times_unit_value() -> None:
    value_per_day = CTR_LEVEL * CTR_N * CTR_UNIT_VALUE
    decay = decay_value_per_day(CTR_SLOPE, CTR_LEVEL, value_per_day, "increase")
    assert decay == pytest.approx(-CTR_SLOPE * CTR_N * CTR_UNIT_VALUE)


def test_a_three_percent_latency_improvement_is_a_gain_with_payback_and_no_withdrawal() -> None:
    """The issue's command: --cost 5000000 --uplift 0.03 --uplift-se 0.01 on the latency KPI."""
    value_per_day = LATENCY_LEVEL * LATENCY_N * LATENCY_UNIT_VALUE
    result = evaluate(
        EconomicsInputs(
            value_per_day=value_per_day,
            decay_per_day=exact(2_500.0),
            uplift=Estimate.from_standard_error(0.03, 0.01),
            cost=5_000_000.0,
        )
    )
    # 3% less latency cost: 0.03 x 2.5M = 75,000 a day, a gain.
    assert result.daily_gain == pytest.approx(75_000.0)
    assert result.payback_days == pytest.approx(5_000_000.0 / 75_000.0)
    assert result.break_even_uplift is not None
    assert result.optimal_interval_days[0] == pytest.approx((2 * 5_000_000.0 / 2_500.0) ** 0.5)
    assert result.recommendation.action != "withdraw"
    assert result.npv.expected > 0

"""Economics priced with the KPI's direction: an improvement is a gain and a degradation a loss,
for higher-is-better and lower-is-better KPIs alike (issue 9, item 1)."""

from __future__ import annotations

import datetime as dt

import pytest

from kpi.economics import EconomicsInputs, Estimate, decay_value_per_day, evaluate
from kpi.retraining import decay_interval, decision_urgency, measured_uplift

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


def mirrored(value_per_day: float) -> EconomicsInputs:
    return EconomicsInputs(
        value_per_day=value_per_day,
        decay_per_day=Estimate.from_standard_error(2_500.0, 400.0),
        uplift=Estimate.from_standard_error(0.03, 0.01),
        cost=5_000_000.0,
        fallback_value_per_day=None,
    )


def test_a_cost_kpi_and_a_value_kpi_of_the_same_size_have_the_same_economics() -> None:
    """Decay and uplift are already improvements: the sign of V0 only says which way is good."""
    cost_kpi = evaluate(mirrored(-2_500_000.0))
    value_kpi = evaluate(mirrored(2_500_000.0))
    assert cost_kpi.npv == value_kpi.npv
    assert cost_kpi.daily_gain == value_kpi.daily_gain > 0
    assert cost_kpi.payback_days == value_kpi.payback_days
    assert cost_kpi.break_even_uplift == value_kpi.break_even_uplift
    assert cost_kpi.optimal_interval_days == value_kpi.optimal_interval_days
    assert cost_kpi.best_retrain_day == value_kpi.best_retrain_day
    assert cost_kpi.recommendation.action == value_kpi.recommendation.action


def test_latency_npv_without_decay_is_the_priced_improvement_minus_the_cost_by_hand() -> None:
    value_per_day = LATENCY_LEVEL * LATENCY_N * LATENCY_UNIT_VALUE
    result = evaluate(
        EconomicsInputs(
            value_per_day=value_per_day,
            decay_per_day=exact(0.0),
            uplift=exact(0.03),
            cost=5_000_000.0,
            discount_rate=0.0,
            horizon_days=365,
        )
    )
    # 3% of the 2.5M daily latency cost saved, every day of the year, less the cost.
    assert result.npv_point == pytest.approx(0.03 * 2_500_000.0 * 365 - 5_000_000.0)
    assert result.break_even_uplift == pytest.approx(5_000_000.0 / (2_500_000.0 * 365))


def test_a_decrease_kpis_decay_interval_is_priced_as_a_loss() -> None:
    value_per_day = LATENCY_LEVEL * LATENCY_N * LATENCY_UNIT_VALUE
    # 0.1 ms a day is 3 ms per 30 days, with a 95% interval of 2.4 to 3.6.
    decay = decay_interval(value_per_day, LATENCY_LEVEL, 3.0, (2.4, 3.6), "decrease")
    assert (decay.low, decay.estimate, decay.high) == pytest.approx((2_000.0, 2_500.0, 3_000.0))


def test_a_lower_latency_in_an_experiment_is_a_positive_uplift() -> None:
    evidence = measured_uplift(
        experiment_id="lat",
        metric="latency_ms",
        relative_effect=-0.03,
        relative_std_error=0.01,
        direction="decrease",
        control="v2",
        variant="v3",
        n_units=1000,
        p_value=0.003,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 20),
    )
    assert evidence.uplift.estimate == pytest.approx(0.03)


def test_kpis_needing_a_decision_come_first_exit_then_warning_then_value_lost() -> None:
    kpis = {
        "healthy-big": ("healthy", 9e9),
        "warning-small": ("warning", 10.0),
        "warning-big": ("warning", 5000.0),
        "exit-small": ("exit", 1.0),
        "no-data": ("no_data", None),
        "warning-unknown": ("warning", None),
    }
    ordered = sorted(kpis, key=lambda k: decision_urgency(*kpis[k]))
    assert ordered == [
        "exit-small",
        "warning-big",
        "warning-small",
        "warning-unknown",
        "healthy-big",
        "no-data",
    ]

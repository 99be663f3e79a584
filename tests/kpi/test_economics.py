"""Retraining economics checked against closed forms, independent fits and simulation."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from core.errors import YardstickError
from kpi.economics import (
    EconomicsInputs,
    Estimate,
    cumulative_values,
    decay_value_per_day,
    evaluate,
    npv_constant_gain,
    optimal_interval,
)


def inputs(**overrides: object) -> EconomicsInputs:
    """The issue's example: a ¥8.9M/day recommender, a 2.9% uplift, a ¥3M retraining."""
    example = EconomicsInputs(
        value_per_day=8_900_000.0,
        decay_per_day=Estimate(1200.0, 900.0, 1500.0),
        uplift=Estimate(0.029, 0.018, 0.041),
        cost=3_000_000.0,
    )
    return replace(example, **overrides)


def exact(estimate: float) -> Estimate:
    return Estimate(estimate, estimate, estimate)


def test_npv_matches_closed_form_for_constant_gain_and_daily_discounting() -> None:
    gain, cost, horizon, rate = 250_000.0, 3_000_000.0, 365, 0.05
    by_hand = sum(gain / (1 + rate) ** (day / 365) for day in range(horizon)) - cost
    assert npv_constant_gain(gain, cost, horizon, rate) == pytest.approx(by_hand, rel=1e-9)
    result = evaluate(
        inputs(value_per_day=10_000_000.0, uplift=exact(0.025), decay_per_day=exact(0.0))
    )
    assert result.npv_point == pytest.approx(by_hand, rel=1e-6)
    assert result.npv.expected == pytest.approx(by_hand, rel=1e-6)


def test_npv_without_discounting_is_gain_times_days_minus_cost() -> None:
    assert npv_constant_gain(1000.0, 5000.0, 30, 0.0) == pytest.approx(25_000.0)


def test_payback_is_cost_over_daily_gain_for_a_constant_gain() -> None:
    result = evaluate(inputs())
    assert result.daily_gain == pytest.approx(8_900_000.0 * 0.029)
    assert result.payback_days == pytest.approx(3_000_000.0 / (8_900_000.0 * 0.029))


def test_payback_is_none_when_the_gain_never_repays_within_the_horizon() -> None:
    result = evaluate(inputs(uplift=exact(0.0001), horizon_days=30))
    assert result.payback_days is None


def test_break_even_uplift_gives_an_npv_of_zero() -> None:
    result = evaluate(inputs())
    assert result.break_even_uplift is not None
    at_break_even = evaluate(inputs(uplift=exact(result.break_even_uplift)))
    assert at_break_even.npv_point == pytest.approx(0.0, abs=1e-3)


def test_roi_is_npv_per_unit_of_cost() -> None:
    result = evaluate(inputs())
    assert result.roi == pytest.approx(result.npv_point / 3_000_000.0)


def average_cost_per_day(interval_days: int, decay: float, cost: float, cycles: int = 40) -> float:
    """Simulated sawtooth: value falls by `decay` every day and a retraining restores it."""
    days = np.arange(interval_days * cycles)
    loss = decay * (days % interval_days)
    return (loss.sum() + cost * cycles) / days.size


def test_optimal_interval_matches_a_simulated_sawtooth_within_five_percent() -> None:
    decay, cost = 1200.0, 3_000_000.0
    grid = np.arange(10, 400)
    simulated_best = grid[np.argmin([average_cost_per_day(t, decay, cost) for t in grid])]
    estimate, _, _ = optimal_interval(cost, exact(decay))
    assert estimate == pytest.approx(math.sqrt(2 * cost / decay))
    assert estimate == pytest.approx(simulated_best, rel=0.05)


def test_optimal_interval_from_a_fitted_decay_is_within_five_percent_of_the_truth() -> None:
    true_decay, cost = 800.0, 2_000_000.0
    rng = np.random.default_rng(7)
    days = np.arange(180)
    values = 5_000_000.0 - true_decay * days + rng.normal(0, 20_000.0, days.size)
    fit = sm.OLS(values, sm.add_constant(days)).fit()
    slope_low, slope_high = fit.conf_int(0.05)[1]
    decay = Estimate(-fit.params[1], -slope_high, -slope_low)
    estimate, low, high = optimal_interval(cost, decay)
    truth = math.sqrt(2 * cost / true_decay)
    assert estimate == pytest.approx(truth, rel=0.05)
    assert low is not None and high is not None
    assert low < truth < high
    assert low == pytest.approx(math.sqrt(2 * cost / decay.high))
    assert high == pytest.approx(math.sqrt(2 * cost / decay.low))


def test_optimal_interval_has_no_upper_end_when_the_decay_may_be_zero() -> None:
    estimate, low, high = optimal_interval(1000.0, Estimate(10.0, -2.0, 22.0))
    assert estimate == pytest.approx(math.sqrt(200.0))
    assert low == pytest.approx(math.sqrt(2000.0 / 22.0))
    assert high is None
    assert optimal_interval(1000.0, exact(-5.0)) == (None, None, None)


def test_monte_carlo_range_collapses_to_the_point_value_without_uncertainty() -> None:
    result = evaluate(inputs(uplift=exact(0.029), decay_per_day=exact(1200.0)))
    assert result.npv.p10 == pytest.approx(result.npv_point, rel=1e-12)
    assert result.npv.p90 == pytest.approx(result.npv_point, rel=1e-12)
    assert result.npv.expected == pytest.approx(result.npv_point, rel=1e-9)
    for option in result.options:
        assert option.npv.p10 == pytest.approx(option.npv.p90, rel=1e-12, abs=1e-6)


def test_monte_carlo_percentiles_match_the_normal_distribution_of_a_linear_npv() -> None:
    uplift = Estimate.from_standard_error(0.02, 0.008)
    result = evaluate(inputs(uplift=uplift, draws=200_000))
    annuity = npv_constant_gain(1.0, 0.0, 365, 0.05)
    spread = 8_900_000.0 * annuity * 0.008
    assert result.npv.expected == pytest.approx(result.npv_point, abs=0.01 * spread)
    assert result.npv.p10 == pytest.approx(
        result.npv_point + stats.norm.ppf(0.1) * spread, abs=0.02 * spread
    )
    assert result.npv.p90 == pytest.approx(
        result.npv_point + stats.norm.ppf(0.9) * spread, abs=0.02 * spread
    )
    expected_probability = stats.norm.sf(-result.npv_point / spread)
    assert result.npv.probability_positive == pytest.approx(expected_probability, abs=0.01)


def test_probability_positive_falls_as_the_cost_rises() -> None:
    uncertain = Estimate.from_standard_error(0.004, 0.004)
    probabilities = [
        evaluate(inputs(uplift=uncertain, cost=cost)).npv.probability_positive
        for cost in (1e6, 5e6, 1e7, 2e7, 4e7)
    ]
    assert probabilities == sorted(probabilities, reverse=True)
    assert probabilities[0] - probabilities[-1] > 0.3


def test_monte_carlo_is_reproducible_with_a_seed() -> None:
    first = evaluate(inputs(seed=11))
    assert evaluate(inputs(seed=11)) == first
    assert evaluate(inputs(seed=12)).npv.p10 != first.npv.p10


def test_do_nothing_is_zero_and_the_options_come_in_a_fixed_order() -> None:
    result = evaluate(inputs())
    assert [option.option for option in result.options] == [
        "do_nothing",
        "retrain_now",
        "retrain_later",
        "withdraw",
    ]
    assert result.option("do_nothing").npv.expected == 0.0


def test_withdraw_without_fallback_is_valued_against_zero_and_says_so() -> None:
    result = evaluate(inputs(decay_per_day=exact(1200.0), uplift=exact(0.029)))
    withdraw = result.option("withdraw")
    kept = sum((8_900_000.0 - 1200.0 * day) / 1.05 ** (day / 365) for day in range(365))
    assert withdraw.npv.expected == pytest.approx(-kept, rel=1e-9)
    assert withdraw.basis == "fallback_zero"


def test_withdraw_with_a_fallback_is_the_fallback_minus_the_decaying_model() -> None:
    fallback = 8_000_000.0
    result = evaluate(
        inputs(fallback_value_per_day=fallback, decay_per_day=exact(3000.0), uplift=exact(0.0))
    )
    expected = sum(
        (fallback - (8_900_000.0 - 3000.0 * day)) / 1.05 ** (day / 365) for day in range(365)
    )
    assert result.option("withdraw").npv.expected == pytest.approx(expected, rel=1e-9)
    assert result.option("withdraw").basis is None


def test_retrain_later_uses_the_warning_date_when_it_comes_before_the_optimal_interval() -> None:
    later = evaluate(inputs(warning_in_days=49)).option("retrain_later")
    assert (later.at_day, later.basis) == (49, "warning_date")


def test_retrain_later_uses_the_optimal_interval_when_it_comes_first() -> None:
    later = evaluate(inputs(warning_in_days=200)).option("retrain_later")
    assert (later.at_day, later.basis) == (71, "optimal_interval")


def test_retrain_later_forgoes_the_gain_until_its_day() -> None:
    result = evaluate(inputs(uplift=exact(0.029), decay_per_day=exact(1200.0), warning_in_days=49))
    weights = 1.05 ** (-np.arange(365) / 365)
    gain = 0.029 * (8_900_000.0 - 1200.0 * 49)
    expected = gain * weights[49:].sum() - 3_000_000.0 * weights[49]
    assert result.option("retrain_later").npv.expected == pytest.approx(expected, rel=1e-9)
    assert result.option("retrain_later").npv.expected < result.option("retrain_now").npv.expected


@pytest.mark.parametrize("warning_in_days", [None, 49])
def test_options_chart_ends_each_option_at_its_point_npv_above_doing_nothing(
    warning_in_days: int | None,
) -> None:
    result = evaluate(
        inputs(
            uplift=exact(0.029),
            decay_per_day=exact(1200.0),
            fallback_value_per_day=1_000_000.0,
            warning_in_days=warning_in_days,
        )
    )
    paths = cumulative_values(result.inputs, result.options)
    for option in result.options:
        gained = paths[option.option][-1] - paths["do_nothing"][-1]
        assert gained == pytest.approx(option.npv.expected, rel=1e-9, abs=1e-6), option.option


def test_a_clear_positive_case_recommends_retraining_now_with_payback() -> None:
    recommendation = evaluate(inputs()).recommendation
    assert recommendation.action == "retrain_now"
    codes = [reason.code for reason in recommendation.reasons]
    assert codes == ["npv_range", "likely_positive", "payback"]


def test_met_exit_criterion_without_a_positive_retraining_case_means_withdraw() -> None:
    result = evaluate(inputs(uplift=exact(0.0005), exit_met=True, fallback_value_per_day=1.0))
    assert result.option("withdraw").npv.expected < 0
    assert result.recommendation.action == "withdraw"
    assert result.recommendation.reasons[0].code == "exit_met"


def test_met_exit_criterion_with_a_paying_retraining_still_recommends_retraining() -> None:
    recommendation = evaluate(inputs(exit_met=True)).recommendation
    assert recommendation.action == "retrain_now"
    assert recommendation.reasons[0].code == "exit_met_but_retraining_pays"


def test_no_paying_option_recommends_doing_nothing_with_the_break_even_uplift() -> None:
    recommendation = evaluate(inputs(uplift=exact(0.0005))).recommendation
    assert recommendation.action == "do_nothing"
    assert [reason.code for reason in recommendation.reasons] == [
        "no_positive_option",
        "uplift_below_break_even",
    ]


def test_an_uncertain_positive_case_recommends_waiting() -> None:
    result = evaluate(inputs(uplift=Estimate.from_standard_error(0.0015, 0.002)))
    assert result.npv.expected > 0
    assert result.npv.probability_positive < 0.8
    assert result.recommendation.action == "wait"
    assert "uncertain" in [reason.code for reason in result.recommendation.reasons]


def test_a_fallback_worth_more_than_the_model_recommends_withdrawing() -> None:
    recommendation = evaluate(inputs(fallback_value_per_day=12_000_000.0)).recommendation
    assert recommendation.action == "withdraw"
    assert recommendation.reasons[0].code == "fallback_better"


@pytest.mark.parametrize(
    ("overrides", "named", "code"),
    [
        ({"cost": -1.0}, "cost", "retrain.negative"),
        ({"horizon_days": 0}, "horizon_days", "retrain.at_least_one"),
        ({"discount_rate": -1.5}, "discount_rate", "retrain.discount_too_low"),
        ({"uplift": Estimate(0.05, 0.06, 0.07)}, "uplift", "retrain.outside_interval"),
        ({"decay_per_day": Estimate(math.nan, 0.0, 1.0)}, "decay_per_day", "retrain.not_finite"),
        ({"value_per_day": math.inf}, "value_per_day", "retrain.not_finite"),
        ({"draws": 0}, "draws", "retrain.at_least_one"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(overrides: dict, named: str, code: str) -> None:
    with pytest.raises(YardstickError) as raised:
        inputs(**overrides)
    assert (raised.value.code, raised.value.field) == (code, named)


def test_decay_is_priced_as_the_relative_trend_times_the_value_per_day() -> None:
    # A CTR of 0.05 falling 0.0001 a day is 0.2% of its level a day: of ¥1M a day, ¥2,000.
    assert decay_value_per_day(-0.0001, 0.05, 1_000_000.0, "increase") == pytest.approx(2_000.0)
    # A latency rising is worse when lower is better: the same sign convention.
    assert decay_value_per_day(0.5, 100.0, 1_000_000.0, "decrease") == pytest.approx(5_000.0)

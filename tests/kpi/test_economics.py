"""Retraining economics checked against closed forms, independent fits and simulation."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from core.errors import YardstickError
from kpi.checks import MAX_AMOUNT, MAX_HORIZON_DAYS, MIN_DISCOUNT_RATE
from kpi.economics import (
    EconomicsInputs,
    Estimate,
    cumulative_values,
    decay_value_per_day,
    discount_weights,
    evaluate,
    optimal_interval,
    retrain_npv,
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


def test_npv_without_decay_is_the_discounted_gain_minus_the_cost_paid_today() -> None:
    gain, cost, horizon, rate = 250_000.0, 3_000_000.0, 365, 0.05
    by_hand = sum(gain / (1 + rate) ** (day / 365) for day in range(horizon)) - cost
    result = evaluate(
        inputs(value_per_day=10_000_000.0, uplift=exact(0.025), decay_per_day=exact(0.0))
    )
    assert result.npv_point == pytest.approx(by_hand, rel=1e-9)
    assert result.npv.expected == pytest.approx(by_hand, rel=1e-9)


def test_a_later_single_retraining_pays_its_cost_on_its_day_discounted() -> None:
    gain, cost, horizon, rate, day = 250_000.0, 3_000_000.0, 365, 0.05, 40
    by_hand = sum(gain / (1 + rate) ** (t / 365) for t in range(day, horizon)) - cost / (
        1 + rate
    ) ** (day / 365)
    model = float(retrain_npv(gain, 0.0, cost, day, discount_weights(horizon, rate)))
    assert model == pytest.approx(by_hand, rel=1e-9)


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


def annuity(horizon: int, rate: float, start: int = 0) -> float:
    """Σ_{t=start}^{H-1} (1 + r) ** (-t/365), summed day by day."""
    return sum((1 + rate) ** (-day / 365) for day in range(start, horizon))


def test_monte_carlo_range_collapses_to_the_point_value_without_uncertainty() -> None:
    result = evaluate(inputs(uplift=exact(0.029), decay_per_day=exact(1200.0)))
    assert result.npv.p10 == pytest.approx(result.npv_point, rel=1e-12)
    assert result.npv.p90 == pytest.approx(result.npv_point, rel=1e-12)
    assert result.npv.expected == pytest.approx(result.npv_point, rel=1e-9)
    for option in result.options:
        if option.npv is not None:
            assert option.npv.p10 == pytest.approx(option.npv.p90, rel=1e-12, abs=1e-6)


def test_monte_carlo_percentiles_match_the_normal_distribution_of_a_linear_npv() -> None:
    # With the decay known, the NPV is linear in the uplift: its spread is |V0| x A(0) x SE.
    uplift = Estimate.from_standard_error(0.02, 0.008)
    result = evaluate(inputs(uplift=uplift, decay_per_day=exact(1200.0), draws=200_000))
    spread = 8_900_000.0 * annuity(365, 0.05) * 0.008
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
        evaluate(
            inputs(uplift=uncertain, cost=cost, decay_per_day=exact(0.0))
        ).npv.probability_positive
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
    assert result.option("do_nothing").expected == 0.0


def test_withdraw_without_a_fallback_value_is_not_priced_and_says_so() -> None:
    withdraw = evaluate(inputs()).option("withdraw")
    assert withdraw.npv is None
    assert withdraw.basis == "fallback_zero"


def test_withdraw_with_a_fallback_is_the_fallback_minus_the_decaying_model() -> None:
    fallback = 8_000_000.0
    result = evaluate(
        inputs(fallback_value_per_day=fallback, decay_per_day=exact(3000.0), uplift=exact(0.0))
    )
    expected = sum(
        (fallback - (8_900_000.0 - 3000.0 * day)) / 1.05 ** (day / 365) for day in range(365)
    )
    assert result.option("withdraw").expected == pytest.approx(expected, rel=1e-9)
    assert result.option("withdraw").basis is None


def sawtooth_npv_by_hand(
    gain: float, decay: float, cost: float, first_day: int, cycle: int, horizon: int
) -> float:
    """Undiscounted value of retraining on `first_day` and every `cycle` days after, against
    doing nothing, simulated day by day: the fresh level is V0 + gain, each model loses `decay`
    a day of its age, and each retraining costs `cost` on its day."""
    total = 0.0
    for day in range(horizon):
        kept = -decay * day
        if day < first_day:
            continue
        age = (day - first_day) % cycle
        total += (gain - decay * age) - kept - (cost if age == 0 else 0.0)
    return total


@pytest.mark.parametrize(("gain", "first_day", "cycles"), [(0.0, 0, 6), (20_000.0, 10, 4)])
def test_npv_equals_a_day_by_day_sawtooth_over_whole_cycles(
    gain: float, first_day: int, cycles: int
) -> None:
    # C = b·T²/2 makes T* = sqrt(2C/b) = 50 days exactly; the horizon ends after whole cycles.
    decay, cycle = 1000.0, 50
    cost = decay * cycle**2 / 2
    horizon = first_day + cycle * cycles
    weights = discount_weights(horizon, 0.0)
    model = float(retrain_npv(gain, decay, cost, first_day, weights))
    by_hand = sawtooth_npv_by_hand(gain, decay, cost, first_day, cycle, horizon)
    assert model == pytest.approx(by_hand, rel=1e-9)


def test_a_single_retraining_is_the_constant_gap_over_the_rest_of_the_horizon() -> None:
    # Without decay nothing calls for a second retraining: the gap g + b·τ stays, the cost is C.
    gain, horizon, first_day = 30_000.0, 200, 40
    weights = discount_weights(horizon, 0.0)
    model = float(retrain_npv(gain, 0.0, 1_000_000.0, first_day, weights))
    assert model == pytest.approx((horizon - first_day) * gain - 1_000_000.0)
    # With a decay too slow for a second retraining within the horizon, likewise.
    slow = 2.0
    model = float(retrain_npv(gain, slow, 1_000_000.0, first_day, weights))
    assert model == pytest.approx((horizon - first_day) * (gain + slow * first_day) - 1_000_000.0)


def test_best_retraining_day_matches_sqrt_2c_over_b_within_five_percent() -> None:
    """The model's assumptions: today's model is fresh (no gain from retraining today), no
    discounting, and a horizon of many cycles."""
    decay, cost = 1200.0, 3_000_000.0
    result = evaluate(
        inputs(
            uplift=exact(0.0),
            decay_per_day=exact(decay),
            cost=cost,
            horizon_days=3650,
            discount_rate=0.0,
        )
    )
    assert result.best_retrain_day == pytest.approx(math.sqrt(2 * cost / decay), rel=0.05)
    assert result.option("retrain_later").at_day == result.best_retrain_day
    assert result.recommendation.action == "wait"


def test_best_retraining_day_is_sooner_by_the_gap_the_decay_has_already_opened() -> None:
    # Retrain when g + b·τ reaches the saw-tooth's loss λ ≈ b·T*: τ* ≈ T* - g/b.
    decay, cost, value = 1200.0, 3_000_000.0, 8_900_000.0
    gain = 30 * decay
    result = evaluate(
        inputs(
            value_per_day=value,
            uplift=exact(gain / value),
            decay_per_day=exact(decay),
            cost=cost,
            horizon_days=3650,
            discount_rate=0.0,
        )
    )
    expected = math.sqrt(2 * cost / decay) - gain / decay
    assert result.best_retrain_day == pytest.approx(expected, abs=1.0)


def test_retraining_now_is_best_once_the_gap_exceeds_the_sawtooth_loss() -> None:
    result = evaluate(inputs(uplift=exact(0.029), decay_per_day=exact(1200.0)))
    # g = 258,100 a day against λ ≈ b·T* ≈ 85,000: no later day beats now.
    assert result.best_retrain_day == 0
    assert result.option("retrain_later").at_day == 1
    assert result.option("retrain_later").expected < result.option("retrain_now").expected


def test_a_later_day_with_an_edge_within_the_uncertainty_does_not_make_it_wait() -> None:
    # The gap g + b·τ is just short of the saw-tooth's loss: a later day is a little better at
    # the point estimates, but not in most draws of an uncertain uplift.
    decay, cost, value = 1200.0, 3_000_000.0, 8_900_000.0
    gain = 0.99 * decay * (math.sqrt(2 * cost / decay) - 0.5)
    result = evaluate(
        inputs(
            value_per_day=value,
            uplift=Estimate.from_standard_error(gain / value, 0.005),
            decay_per_day=exact(decay),
            cost=cost,
        )
    )
    later = result.option("retrain_later")
    assert later.expected is not None and result.npv.expected is not None
    assert later.expected > result.npv.expected
    assert later.probability_better_than_now is not None
    assert later.probability_better_than_now < 0.8
    assert result.recommendation.action == "retrain_now"


def test_retrain_now_npv_depends_on_the_decay() -> None:
    slow = evaluate(inputs(uplift=exact(0.01), decay_per_day=exact(100.0)))
    fast = evaluate(inputs(uplift=exact(0.01), decay_per_day=exact(5000.0)))
    assert fast.npv_point > slow.npv_point


@pytest.mark.parametrize("fallback", [None, 1_000_000.0])
def test_options_chart_ends_each_option_at_its_point_npv_above_doing_nothing(
    fallback: float | None,
) -> None:
    result = evaluate(
        inputs(uplift=exact(0.001), decay_per_day=exact(1200.0), fallback_value_per_day=fallback)
    )
    paths = cumulative_values(result.inputs, result.options)
    assert ("withdraw" in paths) == (fallback is not None)
    for option in result.options:
        if option.npv is None:
            continue
        gained = paths[option.option][-1] - paths["do_nothing"][-1]
        assert gained == pytest.approx(option.npv.expected, rel=1e-9, abs=1e-6), option.option


def test_a_clear_positive_case_recommends_retraining_now_with_payback() -> None:
    recommendation = evaluate(inputs()).recommendation
    assert recommendation.action == "retrain_now"
    codes = [reason.code for reason in recommendation.reasons]
    assert codes == ["npv_range", "cycle", "likely_positive", "payback"]


def test_met_exit_criterion_without_a_fallback_value_never_recommends_withdrawal() -> None:
    result = evaluate(inputs(uplift=exact(-0.01), decay_per_day=exact(0.0), exit_met=True))
    assert result.recommendation.action == "do_nothing"
    codes = [reason.code for reason in result.recommendation.reasons]
    assert codes[:2] == ["exit_met", "fallback_missing"]


def test_met_exit_criterion_withdraws_only_when_the_fallback_beats_keeping_the_model() -> None:
    kept = evaluate(inputs(uplift=exact(-0.01), exit_met=True, fallback_value_per_day=1_000_000.0))
    assert kept.option("withdraw").expected < 0
    assert kept.recommendation.action != "withdraw"
    better = evaluate(
        inputs(uplift=exact(-0.01), exit_met=True, fallback_value_per_day=12_000_000.0)
    )
    assert better.recommendation.action == "withdraw"
    assert [r.code for r in better.recommendation.reasons] == ["exit_met", "fallback_better"]


def test_no_paying_option_recommends_doing_nothing_with_the_break_even_uplift() -> None:
    recommendation = evaluate(inputs(uplift=exact(0.0005), decay_per_day=exact(0.0))).recommendation
    assert recommendation.action == "do_nothing"
    assert [reason.code for reason in recommendation.reasons] == [
        "no_positive_option",
        "uplift_below_break_even",
    ]


def test_an_uncertain_positive_case_recommends_waiting_for_better_evidence() -> None:
    result = evaluate(
        inputs(uplift=Estimate.from_standard_error(0.0015, 0.002), decay_per_day=exact(0.0))
    )
    assert result.npv.expected > 0
    assert result.npv.probability_positive < 0.8
    assert result.recommendation.action == "wait"
    assert "uncertain" in [reason.code for reason in result.recommendation.reasons]


@pytest.mark.parametrize("seed", range(8))
def test_the_recommendation_is_the_option_of_highest_expected_npv(seed: int) -> None:
    """The table and the advice agree: the advised move is the best priced option (a wait is the
    later day, or the best option when it is not likely enough to pay)."""
    rng = np.random.default_rng(seed)
    case = evaluate(
        inputs(
            value_per_day=float(rng.choice([-1, 1]) * rng.uniform(1e5, 1e7)),
            uplift=Estimate.from_standard_error(rng.uniform(-0.01, 0.04), rng.uniform(0, 0.01)),
            decay_per_day=Estimate.from_standard_error(rng.uniform(-100, 3000), 200.0),
            cost=rng.uniform(1e5, 1e7),
            fallback_value_per_day=None if seed % 2 else float(rng.uniform(-1e6, 1e7)),
            exit_met=bool(seed % 3 == 0),
            draws=2000,
        )
    )
    priced = {o.option: o.expected for o in case.options if o.expected is not None}
    best = max(priced, key=lambda name: priced[name])
    action = case.recommendation.action
    later = case.option("retrain_later")
    if best == "retrain_later" and (later.probability_better_than_now or 0) < 0.8:
        # A later day's edge within the uncertainty: weighed as the best of now and withdraw.
        best = max(("retrain_now", "withdraw"), key=lambda name: priced.get(name, -math.inf))
    if action == "wait":
        assert best in ("retrain_later", "retrain_now", "withdraw")
    else:
        assert {"retrain_now": "retrain_now", "withdraw": "withdraw"}.get(best, "do_nothing") == (
            action
        )
    if case.option("withdraw").npv is None:
        assert action != "withdraw"


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
    # A latency rising 0.5% a day on a KPI costing ¥1M a day (negative value) loses ¥5,000.
    assert decay_value_per_day(0.5, 100.0, -1_000_000.0, "decrease") == pytest.approx(5_000.0)


def test_at_the_lowest_discount_rate_over_the_longest_horizon_every_value_is_finite() -> None:
    # Near -100% the weights overflowed into NaN values and a silent "do nothing"; the input
    # check's floor keeps them finite over the longest horizon it allows.
    result = evaluate(
        inputs(
            discount_rate=MIN_DISCOUNT_RATE,
            horizon_days=MAX_HORIZON_DAYS,
            value_per_day=MAX_AMOUNT,
            cost=MAX_AMOUNT,
        )
    )
    values = [result.npv_point, result.npv.expected, result.npv.p10, result.npv.p90]
    values += [o.npv.expected for o in result.options if o.npv is not None]
    assert all(math.isfinite(value) for value in values)
    # Just above -100% (what the rule allowed before) the weights overflow; it is refused now.
    with np.errstate(over="ignore"):
        assert not np.isfinite(discount_weights(MAX_HORIZON_DAYS, -0.9999)).all()
    with pytest.raises(YardstickError) as refused:
        evaluate(inputs(discount_rate=-0.9999, horizon_days=MAX_HORIZON_DAYS))
    assert refused.value.code == "retrain.discount_too_low"

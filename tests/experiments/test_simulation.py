"""Simulated experiments: false positive rate, interval coverage and peeking, with fixed seeds.

Each simulation analyses thousands of experiments at once through the same array-level functions
`compare` uses, building the sufficient statistics from numpy blocks of unit-level values.
"""

from __future__ import annotations

import numpy as np
import pytest

from experiments import sequential
from experiments.stats import (
    ArmMoments,
    WelchTest,
    cuped_moments,
    relative_delta,
    welch_test,
)
from experiments.sufficient import CupedStats, MeanStats, ProportionStats, RatioStats

EXPERIMENTS = 2_000
ALPHA = 0.05
TOLERANCE = 0.012


def _sums(values: np.ndarray, kind: type[MeanStats] = MeanStats) -> MeanStats:
    """Statistics of each row (one experiment's arm) of a block of unit values."""
    units = values.shape[1]
    return kind(np.full(values.shape[0], float(units)), values.sum(axis=1), (values**2).sum(axis=1))


def _covers(welch: WelchTest, truth: float) -> np.ndarray:
    """Whether each experiment's interval contains the true effect."""
    return (welch.ci_lower <= truth) & (welch.ci_upper >= truth)


def _moments(stats: MeanStats | RatioStats) -> ArmMoments:
    return ArmMoments(stats.n, stats.mean, stats.variance)


@pytest.mark.slow
def test_fixed_method_false_positive_rate_in_aa_experiments_is_alpha():
    rng = np.random.default_rng(101)
    # Skewed, revenue-like values: gamma with shape 2.
    control = _sums(rng.gamma(2.0, 5.0, size=(EXPERIMENTS, 500)))
    variant = _sums(rng.gamma(2.0, 5.0, size=(EXPERIMENTS, 500)))

    p_values = welch_test(_moments(control), _moments(variant), ALPHA).p_value

    assert abs(np.mean(p_values < ALPHA) - ALPHA) <= TOLERANCE


@pytest.mark.slow
def test_proportion_false_positive_rate_in_aa_experiments_is_alpha():
    rng = np.random.default_rng(102)
    control = _sums((rng.random((EXPERIMENTS, 2_000)) < 0.1).astype(float), ProportionStats)
    variant = _sums((rng.random((EXPERIMENTS, 2_000)) < 0.1).astype(float), ProportionStats)

    p_values = welch_test(_moments(control), _moments(variant), ALPHA).p_value

    assert abs(np.mean(p_values < ALPHA) - ALPHA) <= TOLERANCE


@pytest.mark.slow
def test_intervals_cover_a_known_effect_at_their_confidence_level():
    rng = np.random.default_rng(103)
    control_values = rng.normal(10.0, 3.0, size=(EXPERIMENTS, 400))
    variant_values = rng.normal(10.5, 3.0, size=(EXPERIMENTS, 400))
    control, variant = _sums(control_values), _sums(variant_values)

    welch = welch_test(_moments(control), _moments(variant), ALPHA)
    control_mean_variance = control.variance / control.n
    relative = relative_delta(
        welch.effect,
        welch.std_error**2,
        control.mean,
        control_mean_variance,
        -control_mean_variance,
    )
    z = 1.959963984540054

    absolute_covered = _covers(welch, 0.5)
    relative_covered = np.abs(relative.effect - 0.05) <= z * relative.std_error
    assert abs(np.mean(absolute_covered) - (1 - ALPHA)) <= TOLERANCE
    assert abs(np.mean(relative_covered) - (1 - ALPHA)) <= TOLERANCE


@pytest.mark.slow
def test_cuped_intervals_cover_a_known_effect_and_are_narrower():
    rng = np.random.default_rng(104)
    shape = (EXPERIMENTS, 400)
    pre_control, pre_variant = rng.normal(10, 3, shape), rng.normal(10, 3, shape)
    control_values = 0.9 * pre_control + rng.normal(1.0, 1.5, shape)
    variant_values = 0.9 * pre_variant + rng.normal(1.3, 1.5, shape)

    def cuped_sums(values: np.ndarray, pre: np.ndarray) -> CupedStats:
        n = np.full(values.shape[0], float(values.shape[1]))
        return CupedStats(
            n,
            values.sum(axis=1),
            (values**2).sum(axis=1),
            pre.sum(axis=1),
            (pre**2).sum(axis=1),
            (values * pre).sum(axis=1),
        )

    moments = cuped_moments(
        cuped_sums(control_values, pre_control), cuped_sums(variant_values, pre_variant)
    )
    adjusted = welch_test(moments.control, moments.variant, ALPHA)
    plain = welch_test(_moments(_sums(control_values)), _moments(_sums(variant_values)), ALPHA)

    covered = _covers(adjusted, 0.3)
    assert abs(np.mean(covered) - (1 - ALPHA)) <= TOLERANCE
    assert np.median(adjusted.std_error / plain.std_error) < 0.6


@pytest.mark.slow
def test_ratio_intervals_cover_the_true_ratio_difference():
    rng = np.random.default_rng(105)
    shape = (EXPERIMENTS, 500)

    def ratio_sums(click_rate: float) -> RatioStats:
        impressions = rng.poisson(10, shape).astype(float) + 1
        clicks = rng.binomial(impressions.astype(int), click_rate).astype(float)
        return RatioStats(
            np.full(shape[0], float(shape[1])),
            clicks.sum(axis=1),
            (clicks**2).sum(axis=1),
            impressions.sum(axis=1),
            (impressions**2).sum(axis=1),
            (clicks * impressions).sum(axis=1),
        )

    welch = welch_test(_moments(ratio_sums(0.10)), _moments(ratio_sums(0.12)), ALPHA)

    covered = _covers(welch, 0.02)
    assert abs(np.mean(covered) - (1 - ALPHA)) <= TOLERANCE


def _daily_looks(rng: np.random.Generator, days: int, units_per_day: int):
    """Cumulative Welch tests of A/A experiments after each day, shape (experiments, days)."""
    control_sum = np.zeros(EXPERIMENTS)
    control_sq = np.zeros(EXPERIMENTS)
    variant_sum = np.zeros(EXPERIMENTS)
    variant_sq = np.zeros(EXPERIMENTS)
    looks = []
    for day in range(1, days + 1):
        control_day = rng.gamma(2.0, 5.0, size=(EXPERIMENTS, units_per_day))
        variant_day = rng.gamma(2.0, 5.0, size=(EXPERIMENTS, units_per_day))
        control_sum += control_day.sum(axis=1)
        control_sq += (control_day**2).sum(axis=1)
        variant_sum += variant_day.sum(axis=1)
        variant_sq += (variant_day**2).sum(axis=1)
        n = np.full(EXPERIMENTS, float(day * units_per_day))
        control = MeanStats(n, control_sum.copy(), control_sq.copy())
        variant = MeanStats(n, variant_sum.copy(), variant_sq.copy())
        looks.append((welch_test(_moments(control), _moments(variant), ALPHA), 2 * n))
    return looks


@pytest.mark.slow
def test_sequential_false_positive_rate_with_twenty_daily_looks_stays_at_alpha():
    rng = np.random.default_rng(106)
    rho = sequential.mixing_rho(ALPHA, sequential.DEFAULT_TUNING)
    looks = _daily_looks(rng, days=20, units_per_day=100)

    sequential_reject = np.zeros(EXPERIMENTS, dtype=bool)
    naive_reject = np.zeros(EXPERIMENTS, dtype=bool)
    for welch, n_units in looks:
        always_valid = sequential.always_valid_p_value(welch.effect, welch.std_error, n_units, rho)
        sequential_reject |= always_valid < ALPHA
        naive_reject |= welch.p_value < ALPHA

    assert np.mean(sequential_reject) <= 0.062
    # The same looks with fixed-horizon p-values inflate the false positive rate well above alpha,
    # which is what the sequential method is for.
    assert np.mean(naive_reject) > 0.12

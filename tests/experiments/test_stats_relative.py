"""The relative interval (Fieller's) and the chance to win, against scipy on unit-level data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments import sequential
from experiments.stats import RELATIVE_INTERVAL_UNBOUNDED, ZERO_EVENT_ARM, compare
from tests.experiments.factories import mean_stats_of, proportion_stats_of, ratio_stats_of

RTOL = 1e-8


def _compare(control, variant, **options):
    return compare(control, variant, metric="m", control_name="c", variant_name="v", **options)


def test_relative_interval_ends_are_where_welchs_test_of_the_scaled_control_sits_on_the_quantile():
    rng = np.random.default_rng(31)
    control = rng.lognormal(0.0, 1.2, 300)
    variant = 1.15 * rng.lognormal(0.0, 1.2, 250)

    result = _compare(mean_stats_of(control), mean_stats_of(variant), alpha=0.1)

    # variant - (1 + r) control has mean 0 at the true r; at each end Welch's statistic of that
    # hypothesis (scipy, unit level) is the quantile the p-value of r = 0 uses.
    quantile = scipy_stats.t.ppf(0.95, scipy_stats.ttest_ind(variant, control, equal_var=False).df)
    low, high = result.relative_ci
    at_low = scipy_stats.ttest_ind(variant, (1 + low) * control, equal_var=False).statistic
    at_high = scipy_stats.ttest_ind(variant, (1 + high) * control, equal_var=False).statistic
    assert at_low == pytest.approx(quantile, rel=1e-7)
    assert at_high == pytest.approx(-quantile, rel=1e-7)
    assert low < result.relative_effect < high
    # Skewed like a ratio: further above the estimate than below it.
    assert high - result.relative_effect > result.relative_effect - low


def test_symmetric_delta_interval_is_kept_under_its_own_key():
    rng = np.random.default_rng(32)
    control, variant = rng.gamma(2.0, 5.0, 800), rng.gamma(2.2, 5.0, 800)

    result = _compare(mean_stats_of(control), mean_stats_of(variant))

    quantile = scipy_stats.t.ppf(0.975, result.dof)
    half = quantile * result.relative_std_error
    assert result.relative_ci_symmetric == pytest.approx(
        (result.relative_effect - half, result.relative_effect + half), rel=RTOL
    )
    assert result.relative_ci != pytest.approx(result.relative_ci_symmetric, rel=1e-6)


@pytest.mark.parametrize("seed", range(40))
def test_relative_interval_excludes_zero_exactly_when_p_is_below_alpha(seed: int):
    rng = np.random.default_rng(seed)
    control = rng.lognormal(0.0, 1.0, 60)
    variant = rng.lognormal(rng.normal(0.0, 0.4), 1.0, 60)

    result = _compare(mean_stats_of(control), mean_stats_of(variant))

    low, high = result.relative_ci
    assert (low > 0 or high < 0) == (result.p_value < 0.05)
    assert (result.chance_to_win > 0.975 or result.chance_to_win < 0.025) == (result.p_value < 0.05)


def test_sequential_relative_interval_excludes_zero_exactly_when_the_always_valid_p_does():
    rng = np.random.default_rng(33)
    for _ in range(30):
        control = rng.lognormal(0.0, 1.0, 500)
        variant = rng.lognormal(rng.normal(0.0, 0.15), 1.0, 500)
        result = _compare(mean_stats_of(control), mean_stats_of(variant), method="sequential")
        low, high = result.relative_ci
        assert (low > 0 or high < 0) == (result.p_value < 0.05)
        rho = sequential.mixing_rho(0.05)
        width = sequential.half_width(result.absolute_std_error, 1_000, 0.05, rho)
        assert result.absolute_ci[1] - result.absolute_ci[0] == pytest.approx(2 * width)


def test_four_units_per_arm_use_welchs_t_for_the_chance_to_win_not_a_normal_posterior():
    control = np.array([3.1, 4.0, 2.2, 5.3])
    variant = np.array([4.4, 3.0, 6.1, 5.2])

    result = _compare(mean_stats_of(control), mean_stats_of(variant))

    two_sided = scipy_stats.ttest_ind(variant, control, equal_var=False)
    greater = scipy_stats.ttest_ind(variant, control, equal_var=False, alternative="greater")
    assert result.p_value == pytest.approx(two_sided.pvalue, rel=RTOL)
    assert result.chance_to_win == pytest.approx(1 - greater.pvalue, rel=RTOL)
    # The smaller tail is half the two-sided p; a normal at the same statistic claims more.
    smaller_tail = min(result.chance_to_win, 1 - result.chance_to_win)
    assert smaller_tail == pytest.approx(two_sided.pvalue / 2)
    assert result.chance_to_win < scipy_stats.norm.cdf(result.statistic)


@pytest.mark.parametrize("direction", ["increase", "decrease"])
def test_a_variant_without_events_has_no_relative_interval_or_chance_to_win(direction: str):
    control = proportion_stats_of(np.r_[np.ones(12), np.zeros(988)])
    variant = proportion_stats_of(np.zeros(1_000))

    result = _compare(control, variant, direction=direction)

    assert result.relative_warning == ZERO_EVENT_ARM
    assert all(math.isnan(end) for end in result.relative_ci)
    assert math.isnan(result.chance_to_win) and math.isnan(result.expected_loss)
    assert result.relative_effect == pytest.approx(-1.0)
    assert result.p_value < 0.01


def test_a_ratio_variant_without_numerator_events_is_flagged_too():
    impressions = np.full(500, 10.0)
    clicks = np.r_[np.ones(40), np.zeros(460)]

    result = _compare(
        ratio_stats_of(clicks, impressions), ratio_stats_of(np.zeros(500), impressions)
    )

    assert result.relative_warning == ZERO_EVENT_ARM
    assert math.isnan(result.relative_ci[0])


def test_a_control_mean_indistinguishable_from_zero_leaves_the_interval_unbounded():
    # Values of both signs around 0: the control mean is far from significant.
    control = np.array([5.0, -4.0, 3.0, -3.5, 0.2, -0.4])
    variant = np.array([6.0, -2.0, 4.0, -1.0, 1.0, 0.5])

    result = _compare(mean_stats_of(control), mean_stats_of(variant))

    assert result.relative_warning == RELATIVE_INTERVAL_UNBOUNDED
    assert math.isnan(result.relative_ci[0]) and math.isnan(result.chance_to_win)

"""Differential and hand-pinned tests of one comparison (experiments.stats).

Independent references work on the same unit-level data: statsmodels' Welch test and proportion
tests, an OLS fit for CUPED's theta, and direct numpy computations for the delta method.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as scipy_stats
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

from experiments.stats import (
    CUPED_NO_PRE_VARIANCE,
    GaussianPrior,
    InsufficientDataError,
    bayesian_view,
    compare,
)
from experiments.sufficient import MeanStats, ProportionStats
from tests.experiments.factories import (
    cuped_stats_of,
    mean_stats_of,
    proportion_stats_of,
    ratio_stats_of,
)

RTOL = 1e-8


def _compare(control, variant, **options):
    return compare(control, variant, metric="m", control_name="c", variant_name="v", **options)


def test_mean_metric_matches_statsmodels_welch_test_on_unit_level_data():
    rng = np.random.default_rng(11)
    control = rng.gamma(2.0, 5.0, size=1_500)
    variant = rng.gamma(2.1, 5.0, size=1_200)

    result = _compare(mean_stats_of(control), mean_stats_of(variant), alpha=0.1)

    statistic, p_value, dof = ttest_ind(variant, control, usevar="unequal")
    low, high = CompareMeans(DescrStatsW(variant), DescrStatsW(control)).tconfint_diff(
        alpha=0.1, usevar="unequal"
    )
    assert result.statistic == pytest.approx(statistic, rel=RTOL)
    assert result.p_value == pytest.approx(p_value, rel=RTOL)
    assert result.dof == pytest.approx(dof, rel=RTOL)
    assert result.absolute_effect == pytest.approx(variant.mean() - control.mean(), rel=RTOL)
    assert result.absolute_ci == pytest.approx((low, high), rel=RTOL)
    assert result.control_mean == pytest.approx(control.mean(), rel=RTOL)
    assert result.kind == "mean"


def test_proportion_uses_bernoulli_variance_like_the_statsmodels_wald_test():
    rng = np.random.default_rng(12)
    control = (rng.random(4_000) < 0.10).astype(float)
    variant = (rng.random(3_800) < 0.115).astype(float)

    result = _compare(proportion_stats_of(control), proportion_stats_of(variant))

    wald = sm_proportion.test_proportions_2indep(
        variant.sum(), len(variant), control.sum(), len(control), method="wald", compare="diff"
    )
    p_c, p_v = control.mean(), variant.mean()
    # The reference Welch test fed with the p(1 - p) standard deviations (scipy's implementation).
    welch = scipy_stats.ttest_ind_from_stats(
        p_v,
        math.sqrt(p_v * (1 - p_v)),
        len(variant),
        p_c,
        math.sqrt(p_c * (1 - p_c)),
        len(control),
        equal_var=False,
    )
    assert result.kind == "proportion"
    assert result.statistic == pytest.approx(wald.statistic, rel=RTOL)
    assert result.p_value == pytest.approx(welch.pvalue, rel=RTOL)
    assert result.p_value == pytest.approx(wald.pvalue, rel=1e-3)
    assert result.absolute_std_error == pytest.approx(
        math.sqrt(p_c * (1 - p_c) / len(control) + p_v * (1 - p_v) / len(variant)), rel=RTOL
    )


def test_cuped_matches_ols_theta_then_welch_on_adjusted_unit_values():
    rng = np.random.default_rng(13)
    pre_control = rng.normal(20, 6, size=2_000)
    pre_variant = rng.normal(20, 6, size=2_100)
    control = 0.8 * pre_control + rng.normal(4, 3, size=2_000)
    variant = 0.8 * pre_variant + rng.normal(4.5, 3, size=2_100)

    result = _compare(
        cuped_stats_of(control, pre_control), cuped_stats_of(variant, pre_variant), alpha=0.05
    )

    pre = np.concatenate([pre_control, pre_variant])
    outcome = np.concatenate([control, variant])
    theta = sm.OLS(outcome, sm.add_constant(pre)).fit().params[1]
    adjusted_control = control - theta * (pre_control - pre.mean())
    adjusted_variant = variant - theta * (pre_variant - pre.mean())
    statistic, p_value, dof = ttest_ind(adjusted_variant, adjusted_control, usevar="unequal")
    low, high = CompareMeans(
        DescrStatsW(adjusted_variant), DescrStatsW(adjusted_control)
    ).tconfint_diff(alpha=0.05, usevar="unequal")

    assert result.cuped and result.cuped_fallback is None
    assert result.cuped_theta == pytest.approx(theta, rel=RTOL)
    assert result.absolute_effect == pytest.approx(
        adjusted_variant.mean() - adjusted_control.mean(), rel=RTOL
    )
    assert result.statistic == pytest.approx(statistic, rel=RTOL)
    assert result.p_value == pytest.approx(p_value, rel=RTOL)
    assert result.dof == pytest.approx(dof, rel=RTOL)
    assert result.absolute_ci == pytest.approx((low, high), rel=RTOL)
    # Means are reported unadjusted and the relative effect divides by the unadjusted control mean.
    assert result.control_mean == pytest.approx(control.mean(), rel=RTOL)
    assert result.relative_effect == pytest.approx(
        (adjusted_variant.mean() - adjusted_control.mean()) / control.mean(), rel=RTOL
    )


def test_cuped_reduces_the_standard_error_when_the_pre_period_predicts_the_outcome():
    rng = np.random.default_rng(14)
    pre_control, pre_variant = rng.normal(10, 3, 1_000), rng.normal(10, 3, 1_000)
    control = pre_control + rng.normal(0, 1, 1_000)
    variant = pre_variant + rng.normal(0.2, 1, 1_000)

    adjusted = _compare(cuped_stats_of(control, pre_control), cuped_stats_of(variant, pre_variant))
    plain = _compare(mean_stats_of(control), mean_stats_of(variant))

    assert adjusted.absolute_std_error < 0.5 * plain.absolute_std_error


def test_cuped_relative_interval_matches_a_delta_method_on_unit_level_data():
    rng = np.random.default_rng(15)
    pre_control, pre_variant = rng.normal(10, 3, 800), rng.normal(10, 3, 900)
    control = pre_control + rng.normal(0, 2, 800)
    variant = pre_variant + rng.normal(0.5, 2, 900)

    result = _compare(cuped_stats_of(control, pre_control), cuped_stats_of(variant, pre_variant))

    # Theta from its own definition (the pooled OLS slope of outcome on pre-period), not the result.
    pre = np.concatenate([pre_control, pre_variant])
    theta = sm.OLS(np.concatenate([control, variant]), sm.add_constant(pre)).fit().params[1]
    adjusted_control = control - theta * pre_control
    adjusted_variant = variant - theta * pre_variant
    effect = adjusted_variant.mean() - adjusted_control.mean()
    mean_c = control.mean()
    n_c, n_v = len(control), len(variant)
    var_effect = adjusted_variant.var(ddof=1) / n_v + adjusted_control.var(ddof=1) / n_c
    var_mean_c = control.var(ddof=1) / n_c
    cov_effect_mean_c = -np.cov(adjusted_control, control, ddof=1)[0, 1] / n_c
    gradient = np.array([1 / mean_c, -effect / mean_c**2])
    covariance = np.array([[var_effect, cov_effect_mean_c], [cov_effect_mean_c, var_mean_c]])
    expected_se = math.sqrt(gradient @ covariance @ gradient)

    assert result.relative_std_error == pytest.approx(expected_se, rel=RTOL)


def test_cuped_falls_back_to_the_unadjusted_estimate_when_the_pre_period_is_constant():
    rng = np.random.default_rng(16)
    control, variant = rng.normal(5, 1, 300), rng.normal(5.2, 1, 300)
    constant = np.full(300, 3.0)

    result = _compare(cuped_stats_of(control, constant), cuped_stats_of(variant, constant))
    plain = _compare(mean_stats_of(control), mean_stats_of(variant))

    assert not result.cuped
    assert result.cuped_fallback == CUPED_NO_PRE_VARIANCE
    assert result.p_value == plain.p_value
    assert result.absolute_ci == plain.absolute_ci


def test_proportion_cuped_fallback_keeps_the_bernoulli_variance():
    rng = np.random.default_rng(17)
    control = (rng.random(500) < 0.2).astype(float)
    variant = (rng.random(500) < 0.25).astype(float)
    no_history = np.zeros(500)

    result = _compare(
        cuped_stats_of(control, no_history, proportion=True),
        cuped_stats_of(variant, no_history, proportion=True),
    )
    plain = _compare(proportion_stats_of(control), proportion_stats_of(variant))

    assert result.kind == "proportion"
    assert result.cuped_fallback == CUPED_NO_PRE_VARIANCE
    assert result.absolute_std_error == plain.absolute_std_error


def test_ratio_delta_method_matches_a_direct_computation_from_unit_level_data():
    rng = np.random.default_rng(18)
    impressions_c = rng.poisson(20, 1_000).astype(float) + 1
    impressions_v = rng.poisson(20, 1_100).astype(float) + 1
    clicks_c = rng.binomial(impressions_c.astype(int), 0.05).astype(float)
    clicks_v = rng.binomial(impressions_v.astype(int), 0.055).astype(float)

    result = _compare(
        ratio_stats_of(clicks_c, impressions_c), ratio_stats_of(clicks_v, impressions_v)
    )

    def ratio_and_variance(clicks, impressions):
        ratio = clicks.sum() / impressions.sum()
        # Influence function of the ratio: (num - R den) / mean(den), per unit.
        linearised = (clicks - ratio * impressions) / impressions.mean()
        return ratio, linearised.var(ddof=1) / len(clicks)

    ratio_c, var_c = ratio_and_variance(clicks_c, impressions_c)
    ratio_v, var_v = ratio_and_variance(clicks_v, impressions_v)
    assert result.kind == "ratio"
    assert result.control_mean == pytest.approx(ratio_c, rel=RTOL)
    assert result.absolute_effect == pytest.approx(ratio_v - ratio_c, rel=RTOL)
    assert result.absolute_std_error == pytest.approx(math.sqrt(var_c + var_v), rel=RTOL)
    relative_se = math.sqrt(var_v / ratio_c**2 + ratio_v**2 * var_c / ratio_c**4)
    assert result.relative_std_error == pytest.approx(relative_se, rel=RTOL)


def test_hand_pinned_small_mean_comparison():
    # control 1, 2, 3, 4 and variant 2, 4, 6, 8, worked by hand:
    # means 2.5 and 5, variances 5/3 and 20/3, se^2 = (5/3 + 20/3) / 4 = 25/12,
    # t = 2.5 / sqrt(25/12) = sqrt(3), dof = (25/12)^2 / ((5/12)^2/3 + (5/3)^2/3) = 75/17.
    result = _compare(MeanStats(4, 10.0, 30.0), MeanStats(4, 20.0, 120.0))

    assert result.absolute_effect == pytest.approx(2.5)
    assert result.relative_effect == pytest.approx(1.0)
    assert result.absolute_std_error == pytest.approx(math.sqrt(25 / 12))
    assert result.statistic == pytest.approx(math.sqrt(3))
    assert result.dof == pytest.approx(75 / 17)
    assert result.p_value == pytest.approx(2 * scipy_stats.t.sf(math.sqrt(3), 75 / 17))


def test_hand_pinned_small_proportion_comparison():
    # 10 of 100 against 20 of 100: se^2 = 0.09/100 + 0.16/100 = 0.0025, so se = 0.05, z = 2.
    result = _compare(ProportionStats(100, 10.0, 10.0), ProportionStats(100, 20.0, 20.0))

    assert result.absolute_effect == pytest.approx(0.1)
    assert result.absolute_std_error == pytest.approx(0.05)
    assert result.statistic == pytest.approx(2.0)
    # Relative: sqrt(0.0016/0.01 + 0.04 * 0.0009 / 0.0001) = sqrt(0.16 + 0.36) / 1.
    assert result.relative_std_error == pytest.approx(math.sqrt(0.52))


def test_decrease_direction_turns_the_bayesian_view_around():
    rng = np.random.default_rng(19)
    control, variant = rng.normal(10, 2, 2_000), rng.normal(9.8, 2, 2_000)
    lower_is_better = _compare(mean_stats_of(control), mean_stats_of(variant), direction="decrease")
    higher_is_better = _compare(mean_stats_of(control), mean_stats_of(variant))

    assert lower_is_better.chance_to_win == pytest.approx(1 - higher_is_better.chance_to_win)
    assert lower_is_better.chance_to_win > 0.9
    assert lower_is_better.expected_loss < higher_is_better.expected_loss


def test_flat_prior_chance_to_win_and_expected_loss_match_welch_and_t_integration():
    control = np.random.default_rng(21).normal(10.0, 2.0, 400)
    variant = np.random.default_rng(22).normal(10.1, 2.0, 400)
    result = _compare(mean_stats_of(control), mean_stats_of(variant))

    greater = scipy_stats.ttest_ind(variant, control, equal_var=False, alternative="greater")
    posterior = scipy_stats.t(result.dof, result.relative_effect, result.relative_std_error)
    loss = posterior.expect(lambda x: max(0.0, -x))
    assert result.chance_to_win == pytest.approx(1 - greater.pvalue, rel=1e-10)
    assert result.expected_loss == pytest.approx(loss, rel=1e-6)


def test_proper_prior_shrinks_the_chance_to_win_towards_one_half():
    control, variant = MeanStats(400, 4_000.0, 41_600.0), MeanStats(400, 4_080.0, 43_200.0)
    flat = _compare(control, variant)
    sceptical = _compare(control, variant, prior=GaussianPrior(mean=0.0, variance=0.01**2))

    assert 0.5 < sceptical.chance_to_win < flat.chance_to_win
    posterior_precision = 1 / 0.01**2 + 1 / flat.relative_std_error**2
    posterior_mean = (flat.relative_effect / flat.relative_std_error**2) / posterior_precision
    assert sceptical.chance_to_win == pytest.approx(
        scipy_stats.norm.cdf(posterior_mean * math.sqrt(posterior_precision)), rel=1e-10
    )


def test_an_arm_with_one_unit_is_refused_with_its_code_and_size():
    with pytest.raises(InsufficientDataError) as refused:
        _compare(MeanStats(1, 1.0, 1.0), MeanStats(10, 10.0, 12.0))
    assert refused.value.code == "too_few_units"
    assert dict(refused.value.values) == {"arm": "control", "units": 1}


def test_a_zero_control_mean_is_refused_because_the_relative_effect_is_undefined():
    with pytest.raises(InsufficientDataError) as refused:
        _compare(ProportionStats(50, 0.0, 0.0), ProportionStats(50, 3.0, 3.0))
    assert refused.value.code == "zero_control_mean"


def test_arms_of_different_kinds_are_refused():
    with pytest.raises(TypeError, match="same statistic kind"):
        _compare(MeanStats(10, 10.0, 12.0), ProportionStats(10, 3.0, 3.0))


def test_comparison_serialises_to_plain_json():
    import json

    result = _compare(MeanStats(4, 10.0, 30.0), MeanStats(4, 20.0, 120.0))
    decoded = json.loads(json.dumps(result.to_dict()))
    assert decoded["absolute_ci"] == list(result.absolute_ci)
    assert decoded["adjusted_p_value"] is None


def test_constant_values_in_both_arms_are_refused_as_having_no_variance():
    with pytest.raises(InsufficientDataError) as refused:
        _compare(MeanStats(3, 0.3, 0.03), MeanStats(3, 0.3, 0.03))
    assert refused.value.code == "no_variance"


def test_proportion_cuped_matches_ols_theta_then_welch_on_adjusted_indicators():
    rng = np.random.default_rng(20)
    pre_control = (rng.random(3_000) < 0.3).astype(float)
    pre_variant = (rng.random(3_000) < 0.3).astype(float)
    control = np.where(rng.random(3_000) < 0.7, pre_control, rng.random(3_000) < 0.3)
    variant = np.where(rng.random(3_000) < 0.7, pre_variant, rng.random(3_000) < 0.36)
    control, variant = control.astype(float), variant.astype(float)

    result = _compare(
        cuped_stats_of(control, pre_control, proportion=True),
        cuped_stats_of(variant, pre_variant, proportion=True),
    )

    pre = np.concatenate([pre_control, pre_variant])
    theta = sm.OLS(np.concatenate([control, variant]), sm.add_constant(pre)).fit().params[1]
    statistic, p_value, dof = ttest_ind(
        variant - theta * pre_variant, control - theta * pre_control, usevar="unequal"
    )
    assert result.kind == "proportion" and result.cuped
    assert result.cuped_theta == pytest.approx(theta, rel=RTOL)
    assert result.statistic == pytest.approx(statistic, rel=RTOL)
    assert result.p_value == pytest.approx(p_value, rel=RTOL)
    assert result.dof == pytest.approx(dof, rel=RTOL)


@pytest.mark.parametrize(
    ("effect", "direction", "chance", "loss"),
    [
        (0.04, "increase", 1.0, 0.0),
        (-0.04, "increase", 0.0, 0.04),
        (0.0, "increase", 0.5, 0.0),
        (0.04, "decrease", 0.0, 0.04),
        (-0.04, "decrease", 1.0, 0.0),
    ],
)
@pytest.mark.parametrize("prior", [None, GaussianPrior(mean=0.0, variance=0.01**2)])
def test_bayesian_view_with_zero_posterior_spread_reads_the_sign_of_the_effect(
    effect: float, direction: str, chance: float, loss: float, prior: GaussianPrior | None
):
    # A zero standard error (an arm without variance yet) leaves the posterior a point mass at
    # the observed effect, whatever the prior; no division by zero may warn on the way.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = bayesian_view(effect, 0.0, direction, prior)

    assert view.chance_to_win == chance
    assert view.expected_loss == pytest.approx(loss)


def test_bayesian_view_of_arrays_mixes_point_masses_and_spread_posteriors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = bayesian_view(np.array([0.02, 0.02]), np.array([0.0, 0.01]), "increase")

    assert view.chance_to_win[0] == 1.0
    assert view.chance_to_win[1] == pytest.approx(scipy_stats.norm.cdf(2.0))
    assert view.expected_loss[0] == 0.0
    assert view.expected_loss[1] > 0.0

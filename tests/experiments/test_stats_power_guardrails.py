"""Power (minimum detectable effect, days needed) and guardrail non-inferiority."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from experiments.guardrails import guardrail_test
from experiments.power import power_analysis
from experiments.stats import compare
from tests.experiments.factories import mean_stats_with


def _comparison(n_per_arm: int, variant_mean: float, direction="increase", method="fixed"):
    return compare(
        mean_stats_with(n_per_arm, 10.0, 2.0),
        mean_stats_with(n_per_arm, variant_mean, 2.0),
        metric="latency",
        control_name="c",
        variant_name="v",
        direction=direction,
        method=method,
    )


def test_mde_is_z_alpha_plus_z_power_standard_errors_over_the_control_mean():
    comparison = _comparison(1_000, 10.0)

    result = power_analysis(comparison)

    multiplier = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    # se = sqrt(2 * 4 / 1000); relative to a control mean of 10.
    assert result.mde_relative == pytest.approx(multiplier * math.sqrt(0.008) / 10)
    assert result.days_needed is None and result.planned_mde is None


def test_four_times_the_sample_halves_the_mde():
    small = power_analysis(_comparison(1_000, 10.0))
    large = power_analysis(_comparison(4_000, 10.0))

    assert large.mde_relative == pytest.approx(small.mde_relative / 2, rel=1e-3)


def test_days_needed_cover_the_units_the_planned_mde_requires():
    now = power_analysis(_comparison(1_000, 10.0))
    planned = now.mde_relative / 2

    result = power_analysis(_comparison(1_000, 10.0), planned_mde=planned, units_per_day=500)

    # Halving the MDE needs four times the 2,000 units: 6,000 more at 500 a day.
    assert result.required_units == pytest.approx(8_000, abs=1)
    assert result.days_needed == 12
    assert result.planned_mde_reached is False


def test_no_days_are_needed_once_the_planned_mde_is_detectable():
    result = power_analysis(_comparison(1_000, 10.0), planned_mde=0.5, units_per_day=100)

    assert result.days_needed == 0
    assert result.planned_mde_reached is True


def test_non_positive_traffic_is_refused():
    with pytest.raises(ValueError, match="units_per_day must be positive"):
        power_analysis(_comparison(1_000, 10.0), planned_mde=0.01, units_per_day=0)


def test_guardrail_p_value_is_the_one_sided_t_test_against_the_margin():
    comparison = _comparison(2_000, 9.95)

    result = guardrail_test(comparison, margin=0.02)

    statistic = (comparison.relative_effect + 0.02) / comparison.relative_std_error
    assert result.p_value == pytest.approx(scipy_stats.t.sf(statistic, comparison.dof))
    assert result.non_inferior == (result.p_value < 0.05)


def test_guardrail_passes_when_the_worsening_is_shown_to_be_within_the_margin():
    result = guardrail_test(_comparison(20_000, 10.0), margin=0.02)

    assert result.status == "pass"
    assert result.worst_case_relative_effect > -0.02


def test_guardrail_breaches_when_the_metric_is_shown_worse_than_the_margin():
    result = guardrail_test(_comparison(20_000, 9.5), margin=0.02)

    assert result.status == "breach" and result.breached and not result.non_inferior


def test_guardrail_is_inconclusive_when_the_interval_straddles_the_margin():
    result = guardrail_test(_comparison(200, 9.8), margin=0.02)

    assert result.status == "inconclusive"


def test_guardrail_respects_a_lower_is_better_direction():
    # Latency up 5% is harm when lower is better, improvement when higher is better.
    lower_is_better = guardrail_test(_comparison(20_000, 10.5, direction="decrease"), margin=0.02)
    higher_is_better = guardrail_test(_comparison(20_000, 10.5, direction="increase"), margin=0.02)

    assert lower_is_better.status == "breach"
    assert higher_is_better.status == "pass"
    assert lower_is_better.worst_case_relative_effect > lower_is_better.relative_effect


def test_sequential_guardrail_is_more_conservative_than_the_fixed_one():
    fixed = guardrail_test(_comparison(5_000, 9.98), margin=0.02)
    sequential = guardrail_test(_comparison(5_000, 9.98, method="sequential"), margin=0.02)

    assert sequential.p_value > fixed.p_value
    assert sequential.worst_case_relative_effect < fixed.worst_case_relative_effect

"""Power of the sequential method at its always-valid boundary, by hand formula and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments import sequential
from experiments.power import power_analysis
from experiments.stats import ArmMoments, compare, welch_test
from tests.experiments.factories import mean_stats_with

ALPHA = 0.05
TUNING = 5_000.0


def _boundary(units: float) -> float:
    """The confidence sequence's half-width per standard error, written out by hand."""
    log_term = -2 * math.log(ALPHA)
    rho_sq = (log_term + math.log(log_term + 1)) / TUNING
    spread = units * rho_sq + 1
    return math.sqrt(2 * spread / (units * rho_sq) * math.log(math.sqrt(spread) / ALPHA))


def _comparison(n: int, method: str):
    return compare(
        mean_stats_with(n, 10.0, 4.0),
        mean_stats_with(n, 10.0, 4.0),
        metric="revenue",
        control_name="c",
        variant_name="v",
        alpha=ALPHA,
        method=method,
        sequential_tuning=TUNING,
    )


def test_sequential_mde_uses_the_always_valid_boundary_at_the_current_sample():
    comparison = _comparison(2_000, "sequential")

    result = power_analysis(comparison)

    relative_se = math.sqrt(2 * 16.0 / 2_000) / 10.0
    expected = (_boundary(4_000) + scipy_stats.norm.ppf(0.8)) * relative_se
    assert result.critical_value == pytest.approx(_boundary(4_000), rel=1e-10)
    assert result.mde_relative == pytest.approx(expected, rel=1e-10)
    assert result.mde_relative > power_analysis(_comparison(2_000, "fixed")).mde_relative


def test_sequential_required_units_are_the_fewest_at_which_the_planned_mde_is_detectable():
    result = power_analysis(_comparison(2_000, "sequential"), planned_mde=0.02, units_per_day=400)

    def mde(units: int) -> float:
        relative_se = math.sqrt(2 * 16.0 / (units / 2)) / 10.0
        return (_boundary(units) + scipy_stats.norm.ppf(0.8)) * relative_se

    assert result.required_units is not None
    assert mde(result.required_units) <= 0.02 < mde(result.required_units - 1)
    assert result.days_needed == math.ceil((result.required_units - 4_000) / 400)


@pytest.mark.slow
def test_simulated_power_of_the_sequential_test_at_the_shown_mde_is_the_planned_power():
    units = 3_000
    shown = power_analysis(_comparison(units, "sequential")).mde_relative
    rng = np.random.default_rng(77)
    experiments = 4_000
    control = rng.normal(10.0, 4.0, size=(experiments, units))
    variant = rng.normal(10.0 * (1 + shown), 4.0, size=(experiments, units))

    def moments(values: np.ndarray) -> ArmMoments:
        return ArmMoments(np.full(experiments, units), values.mean(1), values.var(1, ddof=1))

    welch = welch_test(moments(control), moments(variant), ALPHA)
    rho = sequential.mixing_rho(ALPHA, TUNING)
    p_values = sequential.always_valid_p_value(welch.effect, welch.std_error, 2 * units, rho)
    fixed_mde = power_analysis(_comparison(units, "fixed")).mde_relative

    assert abs(np.mean(p_values < ALPHA) - 0.80) <= 0.03
    # The fixed-horizon MDE, read with the sequential test, has far less than 80% power.
    fixed_effect = fixed_mde / (math.sqrt(2 * 16.0 / units) / 10.0)
    assert scipy_stats.norm.cdf(fixed_effect - _boundary(2 * units)) < 0.6

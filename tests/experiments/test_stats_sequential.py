"""The confidence sequence and its always-valid p-value (experiments.sequential)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments import sequential
from experiments.stats import compare
from tests.experiments.factories import mean_stats_with


def _sequential_and_fixed(n_per_arm: int, shift: float = 0.1):
    control = mean_stats_with(n_per_arm, 10.0, 2.0)
    variant = mean_stats_with(n_per_arm, 10.0 + shift, 2.0)
    options = {"metric": "m", "control_name": "c", "variant_name": "v", "alpha": 0.05}
    return (
        compare(control, variant, method="sequential", **options),
        compare(control, variant, method="fixed", **options),
    )


def _width(interval: tuple[float, float]) -> float:
    return interval[1] - interval[0]


@pytest.mark.parametrize("n_per_arm", [100, 2_500, 50_000])
def test_sequence_is_wider_than_the_fixed_interval_at_the_same_alpha(n_per_arm):
    seq, fixed = _sequential_and_fixed(n_per_arm)

    assert _width(seq.absolute_ci) > _width(fixed.absolute_ci)
    assert _width(seq.relative_ci) > _width(fixed.relative_ci)
    assert seq.p_value > fixed.p_value
    assert seq.absolute_effect == fixed.absolute_effect


def test_sequence_width_shrinks_as_units_accumulate():
    widths = [_width(_sequential_and_fixed(n)[0].absolute_ci) for n in (100, 1_000, 10_000)]

    assert widths[0] > widths[1] > widths[2]


def test_sequence_is_relatively_tightest_near_the_tuning_sample():
    rho = sequential.mixing_rho(0.05, tuning=5_000)
    z = scipy_stats.norm.ppf(0.975)

    def width_ratio(n_units: float) -> float:
        std_error = 1 / math.sqrt(n_units)
        return float(sequential.half_width(std_error, n_units, 0.05, rho)) / (z * std_error)

    assert width_ratio(5_000) < width_ratio(500)
    assert width_ratio(5_000) < width_ratio(50_000)


def test_p_value_equals_alpha_exactly_where_the_sequence_touches_zero():
    rho = sequential.mixing_rho(0.05, tuning=5_000)
    std_error, n_units = 0.3, 2_000
    edge = float(sequential.half_width(std_error, n_units, 0.05, rho))

    at_edge = float(sequential.always_valid_p_value(edge, std_error, n_units, rho))
    inside = float(sequential.always_valid_p_value(0.99 * edge, std_error, n_units, rho))
    outside = float(sequential.always_valid_p_value(1.01 * edge, std_error, n_units, rho))

    assert at_edge == pytest.approx(0.05, rel=1e-10)
    assert inside > 0.05 > outside


def test_p_value_is_capped_at_one_for_a_zero_effect():
    rho = sequential.mixing_rho(0.05)
    assert sequential.always_valid_p_value(0.0, 1.0, 1_000, rho) == 1.0


def test_half_width_accepts_arrays_of_looks():
    rho = sequential.mixing_rho(0.05)
    n_units = np.array([200.0, 400.0, 800.0])
    widths = sequential.half_width(1 / np.sqrt(n_units), n_units, 0.05, rho)

    assert widths.shape == (3,)
    assert np.all(np.diff(widths) < 0)


def test_non_positive_tuning_is_refused():
    with pytest.raises(ValueError, match="sequential_tuning must be positive"):
        sequential.mixing_rho(0.05, tuning=0)


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.1, 0.2, 0.4])
def test_sequential_p_value_is_below_alpha_exactly_when_the_sequence_excludes_zero(shift):
    seq, _ = _sequential_and_fixed(2_000, shift)

    excludes_zero = seq.absolute_ci[0] > 0 or seq.absolute_ci[1] < 0
    assert (seq.p_value < seq.alpha) == excludes_zero

"""Seeded simulations of the relative interval and chance to win on skewed and rare metrics.

Each case draws unit-level values for thousands of experiments at once (a rare proportion's
converted count is drawn as the binomial sum of its units' Bernoulli draws), reduces them to
sufficient statistics and runs the array-level functions `compare` uses. The truth is the
simulated relative effect, never a number from the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments.stats import (
    ArmMoments,
    RelativeInterval,
    fieller_interval,
    flat_prior_view,
    relative_delta,
    welch_test,
)
from experiments.sufficient import MeanStats, ProportionStats

EXPERIMENTS = 4_000
ALPHA = 0.05
COVERAGE_TOLERANCE = 0.015
FALSE_POSITIVE_TOLERANCE = 0.015

Arm = Callable[[np.random.Generator, float], MeanStats]


class Reading(NamedTuple):
    """What each simulated experiment reports about its relative effect."""

    interval: RelativeInterval
    p_value: np.ndarray
    chance_to_win: np.ndarray


def _sums(values: np.ndarray) -> MeanStats:
    return MeanStats(np.full(values.shape[0], values.shape[1]), values.sum(1), (values**2).sum(1))


def _lognormal(rng: np.random.Generator, lift: float) -> MeanStats:
    """Revenue-like values: lognormal with sigma 1.5, 1,000 units; `lift` scales every value."""
    return _sums((1 + lift) * rng.lognormal(0.0, 1.5, size=(EXPERIMENTS, 1_000)))


def _zero_inflated(rng: np.random.Generator, lift: float) -> MeanStats:
    """95% zeros, buyers spend lognormal(0, 1); `lift` raises the share of buyers; 4,000 units."""
    shape = (EXPERIMENTS, 4_000)
    buys = rng.random(shape) < 0.05 * (1 + lift)
    return _sums(np.where(buys, rng.lognormal(0.0, 1.0, size=shape), 0.0))


def _rare_proportion(rng: np.random.Generator, lift: float) -> MeanStats:
    """A 0.2% conversion rate on 20,000 units (about 40 conversions); `lift` raises the rate."""
    units = 20_000
    converted = rng.binomial(units, 0.002 * (1 + lift), size=EXPERIMENTS).astype(float)
    return ProportionStats(np.full(EXPERIMENTS, units), converted, converted)


CASES = {"lognormal": _lognormal, "zero_inflated": _zero_inflated, "rare": _rare_proportion}


def _read(control: MeanStats, variant: MeanStats) -> Reading:
    welch = welch_test(
        ArmMoments(control.n, control.mean, control.variance),
        ArmMoments(variant.n, variant.mean, variant.variance),
        ALPHA,
    )
    control_mean_variance = control.variance / control.n
    relative = relative_delta(
        welch.effect,
        welch.std_error**2,
        control.mean,
        control_mean_variance,
        -control_mean_variance,
    )
    quantile = scipy_stats.t.ppf(1 - ALPHA / 2, welch.dof)
    interval = fieller_interval(
        welch.effect,
        welch.std_error**2,
        control.mean,
        control_mean_variance,
        -control_mean_variance,
        quantile,
    )
    view = flat_prior_view(
        welch.statistic, welch.dof, relative.effect, relative.std_error, "increase"
    )
    return Reading(interval, np.asarray(welch.p_value), np.asarray(view.chance_to_win))


def _simulate(arm: Arm, seed: int, lift: float) -> Reading:
    rng = np.random.default_rng(seed)
    return _read(arm(rng, 0.0), arm(rng, lift))


def _excludes_zero(interval: RelativeInterval) -> np.ndarray:
    return np.asarray((interval.lower > 0) | (interval.upper < 0))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "lift"), [("lognormal", 0.1), ("zero_inflated", 0.1), ("rare", 0.2)]
)
def test_relative_interval_covers_the_true_lift_at_its_level(case: str, lift: float):
    reading = _simulate(CASES[case], seed=9_100 + len(case), lift=lift)

    covers = (reading.interval.lower <= lift) & (reading.interval.upper >= lift)

    assert abs(np.mean(covers) - (1 - ALPHA)) <= COVERAGE_TOLERANCE
    assert np.array_equal(_excludes_zero(reading.interval), reading.p_value < ALPHA)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_in_aa_tests_interval_and_chance_to_win_flag_alpha_and_agree_with_p(case: str):
    reading = _simulate(CASES[case], seed=9_200 + len(case), lift=0.0)

    excludes_zero = _excludes_zero(reading.interval)
    chance_outside = (reading.chance_to_win < ALPHA / 2) | (reading.chance_to_win > 1 - ALPHA / 2)

    assert abs(np.mean(excludes_zero) - ALPHA) <= FALSE_POSITIVE_TOLERANCE
    assert abs(np.mean(chance_outside) - ALPHA) <= FALSE_POSITIVE_TOLERANCE
    assert np.array_equal(excludes_zero, reading.p_value < ALPHA)
    assert np.array_equal(chance_outside, reading.p_value < ALPHA)

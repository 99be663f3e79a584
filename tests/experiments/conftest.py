"""Builders that turn unit-level numpy arrays into the sufficient statistics the SQL returns."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from experiments.sufficient import (
    CupedStats,
    MeanStats,
    ProportionCupedStats,
    ProportionStats,
    RatioStats,
)

Values = npt.NDArray[np.float64]


def mean_stats_of(values: Values) -> MeanStats:
    """MeanStats of unit-level values."""
    return MeanStats(len(values), float(values.sum()), float((values**2).sum()))


def proportion_stats_of(indicators: Values) -> ProportionStats:
    """ProportionStats of unit-level 0/1 indicators."""
    return ProportionStats(len(indicators), float(indicators.sum()), float((indicators**2).sum()))


def ratio_stats_of(numerators: Values, denominators: Values) -> RatioStats:
    """RatioStats of unit-level numerators and denominators."""
    return RatioStats(
        len(numerators),
        float(numerators.sum()),
        float((numerators**2).sum()),
        float(denominators.sum()),
        float((denominators**2).sum()),
        float((numerators * denominators).sum()),
    )


def cuped_stats_of(values: Values, pre_values: Values, proportion: bool = False) -> CupedStats:
    """CupedStats (or ProportionCupedStats) of unit-level window and pre-period values."""
    kind = ProportionCupedStats if proportion else CupedStats
    return kind(
        len(values),
        float(values.sum()),
        float((values**2).sum()),
        float(pre_values.sum()),
        float((pre_values**2).sum()),
        float((values * pre_values).sum()),
    )


def mean_stats_with(n: int, mean: float, sd: float) -> MeanStats:
    """MeanStats of n units with exactly this mean and sample standard deviation."""
    return MeanStats(n, n * mean, (n - 1) * sd**2 + n * mean**2)

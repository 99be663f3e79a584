"""Sufficient statistics of one variant (or one segment of it), as the experiment SQL returns them.

Each class mirrors the columns of one statistic kind. Statistics of two disjoint segments add up
(`a + b`) to those of their union, and the per-unit mean and variance derive from the sums, so the
warehouse never ships unit-level rows. Arithmetic only, so the fields may also be numpy arrays (the
simulations build thousands of experiments at once).

Variance conventions (documented here because every test depends on them):
- a mean metric uses the sample variance (denominator n - 1);
- a proportion uses p(1 - p) exactly (denominator n), the Bernoulli variance the spec asks for;
- a ratio metric's `variance` is the sample variance (n - 1) of the linearised unit value
  (num - R * den) / mean(den), so that `variance / n` is the delta-method variance of R
  (Deng, Knoblich and Lu, "Applying the Delta Method in Metric Analytics", 2018);
- CUPED moments use sample (co)variances with denominator n - 1 for the regression adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TypeVar

import numpy as np

from core.vocab import MetricKind


def _check_same_kind(left: object, right: object) -> None:
    if type(left) is not type(right):
        raise TypeError(
            f"Cannot add {type(left).__name__} and {type(right).__name__}: "
            "segments must carry the same statistic kind"
        )


_Sums = TypeVar("_Sums", "MeanStats", "RatioStats", "CupedStats")


def _add_fields(left: _Sums, right: _Sums) -> _Sums:
    _check_same_kind(left, right)
    return type(left)(
        **{f.name: getattr(left, f.name) + getattr(right, f.name) for f in fields(left)}
    )


def _sample_covariance(n: float, sum_a: float, sum_b: float, sum_ab: float) -> float:
    return (sum_ab - sum_a * sum_b / n) / (n - 1)


def _sample_variance(n: float, total: float, total_sq: float) -> float:
    # Rounding in sum_sq - sum^2 / n can leave a tiny negative number for constant values.
    # (np.maximum of two floats is an np.float64, a float.)
    variance: float = np.maximum(_sample_covariance(n, total, total, total_sq), 0.0)
    return variance


@dataclass(frozen=True)
class MeanStats:
    """Per-unit values y of a mean metric (the sum of a unit's event values, 0 if it had none).

    Attributes:
        n: number of units.
        sum: sum of y over the units (metric units).
        sum_sq: sum of y squared (metric units squared).
    """

    n: int
    sum: float
    sum_sq: float

    def __add__(self, other: MeanStats) -> MeanStats:
        return _add_fields(self, other)

    @property
    def mean(self) -> float:
        """Mean of y per unit."""
        return self.sum / self.n

    @property
    def variance(self) -> float:
        """Sample variance of y (denominator n - 1)."""
        return _sample_variance(self.n, self.sum, self.sum_sq)


@dataclass(frozen=True)
class ProportionStats(MeanStats):
    """Per-unit 0/1 indicators (1 if the unit converted); `sum` counts the converted units.

    The variance is p(1 - p) (denominator n), as the spec defines a proportion's variance.
    """

    @property
    def variance(self) -> float:
        """Bernoulli variance p(1 - p) of the indicator."""
        return self.mean * (1 - self.mean)


@dataclass(frozen=True)
class RatioStats:
    """Per-unit numerator and denominator of a ratio metric sum(num) / sum(den).

    Attributes:
        n: number of units.
        num_sum, num_sum_sq: sum of the numerators and of their squares.
        den_sum, den_sum_sq: sum of the denominators and of their squares.
        num_den_sum: sum over units of numerator times denominator.
    """

    n: int
    num_sum: float
    num_sum_sq: float
    den_sum: float
    den_sum_sq: float
    num_den_sum: float

    def __add__(self, other: RatioStats) -> RatioStats:
        return _add_fields(self, other)

    @property
    def mean(self) -> float:
        """The ratio sum(num) / sum(den)."""
        return self.num_sum / self.den_sum

    @property
    def num_variance(self) -> float:
        """Sample variance of the per-unit numerator."""
        return _sample_variance(self.n, self.num_sum, self.num_sum_sq)

    @property
    def den_variance(self) -> float:
        """Sample variance of the per-unit denominator."""
        return _sample_variance(self.n, self.den_sum, self.den_sum_sq)

    @property
    def num_den_covariance(self) -> float:
        """Sample covariance of numerator and denominator per unit."""
        return _sample_covariance(self.n, self.num_sum, self.den_sum, self.num_den_sum)

    @property
    def variance(self) -> float:
        """Sample variance of the linearised unit value; divided by n, the delta-method variance
        of the ratio."""
        ratio = self.mean
        den_mean = self.den_sum / self.n
        linear = (
            self.num_variance - 2 * ratio * self.num_den_covariance + ratio**2 * self.den_variance
        )
        return linear / den_mean**2


@dataclass(frozen=True)
class CupedStats:
    """Experiment-window value y and pre-period value x of the same metric, per unit.

    Attributes:
        n: number of units.
        sum, sum_sq: sum of y and of y squared.
        pre_sum, pre_sum_sq: sum of x and of x squared (x = 0 for units unseen before).
        cross_sum: sum over units of x * y.
    """

    n: int
    sum: float
    sum_sq: float
    pre_sum: float
    pre_sum_sq: float
    cross_sum: float

    def __add__(self, other: CupedStats) -> CupedStats:
        return _add_fields(self, other)

    @property
    def outcome(self) -> MeanStats:
        """The unadjusted experiment-window statistics."""
        return MeanStats(self.n, self.sum, self.sum_sq)

    @property
    def mean(self) -> float:
        """Unadjusted mean of y."""
        return self.sum / self.n

    @property
    def variance(self) -> float:
        """Variance of y as the metric kind defines it (see `outcome`)."""
        return self.outcome.variance

    @property
    def sample_variance(self) -> float:
        """Sample variance of y (denominator n - 1), used by the regression adjustment."""
        return _sample_variance(self.n, self.sum, self.sum_sq)

    @property
    def pre_mean(self) -> float:
        """Mean of x."""
        return self.pre_sum / self.n

    @property
    def pre_variance(self) -> float:
        """Sample variance of x."""
        return _sample_variance(self.n, self.pre_sum, self.pre_sum_sq)

    @property
    def covariance(self) -> float:
        """Sample covariance of x and y."""
        return _sample_covariance(self.n, self.sum, self.pre_sum, self.cross_sum)


@dataclass(frozen=True)
class ProportionCupedStats(CupedStats):
    """CUPED statistics of a proportion metric: y and x are 0/1 indicators."""

    @property
    def outcome(self) -> ProportionStats:
        """The unadjusted experiment-window statistics, with the p(1 - p) variance."""
        return ProportionStats(self.n, self.sum, self.sum_sq)


Stats = MeanStats | RatioStats | CupedStats


def statistics_class(kind: MetricKind, cuped: bool) -> type[Stats]:
    """The statistics class of a metric of `kind`, with pre-period sums when `cuped` (CUPED
    applies to mean and proportion metrics only; a ratio metric's class has none)."""
    if kind == "ratio":
        return RatioStats
    if cuped:
        return ProportionCupedStats if kind == "proportion" else CupedStats
    return ProportionStats if kind == "proportion" else MeanStats

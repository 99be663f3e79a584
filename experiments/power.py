"""Power: the smallest relative effect the current sample can detect, and the days still needed.

Normal approximation: an effect is detected with probability `power` when it is (c + z_{power})
standard errors away from zero, where c is the test's critical value in standard errors (e.g.
Kohavi, Tang and Xu, "Trustworthy Online Controlled Experiments", 2020, ch. 17). For the fixed
method c = z_{1 - alpha/2}. For the sequential method the test rejects when the confidence
sequence excludes zero, i.e. when |effect| > c(N) standard errors with c(N) the sequence's
half-width per standard error at N units (`experiments.sequential.half_width`); c(N) is larger
than z_{1 - alpha/2} and grows slowly with N, so the sequential detectable effect is wider and the
units a planned effect needs are found by a search over N rather than by the square-root rule.

A finished test gains no more units: it reports the power it achieved at the planned effect,
Phi(delta / se - c) + Phi(-delta / se - c), instead of days still needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats as distributions

from experiments import sequential
from experiments.stats import Comparison

DEFAULT_POWER = 0.8
# Units a search for the required sample may reach before giving up (None then).
_MAX_REQUIRED_UNITS = 10**12


@dataclass(frozen=True)
class PowerResult:
    """What the current sample can detect and what a planned effect still needs.

    Attributes:
        alpha: two-sided significance level used.
        power: probability of detecting an effect of the stated size (0.8 = 80%).
        n_units: units in the two compared arms now.
        mde_relative: minimum detectable relative effect at the current sample (0.03 = 3%), with
            the boundary of the comparison's method (`critical_value`).
        planned_mde: the relative effect the experiment was planned to detect, None if not planned.
        units_per_day: observed daily traffic into the two compared arms over the days with
            assignments, None if not given.
        required_units: units in the two arms needed to detect `planned_mde`, None if not planned.
        days_needed: whole days still needed at `units_per_day` (0 once reached), None if either
            `planned_mde` or `units_per_day` is missing, or the test is finished.
        planned_mde_reached: whether the current sample already detects `planned_mde`.
        critical_value: the test's rejection boundary in standard errors: z_{1 - alpha/2} for the
            fixed method, the always-valid boundary at `n_units` for the sequential one.
        finished: whether the test's planned end has been reached (no more units will come).
        achieved_power: for a finished test with `planned_mde`, the probability its sample had of
            detecting that effect (0.8 = 80%); None otherwise.
    """

    alpha: float
    power: float
    n_units: int
    mde_relative: float
    planned_mde: float | None
    units_per_day: float | None
    required_units: int | None
    days_needed: int | None
    planned_mde_reached: bool | None
    critical_value: float
    finished: bool
    achieved_power: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields."""
        return asdict(self)


def critical_value(comparison: Comparison, n_units: float) -> float:
    """The comparison's rejection boundary, in standard errors, at `n_units` units."""
    if comparison.method == "sequential" and comparison.sequential_tuning is not None:
        rho = sequential.mixing_rho(comparison.alpha, comparison.sequential_tuning)
        return float(sequential.half_width(1.0, n_units, comparison.alpha, rho))
    return float(distributions.norm.ppf(1 - comparison.alpha / 2))


def detection_probability(effect_in_std_errors: float, critical: float) -> float:
    """P(|estimate| > critical standard errors) when the true effect is this many of them."""
    return float(
        distributions.norm.cdf(effect_in_std_errors - critical)
        + distributions.norm.cdf(-effect_in_std_errors - critical)
    )


def _required_units(
    n_units: int, mde_at: Callable[[float], float], planned_mde: float
) -> int | None:
    """The fewest units (two arms) at which `mde_at(units)` is at most `planned_mde`.

    `mde_at` decreases in the units; the answer is bracketed by doubling, then bisected.
    """
    low, high = 1, max(n_units, 4)
    while mde_at(high) > planned_mde:
        low, high = high, high * 2
        if high > _MAX_REQUIRED_UNITS:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if mde_at(middle) <= planned_mde else (middle, high)
    return high


def power_analysis(
    comparison: Comparison,
    *,
    planned_mde: float | None = None,
    units_per_day: float | None = None,
    power: float = DEFAULT_POWER,
    finished: bool = False,
) -> PowerResult:
    """Minimum detectable effect now, and days to reach `planned_mde` at `units_per_day` (or,
    once `finished`, the power achieved at `planned_mde`).

    Uses the comparison's (CUPED-adjusted, if applied) standard error, so variance reduction
    shows as a smaller detectable effect, and its method's boundary (see the module docstring).

    Raises:
        ValueError: power outside (0, 1), a non-positive planned_mde or units_per_day.
    """
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, got {power}")
    if planned_mde is not None and not planned_mde > 0:
        raise ValueError(f"planned_mde must be a positive relative effect, got {planned_mde}")
    if units_per_day is not None and not units_per_day > 0:
        raise ValueError(f"units_per_day must be positive, got {units_per_day}")
    n_units = comparison.n_control + comparison.n_variant
    z_power = float(distributions.norm.ppf(power))
    # The standard error per unit of relative effect; it shrinks as 1 / sqrt(units).
    relative_se = comparison.absolute_std_error / abs(comparison.control_mean)

    def mde_at(units: float) -> float:
        return (
            (critical_value(comparison, units) + z_power) * relative_se * math.sqrt(n_units / units)
        )

    critical = critical_value(comparison, n_units)
    mde_relative = float((critical + z_power) * relative_se)
    required_units = None
    days_needed = None
    reached = None
    achieved = None
    if planned_mde is not None:
        reached = mde_relative <= planned_mde
        if comparison.method == "sequential":
            required_units = _required_units(n_units, mde_at, planned_mde)
        else:
            required_units = math.ceil(n_units * (mde_relative / planned_mde) ** 2)
        if finished:
            achieved = detection_probability(planned_mde / relative_se, critical)
        elif units_per_day is not None and required_units is not None:
            days_needed = max(0, math.ceil((required_units - n_units) / units_per_day))
    return PowerResult(
        alpha=comparison.alpha,
        power=power,
        n_units=n_units,
        mde_relative=mde_relative,
        planned_mde=planned_mde,
        units_per_day=units_per_day,
        required_units=required_units,
        days_needed=days_needed,
        planned_mde_reached=reached,
        critical_value=critical,
        finished=finished,
        achieved_power=achieved,
    )

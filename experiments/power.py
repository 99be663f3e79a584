"""Power: the smallest relative effect the current sample can detect, and the days still needed.

Normal approximation for a two-sided test: an effect is detected with probability `power` when it
is (z_{1 - alpha/2} + z_{power}) standard errors away from zero (e.g. Kohavi, Tang and Xu,
"Trustworthy Online Controlled Experiments", 2020, ch. 17). Standard errors shrink with the square
root of the sample, so the sample a planned effect needs is the current one times the squared
ratio of the current detectable effect to the planned one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats as distributions

from experiments.stats import Comparison

DEFAULT_POWER = 0.8


@dataclass(frozen=True)
class PowerResult:
    """What the current sample can detect and what a planned effect still needs.

    Attributes:
        alpha: two-sided significance level used.
        power: probability of detecting an effect of the stated size (0.8 = 80%).
        n_units: units in the two compared arms now.
        mde_relative: minimum detectable relative effect at the current sample (0.03 = 3%).
        planned_mde: the relative effect the experiment was planned to detect, None if not planned.
        units_per_day: observed daily traffic into the two compared arms, None if not given.
        required_units: units in the two arms needed to detect `planned_mde`, None if not planned.
        days_needed: whole days still needed at `units_per_day` (0 once reached), None if either
            `planned_mde` or `units_per_day` is missing.
        planned_mde_reached: whether the current sample already detects `planned_mde`.
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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields."""
        return asdict(self)


def power_analysis(
    comparison: Comparison,
    *,
    planned_mde: float | None = None,
    units_per_day: float | None = None,
    power: float = DEFAULT_POWER,
) -> PowerResult:
    """Minimum detectable effect now, and days to reach `planned_mde` at `units_per_day`.

    Uses the comparison's (CUPED-adjusted, if applied) standard error, so variance reduction
    shows as a smaller detectable effect.

    Raises:
        ValueError: power outside (0, 1), a non-positive planned_mde or units_per_day.
    """
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, got {power}")
    if planned_mde is not None and not planned_mde > 0:
        raise ValueError(f"planned_mde must be a positive relative effect, got {planned_mde}")
    if units_per_day is not None and not units_per_day > 0:
        raise ValueError(f"units_per_day must be positive, got {units_per_day}")
    multiplier = distributions.norm.ppf(1 - comparison.alpha / 2) + distributions.norm.ppf(power)
    mde_relative = float(multiplier * comparison.absolute_std_error / abs(comparison.control_mean))
    n_units = comparison.n_control + comparison.n_variant
    required_units = None
    days_needed = None
    reached = None
    if planned_mde is not None:
        required_units = math.ceil(n_units * (mde_relative / planned_mde) ** 2)
        reached = mde_relative <= planned_mde
        if units_per_day is not None:
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
    )

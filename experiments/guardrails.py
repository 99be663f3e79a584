"""Guardrail metrics: a one-sided non-inferiority test of the relative effect against a margin.

The variant is non-inferior on a guardrail when it is shown, at level alpha, to worsen the metric
by less than `margin` (relative, 0.02 = 2%) in the metric's bad direction: H0 "worse by at least
the margin" is rejected. It breaches the guardrail when the opposite one-sided statement holds:
it is shown to be worse than the margin. Otherwise the guardrail is inconclusive.

Fixed method: Student's t with the comparison's Welch–Satterthwaite degrees of freedom. Sequential
method: each one-sided statement is read off the two-sided confidence sequence at level alpha,
which is conservative but stays valid at every look (see `experiments.sequential`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats as distributions

from core.vocab import Direction, GuardrailStatus, Method
from experiments import sequential
from experiments.stats import Comparison


@dataclass(frozen=True)
class GuardrailResult:
    """Non-inferiority of one variant on one guardrail metric.

    Attributes:
        metric, variant: what was tested.
        direction: `increase` or `decrease`, which way is better.
        margin: relative worsening tolerated (0.02 = 2%).
        method: `fixed` or `sequential`.
        alpha: one-sided level of the test.
        relative_effect: the relative effect (0.02 = +2%).
        worst_case_relative_effect: the confidence bound of the relative effect on the harmful
            side (lower bound for `increase`, upper bound for `decrease`).
        p_value: p-value of non-inferiority (small = shown not worse than the margin).
        non_inferior: p_value < alpha.
        breached: shown worse than the margin at level alpha.
        status: `pass` (non-inferior), `breach` or `inconclusive`.
    """

    metric: str
    variant: str
    direction: Direction
    margin: float
    method: Method
    alpha: float
    relative_effect: float
    worst_case_relative_effect: float
    p_value: float
    non_inferior: bool
    breached: bool
    status: GuardrailStatus

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields."""
        return asdict(self)


def guardrail_test(comparison: Comparison, margin: float) -> GuardrailResult:
    """Non-inferiority of `comparison`'s variant against `margin`, at the comparison's alpha.

    Raises:
        ValueError: a negative margin.
    """
    if margin < 0:
        raise ValueError(f"the non-inferiority margin must be >= 0, got {margin}")
    sign = 1.0 if comparison.direction == "increase" else -1.0
    # Oriented so that positive is good; the null of harm is oriented <= -margin.
    oriented = sign * comparison.relative_effect
    std_error = comparison.relative_std_error
    alpha = comparison.alpha
    if comparison.sequential_tuning is not None:
        n_units = comparison.n_control + comparison.n_variant
        rho = sequential.mixing_rho(alpha, comparison.sequential_tuning)
        spread = float(sequential.half_width(std_error, n_units, alpha, rho))
        distance = oriented + margin
        p_value = (
            float(sequential.always_valid_p_value(distance, std_error, n_units, rho))
            if distance > 0
            else 1.0
        )
    else:
        spread = float(distributions.t.ppf(1 - alpha, comparison.dof) * std_error)
        p_value = float(distributions.t.sf((oriented + margin) / std_error, comparison.dof))
    oriented_worst = oriented - spread
    non_inferior = oriented_worst > -margin
    breached = oriented + spread < -margin
    status: GuardrailStatus
    if non_inferior:
        status = "pass"
    elif breached:
        status = "breach"
    else:
        status = "inconclusive"
    return GuardrailResult(
        metric=comparison.metric,
        variant=comparison.variant,
        direction=comparison.direction,
        margin=margin,
        method=comparison.method,
        alpha=alpha,
        relative_effect=comparison.relative_effect,
        worst_case_relative_effect=sign * oriented_worst,
        p_value=p_value,
        non_inferior=non_inferior,
        breached=breached,
        status=status,
    )


def significantly_worse(comparison: Comparison) -> bool:
    """Whether the variant is significantly worse than control on this metric: its two-sided raw
    p-value is below alpha and the effect points the harmful way.

    A guardrail can be within its margin and still significantly worse (a small harm measured
    precisely); the decision names it, so a reader never ships a known harm unawares.
    """
    harmful = (
        comparison.absolute_effect < 0
        if comparison.direction == "increase"
        else comparison.absolute_effect > 0
    )
    return harmful and comparison.p_value < comparison.alpha

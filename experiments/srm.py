"""Sample ratio mismatch: do the units per variant match the planned allocation?

Pearson's chi-square goodness-of-fit test of the observed unit counts against the counts the
planned weights imply (Fabijan et al., "Diagnosing Sample Ratio Mismatch in Online Controlled
Experiments", KDD 2019). A p-value below 0.001 flags a broken assignment: the conservative
threshold keeps false alarms rare when the check runs on every experiment every day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats as distributions

SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class SrmResult:
    """Outcome of the sample ratio mismatch check.

    Attributes:
        observed: units seen per variant.
        expected: units the planned allocation implies per variant (same total).
        statistic: Pearson's chi-square statistic.
        dof: degrees of freedom (variants - 1).
        p_value: probability of a mismatch at least this large under the planned allocation.
        threshold: p-value below which a mismatch is declared.
        mismatch: whether p_value < threshold.
    """

    observed: dict[str, int]
    expected: dict[str, float]
    statistic: float
    dof: int
    p_value: float
    threshold: float
    mismatch: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields."""
        return asdict(self)


def sample_ratio_mismatch(
    observed: Mapping[str, int],
    allocation: Mapping[str, float],
    threshold: float = SRM_THRESHOLD,
) -> SrmResult:
    """Chi-square test of `observed` units per variant against the planned `allocation` weights.

    Weights need not sum to 1 (50/50 and 1/1 are the same plan).

    Raises:
        ValueError: the variants differ between the two mappings, fewer than two variants, a
            negative count, a non-positive weight, or no units at all.
    """
    if set(observed) != set(allocation):
        raise ValueError(
            f"observed variants {sorted(observed)} differ from the planned allocation's "
            f"{sorted(allocation)}"
        )
    if len(observed) < 2:
        raise ValueError("the sample ratio check needs at least two variants")
    for name, count in observed.items():
        if count < 0:
            raise ValueError(f"variant {name!r} has a negative unit count {count}")
    for name, weight in allocation.items():
        if not weight > 0:
            raise ValueError(f"variant {name!r} has a non-positive planned weight {weight}")
    total_units = sum(observed.values())
    if total_units == 0:
        raise ValueError("no units were observed in any variant")
    total_weight = sum(allocation.values())
    expected = {name: total_units * allocation[name] / total_weight for name in observed}
    statistic = sum((observed[name] - expected[name]) ** 2 / expected[name] for name in observed)
    dof = len(observed) - 1
    p_value = float(distributions.chi2.sf(statistic, dof))
    return SrmResult(
        observed=dict(observed),
        expected=expected,
        statistic=float(statistic),
        dof=dof,
        p_value=p_value,
        threshold=threshold,
        mismatch=p_value < threshold,
    )

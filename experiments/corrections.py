"""Multiple-testing corrections, each run within one family of (metric, treatment) pairs.

Families (`correct_by_family`): the primary metric across treatments is the decision's family, the
secondary metrics across treatments are a second family, and guardrails belong to neither: each is
a one-sided non-inferiority test against its margin (`experiments.guardrails`), so its two-sided p
stays raw. Mixing them would let a guardrail or an exploratory secondary dilute the primary test.

- `holm`: Holm's step-down procedure, controls the family-wise error rate (Holm, "A Simple
  Sequentially Rejective Multiple Test Procedure", Scandinavian Journal of Statistics, 1979).
- `bh`: Benjamini–Hochberg step-up procedure, controls the false discovery rate (Benjamini and
  Hochberg, "Controlling the False Discovery Rate", JRSS B, 1995).
- `none`: p-values pass through unchanged.

Adjusted p-values are reported so that "adjusted p < alpha" is the corrected decision; intervals
are not widened.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from core.vocab import CORRECTIONS, Correction, CorrectionFamily, MetricRole, PValueKind
from experiments.stats import Comparison


def adjust_p_values(p_values: Sequence[float], correction: Correction) -> npt.NDArray[np.float64]:
    """Adjusted p-values in the input order.

    Raises:
        ValueError: an unknown correction or a p-value outside [0, 1].
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, got {correction!r}")
    raw = np.asarray(p_values, dtype=float)
    if raw.size and not np.all((raw >= 0) & (raw <= 1)):
        raise ValueError(f"p-values must lie in [0, 1], got {raw.tolist()}")
    if correction == "none" or raw.size == 0:
        return raw.copy()
    count = raw.size
    order = np.argsort(raw, kind="stable")
    ranked = raw[order]
    scaled: npt.NDArray[np.float64]
    if correction == "holm":
        # Step-down: the k-th smallest is multiplied by (m - k + 1), then made non-decreasing.
        scaled = ranked * (count - np.arange(count))
        monotone = np.maximum.accumulate(scaled)
    else:
        # Step-up: the k-th smallest is multiplied by m / k, then made non-increasing from the top.
        scaled = ranked * count / np.arange(1, count + 1)
        monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(count)
    adjusted[order] = np.minimum(monotone, 1.0)
    return adjusted


def apply_correction(comparisons: Sequence[Comparison], correction: Correction) -> list[Comparison]:
    """The comparisons with `adjusted_p_value` and `correction` filled, over the whole family."""
    adjusted = adjust_p_values([c.p_value for c in comparisons], correction)
    return [
        dataclasses.replace(c, adjusted_p_value=float(p), correction=correction)
        for c, p in zip(comparisons, adjusted, strict=True)
    ]


def family_of(role: MetricRole) -> CorrectionFamily | None:
    """The correction family of a whole-arm comparison of a metric with this role (None: a
    guardrail, tested one-sided against its margin and never corrected)."""
    if role == "primary":
        return "primary"
    if role == "secondary":
        return "secondary"
    return None


def correct_by_family(
    comparisons: Sequence[Comparison], roles: Mapping[str, MetricRole], correction: Correction
) -> list[Comparison]:
    """The comparisons in their order, each family corrected on its own (`family_of`).

    Guardrail comparisons come back unchanged (`adjusted_p_value` None, so their decisive p-value
    is the raw one).
    """
    result = list(comparisons)
    families = {family for c in comparisons if (family := family_of(roles[c.metric])) is not None}
    for family in sorted(families):
        members = [i for i, c in enumerate(comparisons) if family_of(roles[c.metric]) == family]
        corrected = apply_correction([comparisons[i] for i in members], correction)
        for index, comparison in zip(members, corrected, strict=True):
            result[index] = comparison
    return result


def p_value_kind(comparison: Comparison) -> PValueKind:
    """`adjusted` when the comparison's decisive p-value went through a correction, else `raw`."""
    adjusted = comparison.adjusted_p_value is not None and comparison.correction not in (
        None,
        "none",
    )
    return "adjusted" if adjusted else "raw"

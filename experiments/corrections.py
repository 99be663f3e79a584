"""Multiple-testing corrections over all (metric, treatment) pairs of an experiment.

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
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from experiments.stats import Comparison

CORRECTIONS: tuple[str, ...] = ("holm", "bh", "none")


def adjust_p_values(p_values: Sequence[float], correction: str) -> npt.NDArray[np.float64]:
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


def apply_correction(comparisons: Sequence[Comparison], correction: str) -> list[Comparison]:
    """The comparisons with `adjusted_p_value` and `correction` filled, over the whole family."""
    adjusted = adjust_p_values([c.p_value for c in comparisons], correction)
    return [
        dataclasses.replace(c, adjusted_p_value=float(p), correction=correction)
        for c, p in zip(comparisons, adjusted, strict=True)
    ]

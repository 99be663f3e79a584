"""Whether the money estimated from a model's predictions is on the scale of its KPI's realised
money: the rule that puts the two side by side.

A cost-matrix KPI's realised money counts every transaction of its online confusion counts; the
estimate counts the predictions the store holds, which may be a sample of them. Over the KPI's
labelled days the predictions a day are compared with the KPI's transactions a day (coverage);
inside `COVERAGE_BAND` the money is shown as it is, outside it is scaled by 1 / coverage and says
so. Pure: the days' counts come in, the basis and the scaled estimate go out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from core.vocab import MoneyBasis
from monitoring.cbpe import Estimate

__all__ = ["COVERAGE_BAND", "Coverage", "money_on_kpi_scale", "prediction_coverage"]

# Predictions within 10% of the KPI's transactions are the same population: no scaling.
COVERAGE_BAND = (0.9, 1.1)


@dataclass(frozen=True)
class Coverage:
    """How many of a KPI's transactions the predictions cover, over the days compared.

    Attributes:
        days: the KPI's labelled days compared (days with confusion counts).
        predictions: predictions stored over those days (a day without any counts as 0).
        transactions: the KPI's transactions over those days (tp + fp + tn + fn).
        ratio: predictions / transactions; None when no day was compared or it had no
            transaction.
        basis: `as_is` inside `COVERAGE_BAND`, `scaled` outside it, `unmeasured` without a ratio.
    """

    days: int
    predictions: int
    transactions: int
    ratio: float | None
    basis: MoneyBasis

    @property
    def factor(self) -> float:
        """What the estimated money is multiplied by to be on the KPI's scale (1 unless scaled)."""
        if self.basis != "scaled" or not self.ratio:
            return 1.0
        return 1.0 / self.ratio


def prediction_coverage(
    predictions_per_day: Mapping[date, int], transactions_per_day: Mapping[date, int]
) -> Coverage:
    """The coverage of the KPI's labelled days (`transactions_per_day`, already the days to
    compare) by the predictions stored on the same days.

    A day with transactions and no prediction counts as no prediction: predictions missing on a
    day lower the coverage rather than being ignored.
    """
    days = sorted(transactions_per_day)
    transactions = sum(transactions_per_day[d] for d in days)
    predictions = sum(predictions_per_day.get(d, 0) for d in days)
    if not days or transactions <= 0:
        return Coverage(len(days), predictions, transactions, None, "unmeasured")
    ratio = predictions / transactions
    low, high = COVERAGE_BAND
    basis: MoneyBasis = "as_is" if low <= ratio <= high else "scaled"
    return Coverage(len(days), predictions, transactions, ratio, basis)


def money_on_kpi_scale(money: Estimate | None, coverage: Coverage) -> Estimate | None:
    """The estimated money (and its interval) on the KPI's scale: multiplied by 1 / coverage when
    the coverage is outside the band, as it is otherwise.

    The interval scales with it, which is conservative: the sample's spread times 1 / coverage is
    wider than the spread of the whole population the sample stands for. A zero coverage (no
    prediction on the compared days) leaves nothing to scale: None.
    """
    if money is None:
        return None
    if coverage.basis == "scaled" and not coverage.ratio:
        return None
    factor = coverage.factor
    return Estimate(money.value * factor, money.low * factor, money.high * factor)

"""Business value of a KPI per day, in money: per unit, by cost matrix, or through the bridge;
and the one pricing of a change of the KPI with its direction (an improvement is a gain).

Value per day keeps the sign of its value model: a lower-is-better KPI priced per unit has a
negative unit value (each millisecond of latency costs), so its value per day is negative. A
change of the metric is priced here, once, for every use (decay, uplift, break-even): a relative
improvement x of the metric, in its good direction, is worth x times the size |V0| of the value
per day, whatever the KPI's direction and the sign of V0.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.vocab import COST_CELLS, Direction
from kpi.bridge import Bridge, predict_online


def relative_improvement(relative_change: float, direction: Direction) -> float:
    """A relative change of the metric as an improvement: positive when the KPI gets better.

    A rise is an improvement of a higher-is-better KPI (CTR) and a degradation of a
    lower-is-better one (latency).
    """
    return relative_change if direction == "increase" else -relative_change


def value_of_improvement(improvement: float, value_per_day: float) -> float:
    """Money per day that a relative improvement of the KPI's metric is worth (the one pricing).

    `improvement` x |value_per_day|: 3% less latency on a KPI costing 2.5M a day is worth 75,000
    a day, as 3% more clicks on a KPI worth 2.5M a day is. Negative for a degradation.
    """
    return improvement * abs(value_per_day)


def value_per_day_per_unit(metric_value: float, n: float, unit_value: float) -> float:
    """Money a day is worth when each unit of metric x n has a price.

    Args:
        metric_value: the day's metric (e.g. a CTR of 0.05, revenue per session of 310).
        n: the units the metric is measured on that day (sessions, impressions).
        unit_value: money per unit of metric x n (one click, one yen of revenue).
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    return metric_value * n * unit_value


@dataclass(frozen=True)
class ConfusionCounts:
    """A day's outcome counts of a classifier (predictions, not money)."""

    tp: int
    fp: int
    tn: int
    fn: int

    def __post_init__(self) -> None:
        for cell in COST_CELLS:
            if getattr(self, cell) < 0:
                raise ValueError(f"count {cell} must not be negative, got {getattr(self, cell)}")

    @property
    def predictions(self) -> int:
        """All predictions: tp + fp + tn + fn."""
        return self.tp + self.fp + self.tn + self.fn


@dataclass(frozen=True)
class CostMatrix:
    """Money per prediction in each cell of the confusion matrix (a loss is negative); the
    cost-matrix value model of a KPI spec (`ValueModel.cost_matrix`).

    Example for fraud: tp = 48000 (fraud stopped), fp = -800 (a good customer annoyed),
    tn = 0, fn = -50000 (fraud missed).
    """

    tp: float
    fp: float
    tn: float
    fn: float


@dataclass(frozen=True)
class CostMatrixValue:
    """Value of a day's predictions under a cost matrix.

    Attributes:
        total: sum over cells of count x cell value (money).
        per_prediction: total / predictions (money per prediction); always between the smallest
            and the largest cell value, being their count-weighted average.
        predictions: the number of predictions.
    """

    total: float
    per_prediction: float
    predictions: int


def value_cost_matrix(counts: ConfusionCounts, cell_values: CostMatrix) -> CostMatrixValue:
    """Money a day's predictions are worth: each count times its cell value, summed."""
    if counts.predictions == 0:  # stored days are checked with a code first (kpi.status)
        raise ValueError("no predictions: tp + fp + tn + fn is zero")
    total = (
        counts.tp * cell_values.tp
        + counts.fp * cell_values.fp
        + counts.tn * cell_values.tn
        + counts.fn * cell_values.fn
    )
    return CostMatrixValue(float(total), total / counts.predictions, counts.predictions)


@dataclass(frozen=True)
class BridgeValue:
    """A day's value through the offline-to-online bridge.

    Attributes:
        predicted_online: the online metric the bridge expects at the model's offline value.
        value_per_day: predicted_online x n x unit value (money per day).
        value_ci: the value with the ends of the bridge line's band (money per day, low to high).
    """

    predicted_online: float
    value_per_day: float
    value_ci: tuple[float, float]


def value_per_day_bridge(
    bridge: Bridge, offline_value: float, n: float, unit_value: float
) -> BridgeValue:
    """Money a day is worth when the online metric is read off the bridge from the offline metric.

    Args:
        bridge: the fitted offline-to-online relation.
        offline_value: the live version's offline metric (e.g. its AUC).
        n: units that day.
        unit_value: money per unit of online metric x n.
    """
    prediction = predict_online(bridge, offline_value)
    ends = sorted(
        value_per_day_per_unit(level, n, unit_value)
        for level in (prediction.ci_low, prediction.ci_high)
    )
    return BridgeValue(
        predicted_online=prediction.estimate,
        value_per_day=value_per_day_per_unit(prediction.estimate, n, unit_value),
        value_ci=(ends[0], ends[1]),
    )

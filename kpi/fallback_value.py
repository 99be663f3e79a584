"""What fallbacks cost: a KPI's value per day split by the level that served each request.

The rule (one place): a KPI qualifies when its metric is a rate of a per-request binary outcome
that a prediction's label records (core.vocab.LABEL_RATE_METRICS: a click for `ctr`, a conversion
for `conversion_rate`), it is measured online, and it is priced per unit (money = metric x n x
unit_value, kpi/value.py). Then the metric of level l on day d is p_dl = positives / labelled
requests of that level, and what the fallbacks cost that day is what their requests would have
been worth at the model's rate minus what they were worth at their own, by the one per-unit
pricing of kpi/value.py:

    C_d = sum over fallback levels l of  V(p_dm, n_dl) - V(p_dl, n_dl)
        = unit_value x sum_l n_dl x (p_dm - p_dl),

positive when the fallbacks lose money whatever the KPI's direction (a lower-is-better rate has a
negative unit_value). Other KPIs do not qualify: a mean per session (revenue), a quantile
(latency p95) or a recall is not a mean of one binary outcome per request, and a cost-matrix or
bridge KPI is not priced per unit of the metric.

Interval (delta method, independent binomial levels): the model's rate is shared by every level of
the day, so Var(C_d) = unit_value^2 x (F_d^2 Var(p_dm) + sum_l n_dl^2 Var(p_dl)) with
F_d = sum_l n_dl and Var(p_dl) = p~_l (1 - p~_l) / labelled_dl, where p~_l is the level's rate
pooled over the window's priced days and smoothed, (positives + 1) / (labelled + 2): a level
with a handful of requests a day and rare clicks would otherwise claim zero variance on a day
without a click, or a huge one from one day of smoothing. Days are independent; the cost a day
over a window is the mean of its days and its 95% interval is normal.
Coverage on rare-click data: tests/kpi/test_fallback_value_coverage.py and docs/monitoring.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.vocab import LABEL_RATE_METRICS, FallbackIneligibility
from kpi.spec import KpiSpec
from kpi.value import value_per_day_per_unit

MODEL = "model"
Z_95 = 1.959963984540054
"""The standard normal's 97.5% quantile: the two-sided 95% interval."""


def ineligibility(spec: KpiSpec) -> FallbackIneligibility | None:
    """Why the KPI's value cannot be split by serving level, or None when it can (the rule
    above)."""
    if spec.source != "online":
        return "not_online"
    if spec.value.kind != "per_unit" or spec.value.unit_value is None:
        return "not_per_unit"
    if spec.metric not in LABEL_RATE_METRICS:
        return "not_label_rate"
    return None


@dataclass(frozen=True)
class LevelOutcomes:
    """One day's requests of one serving level and their labels (the store's sums).

    Attributes:
        day: the day.
        served_by: `model` or a fallback level.
        n: the level's requests that day.
        labelled: those with a label.
        positives: the labels' sum (clicks).
    """

    day: dt.date
    served_by: str
    n: int
    labelled: int
    positives: int

    @property
    def rate(self) -> float | None:
        """positives / labelled: the level's metric that day; None without labels."""
        return self.positives / self.labelled if self.labelled else None

    @property
    def standard_error(self) -> float | None:
        """The binomial standard error of `rate` on its own counts, sqrt(p~ (1 - p~) / labelled)
        with p~ = (positives + 1) / (labelled + 2); None without labels."""
        if not self.labelled:
            return None
        return math.sqrt(
            _binomial_variance(smoothed_rate(self.positives, self.labelled), self.labelled)
        )


def pooled_levels(rows: Sequence[LevelOutcomes]) -> list[LevelOutcomes]:
    """Each level's requests, labels and positives summed over the days of `rows` (dated on the
    first day), model first: the per-level summary of a window."""
    if not rows:
        return []
    first = min(r.day for r in rows)
    levels = sorted({r.served_by for r in rows}, key=lambda s: (s != MODEL, s))
    return [
        LevelOutcomes(
            first,
            level,
            sum(r.n for r in rows if r.served_by == level),
            sum(r.labelled for r in rows if r.served_by == level),
            sum(r.positives for r in rows if r.served_by == level),
        )
        for level in levels
    ]


def smoothed_rate(positives: int, labelled: int) -> float:
    """(positives + 1) / (labelled + 2): a rate that is never 0 or 1, for variances only."""
    return (positives + 1) / (labelled + 2)


def _binomial_variance(rate: float, labelled: int) -> float:
    return rate * (1 - rate) / labelled


@dataclass(frozen=True)
class DayCost:
    """What the fallbacks cost on one day.

    Attributes:
        day: the day.
        fallback_requests: requests answered by any fallback.
        cost: money lost to fallbacks (positive: a loss); None when a level serving that day, or
            the model, has no label to measure its rate.
        variance: Var(cost) by the delta method; None with the cost.
        by_level: each fallback level's share of the cost (they sum to `cost`); empty when the
            cost is unknown.
    """

    day: dt.date
    fallback_requests: int
    cost: float | None
    variance: float | None
    by_level: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FallbackCost:
    """What the fallbacks cost a day over a window.

    Attributes:
        per_day: the mean of the days' costs (money a day; positive: a loss); None when no day
            could be priced.
        low, high: its 95% interval.
        days: the days of the window with any request.
        priced_days: days whose cost is known (every serving level labelled).
        fallback_requests: requests answered by a fallback over the window.
        daily: one entry per day with requests, oldest first.
    """

    per_day: float | None
    low: float | None
    high: float | None
    days: int
    priced_days: int
    fallback_requests: int
    daily: tuple[DayCost, ...]


def day_cost(
    levels: Sequence[LevelOutcomes], unit_value: float, pooled: Mapping[str, float]
) -> DayCost:
    """One day's cost of its fallbacks and its delta-method variance (`levels`: that day's;
    `pooled`: each level's smoothed rate over the window, for the variance)."""
    day = levels[0].day
    model = next((r for r in levels if r.served_by == MODEL), None)
    fallbacks = [r for r in levels if r.served_by != MODEL and r.n > 0]
    requests = sum(r.n for r in fallbacks)
    if not fallbacks:
        return DayCost(day, 0, 0.0, 0.0)
    if model is None or model.rate is None or any(r.rate is None for r in fallbacks):
        return DayCost(day, requests, None, None)
    model_rate = model.rate
    by_level: dict[str, float] = {}
    variance = requests**2 * _binomial_variance(pooled[MODEL], model.labelled)
    for level in fallbacks:
        rate = level.rate or 0.0
        by_level[level.served_by] = value_per_day_per_unit(
            model_rate, level.n, unit_value
        ) - value_per_day_per_unit(rate, level.n, unit_value)
        variance += level.n**2 * _binomial_variance(pooled[level.served_by], level.labelled)
    return DayCost(day, requests, sum(by_level.values()), unit_value**2 * variance, by_level)


def _pooled_rates(rows: Sequence[LevelOutcomes]) -> dict[str, float]:
    positives: dict[str, int] = {}
    labelled: dict[str, int] = {}
    for r in rows:
        positives[r.served_by] = positives.get(r.served_by, 0) + r.positives
        labelled[r.served_by] = labelled.get(r.served_by, 0) + r.labelled
    return {level: smoothed_rate(positives[level], labelled[level]) for level in labelled}


def fallback_cost(rows: Sequence[LevelOutcomes], unit_value: float) -> FallbackCost:
    """The fallbacks' cost a day over the days of `rows` (each day's levels), with its 95%
    interval: the mean of the priced days, Var = sum of their variances / days^2."""
    days = sorted({r.day for r in rows})
    pooled = _pooled_rates(rows)
    daily = tuple(day_cost([r for r in rows if r.day == day], unit_value, pooled) for day in days)
    priced = [d for d in daily if d.cost is not None and d.variance is not None]
    requests = sum(d.fallback_requests for d in daily)
    if not priced:
        return FallbackCost(None, None, None, len(days), 0, requests, daily)
    per_day = sum(d.cost or 0.0 for d in priced) / len(priced)
    half = Z_95 * math.sqrt(sum(d.variance or 0.0 for d in priced)) / len(priced)
    return FallbackCost(
        per_day, per_day - half, per_day + half, len(days), len(priced), requests, daily
    )


def on_scale(cost: FallbackCost, factor: float) -> FallbackCost:
    """`cost` with every amount multiplied by `factor` (variances by its square): the cost of a
    sample of the traffic carried to all of it (`factor` = 1 / the share the sample covers)."""
    if factor == 1.0:
        return cost

    def scaled(value: float | None) -> float | None:
        return None if value is None else value * factor

    daily = tuple(
        DayCost(
            d.day,
            d.fallback_requests,
            scaled(d.cost),
            None if d.variance is None else d.variance * factor**2,
            {level: amount * factor for level, amount in d.by_level.items()},
        )
        for d in cost.daily
    )
    return FallbackCost(
        scaled(cost.per_day),
        scaled(cost.low),
        scaled(cost.high),
        cost.days,
        cost.priced_days,
        cost.fallback_requests,
        daily,
    )

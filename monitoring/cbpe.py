"""Performance before labels arrive: a calibration check of a classifier's scores on the
reference, then confidence-based performance estimation (CBPE) per day from the scores alone.

Pure: the store returns sums per reliability bin and per day (monitoring/cbpe_sql.py); this
module turns them into a calibration verdict and estimates with intervals. If the scores are
calibrated, a prediction with score s is a positive with probability s, so for a decision
threshold t the day's confusion counts are sums of independent Bernoulli(s) draws (a
Poisson-binomial): E[TP] = sum(s | s >= t), Var[TP] = sum(s (1 - s) | s >= t), and likewise FN on
the rows below t; FP and TN are the complements within each side, whose size is known.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from scipy import stats as distributions

from core.errors import YardstickError
from core.vocab import CalibrationStatus

RELIABILITY_BINS = 10
CALIBRATION_ALPHA = 0.01
MIN_EXPECTED = 5.0
CONFIDENCE = 0.95
UNCALIBRATED = "monitor.estimate.uncalibrated"
TOO_FEW_LABELS = "monitor.estimate.too_few_labels"


def checked_threshold(threshold: float) -> float:
    """The decision threshold (a prediction is flagged when its score is at or above it), which
    must lie in (0, 1]: at 0 every prediction is flagged and recall says nothing."""
    if not (math.isfinite(threshold) and 0 < threshold <= 1):
        raise YardstickError("monitor.estimate.bad_threshold", field="threshold", value=threshold)
    return threshold


class CellValues(Protocol):
    """Money per prediction in each confusion-matrix cell: `kpi.value.CostMatrix` (the fraud
    KPI's value model) is one; named as a protocol so the monitoring domain needs no kpi import."""

    @property
    def tp(self) -> float: ...
    @property
    def fp(self) -> float: ...
    @property
    def tn(self) -> float: ...
    @property
    def fn(self) -> float: ...


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of the reference's labelled predictions, cut at the score's deciles.

    Attributes:
        index: 1..10, lowest scores first (DuckDB NTILE over score; ties broken by ts, request).
        n: labelled predictions in the bin.
        score_sum: sum of their scores (the positives calibrated scores expect).
        score_variance: sum of s (1 - s) (the variance of the positives under calibration).
        positives: sum of their labels (the positives observed).
        score_min, score_max: the bin's score range.
    """

    index: int
    n: int
    score_sum: float
    score_variance: float
    positives: float
    score_min: float
    score_max: float

    @property
    def mean_score(self) -> float:
        """The bin's mean score (what calibrated scores promise)."""
        return self.score_sum / self.n

    @property
    def label_rate(self) -> float:
        """The bin's share of positives (what happened)."""
        return self.positives / self.n


@dataclass(frozen=True)
class CalibrationCheck:
    """Are the reference's scores calibrated?

    Attributes:
        status: `calibrated`, `uncalibrated` (the test rejects at `alpha`) or `insufficient_data`
            (fewer labelled reference predictions than `min_rows`).
        n: labelled predictions in the reference.
        bins: the reliability bins (mean score against label rate).
        ece: expected calibration error, sum over bins of n_bin / n x |mean score - label rate|.
        statistic: the Hosmer-Lemeshow-style statistic, sum over groups of
            (observed - expected)^2 / sum s (1 - s), over groups of adjacent bins merged until each
            expects at least 5 positives and 5 negatives.
        groups: the number of groups, the statistic's degrees of freedom (nothing is fitted on the
            reference, so none is lost).
        p_value: chi-square survival of the statistic.
        alpha: the level at which calibration is rejected.
    """

    status: CalibrationStatus
    n: int
    bins: tuple[ReliabilityBin, ...]
    ece: float | None
    statistic: float | None
    groups: int
    p_value: float | None
    alpha: float


def expected_calibration_error(bins: Sequence[ReliabilityBin]) -> float:
    """Sum over bins of the bin's share of predictions x |mean score - label rate|."""
    total = sum(b.n for b in bins)
    return sum(abs(b.score_sum - b.positives) for b in bins) / total


def merged_groups(bins: Sequence[ReliabilityBin]) -> list[tuple[float, float, float]]:
    """(expected, variance, observed) of adjacent bins merged, lowest scores first, until each
    group expects at least MIN_EXPECTED positives and as many negatives (a short last group joins
    the one before), so the chi-square approximation holds for rare positives too."""
    groups: list[tuple[float, float, float, float]] = []
    expected = variance = observed = size = 0.0
    for b in bins:
        expected, variance = expected + b.score_sum, variance + b.score_variance
        observed, size = observed + b.positives, size + b.n
        if expected >= MIN_EXPECTED and size - expected >= MIN_EXPECTED:
            groups.append((expected, variance, observed, size))
            expected = variance = observed = size = 0.0
    if size:
        if groups:
            e, v, o, s = groups.pop()
            groups.append((e + expected, v + variance, o + observed, s + size))
        else:
            groups.append((expected, variance, observed, size))
    return [(e, v, o) for e, v, o, _ in groups]


def check_calibration(
    bins: Sequence[ReliabilityBin], min_rows: int, alpha: float = CALIBRATION_ALPHA
) -> CalibrationCheck:
    """Judge the reference's calibration from its reliability bins.

    Under calibration each group's observed positives are a sum of independent Bernoulli(s), so
    (observed - expected) / sqrt(sum s (1 - s)) is close to standard normal and the statistic is
    chi-square with one degree of freedom per group. This is Hosmer and Lemeshow's test for
    external validation, with the exact variance of the group's positives rather than
    n p (1 - p) (which overstates it when scores in a group differ).
    """
    n = sum(b.n for b in bins)
    if n < max(min_rows, 1):
        return CalibrationCheck("insufficient_data", n, tuple(bins), None, None, 0, None, alpha)
    groups = merged_groups(bins)
    statistic = sum((o - e) ** 2 / v if v > 0 else _degenerate(o, e) for e, v, o in groups)
    p_value = float(distributions.chi2.sf(statistic, len(groups)))
    return CalibrationCheck(
        status="uncalibrated" if p_value < alpha else "calibrated",
        n=n,
        bins=tuple(bins),
        ece=expected_calibration_error(bins),
        statistic=statistic,
        groups=len(groups),
        p_value=p_value,
        alpha=alpha,
    )


def _degenerate(observed: float, expected: float) -> float:
    """A group whose scores are all 0 or 1 has no variance: any miss is infinitely unlikely."""
    return 0.0 if math.isclose(observed, expected, abs_tol=1e-9) else math.inf


@dataclass(frozen=True)
class DayScores:
    """The sums one day's predictions give for a threshold t (the columns of the daily read).

    Attributes:
        day: the day.
        n_positive: predictions with score >= t (flagged).
        expected_tp: sum of their scores; variance_positive: sum of s (1 - s) over them.
        n_negative: predictions with score < t.
        expected_fn: sum of their scores; variance_negative: sum of s (1 - s) over them.
        labelled: predictions of the day with a label (in the predictions or arrived later).
        tp, fp, tn, fn: the realised counts over the labelled predictions.
    """

    day: dt.date
    n_positive: int
    expected_tp: float
    variance_positive: float
    n_negative: int
    expected_fn: float
    variance_negative: float
    labelled: int
    tp: float
    fp: float
    tn: float
    fn: float

    @property
    def n(self) -> int:
        """The day's predictions."""
        return self.n_positive + self.n_negative

    @property
    def complete(self) -> bool:
        """Whether every prediction of the day has its label."""
        return self.labelled == self.n


@dataclass(frozen=True)
class Estimate:
    """An estimated quantity and its 95% interval (normal approximation)."""

    value: float
    low: float
    high: float

    @property
    def sd(self) -> float:
        """The standard deviation the interval was built from."""
        return (self.high - self.low) / (2 * _z())


def _z() -> float:
    return float(distributions.norm.ppf(0.5 + CONFIDENCE / 2))


def _interval(
    value: float,
    variance: float,
    bounds: tuple[float, float] | None,
    confidence: float = CONFIDENCE,
) -> Estimate:
    z = _z() if confidence == CONFIDENCE else float(distributions.norm.ppf(0.5 + confidence / 2))
    half = z * math.sqrt(max(variance, 0.0))
    low, high = value - half, value + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Estimate(value, low, high)


def estimated_precision(day: DayScores, confidence: float = CONFIDENCE) -> Estimate | None:
    """TP / flagged: the flagged count is known, so Var = sum s (1 - s) / flagged^2 exactly."""
    if day.n_positive == 0:
        return None
    n = day.n_positive
    return _interval(day.expected_tp / n, day.variance_positive / n**2, (0.0, 1.0), confidence)


def estimated_recall(day: DayScores, confidence: float = CONFIDENCE) -> Estimate | None:
    """TP / (TP + FN), TP and FN independent (different predictions); delta method:
    Var = (FN^2 Var TP + TP^2 Var FN) / (TP + FN)^4."""
    tp, fn = day.expected_tp, day.expected_fn
    if tp + fn <= 0:
        return None
    variance = (fn**2 * day.variance_positive + tp**2 * day.variance_negative) / (tp + fn) ** 4
    return _interval(tp / (tp + fn), variance, (0.0, 1.0), confidence)


def pooled_scores(days: Sequence[DayScores]) -> DayScores:
    """Several days' sums as one (dated on the last day): every field is a sum over independent
    predictions, so a window's precision, recall and money are estimated exactly as a day's."""
    if not days:
        raise ValueError("pooling needs at least one day")
    return DayScores(
        day=max(d.day for d in days),
        n_positive=sum(d.n_positive for d in days),
        expected_tp=math.fsum(d.expected_tp for d in days),
        variance_positive=math.fsum(d.variance_positive for d in days),
        n_negative=sum(d.n_negative for d in days),
        expected_fn=math.fsum(d.expected_fn for d in days),
        variance_negative=math.fsum(d.variance_negative for d in days),
        labelled=sum(d.labelled for d in days),
        tp=math.fsum(d.tp for d in days),
        fp=math.fsum(d.fp for d in days),
        tn=math.fsum(d.tn for d in days),
        fn=math.fsum(d.fn for d in days),
    )


def estimated_value(day: DayScores, cells: CellValues, confidence: float = CONFIDENCE) -> Estimate:
    """The day's money under a cost matrix: linear in TP and FN, so exact in mean and variance:
    Var = (tp - fp)^2 Var TP + (fn - tn)^2 Var FN, in the matrix's cell values."""
    tp, fn = day.expected_tp, day.expected_fn
    value = (
        tp * cells.tp
        + (day.n_positive - tp) * cells.fp
        + fn * cells.fn
        + (day.n_negative - fn) * cells.tn
    )
    variance = (cells.tp - cells.fp) ** 2 * day.variance_positive + (
        cells.fn - cells.tn
    ) ** 2 * day.variance_negative
    return _interval(value, variance, None, confidence)


def realised_precision(day: DayScores) -> float | None:
    """Precision from the labels (None unless every prediction of the day is labelled)."""
    flagged = day.tp + day.fp
    return day.tp / flagged if day.complete and flagged > 0 else None


def realised_recall(day: DayScores) -> float | None:
    """Recall from the labels (None unless every prediction of the day is labelled)."""
    positives = day.tp + day.fn
    return day.tp / positives if day.complete and positives > 0 else None


def realised_value(day: DayScores, cells: CellValues) -> float | None:
    """The day's money from the labels (None unless every prediction of the day is labelled)."""
    if not day.complete or day.n == 0:
        return None
    return day.tp * cells.tp + day.fp * cells.fp + day.tn * cells.tn + day.fn * cells.fn


@dataclass(frozen=True)
class DailyPerformance:
    """One day: the estimates from the scores and, once every label is in, the realised values.

    Attributes:
        day, n, labelled: the day, its predictions, and how many of them have a label.
        precision, recall: estimates (None when undefined: nothing flagged, no expected positive).
        value: the estimated money of the day under the cost matrix (None without one).
        realised_precision, realised_recall, realised_value: from the labels; None until all are in.
    """

    day: dt.date
    n: int
    labelled: int
    precision: Estimate | None
    recall: Estimate | None
    value: Estimate | None
    realised_precision: float | None
    realised_recall: float | None
    realised_value: float | None

    @property
    def estimated(self) -> bool:
        """Whether the day's performance is only estimated (some label is not in yet)."""
        return self.labelled < self.n


def daily_performance(day: DayScores, cells: CellValues | None) -> DailyPerformance:
    """Estimates and realised values of one day."""
    return DailyPerformance(
        day=day.day,
        n=day.n,
        labelled=day.labelled,
        precision=estimated_precision(day),
        recall=estimated_recall(day),
        value=None if cells is None else estimated_value(day, cells),
        realised_precision=realised_precision(day),
        realised_recall=realised_recall(day),
        realised_value=None if cells is None else realised_value(day, cells),
    )

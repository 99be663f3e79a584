"""A cost-matrix KPI's status for the days whose labels are not in yet, estimated from the scores.

A classifier's KPI (the fraud model's recall, priced by a cost matrix) is realised only once its
labels arrive, weeks late. For the days after its last realised day, this use case estimates the
KPI's metric per day and per window from the scores alone (CBPE, `monitoring.cbpe`), at the
decision threshold agreed in a monitor of the family (`threshold` in the monitor spec), and
carries the realised status on over those days by the KPI's own persistence rule
(`kpi.evaluation.continue_statuses`). Realised and estimated days are never mixed: a window of
an estimated day holds estimated days only, and every day says which it is (`basis`).

Versions are never mixed either: each estimated day reads the scores of the production version
live that day only (the KPI series' rule, `core.live_versions`: the newer deployment wins on a
hand-over day) and names it (`model_id`); a window pools only days of its day's version, and at a
hand-over the status restarts healthy, as the realised status does for a new version.

Nothing is estimated when the monitor's reference shows the scores uncalibrated or holds too few
labels (the same check and codes as `monitor estimate`), or when the KPI's metric is neither
precision nor recall; the estimate then says why (`refusal`). One connection: the caller's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core.clock import Clock, system_clock, today
from core.vocab import COST_CELLS, Basis, KpiStatusCode
from data import kpi_store, monitor_store, performance_store
from data.monitor_store import Connection
from data.store import StoreSettings, connect
from kpi.evaluation import Thresholds, continue_statuses
from kpi.status import KpiDetail, KpiStatus
from kpi.value import CostMatrix
from monitoring.cbpe import (
    CalibrationCheck,
    DayScores,
    Estimate,
    estimated_precision,
    estimated_recall,
    estimated_value,
    pooled_scores,
)
from monitoring.coverage import Coverage, money_on_kpi_scale, prediction_coverage
from monitoring.spec import MonitorSpec
from services.kpis import all_evaluations_on, detail_on, record_evaluations
from services.performance import calibration_on, estimate_status

__all__ = [
    "ESTIMABLE_METRICS",
    "MAX_ESTIMATED_DAYS",
    "NOT_ESTIMABLE",
    "EstimatedDay",
    "KpiCheck",
    "KpiEstimate",
    "VersionSpan",
    "check_kpis_with_estimates",
    "estimate_for",
    "kpi_estimate",
    "version_spans",
]

ESTIMABLE_METRICS = ("precision", "recall")
# Labels that are later than this are not waited for: an older day without its realised value is
# a stale KPI (exit status 30), not one to estimate.
MAX_ESTIMATED_DAYS = 90
NOT_ESTIMABLE = "kpi.estimate.metric_not_estimable"


@dataclass(frozen=True)
class EstimatedDay:
    """One day after the KPI's last realised day, estimated from its scores.

    Attributes:
        day: the day.
        predictions: the predictions the model served that day.
        metric: the day's own estimate of the KPI's metric (None when refused or undefined).
        window: the KPI's window estimate on this day: the estimated days among the `window_days`
            ending on it, pooled (None when refused or undefined).
        money: the day's value under the KPI's cost matrix, on the KPI's scale (currency; scaled
            by 1 / coverage when the predictions do not cover the KPI's transactions, see
            `KpiEstimate.coverage`; None when refused).
        status: the KPI's status carried on over the estimated windows; None when refused.
        days_past_warning, days_past_exit: the runs behind `status`, as in `kpi check`.
        basis: always `estimated` (realised days are the KPI's own series).
        model_id: the production version live that day, whose scores alone are read.
    """

    day: dt.date
    predictions: int
    metric: Estimate | None
    window: Estimate | None
    money: Estimate | None
    status: KpiStatusCode | None
    days_past_warning: int
    days_past_exit: int
    basis: Basis = "estimated"
    model_id: str | None = None


@dataclass(frozen=True)
class VersionSpan:
    """The estimated days one production version was live: its id, first and last such day."""

    model_id: str
    first: dt.date
    last: dt.date


def version_spans(days: Sequence[EstimatedDay]) -> tuple[VersionSpan, ...]:
    """The consecutive runs of estimated days by live version, oldest first (a day without a
    version, none in practice, is left out)."""
    spans: list[VersionSpan] = []
    for day in days:
        if day.model_id is None:
            continue
        if spans and spans[-1].model_id == day.model_id:
            spans[-1] = VersionSpan(day.model_id, spans[-1].first, day.day)
        else:
            spans.append(VersionSpan(day.model_id, day.day, day.day))
    return tuple(spans)


@dataclass(frozen=True)
class KpiEstimate:
    """A cost-matrix KPI's estimated part: the days after its last realised day.

    Attributes:
        kpi_id, metric, currency: the KPI, the metric estimated, the currency of `money`.
        monitor_id, family, threshold: the monitor whose reference and threshold are used.
        realised_through: the KPI's last realised day (None when it has none).
        reference: the monitor's reference, first and last day (None without a live version).
        calibration: the calibration check of the reference's labelled scores.
        min_rows: the labelled reference predictions the check needs.
        refusal: the catalogue code (under `error.`) saying why nothing is estimated, else None.
        confidence: the two-sided confidence of the intervals (the KPI's).
        days: the estimated days, oldest first (listed, without estimates, when refused).
        value_per_day: the mean money per day over the last `window_days` estimated days, with its
            interval, on the KPI's scale as `money` (None when refused or without days).
        coverage: how many of the KPI's transactions the predictions cover over its last
            `window_days` labelled days, and so whether the money is as it is or scaled.
    """

    kpi_id: str
    metric: str
    currency: str
    monitor_id: str
    family: str
    threshold: float
    realised_through: dt.date | None
    reference: tuple[dt.date, dt.date] | None
    calibration: CalibrationCheck
    min_rows: int
    refusal: str | None
    confidence: float
    days: tuple[EstimatedDay, ...]
    value_per_day: Estimate | None
    coverage: Coverage

    @property
    def estimated_through(self) -> dt.date | None:
        """The last estimated day (None without one)."""
        return self.days[-1].day if self.days else None

    @property
    def estimated_from(self) -> dt.date | None:
        """The first estimated day (None without one)."""
        return self.days[0].day if self.days else None

    @property
    def versions(self) -> tuple[VersionSpan, ...]:
        """Which production version each estimated day is, as runs of days: more than one after
        a hand-over, whose new version's days restart the status and the windows."""
        return version_spans(self.days)

    @property
    def status(self) -> KpiStatusCode | None:
        """The estimated status on the last estimated day; None when refused or without days."""
        return self.days[-1].status if self.days and self.refusal is None else None

    @property
    def value(self) -> Estimate | None:
        """The window estimate of the KPI's metric on the last estimated day."""
        return self.days[-1].window if self.days and self.refusal is None else None


def _metric_estimate(scores: DayScores, metric: str, confidence: float) -> Estimate | None:
    if metric == "precision":
        return estimated_precision(scores, confidence)
    return estimated_recall(scores, confidence)


def _estimating_monitor(con: Connection, family: str) -> MonitorSpec | None:
    """The family's first monitor (by id) that agrees a decision threshold."""
    for monitor_id in monitor_store.monitor_ids(con):
        version = monitor_store.latest_version(con, monitor_id)
        if version and version.spec.family == family and version.spec.threshold is not None:
            return version.spec
    return None


def _days_to_estimate(
    con: Connection, status: KpiStatus, reference_day: dt.date, window_days: int
) -> tuple[dt.date, dt.date] | None:
    last_prediction = monitor_store.last_day(con)
    if last_prediction is None:
        return None
    end = min(reference_day, last_prediction)
    realised = status.last_data_date
    start = realised + dt.timedelta(days=1) if realised else end - dt.timedelta(window_days - 1)
    start = max(start, end - dt.timedelta(days=MAX_ESTIMATED_DAYS - 1))
    return (start, end) if start <= end else None


def _window_days(
    days: Sequence[tuple[str, DayScores]], index: int, window_days: int
) -> list[DayScores]:
    """The days of the window ending on day `index`: those of its version within `window_days`."""
    model, last = days[index]
    first = last.day - dt.timedelta(days=window_days - 1)
    return [d for m, d in days[: index + 1] if d.day >= first and m == model]


def _money_per_day(
    days: Sequence[DayScores], cells: CostMatrix, confidence: float
) -> Estimate | None:
    if not days:
        return None
    total = estimated_value(pooled_scores(days), cells, confidence)
    count = len(days)
    return Estimate(total.value / count, total.low / count, total.high / count)


def _coverage(
    con: Connection, family: str, realised_through: dt.date | None, window_days: int
) -> Coverage:
    """The predictions' coverage of the KPI's transactions over its last `window_days` labelled
    days (the days with confusion counts, up to `realised_through`)."""
    if realised_through is None:
        return prediction_coverage({}, {})
    counts = kpi_store.live_daily_series(con, family, COST_CELLS, realised_through)
    first = realised_through - dt.timedelta(days=window_days - 1)
    per_day = counts.assign(day=counts["date"].dt.date).groupby("day")["value"].sum()
    days, totals = per_day.index, per_day.to_numpy()
    transactions: dict[dt.date, int] = {
        day: int(total) for day, total in zip(days, totals, strict=True) if day >= first
    }
    if not transactions:
        return prediction_coverage({}, {})
    span = (min(transactions), max(transactions))
    # The threshold does not change a day's count of predictions; 0.5 is any threshold.
    predictions = {
        s.day: s.n for _, s in performance_store.live_daily_scores(con, family, span, 0.5)
    }
    return prediction_coverage(predictions, transactions)


def estimate_for(con: Connection, detail: KpiDetail, reference_day: dt.date) -> KpiEstimate | None:
    """The estimated part of one KPI judged as `detail` (same connection, same snapshot).

    None when the KPI is not priced by a cost matrix or its family has no monitor with a
    `threshold`: such a KPI has only realised days. `reference_day` is today by the clock, or the
    day asked for.
    """
    spec = detail.spec
    cells = spec.value.cost_matrix
    if spec.value.kind != "cost_matrix" or cells is None:
        return None
    monitor = _estimating_monitor(con, spec.family)
    if monitor is None or monitor.threshold is None:
        return None
    threshold = monitor.threshold
    span = _days_to_estimate(con, detail.status, reference_day, spec.window_days)
    live_scores = (
        performance_store.live_daily_scores(con, spec.family, span, threshold) if span else []
    )
    models = [model for model, _ in live_scores]
    scores = [day for _, day in live_scores]
    _, reference, calibration = calibration_on(con, monitor, span[1] if span else reference_day)
    _, refusal = estimate_status(calibration)
    if refusal is None and spec.metric not in ESTIMABLE_METRICS:
        refusal = NOT_ESTIMABLE
    confidence = spec.confidence
    windows = [_window_days(live_scores, i, spec.window_days) for i in range(len(scores))]
    estimates = (
        [_metric_estimate(pooled_scores(w), spec.metric, confidence) for w in windows]
        if refusal is None
        else [None] * len(scores)
    )
    thresholds = Thresholds(spec.target, spec.warning, spec.exit_threshold, spec.direction)
    last = detail.evaluations[-1] if detail.evaluations else None
    steps = continue_statuses(
        last,
        [(e.low, e.high) if e is not None else None for e in estimates],
        thresholds,
        spec.persistence,
        models,
    )
    coverage = _coverage(con, spec.family, detail.status.last_data_date, spec.window_days)
    days = tuple(
        EstimatedDay(
            day=s.day,
            predictions=s.n,
            metric=_metric_estimate(s, spec.metric, confidence) if refusal is None else None,
            window=window,
            money=money_on_kpi_scale(estimated_value(s, cells, confidence), coverage)
            if refusal is None
            else None,
            status=step.status if refusal is None else None,
            days_past_warning=step.days_past_warning if refusal is None else 0,
            days_past_exit=step.days_past_exit if refusal is None else 0,
            model_id=model,
        )
        for model, s, window, step in zip(models, scores, estimates, steps, strict=True)
    )
    return KpiEstimate(
        kpi_id=spec.kpi_id,
        metric=spec.metric,
        currency=spec.value.currency,
        monitor_id=monitor.monitor_id,
        family=spec.family,
        threshold=threshold,
        realised_through=detail.status.last_data_date,
        reference=reference,
        calibration=calibration,
        min_rows=monitor.min_rows,
        refusal=refusal,
        confidence=confidence,
        days=days,
        value_per_day=(
            money_on_kpi_scale(_money_per_day(windows[-1], cells, confidence), coverage)
            if windows and refusal is None
            else None
        ),
        coverage=coverage,
    )


def _reference_day(as_of: dt.date | None, clock: Clock) -> dt.date:
    return as_of or today(clock)


def kpi_estimate(
    settings: StoreSettings,
    kpi_id: str,
    as_of: dt.date | None = None,
    *,
    clock: Clock = system_clock,
) -> tuple[KpiDetail, KpiEstimate | None]:
    """One KPI's realised detail and its estimated part, from one snapshot (the Degradation
    page); raises UnknownKpiError for an unknown id."""
    with connect(settings, read_only=True) as con:
        detail = detail_on(con, kpi_id, as_of, clock)
        return detail, estimate_for(con, detail, _reference_day(as_of, clock))


@dataclass(frozen=True)
class KpiCheck:
    """What `kpi check` reports, read from one snapshot.

    Attributes:
        statuses: every KPI's realised status, ordered by id.
        estimates: the estimated part of every KPI that has one, by KPI id.
    """

    statuses: tuple[KpiStatus, ...]
    estimates: dict[str, KpiEstimate]


def check_kpis_with_estimates(
    settings: StoreSettings,
    as_of: dt.date | None = None,
    *,
    record: bool = True,
    evaluated_by: str | None = None,
    clock: Clock = system_clock,
) -> KpiCheck:
    """Every KPI's status and estimated part (`kpi check`), from ONE read-only connection, so a
    load between two reads cannot make a KPI's estimated days disagree with its realised ones;
    each KPI is evaluated once. With `record`, the statuses are then stored in one transaction
    (`services.kpis.record_evaluations`)."""
    reference_day = _reference_day(as_of, clock)
    estimates: dict[str, KpiEstimate] = {}
    with connect(settings, read_only=True) as con:
        details = all_evaluations_on(con, as_of, clock)
        for detail in details:
            estimate = estimate_for(con, detail, reference_day)
            if estimate is not None:
                estimates[estimate.kpi_id] = estimate
    statuses = tuple(detail.status for detail in details)
    if record:
        record_evaluations(settings, statuses, evaluated_by, clock=clock)
    return KpiCheck(statuses, estimates)

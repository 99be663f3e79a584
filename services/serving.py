"""Serving health tied to value: what a KPI loses to fallbacks per day, and the serving health of
an experiment's arms.

Each use case opens ONE read-only connection (one snapshot). Time comes in as `clock`, read only
when the store holds no prediction to say what "today" is (or, for an experiment still running,
where its window ends). Rules are the domain's (`kpi.fallback_value`, `monitoring.arm_health`);
SQL is the store's (`data.serving_store`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.clock import Clock, system_clock, today
from core.errors import YardstickError
from core.vocab import ArmHealthStatus
from data import experiment_store, kpi_store, monitor_store, serving_store
from data.monitor_store import Connection
from data.store import StoreSettings, connect
from experiments.analysis import experiment_window
from experiments.spec import UnknownExperimentError
from kpi.fallback_value import (
    FallbackCost,
    LevelOutcomes,
    fallback_cost,
    ineligibility,
    on_scale,
)
from kpi.versions import UnknownKpiError
from monitoring.arm_health import ArmComparison, ArmServing, ScoreSummary, compare_arm
from monitoring.coverage import Coverage, prediction_coverage

__all__ = [
    "ArmHealthReport",
    "FallbackValueReport",
    "arm_health",
    "fallback_value",
]

Days = tuple[dt.date, dt.date]
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class FallbackValueReport:
    """A KPI's value split by serving level over a window, and what its fallbacks cost a day.

    Attributes:
        kpi_id, family, metric: the KPI read.
        currency, unit_value: its per-unit price (None when it does not qualify).
        window: first and last day read.
        refusal: why no cost is given: `not_online`, `not_per_unit`, `not_label_rate` (the KPI
            does not qualify), `no_predictions`, `no_labels` or `non_binary_labels`; None when it
            is given.
        levels: per day and level: requests, labelled requests and positives (empty when the KPI
            does not qualify).
        cost: the fallbacks' cost a day with its 95% interval (None when refused), on the KPI's
            scale: when the family's predictions are a sample of the units its online metric
            counts, the sample's cost times 1 / coverage (`coverage.basis` == `scaled`).
        coverage: the family's predictions against the units the KPI's metric was measured on
            over the window's days (`monitoring.coverage`, the rule the estimated KPI money
            uses); None when no cost is given.
    """

    kpi_id: str
    family: str
    metric: str
    currency: str | None
    unit_value: float | None
    window: Days
    refusal: str | None
    levels: tuple[LevelOutcomes, ...]
    cost: FallbackCost | None
    coverage: Coverage | None = None

    @property
    def exit_code(self) -> int:
        """0 a cost is given; 30 the inputs are missing (no predictions or labels); 40 the KPI
        does not qualify or its labels are not binary."""
        if self.refusal is None:
            return 0
        return 30 if self.refusal in ("no_predictions", "no_labels") else 40


def fallback_value(
    settings: StoreSettings,
    kpi_id: str,
    *,
    as_of: dt.date | None = None,
    days: int = DEFAULT_DAYS,
    clock: Clock = system_clock,
) -> FallbackValueReport:
    """The KPI's metric per day and serving level from its family's labelled predictions, and what
    the fallbacks cost a day over `days` days ending on `as_of` (default: the last day with any
    prediction). Raises UnknownKpiError, or a YardstickError for `days` below 1."""
    if days < 1:
        raise YardstickError("monitor.value.bad_days", field="days", value=days)
    with connect(settings, read_only=True) as con:
        version = kpi_store.latest_version(con, kpi_id)
        if version is None:
            raise UnknownKpiError(kpi_id, kpi_store.kpi_ids(con))
        spec = version.spec
        last = as_of or monitor_store.last_day(con) or today(clock)
        window = (last - dt.timedelta(days=days - 1), last)
        reason = ineligibility(spec)
        base = (kpi_id, spec.family, spec.metric)
        if reason is not None:
            return FallbackValueReport(*base, None, None, window, reason, (), None)
        levels, non_binary = serving_store.level_outcomes(con, spec.family, window)
        volume = kpi_store.family_daily_volume(con, spec.family, spec.metric, *window)
    price = (spec.value.currency, spec.value.unit_value)
    refusal = (
        "no_predictions"
        if not levels
        else "non_binary_labels"
        if non_binary
        else "no_labels"
        if not any(r.labelled for r in levels)
        else None
    )
    unit_value = spec.value.unit_value or 0.0
    cost = fallback_cost(levels, unit_value) if refusal is None else None
    if cost is not None and cost.per_day is None:
        refusal, cost = "no_labels", None
    if cost is None:
        return FallbackValueReport(*base, *price, window, refusal, tuple(levels), None)
    coverage = _coverage(levels, volume)
    if coverage.basis == "scaled" and not coverage.ratio:
        # predictions on none of the days the KPI counted units: nothing to carry over
        return FallbackValueReport(*base, *price, window, "no_predictions", tuple(levels), None)
    scaled = on_scale(cost, coverage.factor)
    return FallbackValueReport(*base, *price, window, refusal, tuple(levels), scaled, coverage)


def _coverage(levels: list[LevelOutcomes], volume: dict[dt.date, int]) -> Coverage:
    """The family's requests per day (every serving level) against the units its KPI's metric
    counted on the same days."""
    requests: dict[dt.date, int] = {}
    for r in levels:
        requests[r.day] = requests.get(r.day, 0) + r.n
    return prediction_coverage(requests, volume)


@dataclass(frozen=True)
class ArmHealthReport:
    """The serving health of an experiment's arms over its days.

    Attributes:
        experiment_id: the experiment.
        days: first and last day read (the spec's start to its end or `as_of`), for display.
        control: the control arm's serving (None when the control has no model or no
            predictions).
        arms: every arm with a model and predictions, control first.
        comparisons: each treatment arm against the control.
        status: flagged when any comparison is; insufficient_data when none can be made.
        window: the moments read, [start, until) naive UTC (`experiments.analysis.
            experiment_window`: the spec's start time, not its day, as the analysis counts units).
    """

    experiment_id: str
    days: Days
    control: ArmServing | None
    arms: tuple[ArmServing, ...]
    comparisons: tuple[ArmComparison, ...]
    status: ArmHealthStatus
    window: tuple[dt.datetime, dt.datetime]


def _arm(
    variant: str,
    model_id: str,
    rows: list[tuple[str, str | None, int, float | None, float | None, float | None]],
    scores: ScoreSummary,
) -> ArmServing | None:
    total = next((r for r in rows if r[0] == model_id and r[1] is None), None)
    if total is None or total[2] == 0:
        return None
    levels = {
        str(r[1]): r[2] / total[2] for r in rows if r[0] == model_id and r[1] not in (None, "model")
    }
    return ArmServing(
        variant,
        model_id,
        total[2],
        total[3],
        total[4],
        total[5],
        dict(sorted(levels.items())),
        scores,
    )


def _latency_objective(con: Connection, family: str | None) -> float | None:
    """The latency_p95_ms objective of the family's first monitor (by id) that agrees one."""
    for monitor_id in monitor_store.monitor_ids(con):
        latest = monitor_store.latest_version(con, monitor_id)
        if latest and latest.spec.family == family and latest.spec.serving.latency_p95_ms:
            return latest.spec.serving.latency_p95_ms
    return None


def arm_health(
    settings: StoreSettings,
    experiment_id: str,
    *,
    as_of: dt.datetime | None = None,
    clock: Clock = system_clock,
) -> ArmHealthReport:
    """Per arm with a model (`variant_models`): requests, latency quantiles, fallback shares and
    model-served score summary over the experiment's days, and each treatment against the control
    by the rules of `monitoring.arm_health`. Raises UnknownExperimentError."""
    empty = ScoreSummary(0, None, None, None, None, None, None, None)
    with connect(settings, read_only=True) as con:
        found = experiment_store.find_definition(con, experiment_id, None)
        if found is None:
            raise UnknownExperimentError.of(
                experiment_id, None, experiment_store.defined_ids(con), str(settings.path)
            )
        spec = found.spec
        moments = experiment_window(spec, as_of, clock)
        days = (moments[0].date(), (moments[1] - dt.timedelta(microseconds=1)).date())
        models = spec.model_for
        ids = sorted(set(models.values()))
        arms: list[ArmServing] = []
        comparisons: list[ArmComparison] = []
        if ids:
            rows = serving_store.arm_serving_rows(con, ids, moments)
            scores = serving_store.arm_scores(con, ids, moments)
            ordered = [spec.control, *spec.treatments]
            for variant in (v for v in ordered if v in models):
                model_id = models[variant]
                arm = _arm(variant, model_id, rows, scores.get(model_id, (empty, None))[0])
                if arm is not None:
                    arms.append(arm)
            control = arms[0] if arms and arms[0].variant == spec.control else None
            if control is not None:
                family = serving_store.model_families(con, [control.model_id]).get(control.model_id)
                objective = _latency_objective(con, family)
                edges = scores.get(control.model_id, (empty, None))[1]
                for arm in arms[1:]:
                    ks = serving_store.score_ks(con, control.model_id, arm.model_id, moments)
                    bins = (
                        serving_store.score_bins(
                            con, control.model_id, arm.model_id, moments, edges
                        )
                        if edges is not None
                        else None
                    )
                    comparisons.append(compare_arm(control, arm, ks, bins, objective))
        else:
            control = None
    statuses = [c.status for c in comparisons]
    status: ArmHealthStatus = (
        "flagged" if "flagged" in statuses else "ok" if "ok" in statuses else "insufficient_data"
    )
    return ArmHealthReport(
        experiment_id, days, control, tuple(arms), tuple(comparisons), status, moments
    )

"""Use cases of retraining: evaluate a case, pick the experiment metric, find a KPI's plan, and
record a retrain / wait / withdraw decision together with its evidence.

The reads go through the store's repositories and the KPI and experiment evaluations; the
economics, the checks and the rules are the pure `kpi.retraining`, `kpi.plan` and `kpi.checks`.
KPI evaluation (`kpi_detail`) and the experiment analysis (`analyze`) are imported here only, so
the faces and the reports never reach them directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from core.clock import Clock, system_clock
from core.errors import YardstickError
from core.vocab import DecisionChoice, FallbackSource, KpiDecision
from data import kpi_store, retrain_store
from data.kpi_store import Connection
from data.retrain_store import StoredFallback, StoredPlan
from data.store import StoreSettings, connect, current_actor, transaction, write_audit
from experiments.analysis import NoDataError
from experiments.spec import belongs_to_family
from kpi.checks import raise_first
from kpi.plan import DecisionEvidence, decision_for, request_from_plan
from kpi.retraining import (
    CaseRequest,
    KpiFacts,
    RetrainingCase,
    UpliftEvidence,
    assumed_uplift,
    build_case,
    check_metric,
    choose_uplift_metric,
    kpi_facts,
    measured_uplift,
    origin_of,
    request_problems,
)
from services import experiments as experiment_service
from services.explain import KpiExplanation, explanation_on
from services.kpis import KpiDetail, detail_on, history_on

__all__ = [
    "BuiltCase",
    "CaseReads",
    "KpiDetail",
    "RecordedDecision",
    "StoreSettings",
    "StoredFallback",
    "StoredPlan",
    "evaluate_request",
    "evaluate_resolved",
    "experiment_uplift",
    "facts_of",
    "fallback",
    "plan_request",
    "plans",
    "record_decision",
    "save_fallback",
    "uplift_metric_for",
]


@dataclass(frozen=True)
class BuiltCase:
    """A retraining case and the KPI detail it was built on (the report charts the detail).

    Attributes:
        case: the case with its economics.
        detail: the KPI's status and series as of the case's day.
        explanation: what changed around the KPI's steps and crossings, read in the same snapshot
            (the report's "what changed" block); None unless asked for.
    """

    case: RetrainingCase
    detail: KpiDetail
    explanation: KpiExplanation | None = None


@dataclass(frozen=True)
class RecordedDecision:
    """A retraining decision as written to the KPI's decision record.

    Attributes:
        decision_id: the decision's id in the KPI's record.
        kpi_id: the KPI.
        choice: retrain, wait or withdraw, as the owner chose it.
        decision: what the KPI's record calls it (retrain, continue or withdraw).
        decided_by: who decided.
        decided_at: when (naive UTC, from the use case's clock).
        plan_version: the version of the plan evaluated, if the evaluation came from a plan.
    """

    decision_id: int
    kpi_id: str
    choice: DecisionChoice
    decision: KpiDecision
    decided_by: str
    decided_at: dt.datetime
    plan_version: int | None


def facts_of(detail: KpiDetail) -> KpiFacts:
    """The facts of a KPI's evaluated status (`YardstickError` without value or trend)."""
    status = detail.status
    return kpi_facts(
        kpi_id=status.kpi_id,
        name=status.name,
        version=status.version,
        rationale=detail.spec.rationale,
        owner=status.owner,
        as_of=status.as_of,
        status=status.status,
        model_id=status.model_id,
        currency=status.currency,
        direction="decrease" if status.direction == "decrease" else "increase",
        value_per_day=status.value_per_day,
        trend=status.trend,
        value_lost_to_date=status.value_lost_to_date,
        warning_date=status.forecast_warning.date if status.forecast_warning else None,
        exit_date=status.forecast_exit.date if status.forecast_exit else None,
    )


def experiment_uplift(
    settings: StoreSettings, experiment_id: str, metric: str, as_of: dt.date, family: str
) -> UpliftEvidence:
    """The relative effect of an experiment's first treatment on `metric`, data up to `as_of`;
    refused (`retrain.experiment_other_family`) unless it tests a model of `family`."""
    with connect(settings, read_only=True) as con:
        return _experiment_uplift_on(con, settings, experiment_id, metric, as_of, family)


def _experiment_uplift_on(
    con: Connection,
    settings: StoreSettings,
    experiment_id: str,
    metric: str,
    as_of: dt.date,
    family: str,
) -> UpliftEvidence:
    definition = experiment_service.definition_on(con, settings, experiment_id, None)
    spec = definition.spec
    # The gain of a retrained model is measured only by a test of a model of the KPI's family.
    if not belongs_to_family(spec, retrain_store.model_families(con), family):
        raise YardstickError(
            "retrain.experiment_other_family",
            field="uplift_experiment",
            experiment=experiment_id,
            family=family,
        )
    check_metric(experiment_id, metric, [m.name for m in spec.metrics])
    end_of_day = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    try:
        result = experiment_service.analyze_spec_on(con, spec, end_of_day, definition.version)
    except (NoDataError, ValueError) as error:
        raise YardstickError(
            "retrain.no_effect", field="uplift_metric", experiment=experiment_id, metric=metric,
            as_of=as_of,
        ) from error  # fmt: skip
    comparisons = [c for c in result.comparisons if c.metric == metric]
    if not comparisons:
        raise YardstickError(
            "retrain.no_effect", field="uplift_metric", experiment=experiment_id, metric=metric,
            as_of=as_of,
        )  # fmt: skip
    comparison = comparisons[0]
    models = spec.model_for
    return measured_uplift(
        experiment_id=experiment_id,
        metric=metric,
        relative_effect=comparison.relative_effect,
        relative_std_error=comparison.relative_std_error,
        direction="decrease" if comparison.direction == "decrease" else "increase",
        control=models.get(comparison.control, comparison.control),
        variant=models.get(comparison.variant, comparison.variant),
        n_units=comparison.n_control + comparison.n_variant,
        p_value=comparison.p_value,
        start=spec.start.date(),
        end=(result.as_of - dt.timedelta(microseconds=1)).date(),
    )


def evaluate_request(
    settings: StoreSettings,
    request: CaseRequest,
    *,
    clock: Clock = system_clock,
    explain: bool = False,
) -> BuiltCase:
    """The retraining case a request asks for, and the KPI detail it was built on; with `explain`
    (the report), also what changed around the KPI's steps and crossings, from the same snapshot.

    Raises `YardstickError` for inputs the case cannot use (naming the field), an unknown KPI
    (`UnknownKpiError`) or experiment (`UnknownExperimentError`).
    """
    raise_first(request_problems(request))
    with connect(settings, read_only=True) as con:
        return _evaluate_on(con, settings, request, clock, explain)


class CaseReads:
    """The reads a face needs to settle what it asks (the KPI's plan, the experiment's metric),
    made on the connection the case is then built on (`evaluate_resolved`): the plan, the metric
    and the evidence of one answer come from one snapshot."""

    def __init__(self, con: Connection, settings: StoreSettings) -> None:
        self._con = con
        self._settings = settings

    def known_kpi(self, kpi_id: str) -> None:
        """Raise UnknownKpiError (naming the known ids) unless the KPI is defined."""
        history_on(self._con, kpi_id)

    def plan_request(self, kpi_id: str, as_of: dt.date | None) -> CaseRequest:
        """`plan_request` in this snapshot."""
        return _plan_request_on(self._con, kpi_id, as_of)

    def uplift_metric(self, experiment_id: str, kpi_id: str, requested: str | None = None) -> str:
        """`uplift_metric_for` in this snapshot."""
        return _uplift_metric_on(self._con, self._settings, experiment_id, kpi_id, requested)


def evaluate_resolved(
    settings: StoreSettings,
    resolve: Callable[[CaseReads], CaseRequest],
    *,
    clock: Clock = system_clock,
    explain: bool = False,
) -> BuiltCase:
    """`evaluate_request` for a request the face settles from the store (`resolve`, given the
    reads it may make), on ONE connection: `report` reads the plan, the experiment's metric and
    the evidence in one snapshot."""
    with connect(settings, read_only=True) as con:
        request = resolve(CaseReads(con, settings))
        raise_first(request_problems(request))
        return _evaluate_on(con, settings, request, clock, explain)


def _evaluate_on(
    con: Connection,
    settings: StoreSettings,
    request: CaseRequest,
    clock: Clock,
    explain: bool,
) -> BuiltCase:
    """The case of a checked request, read on `con` (the KPI and the experiment together)."""
    detail = detail_on(con, request.kpi_id, request.as_of, clock)
    explanation = (
        explanation_on(con, request.kpi_id, request.as_of, clock=clock, detail=detail)
        if explain
        else None
    )
    facts = facts_of(detail)
    measured = (
        _experiment_uplift_on(
            con,
            settings,
            request.uplift_experiment,
            request.uplift_metric,
            facts.as_of,
            detail.spec.family,
        )
        if request.uplift_experiment is not None and request.uplift_metric is not None
        else None
    )
    # Withdrawal is weighed against the fallback value given, else the KPI's stored one.
    stored = (
        retrain_store.latest_fallback(con, request.kpi_id)
        if request.fallback_value_per_day is None
        else None
    )
    fallback_value = request.fallback_value_per_day
    fallback_source: FallbackSource | None = "given" if fallback_value is not None else None
    if stored is not None:
        fallback_value, fallback_source = stored.value_per_day, "stored"
    if measured is not None:
        evidence = measured
    else:
        # request_problems has made sure an assumed uplift comes with its standard error.
        assert request.uplift is not None and request.uplift_se is not None
        evidence = assumed_uplift(request.uplift, request.uplift_se)
    case = build_case(
        facts,
        evidence,
        request.cost,
        request.horizon_days,
        request.discount_rate,
        fallback_value,
        request.plan_id,
        origin_of(request),
        fallback_source,
    )
    return BuiltCase(case, detail, explanation)


def fallback(settings: StoreSettings, kpi_id: str) -> StoredFallback | None:
    """The KPI's stored fallback value (what withdrawal is weighed against); None without one."""
    with connect(settings, read_only=True) as con:
        return retrain_store.latest_fallback(con, kpi_id)


def save_fallback(
    settings: StoreSettings,
    kpi_id: str,
    value_per_day: float,
    note: str | None,
    *,
    clock: Clock,
    author: str | None = None,
) -> StoredFallback:
    """Store the value per day of a KPI's fallback (a new version, with its audit row).

    Raises `YardstickError` for a value that is not finite and `UnknownKpiError` for an unknown
    KPI.
    """
    with transaction(settings) as con:
        history_on(con, kpi_id)
        return retrain_store.save_fallback(
            con, kpi_id, value_per_day, note or None, author or current_actor(), clock()
        )


def plans(settings: StoreSettings, kpi_id: str | None = None) -> list[StoredPlan]:
    """The latest version of every stored plan (of one KPI when `kpi_id` is given)."""
    with connect(settings, read_only=True) as con:
        return retrain_store.latest_plans(con, kpi_id)


def plan_request(settings: StoreSettings, kpi_id: str, as_of: dt.date | None) -> CaseRequest:
    """The request of the KPI's one stored plan; `retrain.plan_needed` (on `cost`) otherwise."""
    with connect(settings, read_only=True) as con:
        return _plan_request_on(con, kpi_id, as_of)


def _plan_request_on(con: Connection, kpi_id: str, as_of: dt.date | None) -> CaseRequest:
    found = retrain_store.latest_plans(con, kpi_id)
    if len(found) != 1:
        raise YardstickError(
            "retrain.plan_needed",
            field="cost",
            kpi=kpi_id,
            found=", ".join(p.plan.plan_id for p in found) or "–",
        )
    return request_from_plan(found[0].plan, as_of)


def uplift_metric_for(
    settings: StoreSettings, experiment_id: str, kpi_id: str, requested: str | None = None
) -> str:
    """The experiment metric whose effect is the gain (`kpi.retraining.choose_uplift_metric`):
    the one asked for, else the KPI's metric when the experiment measures it, else its primary."""
    with connect(settings, read_only=True) as con:
        return _uplift_metric_on(con, settings, experiment_id, kpi_id, requested)


def _uplift_metric_on(
    con: Connection,
    settings: StoreSettings,
    experiment_id: str,
    kpi_id: str,
    requested: str | None,
) -> str:
    spec = experiment_service.definition_on(con, settings, experiment_id, None).spec
    history = history_on(con, kpi_id)
    kpi_metric = max(history, key=lambda version: version.version).spec.metric
    return choose_uplift_metric(
        requested, kpi_metric, [m.name for m in spec.metrics], spec.primary_metric.name
    )


def record_decision(
    settings: StoreSettings,
    kpi_id: str,
    choice: DecisionChoice,
    rationale: str,
    evidence: DecisionEvidence,
    *,
    clock: Clock,
    decided_by: str | None = None,
) -> RecordedDecision:
    """Record retrain / wait / withdraw in the KPI's decision record with its evidence.

    The decision, the evidence and both audit rows (`kpi.decide`, `retrain.decide`) are written
    in one transaction: a decision never lands without the evaluation it was taken on.
    """
    decision = decision_for(choice)
    if not rationale.strip():
        raise YardstickError("retrain.rationale_required", field="rationale")
    author = decided_by or current_actor()
    with transaction(settings) as con:
        history_on(con, kpi_id)
        decision_id, decided_at = kpi_store.insert_decision(
            con, kpi_id, decision, author, clock(), rationale
        )
        plan_version = (
            retrain_store.latest_plan_version(con, evidence.plan_id)
            if evidence.plan_id is not None
            else None
        )
        retrain_store.insert_evidence(con, decision_id, evidence, plan_version)
        write_audit(
            con,
            "retrain.decide",
            kpi_id,
            {
                "decision_id": decision_id,
                "choice": choice,
                "recommendation": evidence.recommendation,
                "plan_id": evidence.plan_id,
            },
            rationale,
            author,
            at=decided_at,
        )
    return RecordedDecision(decision_id, kpi_id, choice, decision, author, decided_at, plan_version)

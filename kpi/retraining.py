"""A retraining case: a KPI's facts and the uplift evidence turned into economics inputs.

Pure: the services read the KPI's status and the experiment's analysis from the store and hand
the values here (`services.retraining`); the wording of the reasons is `i18n.retraining`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import YardstickError
from core.vocab import Direction, FallbackSource, KpiStatusCode, UpliftOrigin
from kpi import economics
from kpi.checks import raise_first, retraining_input_problems
from kpi.degradation import TrendFit
from kpi.economics import EconomicsInputs, Estimate, RetrainingEconomics


@dataclass(frozen=True)
class KpiFacts:
    """What the economics and the report need to know about a KPI as of a day.

    Attributes:
        kpi_id: the KPI.
        name: its human-readable name (user text).
        version: the agreed definition version in force.
        rationale: that version's rationale (user text).
        owner: the business owner (user text).
        as_of: the last day of data used.
        status: healthy, warning, exit or no_data.
        model_id: the model live on `as_of`.
        currency: currency of every amount.
        value_per_day: today's value per day (currency per day).
        decay_per_day: value per day lost each day, with its 95% interval (currency per day, per
            day; positive when the KPI gets worse).
        value_lost_to_date: value lost since the live version's baseline (currency); None unknown.
        warning_date: the day the forecast crosses the warning line, None if not in the forecast.
        exit_date: the day the forecast crosses the exit line, None likewise.
    """

    kpi_id: str
    name: str
    version: int
    rationale: str
    owner: str
    as_of: dt.date
    status: KpiStatusCode
    model_id: str | None
    currency: str
    value_per_day: float
    decay_per_day: Estimate
    value_lost_to_date: float | None
    warning_date: dt.date | None
    exit_date: dt.date | None


@dataclass(frozen=True)
class UpliftEvidence:
    """The expected relative gain of the retrained model and where it comes from.

    Attributes:
        uplift: the relative uplift with its 95% interval (0.02 for +2%).
        source: `experiment:<id>` when measured, `assumed` otherwise.
        experiment_id: the experiment measuring it, if measured.
        metric: the experiment's metric, if measured.
        control: the control variant (the current model), if measured.
        variant: the treatment variant (the retrained model), if measured.
        n_units: units in the experiment's two arms together, if measured.
        p_value: the comparison's two-sided p-value, if measured.
        start: first day of the experiment's data, if measured.
        end: last day of the experiment's data, if measured.
    """

    uplift: Estimate
    source: str
    experiment_id: str | None = None
    metric: str | None = None
    control: str | None = None
    variant: str | None = None
    n_units: int | None = None
    p_value: float | None = None
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class RetrainingCase:
    """A KPI, the uplift evidence and the economics computed from them.

    Attributes:
        kpi: the KPI facts used.
        evidence: the uplift evidence used.
        economics: the economics.
        plan_id: the stored retraining plan evaluated, if any.
        uplift_origin: who gave the gain: a stored plan, an experiment, or a value entered.
        fallback_source: where the fallback value came from (given with the request, or the
            KPI's stored value); None without one (withdrawal is then not priced).
    """

    kpi: KpiFacts
    evidence: UpliftEvidence
    economics: RetrainingEconomics
    plan_id: str | None = None
    uplift_origin: UpliftOrigin = "entered"
    fallback_source: FallbackSource | None = None

    def day(self, offset: int | float) -> dt.date:
        """The calendar day `offset` days after the as-of day."""
        return self.kpi.as_of + dt.timedelta(days=round(offset))


# The order in which KPIs need a retraining decision: past the exit line, then past the warning.
STATUS_URGENCY: dict[KpiStatusCode, int] = {"exit": 0, "warning": 1, "healthy": 2, "no_data": 3}


def decision_urgency(status: KpiStatusCode, decay_per_day: float | None) -> tuple[int, float]:
    """A sort key putting the KPI that most needs a decision first: at exit, then at warning,
    then the largest value lost per day (an unknown decay last within its status)."""
    lost = decay_per_day if decay_per_day is not None and math.isfinite(decay_per_day) else None
    return STATUS_URGENCY[status], -lost if lost is not None else math.inf


def assumed_uplift(relative: float, standard_error: float) -> UpliftEvidence:
    """An assumed relative uplift with its standard error (a normal 95% interval)."""
    raise_first(
        retraining_input_problems(uplift=relative, uplift_se=standard_error, gain_required=True)
    )
    return UpliftEvidence(Estimate.from_standard_error(relative, standard_error), "assumed")


def decay_interval(
    value_per_day: float,
    level: float,
    per_30_days: float,
    per_30_days_ci: tuple[float, float],
    direction: Direction,
) -> Estimate:
    """The trend's decay priced in money per day, per day, with its 95% interval.

    The estimate and both ends use the one pricing (`economics.decay_value_per_day`), so the
    interval surrounds the status's own decay.
    """

    def priced(per_30: float) -> float:
        return economics.decay_value_per_day(per_30 / 30, level, value_per_day, direction)

    low, high = sorted(priced(edge) for edge in per_30_days_ci)
    return Estimate(priced(per_30_days), low, high)


def kpi_facts(
    *,
    kpi_id: str,
    name: str,
    version: int,
    rationale: str,
    owner: str,
    as_of: dt.date,
    status: KpiStatusCode,
    model_id: str | None,
    currency: str,
    direction: Direction,
    value_per_day: float | None,
    trend: TrendFit | None,
    value_lost_to_date: float | None,
    warning_date: dt.date | None,
    exit_date: dt.date | None,
) -> KpiFacts:
    """The facts of a KPI's status; refuses a KPI without a value per day or a decay trend."""
    if value_per_day is None:
        raise YardstickError("retrain.no_value_per_day", kpi=kpi_id, as_of=as_of)
    if trend is None or not trend.level_at_end:
        raise YardstickError("retrain.no_decay_trend", kpi=kpi_id, as_of=as_of, model=model_id)
    return KpiFacts(
        kpi_id=kpi_id,
        name=name,
        version=version,
        rationale=rationale,
        owner=owner,
        as_of=as_of,
        status=status,
        model_id=model_id,
        currency=currency,
        value_per_day=value_per_day,
        decay_per_day=decay_interval(
            value_per_day, trend.level_at_end, trend.per_30_days, trend.per_30_days_ci, direction
        ),
        value_lost_to_date=value_lost_to_date,
        warning_date=warning_date,
        exit_date=exit_date,
    )


def measured_uplift(
    *,
    experiment_id: str,
    metric: str,
    relative_effect: float,
    relative_std_error: float,
    direction: Direction,
    control: str,
    variant: str,
    n_units: int,
    p_value: float,
    start: dt.date,
    end: dt.date,
) -> UpliftEvidence:
    """An experiment's relative effect as the expected gain.

    The 95% interval is rebuilt from the effect's standard error, so a sequential test's wider
    always-valid interval does not widen the economics. For a lower-is-better metric the sign
    is turned, so a positive uplift is always an improvement.
    """
    sign = -1.0 if direction == "decrease" else 1.0
    return UpliftEvidence(
        uplift=Estimate.from_standard_error(sign * relative_effect, relative_std_error),
        source=f"experiment:{experiment_id}",
        experiment_id=experiment_id,
        metric=metric,
        control=control,
        variant=variant,
        n_units=n_units,
        p_value=p_value,
        start=start,
        end=end,
    )


def choose_uplift_metric(
    requested: str | None, kpi_metric: str, metric_names: Sequence[str], primary_metric: str
) -> str:
    """The experiment metric whose effect is the gain: the one asked for, else the KPI's own
    metric when the experiment measures it, else the experiment's primary metric."""
    if requested is not None:
        return requested
    return kpi_metric if kpi_metric in metric_names else primary_metric


def check_metric(experiment_id: str, metric: str, metric_names: Sequence[str]) -> None:
    """Refuse a metric the experiment does not measure (`retrain.unknown_metric`)."""
    if metric not in metric_names:
        raise YardstickError(
            "retrain.unknown_metric",
            field="uplift_metric",
            experiment=experiment_id,
            metric=metric,
            metrics=", ".join(metric_names),
        )


def economics_inputs(
    kpi: KpiFacts,
    evidence: UpliftEvidence,
    cost: float,
    horizon_days: int = economics.DEFAULT_HORIZON_DAYS,
    discount_rate: float = economics.DEFAULT_DISCOUNT_RATE,
    fallback_value_per_day: float | None = None,
) -> EconomicsInputs:
    """The economics inputs for a KPI and its evidence."""
    return EconomicsInputs(
        value_per_day=kpi.value_per_day,
        decay_per_day=kpi.decay_per_day,
        uplift=evidence.uplift,
        cost=cost,
        horizon_days=horizon_days,
        discount_rate=discount_rate,
        fallback_value_per_day=fallback_value_per_day,
        exit_met=kpi.status == "exit",
    )


def build_case(
    kpi: KpiFacts,
    evidence: UpliftEvidence,
    cost: float,
    horizon_days: int = economics.DEFAULT_HORIZON_DAYS,
    discount_rate: float = economics.DEFAULT_DISCOUNT_RATE,
    fallback_value_per_day: float | None = None,
    plan_id: str | None = None,
    uplift_origin: UpliftOrigin = "entered",
    fallback_source: FallbackSource | None = None,
) -> RetrainingCase:
    """Evaluate the economics of retraining a KPI's model (`YardstickError` on bad inputs)."""
    inputs = economics_inputs(
        kpi, evidence, cost, horizon_days, discount_rate, fallback_value_per_day
    )
    return RetrainingCase(
        kpi, evidence, economics.evaluate(inputs), plan_id, uplift_origin, fallback_source
    )


@dataclass(frozen=True)
class CaseRequest:
    """What a user asks to evaluate (the flags of `retrain evaluate`, or the page's fields).

    Attributes:
        kpi_id: the KPI.
        cost: the full cost of one retraining (currency).
        uplift_experiment: the experiment measuring the gain, with `uplift_metric`.
        uplift_metric: the experiment's metric whose relative effect is the gain.
        uplift: an assumed relative uplift, with `uplift_se`.
        uplift_se: its standard error.
        horizon_days: days the options are compared over.
        discount_rate: annual discount rate.
        fallback_value_per_day: value per day of the fallback, None if unknown.
        as_of: the last day of data to use; None for the last day in the store.
        plan_id: the stored plan the request comes from, if any.
        uplift_origin: who gave the gain; None derives it from the request (`origin_of`).
    """

    kpi_id: str
    cost: float
    uplift_experiment: str | None = None
    uplift_metric: str | None = None
    uplift: float | None = None
    uplift_se: float | None = None
    horizon_days: int = economics.DEFAULT_HORIZON_DAYS
    discount_rate: float = economics.DEFAULT_DISCOUNT_RATE
    fallback_value_per_day: float | None = None
    as_of: dt.date | None = None
    plan_id: str | None = None
    uplift_origin: UpliftOrigin | None = None


def origin_of(request: CaseRequest) -> UpliftOrigin:
    """Who gave the request's gain: as stated, else an experiment when one measures it, else the
    value entered (a face that starts from a plan says "plan" while the plan's gain is kept)."""
    if request.uplift_origin is not None:
        return request.uplift_origin
    return "experiment" if request.uplift_experiment is not None else "entered"


def request_problems(request: CaseRequest) -> tuple[YardstickError, ...]:
    """What is wrong with a request before anything is read, each naming its field."""
    return retraining_input_problems(
        cost=request.cost,
        uplift_experiment=request.uplift_experiment,
        uplift_metric=request.uplift_metric,
        uplift=request.uplift,
        uplift_se=request.uplift_se,
        gain_required=True,
        horizon_days=request.horizon_days,
        discount_rate=request.discount_rate,
        fallback_value_per_day=request.fallback_value_per_day,
    )


def with_experiment(request: CaseRequest, experiment_id: str, metric: str) -> CaseRequest:
    """The request with its gain measured by `experiment_id` on `metric` (no assumed uplift)."""
    return dataclasses.replace(
        request,
        uplift_experiment=experiment_id,
        uplift_metric=metric,
        uplift=None,
        uplift_se=None,
        uplift_origin="experiment",
    )

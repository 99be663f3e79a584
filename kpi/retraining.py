"""A retraining case: the KPI's status and the uplift evidence turned into economics inputs.

The glue between `kpi.service` (value per day, decay, exit agreement, forecast), the experiment
analysis (the measured uplift) and `kpi.economics`; it holds no SQL and no statistics of its own.
The JSON record of `retrain evaluate --json` is `case_to_json`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from data import experiment_store
from data.retrain_store import RetrainingPlan
from data.store import StoreSettings
from experiments import analysis
from i18n.catalogue import translate
from i18n.format import format_date, format_money, format_number, format_percent
from kpi import economics
from kpi.economics import EconomicsInputs, Estimate, Reason, RetrainingEconomics
from services import kpis as service


class RetrainingInputError(ValueError):
    """The KPI or the evidence cannot support a retraining case (the message says why)."""


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
    status: str
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
    """

    kpi: KpiFacts
    evidence: UpliftEvidence
    economics: RetrainingEconomics
    plan_id: str | None = None

    def day(self, offset: int | float) -> dt.date:
        """The calendar day `offset` days after the as-of day."""
        return self.kpi.as_of + dt.timedelta(days=round(offset))


def assumed_uplift(relative: float, standard_error: float) -> UpliftEvidence:
    """An assumed relative uplift with its standard error (a normal 95% interval)."""
    if not math.isfinite(relative) or not math.isfinite(standard_error) or standard_error < 0:
        raise RetrainingInputError(
            f"--uplift must be a number and --uplift-se zero or more, got {relative} and "
            f"{standard_error}"
        )
    return UpliftEvidence(Estimate.from_standard_error(relative, standard_error), "assumed")


def kpi_facts(detail: service.KpiDetail) -> KpiFacts:
    """The facts of a KPI's status; refuses a KPI without a value per day or a decay trend."""
    status = detail.status
    if status.value_per_day is None:
        raise RetrainingInputError(
            f"KPI '{status.kpi_id}' has no value per day as of {status.as_of} (no data in its "
            "window, or no value model)"
        )
    if status.trend is None or status.decay_per_day is None or not status.trend.level_at_end:
        raise RetrainingInputError(
            f"KPI '{status.kpi_id}' has no decay trend as of {status.as_of}: its live model "
            f"{status.model_id} has too few days for a trend fit"
        )
    # The same pricing as the status's decay: the trend's relative change per day at today's value.
    sign = -1.0 if status.direction == "increase" else 1.0
    scale = sign / status.trend.level_at_end * status.value_per_day
    ends = sorted(scale * edge / 30 for edge in status.trend.per_30_days_ci)
    return KpiFacts(
        kpi_id=status.kpi_id,
        name=status.name,
        version=status.version,
        rationale=detail.spec.rationale,
        owner=status.owner,
        as_of=status.as_of,
        status=status.status,
        model_id=status.model_id,
        currency=status.currency,
        value_per_day=status.value_per_day,
        decay_per_day=Estimate(status.decay_per_day, ends[0], ends[1]),
        value_lost_to_date=status.value_lost_to_date,
        warning_date=status.forecast_warning.date if status.forecast_warning else None,
        exit_date=status.forecast_exit.date if status.forecast_exit else None,
    )


def experiment_uplift(
    settings: StoreSettings, experiment_id: str, metric: str, as_of: dt.date
) -> UpliftEvidence:
    """The relative effect of an experiment's first treatment on `metric`, data up to `as_of`.

    The 95% interval is rebuilt from the effect's standard error, so a sequential test's wider
    always-valid interval does not widen the economics. For a lower-is-better metric the sign
    is turned, so a positive uplift is always an improvement.
    """
    definition = experiment_store.load_definition(settings, experiment_id)
    spec = definition.spec
    names = [m.name for m in spec.metrics]
    if metric not in names:
        raise RetrainingInputError(
            f"Experiment '{experiment_id}' has no metric '{metric}' (it has: {', '.join(names)})"
        )
    end_of_day = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    try:
        result = analysis.analyze(settings, spec, end_of_day, definition.version)
    except (analysis.NoDataError, ValueError) as error:
        raise RetrainingInputError(
            f"Experiment '{experiment_id}' gives no effect on '{metric}': {error}"
        ) from error
    comparisons = [c for c in result.comparisons if c.metric == metric]
    if not comparisons:
        raise RetrainingInputError(
            f"Experiment '{experiment_id}' gives no effect on '{metric}' as of {as_of}: "
            + "; ".join(result.warnings)
        )
    comparison = comparisons[0]
    sign = -1.0 if comparison.direction == "decrease" else 1.0
    models = spec.model_for
    return UpliftEvidence(
        uplift=Estimate.from_standard_error(
            sign * comparison.relative_effect, comparison.relative_std_error
        ),
        source=f"experiment:{experiment_id}",
        experiment_id=experiment_id,
        metric=metric,
        control=models.get(comparison.control, comparison.control),
        variant=models.get(comparison.variant, comparison.variant),
        n_units=comparison.n_control + comparison.n_variant,
        p_value=comparison.p_value,
        start=spec.start.date(),
        end=(result.as_of - dt.timedelta(microseconds=1)).date(),
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
    warning_in_days = (kpi.warning_date - kpi.as_of).days if kpi.warning_date else None
    return EconomicsInputs(
        value_per_day=kpi.value_per_day,
        decay_per_day=kpi.decay_per_day,
        uplift=evidence.uplift,
        cost=cost,
        horizon_days=horizon_days,
        discount_rate=discount_rate,
        fallback_value_per_day=fallback_value_per_day,
        warning_in_days=warning_in_days,
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
) -> RetrainingCase:
    """Evaluate the economics of retraining a KPI's model."""
    try:
        inputs = economics_inputs(
            kpi, evidence, cost, horizon_days, discount_rate, fallback_value_per_day
        )
    except ValueError as error:
        raise RetrainingInputError(str(error)) from error
    return RetrainingCase(kpi, evidence, economics.evaluate(inputs), plan_id)


def reason_text(reason: Reason, case: RetrainingCase, lang: str) -> str:
    """A reason in plain words, with amounts, shares, days and dates in the reader's format."""
    currency = case.kpi.currency
    values: dict[str, str] = {}
    values.update({k: format_money(v, currency, lang) for k, v in reason.amounts.items()})
    values.update({k: format_percent(v, lang, digits=1) for k, v in reason.shares.items()})
    for key, days in reason.days.items():
        if key.endswith("_day"):
            values[key] = format_date(case.day(days), lang)
        else:
            values[key] = format_number(days, lang, 0 if float(days).is_integer() else 1)
    return translate(lang, f"retrain.reason.{reason.code}", **values)


def _rounded(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def case_to_json(case: RetrainingCase) -> dict[str, object]:
    """The `retrain evaluate --json` record: the issue's shape, with a few more keys."""
    result = case.economics
    inputs = result.inputs
    decay = inputs.decay_per_day
    interval = result.optimal_interval_days
    options: list[dict[str, object]] = []
    for option in result.options:
        entry: dict[str, object] = {"option": option.option, "npv": option.npv.expected}
        if option.option == "retrain_later" and option.at_day is not None:
            entry["at"] = case.day(option.at_day).isoformat()
        if option.basis is not None:
            entry["basis"] = option.basis
        entry["p10"] = option.npv.p10
        entry["p90"] = option.npv.p90
        entry["probability_positive"] = option.npv.probability_positive
        options.append(entry)
    return {
        "kpi": case.kpi.kpi_id,
        "as_of": case.kpi.as_of.isoformat(),
        "currency": case.kpi.currency,
        "cost": float(inputs.cost),
        "value_per_day": inputs.value_per_day,
        "decay_per_day": {"estimate": decay.estimate, "ci": [decay.low, decay.high]},
        "uplift": {
            "relative": inputs.uplift.estimate,
            "ci": [inputs.uplift.low, inputs.uplift.high],
            "source": case.evidence.source,
        },
        "horizon_days": inputs.horizon_days,
        "discount_rate": inputs.discount_rate,
        "npv": {"expected": result.npv.expected, "p10": result.npv.p10, "p90": result.npv.p90},
        "probability_positive": result.npv.probability_positive,
        "roi": _rounded(result.roi),
        "payback_days": _rounded(result.payback_days),
        "break_even_uplift": _rounded(result.break_even_uplift, 8),
        "optimal_interval_days": {
            "estimate": _rounded(interval[0], 3),
            "ci": [_rounded(interval[1], 3), _rounded(interval[2], 3)],
        },
        "options": options,
        "recommendation": result.recommendation.action,
        "reasons": [reason_text(r, case, "en") for r in result.recommendation.reasons],
        "reason_codes": [r.code for r in result.recommendation.reasons],
        "fallback_value_per_day": inputs.fallback_value_per_day,
        "kpi_status": case.kpi.status,
        "kpi_version": case.kpi.version,
        "model_id": case.kpi.model_id,
        "daily_gain": result.daily_gain,
        "monte_carlo": {"draws": inputs.draws, "seed": inputs.seed},
        "plan": case.plan_id,
    }


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


def request_from_plan(plan: RetrainingPlan, as_of: dt.date | None = None) -> CaseRequest:
    """The request a stored retraining plan stands for."""
    return CaseRequest(
        kpi_id=plan.kpi_id,
        cost=plan.cost,
        uplift_experiment=plan.uplift_experiment,
        uplift_metric=plan.uplift_metric,
        uplift=plan.uplift,
        uplift_se=plan.uplift_se,
        horizon_days=plan.horizon_days,
        discount_rate=plan.discount_rate,
        fallback_value_per_day=plan.fallback_value_per_day,
        as_of=as_of,
        plan_id=plan.plan_id,
    )


def evaluate_request(
    settings: StoreSettings, request: CaseRequest
) -> tuple[RetrainingCase, service.KpiDetail]:
    """The retraining case of a request, and the KPI detail it was built on (for charts)."""
    detail = service.kpi_detail(settings, request.kpi_id, request.as_of)
    facts = kpi_facts(detail)
    if request.uplift_experiment is not None and request.uplift_metric is not None:
        evidence = experiment_uplift(
            settings, request.uplift_experiment, request.uplift_metric, facts.as_of
        )
    elif request.uplift is not None and request.uplift_se is not None:
        evidence = assumed_uplift(request.uplift, request.uplift_se)
    else:
        raise RetrainingInputError(
            "give the expected gain: --uplift-experiment EXP with --uplift-metric NAME, "
            "or --uplift REL with --uplift-se SE"
        )
    case = build_case(
        facts,
        evidence,
        request.cost,
        request.horizon_days,
        request.discount_rate,
        request.fallback_value_per_day,
        request.plan_id,
    )
    return case, detail

"""A retraining case: the KPI's status and the uplift evidence turned into economics inputs.

The glue between `kpi.service` (value per day, decay, exit agreement, forecast), the experiment
analysis (the measured uplift) and `kpi.economics`; it holds no SQL and no statistics of its own.
The JSON record of `retrain evaluate --json` is `case_to_json`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from kpi import economics
from kpi.economics import EconomicsInputs, Estimate, Reason, RetrainingEconomics
from ui.format import format_date, format_money, format_number, format_percent
from ui.i18n import translate


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
        is_date = key.endswith("_day")
        values[key] = format_date(case.day(days), lang) if is_date else format_number(days, lang, 1)
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

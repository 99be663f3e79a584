"""Wording of retraining cases: the reasons behind a recommendation in plain words, and the
`retrain evaluate --json` record (whose `reasons` are English sentences).

The domain gives codes and values (`kpi.economics.Reason`); this module words them.
"""

from __future__ import annotations

import math

from i18n.catalogue import translate
from i18n.format import format_date, format_money, format_number, format_percent
from kpi.economics import Reason
from kpi.retraining import RetrainingCase


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
    """The `retrain evaluate --json` record: the issue's shape, with a few more keys.

    A public interface (README.md): keys may be added, never renamed or removed.
    """
    result = case.economics
    inputs = result.inputs
    decay = inputs.decay_per_day
    interval = result.optimal_interval_days
    options: list[dict[str, object]] = []
    for option in result.options:
        npv = option.npv
        # An option that is not priced (withdraw without a fallback value) keeps its keys, null.
        entry: dict[str, object] = {"option": option.option, "npv": option.expected}
        if option.option == "retrain_later" and option.at_day is not None:
            entry["at"] = case.day(option.at_day).isoformat()
        if option.basis is not None:
            entry["basis"] = option.basis
        if option.probability_better_than_now is not None:
            entry["probability_better_than_now"] = option.probability_better_than_now
        entry["p10"] = npv.p10 if npv else None
        entry["p90"] = npv.p90 if npv else None
        entry["probability_positive"] = npv.probability_positive if npv else None
        options.append(entry)
    later = result.option("retrain_later")
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
        "uplift_source": case.uplift_origin,
        "best_retrain_day": result.best_retrain_day,
        "best_retrain_date": case.day(result.best_retrain_day).isoformat(),
        "retrain_later_npv": later.expected,
        "retrain_later_at": case.day(later.at_day or 0).isoformat(),
        "withdraw_npv": result.option("withdraw").expected,
        "fallback_source": case.fallback_source,
    }

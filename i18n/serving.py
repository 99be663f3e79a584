"""Wording of serving health tied to value: why no fallback cost is given, and the JSON records of
`monitor value --json`, and `experiment health --json` (direct serialisations of the services'
results; the `error_budget` of `monitor check --json` is i18n/monitoring.py's)."""

from __future__ import annotations

from core.errors import YardstickError
from i18n.errors import describe
from monitoring.arm_health import ArmComparison, ArmServing
from services.serving import ArmHealthReport, FallbackValueReport


def refusal_error(report: FallbackValueReport) -> YardstickError | None:
    """Why no cost is given, as an error to word (code `monitor.value.<refusal>`); None when a
    cost is given."""
    if report.refusal is None:
        return None
    return YardstickError(
        f"monitor.value.{report.refusal}",
        field="kpi",
        kpi_id=report.kpi_id,
        metric=report.metric,
        family=report.family,
        start=report.window[0].isoformat(),
        end=report.window[1].isoformat(),
    )


def value_to_json(report: FallbackValueReport, lang: str = "en") -> dict[str, object]:
    """`monitor value --json` (ISO dates; null where a value is unknown or refused)."""
    refusal = refusal_error(report)
    cost = report.cost
    return {
        "kpi": report.kpi_id,
        "family": report.family,
        "metric": report.metric,
        "currency": report.currency,
        "unit_value": report.unit_value,
        "window": {"start": report.window[0].isoformat(), "end": report.window[1].isoformat()},
        "status": "priced" if refusal is None else report.refusal,
        "reason": None
        if refusal is None
        else {"code": f"monitor.value.{report.refusal}", "message": describe(refusal, lang)},
        "cost_per_day": None
        if cost is None
        else {
            "value": cost.per_day,
            "ci": [cost.low, cost.high],
            "days": cost.days,
            "priced_days": cost.priced_days,
            "fallback_requests": cost.fallback_requests,
        },
        "coverage": None
        if report.coverage is None
        else {
            "ratio": report.coverage.ratio,
            "days": report.coverage.days,
            "predictions": report.coverage.predictions,
            "units": report.coverage.transactions,
            "basis": report.coverage.basis,
        },
        "daily_cost": []
        if cost is None
        else [
            {
                "date": d.day.isoformat(),
                "fallback_requests": d.fallback_requests,
                "cost": d.cost,
                "se": None if d.variance is None else d.variance**0.5,
            }
            for d in cost.daily
        ],
        "levels": [
            {
                "date": r.day.isoformat(),
                "served_by": r.served_by,
                "n": r.n,
                "labelled": r.labelled,
                "positives": r.positives,
                "value": r.rate,
                "se": r.standard_error,
            }
            for r in report.levels
        ],
    }


def _arm(arm: ArmServing) -> dict[str, object]:
    s = arm.scores
    return {
        "variant": arm.variant,
        "model_id": arm.model_id,
        "requests": arm.requests,
        "latency_p50_ms": arm.latency_p50_ms,
        "latency_p95_ms": arm.latency_p95_ms,
        "latency_p99_ms": arm.latency_p99_ms,
        "fallback_rate": arm.fallback_rate,
        "fallback_by_level": dict(arm.fallback_by_level),
        "score": {
            "n": s.n,
            "mean": s.mean,
            "sd": s.sd,
            "p05": s.q05,
            "p25": s.q25,
            "p50": s.q50,
            "p75": s.q75,
            "p95": s.q95,
        },
    }


def _comparison(c: ArmComparison) -> dict[str, object]:
    return {
        "variant": c.variant,
        "latency_p95_ratio": c.latency_p95_ratio,
        "latency_objective": c.latency_objective,
        "latency_flagged": c.latency_flagged,
        "ks": c.ks,
        "ks_p_value": c.ks_p_value,
        "score_psi": c.score_psi,
        "scores_flagged": c.scores_flagged,
        "status": c.status,
    }


def health_to_json(report: ArmHealthReport) -> dict[str, object]:
    """`experiment health --json`."""
    return {
        "id": report.experiment_id,
        "days": {"start": report.days[0].isoformat(), "end": report.days[1].isoformat()},
        "window": {"start": report.window[0].isoformat(), "until": report.window[1].isoformat()},
        "status": report.status,
        "arms": [_arm(a) for a in report.arms],
        "comparisons": [_comparison(c) for c in report.comparisons],
    }

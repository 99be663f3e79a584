"""Monitor wording: statuses in either language, and the `monitor check --json` record."""

from __future__ import annotations

from core.vocab import MonitorStatus
from i18n.catalogue import translate
from monitoring.budget import ErrorBudget
from monitoring.check import MonitorCheck


def status_label(status: MonitorStatus, lang: str) -> str:
    """A monitor status as the reader's language says it."""
    return translate(lang, f"monitor.status.{status}")


def budget_to_json(budget: ErrorBudget) -> dict[str, object]:
    """One objective's error budget in `monitor check --json`."""
    return {
        "objective": budget.objective,
        "level": budget.level,
        "limit": budget.limit,
        "allowed": budget.allowed,
        "requests": budget.requests,
        "bad": budget.bad,
        "consumed": budget.consumed,
        "remaining": budget.remaining,
        "exhausted": budget.exhausted,
    }


def check_to_json(check: MonitorCheck) -> dict[str, object]:
    """One monitor of `monitor check --json` (ISO dates; null where a value is unknown)."""
    reference = (
        {
            "start": check.reference[0].isoformat(),
            "end": check.reference[1].isoformat(),
            "n": check.reference_n,
        }
        if check.reference
        else {"start": None, "end": None, "n": 0}
    )
    return {
        "id": check.monitor_id,
        "version": check.version,
        "family": check.family,
        "model_id": check.model_id,
        "as_of": check.as_of.isoformat(),
        "reference": reference,
        "window": {
            "start": check.window[0].isoformat(),
            "end": check.window[1].isoformat(),
            "n": check.window_n,
        },
        "status": check.status,
        "features": [
            {
                "name": f.name,
                "type": f.type,
                "method": f.method,
                "value": f.value,
                "warning": f.warning,
                "alert": f.alert,
                "status": f.status,
                "reference_n": f.reference_n,
                "window_n": f.window_n,
            }
            for f in check.features
        ],
        "serving": [
            {
                "objective": s.objective,
                "level": s.level,
                "value": s.value,
                "limit": s.limit,
                "status": s.status,
            }
            for s in check.serving
        ],
        "score": {
            "psi": check.score.psi,
            "warning": check.score.warning,
            "alert": check.score.alert,
            "status": check.score.status,
        },
        "serving_daily": [
            {
                "date": d.day.isoformat(),
                "model_id": d.model_id,
                "n": d.n,
                "latency_p50_ms": d.latency_p50_ms,
                "latency_p95_ms": d.latency_p95_ms,
                "latency_p99_ms": d.latency_p99_ms,
                "fallback_rate": d.fallback_rate,
                "fallback_by_level": dict(d.fallback_by_level),
                "breached": list(d.breached),
            }
            for d in check.serving_daily
        ],
        "error_budget": [budget_to_json(b) for b in check.error_budget],
    }

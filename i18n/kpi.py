"""KPI wording: the note on a version used before it was defined, and the `kpi check --json`
record (whose `version_note` is that note in English) with its estimated part."""

from __future__ import annotations

import datetime as dt

from core.errors import YardstickError
from i18n.catalogue import translate
from i18n.errors import describe
from i18n.performance import calibration_refusal
from i18n.performance import estimate_to_json as performance_json
from kpi.degradation import Crossing
from kpi.status import KpiStatus
from services.estimated import KpiEstimate

# `kpi check --json` words its documented `version_note` in English.
JSON_LANGUAGE = "en"


def version_note(status: KpiStatus, lang: str) -> str | None:
    """Why the first version judged a day before the KPI was defined; None otherwise."""
    if status.defined_after_as_of is None:
        return None
    return translate(
        lang,
        "kpi.version_note_json",
        defined_on=status.defined_after_as_of.isoformat(),
        version=status.version,
    )


def status_to_json(status: KpiStatus) -> dict[str, object]:
    """The JSON shape of `kpi check --json` (ISO dates, nulls for what is unknown)."""

    def crossing(item: Crossing | None) -> dict[str, object] | None:
        if item is None:
            return None
        high = item.latest.isoformat() if item.latest else None
        return {
            "date": item.date.isoformat(),
            "interval": [item.earliest.isoformat(), high],
        }

    return {
        "id": status.kpi_id,
        "version": status.version,
        "version_note": version_note(status, JSON_LANGUAGE),
        "name": status.name,
        "family": status.family,
        "metric": status.metric,
        "direction": status.direction,
        "owner": status.owner,
        "status": status.status,
        "model_id": status.model_id,
        "value": status.value,
        "ci": list(status.ci) if status.ci else None,
        "target": status.target,
        "warning": status.warning,
        "exit": status.exit,
        "days_past_warning": status.days_past_warning,
        "days_past_exit": status.days_past_exit,
        "trend": (
            {
                "per_30_days": status.trend.per_30_days,
                "ci": list(status.trend.per_30_days_ci),
            }
            if status.trend
            else None
        ),
        "forecast": {
            "warning": crossing(status.forecast_warning),
            "exit": crossing(status.forecast_exit),
        },
        "currency": status.currency,
        "value_per_day": status.value_per_day,
        "value_lost_to_date": status.value_lost_to_date,
        "evaluated_on": status.as_of.isoformat(),
        "last_data_date": status.last_data_date.isoformat() if status.last_data_date else None,
        "stale_days": status.stale_days,
        "max_staleness_days": status.max_staleness_days,
        "stale": status.is_stale,
        "ignored_future_rows": status.ignored_future_rows,
        "status_since": status.status_since.isoformat() if status.status_since else None,
    }


def estimate_refusal(estimate: KpiEstimate) -> YardstickError | None:
    """Why a KPI's unlabelled days are not estimated, as an error to word (None when they are)."""
    if estimate.refusal is None:
        return None
    return calibration_refusal(
        estimate.refusal,
        estimate.family,
        estimate.reference,
        estimate.calibration,
        estimate.min_rows,
        kpi_id=estimate.kpi_id,
        metric=estimate.metric,
    )


def estimate_to_json(estimate: KpiEstimate | None) -> dict[str, object]:
    """The `estimated_*` keys `kpi check --json` adds to a KPI's record (all null for a KPI with
    only realised days: not priced by a cost matrix, or no monitor of its family agrees a
    threshold). They never change `status` or the exit status, which stay on realised days."""
    if estimate is None:
        return {
            "estimated_status": None,
            "estimated_from": None,
            "estimated_through": None,
            "estimated_value": None,
            "estimated_value_per_day": None,
            "estimated_by": None,
            "estimated_refusal": None,
            "estimated_coverage": None,
            "estimated_money_basis": None,
            "estimated_versions": None,
        }
    refusal = estimate_refusal(estimate)
    return {
        "estimated_status": estimate.status,
        "estimated_from": _iso(estimate.estimated_from),
        "estimated_through": _iso(estimate.estimated_through),
        "estimated_value": performance_json(estimate.value),
        "estimated_value_per_day": performance_json(estimate.value_per_day),
        "estimated_by": {"monitor_id": estimate.monitor_id, "threshold": estimate.threshold},
        "estimated_refusal": None
        if refusal is None
        else {"code": refusal.code, "message": describe(refusal, JSON_LANGUAGE)},
        "estimated_coverage": estimate.coverage.ratio,
        "estimated_money_basis": estimate.coverage.basis,
        "estimated_versions": [
            {
                "model_id": span.model_id,
                "from": span.first.isoformat(),
                "through": span.last.isoformat(),
            }
            for span in estimate.versions
        ],
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None

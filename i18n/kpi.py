"""KPI wording: the note on a version used before it was defined, and the `kpi check --json`
record (whose `version_note` is that note in English)."""

from __future__ import annotations

from i18n.catalogue import translate
from kpi.degradation import Crossing
from kpi.status import KpiStatus

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

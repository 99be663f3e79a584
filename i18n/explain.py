"""Wording of explanations (what changed around a KPI's steps and crossings) in either language,
and the `kpi explain --json` record. The CLI, the Degradation page (ui/explain.py) and the report
all word an event with `event_sentence`, so they say the same thing."""

from __future__ import annotations

from itertools import groupby

from i18n.catalogue import translate
from i18n.format import format_date, format_number, format_percent
from monitoring.check import FALLBACK_RATE
from monitoring.explain import Change, ExplainedEvent, KpiEvent, NearbyChange
from services.explain import KpiExplanation


def _when(days: int, lang: str) -> str:
    if days == 0:
        return translate(lang, "explain.same_day")
    if abs(days) == 1:
        return translate(lang, "explain.day_before" if days < 0 else "explain.day_after")
    key = "explain.days_before" if days < 0 else "explain.days_after"
    return translate(lang, key, days=abs(days))


def _objective(objective: str, lang: str) -> str:
    if objective.startswith(f"{FALLBACK_RATE}."):
        level = objective.removeprefix(f"{FALLBACK_RATE}.")
        return translate(lang, "explain.objective.fallback_level", level=level)
    return translate(lang, f"explain.objective.{objective}")


def objective_value(objective: str, value: float | None, lang: str) -> str:
    """A serving objective's value: a share as a percentage, a latency in ms."""
    if objective.startswith(FALLBACK_RATE):
        return format_percent(value, lang, 1)
    return f"{format_number(value, lang, 0)} ms"


def change_phrase(change: Change, lang: str) -> str:
    """One change in a few words ("category_id PSI 0.41", "fallback rate 2.0% -> 9.0%")."""
    if change.kind == "annotation":
        kind = translate(lang, f"explain.annotation_kind.{change.what}")
        return translate(lang, "explain.annotation", note=change.detail or "", kind=kind)
    if change.kind == "deployment":
        return translate(
            lang, "explain.deployment", model_id=change.what, version=change.detail or "–"
        )
    if change.kind == "drift":
        return translate(
            lang,
            "explain.drift",
            feature=change.what,
            method=translate(lang, f"explain.method.{change.detail}"),
            value=format_number(change.value, lang, 2),
        )
    objective = _objective(change.what, lang)
    value = objective_value(change.what, change.value, lang)
    if change.before is None:
        limit = objective_value(change.what, change.limit, lang)
        return translate(
            lang, "explain.serving_first", objective=objective, value=value, limit=limit
        )
    before = objective_value(change.what, change.before, lang)
    return translate(lang, "explain.serving", objective=objective, before=before, value=value)


def event_heading(event: KpiEvent, name: str, lang: str) -> str:
    """The event itself: "CTR fell 5.6% on 2 Aug 2026", or the forecast crossing."""
    date = format_date(event.date, lang)
    if event.kind == "crossing":
        line = translate(lang, f"explain.line.{event.line}")
        value = format_number(event.line_value, lang, 4).rstrip("0").rstrip(".")
        return translate(lang, "explain.crossing", name=name, line=line, value=value, date=date)
    relative = event.relative_size
    fell = (relative if relative is not None else event.size or 0.0) < 0
    percent = format_percent(None if relative is None else abs(relative), lang, 1)
    key = "explain.fell" if fell else "explain.rose"
    return translate(lang, key, name=name, percent=percent, date=date)


def _changes_text(changes: tuple[NearbyChange, ...], lang: str) -> str:
    separator = translate(lang, "explain.separator")
    groups: list[str] = []
    for days, group in groupby(changes, key=lambda c: c.days_from_event):
        phrases = separator.join(change_phrase(c.change, lang) for c in group)
        groups.append(translate(lang, "explain.group", when=_when(days, lang), changes=phrases))
    return translate(lang, "explain.group_separator").join(groups)


def event_sentence(explained: ExplainedEvent, name: str, radius_days: int, lang: str) -> str:
    """The event and the changes around it, nearest first, grouped by day ("CTR fell 5.6% on
    2 Aug 2026; same day: catalogue change (annotated as business); category_id PSI 0.41")."""
    separator = translate(lang, "explain.group_separator")
    heading = event_heading(explained.event, name, lang)
    if not explained.changes:
        return heading + separator + translate(lang, "explain.nothing", days=radius_days)
    return heading + separator + _changes_text(explained.changes, lang)


def explanation_lines(explanation: KpiExplanation, lang: str) -> list[str]:
    """One sentence per event; a single line saying so when there is no event. Plain text (a
    note is user text): show it as text, never as Markdown or HTML."""
    if not explanation.events:
        return [
            translate(
                lang,
                "explain.no_events",
                name=explanation.name,
                date=format_date(explanation.as_of, lang),
            )
        ]
    return [
        event_sentence(e, explanation.name, explanation.radius_days, lang)
        for e in explanation.events
    ]


def monitor_note(explanation: KpiExplanation, lang: str) -> str | None:
    """Says drift and serving are not listed when no monitor watches the family; else None."""
    if explanation.monitors:
        return None
    return translate(lang, "explain.no_monitor", family=explanation.family)


def _change_to_json(nearby: NearbyChange) -> dict[str, object]:
    change = nearby.change
    return {
        "kind": change.kind,
        "date": change.date.isoformat(),
        "days_from_event": nearby.days_from_event,
        "what": change.what,
        "value": change.value,
        "before": change.before,
        "limit": change.limit,
        "detail": change.detail,
        "end": None if change.end is None else change.end.isoformat(),
        "source": change.source,
        "text": change_phrase(change, "en"),
    }


def explanation_to_json(explanation: KpiExplanation) -> dict[str, object]:
    """The `kpi explain --json` record (ISO dates; null where a value does not apply)."""
    return {
        "kpi_id": explanation.kpi_id,
        "name": explanation.name,
        "metric": explanation.metric,
        "family": explanation.family,
        "as_of": explanation.as_of.isoformat(),
        "radius_days": explanation.radius_days,
        "monitors": list(explanation.monitors),
        "events": [
            {
                "kind": e.event.kind,
                "date": e.event.date.isoformat(),
                "size": e.event.size,
                "relative_size": e.event.relative_size,
                "line": e.event.line,
                "line_value": e.event.line_value,
                "text": event_sentence(e, explanation.name, explanation.radius_days, "en"),
                "changes": [_change_to_json(c) for c in e.changes],
            }
            for e in explanation.events
        ],
    }

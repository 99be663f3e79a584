"""What changed around a drop, on hand-built inputs: the radius, the ranking, drift onsets (new
alerts only), serving incidents (one per run of breaking days) and the windows tiled around an
event."""

from __future__ import annotations

import datetime as dt

import pytest

from core.vocab import MonitorStatus
from monitoring.check import DailyServing
from monitoring.drift import FeatureDrift
from monitoring.explain import (
    Change,
    KpiEvent,
    WindowDrift,
    drift_onsets,
    drift_windows,
    explain_events,
    serving_incidents,
)
from monitoring.spec import parse_spec
from tests.monitoring.factories import spec_text

DAY = dt.date(2026, 8, 2)


def _on(days: int) -> dt.date:
    return DAY + dt.timedelta(days=days)


STEP = KpiEvent("step", DAY, size=-0.0028, relative_size=-0.056)


def test_only_changes_within_the_radius_are_listed_with_their_signed_distance() -> None:
    changes = [
        Change("annotation", _on(-8), "business", detail="too early"),
        Change("annotation", _on(-7), "business", detail="week before"),
        Change("deployment", _on(3), "rec-v3", detail="v3"),
        Change("annotation", _on(8), "data", detail="too late"),
    ]
    (explained,) = explain_events([STEP], changes, radius_days=7)
    assert [(c.change.detail, c.days_from_event) for c in explained.changes] == [
        ("v3", 3),
        ("week before", -7),
    ]
    (narrow,) = explain_events([STEP], changes, radius_days=0)
    assert narrow.changes == ()


def test_ranking_is_distance_then_before_then_declared_then_severity() -> None:
    changes = [
        Change("drift", _on(1), "price", value=0.3, limit=0.25, detail="psi"),
        Change("drift", _on(-1), "price", value=0.3, limit=0.25, detail="psi"),
        Change("serving", DAY, "fallback_rate", value=0.09, before=0.02, limit=0.05),
        Change("drift", DAY, "category_id", value=0.41, limit=0.25, detail="psi"),
        Change("drift", DAY, "price", value=0.30, limit=0.25, detail="psi"),
        Change("annotation", DAY, "business", detail="catalogue change"),
    ]
    (explained,) = explain_events([STEP], changes)
    ranked = [(c.days_from_event, c.change.kind, c.change.what) for c in explained.changes]
    assert ranked == [
        (0, "annotation", "business"),
        # 0.09 / 0.05 = 1.8 beats 0.41 / 0.25 = 1.64 beats 0.30 / 0.25 = 1.2
        (0, "serving", "fallback_rate"),
        (0, "drift", "category_id"),
        (0, "drift", "price"),
        (-1, "drift", "price"),
        (1, "drift", "price"),
    ]


def test_events_come_in_date_order_each_with_its_own_neighbourhood() -> None:
    crossing = KpiEvent("crossing", _on(30), line="exit", line_value=0.042)
    change = Change("annotation", _on(28), "labels", detail="labels late")
    first, second = explain_events([crossing, STEP], [change])
    assert (first.event, second.event) == (STEP, crossing)
    assert first.changes == ()
    assert [c.days_from_event for c in second.changes] == [-2]


def test_a_negative_radius_is_refused() -> None:
    with pytest.raises(ValueError, match="radius_days"):
        explain_events([STEP], [], radius_days=-1)


def test_severity_is_value_over_limit_and_none_for_declared_changes() -> None:
    assert Change("drift", DAY, "x", value=0.5, limit=0.25).severity == pytest.approx(2.0)
    assert Change("annotation", DAY, "data").severity is None


def _check(start: dt.date, statuses: dict[str, MonitorStatus], monitor_id: str = "rec-inputs"):
    features = tuple(
        FeatureDrift(
            name, "numeric", "psi", 0.4 if status == "alert" else 0.05, 0.1, 0.25, status, 500, 500
        )
        for name, status in statuses.items()
    )
    return WindowDrift(monitor_id, (start, start + dt.timedelta(days=6)), features)


def test_a_drift_onset_is_an_alert_whose_previous_window_was_not_alerting() -> None:
    checks = [
        _check(_on(-14), {"price": "ok", "category_id": "alert", "device": "ok"}),
        _check(_on(-7), {"price": "ok", "category_id": "alert", "device": "ok"}),
        _check(_on(0), {"price": "alert", "category_id": "alert", "device": "insufficient_data"}),
        _check(_on(7), {"price": "alert", "category_id": "alert", "device": "alert"}),
    ]
    onsets = drift_onsets(checks)
    assert [(c.what, c.date, c.end, c.before, c.value) for c in onsets] == [
        ("price", _on(0), _on(6), 0.05, 0.4),
        ("device", _on(7), _on(13), 0.05, 0.4),
    ]
    assert {(c.kind, c.detail, c.limit, c.source) for c in onsets} == {
        ("drift", "psi", 0.25, "rec-inputs")
    }


def test_an_alert_in_a_window_without_its_predecessor_is_not_called_an_onset() -> None:
    assert drift_onsets([_check(_on(0), {"price": "alert"})]) == []


SPEC = parse_spec(
    spec_text(serving={"latency_p95_ms": 80, "fallback_rate": {"overall": 0.05, "random": 0.01}})
)


def _day(
    days: int, fallback: float, p95: float = 50.0, random: float = 0.0, breached=()
) -> DailyServing:
    return DailyServing(
        day=_on(days),
        model_id="rec-v1",
        n=1000,
        latency_p50_ms=20.0,
        latency_p95_ms=p95,
        latency_p99_ms=90.0,
        fallback_rate=fallback,
        fallback_by_level={"popular": fallback - random, "random": random},
        breached=tuple(breached),
    )


def test_a_run_of_breaking_days_is_one_incident_with_the_value_before_and_the_last_day() -> None:
    days = [
        _day(-2, 0.02),
        _day(-1, 0.02),
        _day(0, 0.09, breached=["fallback_rate"]),
        _day(1, 0.08, p95=120.0, breached=["latency_p95_ms", "fallback_rate"]),
        _day(2, 0.03, p95=130.0, breached=["latency_p95_ms"]),
        _day(3, 0.02, random=0.015, breached=["fallback_rate.random"]),
    ]
    incidents = serving_incidents(days, SPEC)
    assert [(c.what, c.date, c.end, c.before, c.value, c.limit) for c in incidents] == [
        ("fallback_rate", _on(0), _on(1), 0.02, 0.09, 0.05),
        ("latency_p95_ms", _on(1), _on(2), 50.0, 120.0, 80.0),
        ("fallback_rate.random", _on(3), _on(3), 0.0, 0.015, 0.01),
    ]
    assert {c.detail for c in incidents} == {"rec-v1"}


def test_an_incident_on_the_first_day_seen_has_no_value_before() -> None:
    (incident,) = serving_incidents([_day(0, 0.2, breached=["fallback_rate"])], SPEC)
    assert (incident.date, incident.before) == (DAY, None)


def test_windows_are_tiled_from_the_event_with_one_before_the_first() -> None:
    assert drift_windows([DAY], 7, 7, last_day=_on(100)) == [
        (_on(-14), _on(-8)),
        (_on(-7), _on(-1)),
        (_on(0), _on(6)),
        (_on(7), _on(13)),
    ]
    assert drift_windows([DAY], 7, 3, last_day=_on(3)) == [(_on(-7), _on(-1)), (_on(0), _on(6))]
    assert drift_windows([DAY], 7, 7, last_day=_on(-1)) == [
        (_on(-14), _on(-8)),
        (_on(-7), _on(-1)),
    ]
    two = drift_windows([DAY, _on(7)], 7, 7, last_day=_on(100))
    assert len(two) == len(set(two)) == 5

"""Units assigned outside the experiment's window are left out of the SQL and counted."""

from __future__ import annotations

import datetime as dt

import numpy as np

from experiments.analysis import analyze_cells
from i18n.experiments import analysis_to_json
from tests.experiments.factories import (
    END,
    START,
    make_spec,
    read_exposure,
    read_statistics,
    write_store,
)

HOUR = dt.timedelta(hours=1)


def _assignments(rng: np.random.Generator, units: int):
    """Units with random assignment times from 3 days before the start to 3 days after the end,
    a few also assigned a second time (same variant) later; their unit-level truth alongside."""
    span = (END - START) + dt.timedelta(days=6)
    rows, first = [], {}
    for i in range(units):
        unit, variant = f"u{i}", "ab"[i % 2]
        at = START - dt.timedelta(days=3) + span * float(rng.random())
        rows.append(("exp", unit, variant, at, None))
        if i % 7 == 0:
            rows.append(("exp", unit, variant, at + dt.timedelta(days=2), None))
        first[unit] = (variant, at)
    # Exactly on the boundaries: at the start counts, at the end does not.
    rows += [("exp", "at-start", "a", START, None), ("exp", "at-end", "b", END, None)]
    first |= {"at-start": ("a", START), "at-end": ("b", END)}
    return rows, first


def _amount(unit: str) -> float:
    return 1.0 + sum(map(ord, unit)) % 5


def _events(first: dict[str, tuple[str, dt.datetime]]):
    # At the assignment itself, so that every unit in the window has its event in the window.
    return [(unit, "purchase", _amount(unit), at) for unit, (_, at) in first.items()]


def test_units_outside_the_window_are_excluded_and_counted_against_a_hand_count(tmp_path):
    rows, first = _assignments(np.random.default_rng(5), 300)
    settings = write_store(tmp_path / "s.duckdb", rows, _events(first))
    revenue = {"name": "revenue", "kind": "mean", "event": "purchase", "role": "primary"}
    spec = make_spec(metrics=[revenue])

    for until in (END, START + (END - START) / 2):
        seen = {u: v for u, v in first.items() if v[1] < until or until >= END}
        inside = {u: v for u, v in seen.items() if START <= v[1] < min(until, END)}
        outside = len(seen) - len(inside)
        cells, excluded = read_statistics(settings, spec, until)
        exposure = read_exposure(settings, spec, until)
        analysis = analyze_cells(spec, cells, excluded, until, exposure=exposure)

        assert analysis.units == {
            arm: sum(v == arm for v, _ in inside.values()) for arm in ("a", "b")
        }
        assert exposure.excluded_outside_window == outside > 0
        assert analysis_to_json(analysis)["excluded_outside_window"] == outside
        assert analysis.excluded_multiple_variants == 0
        # A unit's events count only if the unit is in the window.
        revenue = {c.variant: c.metrics[0].sum for c in cells if c.segment_column is None}
        assert sum(revenue.values()) == sum(_amount(unit) for unit in inside)


def test_a_unit_first_assigned_before_the_start_is_outside_even_if_assigned_again_inside(tmp_path):
    rows = [
        ("exp", "early", "a", START - HOUR, None),
        ("exp", "early", "b", START + HOUR, None),
        ("exp", "in-a", "a", START + HOUR, None),
        ("exp", "in-b", "b", START + HOUR, None),
        ("exp", "twice", "a", START + HOUR, None),
        ("exp", "twice", "b", START + 2 * HOUR, None),
    ]
    settings = write_store(tmp_path / "s.duckdb", rows, [])
    spec = make_spec()

    exposure = read_exposure(settings, spec, END)

    assert exposure.excluded_outside_window == 1
    assert exposure.excluded_multiple_variants == 1
    assert (exposure.units("a"), exposure.units("b")) == (1, 1)

"""Small stores for the experiment engine's tests: assignments and events written through the store.

Helpers only (no tests): `write_store` inserts rows, `random_experiment` draws a seeded experiment
together with the unit-level truth the SQL must reproduce.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.store import StoreSettings, connect, settings_for
from experiments.spec import ExperimentSpec, parse_spec

START = dt.datetime(2026, 10, 1)
END = dt.datetime(2026, 10, 29)


def spec_dict(**overrides: object) -> dict[str, object]:
    """A valid two-arm spec with a ratio, a mean and a proportion metric; keys may be replaced."""
    raw: dict[str, object] = {
        "id": "exp",
        "name": "Test experiment",
        "control": "a",
        "variants": {"a": 0.5, "b": 0.5},
        "start": START,
        "end": END,
        "metrics": [
            {
                "name": "ctr",
                "kind": "ratio",
                "numerator": "click",
                "denominator": "impression",
                "role": "primary",
            },
            {"name": "revenue", "kind": "mean", "event": "purchase", "role": "secondary"},
            {"name": "converted", "kind": "proportion", "event": "purchase", "role": "secondary"},
        ],
    }
    raw.update(overrides)
    return raw


def make_spec(**overrides: object) -> ExperimentSpec:
    """`spec_dict` parsed."""
    return parse_spec(spec_dict(**overrides))


def write_store(
    path: Path,
    assignments: list[tuple[str, str, str, dt.datetime, dict[str, str] | None]],
    events: list[tuple[str, str, float, dt.datetime]],
) -> StoreSettings:
    """A migrated store at `path` holding the given assignment and event rows."""
    settings = settings_for(path)
    with connect(settings) as con:
        if assignments:
            con.executemany(
                "INSERT INTO assignments VALUES (?, ?, ?, ?, ?)",
                [
                    (exp_id, unit, variant, at, json.dumps(attrs) if attrs is not None else None)
                    for exp_id, unit, variant, at, attrs in assignments
                ],
            )
        if events:
            con.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", events)
    return settings


@dataclass(frozen=True)
class UnitTruth:
    """Unit-level values of a random experiment, computed in Python from the same rows.

    Attributes:
        variant: variant per unit.
        device: device attribute per unit.
        clicks, impressions, revenue, converted: window values per unit.
        pre_revenue, pre_converted: pre-period values per unit (14 days before assignment).
    """

    variant: np.ndarray
    device: np.ndarray
    clicks: np.ndarray
    impressions: np.ndarray
    revenue: np.ndarray
    converted: np.ndarray
    pre_revenue: np.ndarray
    pre_converted: np.ndarray


def random_experiment(
    path: Path, units: int = 400, seed: int = 7, effect: float = 0.3
) -> tuple[StoreSettings, UnitTruth]:
    """A seeded experiment (ids `u0`..; variants a/b; devices mobile/desktop/tablet) and its truth.

    Revenue of a unit correlates with its pre-period revenue so CUPED has something to remove.
    """
    rng = np.random.default_rng(seed)
    variant = rng.choice(["a", "b"], size=units)
    device = rng.choice(["mobile", "desktop", "tablet"], size=units, p=[0.5, 0.3, 0.2])
    assigned = [START + dt.timedelta(hours=int(h)) for h in rng.integers(0, 24 * 20, size=units)]
    appetite = rng.gamma(2.0, 1.0, size=units)
    assignments = []
    events = []
    truth = {key: np.zeros(units) for key in ("clicks", "impressions", "revenue", "pre_revenue")}
    converted = np.zeros(units)
    pre_converted = np.zeros(units)
    for i in range(units):
        unit = f"u{i}"
        at = assigned[i]
        assignments.append(("exp", unit, str(variant[i]), at, {"device": str(device[i])}))
        lift = 1 + effect * (variant[i] == "b")
        for _ in range(rng.poisson(3 * appetite[i])):
            ts = at + dt.timedelta(hours=float(rng.uniform(0, 24 * 7)))
            events.append((unit, "impression", 1.0, ts))
            truth["impressions"][i] += 1
            if rng.uniform() < 0.2 * lift:
                events.append((unit, "click", 1.0, ts + dt.timedelta(seconds=5)))
                truth["clicks"][i] += 1
        for _ in range(rng.poisson(0.5 * appetite[i] * lift)):
            amount = float(np.round(rng.lognormal(7, 1), 2))
            events.append(
                (unit, "purchase", amount, at + dt.timedelta(hours=float(rng.uniform(0, 100))))
            )
            truth["revenue"][i] += amount
            converted[i] = 1
        for _ in range(rng.poisson(0.5 * appetite[i])):
            amount = float(np.round(rng.lognormal(7, 1), 2))
            events.append(
                (unit, "purchase", amount, at - dt.timedelta(hours=float(rng.uniform(1, 13 * 24))))
            )
            truth["pre_revenue"][i] += amount
            pre_converted[i] = 1
    settings = write_store(path, assignments, events)
    return settings, UnitTruth(
        variant=variant,
        device=device,
        clicks=truth["clicks"],
        impressions=truth["impressions"],
        revenue=truth["revenue"],
        converted=converted,
        pre_revenue=truth["pre_revenue"],
        pre_converted=pre_converted,
    )

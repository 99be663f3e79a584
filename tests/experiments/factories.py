"""Shared helpers of the experiment tests: specs, and small stores written through the store.

Helpers only (no tests): `make_spec` builds a valid spec, `write_store` inserts rows (as
DataFrames, in one statement per table), `random_experiment` draws a seeded experiment together
with the unit-level truth the SQL must reproduce.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from core.tables import STORE_TABLES, TableMapping
from data import experiment_store
from data.store import StoreSettings, connect, settings_for
from experiments.cells import (
    CellStatistics,
    Exposure,
    cells_from_records,
    cumulative_cells,
    exposure_from_records,
    split_analysis_records,
)
from experiments.guardrails import GuardrailResult, guardrail_test
from experiments.spec import ExperimentSpec, parse_spec
from experiments.srm import sample_ratio_mismatch
from experiments.stats import Comparison, compare
from experiments.sufficient import (
    CupedStats,
    MeanStats,
    ProportionCupedStats,
    ProportionStats,
    RatioStats,
)

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
    template: Path | None = None,
) -> StoreSettings:
    """A migrated store at `path` holding the given assignment and event rows.

    `template`: an empty migrated store (conftest's `empty_store_template`) copied to `path` first,
    for callers that build many stores (a file copy costs a fraction of running the migrations).
    """
    if template is not None:
        shutil.copyfile(template, path)
    settings = settings_for(path)
    assignment_frame = pd.DataFrame(
        [
            (exp_id, unit, variant, at, json.dumps(attrs) if attrs is not None else None)
            for exp_id, unit, variant, at, attrs in assignments
        ],
        columns=["experiment_id", "unit_id", "variant", "assigned_at", "attributes"],
    )
    event_frame = pd.DataFrame(events, columns=["unit_id", "event", "value", "ts"])
    with connect(settings) as con:
        if assignments:
            con.register("new_assignments", assignment_frame)
            con.execute(
                "INSERT INTO assignments (experiment_id, unit_id, variant, assigned_at, attributes)"
                " SELECT experiment_id, unit_id, variant, assigned_at, attributes::JSON"
                " FROM new_assignments"
            )
        if events:
            con.register("new_events", event_frame)
            con.execute(
                "INSERT INTO events (unit_id, event, value, ts)"
                " SELECT unit_id, event, value::DOUBLE, ts FROM new_events"
            )
    return settings


def read_statistics(
    settings: StoreSettings,
    spec: ExperimentSpec,
    until: dt.datetime,
    tables: TableMapping = STORE_TABLES,
) -> tuple[list[CellStatistics], int]:
    """The statistics cells as of `until` and the units excluded for several variants."""
    with connect(settings, read_only=True) as con:
        rows = experiment_store.analysis_records(con, spec, until, tables)
    return cells_from_records(spec, split_analysis_records(rows)[0])


def read_exposure(settings: StoreSettings, spec: ExperimentSpec, until: dt.datetime) -> Exposure:
    """Units per variant and day of assignment as of `until`."""
    with connect(settings, read_only=True) as con:
        rows = experiment_store.analysis_records(con, spec, until)
    return exposure_from_records(split_analysis_records(rows)[1])


def read_statistics_and_exposure(
    settings: StoreSettings, spec: ExperimentSpec, until: dt.datetime
) -> tuple[list[CellStatistics], int, Exposure]:
    """`read_statistics` and `read_exposure` from one run of the analysis query."""
    with connect(settings, read_only=True) as con:
        rows = experiment_store.analysis_records(con, spec, until)
    statistics, exposure = split_analysis_records(rows)
    cells, excluded = cells_from_records(spec, statistics)
    return cells, excluded, exposure_from_records(exposure)


def read_cumulative(
    settings: StoreSettings, spec: ExperimentSpec, looks: tuple[dt.datetime, ...]
) -> dict[dt.datetime, list[CellStatistics]]:
    """Whole-arm cells at each look, from one cumulative query."""
    with connect(settings, read_only=True) as con:
        rows = experiment_store.cumulative_records(con, spec, looks)
    return cumulative_cells(spec, looks, rows)


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


# A valid spec as TOML, as a user writes it.
GOOD_TOML = """\
id = "rec-v3-vs-v2"
name = "Recommender v3 against v2"
hypothesis = "v3 raises CTR without hurting latency"
control = "v2"
variants = { v2 = 0.5, v3 = 0.5 }
variant_models = { v2 = "recommender-v2", v3 = "recommender-v3" }
start = 2026-10-01T00:00:00Z
end = 2026-10-29T09:00:00+09:00
method = "sequential"
correction = "bh"
cuped_days = 14
planned_mde = 0.02
segments = ["device", "region"]

[[metrics]]
name = "ctr"
kind = "ratio"
numerator = "click"
denominator = "impression"
role = "primary"

[[metrics]]
name = "latency"
kind = "mean"
event = "latency_ms"
role = "guardrail"
direction = "decrease"
non_inferiority_margin = 0.02
"""


Values = npt.NDArray[np.float64]


def mean_stats_of(values: Values) -> MeanStats:
    """MeanStats of unit-level values."""
    return MeanStats(len(values), float(values.sum()), float((values**2).sum()))


def proportion_stats_of(indicators: Values) -> ProportionStats:
    """ProportionStats of unit-level 0/1 indicators."""
    return ProportionStats(len(indicators), float(indicators.sum()), float((indicators**2).sum()))


def ratio_stats_of(numerators: Values, denominators: Values) -> RatioStats:
    """RatioStats of unit-level numerators and denominators."""
    return RatioStats(
        len(numerators),
        float(numerators.sum()),
        float((numerators**2).sum()),
        float(denominators.sum()),
        float((denominators**2).sum()),
        float((numerators * denominators).sum()),
    )


def cuped_stats_of(values: Values, pre_values: Values, proportion: bool = False) -> CupedStats:
    """CupedStats (or ProportionCupedStats) of unit-level window and pre-period values."""
    kind = ProportionCupedStats if proportion else CupedStats
    return kind(
        len(values),
        float(values.sum()),
        float((values**2).sum()),
        float(pre_values.sum()),
        float((pre_values**2).sum()),
        float((values * pre_values).sum()),
    )


def mean_stats_with(n: int, mean: float, sd: float) -> MeanStats:
    """MeanStats of n units with exactly this mean and sample standard deviation."""
    return MeanStats(n, n * mean, (n - 1) * sd**2 + n * mean**2)


HEALTHY_SRM = sample_ratio_mismatch({"c": 10_000, "v": 10_050}, {"c": 1, "v": 1})
BROKEN_SRM = sample_ratio_mismatch({"c": 10_000, "v": 11_000}, {"c": 1, "v": 1})


def primary_comparison(variant_mean: float, method: str = "fixed", n: int = 10_000) -> Comparison:
    """A revenue comparison of n units per arm: control mean 10, sd 2 in both arms."""
    return compare(
        mean_stats_with(n, 10.0, 2.0),
        mean_stats_with(n, variant_mean, 2.0),
        metric="revenue",
        control_name="c",
        variant_name="v",
        method=method,
    )


def guardrail_comparison(variant_mean: float, n: int = 10_000, method: str = "fixed") -> Comparison:
    """The retention guardrail's comparison: control mean 10, sd 2 in both arms."""
    return compare(
        mean_stats_with(n, 10.0, 2.0),
        mean_stats_with(n, variant_mean, 2.0),
        metric="retention",
        control_name="c",
        variant_name="v",
        method=method,
    )


def guardrail_result(
    variant_mean: float, n: int = 10_000, method: str = "fixed"
) -> GuardrailResult:
    """A retention guardrail with a 2% margin: control mean 10, sd 2 in both arms."""
    return guardrail_test(guardrail_comparison(variant_mean, n, method), margin=0.02)


def family_spec(**overrides: object) -> ExperimentSpec:
    """Three arms (a control, b, c) of mean metrics: one primary, two secondaries, a guardrail with
    a 10% margin (`latency`) and one without (`errors`), both lower-is-better."""
    metrics = [
        {"name": "revenue", "kind": "mean", "event": "purchase", "role": "primary"},
        {"name": "sessions", "kind": "mean", "event": "session", "role": "secondary"},
        {"name": "basket", "kind": "mean", "event": "basket", "role": "secondary"},
        {
            "name": "latency",
            "kind": "mean",
            "event": "latency_ms",
            "role": "guardrail",
            "direction": "decrease",
            "non_inferiority_margin": 0.1,
        },
        {
            "name": "errors",
            "kind": "mean",
            "event": "error",
            "role": "guardrail",
            "direction": "decrease",
        },
    ]
    raw = {"variants": {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, "metrics": metrics} | overrides
    return make_spec(**raw)


def whole_arm_cells(
    spec: ExperimentSpec, means: dict[str, list[float]], n: int | dict[str, int] = 10_000
) -> list[CellStatistics]:
    """Whole-arm cells with exactly these per-metric means (spec order) and sd 2 per unit."""
    sizes = n if isinstance(n, dict) else dict.fromkeys(means, n)
    return [
        CellStatistics(
            variant,
            None,
            None,
            sizes[variant],
            tuple(mean_stats_with(sizes[variant], mean, 2.0) for mean in metric_means),
        )
        for variant, metric_means in means.items()
    ]

"""A small store with known series for the KPI tests, loaded through the ordinary ingestion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from core.vocab import Direction
from data.ingest import ingest_files
from data.store import StoreSettings, settings_for

END = dt.date(2026, 11, 27)
DAYS = 300
SWITCH_DAY = 100
IMPRESSIONS = 200_000
FRAUD_CELLS = {"tp": 40, "fp": 300, "tn": 9_600, "fn": 60}


def steady_ctr(day: int) -> float:
    """A CTR that holds 0.05 for every day."""
    return 0.05


def build_store(
    directory: Path,
    ctr_of_day: Callable[[int], float] = steady_ctr,
    days: int = DAYS,
    end: dt.date = END,
) -> StoreSettings:
    """Recommender v1 then v2 (switch on day SWITCH_DAY) with daily ctr; fraud v1 with counts.

    Day 0 is the first day; the last day is `end`. `ctr_of_day(day)` gives the exact daily CTR
    (the count of clicks is rounded, so the stored value is clicks / impressions).
    """
    settings = settings_for(directory / "store.duckdb")
    start = end - dt.timedelta(days=days - 1)
    switch = start + dt.timedelta(days=SWITCH_DAY)
    models = pd.DataFrame(
        {
            "model_id": ["recommender-v1", "recommender-v2", "fraud-v1"],
            "family": ["recommender", "recommender", "fraud"],
            "version": ["v1", "v2", "v1"],
            "deployed_at": [start, switch, start],
            "retired_at": [switch, None, None],
            "stage": ["production", "production", "production"],
        }
    )
    rows = []
    for day in range(days):
        date = start + dt.timedelta(days=day)
        model = "recommender-v1" if day < SWITCH_DAY else "recommender-v2"
        clicks = round(ctr_of_day(day) * IMPRESSIONS)
        rows.append((date, model, "ctr", clicks / IMPRESSIONS, IMPRESSIONS, None))
        rows.append((date, model, "impressions", float(IMPRESSIONS), IMPRESSIONS, None))
        for cell, count in FRAUD_CELLS.items():
            rows.append((date, "fraud-v1", cell, float(count), count, None))
    online = pd.DataFrame(rows, columns=["date", "model_id", "metric", "value", "n", "std"])
    weeks = [start + dt.timedelta(days=7 * w) for w in range(days // 7)]
    offline = pd.DataFrame(
        {
            "model_id": [
                "recommender-v2" if w >= start + dt.timedelta(SWITCH_DAY) else "recommender-v1"
                for w in weeks
            ],
            "metric": "auc",
            "value": np.linspace(0.80, 0.78, len(weeks)),
            "evaluated_at": weeks,
            "dataset": "fresh-labels",
            "n": 10_000,
        }
    )
    for kind, frame in (
        ("models", models),
        ("online_metrics", online),
        ("offline_metrics", offline),
    ):
        path = directory / f"{kind}.csv"
        frame.to_csv(path, index=False)
        ingest_files(settings, kind, [path], actor="tests")
    return settings


SPEC_TEMPLATE = """\
id = "{kpi_id}"
name = "Recommendation click-through rate"
family = "recommender"
metric = "ctr"
source = "online"
direction = "increase"
target = {target}
warning = {warning}
exit = {exit}
window_days = {window_days}
persistence = {persistence}
confidence = 0.95
owner = "EC business unit"
rationale = "{rationale}"

[value]
kind = "per_unit"
currency = "JPY"
unit_value = 30
"""

FRAUD_SPEC = """\
id = "fraud-cost"
name = "Fraud screening value"
family = "fraud"
metric = "tp"
source = "online"
direction = "increase"
target = 40
warning = 35
exit = 30
window_days = 7
persistence = 3
owner = "Risk"
rationale = "Agreed with risk"

[value]
kind = "cost_matrix"
currency = "JPY"
tp = 48000
fp = -800
tn = 0
fn = -50000
"""


def ctr_spec(
    kpi_id: str = "rec-ctr",
    target: float = 0.050,
    warning: float = 0.046,
    exit: float = 0.042,
    persistence: int = 3,
    rationale: str = "Agreed in the launch review",
    window_days: int = 7,
) -> str:
    """The TOML of a CTR KPI on the synthetic recommender."""
    return SPEC_TEMPLATE.format(
        kpi_id=kpi_id,
        target=target,
        warning=warning,
        exit=exit,
        persistence=persistence,
        rationale=rationale,
        window_days=window_days,
    )


# Seeded daily series for the frozen outputs of `evaluate_days` (test_evaluation_frozen.py): rates
# and means, overdispersed and not, with gaps, zero-unit days, hand-overs, short histories,
# an outage day and days past the data, so every branch of the per-day evaluation is exercised.
@dataclass(frozen=True)
class FrozenCase:
    """One seeded series and the arguments `evaluate_days` is called with."""

    name: str
    daily: pd.DataFrame
    thresholds_args: tuple[float, float, float, str]
    window_days: int
    persistence: int
    confidence: float
    is_rate: bool
    days: tuple[dt.date, ...] | None = None


FROZEN_START = dt.date(2025, 6, 2)


def _rate_days(
    rng: np.random.Generator, days: int, level: np.ndarray, n_mean: float, spread: float
) -> pd.DataFrame:
    """A binomial rate per day around `level` with extra day-to-day noise (`spread`, relative)."""
    n = rng.poisson(n_mean, days).astype(float)
    weekday = 1 + 0.04 * np.sin(2 * np.pi * np.arange(days) / 7)
    p = np.clip(level * weekday * (1 + spread * rng.standard_normal(days)), 1e-4, 0.9)
    return pd.DataFrame(
        {
            "date": pd.date_range(FROZEN_START, periods=days, freq="D"),
            "value": rng.binomial(n.astype(np.int64), p) / n,
            "n": n,
        }
    )


def _mean_days(
    rng: np.random.Generator, days: int, level: np.ndarray, n_mean: float, spread: float
) -> pd.DataFrame:
    """A mean per day (units' std about 3x the level) with extra day-to-day noise."""
    n = rng.poisson(n_mean, days).astype(float)
    std = level * 3 * np.exp(0.1 * rng.standard_normal(days))
    mean = level * (1 + spread * rng.standard_normal(days)) + std / np.sqrt(n) * (
        rng.standard_normal(days)
    )
    return pd.DataFrame(
        {
            "date": pd.date_range(FROZEN_START, periods=days, freq="D"),
            "value": mean,
            "n": n,
            "std": std,
        }
    )


def _with_models(frame: pd.DataFrame, switches: list[int]) -> pd.DataFrame:
    """A model_id column changing version at each row index in `switches` (hand-overs)."""
    version = np.searchsorted(np.asarray(switches), np.arange(len(frame)), side="right")
    return frame.assign(model_id=[f"model-v{v + 1}" for v in version])


def frozen_cases() -> list[FrozenCase]:
    """The seeded series whose per-day evaluation is frozen (fixed seeds: the same every run)."""
    rng = np.random.default_rng(20261201)
    cases: list[FrozenCase] = []
    decay = 0.05 * np.linspace(1.0, 0.85, 420)
    overdispersed = _with_models(_rate_days(rng, 420, decay, 200_000, 0.03), [150, 300])
    overdispersed.loc[200, "value"] = 0.001  # an outage day: winsorised in the spread
    cases.append(
        FrozenCase(
            "rate_overdispersed_handovers",
            overdispersed,
            (0.05, 0.046, 0.042, "increase"),
            7,
            3,
            0.95,
            True,
        )
    )
    binomial = _rate_days(rng, 200, np.full(200, 0.05), 50_000, 0.0)
    cases.append(
        FrozenCase("rate_binomial", binomial, (0.05, 0.048, 0.045, "increase"), 14, 2, 0.9, True)
    )
    gappy = _with_models(_rate_days(rng, 300, decay[:300], 20_000, 0.05), [40, 60, 200])
    keep = rng.random(300) > 0.2
    gappy = gappy[keep].reset_index(drop=True)
    gappy.loc[[5, 90], "n"] = 0.0  # zero-unit days carry no measurement
    cases.append(
        FrozenCase(
            "rate_gaps_short_versions", gappy, (0.05, 0.047, 0.043, "increase"), 7, 2, 0.95, True
        )
    )
    revenue = _with_models(
        _mean_days(rng, 360, 12.0 * np.linspace(1.0, 1.25, 360), 3_000, 0.02), [180]
    )
    revenue = revenue[rng.random(360) > 0.1].reset_index(drop=True)
    cases.append(
        FrozenCase(
            "mean_decrease_gaps", revenue, (12.0, 13.5, 14.5, "decrease"), 14, 3, 0.95, False
        )
    )
    no_std = _mean_days(rng, 150, np.full(150, 5.0), 1_000, 0.05).drop(columns=["std"])
    cases.append(
        FrozenCase("mean_without_std", no_std, (5.0, 4.8, 4.5, "increase"), 7, 3, 0.95, False)
    )
    bare = _rate_days(rng, 120, np.full(120, 0.3), 1_000, 0.1).drop(columns=["n"])
    cases.append(FrozenCase("values_only", bare, (0.3, 0.28, 0.25, "increase"), 5, 2, 0.8, False))
    partly_counted = _rate_days(rng, 150, np.full(150, 0.05), 100_000, 0.04)
    partly_counted.loc[[30, 31, 100], "n"] = np.nan
    cases.append(
        FrozenCase(
            "rate_some_days_without_n",
            partly_counted,
            (0.05, 0.048, 0.046, "increase"),
            7,
            3,
            0.95,
            True,
        )
    )
    short = _with_models(_rate_days(rng, 30, np.full(30, 0.05), 80_000, 0.03), [18])
    beyond = tuple(FROZEN_START + dt.timedelta(days=day) for day in range(-3, 45))
    cases.append(
        FrozenCase(
            "short_history_days_past_data",
            short,
            (0.05, 0.048, 0.046, "increase"),
            3,
            2,
            0.95,
            True,
            beyond,
        )
    )
    return cases


FROZEN_OUTPUTS = Path(__file__).parent / "data" / "evaluate_days_frozen.json"
FROZEN_FIELDS = (
    "date",
    "model_id",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "days_in_window",
    "interval_method",
    "status",
    "days_past_warning",
    "days_past_exit",
    "dispersion",
)


def evaluated_rows(case: FrozenCase) -> list[list[object]]:
    """`evaluate_days` on a frozen case, one JSON-ready row of `FROZEN_FIELDS` per day."""
    from kpi.evaluation import Thresholds, evaluate_days

    target, warning, exit_line, direction = case.thresholds_args
    thresholds = Thresholds(target, warning, exit_line, cast(Direction, direction))
    evaluations = evaluate_days(
        case.daily,
        thresholds,
        case.window_days,
        case.persistence,
        case.confidence,
        case.is_rate,
        case.days,
    )
    return [
        [
            value.isoformat() if isinstance(value, dt.date) else value
            for value in (getattr(day, field) for field in FROZEN_FIELDS)
        ]
        for day in evaluations
    ]


def write_frozen_outputs() -> None:
    """Freeze today's outputs into FROZEN_OUTPUTS: run ONLY to record outputs of a code that is
    known right (it was run once, on the evaluation of commit 1eb5a08, before it was sped up);
    JSON keeps floats by their shortest repr, so they read back bit for bit."""

    FROZEN_OUTPUTS.parent.mkdir(exist_ok=True)
    frozen = {case.name: evaluated_rows(case) for case in frozen_cases()}
    FROZEN_OUTPUTS.write_text(frozen_json(frozen), encoding="utf-8")


def frozen_json(frozen: dict[str, list[list[object]]]) -> str:
    """The frozen outputs as JSON, one day per line (readable in a diff)."""
    import json

    cases = (
        f"{json.dumps(name)}: [\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]"
        for name, rows in frozen.items()
    )
    return "{\n" + ",\n".join(cases) + "\n}\n"

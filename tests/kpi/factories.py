"""A small store with known series for the KPI tests, loaded through the ordinary ingestion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

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

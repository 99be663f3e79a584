"""`services.serving.arm_health`: an experiment's arms are read over the moments the experiment
counts (its start time to its end or `as_of`), as its analysis counts units, not whole days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.clock import fixed_clock
from services import experiments
from services.serving import arm_health
from tests.experiments.factories import make_spec
from tests.monitoring.factories import FAMILY, add_models, insert_predictions, predictions, store

START = dt.datetime(2026, 7, 1, 12, 0)
AS_OF = dt.datetime(2026, 7, 5, 6, 0)
DAYS = (dt.date(2026, 6, 30), dt.date(2026, 7, 6))


def test_arms_are_read_from_the_start_time_to_as_of_not_whole_days(tmp_path: Path) -> None:
    # Predictions every day around the experiment, the mornings before its start slow (900 ms):
    # counted by day, they would be read as the arms' own latency.
    rng = np.random.default_rng(3)
    settings = store(tmp_path / "s.duckdb", (("rec-v1", FAMILY, dt.date(2026, 6, 1)),))
    add_models(settings, [("rec-v2", FAMILY, dt.date(2026, 6, 20))])
    frame = pd.concat(
        [predictions(rng, DAYS, 300), predictions(rng, DAYS, 300, model_id="rec-v2")],
        ignore_index=True,
    )
    frame.loc[frame["ts"] < START, "latency_ms"] = 900.0
    insert_predictions(settings, frame)
    spec = make_spec(
        start=START,
        end=dt.datetime(2026, 7, 8),
        variants={"a": 0.5, "b": 0.5},
        variant_models={"a": "rec-v1", "b": "rec-v2"},
    )
    experiments.define(settings, spec, clock=fixed_clock(AS_OF))

    report = arm_health(settings, "exp", as_of=AS_OF, clock=fixed_clock(AS_OF))

    inside = frame[(frame["ts"] >= START) & (frame["ts"] < AS_OF)]
    for arm in report.arms:
        mine = inside[inside["model_id"] == arm.model_id]
        assert arm.requests == len(mine)
        assert arm.latency_p99_ms == pytest.approx(np.quantile(mine["latency_ms"], 0.99), rel=1e-9)
        assert arm.latency_p99_ms < 900
        served = mine[mine["served_by"] == "model"]["score"]
        assert arm.scores.n == len(served)
        assert arm.scores.mean == pytest.approx(served.mean(), rel=1e-9)
    assert len(report.arms) == 2
    assert report.window == (START, AS_OF)
    assert report.days == (START.date(), AS_OF.date())

"""Which version of a family was live each day, and the daily series taken from it."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kpi.evaluation import live_model_by_day, series_of_live_versions

MODELS = pd.DataFrame(
    {
        "model_id": ["rec-v1", "rec-v2", "rec-v3-challenger", "fraud-v1"],
        "family": ["recommender", "recommender", "recommender", "fraud"],
        "version": ["1", "2", "3", "1"],
        "deployed_at": pd.to_datetime(
            ["2026-01-01 00:00", "2026-03-01 10:00", "2026-02-01 00:00", "2025-12-01 00:00"]
        ),
        "retired_at": pd.to_datetime(["2026-03-01 10:00", None, None, None]),
        "stage": ["production", "production", "challenger", "production"],
    }
)


def test_live_version_follows_deployed_at_inclusive_and_retired_at_exclusive() -> None:
    days = [dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    live = live_model_by_day(MODELS, "recommender", days)
    assert list(live["model_id"]) == [None, "rec-v1", "rec-v1", "rec-v2"]
    assert list(live["date"].dt.date) == days


def test_a_challenger_is_never_the_live_version() -> None:
    days = pd.date_range("2026-02-01", "2026-02-28").date
    live = live_model_by_day(MODELS, "recommender", days)
    assert set(live["model_id"]) == {"rec-v1"}


def test_daily_series_takes_each_day_from_the_version_live_that_day() -> None:
    online = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-03-01", "2026-03-01", "2026-03-02", "2026-03-02"]),
            "model_id": ["rec-v1", "rec-v2", "rec-v1", "rec-v2"],
            "value": [0.050, 0.060, 0.051, 0.061],
            "n": [1000, 10, 5, 1000],
            "std": [None, None, None, None],
        }
    )
    live = live_model_by_day(MODELS, "recommender", [dt.date(2026, 3, 1), dt.date(2026, 3, 2)])
    series = series_of_live_versions(online, live)
    assert list(series["model_id"]) == ["rec-v1", "rec-v2"]
    assert list(series["value"]) == [0.050, 0.061]

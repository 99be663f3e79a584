"""Small typed inputs for the dashboard's presenters and figures, built without a store."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kpi.degradation import StepChange
from kpi.evaluation import DayEvaluation
from kpi.spec import parse_spec
from kpi.status import KpiDetail, KpiStatus
from services.kpis import Deployment
from tests.kpi.factories import ctr_spec

SMALL_AS_OF = dt.date(2026, 11, 27)
SMALL_DAYS = 10
SMALL_FORECAST_DAYS = 5


def small_kpi_detail() -> KpiDetail:
    """A CTR KPI at warning with ten daily values, a window estimate on the last three days, one
    step change, and a trend whose cone runs five days past the data (the forecast)."""
    days = pd.date_range(end=SMALL_AS_OF, periods=SMALL_DAYS)
    series = pd.DataFrame(
        {
            "date": days,
            "model_id": "rec-v2",
            "value": [0.050 - 0.0005 * i for i in range(SMALL_DAYS)],
            "n": 200_000,
            "std": 0.2,
        }
    )
    cone_days = pd.date_range(days[0], periods=SMALL_DAYS + SMALL_FORECAST_DAYS)
    level = pd.Series([0.050 - 0.0005 * i for i in range(len(cone_days))])
    spread = pd.Series([0.001 + 0.0002 * i for i in range(len(cone_days))])
    trend_line = pd.DataFrame(
        {"date": cone_days, "level": level, "low": level - spread, "high": level + spread}
    )
    evaluations = [
        DayEvaluation(
            date=day.date(),
            model_id="rec-v2",
            estimate=value,
            ci_low=value - 0.001,
            ci_high=value + 0.001,
            n=600_000,
            days_in_window=3,
            interval_method="binomial",
            status="warning",
            days_past_warning=1,
            days_past_exit=0,
        )
        for day, value in zip(days[-3:], series["value"].iloc[-3:], strict=True)
    ]
    status = KpiStatus(
        "rec-ctr", 1, None, "Recommendation CTR", "recommender", "ctr", "increase",
        "Growth team", SMALL_AS_OF, "warning", "rec-v2", 0.0455, (0.0445, 0.0465),
        0.050, 0.046, 0.042, 3, 0, None, None, None, "JPY", 1_000_000.0, None, None,
    )  # fmt: skip
    step = StepChange(days[4].date(), -0.002, -0.04, 0.048, 0.046)
    return KpiDetail(
        status=status,
        spec=parse_spec(ctr_spec()),
        series=series,
        evaluations=evaluations,
        steps=(step,),
        trend_line=trend_line,
        offline=pd.DataFrame(columns=["evaluated_at", "model_id", "metric", "value"]),
        bridge=None,
    )


def small_deployments() -> list[Deployment]:
    """The live version (production, drawn) and a challenger (not drawn) of the small KPI."""
    return [
        Deployment("rec-v2", "2", "production", dt.datetime(2026, 11, 20, 9, 0), None),
        Deployment("rec-v3", "3", "challenger", dt.datetime(2026, 11, 24, 9, 0), None),
    ]

"""What fallbacks cost: which KPIs qualify, the sign of the cost whatever the KPI's direction, and
the 95% interval's coverage by SEEDED simulation on rare-click data (docs/monitoring.md).

Each scenario draws every day's clicks per level as binomials (numpy, vectorised), prices them with
`fallback_cost`, and counts how often the interval holds the true cost a day, unit_value x sum of
n_level x (p_model - p_level). The interval is conservative when a level has only a few requests
and rare clicks (its smoothed variance is then larger than the true one), close to 95% otherwise;
it never falls below 94% here.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from data.demo_kpis import DEMO_SPECS
from kpi.fallback_value import LevelOutcomes, fallback_cost, ineligibility, on_scale
from kpi.spec import parse_spec

COMMON = """\
source = "online"
window_days = 7
persistence = 3
confidence = 0.95
rationale = "test"
"""


def demo_spec(kpi_id: str):
    header, _, value = DEMO_SPECS[kpi_id].partition("[value]")
    return parse_spec(f"{header}{COMMON}[value]{value}")


@pytest.mark.parametrize(
    ("kpi_id", "reason"),
    [
        ("rec-ctr", None),
        ("rec-revenue-per-session", "not_label_rate"),
        ("rec-latency", "not_label_rate"),
        ("fraud-cost", "not_per_unit"),
    ],
)
def test_only_a_click_rate_priced_per_unit_qualifies(kpi_id: str, reason: str | None) -> None:
    assert ineligibility(demo_spec(kpi_id)) == reason


def test_an_offline_kpi_does_not_qualify() -> None:
    spec = demo_spec("rec-ctr")
    offline = spec.__class__(**{**spec.__dict__, "source": "offline"})
    assert ineligibility(offline) == "not_online"


def test_cost_is_a_loss_for_either_direction() -> None:
    day = dt.date(2026, 7, 1)
    # higher is better (clicks, unit_value > 0): a fallback clicking less costs money
    clicks = [
        LevelOutcomes(day, "model", 1000, 1000, 50),
        LevelOutcomes(day, "popular", 100, 100, 2),
    ]
    assert fallback_cost(clicks, 60.0).per_day == pytest.approx(60 * 100 * (0.05 - 0.02))
    # lower is better (a bounce rate, unit_value < 0): a fallback bouncing more costs money too
    bounces = [
        LevelOutcomes(day, "model", 1000, 1000, 200),
        LevelOutcomes(day, "popular", 100, 100, 40),
    ]
    assert fallback_cost(bounces, -10.0).per_day == pytest.approx(-10 * 100 * (0.2 - 0.4))
    assert fallback_cost(bounces, -10.0).per_day > 0


def test_a_day_without_fallbacks_costs_nothing() -> None:
    day = dt.date(2026, 7, 1)
    cost = fallback_cost([LevelOutcomes(day, "model", 500, 500, 20)], 60.0)
    assert (cost.per_day, cost.low, cost.high, cost.fallback_requests) == (0.0, 0.0, 0.0, 0)


SCENARIOS = [
    # (model rate, {level: (rate, requests a day)}, model requests a day, days)
    (0.03, {"popular": (0.015, 30), "random": (0.005, 5)}, 3000, 7),
    (0.02, {"popular": (0.01, 20)}, 1000, 7),
    (0.01, {"popular": (0.005, 100)}, 5000, 7),
    (0.03, {"popular": (0.015, 300), "random": (0.005, 50)}, 3000, 1),
    (0.045, {"popular": (0.028, 900), "random": (0.008, 300)}, 2000, 4),  # the demo's incident
]


@pytest.mark.parametrize(("model_rate", "levels", "model_n", "days"), SCENARIOS)
def test_interval_covers_the_true_cost_at_least_95_percent(
    model_rate: float, levels: dict[str, tuple[float, int]], model_n: int, days: int
) -> None:
    rng = np.random.default_rng(20261201)
    runs, unit_value = 2000, 60.0
    truth = unit_value * sum(n * (model_rate - rate) for rate, n in levels.values())
    model_clicks = rng.binomial(model_n, model_rate, (runs, days))
    level_clicks = {name: rng.binomial(n, rate, (runs, days)) for name, (rate, n) in levels.items()}
    first = dt.date(2026, 7, 1)
    covered = 0
    for run in range(runs):
        rows = []
        for d in range(days):
            day = first + dt.timedelta(days=d)
            rows.append(LevelOutcomes(day, "model", model_n, model_n, int(model_clicks[run, d])))
            rows += [
                LevelOutcomes(day, name, n, n, int(level_clicks[name][run, d]))
                for name, (_, n) in levels.items()
            ]
        cost = fallback_cost(rows, unit_value)
        assert cost.low is not None and cost.high is not None
        covered += cost.low <= truth <= cost.high
    coverage = covered / runs
    # 2000 runs: a 95% interval's coverage is measured to about +/- 1 point
    assert coverage >= 0.94, coverage


def test_a_sample_cost_carried_to_all_traffic_scales_amounts_and_variances() -> None:
    day = dt.date(2026, 11, 2)
    rows = [
        LevelOutcomes(day, "model", 900, 900, 45),
        LevelOutcomes(day, "popular", 80, 80, 2),
        LevelOutcomes(day, "random", 20, 20, 0),
    ]
    sample = fallback_cost(rows, 60.0)
    scaled = on_scale(sample, 250.0)
    (d,) = scaled.daily
    (s,) = sample.daily
    # by hand: 60 x (80 x (0.05 - 0.025) + 20 x (0.05 - 0)) = 180 on the sample, x 250
    assert s.cost == pytest.approx(180.0, rel=1e-12)
    assert d.cost == pytest.approx(45_000.0, rel=1e-12)
    assert d.variance == pytest.approx(s.variance * 250.0**2, rel=1e-12)
    assert d.by_level == pytest.approx({"popular": 30_000.0, "random": 15_000.0}, rel=1e-12)
    assert (scaled.per_day, scaled.low, scaled.high) == pytest.approx(
        (sample.per_day * 250, sample.low * 250, sample.high * 250), rel=1e-12
    )
    assert (scaled.days, scaled.priced_days, scaled.fallback_requests) == (1, 1, 100)
    assert on_scale(sample, 1.0) is sample

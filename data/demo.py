"""The demo store: a retailer's recommender and a fraud classifier, 18 months ending yesterday.

The story a stakeholder recognises: recommender v1 was replaced by v2 about a year ago, v2 decays
a few percent a quarter and dropped at a catalogue change, and a challenger v3 has been in an A/B
test for four weeks. A fraud model's recall erodes as patterns shift, and it was retrained once.
Daily series are drawn in numpy (a few thousand rows); unit-level assignments and events are
generated inside DuckDB from a counter-based hash, so a seed gives the same store on any machine
and the large size never passes through Python. numpy and pandas are imported inside the functions
that draw the daily series, so `cli.py ingest`, which only needs this module's sizes, starts fast.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.clock import Clock
from core.errors import YardstickError
from core.vocab import DEMO_SIZES
from data.demo_predictions import LABEL_DELAY_DAYS, insert_demo_predictions
from data.prediction_parts import PARTS_SUFFIX, PendingParts, parts_root
from data.store import (
    StoreFaultError,
    StoreSettings,
    commit,
    connect,
    one_row,
    process_alive,
    write_audit,
)

if TYPE_CHECKING:
    import duckdb
    import numpy as np
    import pandas as pd

HISTORY_DAYS = 548
EXPERIMENT_DAYS = 28
PRE_PERIOD_DAYS = 14


@dataclass(frozen=True)
class DemoScale:
    """How many units each experiment has and how busy each unit is.

    Attributes:
        units: units per experiment (challenger test, A/A test, broken split).
        sessions_mean: mean sessions of a unit in the experiment window (plus one).
        impressions_per_session: recommendation impressions shown per session.
        double_assigned: units of the challenger test exposed to both variants.
    """

    units: tuple[int, int, int]
    sessions_mean: float
    impressions_per_session: int
    double_assigned: int


SCALES = {
    "small": DemoScale((3_000, 2_000, 2_000), 2.0, 4, 3),
    "medium": DemoScale((60_000, 30_000, 30_000), 2.5, 6, 12),
    "large": DemoScale((5_000_000, 2_500_000, 2_500_000), 1.2, 3, 40),
}
# Sizes whose predictions are stored as Parquet parts, as a load stores them; the small and medium
# stores, which the tests copy as one file, keep theirs in the table.
PARTS_SIZES = ("large",)


class DemoExistsError(YardstickError):
    """The target store exists and --force was not given (code `demo.exists`, its `path`)."""

    def __init__(self, path: Path) -> None:
        super().__init__("demo.exists", path=str(path))


@dataclass(frozen=True)
class DemoSummary:
    """What was built: the store path and the rows of each table."""

    path: Path
    row_counts: dict[str, int]


# Progress is reported as (step, share done); the steps are catalogue keys under `app.demo_step`.
ProgressReport = Callable[[str, float], None]
DEMO_STEPS = ("models", "units", "sessions", "events", "checkpoint", "definitions", "done")

# Adds the definitions (experiments, KPIs, retraining plans) to the freshly built store before
# it is moved into place; `services.loading` passes the one that defines the demo's.
DefineDemo = Callable[[StoreSettings], None]


def demo_end_date(today: dt.date) -> dt.date:
    """The last day of demo data: the day before `today`."""
    return today - dt.timedelta(days=1)


def _models(end: dt.date) -> pd.DataFrame:
    import pandas as pd

    start = end - dt.timedelta(days=HISTORY_DAYS - 1)
    midnight = dt.time(0, 0)

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, midnight)

    v2_start = end - dt.timedelta(days=365)
    v3_start = end - dt.timedelta(days=EXPERIMENT_DAYS - 1)
    fraud_v2_start = end - dt.timedelta(days=210)
    rows = [
        (
            "recommender-v1",
            "recommender",
            "v1",
            at(start),
            at(v2_start),
            "Collaborative filtering on purchase history",
            "production",
        ),
        (
            "recommender-v2",
            "recommender",
            "v2",
            at(v2_start),
            None,
            "Two-tower retrieval with session features",
            "production",
        ),
        (
            "recommender-v3",
            "recommender",
            "v3",
            at(v3_start),
            None,
            "Challenger: v2 retrained with the new catalogue; in A/B test rec-v3-vs-v2",
            "challenger",
        ),
        (
            "fraud-v1",
            "fraud",
            "v1",
            at(start),
            at(fraud_v2_start),
            "Gradient-boosted trees on card transactions",
            "production",
        ),
        (
            "fraud-v2",
            "fraud",
            "v2",
            at(fraud_v2_start),
            None,
            "v1 retrained on the last six months of labelled fraud",
            "production",
        ),
    ]
    return pd.DataFrame(
        rows,
        columns=["model_id", "family", "version", "deployed_at", "retired_at", "notes", "stage"],
    )


def _weekly_pattern(days: pd.DatetimeIndex, amplitude: float) -> np.ndarray:
    """Weekends are busier and click more: a multiplicative day-of-week pattern."""
    import numpy as np

    weekday = days.day_of_week.to_numpy()
    return 1 + amplitude * np.where(weekday >= 5, 1.0, np.where(weekday == 4, 0.4, -0.3))


def _recommender_online(
    end: dt.date, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily online metrics of the live recommender and weekly offline evaluations."""
    import numpy as np
    import pandas as pd

    days = pd.date_range(end=pd.Timestamp(end), periods=HISTORY_DAYS, freq="D")
    v2_start = pd.Timestamp(end - dt.timedelta(days=364))
    catalogue_change = pd.Timestamp(end - dt.timedelta(days=120))
    is_v2 = days >= v2_start
    age = np.where(is_v2, (days - v2_start).days, (days - days[0]).days).astype(float)
    # Relative quality: AUC drifts down ~0.012 a quarter; the catalogue change knocks 0.02 off.
    auc0 = np.where(is_v2, 0.812, 0.781)
    auc = auc0 - 0.012 * age / 91 - np.where(is_v2 & (days >= catalogue_change), 0.02, 0.0)
    # Online quality follows offline quality: -0.01 AUC costs about 2.5% of CTR.
    quality = 1 + 2.5 * (auc - auc0)
    sessions = (
        118_000
        * (1 + 0.15 * (days - days[0]).days / HISTORY_DAYS)
        * _weekly_pattern(days, 0.08)
        * rng.lognormal(0, 0.03, len(days))
    ).round()
    impressions = (sessions * 7.5).round()
    ctr = (
        np.where(is_v2, 0.0512, 0.0478)
        * quality
        * _weekly_pattern(days, 0.03)
        * rng.normal(1, 0.006, len(days))
    )
    conversion = (
        np.where(is_v2, 0.0315, 0.0297)
        * (1 + 0.7 * (quality - 1))
        * _weekly_pattern(days, 0.04)
        * rng.normal(1, 0.01, len(days))
    )
    revenue = conversion * rng.normal(13_600, 250, len(days))
    latency = (np.where(is_v2, 182.0, 166.0) + 0.02 * age) * rng.normal(1, 0.03, len(days))
    fallback = np.where(is_v2, 0.0042, 0.0061) * (1 + age / 700) * rng.lognormal(0, 0.12, len(days))
    model = np.where(is_v2, "recommender-v2", "recommender-v1")
    requests = (sessions * 1.9).round()
    frames = [
        _metric_frame(days, model, "sessions", sessions, sessions, None),
        _metric_frame(days, model, "impressions", impressions, impressions, None),
        _metric_frame(days, model, "ctr", ctr, impressions, None),
        _metric_frame(days, model, "conversion_rate", conversion, sessions, None),
        _metric_frame(
            days,
            model,
            "revenue_per_session",
            revenue,
            sessions,
            revenue * rng.normal(9.0, 0.2, len(days)),
        ),
        _metric_frame(days, model, "latency_p95_ms", latency, requests, None),
        _metric_frame(days, model, "fallback_rate", fallback, requests, None),
    ]
    # The challenger serves the experiment's half of one slice of traffic for the last four weeks.
    test_days = days[-EXPERIMENT_DAYS:]
    share = 0.1
    test_sessions = (sessions[-EXPERIMENT_DAYS:] * share).round()
    test_impressions = (test_sessions * 7.5).round()
    v3 = np.full(EXPERIMENT_DAYS, "recommender-v3")
    frames += [
        _metric_frame(test_days, v3, "sessions", test_sessions, test_sessions, None),
        _metric_frame(test_days, v3, "impressions", test_impressions, test_impressions, None),
        _metric_frame(
            test_days,
            v3,
            "ctr",
            ctr[-EXPERIMENT_DAYS:] * 1.03 * rng.normal(1, 0.01, EXPERIMENT_DAYS),
            test_impressions,
            None,
        ),
        _metric_frame(
            test_days,
            v3,
            "conversion_rate",
            conversion[-EXPERIMENT_DAYS:] * 1.02,
            test_sessions,
            None,
        ),
        _metric_frame(
            test_days,
            v3,
            "revenue_per_session",
            revenue[-EXPERIMENT_DAYS:] * 1.025,
            test_sessions,
            revenue[-EXPERIMENT_DAYS:] * 9.0,
        ),
        _metric_frame(
            test_days,
            v3,
            "latency_p95_ms",
            latency[-EXPERIMENT_DAYS:] * 1.05,
            (test_sessions * 1.9).round(),
            None,
        ),
    ]
    online = pd.concat(frames, ignore_index=True)

    weeks = days[days.day_of_week == 0]
    # Rows of the offline_metrics frame: model, metric, value, week, label set, examples.
    offline_rows: list[tuple[Any, ...]] = []
    for week in weeks:
        index = days.get_loc(week)
        live = model[index]
        week_auc = auc[index] + rng.normal(0, 0.002)
        offline_rows.append((live, "auc", week_auc, week, f"labels-{week:%Y-%m-%d}", 250_000))
        offline_rows.append(
            (
                live,
                "ndcg_at_10",
                0.352 + 1.6 * (auc[index] - 0.80) + rng.normal(0, 0.002),
                week,
                f"labels-{week:%Y-%m-%d}",
                250_000,
            )
        )
        if week >= pd.Timestamp(end - dt.timedelta(days=EXPERIMENT_DAYS + 28)):
            challenger_auc = auc[index] + 0.022 + rng.normal(0, 0.002)
            offline_rows.append(
                ("recommender-v3", "auc", challenger_auc, week, f"labels-{week:%Y-%m-%d}", 250_000)
            )
            offline_rows.append(
                (
                    "recommender-v3",
                    "ndcg_at_10",
                    0.352 + 1.6 * (challenger_auc - 0.80) + rng.normal(0, 0.002),
                    week,
                    f"labels-{week:%Y-%m-%d}",
                    250_000,
                )
            )
    offline = pd.DataFrame(
        offline_rows, columns=["model_id", "metric", "value", "evaluated_at", "dataset", "n"]
    )
    return online, offline


def _metric_frame(
    days: pd.DatetimeIndex,
    model: np.ndarray,
    metric: str,
    value: np.ndarray,
    n: np.ndarray,
    std: np.ndarray | None,
) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    return pd.DataFrame(
        {
            "date": days.date,
            "model_id": model,
            "metric": metric,
            "value": value.astype(float),
            "n": n.astype("int64"),
            "std": std if std is not None else np.full(len(days), np.nan),
        }
    )


def _fraud_online(end: dt.date, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily confusion counts of the fraud model; recall erodes as fraud patterns shift."""
    import numpy as np
    import pandas as pd

    days = pd.date_range(end=pd.Timestamp(end), periods=HISTORY_DAYS, freq="D")
    v2_start = pd.Timestamp(end - dt.timedelta(days=209))
    is_v2 = days >= v2_start
    age = np.where(is_v2, (days - v2_start).days, (days - days[0]).days).astype(float)
    recall_level = np.where(is_v2, 0.905, 0.87) - np.where(is_v2, 0.00052, 0.00055) * age
    transactions = (
        210_000 * _weekly_pattern(days, 0.06) * rng.lognormal(0, 0.03, len(days))
    ).round()
    positives = rng.binomial(transactions.astype("int64"), 0.0021)
    tp = rng.binomial(positives, np.clip(recall_level, 0.01, 0.99))
    fn = positives - tp
    fp = rng.binomial((transactions - positives).astype("int64"), 0.0042)
    tn = transactions - positives - fp
    model = np.where(is_v2, "fraud-v2", "fraud-v1")
    # Confusion counts need the labels, which arrive LABEL_DELAY_DAYS late (as the predictions'
    # labels do): the last days have none yet, so their status can only be estimated.
    labelled = days <= pd.Timestamp(end - dt.timedelta(days=LABEL_DELAY_DAYS))
    days, model, tp, fp, tn, fn, positives = (
        days[labelled],
        model[labelled],
        tp[labelled],
        fp[labelled],
        tn[labelled],
        fn[labelled],
        positives[labelled],
    )
    recall_level = recall_level[labelled]
    frames = [
        _metric_frame(days, model, name, counts.astype(float), counts, None)
        for name, counts in (("tp", tp), ("fp", fp), ("tn", tn), ("fn", fn))
    ]
    frames.append(
        _metric_frame(days, model, "recall", tp / np.maximum(positives, 1), positives, None)
    )
    online = pd.concat(frames, ignore_index=True)
    weeks = days[days.day_of_week == 0]
    offline_rows = []
    for week in weeks:
        index = days.get_loc(week)
        offline_rows.append(
            (
                model[index],
                "auc",
                0.962 - (0.905 - recall_level[index]) * 0.35 + rng.normal(0, 0.002),
                week,
                f"fraud-labels-{week:%Y-%m-%d}",
                80_000,
            )
        )
        offline_rows.append(
            (
                model[index],
                "recall",
                recall_level[index] + rng.normal(0, 0.006),
                week,
                f"fraud-labels-{week:%Y-%m-%d}",
                80_000,
            )
        )
    offline = pd.DataFrame(
        offline_rows, columns=["model_id", "metric", "value", "evaluated_at", "dataset", "n"]
    )
    return online, offline


# Unit-level generation, all inside DuckDB. u(seed, key, salt) is a uniform draw in (0, 1) from a
# hash, so results do not depend on thread scheduling; z(...) is a standard normal (Box-Muller).
_MACROS = """
CREATE OR REPLACE TEMP MACRO u(seed, k, salt) AS
    ((hash(seed, k, salt) % 1000000007)::DOUBLE + 0.5) / 1000000007;
CREATE OR REPLACE TEMP MACRO z(seed, k, salt) AS
    sqrt(-2 * ln(u(seed, k, salt || 'a'))) * cos(2 * pi() * u(seed, k, salt || 'b'));
CREATE OR REPLACE TEMP MACRO poisson_small(seed, k, salt, lam) AS
    CAST(greatest(0, round(lam + sqrt(lam) * z(seed, k, salt))) AS INTEGER);
"""

# One row per experiment: id, unit prefix, variants and their true effects, assignment split.
_EXPERIMENTS_SQL = """
CREATE OR REPLACE TEMP TABLE demo_experiments AS SELECT * FROM (VALUES
    ('rec-v3-vs-v2', 'r', 'v2', 'v3', 0.5, 1.03, 1.025, 1.05, $rec_units),
    ('aa-homepage', 'a', 'control', 'treatment', 0.5, 1.0, 1.0, 1.0, $aa_units),
    ('banner-split', 'b', 'control', 'new_banner', 0.55, 1.0, 1.01, 1.0, $banner_units)
) AS t(experiment_id, prefix, control, treatment, control_share, ctr_lift, conversion_lift,
       latency_lift, units);
"""

_UNITS_SQL = """
CREATE OR REPLACE TEMP TABLE demo_units AS
SELECT
    e.experiment_id,
    e.prefix || lpad(CAST(i AS VARCHAR), 8, '0') AS unit_id,
    i,
    CASE WHEN u($seed, i, e.prefix || 'arm') < e.control_share THEN e.control ELSE e.treatment END
        AS variant,
    u($seed, i, e.prefix || 'arm') >= e.control_share AS treated,
    $start + to_microseconds(CAST(u($seed, i, e.prefix || 'when') * $enroll_us AS BIGINT))
        AS assigned_at,
    CASE WHEN u($seed, i, e.prefix || 'dev') < 0.6 THEN 'mobile'
         WHEN u($seed, i, e.prefix || 'dev') < 0.9 THEN 'desktop' ELSE 'tablet' END AS device,
    ['Kanto', 'Kansai', 'Chubu', 'Kyushu', 'Tohoku', 'Hokkaido', 'Chugoku', 'Shikoku']
        [1 + CAST(floor(power(u($seed, i, e.prefix || 'reg'), 1.6) * 8) AS INTEGER)] AS region,
    -- A unit's own taste and spending power persist across the pre-period and the test: the
    -- correlation that variance reduction (CUPED) exploits.
    exp(0.45 * z($seed, i, e.prefix || 'taste')) AS taste,
    exp(0.6 * z($seed, i, e.prefix || 'spend')) AS spend,
    e.ctr_lift, e.conversion_lift, e.latency_lift
FROM demo_experiments e, range(e.units) AS r(i);
"""

_SESSIONS_SQL = """
CREATE OR REPLACE TEMP TABLE demo_sessions AS
WITH counts AS (
    SELECT *,
        1 + poisson_small($seed, i, experiment_id || 'ns', $sessions_mean * taste) AS in_test,
        poisson_small($seed, i, experiment_id || 'np', $sessions_mean * taste * 0.5) AS in_pre
    FROM demo_units
)
SELECT c.experiment_id, c.unit_id, c.i, c.treated, c.taste, c.spend, c.ctr_lift,
       c.conversion_lift, c.latency_lift, c.device, false AS pre, s.k AS session,
       c.assigned_at + to_microseconds(CAST((s.k + 0.05 + 0.9 * u($seed, c.i, 'st' || s.k))
           / c.in_test * $window_us AS BIGINT)) AS ts
FROM counts c, LATERAL (SELECT unnest(range(c.in_test)) AS k) s
UNION ALL
SELECT c.experiment_id, c.unit_id, c.i, c.treated, c.taste, c.spend, 1.0, 1.0, 1.0, c.device, true,
       s.k, c.assigned_at - to_microseconds(CAST((s.k + 0.05 + 0.9 * u($seed, c.i, 'sp' || s.k))
           / greatest(c.in_pre, 1) * $pre_us AS BIGINT))
FROM counts c, LATERAL (SELECT unnest(range(c.in_pre)) AS k) s;
"""

_EVENTS_SQL = """
INSERT INTO events (unit_id, event, value, ts)
WITH treated_sessions AS (
    SELECT *,
        CASE WHEN treated AND NOT pre THEN ctr_lift * (CASE WHEN device = 'mobile' THEN 1.01
             ELSE 0.985 END) ELSE 1.0 END AS click_factor,
        CASE WHEN treated AND NOT pre THEN conversion_lift ELSE 1.0 END AS buy_factor,
        CASE WHEN treated AND NOT pre THEN latency_lift ELSE 1.0 END AS slow_factor
    FROM demo_sessions
), impressions AS (
    SELECT s.*, j.k AS slot, s.ts + to_microseconds(7000000 * j.k) AS shown_at
    FROM treated_sessions s, LATERAL (SELECT unnest(range($impressions)) AS k) j
)
SELECT unit_id, 'impression', 1, shown_at FROM impressions
UNION ALL
SELECT unit_id, 'click', 1, shown_at + INTERVAL 2 SECOND FROM impressions
WHERE u($seed, i, experiment_id || 'c' || session || pre || slot)
      < least(0.9, 0.048 * taste * click_factor)
UNION ALL
SELECT unit_id, 'purchase', round(3800 * spend * exp(0.35 * z($seed, i, 'pv' || session || pre)))
       , ts + INTERVAL 10 MINUTE
FROM treated_sessions
WHERE u($seed, i, experiment_id || 'p' || session || pre) < least(0.9, 0.06 * taste * buy_factor)
UNION ALL
SELECT unit_id, 'latency_ms',
       round(118 * slow_factor * exp(0.25 * z($seed, i, 'lt' || session || pre)), 1),
       ts + INTERVAL 100 MILLISECOND
FROM treated_sessions;
"""

_ASSIGNMENTS_SQL = """
INSERT INTO assignments (experiment_id, unit_id, variant, assigned_at, attributes)
SELECT experiment_id, unit_id, variant, assigned_at,
       CAST(json_object('device', device, 'region', region) AS JSON)
FROM demo_units
UNION ALL
-- A few units of the challenger test were exposed to both variants (a caching bug): real data
-- that the analysis must see and exclude.
SELECT experiment_id, unit_id, CASE WHEN treated THEN 'v2' ELSE 'v3' END,
       assigned_at + INTERVAL 3 HOUR, CAST(json_object('device', device, 'region', region) AS JSON)
FROM demo_units WHERE experiment_id = 'rec-v3-vs-v2' AND i < $double_assigned;
"""


def _bind(sql: str, values: dict[str, object]) -> str:
    """Fill `$name` placeholders with trusted literals (numbers and timestamps made here)."""
    for name in sorted(values, key=len, reverse=True):
        sql = sql.replace(f"${name}", str(values[name]))
    return sql


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("demo_frame", frame)
    columns = ", ".join(frame.columns)
    con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM demo_frame")
    con.unregister("demo_frame")


def _building_prefix(target: Path) -> str:
    return f".{target.name}.building-"


def remove_stale_building_files(target: Path) -> list[Path]:
    """Delete the half-built stores (and their WALs) that a killed `demo` left beside `target`.

    A build writes `.NAME.building-PID` and renames it into place at the end; SIGKILL skips the
    cleanup, so the next build removes the files of every PID that is no longer running. Returns
    the files removed.
    """
    prefix = _building_prefix(target)
    removed = []
    for path in target.parent.glob(f"{glob.escape(prefix)}*"):
        pid_text = path.name.removeprefix(prefix).removesuffix(".wal").removesuffix(PARTS_SUFFIX)
        if pid_text.isdigit() and not process_alive(int(pid_text)):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def build_demo(
    settings: StoreSettings,
    *,
    seed: int = 7,
    size: str = "medium",
    end: dt.date,
    clock: Clock,
    force: bool = False,
    define: DefineDemo | None = None,
    on_progress: ProgressReport | None = None,
) -> DemoSummary:
    """Build the demo store at `settings.path`, atomically: a half-built store never appears.

    `end` is the last day of data (callers pass `demo_end_date` of the clock's day), so the same
    seed and end give the same store on any day; `clock` stamps the load and its audit row.
    `define` adds the definitions to the store before it appears (without it the store holds data
    only).

    Raises:
        DemoExistsError: the store exists and `force` is False.
    """
    import numpy as np
    import pandas as pd

    if size not in SCALES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(DEMO_SIZES)}")
    target = settings.path
    if target.is_dir():
        raise StoreFaultError("store.not_a_file", path=str(target))
    if target.exists() and not force:
        raise DemoExistsError(target)
    report = on_progress or (lambda step, fraction: None)
    scale = SCALES[size]
    rng = np.random.default_rng(seed)
    remove_stale_building_files(target)
    building = target.with_name(f"{_building_prefix(target)}{os.getpid()}")
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    build_settings = StoreSettings(building, settings.memory_limit, settings.threads)
    # The large demo's 100 million predictions are stored as a load stores them: Parquet parts.
    parts = PendingParts(building, clock) if size in PARTS_SIZES else None

    report("models", 0.02)
    rec_online, rec_offline = _recommender_online(end, rng)
    fraud_online, fraud_offline = _fraud_online(end, rng)
    test_start = dt.datetime.combine(end - dt.timedelta(days=EXPERIMENT_DAYS - 1), dt.time())
    day_us = 86_400_000_000
    values = {
        "seed": seed,
        "rec_units": scale.units[0],
        "aa_units": scale.units[1],
        "banner_units": scale.units[2],
        "start": f"TIMESTAMP '{test_start:%Y-%m-%d %H:%M:%S}'",
        "enroll_us": 21 * day_us,
        "window_us": 6 * day_us,
        "pre_us": PRE_PERIOD_DAYS * day_us,
        "sessions_mean": scale.sessions_mean,
        "impressions": scale.impressions_per_session,
        "double_assigned": scale.double_assigned,
    }
    try:
        with connect(build_settings) as con:
            con.execute("BEGIN TRANSACTION")
            _insert_frame(con, "models", _models(end))
            _insert_frame(con, "online_metrics", pd.concat([rec_online, fraud_online]))
            _insert_frame(con, "offline_metrics", pd.concat([rec_offline, fraud_offline]))
            report("units", 0.1)
            con.execute(_MACROS)
            con.execute(_bind(_EXPERIMENTS_SQL, values))
            con.execute(_bind(_UNITS_SQL, values))
            con.execute(_bind(_ASSIGNMENTS_SQL, values))
            report("sessions", 0.25)
            con.execute(_bind(_SESSIONS_SQL, values))
            report("events", 0.45)
            con.execute(_bind(_EVENTS_SQL, values))
            insert_demo_predictions(con, seed=seed, size=size, end=end, parts=parts)
            write_audit(
                con,
                "demo",
                "store",
                {"size": size, "seed": seed, "end": str(end)},
                "demo data set",
                at=clock(),
            )
            commit(con, build_settings.path)
            report("checkpoint", 0.85)
            con.execute("CHECKPOINT")
        report("definitions", 0.9)
        if define is not None:
            define(build_settings)
        with connect(build_settings) as con:
            counts = {
                table: one_row(con.execute(f"SELECT count(*) FROM {table}").fetchone())[0]
                for table in (
                    "models",
                    "online_metrics",
                    "offline_metrics",
                    "assignments",
                    "events",
                    "predictions",
                    "prediction_labels",
                    "annotations",
                )
            }
            con.execute("CHECKPOINT")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        # The replaced store's Parquet parts belong to no store now; the new store's parts (the
        # large size) move into place just before the file, so the file never appears without
        # them (parts are found by the store file's name).
        shutil.rmtree(parts_root(target), ignore_errors=True)
        if parts_root(building).is_dir():
            os.replace(parts_root(building), parts_root(target))
        os.replace(building, target)
        if parts is not None:
            parts.committed()
    finally:
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(parts_root(building), ignore_errors=True)
    report("done", 1.0)
    return DemoSummary(target, counts)


def build_demo_if_missing(
    settings: StoreSettings,
    *,
    end: dt.date,
    clock: Clock,
    size: str = "medium",
    on_progress: ProgressReport | None = None,
    define: DefineDemo | None = None,
) -> bool:
    """Build the demo store unless one exists; safe when several app sessions start at once.

    Returns True when this call built it.
    """
    import fcntl

    if settings.path.exists():
        return False
    settings.path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = settings.path.with_name(f".{settings.path.name}.lock")
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if settings.path.exists():
            return False
        build_demo(
            settings, size=size, end=end, clock=clock, on_progress=on_progress, define=define
        )
        return True

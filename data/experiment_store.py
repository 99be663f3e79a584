"""Experiment definitions and sufficient statistics in the store.

Definitions are versioned (defining an id again adds a version, history kept, each write audited).
Statistics come from the SQL built in `experiments.sql`: only sums per variant and segment leave
DuckDB, never unit-level rows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace

import duckdb

from core.clock import system_clock
from data.store import StoreSettings, connect, current_actor, write_audit
from experiments.spec import ExperimentSpec, parse_spec, spec_to_dict
from experiments.sql import (
    EXCLUDED_COLUMN,
    cumulative_query,
    exposure_query,
    grouping_column,
    metric_columns,
    segment_column,
    statistics_query,
)
from experiments.sufficient import (
    CupedStats,
    MeanStats,
    ProportionCupedStats,
    ProportionStats,
    RatioStats,
    Stats,
)

DEMO_EXPERIMENT_DAYS = 28


class UnknownExperimentError(LookupError):
    """No definition is stored under the asked experiment id."""


@dataclass(frozen=True)
class DefinitionVersion:
    """One stored version of an experiment definition.

    Attributes:
        spec: the validated definition.
        version: 1 for the first definition of the id, then counting up.
        defined_at: when it was stored (naive UTC).
        defined_by: who stored it.
    """

    spec: ExperimentSpec
    version: int
    defined_at: dt.datetime
    defined_by: str


@dataclass(frozen=True)
class CellStatistics:
    """Sufficient statistics of one variant, whole or within one segment value.

    Attributes:
        variant: the variant.
        segment_column: the segment column, or None for the whole arm.
        segment_value: the value (`other` gathers values beyond the 20 largest; `(none)` those
            without the attribute), or None for the whole arm.
        n: units in the cell.
        metrics: one statistics object per spec metric, in spec order.
    """

    variant: str
    segment_column: str | None
    segment_value: str | None
    n: int
    metrics: tuple[Stats, ...]


@dataclass(frozen=True)
class Exposure:
    """Who is in the experiment as of a time, from the assignments table alone.

    Attributes:
        daily_units: (variant, day of first assignment, units) for the units kept in the analysis.
        excluded_multiple_variants: units assigned to more than one variant (left out everywhere).
    """

    daily_units: tuple[tuple[str, dt.date, int], ...]
    excluded_multiple_variants: int

    def units(self, variant: str) -> int:
        """Units of `variant` kept in the analysis."""
        return sum(units for name, _, units in self.daily_units if name == variant)


@dataclass(frozen=True)
class OfflineMetric:
    """The latest offline evaluation of one model on one metric.

    Attributes:
        model_id: the model.
        metric: the offline metric's name (e.g. auc, ndcg).
        value: its value (the metric's own unit).
        evaluated_at: when it was evaluated (naive UTC).
        dataset: the evaluation data set.
        n: examples evaluated, if known.
    """

    model_id: str
    metric: str
    value: float
    evaluated_at: dt.datetime
    dataset: str
    n: int | None


def save_definition(
    settings: StoreSettings, spec: ExperimentSpec, reason: str | None = None
) -> int:
    """Store `spec` as the next version of its id, with an audit row; returns the version."""
    payload = json.dumps(spec_to_dict(spec), ensure_ascii=False)
    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            row = con.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM experiment_definitions"
                " WHERE experiment_id = ?",
                [spec.id],
            ).fetchone()
            version = int(row[0]) if row else 1
            con.execute(
                "INSERT INTO experiment_definitions "
                "(experiment_id, version, defined_by, spec, defined_at) VALUES (?, ?, ?, ?, ?)",
                [spec.id, version, current_actor(), payload, system_clock()],
            )
            write_audit(
                con, "experiment.define", spec.id, {"version": version, "spec": payload}, reason
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return version


def _definition(row: tuple) -> DefinitionVersion:
    experiment_id, version, defined_at, defined_by, payload = row
    spec = parse_spec(json.loads(payload), origin=f"stored definition {experiment_id} v{version}")
    return DefinitionVersion(spec, int(version), defined_at, defined_by)


def load_definition(
    settings: StoreSettings, experiment_id: str, version: int | None = None
) -> DefinitionVersion:
    """The latest (or the given) version of a definition; raises UnknownExperimentError."""
    with connect(settings, read_only=True) as con:
        row = con.execute(
            "SELECT experiment_id, version, defined_at, defined_by, spec::VARCHAR"
            " FROM experiment_definitions WHERE experiment_id = ?"
            " AND (? IS NULL OR version = ?) ORDER BY version DESC LIMIT 1",
            [experiment_id, version, version],
        ).fetchone()
        if row is None:
            known = [r[0] for r in con.execute(_LATEST_IDS).fetchall()]
    if row is None:
        listed = ", ".join(known) if known else "none defined yet"
        raise UnknownExperimentError(
            f"No experiment {experiment_id!r}"
            + (f" version {version}" if version is not None else "")
            + f" in {settings.path} (known: {listed}). "
            "Define it with: python cli.py experiment define --spec FILE.toml"
        )
    return _definition(row)


_LATEST_IDS = "SELECT DISTINCT experiment_id FROM experiment_definitions ORDER BY 1"


def latest_definitions(settings: StoreSettings) -> list[DefinitionVersion]:
    """The latest version of every defined experiment, by id."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT experiment_id, version, defined_at, defined_by, spec::VARCHAR"
            " FROM experiment_definitions"
            " QUALIFY version = max(version) OVER (PARTITION BY experiment_id)"
            " ORDER BY experiment_id"
        ).fetchall()
    return [_definition(row) for row in rows]


def definition_history(settings: StoreSettings, experiment_id: str) -> list[DefinitionVersion]:
    """Every stored version of one experiment, oldest first."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT experiment_id, version, defined_at, defined_by, spec::VARCHAR"
            " FROM experiment_definitions WHERE experiment_id = ? ORDER BY version",
            [experiment_id],
        ).fetchall()
    return [_definition(row) for row in rows]


def _statistics_for(kind: str, cuped: bool, values: list) -> Stats:
    n, *sums = values
    if kind == "ratio":
        return RatioStats(int(n), *(float(v) for v in sums))
    if cuped:
        cls = ProportionCupedStats if kind == "proportion" else CupedStats
    else:
        cls = ProportionStats if kind == "proportion" else MeanStats
    return cls(int(n), *(float(v) for v in sums))


def _without_progress_bar(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB draws a progress bar on stdout for long queries, which would corrupt `--json`."""
    con.execute("SET enable_progress_bar = false")


def _cells(spec: ExperimentSpec, names: list[str], rows: list[tuple]) -> list[CellStatistics]:
    layout = metric_columns(spec)
    cells = []
    for row in rows:
        record = dict(zip(names, row, strict=True))
        segment = next(
            (
                (name, record[segment_column(position)])
                for position, name in enumerate(spec.segments)
                if record[grouping_column(position)] == 0
            ),
            (None, None),
        )
        metrics = tuple(
            _statistics_for(
                columns.metric.kind, columns.cuped, [record[name] for name in columns.names]
            )
            for columns in layout
        )
        cells.append(CellStatistics(record["variant"], *segment, int(record["n"]), metrics))
    return cells


def _exposure(rows: list[tuple]) -> Exposure:
    daily = tuple(
        sorted((variant, day, int(units)) for variant, day, units in rows if variant is not None)
    )
    excluded = sum(int(units) for variant, _, units in rows if variant is None)
    return Exposure(daily, excluded)


def fetch_statistics(
    settings: StoreSettings, spec: ExperimentSpec, until: dt.datetime
) -> list[CellStatistics]:
    """Sufficient statistics per variant and per (variant, segment value) as of `until`."""
    cells, _ = fetch_experiment(settings, spec, until)
    return cells


def fetch_exposure(settings: StoreSettings, spec: ExperimentSpec, until: dt.datetime) -> Exposure:
    """Units per variant and day of assignment, and the units excluded for multiple variants."""
    query = exposure_query(spec, until).sql(dialect="duckdb")
    with connect(settings, read_only=True) as con:
        _without_progress_bar(con)
        rows = con.execute(query).fetchall()
    return _exposure(rows)


def fetch_experiment(
    settings: StoreSettings, spec: ExperimentSpec, until: dt.datetime
) -> tuple[list[CellStatistics], int]:
    """The statistics cells and the count of units excluded for several variants, in one query."""
    with connect(settings, read_only=True) as con:
        _without_progress_bar(con)
        cursor = con.execute(statistics_query(spec, until).sql(dialect="duckdb"))
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    position = names.index(EXCLUDED_COLUMN)
    excluded = int(rows[0][position]) if rows else 0
    return _cells(spec, names, rows), excluded


def fetch_cumulative(
    settings: StoreSettings, spec: ExperimentSpec, looks: tuple[dt.datetime, ...]
) -> dict[dt.datetime, list[CellStatistics]]:
    """Whole-arm statistics at each look (see `experiments.sql.cumulative_query`), one query."""
    flat = replace(spec, segments=())
    with connect(settings, read_only=True) as con:
        _without_progress_bar(con)
        cursor = con.execute(cumulative_query(flat, looks).sql(dialect="duckdb"))
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    by_look: dict[dt.datetime, list[CellStatistics]] = {look: [] for look in looks}
    position = names.index("look")
    for row in rows:
        by_look[looks[int(row[position])]] += _cells(flat, names, [row])
    return by_look


def latest_event_time(settings: StoreSettings) -> dt.datetime | None:
    """Timestamp of the newest event in the store (for the data-freshness check)."""
    with connect(settings, read_only=True) as con:
        row = con.execute("SELECT max(ts) FROM events").fetchone()
    return row[0] if row else None


def latest_offline_metrics(
    settings: StoreSettings, model_ids: tuple[str, ...]
) -> list[OfflineMetric]:
    """The newest offline evaluation of each (model, metric) for the given models."""
    if not model_ids:
        return []
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT model_id, metric, value, evaluated_at, dataset, n FROM offline_metrics"
            " WHERE list_contains(?, model_id)"
            " QUALIFY row_number() OVER"
            " (PARTITION BY model_id, metric ORDER BY evaluated_at DESC) = 1"
            " ORDER BY model_id, metric",
            [list(model_ids)],
        ).fetchall()
    return [
        OfflineMetric(model_id, metric, float(value), evaluated_at, dataset, n)
        for model_id, metric, value, evaluated_at, dataset, n in rows
    ]


def _demo_specs(start: dt.datetime, end: dt.datetime) -> list[dict[str, object]]:
    """The three experiments of the demo data (see data.demo), as spec dictionaries."""
    revenue = {"name": "revenue", "kind": "mean", "event": "purchase", "role": "secondary"}
    converted = {"name": "converted", "kind": "proportion", "event": "purchase"}
    ctr = {
        "name": "ctr",
        "kind": "ratio",
        "numerator": "click",
        "denominator": "impression",
        "role": "primary",
    }
    latency = {
        "name": "latency",
        "kind": "mean",
        "event": "latency_ms",
        "role": "guardrail",
        "direction": "decrease",
        # The business tolerates a slower page for better recommendations, up to a tenth.
        "non_inferiority_margin": 0.10,
    }
    common = {"start": start, "end": end, "cuped_days": 14, "segments": ["device", "region"]}
    return [
        {
            "id": "rec-v3-vs-v2",
            "name": "Recommender v3 against v2",
            "hypothesis": "v3 raises CTR and revenue without hurting latency",
            "control": "v2",
            "variants": {"v2": 0.5, "v3": 0.5},
            "variant_models": {"v2": "recommender-v2", "v3": "recommender-v3"},
            "planned_mde": 0.02,
            "metrics": [ctr, {**revenue, "cap_percentile": 0.99}, converted, latency],
            **common,
        },
        {
            "id": "aa-homepage",
            "name": "Homepage A/A check",
            "hypothesis": "Identical arms: no metric should move",
            "control": "control",
            "variants": {"control": 0.5, "treatment": 0.5},
            "metrics": [{**converted, "role": "primary"}, revenue, {**ctr, "role": "secondary"}],
            **common,
        },
        {
            "id": "banner-split",
            "name": "New banner",
            "hypothesis": "The new banner raises conversion",
            "control": "control",
            "variants": {"control": 0.5, "new_banner": 0.5},
            "method": "sequential",
            "metrics": [{**converted, "role": "primary"}, revenue],
            **common,
        },
    ]


def define_demo_experiments(settings: StoreSettings) -> list[str]:
    """Define the demo's three experiments on a freshly built demo store; returns their ids.

    The window is the demo's test period: from the first assignment's midnight, four weeks.
    """
    with connect(settings, read_only=True) as con:
        row = con.execute(
            "SELECT min(assigned_at)::DATE FROM assignments WHERE experiment_id = 'rec-v3-vs-v2'"
        ).fetchone()
    if row is None or row[0] is None:
        raise ValueError(f"{settings.path} holds no demo assignments to define experiments on")
    start = dt.datetime.combine(row[0], dt.time())
    end = start + dt.timedelta(days=DEMO_EXPERIMENT_DAYS)
    ids = []
    for raw in _demo_specs(start, end):
        spec = parse_spec(raw, origin=f"demo experiment {raw['id']}")
        save_definition(settings, spec, reason="demo data set")
        ids.append(spec.id)
    return ids

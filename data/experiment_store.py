"""Experiment definitions and the rows of the experiment queries, read and written in the store.

Repository functions take an open connection (`con`), so a use case (services/experiments.py)
reads definitions and statistics from one snapshot and writes in one transaction. Definitions are
versioned (defining an id again adds a version, history kept, each write audited). Statistics come
from the SQL built in `experiments.sql` and leave here as rows keyed by column name; only sums per
variant and segment leave DuckDB, never unit-level rows. Turning rows into statistics is the
domain's (`experiments.cells`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from core.tables import STORE_TABLES, TableMapping
from data.store import StoreSettings, current_actor, transaction, write_audit
from experiments.analysis import OfflineMetric
from experiments.cells import Record
from experiments.spec import ExperimentSpec, parse_spec, spec_to_dict
from experiments.sql import analysis_query, cumulative_query

DEMO_EXPERIMENT_DAYS = 28

Connection = duckdb.DuckDBPyConnection
"""An open store connection, as the use cases hold it (they never import duckdb)."""

_COLUMNS = "experiment_id, version, defined_at, defined_by, spec::VARCHAR"


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


def insert_definition(
    con: duckdb.DuckDBPyConnection,
    spec: ExperimentSpec,
    defined_at: dt.datetime,
    reason: str | None = None,
) -> int:
    """Write `spec` as the next version of its id with its audit row, in the caller's
    transaction (`data.store.transaction`, which says why a failed commit failed).

    The spec arrives validated (the domain's `parse_spec`); this only writes rows. Returns the
    version written.
    """
    payload = json.dumps(spec_to_dict(spec), ensure_ascii=False)
    row = con.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM experiment_definitions WHERE experiment_id = ?",
        [spec.id],
    ).fetchone()
    version = int(row[0]) if row else 1
    con.execute(
        "INSERT INTO experiment_definitions "
        "(experiment_id, version, defined_by, spec, defined_at) VALUES (?, ?, ?, ?, ?)",
        [spec.id, version, current_actor(), payload, defined_at],
    )
    write_audit(
        con,
        "experiment.define",
        spec.id,
        {"version": version, "spec": payload},
        reason,
        at=defined_at,
    )
    return version


def _definition(row: tuple[Any, ...]) -> DefinitionVersion:
    experiment_id, version, defined_at, defined_by, payload = row
    spec = parse_spec(json.loads(payload), origin=f"stored definition {experiment_id} v{version}")
    return DefinitionVersion(spec, int(version), defined_at, str(defined_by))


def find_definition(
    con: duckdb.DuckDBPyConnection, experiment_id: str, version: int | None = None
) -> DefinitionVersion | None:
    """The latest (or the given) version of a definition, or None when there is none."""
    row = con.execute(
        f"SELECT {_COLUMNS} FROM experiment_definitions WHERE experiment_id = ?"
        " AND (? IS NULL OR version = ?) ORDER BY version DESC LIMIT 1",
        [experiment_id, version, version],
    ).fetchone()
    return None if row is None else _definition(row)


def defined_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every defined experiment id, sorted."""
    rows = con.execute(
        "SELECT DISTINCT experiment_id FROM experiment_definitions ORDER BY 1"
    ).fetchall()
    return [str(row[0]) for row in rows]


def latest_definitions(con: duckdb.DuckDBPyConnection) -> list[DefinitionVersion]:
    """The latest version of every defined experiment, by id."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM experiment_definitions"
        " QUALIFY version = max(version) OVER (PARTITION BY experiment_id)"
        " ORDER BY experiment_id"
    ).fetchall()
    return [_definition(row) for row in rows]


def definition_history(
    con: duckdb.DuckDBPyConnection, experiment_id: str
) -> list[DefinitionVersion]:
    """Every stored version of one experiment, oldest first."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM experiment_definitions WHERE experiment_id = ? ORDER BY version",
        [experiment_id],
    ).fetchall()
    return [_definition(row) for row in rows]


def records(con: duckdb.DuckDBPyConnection, sql: str) -> list[Record]:
    """The rows of `sql`, each a dict keyed by the cursor's column names."""
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def analysis_records(
    con: duckdb.DuckDBPyConnection,
    spec: ExperimentSpec,
    until: dt.datetime,
    tables: TableMapping = STORE_TABLES,
) -> list[Record]:
    """The rows of `experiments.sql.analysis_query` as of `until`: statistics and exposure rows
    from one statement (split them with `experiments.cells.split_analysis_records`)."""
    return records(con, analysis_query(spec, until, tables).sql(dialect="duckdb"))


def cumulative_records(
    con: duckdb.DuckDBPyConnection,
    spec: ExperimentSpec,
    looks: tuple[dt.datetime, ...],
    tables: TableMapping = STORE_TABLES,
) -> list[Record]:
    """The rows of `experiments.sql.cumulative_query` at the given looks."""
    return records(con, cumulative_query(spec, looks, tables).sql(dialect="duckdb"))


def latest_event_time(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """Timestamp of the newest event in the store (for the data-freshness check)."""
    row = con.execute("SELECT max(ts) FROM events").fetchone()
    return row[0] if row else None


def latest_offline_metrics(
    con: duckdb.DuckDBPyConnection, model_ids: tuple[str, ...]
) -> list[OfflineMetric]:
    """The newest offline evaluation of each (model, metric) for the given models."""
    if not model_ids:
        return []
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


def define_demo_experiments(settings: StoreSettings, now: dt.datetime) -> list[str]:
    """Define the demo's three experiments on a freshly built demo store; returns their ids.

    The window is the demo's test period: from the first assignment's midnight, four weeks. One
    transaction: the three are defined together or not at all.
    """
    with transaction(settings) as con:
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
            insert_definition(con, spec, now, reason="demo data set")
            ids.append(spec.id)
    return ids

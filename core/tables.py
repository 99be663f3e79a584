"""The port to a warehouse: which table and columns hold each kind of data.

Query builders (experiments/sql.py, kpi/sql.py) take a `TableMapping` and return SQLGlot
expressions over it, never a hard-coded name, so the same metric SQL can be rendered for another
engine (Spark) over that engine's tables. `STORE_TABLES` is the embedded DuckDB store's layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    """One table and the names of the columns a builder needs, keyed by their logical role.

    Attributes:
        name: the table's name in the engine (may be qualified, e.g. `warehouse.events`).
        columns: logical column name -> the engine's column name.
    """

    name: str
    columns: dict[str, str] = field(default_factory=dict)

    def column(self, role: str) -> str:
        """The engine's name of the column playing `role` (the role itself when not mapped)."""
        return self.columns.get(role, role)


@dataclass(frozen=True)
class TableMapping:
    """Where each kind of data lives.

    Logical columns: models (model_id, family, version, stage, deployed_at, retired_at);
    online_metrics (date, model_id, metric, value, n, std); offline_metrics (model_id, metric,
    value, evaluated_at, dataset, n); assignments (experiment_id, unit_id, variant, assigned_at,
    attributes); events (unit_id, event, value, ts); predictions (ts, model_id, request_id, score,
    served_by, latency_ms, label, and one column per input feature, named as the feature);
    prediction_labels (model_id, request_id, label: labels that arrived after their predictions);
    annotations (date, family, kind, note, author).
    """

    models: Table = Table("models")
    online_metrics: Table = Table("online_metrics")
    offline_metrics: Table = Table("offline_metrics")
    assignments: Table = Table("assignments")
    events: Table = Table("events")
    predictions: Table = Table("predictions")
    prediction_labels: Table = Table("prediction_labels")
    annotations: Table = Table("annotations")


STORE_TABLES = TableMapping()

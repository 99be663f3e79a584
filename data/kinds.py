"""What each kind of input file must hold: its columns, their types, and its natural key.

The natural key makes loading idempotent: a row whose key is already stored is skipped when its
other values agree and refused when they differ, so nothing is ever silently overwritten. Events
have none (identical rows are repeated events): their loads are recognised by the file's bytes,
and an optional `event_id` is a key where the source has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.vocab import ANNOTATION_KINDS


class ColumnType(StrEnum):
    """The logical type of an input column, and the DuckDB type it is stored as."""

    TEXT = "VARCHAR"
    FLOAT = "DOUBLE"
    COUNT = "BIGINT"
    TIMESTAMP = "TIMESTAMP"
    DATE = "DATE"


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an input kind.

    Attributes:
        name: the column's name in the file and in the table.
        type: its logical type.
        required: a file without this column is refused.
        key: part of the natural key (may never be empty when also required; an optional key
            column, such as an event's event_id, leaves a row without it unkeyed).
        default: SQL literal used when an optional column is absent or empty.
        non_negative: negative values are refused (counts, spreads).
        choices: the only values allowed, if the column is a vocabulary.
    """

    name: str
    type: ColumnType
    required: bool = True
    key: bool = False
    default: str | None = None
    non_negative: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindSpec:
    """One kind of input file and the table it lands in.

    Attributes:
        name: the kind, as given to `--kind`.
        table: the store table.
        columns: the known columns, in table order.
        model_column: a column that must name a registered model, if any.
        extra_columns_as: the JSON column that keeps unknown columns (assignments' segment
            attributes); None refuses unknown columns.
        feature_columns: unknown columns are the model's input features, each stored as a typed
            column of its own (predictions; see data/prediction_features.py).
        insert_order: columns a load's rows are sorted by before they are written, so each row
            group holds a narrow range of them: timestamps then compress by their small deltas
            and a time-window read skips the other row groups by their min/max (zone maps).
            Order only; no value changes.
    """

    name: str
    table: str
    columns: tuple[ColumnSpec, ...]
    model_column: str | None = None
    extra_columns_as: str | None = None
    feature_columns: bool = False
    insert_order: tuple[str, ...] = ()

    @property
    def key_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def has_natural_key(self) -> bool:
        """True when every row has a key (all key columns required): loading it again is
        idempotent row by row. Without one (events), a load is recognised by its file's bytes."""
        return bool(self.key_columns) and all(self.column(k).required for k in self.key_columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


# Online metrics that are counts of things: a negative value is a data error, not a measurement.
COUNT_METRICS = frozenset(
    {"tp", "fp", "tn", "fn", "impressions", "clicks", "sessions", "requests", "conversions"}
)

MODEL_STAGES = ("production", "challenger")

KINDS: dict[str, KindSpec] = {
    "models": KindSpec(
        name="models",
        table="models",
        columns=(
            ColumnSpec("model_id", ColumnType.TEXT, key=True),
            ColumnSpec("family", ColumnType.TEXT),
            ColumnSpec("version", ColumnType.TEXT),
            ColumnSpec("deployed_at", ColumnType.TIMESTAMP),
            ColumnSpec("retired_at", ColumnType.TIMESTAMP, required=False),
            ColumnSpec("notes", ColumnType.TEXT, required=False),
            ColumnSpec("stage", ColumnType.TEXT, required=False, default="'production'"),
        ),
    ),
    "offline_metrics": KindSpec(
        name="offline_metrics",
        table="offline_metrics",
        columns=(
            ColumnSpec("model_id", ColumnType.TEXT, key=True),
            ColumnSpec("metric", ColumnType.TEXT, key=True),
            ColumnSpec("value", ColumnType.FLOAT),
            ColumnSpec("evaluated_at", ColumnType.TIMESTAMP, key=True),
            ColumnSpec("dataset", ColumnType.TEXT, key=True),
            ColumnSpec("n", ColumnType.COUNT, required=False, non_negative=True),
        ),
        model_column="model_id",
    ),
    "online_metrics": KindSpec(
        name="online_metrics",
        table="online_metrics",
        columns=(
            ColumnSpec("date", ColumnType.DATE, key=True),
            ColumnSpec("model_id", ColumnType.TEXT, key=True),
            ColumnSpec("metric", ColumnType.TEXT, key=True),
            ColumnSpec("value", ColumnType.FLOAT),
            ColumnSpec("n", ColumnType.COUNT, required=False, non_negative=True),
            ColumnSpec("std", ColumnType.FLOAT, required=False, non_negative=True),
        ),
        model_column="model_id",
    ),
    "assignments": KindSpec(
        name="assignments",
        table="assignments",
        columns=(
            ColumnSpec("experiment_id", ColumnType.TEXT, key=True),
            ColumnSpec("unit_id", ColumnType.TEXT, key=True),
            ColumnSpec("variant", ColumnType.TEXT, key=True),
            ColumnSpec("assigned_at", ColumnType.TIMESTAMP),
        ),
        extra_columns_as="attributes",
    ),
    "events": KindSpec(
        name="events",
        table="events",
        columns=(
            ColumnSpec("unit_id", ColumnType.TEXT),
            ColumnSpec("event", ColumnType.TEXT),
            ColumnSpec("value", ColumnType.FLOAT, required=False, default="1"),
            ColumnSpec("ts", ColumnType.TIMESTAMP),
            # Events have no natural key: identical rows are real, repeated events. A source
            # that numbers its events gives event_id, and a row with a stored event_id is
            # skipped (same values) or refused (different values), as a key.
            ColumnSpec("event_id", ColumnType.TEXT, required=False, key=True),
        ),
    ),
    # What a model served. A prediction is known by (model_id, ts, request_id); request_id is ''
    # when the file gives none. Every other column is an input feature (prediction_features.py).
    "predictions": KindSpec(
        name="predictions",
        table="predictions",
        columns=(
            ColumnSpec("ts", ColumnType.TIMESTAMP, key=True),
            ColumnSpec("model_id", ColumnType.TEXT, key=True),
            ColumnSpec("request_id", ColumnType.TEXT, required=False, key=True, default="''"),
            ColumnSpec("score", ColumnType.FLOAT),
            ColumnSpec("served_by", ColumnType.TEXT, required=False, default="'model'"),
            ColumnSpec("latency_ms", ColumnType.FLOAT, required=False, non_negative=True),
            ColumnSpec("label", ColumnType.FLOAT, required=False),
        ),
        model_column="model_id",
        feature_columns=True,
        insert_order=("ts",),
    ),
    # Labels that arrive after their predictions (fraud confirmed weeks later): matched to the
    # prediction with the same model_id and request_id when monitors and estimates read labels.
    "labels": KindSpec(
        name="labels",
        table="prediction_labels",
        columns=(
            ColumnSpec("model_id", ColumnType.TEXT, key=True),
            ColumnSpec("request_id", ColumnType.TEXT, key=True),
            ColumnSpec("label", ColumnType.FLOAT),
        ),
        model_column="model_id",
    ),
    # What changed around a model, in words: a data, label, parameter, algorithm, business or
    # infrastructure change on a day.
    "annotations": KindSpec(
        name="annotations",
        table="annotations",
        columns=(
            ColumnSpec("date", ColumnType.DATE, key=True),
            ColumnSpec("family", ColumnType.TEXT, key=True),
            ColumnSpec("kind", ColumnType.TEXT, key=True, choices=ANNOTATION_KINDS),
            ColumnSpec("note", ColumnType.TEXT, key=True),
            ColumnSpec("author", ColumnType.TEXT, required=False),
        ),
    ),
}

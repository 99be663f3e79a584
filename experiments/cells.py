"""Rows of the statistics queries as typed sufficient statistics (pure: no store access).

The store runs the queries built in `experiments.sql` and hands back each row as a mapping from
column name to value (taken from the cursor's description); everything here reads those rows by
column name, so the mapping survives any reordering of the query's columns or another engine
returning them in its own order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from experiments.spec import ExperimentSpec
from experiments.sql import (
    EXCLUDED_COLUMN,
    LOOK_COLUMN,
    OUTSIDE_COLUMN,
    PART_COLUMN,
    STATISTICS_PART,
    MetricColumns,
    grouping_column,
    metric_columns,
    segment_column,
    uncapped_column,
)
from experiments.sufficient import Stats, statistics_class

Record = Mapping[str, Any]
"""One result row: column name -> value."""


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
        uncapped_sums: per spec metric, the sum of its values before capping (metric units);
            None for a metric without `cap_percentile` or a query that does not return it.
    """

    variant: str
    segment_column: str | None
    segment_value: str | None
    n: int
    metrics: tuple[Stats, ...]
    uncapped_sums: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Exposure:
    """Who is in the experiment as of a time, from the assignments table alone.

    Attributes:
        daily_units: (variant, day of first assignment, units) for the units kept in the analysis.
        excluded_multiple_variants: units assigned to more than one variant (left out everywhere).
        excluded_outside_window: units first assigned before the experiment's start, or only at
            or after its end (left out everywhere).
    """

    daily_units: tuple[tuple[str, dt.date, int], ...]
    excluded_multiple_variants: int
    excluded_outside_window: int = 0

    def units(self, variant: str) -> int:
        """Units of `variant` kept in the analysis."""
        return sum(units for name, _, units in self.daily_units if name == variant)


def metric_statistics(columns: MetricColumns, record: Record) -> Stats:
    """One metric's statistics object from its named columns of a row.

    The class follows the metric's kind and whether CUPED columns are present; each field is
    filled by keyword from the column named after it (`columns.column`), so neither the order of
    the row's columns nor that of the class's fields can pair a sum with the wrong field.
    """
    cls = statistics_class(columns.metric.kind, columns.cuped)
    values: dict[str, Any] = {}
    for field in fields(cls):
        value = record[columns.column(field.name)]
        values[field.name] = int(value) if field.name == "n" else float(value)
    return cls(**values)


def _segment_of(spec: ExperimentSpec, record: Record) -> tuple[str | None, str | None]:
    """(segment column, value) of a row, or (None, None) for a whole-arm row."""
    for position, name in enumerate(spec.segments):
        if record[grouping_column(position)] == 0:
            return name, str(record[segment_column(position)])
    return None, None


def cell_from_record(spec: ExperimentSpec, record: Record) -> CellStatistics:
    """One statistics row of `analysis_query` (or a row of `cumulative_query`) as a cell."""
    column, value = _segment_of(spec, record)
    metrics = tuple(metric_statistics(columns, record) for columns in metric_columns(spec))
    uncapped = tuple(
        float(record[uncapped_column(index)])
        if metric.cap_percentile is not None and uncapped_column(index) in record
        else None
        for index, metric in enumerate(spec.metrics)
    )
    return CellStatistics(
        str(record["variant"]), column, value, int(record["n"]), metrics, uncapped
    )


def cells_from_records(
    spec: ExperimentSpec, records: Sequence[Record]
) -> tuple[list[CellStatistics], int]:
    """The cells of `analysis_query`'s statistics rows, and the units excluded for several variants.

    The excluded count is the same on every row; with no rows there is nobody to exclude.
    """
    excluded = int(records[0][EXCLUDED_COLUMN]) if records else 0
    return [cell_from_record(spec, record) for record in records], excluded


def cumulative_cells(
    spec: ExperimentSpec, looks: Sequence[dt.datetime], records: Sequence[Record]
) -> dict[dt.datetime, list[CellStatistics]]:
    """Whole-arm cells per look from the rows of `cumulative_query(spec, looks)`.

    Every look is a key, with an empty list when no unit had been assigned by then.
    """
    by_look: dict[dt.datetime, list[CellStatistics]] = {look: [] for look in looks}
    whole_arms = replace(spec, segments=())
    for record in records:
        by_look[looks[int(record[LOOK_COLUMN])]].append(cell_from_record(whole_arms, record))
    return by_look


def split_analysis_records(records: Sequence[Record]) -> tuple[list[Record], list[Record]]:
    """(statistics rows, exposure rows) of `analysis_query`, told apart by its `part` column."""
    statistics = [r for r in records if r[PART_COLUMN] == STATISTICS_PART]
    exposure = [r for r in records if r[PART_COLUMN] != STATISTICS_PART]
    return statistics, exposure


def exposure_from_records(records: Sequence[Record]) -> Exposure:
    """Daily units per variant from the exposure rows of `analysis_query`.

    The row without a variant counts the units excluded for being in several variants, and
    carries the units excluded for falling outside the window.
    """
    daily = tuple(
        sorted(
            (str(r["variant"]), r["day"], int(r["units"]))
            for r in records
            if r["variant"] is not None
        )
    )
    excluded = [r for r in records if r["variant"] is None]
    return Exposure(
        daily,
        sum(int(r["units"]) for r in excluded),
        sum(int(r[OUTSIDE_COLUMN]) for r in excluded),
    )

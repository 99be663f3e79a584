"""The store side of explanations: a family's annotations as changes, and drift readings of every
window tiled around an event, one query per feature (plus the reference's summary).

Deployments come from `data.kpi_store.deployments` and daily serving from `data.monitor_store`;
no prediction row leaves DuckDB.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from core.tables import STORE_TABLES, TableMapping
from data.store import one_row
from monitoring import sql as monitor_sql
from monitoring.check import CategoricalReadings, NumericReadings
from monitoring.drift import numeric_bin_edges
from monitoring.explain import Change
from monitoring.explain_sql import (
    REFERENCE_SLOT,
    annotations_query,
    slotted_bins_query,
    slotted_categories_query,
    slotted_sample_query,
)

Connection = duckdb.DuckDBPyConnection
Days = tuple[dt.date, dt.date]
_BINS = monitor_sql.ABOVE + 1


def annotation_changes(
    con: Connection, family: str, tables: TableMapping = STORE_TABLES
) -> list[Change]:
    """The family's annotations as changes (what: the kind, detail: the note, source: the
    author), oldest first."""
    rows = con.execute(annotations_query(family, tables).sql(dialect="duckdb")).fetchall()
    return [
        Change(
            kind="annotation",
            date=day,
            what=str(kind),
            detail=str(note),
            source=None if author is None else str(author),
        )
        for day, kind, note, author in rows
        if isinstance(day, dt.date)
    ]


def windowed_numeric_readings(
    con: Connection,
    family: str,
    column: str,
    reference: Days,
    first_start: dt.date,
    window_days: int,
    windows: int,
    tables: TableMapping = STORE_TABLES,
) -> list[NumericReadings]:
    """Per window (in order) the bins of one numeric feature on the reference's deciles, as the
    monitor check counts them; KS and Wasserstein are not read (None), as they need a sort of each
    window against the reference."""
    summary = one_row(
        con.execute(
            monitor_sql.reference_summary_query(family, column, reference, tables).sql("duckdb")
        ).fetchone()
    )
    reference_n, minimum, maximum, sd, *deciles = summary
    if not reference_n:
        return [NumericReadings(0, 0, [0] * _BINS, [0] * _BINS, None, None, None)] * windows
    edges = numeric_bin_edges(float(minimum), [float(q) for q in deciles], float(maximum))
    sample = slotted_sample_query(
        family, column, reference, first_start, window_days, windows, tables
    )
    counts = {slot: [0] * _BINS for slot in range(REFERENCE_SLOT, windows)}
    for slot, index, n in con.execute(slotted_bins_query(sample, edges).sql("duckdb")).fetchall():
        counts[int(slot)][int(index)] = int(n)
    return [
        NumericReadings(
            reference_n=int(reference_n),
            window_n=sum(counts[slot]),
            reference_bins=counts[REFERENCE_SLOT],
            window_bins=counts[slot],
            ks=None,
            wasserstein=None,
            reference_sd=None if sd is None else float(sd),
        )
        for slot in range(windows)
    ]


def windowed_categorical_readings(
    con: Connection,
    family: str,
    column: str,
    reference: Days,
    first_start: dt.date,
    window_days: int,
    windows: int,
    tables: TableMapping = STORE_TABLES,
) -> list[CategoricalReadings]:
    """Per window (in order) the counts per category of one categorical feature, with the
    reference's."""
    sample = slotted_sample_query(
        family, column, reference, first_start, window_days, windows, tables
    )
    counts: dict[int, dict[str | None, int]] = {slot: {} for slot in range(REFERENCE_SLOT, windows)}
    for slot, category, n in con.execute(slotted_categories_query(sample).sql("duckdb")).fetchall():
        counts[int(slot)][str(category)] = int(n)
    return [CategoricalReadings(counts[REFERENCE_SLOT], counts[slot]) for slot in range(windows)]

"""The store side of the Monitoring page's charts: a numeric feature's reference bins with their
edges, read with the monitoring/sql.py builders (counts per bin only; no prediction leaves
DuckDB)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.tables import STORE_TABLES, TableMapping
from data.monitor_store import Connection
from data.store import one_row
from monitoring import sql
from monitoring.drift import numeric_bin_edges

Days = tuple[dt.date, dt.date]
_BINS = sql.ABOVE + 1


@dataclass(frozen=True)
class BinnedFeature:
    """A numeric feature binned on its reference's deciles.

    Attributes:
        edges: minimum, the nine deciles, maximum of the reference (empty without a reference).
        reference: counts per bin (below the minimum, ten decile bins, above the maximum).
        window: the current window's counts over the same bins.
    """

    edges: tuple[float, ...]
    reference: tuple[int, ...]
    window: tuple[int, ...]


def reference_edges(
    con: Connection,
    family: str,
    column: str,
    reference: Days,
    tables: TableMapping = STORE_TABLES,
) -> tuple[float, ...]:
    """Minimum, the nine deciles and maximum of the reference (empty when it has no value)."""
    summary = one_row(
        con.execute(
            sql.reference_summary_query(family, column, reference, tables).sql("duckdb")
        ).fetchone()
    )
    reference_n, minimum, maximum, _sd, *deciles = summary
    if not reference_n:
        return ()
    return numeric_bin_edges(float(minimum), [float(q) for q in deciles], float(maximum))


def binned_feature(
    con: Connection,
    family: str,
    column: str,
    reference: Days,
    window: Days,
    edges: tuple[float, ...] | None = None,
    tables: TableMapping = STORE_TABLES,
) -> BinnedFeature:
    """The bins of one numeric feature in the reference and the window, with their edges (pass
    `edges` to reuse the reference's when reading several windows)."""
    if edges is None:
        edges = reference_edges(con, family, column, reference, tables)
    if not edges:
        return BinnedFeature((), (0,) * _BINS, (0,) * _BINS)
    query = sql.binned_counts_query(family, column, reference, window, edges, tables)
    counts = {sql.REFERENCE: [0] * _BINS, sql.WINDOW: [0] * _BINS}
    for side, index, n in con.execute(query.sql("duckdb")).fetchall():
        counts[str(side)][int(str(index))] = int(str(n))
    return BinnedFeature(edges, tuple(counts[sql.REFERENCE]), tuple(counts[sql.WINDOW]))

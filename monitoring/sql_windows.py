"""SQLGlot builders of drift per window in ONE pass: every window's bin or category counts of one
feature from a single scan, for the Monitoring page's heat map (the per-window reads of
monitoring/sql.py would scan the predictions once per window).

Windows are back-to-back, `window_days` long, the first starting on `first`; a row's window is
`(its day - first) // window_days`. Bins are those of `monitoring.sql.bin_expression` (the
reference's deciles with two open ends), categories as `category_counts_query` reads them, so a
window's counts equal what `monitor check` reads for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlglot import exp

from core.tables import STORE_TABLES, TableMapping
from monitoring.sql import _col, _family_rows, bin_expression


def windowed_counts_query(
    family: str,
    column: str,
    first: dt.date,
    last: dt.date,
    window_days: int,
    edges: Sequence[float] | None,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """Rows (slot, bucket, n) over the days `first`..`last`: `slot` is the window's index (0 =
    the first), `bucket` the numeric bin (with `edges`) or, without edges, the category as text."""
    select, where = _family_rows(family, (first, last), tables, model_only=False)
    value = _col(tables.predictions, column, "p")
    day = exp.cast(_col(tables.predictions, "ts", "p"), "DATE")
    since = exp.DateDiff(
        this=day,
        expression=exp.cast(exp.Literal.string(first.isoformat()), "DATE"),
        unit=exp.Var(this="DAY"),
    )
    slot = exp.IntDiv(this=since, expression=exp.Literal.number(window_days))
    bucket = (
        bin_expression(value.copy(), edges)
        if edges is not None
        else exp.cast(value.copy(), "VARCHAR")
    )
    not_null = exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))
    rows = select.select(slot.as_("slot"), bucket.as_("bucket")).where(exp.and_(where, not_null))
    return (
        exp.select("slot", "bucket", exp.Count(this=exp.Star()).as_("n"))
        .from_(rows.subquery("w"))
        .group_by("slot", "bucket")
        .order_by("slot", "bucket")
    )

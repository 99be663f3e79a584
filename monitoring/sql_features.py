"""SQLGlot builders that read EVERY watched feature of a monitor in one scan.

`monitor check` at scale (100 million predictions) cannot afford a scan, a sort and a grouping per
feature. Two statements do the work for all features at once (GROUPING SETS, one set per feature);
the reference's deciles stay DuckDB's `quantile_cont` (monitoring.sql.reference_summary_query, one
sort per feature), so every face bins on the same edges:

- `distances_query`: per numeric feature, its values grouped to (x, count in the reference, count
  in the window); from that table DuckDB derives the exact KS statistic and Wasserstein distance
  (the ECDFs step only at distinct values). The grouping is cheap when values have limited
  precision (prices to the cent, counts, whole seconds): its cost grows with distinct values.
- `bucket_counts_query`: per feature, how many values fall in each numeric bin (the reference's
  deciles, `monitoring.sql.bin_expression`) or category, per window (`Span`): the latest window
  for `monitor check`, or every window of the Monitoring page's heat map.

Same windows, bins and rules as the per-feature builders of monitoring/sql.py; user text enters as
literals and quoted identifiers; no DuckDB-only syntax, so `.sql(dialect="spark")` runs there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from core.tables import STORE_TABLES, TableMapping
from monitoring.sql import (
    MODEL,
    REFERENCE,
    WINDOW,
    Days,
    _col,
    _family_rows,
    _fragment,
    bin_expression,
)


@dataclass(frozen=True)
class Watched:
    """A column a monitor reads: a feature, or the score (`model_only`: rows the model served)."""

    column: str
    model_only: bool = False


@dataclass(frozen=True)
class Span:
    """Days `first`..`last` cut into windows of `window_days`; a row's slot is `offset` plus its
    window's index (the reference: one window, slot -1; the heat map's windows: 0, 1, ...)."""

    first: dt.date
    last: dt.date
    window_days: int
    offset: int


def _value(watched: Watched, tables: TableMapping) -> exp.Expression:
    value = _col(tables.predictions, watched.column, "p")
    if not watched.model_only:
        return value
    served = exp.EQ(
        this=_col(tables.predictions, "served_by", "p"), expression=exp.Literal.string(MODEL)
    )
    return exp.Case(ifs=[exp.If(this=served, true=value)])


def _name(index: int) -> str:
    return f"v{index}"


def _which(names: Sequence[str], values: Sequence[exp.Expression]) -> exp.Expression:
    """In a GROUPING SETS result, the value of the set a row belongs to."""
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.EQ(
                    this=exp.Anonymous(this="GROUPING", expressions=[exp.column(name)]),
                    expression=exp.Literal.number(0),
                ),
                true=value,
            )
            for name, value in zip(names, values, strict=True)
        ]
    )


def _sum_if(side: exp.Expression) -> exp.Expression:
    return exp.Sum(
        this=exp.Case(
            ifs=[exp.If(this=side, true=exp.Literal.number(1))], default=exp.Literal.number(0)
        )
    )


def _rows(
    family: str,
    days: Days,
    side: exp.Expression,
    watched: Sequence[Watched],
    tables: TableMapping,
) -> exp.Select:
    select, where = _family_rows(family, days, tables, model_only=False)
    values = [_value(w, tables).as_(_name(k)) for k, w in enumerate(watched)]
    return select.select(side.as_("side"), *values).where(where)


def distances_query(
    family: str,
    numeric: Sequence[Watched],
    reference: Days,
    window: Days,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """Rows (feature, n_reference, n_window, ks, wasserstein), one per numeric column with a value
    (`feature` = its index in `numeric`): the exact KS statistic and 1-Wasserstein distance
    between the reference's and the window's values, as `monitoring.sql.ecdf_distance_query`
    computes them for one column, for every column from one scan."""
    sides = _rows(family, reference, exp.Literal.string(REFERENCE), numeric, tables)
    in_window = _rows(family, window, exp.Literal.string(WINDOW), numeric, tables)
    sample = exp.union(sides, in_window, distinct=False)
    names = [_name(k) for k in range(len(numeric))]
    side = exp.column("side")
    grouped = (
        exp.select(
            _which(names, [exp.Literal.number(k) for k in range(len(names))]).as_("feature"),
            _which(names, [exp.cast(exp.column(n), "DOUBLE") for n in names]).as_("x"),
            _sum_if(exp.EQ(this=side, expression=exp.Literal.string(REFERENCE))).as_("nr"),
            _sum_if(exp.EQ(this=side.copy(), expression=exp.Literal.string(WINDOW))).as_("nw"),
        )
        .from_(sample.subquery("s"))
        .group_by(
            exp.GroupingSets(expressions=[exp.Tuple(expressions=[exp.column(n)]) for n in names])
        )
    )
    by_feature = "PARTITION BY feature"
    running = f"({by_feature} ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    cdf = exp.select(
        "feature",
        "x",
        _fragment(f"CAST(SUM(nr) OVER {running} AS DOUBLE) / SUM(nr) OVER ({by_feature})").as_(
            "fr"
        ),
        _fragment(f"CAST(SUM(nw) OVER {running} AS DOUBLE) / SUM(nw) OVER ({by_feature})").as_(
            "fw"
        ),
        _fragment(f"LEAD(x) OVER ({by_feature} ORDER BY x)").as_("next_x"),
        _fragment(f"SUM(nr) OVER ({by_feature})").as_("n_reference"),
        _fragment(f"SUM(nw) OVER ({by_feature})").as_("n_window"),
    ).from_(
        exp.select("*").from_(grouped.subquery("g")).where(_fragment("x IS NOT NULL")).subquery("v")
    )
    return (
        exp.select(
            "feature",
            _fragment("MAX(n_reference)").as_("n_reference"),
            _fragment("MAX(n_window)").as_("n_window"),
            _fragment("MAX(ABS(fr - fw))").as_("ks"),
            # One distinct value leaves no step to sum over: the distance is then 0, not NULL.
            _fragment("COALESCE(SUM(ABS(fr - fw) * (next_x - x)), 0)").as_("wasserstein"),
        )
        .from_(cdf.subquery("c"))
        .group_by("feature")
        .order_by("feature")
    )


def bucket_counts_query(
    family: str,
    watched: Sequence[tuple[Watched, Sequence[float] | None]],
    spans: Sequence[Span],
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """Rows (feature, slot, bucket, n): per watched column (`feature` = its index) and window,
    how many non-empty values fall in each numeric bin (with the column's edges) or, without
    edges, each category (as text); buckets are text either way."""
    names = [_name(k) for k in range(len(watched))]
    parts: list[exp.Select] = []
    for span in spans:
        select, where = _family_rows(family, (span.first, span.last), tables, model_only=False)
        since = exp.DateDiff(
            this=exp.cast(_col(tables.predictions, "ts", "p"), "DATE"),
            expression=exp.cast(exp.Literal.string(span.first.isoformat()), "DATE"),
            unit=exp.Var(this="DAY"),
        )
        slot = exp.Add(
            this=exp.IntDiv(this=since, expression=exp.Literal.number(span.window_days)),
            expression=exp.Literal.number(span.offset),
        )
        buckets = []
        for name, (column, edges) in zip(names, watched, strict=True):
            value = _value(column, tables)
            if edges is None:
                bucket: exp.Expression = exp.cast(value, "VARCHAR")
            else:
                # An empty value has no bin (bin_expression would put it inside).
                missing = exp.Is(this=value.copy(), expression=exp.Null())
                bucket = exp.Case(
                    ifs=[exp.If(this=missing, true=exp.Null())],
                    default=exp.cast(bin_expression(value, edges), "VARCHAR"),
                )
            buckets.append(bucket.as_(name))
        parts.append(select.select(slot.as_("slot"), *buckets).where(where))
    rows: exp.Expression = parts[0]
    for part in parts[1:]:
        rows = exp.union(rows, part, distinct=False)
    sets = exp.GroupingSets(
        expressions=[exp.Tuple(expressions=[exp.column("slot"), exp.column(n)]) for n in names]
    )
    grouped = (
        exp.select(
            _which(names, [exp.Literal.number(k) for k in range(len(names))]).as_("feature"),
            "slot",
            _which(names, [exp.column(n) for n in names]).as_("bucket"),
            exp.Count(this=exp.Star()).as_("n"),
        )
        .from_(rows.subquery("r"))
        .group_by(sets)
    )
    return (
        exp.select("*")
        .from_(grouped.subquery("g"))
        .where(_fragment("bucket IS NOT NULL"))
        .order_by("feature", "slot", "bucket")
    )

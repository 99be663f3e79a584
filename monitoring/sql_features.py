"""SQLGlot builders that read EVERY watched feature of a monitor in one scan.

`monitor check` at scale (100 million predictions) cannot afford a scan, a sort and a grouping per
feature. One statement does the work for all features at once (GROUPING SETS, one set per feature);
the reference's deciles stay DuckDB's `quantile_cont` (monitoring.sql.reference_summary_query, one
sort per feature), so every face bins on the same edges:

- `window_readings_query` (`monitor check`): per feature, its values grouped to (value, count in
  the reference, count in the window); from that table DuckDB derives the bins or categories and
  the exact KS statistic and Wasserstein distance (the ECDFs step only at distinct values). The
  grouping is cheap when values have limited precision (prices to the cent, counts, whole
  seconds): its cost grows with the number of distinct values.
- `bucket_counts_query` (the Monitoring page's heat map): per feature, how many values fall in
  each numeric bin or category, per window (`Span`), every window from one scan.

Same windows, bins and rules as the per-feature builders of monitoring/sql.py; user text enters as
literals and quoted identifiers; no DuckDB-only syntax, so `.sql(dialect="spark")` runs there.

Builder calls pass `copy=False` (why: experiments/sql.py).
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
    count_if,
    total_count,
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


def _rows(
    family: str,
    days: Days,
    side: exp.Expression,
    watched: Sequence[Watched],
    tables: TableMapping,
) -> exp.Select:
    select, where = _family_rows(family, days, tables, model_only=False)
    values = [_value(w, tables).as_(_name(k)) for k, w in enumerate(watched)]
    return select.select(side.as_("side"), *values, copy=False).where(where, copy=False)


def window_readings_query(
    family: str,
    watched: Sequence[tuple[Watched, Sequence[float] | None]],
    reference: Days,
    window: Days,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """Everything `monitor check` reads of its features, from ONE scan of the reference and the
    window: per column (`feature` = its index in `watched`), with bin edges (numeric) or without
    (categorical):

    - rows (feature, bucket, n_reference, n_window, NULL, NULL): the values in each numeric bin
      (`monitoring.sql.bin_expression` on the edges) or of each category, per side;
    - one row (feature, NULL, n_reference, n_window, ks, wasserstein) per column: its non-empty
      values, and for a numeric column the exact KS statistic and 1-Wasserstein distance between
      the sides (as `monitoring.sql.ecdf_distance_query` computes them for one column).

    Each column's values are grouped first, to (value, count in the reference, count in the
    window); bins, categories and both ECDFs come from that table, which is small when values
    have limited precision (prices to the cent, counts, whole seconds)."""
    columns = [column for column, _ in watched]
    sides = _rows(family, reference, exp.Literal.string(REFERENCE), columns, tables)
    in_window = _rows(family, window, exp.Literal.string(WINDOW), columns, tables)
    sample = exp.union(sides, in_window, distinct=False, copy=False)
    names = [_name(k) for k in range(len(watched))]
    numeric = [k for k, (_, edges) in enumerate(watched) if edges is not None]
    categorical = [k for k, (_, edges) in enumerate(watched) if edges is None]
    side = exp.column("side")

    def which(indices: Sequence[int], value: exp.Expression | str) -> exp.Expression:
        if not indices:
            return exp.Null()
        return _which(
            [names[k] for k in indices],
            [exp.cast(exp.column(names[k]), value) for k in indices]
            if isinstance(value, str)
            else [value.copy() for _ in indices],
        )

    grouped = (
        exp.select(
            _which(names, [exp.Literal.number(k) for k in range(len(names))]).as_("feature"),
            which(numeric, "DOUBLE").as_("x"),
            which(categorical, "VARCHAR").as_("category"),
            count_if(exp.EQ(this=side, expression=exp.Literal.string(REFERENCE))).as_("nr"),
            count_if(exp.EQ(this=side.copy(), expression=exp.Literal.string(WINDOW))).as_("nw"),
        )
        .from_(sample.subquery("s"), copy=False)
        .group_by(
            exp.GroupingSets(expressions=[exp.Tuple(expressions=[exp.column(n)]) for n in names]),
            copy=False,
        )
    )
    bins = exp.Case(
        ifs=[
            exp.If(
                this=exp.EQ(this=exp.column("feature"), expression=exp.Literal.number(k)),
                true=bin_expression(exp.column("x"), watched[k][1] or ()),
            )
            for k in numeric
        ]
    )
    bucket = exp.Coalesce(
        this=exp.column("category"), expressions=[exp.cast(bins, "VARCHAR")] if numeric else []
    )
    by_feature = "PARTITION BY feature"
    running = f"({by_feature} ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    share = (
        "CASE WHEN x IS NOT NULL THEN "
        "CAST(SUM({n}) OVER {running} AS DOUBLE) / SUM({n}) OVER ({by}) END"
    )
    cdf = exp.select(
        "feature",
        "x",
        "nr",
        "nw",
        bucket.as_("bucket"),
        _fragment(share.format(n="nr", running=running, by=by_feature)).as_("fr"),
        _fragment(share.format(n="nw", running=running, by=by_feature)).as_("fw"),
        _fragment(f"LEAD(x) OVER ({by_feature} ORDER BY x)").as_("next_x"),
    ).from_(
        exp.select("*")
        .from_(grouped.subquery("g"), copy=False)
        .where(_fragment("x IS NOT NULL OR category IS NOT NULL"), copy=False)
        .subquery("v"),
        copy=False,
    )
    total = "CASE WHEN GROUPING(bucket) = 1 THEN {} END"
    return (
        exp.select(
            "feature",
            "bucket",
            total_count("SUM(nr)").as_("n_reference"),
            total_count("SUM(nw)").as_("n_window"),
            _fragment(total.format("MAX(ABS(fr - fw))")).as_("ks"),
            # One distinct value leaves no step to sum over: the distance is then 0, not NULL.
            _fragment(total.format("COALESCE(SUM(ABS(fr - fw) * (next_x - x)), 0)")).as_(
                "wasserstein"
            ),
        )
        .from_(cdf.subquery("c"), copy=False)
        .group_by(
            exp.GroupingSets(
                expressions=[
                    exp.Tuple(expressions=[exp.column("feature")]),
                    exp.Tuple(expressions=[exp.column("feature"), exp.column("bucket")]),
                ]
            ),
            copy=False,
        )
        .order_by("feature", exp.Ordered(this=exp.column("bucket"), nulls_first=True), copy=False)
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
                    default=bin_expression(value, edges),
                )
            buckets.append(bucket.as_(name))
        parts.append(select.select(slot.as_("slot"), *buckets, copy=False).where(where, copy=False))
    rows: exp.Select | exp.Union = parts[0]
    for part in parts[1:]:
        rows = exp.union(rows, part, distinct=False, copy=False)
    sets = exp.GroupingSets(
        expressions=[exp.Tuple(expressions=[exp.column("slot"), exp.column(n)]) for n in names]
    )
    grouped = (
        exp.select(
            _which(names, [exp.Literal.number(k) for k in range(len(names))]).as_("feature"),
            "slot",
            _which(names, [exp.cast(exp.column(n), "VARCHAR") for n in names]).as_("bucket"),
            exp.Count(this=exp.Star()).as_("n"),
        )
        .from_(rows.subquery("r"), copy=False)
        .group_by(sets, copy=False)
    )
    return (
        exp.select("*")
        .from_(grouped.subquery("g"), copy=False)
        .where(_fragment("bucket IS NOT NULL"), copy=False)
        .order_by("feature", "slot", "bucket", copy=False)
    )

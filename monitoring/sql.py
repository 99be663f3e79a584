"""SQLGlot builders of the monitor reads, over a `core.tables.TableMapping` (the store's default).

Every statistic is computed where the predictions are: the builders return aggregates only (a
reference summary, counts per bin or category, two ECDF distances, latency quantiles), so no
prediction reaches Python. A window is `[start, end]` in days, read as `start <= ts < end + 1 day`
(a range on the raw timestamp, which DuckDB prunes by its zone maps). A family's predictions are
those of its models (any version, any stage). Family names, feature names and dates enter as SQL
literals and quoted identifiers, never as formatted text. Render with `.sql(dialect="duckdb")` or
`"spark"`; quantiles interpolate linearly (DuckDB `quantile_cont`, Spark `percentile`:
`monitoring/sql_quantile.py`).

Builder calls pass `copy=False` (why: experiments/sql.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from core.tables import STORE_TABLES, Table, TableMapping
from monitoring.drift import DECILES
from monitoring.sql_quantile import quantile_cont

Days = tuple[dt.date, dt.date]
REFERENCE = "reference"
WINDOW = "window"
MODEL = "model"
BELOW, ABOVE = 0, len(DECILES) + 2


def _col(table: Table, role: str, alias: str) -> exp.Column:
    return exp.column(table.column(role), table=alias, quoted=True)


def _table(table: Table, alias: str) -> exp.Table:
    return exp.to_table(table.name, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _timestamp(day: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(f"{day.isoformat()} 00:00:00"), "TIMESTAMP")


def _number(value: float) -> exp.Expression:
    """A DOUBLE literal that reads back to exactly `value` (an exponent keeps it out of DECIMAL)."""
    text = repr(float(value))
    return exp.Literal.number(text if "e" in text else f"{text}e0")


def _fragment(sql: str) -> exp.Expr:
    """A fixed SQL fragment (no user text) as an expression."""
    return sqlglot.parse_one(sql, dialect="duckdb")


def _family_rows(
    family: str, days: Days, tables: TableMapping, model_only: bool
) -> tuple[exp.Select, exp.Condition]:
    """SELECT ... FROM predictions p JOIN models m: the family's rows of `days`, and the filter."""
    predictions, models = tables.predictions, tables.models
    conditions: list[exp.Expression] = [
        exp.EQ(this=_col(models, "family", "m"), expression=exp.Literal.string(family)),
        exp.GTE(this=_col(predictions, "ts", "p"), expression=_timestamp(days[0])),
        exp.LT(
            this=_col(predictions, "ts", "p"),
            expression=_timestamp(days[1] + dt.timedelta(days=1)),
        ),
    ]
    if model_only:
        conditions.append(
            exp.EQ(this=_col(predictions, "served_by", "p"), expression=exp.Literal.string(MODEL))
        )
    join = exp.EQ(this=_col(predictions, "model_id", "p"), expression=_col(models, "model_id", "m"))
    select = (
        exp.select()
        .from_(_table(predictions, "p"), copy=False)
        .join(_table(models, "m"), on=join, copy=False)
    )
    return select, exp.and_(*conditions)


def _values(
    family: str, column: str, days: Days, side: str, tables: TableMapping, model_only: bool
) -> exp.Select:
    """`side`, x: the non-empty values of one column in one window."""
    select, where = _family_rows(family, days, tables, model_only)
    value = _col(tables.predictions, column, "p")
    not_null = exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))
    return select.select(exp.Literal.string(side).as_("side"), value.as_("x"), copy=False).where(
        exp.and_(where, not_null), copy=False
    )


def sample_query(
    family: str,
    column: str,
    reference: Days,
    window: Days,
    tables: TableMapping = STORE_TABLES,
    model_only: bool = False,
) -> exp.Union:
    """Both windows' values of `column` as rows (side, x): the input of every drift statistic."""
    return exp.union(
        _values(family, column, reference, REFERENCE, tables, model_only),
        _values(family, column, window, WINDOW, tables, model_only),
        distinct=False,
        copy=False,
    )


def reference_summary_query(
    family: str,
    column: str,
    reference: Days,
    tables: TableMapping = STORE_TABLES,
    model_only: bool = False,
) -> exp.Select:
    """One row: n, minimum, maximum, sample sd and the nine deciles (q1..q9) of the reference.

    The deciles come from ONE `quantile_cont` with the list of fractions (one sort of the values,
    not nine); each is the same number the single-fraction call gives."""
    values = _values(family, column, reference, REFERENCE, tables, model_only).subquery("v")
    fractions = exp.Array(expressions=[_number(q) for q in DECILES])
    summary = exp.select(
        exp.Count(this=exp.column("x")).as_("n"),
        exp.Min(this=exp.column("x")).as_("minimum"),
        exp.Max(this=exp.column("x")).as_("maximum"),
        exp.StddevSamp(this=exp.column("x")).as_("sd"),
        quantile_cont(exp.column("x"), fractions).as_("qs"),
    ).from_(values, copy=False)
    deciles = [
        exp.Bracket(this=exp.column("qs"), expressions=[exp.Literal.number(k)], offset=1).as_(
            f"q{k}"
        )
        for k in range(1, len(DECILES) + 1)
    ]
    return exp.select("n", "minimum", "maximum", "sd", *deciles).from_(
        summary.subquery("r"), copy=False
    )


def reference_summaries_query(
    family: str,
    columns: Sequence[tuple[str, bool]],
    reference: Days,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """`reference_summary_query` of several columns in ONE statement: one row with, for column k
    (its name and whether only rows the model served count), `n_k`, `minimum_k`, `maximum_k`,
    `sd_k` and `q1_k`..`q9_k`.

    One scan of the reference, and the columns' sorts in one statement, so DuckDB runs them on
    every core instead of one statement (and one core) after another. A model-only column reads
    NULL on other rows; every aggregate here skips NULLs, so each column's numbers are those of
    its own `reference_summary_query`."""
    predictions = tables.predictions
    select, where = _family_rows(family, reference, tables, False)
    served_by = _col(predictions, "served_by", "p")
    values = []
    for k, (column, model_only) in enumerate(columns):
        value: exp.Expression = _col(predictions, column, "p")
        if model_only:
            value = exp.Case(
                ifs=[
                    exp.If(
                        this=exp.EQ(this=served_by.copy(), expression=exp.Literal.string(MODEL)),
                        true=value,
                    )
                ]
            )
        values.append(value.as_(f"x_{k}"))
    rows = select.select(*values, copy=False).where(where, copy=False).subquery("v")
    fractions = exp.Array(expressions=[_number(q) for q in DECILES])
    aggregates: list[exp.Expr] = []
    outer: list[exp.Expr] = []
    for k in range(len(columns)):
        x = exp.column(f"x_{k}")
        aggregates += [
            exp.Count(this=x.copy()).as_(f"n_{k}"),
            exp.Min(this=x.copy()).as_(f"minimum_{k}"),
            exp.Max(this=x.copy()).as_(f"maximum_{k}"),
            exp.StddevSamp(this=x.copy()).as_(f"sd_{k}"),
            quantile_cont(x.copy(), fractions.copy()).as_(f"qs_{k}"),
        ]
        outer += [exp.column(f"{name}_{k}") for name in ("n", "minimum", "maximum", "sd")]
        outer += [
            exp.Bracket(
                this=exp.column(f"qs_{k}"), expressions=[exp.Literal.number(d)], offset=1
            ).as_(f"q{d}_{k}")
            for d in range(1, len(DECILES) + 1)
        ]
    summary = exp.select(*aggregates).from_(rows, copy=False)
    return exp.select(*outer).from_(summary.subquery("r"), copy=False)


def bin_expression(x: exp.Expression, edges: Sequence[float]) -> exp.Expression:
    """The numeric bin of `x` for edges (minimum, deciles..., maximum): 0 below the minimum,
    1 + (inner edges below x) inside, one past the last inside bin above the maximum."""
    minimum, *inner, maximum = edges
    inside: exp.Expression = exp.Literal.number(1)
    for edge in inner:
        above_edge = exp.Case(
            ifs=[
                exp.If(
                    this=exp.GT(this=x.copy(), expression=_number(edge)),
                    true=exp.Literal.number(1),
                )
            ],
            default=exp.Literal.number(0),
        )
        inside = exp.Add(this=inside, expression=above_edge)
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.LT(this=x.copy(), expression=_number(minimum)),
                true=exp.Literal.number(BELOW),
            ),
            exp.If(
                this=exp.GT(this=x.copy(), expression=_number(maximum)),
                true=exp.Literal.number(ABOVE),
            ),
        ],
        default=inside,
    )


def binned_counts_query(
    family: str,
    column: str,
    reference: Days,
    window: Days,
    edges: Sequence[float],
    tables: TableMapping = STORE_TABLES,
    model_only: bool = False,
) -> exp.Select:
    """Rows (side, bin, n): how many values of each window fall in each numeric bin."""
    sample = sample_query(family, column, reference, window, tables, model_only)
    binned = exp.select(
        exp.column("side"), bin_expression(exp.column("x"), edges).as_("bin")
    ).from_(sample.subquery("s"), copy=False)
    return (
        exp.select("side", "bin", exp.Count(this=exp.Star()).as_("n"))
        .from_(binned.subquery("b"), copy=False)
        .group_by("side", "bin", copy=False)
        .order_by("side", "bin", copy=False)
    )


def count_if(condition: exp.Expression) -> exp.Expression:
    """Rows meeting `condition`: COUNT of a CASE without ELSE, BIGINT on every engine. A SUM of
    `CASE WHEN ... THEN 1 ELSE 0 END` takes whatever type the engine infers for small integer
    literals: HUGEINT in DuckDB, and once an 8-bit integer after its statistics narrowed it,
    which failed above 127 rows (tests/monitoring/test_sql_types.py)."""
    return exp.Count(this=exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))]))


def total_count(expression: str) -> exp.Expression:
    """A SUM (or windowed SUM) of counts, as BIGINT: DuckDB widens a SUM of BIGINT to HUGEINT."""
    return exp.cast(_fragment(expression), "BIGINT")


def _count_of(side: str) -> exp.Expression:
    return count_if(exp.EQ(this=exp.column("side"), expression=exp.Literal.string(side)))


def ecdf_steps(sample: exp.Query, first: str, second: str) -> exp.Select:
    """Per distinct value `x` of a two-sided sample (rows `side`, `x`): both empirical CDFs at
    `x` (`cdf_first`, `cdf_second`, the sides named `first` and `second`), the next distinct value
    (`next_x`), and each side's size (`n_first`, `n_second`). Both ECDFs step only at distinct
    values, so the KS statistic and the Wasserstein distance are exact on these rows (the one
    ECDF of a feature's drift and of two experiment arms' scores)."""
    per_value = (
        exp.select("x", _count_of(first).as_("nf"), _count_of(second).as_("ns"))
        .from_(sample.subquery("s"), copy=False)
        .group_by("x", copy=False)
    )
    running = "ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    return exp.select(
        "x",
        _fragment(f"CAST(SUM(nf) OVER ({running}) AS DOUBLE) / SUM(nf) OVER ()").as_("cdf_first"),
        _fragment(f"CAST(SUM(ns) OVER ({running}) AS DOUBLE) / SUM(ns) OVER ()").as_("cdf_second"),
        _fragment("LEAD(x) OVER (ORDER BY x)").as_("next_x"),
        total_count("SUM(nf) OVER ()").as_("n_first"),
        total_count("SUM(ns) OVER ()").as_("n_second"),
    ).from_(per_value.subquery("v"), copy=False)


KS_STATISTIC = "MAX(ABS(cdf_first - cdf_second))"
"""The two-sample KS statistic over `ecdf_steps`: the largest gap between the two ECDFs."""


def ecdf_distance_query(
    family: str,
    column: str,
    reference: Days,
    window: Days,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """One row: ks (the largest gap between the two empirical CDFs), wasserstein (the area
    between them: sum of |F_ref - F_window| x the step to the next distinct value), and each
    window's n. Exact, on the unbinned values."""
    sample = sample_query(family, column, reference, window, tables)
    return exp.select(
        _fragment(KS_STATISTIC).as_("ks"),
        # One distinct value leaves no step to sum over: the distance is then 0, not NULL.
        _fragment("COALESCE(SUM(ABS(cdf_first - cdf_second) * (next_x - x)), 0)").as_(
            "wasserstein"
        ),
        _fragment("MAX(n_first)").as_("n_reference"),
        _fragment("MAX(n_second)").as_("n_window"),
    ).from_(ecdf_steps(sample, REFERENCE, WINDOW).subquery("c"), copy=False)


def category_counts_query(
    family: str,
    column: str,
    reference: Days,
    window: Days,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """Rows (side, category, n): how often each category occurs in each window."""
    sample = sample_query(family, column, reference, window, tables)
    return (
        exp.select(
            "side",
            exp.cast(exp.column("x"), "VARCHAR").as_("category"),
            exp.Count(this=exp.Star()).as_("n"),
        )
        .from_(sample.subquery("s"), copy=False)
        .group_by("side", "x", copy=False)
        .order_by("side", "category", copy=False)
    )


def serving_query(family: str, window: Days, tables: TableMapping = STORE_TABLES) -> exp.Select:
    """Rows (served_by, n, latency_p95_ms, latency_p99_ms) per level, and one row with
    served_by NULL for every request of the window (ROLLUP)."""
    select, where = _family_rows(family, window, tables, model_only=False)
    served_by = _col(tables.predictions, "served_by", "p")
    latency = _col(tables.predictions, "latency_ms", "p")
    quantile = [
        quantile_cont(latency.copy(), _number(q)).as_(name)
        for q, name in ((0.95, "latency_p95_ms"), (0.99, "latency_p99_ms"))
    ]
    return (
        select.select(
            served_by.as_("served_by"), exp.Count(this=exp.Star()).as_("n"), *quantile, copy=False
        )
        .where(where, copy=False)
        .group_by(exp.Rollup(expressions=[served_by.copy()]), copy=False)
        .order_by(exp.Ordered(this=exp.column("served_by"), nulls_first=True), copy=False)
    )


def last_day_query(tables: TableMapping = STORE_TABLES) -> exp.Select:
    """One row: the last day any model has a prediction (NULL when none): the store's "today",
    against which a family whose feed stopped earlier is stale."""
    predictions = tables.predictions
    return exp.select(
        exp.Max(this=exp.cast(_col(predictions, "ts", "p"), "DATE")).as_("day")
    ).from_(_table(predictions, "p"), copy=False)


def live_model_query(family: str, day: dt.date, tables: TableMapping = STORE_TABLES) -> exp.Select:
    """At most one row (model_id, deployed_on): the family's production version live on `day`
    (the newest deployed by the end of that day and not retired before it)."""
    models = tables.models
    end_of_day = _timestamp(day + dt.timedelta(days=1))
    conditions = [
        exp.EQ(this=_col(models, "family", "m"), expression=exp.Literal.string(family)),
        exp.EQ(this=_col(models, "stage", "m"), expression=exp.Literal.string("production")),
        exp.LT(this=_col(models, "deployed_at", "m"), expression=end_of_day),
        exp.Paren(
            this=exp.or_(
                exp.Is(this=_col(models, "retired_at", "m"), expression=exp.Null()),
                exp.GTE(this=_col(models, "retired_at", "m"), expression=_timestamp(day)),
            )
        ),
    ]
    return (
        exp.select(
            _col(models, "model_id", "m").as_("model_id"),
            exp.cast(_col(models, "deployed_at", "m"), "DATE").as_("deployed_on"),
        )
        .from_(_table(models, "m"), copy=False)
        .where(exp.and_(*conditions), copy=False)
        .order_by(exp.Ordered(this=_col(models, "deployed_at", "m"), desc=True), copy=False)
        .limit(1, copy=False)
    )


def row_counts_query(
    family: str, reference: Days, window: Days, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """One row: the family's predictions in the reference (n_reference) and window (n_window)."""
    counts = []
    for side, days in ((REFERENCE, reference), (WINDOW, window)):
        select, where = _family_rows(family, days, tables, model_only=False)
        counted = select.select(exp.Count(this=exp.Star()), copy=False).where(where, copy=False)
        counts.append(counted.subquery().as_(f"n_{side}"))
    return exp.select(*counts)


def daily_serving_query(
    family: str, window: Days, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """Serving health per day and model: rows (day, model_id, served_by, n, latency_p50_ms,
    latency_p95_ms, latency_p99_ms), one with served_by NULL for all of the day's requests to
    that model and one per fallback level (GROUPING SETS)."""
    select, where = _family_rows(family, window, tables, model_only=False)
    predictions = tables.predictions
    day = exp.cast(_col(predictions, "ts", "p"), "DATE")
    model_id = _col(predictions, "model_id", "p")
    served_by = _col(predictions, "served_by", "p")
    latency = _col(predictions, "latency_ms", "p")
    quantiles = [
        quantile_cont(latency.copy(), _number(q)).as_(name)
        for q, name in ((0.5, "latency_p50_ms"), (0.95, "latency_p95_ms"), (0.99, "latency_p99_ms"))
    ]
    sets = exp.GroupingSets(
        expressions=[
            exp.Tuple(expressions=[day.copy(), model_id.copy()]),
            exp.Tuple(expressions=[day.copy(), model_id.copy(), served_by.copy()]),
        ]
    )
    return (
        select.select(
            day.as_("day"),
            model_id.as_("model_id"),
            served_by.as_("served_by"),
            exp.Count(this=exp.Star()).as_("n"),
            *quantiles,
            copy=False,
        )
        .where(where, copy=False)
        .group_by(sets, copy=False)
        .order_by(
            "day",
            "model_id",
            exp.Ordered(this=exp.column("served_by"), nulls_first=True),
            copy=False,
        )
    )

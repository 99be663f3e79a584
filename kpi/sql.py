"""SQLGlot builders for the KPI reads, over a `core.tables.TableMapping` (the store's by default).

Portable SQL only: the newest deployment per day is a `row_number()` window in a subquery (no
`QUALIFY`), metric lists are `IN` lists of literals (no `list_contains`), day casts are `CAST(...
AS DATE)` (no `::DATE`). Family names, metric names and dates enter as SQL literals, never as
formatted text, so no user text is parsed as SQL. Render with `.sql(dialect="duckdb")` (the store)
or `"spark"` (a warehouse).

Builder calls pass `copy=False` (why: experiments/sql.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlglot import exp

from core.live_versions import newest_deployment_first, newest_deployment_rank, serving_condition
from core.tables import STORE_TABLES, Table, TableMapping
from core.vocab import Source

# The store's own table of KPI definitions (not a warehouse table: it is never mapped).
KPI_VERSIONS = "kpi_versions"


def _col(table: Table, role: str, alias: str) -> exp.Column:
    return exp.column(table.column(role), table=alias)


def _as_date(expression: exp.Expression) -> exp.Expression:
    return exp.cast(expression, "DATE")


def _date(day: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(day.isoformat()), "DATE")


def _strings(values: Sequence[str]) -> list[exp.Expression]:
    return [exp.Literal.string(value) for value in values]


def _table(table: Table, alias: str) -> exp.Table:
    return exp.to_table(table.name, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _models_join(source: Table, models: Table, alias: str) -> exp.Expression:
    return exp.EQ(this=_col(source, "model_id", alias), expression=_col(models, "model_id", "m"))


def _in_list(column: exp.Expression, values: Sequence[str]) -> exp.Expression:
    """`column IN (...)`; an empty list matches nothing."""
    if not values:
        return exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0))
    return exp.In(this=column, expressions=_strings(values))


def live_daily_series_query(
    family: str,
    metrics: Sequence[str],
    end: dt.date | None = None,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """Daily values of `metrics` for the production version live each day, up to `end`.

    Columns: date, model_id, metric, value, n, std; ordered by metric then date. Which version is
    live is `core.live_versions`' rule (serving from the day of `deployed_at` to the day of
    `retired_at`; on a hand-over day the newer deployment wins).
    """
    online, models = tables.online_metrics, tables.models
    conditions: list[exp.Expr] = [
        exp.EQ(this=_col(models, "family", "m"), expression=exp.Literal.string(family)),
        _in_list(_col(online, "metric", "o"), metrics),
        serving_condition(models, _col(online, "date", "o")),
    ]
    if end is not None:
        conditions.append(exp.LTE(this=_col(online, "date", "o"), expression=_date(end)))
    newest_first = newest_deployment_first(
        models, [_col(online, "date", "o"), _col(online, "metric", "o")]
    )
    ranked = (
        exp.select(
            *(
                _col(online, role, "o").as_(role)
                for role in ("date", "model_id", "metric", "value", "n", "std")
            ),
            newest_first.as_("newest"),
        )
        .from_(_table(online, "o"), copy=False)
        .join(_table(models, "m"), on=_models_join(online, models, "o"), copy=False)
        .where(exp.and_(*conditions), copy=False)
    )
    return (
        exp.select("date", "model_id", "metric", "value", "n", "std")
        .from_(ranked.subquery("ranked"), copy=False)
        .where(exp.EQ(this=exp.column("newest"), expression=exp.Literal.number(1)), copy=False)
        .order_by("metric", "date", copy=False)
    )


def offline_series_query(
    family: str,
    metrics: Sequence[str],
    end: dt.date | None = None,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """Offline evaluations of `metrics` for every model of the family, up to the day `end`.

    Columns: evaluated_at, model_id, metric, value, n, dataset, live; ordered by metric,
    evaluated_at, model_id, dataset (so the order is the same on every engine). `live` says the
    evaluation is of the production version live on its day, by `core.live_versions`' rule as for
    the online series: serving that day, and on a hand-over day with both versions evaluated, the
    newer deployment.
    """
    offline, models = tables.offline_metrics, tables.models
    day = _as_date(_col(offline, "evaluated_at", "f"))
    serving = exp.Paren(this=serving_condition(models, day))
    newest = newest_deployment_rank(
        models, [day.copy(), _col(offline, "metric", "f"), serving.copy()]
    )
    live = exp.and_(
        serving.copy(), exp.EQ(this=newest, expression=exp.Literal.number(1)), copy=False
    )
    conditions: list[exp.Expression] = [
        exp.EQ(this=_col(models, "family", "m"), expression=exp.Literal.string(family)),
        _in_list(_col(offline, "metric", "f"), metrics),
    ]
    if end is not None:
        conditions.append(
            exp.LTE(this=_as_date(_col(offline, "evaluated_at", "f")), expression=_date(end))
        )
    return (
        exp.select(
            *(
                _col(offline, role, "f").as_(role)
                for role in ("evaluated_at", "model_id", "metric", "value", "n", "dataset")
            ),
            exp.Paren(this=live).as_("live"),
        )
        .from_(_table(offline, "f"), copy=False)
        .join(_table(models, "m"), on=_models_join(offline, models, "f"), copy=False)
        .where(exp.and_(*conditions), copy=False)
        .order_by("metric", "evaluated_at", "model_id", "dataset", copy=False)
    )


def offline_metric_names_query(family: str, tables: TableMapping = STORE_TABLES) -> exp.Select:
    """The distinct offline metrics of a family's models (column metric), in name order."""
    offline, models = tables.offline_metrics, tables.models
    return (
        exp.select(_col(offline, "metric", "f").as_("metric"))
        .distinct(copy=False)
        .from_(_table(offline, "f"), copy=False)
        .join(_table(models, "m"), on=_models_join(offline, models, "f"), copy=False)
        .where(
            exp.EQ(this=_col(models, "family", "m"), expression=exp.Literal.string(family)),
            copy=False,
        )
        .order_by("metric", copy=False)
    )


def metric_availability_query(tables: TableMapping = STORE_TABLES) -> exp.Select:
    """Every family, source and metric with its number of days of data.

    Columns: family, source (`online` / `offline`), metric, days (distinct days with a value, or
    distinct evaluation days); ordered by family, source, metric.
    """
    online, offline, models = tables.online_metrics, tables.offline_metrics, tables.models

    def per_metric(table: Table, alias: str, source: Source, day: exp.Expression) -> exp.Select:
        family = _col(models, "family", "m")
        metric = _col(table, "metric", alias)
        return (
            exp.select(
                family.as_("family"),
                exp.Literal.string(source).as_("source"),
                metric.as_("metric"),
                exp.Count(this=exp.Distinct(expressions=[day])).as_("days"),
            )
            .from_(_table(table, alias), copy=False)
            .join(_table(models, "m"), on=_models_join(table, models, alias), copy=False)
            .group_by(family.copy(), metric.copy(), copy=False)
        )

    both = exp.union(
        per_metric(online, "o", "online", _col(online, "date", "o")),
        per_metric(offline, "f", "offline", _as_date(_col(offline, "evaluated_at", "f"))),
        distinct=False,
        copy=False,
    )
    return (
        exp.select("family", "source", "metric", "days")
        .from_(both.subquery("available"), copy=False)
        .order_by("family", "source", "metric", copy=False)
    )


def deployments_query(family: str, tables: TableMapping = STORE_TABLES) -> exp.Select:
    """The family's model versions and their serving periods, oldest deployment first.

    Columns: model_id, version, stage, deployed_at, retired_at.
    """
    models = tables.models
    return (
        exp.select(
            *(
                _col(models, role, "m").as_(role)
                for role in ("model_id", "version", "stage", "deployed_at", "retired_at")
            )
        )
        .from_(_table(models, "m"), copy=False)
        .where(
            exp.EQ(this=_col(models, "family", "m"), expression=exp.Literal.string(family)),
            copy=False,
        )
        .order_by("deployed_at", copy=False)
    )


def last_online_date_query(tables: TableMapping = STORE_TABLES) -> exp.Select:
    """The last day with any online metric (column last_date; NULL on an empty store)."""
    online = tables.online_metrics
    return exp.select(exp.Max(this=_col(online, "date", "o")).as_("last_date")).from_(
        _table(online, "o"), copy=False
    )


def rows_after_query(
    family: str,
    online_metrics: Sequence[str],
    offline_metrics: Sequence[str],
    after: dt.date,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """How many rows of the family's models for these metrics are dated after the day `after`.

    Column rows: online rows whose date is later than `after` plus offline evaluations whose day
    is. Such rows (a far-future date, `infinity`) are left out of every evaluation; this counts
    them so the evaluation can say so. Only the count leaves the store: a row dated `infinity`
    cannot be converted to a Python date.
    """
    online, offline, models = tables.online_metrics, tables.offline_metrics, tables.models
    family_is = exp.EQ(this=_col(models, "family", "m"), expression=exp.Literal.string(family))

    def counted(
        table: Table, alias: str, day: exp.Expression, metrics: Sequence[str]
    ) -> exp.Select:
        return (
            exp.select(exp.Count(this=exp.Star()).as_("rows"))
            .from_(_table(table, alias), copy=False)
            .join(_table(models, "m"), on=_models_join(table, models, alias), copy=False)
            .where(
                exp.and_(
                    family_is.copy(),
                    _in_list(_col(table, "metric", alias), metrics),
                    exp.GT(this=day, expression=_date(after)),
                ),
                copy=False,
            )
        )

    both = exp.union(
        counted(online, "o", _col(online, "date", "o"), online_metrics),
        counted(offline, "f", _as_date(_col(offline, "evaluated_at", "f")), offline_metrics),
        distinct=False,
        copy=False,
    )
    return exp.select(exp.Sum(this=exp.column("rows")).as_("rows")).from_(
        both.subquery("later"), copy=False
    )


def latest_versions_query(columns: Sequence[str], table: str = KPI_VERSIONS) -> exp.Select:
    """The newest version of every KPI (the given columns), ordered by KPI id."""
    newest_first = exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column("kpi_id")],
        order=exp.Order(expressions=[exp.Ordered(this=exp.column("version"), desc=True)]),
    )
    ranked = exp.select(*columns, newest_first.as_("newest")).from_(table, copy=False)
    return (
        exp.select(*columns)
        .from_(ranked.subquery("ranked"), copy=False)
        .where(exp.EQ(this=exp.column("newest"), expression=exp.Literal.number(1)), copy=False)
        .order_by("kpi_id", copy=False)
    )


def family_daily_volume_query(
    family: str,
    metric: str,
    first: dt.date,
    last: dt.date,
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """Rows (date, n): the units a metric was measured on per day, summed over every model of the
    family (production and challengers alike), from `first` to `last`. What a family's
    predictions are compared with to tell whether they are all the traffic or a sample of it."""
    online, models = tables.online_metrics, tables.models
    day = _col(online, "date", "o")
    return (
        exp.select(day.as_("date"), exp.Sum(this=_col(online, "n", "o")).as_("n"))
        .from_(_table(online, "o"), copy=False)
        .join(_table(models, "m"), on=_models_join(online, models, "o"), copy=False)
        .where(
            exp.and_(
                exp.EQ(this=_col(models, "family", "m"), expression=exp.Literal.string(family)),
                exp.EQ(this=_col(online, "metric", "o"), expression=exp.Literal.string(metric)),
                exp.Between(this=day.copy(), low=_date(first), high=_date(last)),
                exp.Not(this=exp.Is(this=_col(online, "n", "o"), expression=exp.Null())),
            ),
            copy=False,
        )
        .group_by(day.copy(), copy=False)
        .order_by("date", copy=False)
    )

"""The one rule of which production version is live on a day, as SQLGlot pieces over the models.

A version serves from the day of `deployed_at` to the day of `retired_at` (inclusive); on a
hand-over day, when two production versions have rows, the newer deployment wins. The KPI series
(`kpi.sql.live_daily_series_query`) and the estimated days of a KPI
(`monitoring.cbpe_sql.live_daily_scores_query`) both build on these two pieces, so the realised
and the estimated days of a KPI name the same version for a day.
"""

from __future__ import annotations

from sqlglot import exp

from core.tables import Table

PRODUCTION = "production"


def _models_col(models: Table, role: str, alias: str) -> exp.Column:
    return exp.column(models.column(role), table=alias)


def serving_condition(models: Table, day: exp.Expression, alias: str = "m") -> exp.Condition:
    """The model row `alias` is a production version serving on `day` (a DATE expression)."""
    return exp.and_(
        exp.EQ(this=_models_col(models, "stage", alias), expression=exp.Literal.string(PRODUCTION)),
        exp.GTE(
            this=day.copy(),
            expression=exp.cast(_models_col(models, "deployed_at", alias), "DATE"),
        ),
        exp.Paren(
            this=exp.or_(
                exp.Is(this=_models_col(models, "retired_at", alias), expression=exp.Null()),
                exp.LTE(
                    this=day.copy(),
                    expression=exp.cast(_models_col(models, "retired_at", alias), "DATE"),
                ),
            )
        ),
    )


def newest_deployment_rank(
    models: Table, partition_by: list[exp.Expression], alias: str = "m"
) -> exp.Window:
    """DENSE_RANK() over `partition_by`, the newest deployment first: every row of the live
    version ranks 1 (a version has a row per dataset of an offline evaluation, where
    `newest_deployment_first` would keep only one of them)."""
    return exp.Window(
        this=exp.DenseRank(),
        partition_by=partition_by,
        order=exp.Order(
            expressions=[exp.Ordered(this=_models_col(models, "deployed_at", alias), desc=True)]
        ),
    )


def newest_deployment_first(
    models: Table, partition_by: list[exp.Expression], alias: str = "m"
) -> exp.Window:
    """ROW_NUMBER() over `partition_by` (a day, and a metric when there are several), the newest
    deployment first: keep row 1 for the live version."""
    return exp.Window(
        this=exp.RowNumber(),
        partition_by=partition_by,
        order=exp.Order(
            expressions=[exp.Ordered(this=_models_col(models, "deployed_at", alias), desc=True)]
        ),
    )

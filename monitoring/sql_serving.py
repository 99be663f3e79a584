"""SQLGlot builders of the serving-health reads tied to value, over a `core.tables.TableMapping`:
requests slower than each latency objective (the error budget), labelled outcomes per day and
`served_by` level (what fallbacks cost), and per-model health and score distributions (an
experiment's arms).

Like monitoring/sql.py, whose helpers these reuse, every builder returns aggregates only (counts,
sums, quantiles, ECDF gaps): no prediction reaches Python. A window is `[start, end]` in days,
read as `start <= ts < end + 1 day` (an experiment's arms: its moments, `start <= ts < until`);
model ids and limits enter as SQL literals.

Builder calls pass `copy=False` (why: experiments/sql.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlglot import exp

from core.tables import STORE_TABLES, TableMapping
from monitoring.cbpe_sql import labelled_rows
from monitoring.sql import (
    KS_STATISTIC,
    MODEL,
    Days,
    _col,
    _family_rows,
    _fragment,
    _number,
    _table,
    bin_expression,
    count_if,
    ecdf_steps,
)
from monitoring.sql_quantile import quantile_cont

Moments = tuple[dt.datetime, dt.datetime]
"""A half-open window of time [start, until), naive UTC: an experiment's (`experiments.analysis.
experiment_window`), so its arms' predictions are read over the moments its units count."""

SCORE_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The score quantiles an arm's health panel shows (quantile_cont)."""


def slow_requests_query(
    family: str,
    window: Days,
    limits: Sequence[tuple[str, float]],
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """One row: `n` requests of the window, `timed` those with a latency, and per (name, limit)
    a column `name` counting the requests slower than the limit (latency > limit)."""
    select, where = _family_rows(family, window, tables, model_only=False)
    latency = _col(tables.predictions, "latency_ms", "p")
    slower = [
        count_if(exp.GT(this=latency.copy(), expression=_number(limit))).as_(name)
        for name, limit in limits
    ]
    return select.select(
        exp.Count(this=exp.Star()).as_("n"),
        exp.Count(this=latency.copy()).as_("timed"),
        *slower,
        copy=False,
    ).where(where, copy=False)


def level_outcomes_query(
    family: str, window: Days, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """Rows (day, served_by, n, labelled, positives, non_binary) per day and level of the window:
    requests, those with a label (a late label in prediction_labels wins over the one loaded with
    the prediction, as monitoring/cbpe_sql.py reads it), the labels' sum, and the labels that are
    neither 0 nor 1."""
    select, where, label = labelled_rows(family, window, tables, model_only=False)
    predictions = tables.predictions
    day = exp.cast(_col(predictions, "ts", "p"), "DATE")
    served_by = _col(predictions, "served_by", "p")
    rows = select.select(
        day.as_("day"), served_by.as_("served_by"), label.as_("y"), copy=False
    ).where(where, copy=False)
    return (
        exp.select(
            "day",
            "served_by",
            exp.Count(this=exp.Star()).as_("n"),
            exp.Count(this=exp.column("y")).as_("labelled"),
            _fragment("COALESCE(SUM(y), 0)").as_("positives"),
            _fragment("COUNT(*) FILTER (WHERE y NOT IN (0, 1))").as_("non_binary"),
        )
        .from_(rows.subquery("r"), copy=False)
        .group_by("day", "served_by", copy=False)
        .order_by("day", "served_by", copy=False)
    )


def _moment(moment: dt.datetime) -> exp.Expression:
    return exp.cast(exp.Literal.string(moment.isoformat(sep=" ")), "TIMESTAMP")


def _model_rows(
    model_ids: Sequence[str], moments: Moments, tables: TableMapping, model_only: bool
) -> tuple[exp.Select, exp.Condition]:
    """SELECT ... FROM predictions p: the rows of `model_ids` with `start <= ts < until`, and the
    filter."""
    predictions = tables.predictions
    conditions: list[exp.Expression] = [
        exp.In(
            this=_col(predictions, "model_id", "p"),
            expressions=[exp.Literal.string(m) for m in model_ids],
        ),
        exp.GTE(this=_col(predictions, "ts", "p"), expression=_moment(moments[0])),
        exp.LT(this=_col(predictions, "ts", "p"), expression=_moment(moments[1])),
    ]
    if model_only:
        conditions.append(
            exp.EQ(this=_col(predictions, "served_by", "p"), expression=exp.Literal.string(MODEL))
        )
    return exp.select().from_(_table(predictions, "p"), copy=False), exp.and_(*conditions)


def arm_serving_query(
    model_ids: Sequence[str], moments: Moments, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """Rows (model_id, served_by, n, latency_p50_ms, latency_p95_ms, latency_p99_ms) per model:
    one with served_by NULL for all its requests and one per level (GROUPING SETS)."""
    select, where = _model_rows(model_ids, moments, tables, model_only=False)
    predictions = tables.predictions
    model_id = _col(predictions, "model_id", "p")
    served_by = _col(predictions, "served_by", "p")
    latency = _col(predictions, "latency_ms", "p")
    quantiles = [
        quantile_cont(latency.copy(), _number(q)).as_(name)
        for q, name in ((0.5, "latency_p50_ms"), (0.95, "latency_p95_ms"), (0.99, "latency_p99_ms"))
    ]
    sets = exp.GroupingSets(
        expressions=[
            exp.Tuple(expressions=[model_id.copy()]),
            exp.Tuple(expressions=[model_id.copy(), served_by.copy()]),
        ]
    )
    return (
        select.select(
            model_id.as_("model_id"),
            served_by.as_("served_by"),
            exp.Count(this=exp.Star()).as_("n"),
            *quantiles,
            copy=False,
        )
        .where(where, copy=False)
        .group_by(sets, copy=False)
        .order_by(
            "model_id", exp.Ordered(this=exp.column("served_by"), nulls_first=True), copy=False
        )
    )


def arm_scores_query(
    model_ids: Sequence[str], moments: Moments, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """Rows (model_id, n, mean, sd, q05, q25, q50, q75, q95, minimum, maximum, q1..q9): the
    model-served scores of each model (a fallback's score is not the model's)."""
    select, where = _model_rows(model_ids, moments, tables, model_only=True)
    predictions = tables.predictions
    score = _col(predictions, "score", "p")
    not_null = exp.Not(this=exp.Is(this=score.copy(), expression=exp.Null()))
    quantiles = [
        quantile_cont(score.copy(), _number(q)).as_(f"q{round(q * 100):02d}")
        for q in SCORE_QUANTILES
    ]
    deciles = [quantile_cont(score.copy(), _number(k / 10)).as_(f"d{k}") for k in range(1, 10)]
    model_id = _col(predictions, "model_id", "p")
    return (
        select.select(
            model_id.as_("model_id"),
            exp.Count(this=score.copy()).as_("n"),
            exp.Avg(this=score.copy()).as_("mean"),
            exp.StddevSamp(this=score.copy()).as_("sd"),
            *quantiles,
            exp.Min(this=score.copy()).as_("minimum"),
            exp.Max(this=score.copy()).as_("maximum"),
            *deciles,
            copy=False,
        )
        .where(exp.and_(where, not_null), copy=False)
        .group_by(model_id.copy(), copy=False)
        .order_by("model_id", copy=False)
    )


def _side_values(model_id: str, side: str, moments: Moments, tables: TableMapping) -> exp.Select:
    select, where = _model_rows([model_id], moments, tables, model_only=True)
    score = _col(tables.predictions, "score", "p")
    not_null = exp.Not(this=exp.Is(this=score.copy(), expression=exp.Null()))
    return select.select(exp.Literal.string(side).as_("side"), score.as_("x"), copy=False).where(
        exp.and_(where, not_null), copy=False
    )


def _sides(control: str, treatment: str, moments: Moments, tables: TableMapping) -> exp.Union:
    return exp.union(
        _side_values(control, "control", moments, tables),
        _side_values(treatment, "treatment", moments, tables),
        distinct=False,
        copy=False,
    )


def score_ks_query(
    control: str, treatment: str, moments: Moments, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """One row (ks, n_control, n_treatment): the two-sample Kolmogorov-Smirnov statistic between
    two models' model-served scores, the largest gap of their empirical CDFs, exact (the ECDFs of
    `monitoring.sql.ecdf_steps`, as a feature's drift)."""
    return exp.select(
        _fragment(KS_STATISTIC).as_("ks"),
        _fragment("MAX(n_first)").as_("n_control"),
        _fragment("MAX(n_second)").as_("n_treatment"),
    ).from_(
        ecdf_steps(_sides(control, treatment, moments, tables), "control", "treatment").subquery(
            "c"
        ),
        copy=False,
    )


def score_bins_query(
    control: str,
    treatment: str,
    moments: Moments,
    edges: Sequence[float],
    tables: TableMapping = STORE_TABLES,
) -> exp.Select:
    """Rows (side, bin, n): both models' scores counted in the bins of `edges` (the control's
    minimum, deciles and maximum, as monitoring.sql.bin_expression bins a feature)."""
    binned = exp.select(
        exp.column("side"), bin_expression(exp.column("x"), edges).as_("bin")
    ).from_(_sides(control, treatment, moments, tables).subquery("s"), copy=False)
    return (
        exp.select("side", "bin", exp.Count(this=exp.Star()).as_("n"))
        .from_(binned.subquery("b"), copy=False)
        .group_by("side", "bin", copy=False)
        .order_by("side", "bin", copy=False)
    )

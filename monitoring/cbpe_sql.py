"""SQLGlot builders of the performance-estimation reads, over a `core.tables.TableMapping`.

Both return sums only (per reliability bin, per day), never a prediction. A prediction's label is
the one that arrived later in `prediction_labels` (matched by model_id and request_id), else the
`label` column it was loaded with; only rows served by the model count (a fallback's score is not
the model's). Windows, families and literals follow monitoring/sql.py, whose helpers these reuse.

Builder calls pass `copy=False` (why: experiments/sql.py).
"""

from __future__ import annotations

from sqlglot import exp

from core.live_versions import newest_deployment_first, serving_condition
from core.tables import STORE_TABLES, Table, TableMapping
from monitoring.cbpe import RELIABILITY_BINS
from monitoring.sql import Days, _col, _family_rows, _fragment, _number, _table, count_if

LABELS_ALIAS = "l"


def labelled_rows(
    family: str, days: Days, tables: TableMapping, model_only: bool = True
) -> tuple[exp.Select, exp.Condition, exp.Expression]:
    """The family's rows of `days` (only those served by the model unless `model_only` is False)
    joined to late labels, their filter, and the label expression: the one place where a late
    label wins over the one loaded with the prediction."""
    select, where = _family_rows(family, days, tables, model_only=model_only)
    predictions, labels = tables.predictions, tables.prediction_labels
    on = exp.and_(
        exp.EQ(
            this=_col(labels, "model_id", LABELS_ALIAS),
            expression=_col(predictions, "model_id", "p"),
        ),
        exp.EQ(
            this=_col(labels, "request_id", LABELS_ALIAS),
            expression=_col(predictions, "request_id", "p"),
        ),
        # '' is "no request id": such a prediction cannot be matched to a late label
        exp.NEQ(this=_col(predictions, "request_id", "p"), expression=exp.Literal.string("")),
    )
    select = select.join(_table(labels, LABELS_ALIAS), on=on, join_type="left", copy=False)
    label = exp.Coalesce(
        this=_col(labels, "label", LABELS_ALIAS),
        expressions=[_col(predictions, "label", "p")],
    )
    return select, where, label


def reliability_query(
    family: str, reference: Days, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """Rows (bin, n, score_sum, score_variance, positives, score_min, score_max): the reference's
    labelled predictions cut into RELIABILITY_BINS bins of equal size by score (NTILE, ties broken
    by ts and request_id so the cut is reproducible)."""
    select, where, label = labelled_rows(family, reference, tables)
    predictions = tables.predictions
    labelled = exp.and_(where, exp.Not(this=exp.Is(this=label.copy(), expression=exp.Null())))
    ntile = exp.Window(
        this=exp.Anonymous(this="NTILE", expressions=[exp.Literal.number(RELIABILITY_BINS)]),
        order=exp.Order(
            expressions=[
                exp.Ordered(this=_col(predictions, role, "p"))
                for role in ("score", "ts", "request_id")
            ]
        ),
    )
    rows = select.select(
        _col(predictions, "score", "p").as_("s"), label.as_("y"), ntile.as_("bin"), copy=False
    ).where(labelled, copy=False)
    return (
        exp.select(
            "bin",
            exp.Count(this=exp.Star()).as_("n"),
            _fragment("SUM(s)").as_("score_sum"),
            _fragment("SUM(s * (1 - s))").as_("score_variance"),
            _fragment("SUM(y)").as_("positives"),
            _fragment("MIN(s)").as_("score_min"),
            _fragment("MAX(s)").as_("score_max"),
        )
        .from_(rows.subquery("r"), copy=False)
        .group_by("bin", copy=False)
        .order_by("bin", copy=False)
    )


def _sum_if(condition: exp.Expr, value: exp.Expr) -> exp.Expr:
    """The sum of `value` over rows meeting `condition`, as DOUBLE whatever the label's type (a
    warehouse's integer label would otherwise make an integer sum of the engine's choosing)."""
    return exp.cast(
        exp.Sum(
            this=exp.Case(
                ifs=[exp.If(this=condition, true=value)],
                default=exp.Literal.number(0),
            )
        ),
        "DOUBLE",
    )


def _score_sums(threshold: float) -> list[exp.Expr]:
    """The sums a CBPE estimate needs over rows (s, y), in `DayScores`' order from n_positive."""
    flagged = exp.GTE(this=exp.column("s"), expression=_number(threshold))
    passed = exp.LT(this=exp.column("s"), expression=_number(threshold))
    has_label = exp.Not(this=exp.Is(this=exp.column("y"), expression=exp.Null()))
    score = exp.column("s")
    spread = _fragment("s * (1 - s)")
    label_y = exp.column("y")
    negative_y = _fragment("1 - y")
    return [
        count_if(flagged).as_("n_positive"),
        _sum_if(flagged.copy(), score.copy()).as_("expected_tp"),
        _sum_if(flagged.copy(), spread.copy()).as_("variance_positive"),
        count_if(passed).as_("n_negative"),
        _sum_if(passed.copy(), score.copy()).as_("expected_fn"),
        _sum_if(passed.copy(), spread.copy()).as_("variance_negative"),
        exp.Count(this=exp.column("y")).as_("labelled"),
        _sum_if(exp.and_(flagged.copy(), has_label.copy()), label_y.copy()).as_("tp"),
        _sum_if(exp.and_(flagged.copy(), has_label.copy()), negative_y.copy()).as_("fp"),
        _sum_if(exp.and_(passed.copy(), has_label.copy()), negative_y.copy()).as_("tn"),
        _sum_if(exp.and_(passed.copy(), has_label.copy()), label_y.copy()).as_("fn"),
    ]


SCORE_SUM_COLUMNS = (
    "n_positive", "expected_tp", "variance_positive", "n_negative", "expected_fn",
    "variance_negative", "labelled", "tp", "fp", "tn", "fn",
)  # fmt: skip


def daily_scores_query(
    family: str, window: Days, threshold: float, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """Rows per day of `window` (day, n_positive, expected_tp, variance_positive, n_negative,
    expected_fn, variance_negative, labelled, tp, fp, tn, fn): for predictions flagged
    (score >= threshold) and not, their count, sum of scores and sum of s (1 - s), and the
    realised confusion counts over the labelled predictions. Every model of the family counts
    (`monitor estimate`); a KPI's estimated days read `live_daily_scores_query`."""
    select, where, label = labelled_rows(family, window, tables)
    rows = select.select(
        exp.cast(_col(tables.predictions, "ts", "p"), "DATE").as_("day"),
        _col(tables.predictions, "score", "p").as_("s"),
        label.as_("y"),
        copy=False,
    ).where(where, copy=False)
    return (
        exp.select("day", *_score_sums(threshold))
        .from_(rows.subquery("d"), copy=False)
        .group_by("day", copy=False)
        .order_by("day", copy=False)
    )


def live_daily_scores_query(
    family: str, window: Days, threshold: float, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """`daily_scores_query`'s sums per day of `window` over the predictions of the production
    version live that day only (`core.live_versions`, the KPI series' rule: the newer deployment
    wins on a hand-over day), with that version: rows (day, model_id, n_positive, ... fn).

    A KPI is realised on its live version's days, so its estimated days must be too: a hand-over
    day's older version, and a challenger of the family, are left out rather than mixed in."""
    select, where, label = labelled_rows(family, window, tables)
    predictions, models = tables.predictions, tables.models
    day = exp.cast(_col(predictions, "ts", "p"), "DATE")
    rows = select.select(
        day.as_("day"),
        _col(predictions, "model_id", "p").as_("model_id"),
        _col(models, "deployed_at", "m").as_("deployed_at"),
        _col(predictions, "score", "p").as_("s"),
        label.as_("y"),
        copy=False,
    ).where(exp.and_(where, serving_condition(models, day.copy())), copy=False)
    newest = newest_deployment_first(
        Table("d", {"deployed_at": "deployed_at"}), [exp.column("day")], alias="d"
    )
    grouped = (
        exp.select("day", "model_id", *_score_sums(threshold), newest.as_("newest"))
        .from_(rows.subquery("d"), copy=False)
        .group_by("day", "model_id", "deployed_at", copy=False)
    )
    return (
        exp.select("day", "model_id", *SCORE_SUM_COLUMNS)
        .from_(grouped.subquery("g"), copy=False)
        .where(exp.EQ(this=exp.column("newest"), expression=exp.Literal.number(1)), copy=False)
        .order_by("day", copy=False)
    )

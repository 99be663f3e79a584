"""The store side of performance estimation: reliability bins of a reference and the sums of
each day's scores, read by monitoring/cbpe_sql.py builders; no prediction leaves DuckDB."""

from __future__ import annotations

import datetime as dt

import duckdb

from core.tables import STORE_TABLES, TableMapping
from monitoring import cbpe_sql
from monitoring.cbpe import DayScores, ReliabilityBin

Connection = duckdb.DuckDBPyConnection
Days = tuple[dt.date, dt.date]


def _number(value: object) -> float:
    return 0.0 if value is None else float(str(value))


def reliability_bins(
    con: Connection, family: str, reference: Days, tables: TableMapping = STORE_TABLES
) -> list[ReliabilityBin]:
    """The reference's labelled predictions in score-decile bins, lowest scores first."""
    query = cbpe_sql.reliability_query(family, reference, tables).sql(dialect="duckdb")
    return [
        ReliabilityBin(
            index=int(str(index)),
            n=int(str(n)),
            score_sum=_number(score_sum),
            score_variance=_number(variance),
            positives=_number(positives),
            score_min=_number(low),
            score_max=_number(high),
        )
        for index, n, score_sum, variance, positives, low, high in con.execute(query).fetchall()
    ]


def _day_scores(day: object, sums: tuple[object, ...]) -> DayScores:
    n_pos, e_tp, v_pos, n_neg, e_fn, v_neg, labelled, tp, fp, tn, fn = sums
    assert isinstance(day, dt.date)
    return DayScores(
        day=day,
        n_positive=int(_number(n_pos)),
        expected_tp=_number(e_tp),
        variance_positive=_number(v_pos),
        n_negative=int(_number(n_neg)),
        expected_fn=_number(e_fn),
        variance_negative=_number(v_neg),
        labelled=int(_number(labelled)),
        tp=_number(tp),
        fp=_number(fp),
        tn=_number(tn),
        fn=_number(fn),
    )


def daily_scores(
    con: Connection,
    family: str,
    window: Days,
    threshold: float,
    tables: TableMapping = STORE_TABLES,
) -> list[DayScores]:
    """Per day of `window` with a prediction: the sums a CBPE estimate needs, and the realised
    confusion counts over the labelled predictions (every model of the family)."""
    query = cbpe_sql.daily_scores_query(family, window, threshold, tables).sql(dialect="duckdb")
    return [_day_scores(row[0], tuple(row[1:])) for row in con.execute(query).fetchall()]


def live_daily_scores(
    con: Connection,
    family: str,
    window: Days,
    threshold: float,
    tables: TableMapping = STORE_TABLES,
) -> list[tuple[str, DayScores]]:
    """`daily_scores` of the production version live each day only, with that version's id
    (`cbpe_sql.live_daily_scores_query`), oldest day first."""
    query = cbpe_sql.live_daily_scores_query(family, window, threshold, tables).sql("duckdb")
    return [
        (str(row[1]), _day_scores(row[0], tuple(row[2:]))) for row in con.execute(query).fetchall()
    ]

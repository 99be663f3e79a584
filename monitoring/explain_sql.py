"""SQLGlot builders of the reads that explanations need, over a `TableMapping`.

Drift around an event is read for all its windows at once: one query per feature returns the
counts per bin (numeric, on the reference's edges) or per category, for the reference (slot -1)
and for each window tiled from the first window's start (slot 0, 1, ...). The bins and the family's
rows are the monitor check's (`monitoring.sql.bin_expression`; a family's rows are its models'
predictions of any version and stage; a day range `[start, end]` is `start <= ts < end + 1 day`),
so a window's PSI equals the check's. Family names, columns and dates enter as literals and quoted
identifiers, never as formatted text; render with `.sql(dialect="duckdb")` or `"spark"`.

Builder calls pass `copy=False` (why: experiments/sql.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlglot import exp

from core.tables import STORE_TABLES, Table, TableMapping
from monitoring.sql import bin_expression

Days = tuple[dt.date, dt.date]
ANNOTATION_COLUMNS = ("date", "kind", "note", "author")
REFERENCE_SLOT = -1


def _col(table: Table, role: str, alias: str) -> exp.Column:
    return exp.column(table.column(role), table=alias, quoted=True)


def _table(table: Table, alias: str) -> exp.Table:
    return exp.to_table(table.name, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _timestamp(day: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(f"{day.isoformat()} 00:00:00"), "TIMESTAMP")


def annotations_query(family: str, tables: TableMapping = STORE_TABLES) -> exp.Select:
    """The family's annotations, oldest first. Columns: date, kind, note, author."""
    annotations = tables.annotations
    return (
        exp.select(*(_col(annotations, role, "a").as_(role) for role in ANNOTATION_COLUMNS))
        .from_(_table(annotations, "a"), copy=False)
        .where(
            exp.EQ(this=_col(annotations, "family", "a"), expression=exp.Literal.string(family)),
            copy=False,
        )
        .order_by(*ANNOTATION_COLUMNS[:3], copy=False)
    )


def _slotted_values(
    family: str,
    column: str,
    days: Days,
    slot: exp.Expression,
    tables: TableMapping,
) -> exp.Select:
    """slot, x: the family's non-empty values of `column` on `days`, each with its slot."""
    predictions, models = tables.predictions, tables.models
    value = _col(predictions, column, "p")
    ts = _col(predictions, "ts", "p")
    where = exp.and_(
        exp.EQ(this=_col(models, "family", "m"), expression=exp.Literal.string(family)),
        exp.GTE(this=ts.copy(), expression=_timestamp(days[0])),
        exp.LT(this=ts.copy(), expression=_timestamp(days[1] + dt.timedelta(days=1))),
        exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())),
    )
    join = exp.EQ(this=_col(predictions, "model_id", "p"), expression=_col(models, "model_id", "m"))
    return (
        exp.select(slot.as_("slot"), value.as_("x"))
        .from_(_table(predictions, "p"), copy=False)
        .join(_table(models, "m"), on=join, copy=False)
        .where(where, copy=False)
    )


def _window_slot(first_start: dt.date, window_days: int, tables: TableMapping) -> exp.Expression:
    """(days from `first_start` to the row's day) integer-divided by `window_days`."""
    day = exp.cast(_col(tables.predictions, "ts", "p"), "DATE")
    days = exp.DateDiff(
        this=day,
        expression=exp.cast(exp.Literal.string(first_start.isoformat()), "DATE"),
        unit=exp.var("DAY"),
    )
    return exp.IntDiv(this=days, expression=exp.Literal.number(window_days))


def slotted_sample_query(
    family: str,
    column: str,
    reference: Days,
    first_start: dt.date,
    window_days: int,
    windows: int,
    tables: TableMapping = STORE_TABLES,
) -> exp.Union:
    """Rows (slot, x): the reference's values (slot -1) and those of `windows` consecutive windows
    of `window_days` from `first_start` (slot 0, 1, ...); a row in both appears in both."""
    last_day = first_start + dt.timedelta(days=window_days * windows - 1)
    return exp.union(
        _slotted_values(family, column, reference, exp.Literal.number(REFERENCE_SLOT), tables),
        _slotted_values(
            family,
            column,
            (first_start, last_day),
            _window_slot(first_start, window_days, tables),
            tables,
        ),
        distinct=False,
        copy=False,
    )


def slotted_bins_query(sample: exp.Union, edges: Sequence[float]) -> exp.Select:
    """Rows (slot, bin, n) of a slotted sample, on the numeric edges of the monitor check."""
    binned = exp.select(
        exp.column("slot"), bin_expression(exp.column("x"), edges).as_("bin")
    ).from_(sample.subquery("s"), copy=False)
    return (
        exp.select("slot", "bin", exp.Count(this=exp.Star()).as_("n"))
        .from_(binned.subquery("b"), copy=False)
        .group_by("slot", "bin", copy=False)
        .order_by("slot", "bin", copy=False)
    )


def slotted_categories_query(sample: exp.Union) -> exp.Select:
    """Rows (slot, category, n) of a slotted sample (the category as text)."""
    return (
        exp.select(
            "slot",
            exp.cast(exp.column("x"), "VARCHAR").as_("category"),
            exp.Count(this=exp.Star()).as_("n"),
        )
        .from_(sample.subquery("s"), copy=False)
        .group_by("slot", exp.cast(exp.column("x"), "VARCHAR"), copy=False)
        .order_by("slot", "category", copy=False)
    )

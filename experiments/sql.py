"""SQLGlot builders for the experiment engine: the warehouse returns sufficient statistics only.

The statistics query works in two stages inside the database: one row per unit (its metric values
in the window, and in the pre-period for CUPED), then sums per variant and segment. User text
(experiment ids, event names, variants) enters as SQL literals, segment columns as JSON path keys,
and every column alias is generated from positions, so no user text is ever parsed as SQL. The
builders return SQLGlot expressions; render them with `.sql(dialect="duckdb")` (or `"spark"`).
They read the assignments and events through a `core.tables.TableMapping` (default: the embedded
store's layout), so the same queries run over another warehouse's tables and column names; the
names of the intermediate tables and output columns are the builders' own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlglot import exp

from core.tables import STORE_TABLES, Table, TableMapping
from experiments.spec import ExperimentSpec, MetricSpec

OTHER_SEGMENT = "other"
MISSING_SEGMENT = "(none)"
TOP_SEGMENT_VALUES = 20
EXCLUDED_COLUMN = "excluded_multiple_variants"
LOOK_COLUMN = "look"


@dataclass(frozen=True)
class MetricColumns:
    """Output columns of one metric in the statistics query, in the order of its statistics class.

    Attributes:
        metric: the metric they belong to.
        cuped: whether pre-period columns are present (mean and proportion metrics only).
        names: column names, `n` first; they match the fields of `MeanStats`, `RatioStats` or
            `CupedStats` (experiments.sufficient) in order.
    """

    metric: MetricSpec
    cuped: bool
    names: tuple[str, ...]


def uses_cuped(spec: ExperimentSpec, metric: MetricSpec) -> bool:
    """CUPED applies to per-unit (mean and proportion) metrics when a pre-period is set."""
    return spec.cuped_days > 0 and metric.kind != "ratio"


def metric_columns(spec: ExperimentSpec) -> tuple[MetricColumns, ...]:
    """The statistics query's columns for each metric of `spec`, in spec order."""
    columns = []
    for index, metric in enumerate(spec.metrics):
        prefix = f"m{index}_"
        cuped = uses_cuped(spec, metric)
        suffixes: tuple[str, ...]
        if metric.kind == "ratio":
            suffixes = ("num_sum", "num_sum_sq", "den_sum", "den_sum_sq", "num_den_sum")
        elif cuped:
            suffixes = ("sum", "sum_sq", "pre_sum", "pre_sum_sq", "cross_sum")
        else:
            suffixes = ("sum", "sum_sq")
        columns.append(
            MetricColumns(metric, cuped, ("n", *(prefix + suffix for suffix in suffixes)))
        )
    return tuple(columns)


def segment_column(position: int) -> str:
    """Name of the output column carrying the value of the spec's `position`-th segment."""
    return f"segment_{position}"


def grouping_column(position: int) -> str:
    """Name of the output flag that is 1 when the row sums over the `position`-th segment."""
    return f"grouping_{position}"


def _timestamp(moment: dt.datetime) -> exp.Expr:
    return exp.cast(exp.Literal.string(moment.strftime("%Y-%m-%d %H:%M:%S.%f")), "TIMESTAMP")


def _string_list(values: tuple[str, ...]) -> list[exp.Expr]:
    return [exp.Literal.string(value) for value in values]


def _column(table: Table, role: str, alias: str | None = None) -> exp.Column:
    """The column playing `role` in a mapped source table (qualified by `alias` when given)."""
    return exp.column(table.column(role), table=alias)


def _attribute(assignments: Table, name: str) -> exp.Expr:
    path = exp.JSONPath(expressions=[exp.JSONPathRoot(), exp.JSONPathKey(this=name)])
    return exp.JSONExtractScalar(this=_column(assignments, "attributes"), expression=path)


def _clean_units(
    spec: ExperimentSpec, until: dt.datetime, tables: TableMapping
) -> tuple[exp.Select, exp.Select]:
    """Units assigned before `until`, one row each; units seen in several variants are dropped.

    Returns the per-unit assignment summary (with its variant count) and the clean units drawn
    from it, kept to the spec's variants. Both name their columns `unit_id`, `variant`,
    `assigned_at` whatever the assignments table calls them.
    """
    source = tables.assignments
    assigned = (
        exp.select(
            _column(source, "unit_id").as_("unit_id"),
            exp.Min(this=_column(source, "variant")).as_("variant"),
            exp.Min(this=_column(source, "assigned_at")).as_("assigned_at"),
            exp.Count(this=exp.Distinct(expressions=[_column(source, "variant")])).as_(
                "variant_count"
            ),
            *(
                exp.Min(this=_attribute(source, name)).as_(segment_column(position))
                for position, name in enumerate(spec.segments)
            ),
        )
        .from_(exp.to_table(source.name))
        .where(_column(source, "experiment_id").eq(exp.Literal.string(spec.id)))
        .where(_column(source, "assigned_at") < _timestamp(until))
        .group_by(_column(source, "unit_id"))
    )
    units = (
        exp.select(
            exp.column("unit_id"),
            exp.column("variant"),
            exp.column("assigned_at"),
            *(
                exp.Coalesce(
                    this=exp.column(segment_column(position)),
                    expressions=[exp.Literal.string(MISSING_SEGMENT)],
                ).as_(segment_column(position))
                for position in range(len(spec.segments))
            ),
        )
        .from_("assigned")
        .where(exp.column("variant_count").eq(exp.Literal.number(1)))
        .where(exp.column("variant").isin(*_string_list(spec.variant_names)))
    )
    return assigned, units


def exposure_query(
    spec: ExperimentSpec, until: dt.datetime, tables: TableMapping = STORE_TABLES
) -> exp.Union:
    """Units per variant and day of assignment, plus the units left out for multiple variants.

    Columns: `variant` (NULL on the one row counting excluded units), `day` (date of first
    assignment, NULL on that row), `units`. Reads the assignments table only.
    """
    assigned, units = _clean_units(spec, until, tables)
    per_day = (
        exp.select(
            exp.column("variant"),
            exp.cast(exp.column("assigned_at"), "DATE").as_("day"),
            exp.Count(this=exp.Star()).as_("units"),
        )
        .from_("units")
        .group_by(exp.column("variant"), exp.cast(exp.column("assigned_at"), "DATE"))
    )
    excluded = (
        exp.select(
            exp.cast(exp.Null(), "VARCHAR").as_("variant"),
            exp.cast(exp.Null(), "DATE").as_("day"),
            exp.Count(this=exp.Star()).as_("units"),
        )
        .from_("assigned")
        .where(exp.column("variant_count") > exp.Literal.number(1))
    )
    return (
        exp.union(per_day, excluded, distinct=False)
        .with_("assigned", as_=assigned)
        .with_("units", as_=units)
    )


def _window_value(events: Table, event: str, in_pre_period: bool, indicator: bool) -> exp.Expr:
    """One unit's value of `event`: the sum of its values, or 1 if it occurred (indicator).

    Events are the mapped events table aliased `e`; units the `units` step aliased `u`.
    """
    ts, assigned_at = _column(events, "ts", "e"), exp.column("assigned_at", table="u")
    timing = ts < assigned_at if in_pre_period else ts >= assigned_at
    matches = exp.and_(_column(events, "event", "e").eq(exp.Literal.string(event)), timing)
    if indicator:
        case = exp.Case().when(matches, exp.Literal.number(1)).else_(exp.Literal.number(0))
        return exp.Max(this=case)
    case = exp.Case().when(matches, _column(events, "value", "e")).else_(exp.Literal.number(0))
    return exp.Sum(this=case)


def _unit_value_columns(spec: ExperimentSpec, events: Table) -> list[tuple[str, exp.Expr]]:
    """(alias, per-unit aggregate over events) for every value the metrics need."""
    values: list[tuple[str, exp.Expr]] = []
    for index, metric in enumerate(spec.metrics):
        prefix = f"m{index}_"
        if metric.kind == "ratio":
            values.append(
                (prefix + "num", _window_value(events, str(metric.numerator), False, False))
            )
            values.append(
                (prefix + "den", _window_value(events, str(metric.denominator), False, False))
            )
            continue
        indicator = metric.kind == "proportion"
        values.append(
            (prefix + "value", _window_value(events, str(metric.event), False, indicator))
        )
        if uses_cuped(spec, metric):
            values.append(
                (prefix + "pre", _window_value(events, str(metric.event), True, indicator))
            )
    return values


def _earliest_event(spec: ExperimentSpec) -> exp.Expr:
    """The first moment an event of a unit counts: its assignment, or the pre-period's start."""
    assigned_at = exp.column("assigned_at", table="u")
    if not spec.cuped_days:
        return assigned_at
    interval = exp.Interval(this=exp.Literal.string(str(spec.cuped_days)), unit=exp.var("DAY"))
    return exp.Sub(this=assigned_at, expression=interval)


def _events_of_units(
    spec: ExperimentSpec, until: dt.datetime, events: Table, *selected: exp.Expr
) -> exp.Select:
    """Events of the spec's event names before `until` joined to the clean units (`e` x `u`)."""
    event_names = tuple(dict.fromkeys(name for metric in spec.metrics for name in metric.events))
    unit = _column(events, "unit_id", "e")
    return (
        exp.select(unit.copy().as_("unit_id"), *selected)
        .from_(exp.to_table(events.name).as_("e"))
        .join(
            exp.to_table("units").as_("u"),
            on=unit.copy().eq(exp.column("unit_id", table="u")),
        )
        .where(_column(events, "event", "e").isin(*_string_list(event_names)))
        .where(_column(events, "ts", "e") < _timestamp(until))
        .where(_column(events, "ts", "e") >= _earliest_event(spec))
    )


def _capped(spec: ExperimentSpec) -> list[tuple[str, float]]:
    """(per-unit column, quantile) pairs whose values are capped before summing."""
    caps = []
    for index, metric in enumerate(spec.metrics):
        if metric.cap_percentile is None:
            continue
        caps.append((f"m{index}_value", metric.cap_percentile))
        if uses_cuped(spec, metric):
            caps.append((f"m{index}_pre", metric.cap_percentile))
    return caps


def _capped_value(column: str) -> exp.Expr:
    """A unit's value limited to the column's cap (values are never NULL at this stage)."""
    cap = exp.column(f"{column}_cap")
    above = exp.column(column) > cap
    return exp.Case().when(above, cap.copy()).else_(exp.column(column)).as_(column)


def _sum(expression: exp.Expr) -> exp.Expr:
    return exp.Sum(this=expression)


def _metric_aggregates(spec: ExperimentSpec) -> list[exp.Expr]:
    """The second stage: sums over per-unit values, named as `metric_columns` says."""
    aggregates: list[exp.Expr] = []
    for index, columns in enumerate(metric_columns(spec)):
        prefix = f"m{index}_"
        if columns.metric.kind == "ratio":
            numerator, denominator = exp.column(prefix + "num"), exp.column(prefix + "den")
            aggregates += [
                _sum(numerator).as_(prefix + "num_sum"),
                _sum(exp.Mul(this=numerator, expression=numerator.copy())).as_(
                    prefix + "num_sum_sq"
                ),
                _sum(denominator).as_(prefix + "den_sum"),
                _sum(exp.Mul(this=denominator, expression=denominator.copy())).as_(
                    prefix + "den_sum_sq"
                ),
                _sum(exp.Mul(this=numerator.copy(), expression=denominator.copy())).as_(
                    prefix + "num_den_sum"
                ),
            ]
            continue
        metric_value = exp.column(prefix + "value")
        aggregates += [
            _sum(metric_value).as_(prefix + "sum"),
            _sum(exp.Mul(this=metric_value, expression=metric_value.copy())).as_(prefix + "sum_sq"),
        ]
        if columns.cuped:
            pre_value = exp.column(prefix + "pre")
            aggregates += [
                _sum(pre_value).as_(prefix + "pre_sum"),
                _sum(exp.Mul(this=pre_value, expression=pre_value.copy())).as_(
                    prefix + "pre_sum_sq"
                ),
                _sum(exp.Mul(this=metric_value.copy(), expression=pre_value.copy())).as_(
                    prefix + "cross_sum"
                ),
            ]
    return aggregates


def statistics_query(
    spec: ExperimentSpec, until: dt.datetime, tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """Sufficient statistics per variant, and per variant and segment value, as of `until`.

    An event counts for a unit when `assigned_at <= ts < until`; for CUPED the pre-period is
    `assigned_at - cuped_days <= ts < assigned_at`. Units without events count as 0. Per segment
    column the 20 most common values keep their name and the rest are summed as `other`; the
    `grouping_<i>` flags tell the whole-arm rows (all 1) from each segment's rows.
    Columns: `variant`, `segment_<i>`, `grouping_<i>`, `excluded_multiple_variants` (units seen in
    several variants, the same on every row), then `metric_columns(spec)`.
    """
    assigned, units = _clean_units(spec, until, tables)
    value_columns = _unit_value_columns(spec, tables.events)
    unit_events = _events_of_units(
        spec, until, tables.events, *(aggregate.as_(a) for a, aggregate in value_columns)
    ).group_by(_column(tables.events, "unit_id", "e"))
    segment_values = []
    for position in range(len(spec.segments)):
        name = segment_column(position)
        top = f"top_{position}"
        segment_values.append(
            exp.Case()
            .when(
                exp.column(name, table="u").isin(query=exp.select("value").from_(top)),
                exp.column(name, table="u"),
            )
            .else_(exp.Literal.string(OTHER_SEGMENT))
            .as_(name)
        )
    per_unit = (
        exp.select(
            exp.column("variant", table="u"),
            *segment_values,
            *(
                exp.Coalesce(
                    this=exp.column(alias, table="v"), expressions=[exp.Literal.number(0)]
                ).as_(alias)
                for alias, _ in value_columns
            ),
        )
        .from_(exp.to_table("units").as_("u"))
        .join(
            exp.to_table("unit_events").as_("v"),
            on=exp.column("unit_id", table="u").eq(exp.column("unit_id", table="v")),
            join_type="left",
        )
    )
    caps = _capped(spec)
    source = "per_unit"
    if caps:
        source = "capped"
        capped_columns = {column for column, _ in caps}
        cap_values = exp.select(
            *(
                exp.PercentileCont(this=exp.column(column), expression=exp.Literal.number(q)).as_(
                    f"{column}_cap"
                )
                for column, q in caps
            )
        ).from_("per_unit")
        capped = (
            exp.select(
                exp.column("variant"),
                *(exp.column(segment_column(p)) for p in range(len(spec.segments))),
                *(
                    _capped_value(alias) if alias in capped_columns else exp.column(alias)
                    for alias, _ in value_columns
                ),
            )
            .from_("per_unit")
            .join("caps", join_type="cross")
        )

    aggregates: list[exp.Expr] = [
        exp.Max(this=exp.column(EXCLUDED_COLUMN)).as_(EXCLUDED_COLUMN),
        exp.Count(this=exp.Star()).as_("n"),
        *_metric_aggregates(spec),
    ]
    segment_columns = [exp.column(segment_column(p)) for p in range(len(spec.segments))]
    grouping_sets = [exp.Tuple(expressions=[exp.column("variant")])] + [
        exp.Tuple(expressions=[exp.column("variant"), column]) for column in segment_columns
    ]
    final = exp.select(
        exp.column("variant"),
        *(column.copy() for column in segment_columns),
        *(
            exp.Grouping(expressions=[column.copy()]).as_(grouping_column(position))
            for position, column in enumerate(segment_columns)
        ),
        *aggregates,
    ).from_(source)
    final = final.join("excluded", join_type="cross")
    final = final.group_by(exp.GroupingSets(expressions=grouping_sets))
    excluded = (
        exp.select(exp.Count(this=exp.Star()).as_(EXCLUDED_COLUMN))
        .from_("assigned")
        .where(exp.column("variant_count") > exp.Literal.number(1))
    )
    final = final.with_("assigned", as_=assigned).with_("units", as_=units)
    final = final.with_("excluded", as_=excluded)
    for position in range(len(spec.segments)):
        name = segment_column(position)
        top_values = (
            exp.select(exp.column(name).as_("value"))
            .from_("units")
            .group_by(exp.column(name))
            .order_by(exp.Ordered(this=exp.Count(this=exp.Star()), desc=True), exp.column(name))
            .limit(TOP_SEGMENT_VALUES)
        )
        final = final.with_(f"top_{position}", as_=top_values)
    final = final.with_("unit_events", as_=unit_events).with_("per_unit", as_=per_unit)
    if caps:
        final = final.with_("caps", as_=cap_values).with_("capped", as_=capped)
    return final


def cumulative_query(
    spec: ExperimentSpec, looks: tuple[dt.datetime, ...], tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """Whole-arm sufficient statistics at every look, in one pass over the events.

    At look k a unit counts when `assigned_at < looks[k]`, and an event counts as it would in
    `statistics_query(spec, looks[k])`. Each event falls in the bucket of the first look it counts
    at (`ts < looks[k]`), so one scan sums events per (unit, bucket); a unit's value at look k sums
    (or, for a proportion, takes the largest of) its buckets up to k. Pre-period events come before
    the unit's assignment, so they count at every look the unit is in. Segments are not broken
    down. Columns: `look` (index into `looks`, ascending), `variant`, then `metric_columns(spec)`.
    """
    if not looks or list(looks) != sorted(set(looks)):
        raise ValueError("looks must be distinct times in ascending order")
    until = looks[-1]
    assigned, units = _clean_units(replace(spec, segments=()), until, tables)
    bucket = exp.Case()
    for index, look in enumerate(looks[:-1]):
        bucket = bucket.when(
            _column(tables.events, "ts", "e") < _timestamp(look), exp.Literal.number(index)
        )
    bucket = bucket.else_(exp.Literal.number(len(looks) - 1))
    value_columns = _unit_value_columns(spec, tables.events)
    unit_events = _events_of_units(
        spec,
        until,
        tables.events,
        bucket.as_("bucket"),
        *(aggregate.as_(alias) for alias, aggregate in value_columns),
    ).group_by(_column(tables.events, "unit_id", "e"), bucket.copy())
    look_rows = exp.values(
        [
            exp.Tuple(expressions=[exp.Literal.number(index), _timestamp(look)])
            for index, look in enumerate(looks)
        ],
        alias="look_times",
        columns=["look", "at"],
    )
    indicators = _indicator_columns(spec)
    per_unit = (
        exp.select(
            exp.column("look", table="l"),
            exp.column("variant", table="u"),
            *(
                exp.Coalesce(
                    this=(exp.Max if alias in indicators else exp.Sum)(
                        this=exp.column(alias, table="v")
                    ),
                    expressions=[exp.Literal.number(0)],
                ).as_(alias)
                for alias, _ in value_columns
            ),
        )
        .from_(exp.to_table("units").as_("u"))
        .join(
            exp.select("look", "at").from_(look_rows).subquery("l"),
            on=exp.column("assigned_at", table="u") < exp.column("at", table="l"),
        )
        .join(
            exp.to_table("unit_events").as_("v"),
            on=exp.and_(
                exp.column("unit_id", table="u").eq(exp.column("unit_id", table="v")),
                exp.column("bucket", table="v") <= exp.column("look", table="l"),
            ),
            join_type="left",
        )
        .group_by(
            exp.column("look", table="l"),
            exp.column("unit_id", table="u"),
            exp.column("variant", table="u"),
        )
    )
    caps = _capped(spec)
    source = "per_unit"
    final = exp.select(
        exp.column("look"),
        exp.column("variant"),
        exp.Count(this=exp.Star()).as_("n"),
        *_metric_aggregates(spec),
    )
    final = final.with_("assigned", as_=assigned).with_("units", as_=units)
    final = final.with_("unit_events", as_=unit_events).with_("per_unit", as_=per_unit)
    if caps:
        source = "capped"
        capped_columns = {column for column, _ in caps}
        cap_values = (
            exp.select(
                exp.column("look"),
                *(
                    exp.PercentileCont(
                        this=exp.column(column), expression=exp.Literal.number(q)
                    ).as_(f"{column}_cap")
                    for column, q in caps
                ),
            )
            .from_("per_unit")
            .group_by(exp.column("look"))
        )
        capped = (
            exp.select(
                exp.column("look", table="per_unit"),
                exp.column("variant"),
                *(
                    _capped_value(alias) if alias in capped_columns else exp.column(alias)
                    for alias, _ in value_columns
                ),
            )
            .from_("per_unit")
            .join(
                "caps",
                on=exp.column("look", table="per_unit").eq(exp.column("look", table="caps")),
            )
        )
        final = final.with_("caps", as_=cap_values).with_("capped", as_=capped)
    return (
        final.from_(source)
        .group_by(exp.column("look"), exp.column("variant"))
        .order_by(exp.column("look"), exp.column("variant"))
    )


def _indicator_columns(spec: ExperimentSpec) -> set[str]:
    """Per-unit columns that are 0/1 indicators (proportion metrics): combined by max, not sum."""
    return {
        f"m{index}_{suffix}"
        for index, metric in enumerate(spec.metrics)
        if metric.kind == "proportion"
        for suffix in ("value", "pre")
    }

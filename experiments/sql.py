"""SQLGlot builders for the experiment engine: the warehouse returns sufficient statistics only.

`analysis_query` returns an experiment's statistics AND its exposure in one statement that joins
the events to the units once: the assignments grouped per unit (`units`, with a 1-byte arm),
the events summed per (unit, cell) then per unit, the sums per variant and segment, and the
counts (units per variant, segment value and day) from the units in one GROUPING SETS.
`cumulative_query` applies the same shape to every daily look. User text (experiment ids, event
names, variants) enters as SQL literals, segment columns as JSON path keys, and every column alias
is generated from positions, so no user text is ever parsed as SQL. The builders return SQLGlot
expressions; render them with `.sql(dialect="duckdb")` (or `"spark"`). They read the assignments
and events through a `core.tables.TableMapping` (default: the embedded store's layout), so the
same queries run over another warehouse's tables and column names; the names of the intermediate
tables and output columns are the builders' own.

Builder calls pass `copy=False`, here and in every SQL module: each statement is assembled from
nodes made for it, and SQLGlot's default deep-copies the whole statement built so far at every
`.from_`, `.where`, `.join` or `.with_`. With the copies, the analysis statement of the demo's A/B
test took 130-160 ms to build; without them, 15 ms (the same SQL, text for text). A node used in
two places is copied where it is reused (`.copy()`). tests/test_sql_builders.py keeps the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

from sqlglot import exp

from core.tables import STORE_TABLES, Table, TableMapping
from experiments.spec import ExperimentSpec, MetricSpec
from experiments.sufficient import statistics_class

OTHER_SEGMENT = "other"
MISSING_SEGMENT = "(none)"
TOP_SEGMENT_VALUES = 20
EXCLUDED_COLUMN = "excluded_multiple_variants"
OUTSIDE_COLUMN = "excluded_outside_window"
LOOK_COLUMN = "look"
PART_COLUMN = "part"
STATISTICS_PART = "statistics"
EXPOSURE_PART = "exposure"


# The statistics classes' sum fields (experiments.sufficient), each as the per-unit term it sums:
# a per-unit column of the metric (`value`, `pre`, `num`, `den`), or the product of two.
_SUMMED_TERMS: dict[str, tuple[str, str | None]] = {
    "sum": ("value", None),
    "sum_sq": ("value", "value"),
    "pre_sum": ("pre", None),
    "pre_sum_sq": ("pre", "pre"),
    "cross_sum": ("value", "pre"),
    "num_sum": ("num", None),
    "num_sum_sq": ("num", "num"),
    "den_sum": ("den", None),
    "den_sum_sq": ("den", "den"),
    "num_den_sum": ("num", "den"),
}


@dataclass(frozen=True)
class MetricColumns:
    """Output columns of one metric in the statistics query, one per field of its statistics class.

    Attributes:
        metric: the metric they belong to.
        cuped: whether pre-period columns are present (mean and proportion metrics only).
        prefix: the start of the metric's sum columns (`m<index>_`).
        fields: the fields of the metric's statistics class (`experiments.sufficient`), `n` first.
    """

    metric: MetricSpec
    cuped: bool
    prefix: str
    fields: tuple[str, ...]

    def column(self, field: str) -> str:
        """The output column holding statistics field `field`: `n` (the cell's units, shared by
        every metric) or the prefixed sum."""
        return field if field == "n" else self.prefix + field


def uses_cuped(spec: ExperimentSpec, metric: MetricSpec) -> bool:
    """CUPED applies to per-unit (mean and proportion) metrics when a pre-period is set."""
    return spec.cuped_days > 0 and metric.kind != "ratio"


def metric_columns(spec: ExperimentSpec) -> tuple[MetricColumns, ...]:
    """The statistics query's columns for each metric of `spec`, in spec order."""
    columns = []
    for index, metric in enumerate(spec.metrics):
        cuped = uses_cuped(spec, metric)
        stats_fields = tuple(f.name for f in fields(statistics_class(metric.kind, cuped)))
        columns.append(MetricColumns(metric, cuped, f"m{index}_", stats_fields))
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


def _arm(spec: ExperimentSpec, variant: exp.Expr) -> exp.Expr:
    """A variant's position in the spec as a 1-byte integer (the key the large aggregates carry).

    A string key would travel through every per-unit row; one byte keeps those rows narrow.
    """
    case = exp.Case(this=variant)
    for position, name in enumerate(spec.variant_names):
        case = case.when(exp.Literal.string(name), exp.Literal.number(position))
    return exp.cast(case, "TINYINT")


def _variant_of_arm(spec: ExperimentSpec, arm: exp.Expr) -> exp.Expr:
    """The variant name back from its 1-byte position (`_arm`'s inverse), on the few final rows."""
    case = exp.Case(this=arm)
    for position, name in enumerate(spec.variant_names):
        case = case.when(exp.Literal.number(position), exp.Literal.string(name))
    return case


def _clean_units(
    spec: ExperimentSpec,
    until: dt.datetime,
    tables: TableMapping,
    *extra: exp.Expr,
) -> tuple[exp.Select, exp.Select]:
    """Units first assigned in [start, until), one row each; units in several variants dropped.

    Returns the per-unit assignment summary and the clean units drawn from it, kept to the spec's
    variants, with their `arm` (see `_arm`) and any `extra` columns computed from the summary.
    Both name their columns `unit_id`, `arm`, `assigned_at` whatever the assignments table calls
    them. The summary carries the 1-byte arm, not the variant's name (16 bytes a row), as the
    large per-unit stages do: it is read by two consumers while the events are joined and summed.
    A variant outside the spec has no arm (NULL): its units are left out.
    In the summary `multiple` is true for a unit seen in several variants before
    `until`, told by `min(variant) <> max(variant)` (DuckDB plans `count(DISTINCT variant)` as a
    second grouping joined back), and `outside` for a unit outside the experiment's window: first
    assigned before `start`, or (once `until` reaches `end`) only at or after `end`. Reading up to
    the end, the rows at or after it are read too, so those units are counted, not silently lost;
    every other column then looks only at the rows before `until`.
    """
    source = tables.assignments
    variant = _column(source, "variant")
    assigned_at = _column(source, "assigned_at")
    reads_late_rows = until >= spec.end

    def in_window(aggregate: exp.Expr) -> exp.Expr:
        if not reads_late_rows:
            return aggregate
        before = exp.Where(this=_column(source, "assigned_at") < _timestamp(until))
        return exp.Filter(this=aggregate, expression=before)

    first_in_window = in_window(exp.Min(this=assigned_at.copy()))
    outside = exp.or_(
        exp.Min(this=assigned_at.copy()) < _timestamp(spec.start),
        first_in_window.copy().is_(exp.null()),
    )
    assigned = (
        exp.select(
            _column(source, "unit_id").as_("unit_id"),
            _arm(spec, in_window(exp.Min(this=variant.copy()))).as_("arm"),
            first_in_window.as_("assigned_at"),
            exp.NEQ(
                this=in_window(exp.Min(this=variant.copy())),
                expression=in_window(exp.Max(this=variant.copy())),
            ).as_("multiple"),
            exp.paren(outside).as_("outside"),
            *(
                in_window(exp.Min(this=_attribute(source, name))).as_(segment_column(position))
                for position, name in enumerate(spec.segments)
            ),
        )
        .from_(exp.to_table(source.name), copy=False)
        .where(_column(source, "experiment_id").eq(exp.Literal.string(spec.id)), copy=False)
        .group_by(_column(source, "unit_id"), copy=False)
    )
    if not reads_late_rows:
        assigned = assigned.where(assigned_at.copy() < _timestamp(until), copy=False)
    units = (
        exp.select(
            exp.column("unit_id"),
            exp.column("assigned_at"),
            exp.column("arm"),
            *(
                exp.Coalesce(
                    this=exp.column(segment_column(position)),
                    expressions=[exp.Literal.string(MISSING_SEGMENT)],
                ).as_(segment_column(position))
                for position in range(len(spec.segments))
            ),
            *extra,
        )
        .from_("assigned", copy=False)
        .where(exp.not_(exp.column("outside")), copy=False)
        .where(exp.not_(exp.column("multiple")), copy=False)
        .where(exp.column("arm").is_(exp.null()).not_(), copy=False)
    )
    return assigned, units


def _excluded() -> exp.Select:
    """The counts of units left out, from the `assigned` step: outside the window first, then
    (of those inside it) units seen in several variants."""
    multiple = exp.and_(exp.column("multiple"), exp.not_(exp.column("outside")))
    return exp.select(
        exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=multiple)).as_(
            EXCLUDED_COLUMN
        ),
        exp.Filter(
            this=exp.Count(this=exp.Star()), expression=exp.Where(this=exp.column("outside"))
        ).as_(OUTSIDE_COLUMN),
    ).from_("assigned", copy=False)


def _cells(spec: ExperimentSpec) -> list[tuple[str, bool]]:
    """The (event name, in pre-period) cells an event row can fall in, each needed pair once.

    An event row falls in at most one cell (its name, and whether it is before the unit's
    assignment), so the per-unit stage groups by (unit, cell) with ONE sum instead of one
    conditional aggregate per metric value: narrower rows, half the spill at 10M units.
    """
    cells: dict[tuple[str, bool], None] = {}
    for metric in spec.metrics:
        for event in metric.events:
            cells[(event, False)] = None
            if uses_cuped(spec, metric):
                cells[(event, True)] = None
    return list(cells)


def _cell_of_event(spec: ExperimentSpec, events: Table) -> exp.Expr:
    """The cell index of a joined event row (`e`) of a unit (`u`); NULL when no value needs it."""
    cells = _cells(spec)

    def by_name(pre: bool) -> exp.Expr:
        case = exp.Case(this=_column(events, "event", "e"))
        for index, (event, in_pre) in enumerate(cells):
            if in_pre == pre:
                case = case.when(exp.Literal.string(event), exp.Literal.number(index))
        return case if case.args.get("ifs") else exp.Null()

    after = _column(events, "ts", "e") >= exp.column("assigned_at", table="u")
    return exp.cast(exp.Case().when(after, by_name(False)).else_(by_name(True)), "TINYINT")


def _unit_values(spec: ExperimentSpec) -> list[tuple[str, exp.Expr]]:
    """(alias, per-unit aggregate over the unit's cell rows) for every value the metrics need.

    A value is the sum of its cell's event values, or for a proportion 1 when the cell has a row
    at all (a row exists only for events that occurred); 0 for a unit without such events.
    """
    cells = _cells(spec)

    def value(event: str, pre: bool, indicator: bool) -> exp.Expr:
        aggregate: exp.Expr = (
            exp.Max(this=exp.Literal.number(1)) if indicator else exp.Sum(this=exp.column("total"))
        )
        in_cell = exp.column("cell").eq(exp.Literal.number(cells.index((event, pre))))
        filtered = exp.Filter(this=aggregate, expression=exp.Where(this=in_cell))
        return exp.Coalesce(this=filtered, expressions=[exp.Literal.number(0)])

    values: list[tuple[str, exp.Expr]] = []
    for index, metric in enumerate(spec.metrics):
        prefix = f"m{index}_"
        if metric.kind == "ratio":
            values.append((prefix + "num", value(str(metric.numerator), False, False)))
            values.append((prefix + "den", value(str(metric.denominator), False, False)))
            continue
        indicator = metric.kind == "proportion"
        values.append((prefix + "value", value(str(metric.event), False, indicator)))
        if uses_cuped(spec, metric):
            values.append((prefix + "pre", value(str(metric.event), True, indicator)))
    return values


def _earliest_event(spec: ExperimentSpec) -> exp.Expr:
    """The first moment an event of a unit counts: its assignment, or the pre-period's start."""
    assigned_at = exp.column("assigned_at", table="u")
    if not spec.cuped_days:
        return assigned_at
    interval = exp.Interval(this=exp.Literal.string(str(spec.cuped_days)), unit=exp.var("DAY"))
    return exp.Sub(this=assigned_at, expression=interval)


def _event_rows(
    spec: ExperimentSpec, until: dt.datetime, events: Table, *carried: exp.Expr
) -> exp.Select:
    """Events of the spec's names before `until` joined ONCE to the clean units (`e` x `u`).

    Each row keeps its unit, the unit's `carried` columns, its value and its cell.
    """
    event_names = tuple(dict.fromkeys(name for metric in spec.metrics for name in metric.events))
    unit = _column(events, "unit_id", "e")
    return (
        exp.select(
            unit.copy().as_("unit_id"),
            *carried,
            _column(events, "value", "e").as_("value"),
            _cell_of_event(spec, events).as_("cell"),
        )
        .from_(exp.to_table(events.name).as_("e"), copy=False)
        .join(
            exp.to_table("units").as_("u"),
            on=unit.copy().eq(exp.column("unit_id", table="u")),
            copy=False,
        )
        .where(_column(events, "event", "e").isin(*_string_list(event_names)), copy=False)
        .where(_column(events, "ts", "e") < _timestamp(until), copy=False)
        .where(_column(events, "ts", "e") >= _earliest_event(spec), copy=False)
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


def _per_unit_values(
    keys: Sequence[exp.Expr], values: Sequence[tuple[str, exp.Expr]], look: exp.Expr | None = None
) -> exp.Select:
    """Every clean unit (`units u`, selecting `keys`) with its value of each column in `values`,
    0 for a unit without events: a cap is a percentile over EVERY unit, so capping joins the
    units to their sums (`unit_events v`) again. With `look`, once per look the unit is in at
    (`look_times l`, `first_look <= look`), joined to its sums at that look."""
    on: exp.Expr = exp.column("unit_id", table="u").eq(exp.column("unit_id", table="v"))
    select = exp.select(
        *keys,
        *(
            exp.Coalesce(
                this=exp.column(alias, table="v"), expressions=[exp.Literal.number(0)]
            ).as_(alias)
            for alias, _ in values
        ),
    ).from_(exp.to_table("units").as_("u"), copy=False)
    if look is not None:
        select = select.join(
            exp.to_table("look_times").as_("l"),
            on=exp.column("first_look", table="u") <= look.copy(),
            copy=False,
        )
        on = exp.and_(on, exp.column("look", table="v").eq(look.copy()))
    return select.join(exp.to_table("unit_events").as_("v"), on=on, join_type="left", copy=False)


def _capped_columns(
    values: Sequence[tuple[str, exp.Expr]], caps: list[tuple[str, float]]
) -> list[exp.Expr]:
    """Each value column of `per_unit`, capped at its cap (`caps` joined in) when it has one."""
    capped = {column for column, _ in caps}
    return [_capped_value(alias) if alias in capped else exp.column(alias) for alias, _ in values]


def _cap_values(caps: list[tuple[str, float]]) -> list[exp.Expr]:
    """The percentile of every capped per-unit column over its NON-ZERO values, `<column>_cap`.

    Zeros are left out (GrowthBook's "ignore zeros"): with 2% buyers a percentile over every unit
    is 0 and would cap every purchase away. With no non-zero value the cap is NULL and caps
    nothing.
    """
    return [
        exp.Filter(
            this=exp.PercentileCont(this=exp.column(column), expression=exp.Literal.number(q)),
            expression=exp.Where(this=exp.column(column).neq(exp.Literal.number(0))),
        ).as_(f"{column}_cap")
        for column, q in caps
    ]


def uncapped_column(position: int) -> str:
    """Output column with the sum of the UNCAPPED values of the capped metric at `position`."""
    return f"m{position}_uncapped_sum"


def _uncapped_value(position: int) -> str:
    return f"m{position}_uncapped"


def _uncapped_aggregates(spec: ExperimentSpec) -> list[tuple[str, exp.Expr]]:
    """(output column, sum of the raw per-unit value) for every capped metric, in spec order."""
    return [
        (uncapped_column(index), _sum(exp.column(_uncapped_value(index))))
        for index, metric in enumerate(spec.metrics)
        if metric.cap_percentile is not None
    ]


def _sum(expression: exp.Expr) -> exp.Expr:
    return exp.Sum(this=expression)


def _metric_aggregates(spec: ExperimentSpec) -> list[tuple[str, exp.Expr]]:
    """(output column, sum over per-unit values) in `metric_columns` order, `n` left out.

    Each sum is built from its statistics field's name (`_SUMMED_TERMS`), never its position.
    """
    aggregates: list[tuple[str, exp.Expr]] = []
    for columns in metric_columns(spec):
        for field in columns.fields:
            if field == "n":
                continue
            left, right = _SUMMED_TERMS[field]
            term: exp.Expr = exp.column(columns.prefix + left)
            if right is not None:
                term = exp.Mul(this=term, expression=exp.column(columns.prefix + right))
            aggregates.append((columns.column(field), _sum(term)))
    return aggregates


def _top_segment_mapping(position: int, column: exp.Expr) -> exp.Expr:
    """A unit's value of segment `position`: its own if among the top values, else `other`."""
    return (
        exp.Case()
        .when(
            column.copy().isin(query=exp.select("value").from_(f"top_{position}", copy=False)),
            column.copy(),
        )
        .else_(exp.Literal.string(OTHER_SEGMENT))
    )


def analysis_query(
    spec: ExperimentSpec, until: dt.datetime, tables: TableMapping = STORE_TABLES
) -> exp.Union:
    """The sufficient statistics AND the exposure of `spec` as of `until`, in one statement.

    An event counts for a unit when `assigned_at <= ts < until`; for CUPED the pre-period is
    `assigned_at - cuped_days <= ts < assigned_at`. Units without events count as 0. Per segment
    column the 20 most common values keep their name and the rest are summed as `other`.

    One pass: the assignments are read and grouped once (`units`); the events are joined to the
    units once and summed per (unit, cell), the unit's arm and segment values travelling as keys,
    so the per-unit values never need the units again; sums per arm (and segment value) cover only
    units with events, which is exact since a unit without events adds 0 to every sum; the counts
    (`n`, and the units per day) come from `units` in one GROUPING SETS. Only a capped metric
    (its percentile needs every unit's value) joins the units to their values.

    Columns: `part` (`statistics` or `exposure`); `variant`; `segment_<i>` and `grouping_<i>` (1
    when the row sums over segment i; all 1 on whole-arm rows); `excluded_multiple_variants`
    (units seen in several variants) and `excluded_outside_window` (units first assigned before
    `start`, or only at or after `end`), the same on every row; `n`,
    `metric_columns(spec)` and, per capped metric, `uncapped_column(i)` (statistics rows only);
    `day` and `units` (exposure rows only: units per variant and day of first assignment; the one
    exposure row whose `variant` is NULL counts the excluded units).
    """
    segments = [segment_column(p) for p in range(len(spec.segments))]
    assigned, units = _clean_units(spec, until, tables)
    keys = ["unit_id", "arm", *segments]
    event_rows = _event_rows(
        spec,
        until,
        tables.events,
        exp.column("arm", table="u"),
        *(exp.column(name, table="u") for name in segments),
    )
    unit_cells = (
        exp.select(*keys, "cell", exp.Sum(this=exp.column("value")).as_("total"))
        .from_("event_rows", copy=False)
        .where(exp.column("cell").is_(exp.null()).not_(), copy=False)
        .group_by(*keys, "cell", copy=False)
    )
    values = _unit_values(spec)
    unit_events = (
        exp.select(*keys, *(aggregate.as_(alias) for alias, aggregate in values))
        .from_("unit_cells", copy=False)
        .group_by(*keys, copy=False)
    )
    caps = _capped(spec)
    source = "unit_events"
    ctes: list[tuple[str, exp.Expr]] = [
        ("assigned", assigned),
        ("units", units),
        *(
            (
                f"top_{position}",
                exp.select(exp.column(name).as_("value"))
                .from_("units", copy=False)
                .group_by(exp.column(name), copy=False)
                .order_by(
                    exp.Ordered(this=exp.Count(this=exp.Star()), desc=True),
                    exp.column(name),
                    copy=False,
                )
                .limit(TOP_SEGMENT_VALUES, copy=False),
            )
            for position, name in enumerate(segments)
        ),
        ("event_rows", event_rows),
        ("unit_cells", unit_cells),
        ("unit_events", unit_events),
    ]
    if caps:
        # Capping needs every unit's value: the one case that joins the units again.
        per_unit = _per_unit_values(
            [exp.column("arm", table="u"), *(exp.column(name, table="u") for name in segments)],
            values,
        )
        capped = (
            exp.select(
                "arm",
                *segments,
                *_capped_columns(values, caps),
                *(
                    exp.column(f"m{index}_value").as_(_uncapped_value(index))
                    for index, metric in enumerate(spec.metrics)
                    if metric.cap_percentile is not None
                ),
            )
            .from_("per_unit", copy=False)
            .join("caps", join_type="cross", copy=False)
        )
        ctes += [
            ("per_unit", per_unit),
            ("caps", exp.select(*_cap_values(caps)).from_("per_unit", copy=False)),
            ("capped", capped),
        ]
        source = "capped"
    named = exp.select(
        "arm",
        *(
            _top_segment_mapping(position, exp.column(name)).as_(name)
            for position, name in enumerate(segments)
        ),
        *(alias for alias, _ in values),
        *(_uncapped_value(i) for i, m in enumerate(spec.metrics) if m.cap_percentile is not None),
    ).from_(source, copy=False)
    sums_of = _metric_aggregates(spec) + _uncapped_aggregates(spec)
    grouping = [
        exp.Grouping(expressions=[exp.column(name)]).as_(grouping_column(position))
        for position, name in enumerate(segments)
    ]
    per_segment = [exp.Tuple(expressions=[exp.column("arm"), exp.column(n)]) for n in segments]
    sums = (
        exp.select(
            "arm", *segments, *grouping, *(aggregate.as_(name) for name, aggregate in sums_of)
        )
        .from_("named", copy=False)
        .group_by(
            exp.GroupingSets(
                expressions=[exp.Tuple(expressions=[exp.column("arm")]), *per_segment]
            ),
            copy=False,
        )
    )
    counts = exp.select(
        "arm",
        *(
            _top_segment_mapping(position, exp.column(name)).as_(name)
            for position, name in enumerate(segments)
        ),
        exp.cast(exp.column("assigned_at"), "DATE").as_("day"),
    ).from_("units", copy=False)
    tallies = (
        exp.select(
            "arm",
            *segments,
            *(g.copy() for g in grouping),
            "day",
            exp.Grouping(expressions=[exp.column("day")]).as_("grouping_day"),
            exp.Count(this=exp.Star()).as_("units"),
        )
        .from_("counts", copy=False)
        .group_by(
            exp.GroupingSets(
                expressions=[
                    exp.Tuple(expressions=[exp.column("arm"), exp.column("day")]),
                    exp.Tuple(expressions=[exp.column("arm")]),
                    *(s.copy() for s in per_segment),
                ]
            ),
            copy=False,
        )
    )
    ctes += [
        ("named", named),
        ("sums", sums),
        ("counts", counts),
        ("tallies", tallies),
        ("excluded", _excluded()),
    ]
    is_statistics = exp.column("grouping_day", table="t").eq(exp.Literal.number(1))

    def on_statistics(value: exp.Expr) -> exp.Expr:
        return exp.Case().when(is_statistics.copy(), value)

    join_on = exp.and_(
        is_statistics.copy(),
        exp.column("arm", table="s").eq(exp.column("arm", table="t")),
        *(
            exp.NullSafeEQ(this=exp.column(name, table="s"), expression=exp.column(name, table="t"))
            for name in segments
        ),
        *(
            exp.column(grouping_column(p), table="s").eq(exp.column(grouping_column(p), table="t"))
            for p in range(len(segments))
        ),
    )
    rows = (
        exp.select(
            exp.Case()
            .when(is_statistics.copy(), exp.Literal.string(STATISTICS_PART))
            .else_(exp.Literal.string(EXPOSURE_PART))
            .as_(PART_COLUMN),
            _variant_of_arm(spec, exp.column("arm", table="t")).as_("variant"),
            *(exp.column(name, table="t") for name in segments),
            *(exp.column(grouping_column(p), table="t") for p in range(len(segments))),
            exp.column(EXCLUDED_COLUMN, table="x"),
            exp.column(OUTSIDE_COLUMN, table="x"),
            on_statistics(exp.column("units", table="t")).as_("n"),
            *(
                on_statistics(
                    exp.Coalesce(
                        this=exp.column(name, table="s"), expressions=[exp.Literal.number(0)]
                    )
                ).as_(name)
                for name, _ in sums_of
            ),
            exp.column("day", table="t"),
            exp.Case()
            .when(is_statistics.copy(), exp.null())
            .else_(exp.column("units", table="t"))
            .as_("units"),
        )
        .from_(exp.to_table("tallies").as_("t"), copy=False)
        .join(exp.to_table("excluded").as_("x"), join_type="cross", copy=False)
        .join(exp.to_table("sums").as_("s"), on=join_on, join_type="left", copy=False)
    )
    excluded_row = exp.select(
        exp.Literal.string(EXPOSURE_PART).as_(PART_COLUMN),
        exp.cast(exp.null(), "VARCHAR").as_("variant"),
        *(exp.cast(exp.null(), "VARCHAR").as_(name) for name in segments),
        *(exp.null().as_(grouping_column(p)) for p in range(len(segments))),
        exp.column(EXCLUDED_COLUMN),
        exp.column(OUTSIDE_COLUMN),
        exp.null().as_("n"),
        *(exp.null().as_(name) for name, _ in sums_of),
        exp.cast(exp.null(), "DATE").as_("day"),
        exp.column(EXCLUDED_COLUMN).as_("units"),
    ).from_("excluded", copy=False)
    query = exp.union(rows, excluded_row, distinct=False, copy=False)
    for name, cte in ctes:
        query = query.with_(name, as_=cte, copy=False)
    return query


def cumulative_query(
    spec: ExperimentSpec, looks: tuple[dt.datetime, ...], tables: TableMapping = STORE_TABLES
) -> exp.Select:
    """Whole-arm sufficient statistics at every look, in one pass over the events.

    At look k a unit counts when `assigned_at < looks[k]`, and an event counts as it would in
    `analysis_query(spec, looks[k])`. Each event falls in the bucket of the first look it counts
    at (`ts < looks[k]`) and each unit has its first look; one scan sums events per (unit, bucket,
    cell), and those sums are spread over the looks they count at (bucket and first look at or
    before the look). Pre-period events come before the unit's assignment, so they count at every
    look the unit is in. A unit without events adds 0 to every sum, so `n` per look comes from
    counting units per (arm, first look), a few rows; a capped metric needs every unit's value per
    look for its percentile, so only then are the units joined to every look they are in.
    Segments are not broken down.
    Columns: `look` (index into `looks`, ascending), `variant`, `n`, then `metric_columns(spec)`.
    """
    if not looks or list(looks) != sorted(set(looks)):
        raise ValueError("looks must be distinct times in ascending order")
    spec = replace(spec, segments=())
    until = looks[-1]

    def first_look(moment: exp.Expr) -> exp.Expr:
        case = exp.Case()
        for index, look in enumerate(looks[:-1]):
            case = case.when(moment.copy() < _timestamp(look), exp.Literal.number(index))
        if not case.args.get("ifs"):
            return exp.cast(exp.Literal.number(0), "SMALLINT")
        return exp.cast(case.else_(exp.Literal.number(len(looks) - 1)), "SMALLINT")

    assigned, units = _clean_units(
        spec, until, tables, first_look(exp.column("assigned_at")).as_("first_look")
    )
    event_rows = _event_rows(
        spec,
        until,
        tables.events,
        exp.column("arm", table="u"),
        exp.column("first_look", table="u"),
        first_look(_column(tables.events, "ts", "e")).as_("bucket"),
    )
    cell_keys = ["unit_id", "arm", "first_look", "bucket", "cell"]
    unit_cells = (
        exp.select(*cell_keys, exp.Sum(this=exp.column("value")).as_("total"))
        .from_("event_rows", copy=False)
        .where(exp.column("cell").is_(exp.null()).not_(), copy=False)
        .group_by(*cell_keys, copy=False)
    )
    look_rows = exp.values(
        [
            exp.Tuple(expressions=[exp.Literal.number(index), _timestamp(look)])
            for index, look in enumerate(looks)
        ],
        alias="look_rows",
        columns=["look", "at"],
    )
    look_of = exp.column("look", table="l")
    look_cells = (
        exp.select(
            look_of.copy(),
            exp.column("unit_id", table="c"),
            exp.column("arm", table="c"),
            exp.column("cell", table="c"),
            exp.Sum(this=exp.column("total", table="c")).as_("total"),
        )
        .from_(exp.to_table("unit_cells").as_("c"), copy=False)
        .join(
            exp.to_table("look_times").as_("l"),
            on=exp.and_(
                exp.column("bucket", table="c") <= look_of.copy(),
                exp.column("first_look", table="c") <= look_of.copy(),
            ),
            copy=False,
        )
        .group_by(
            look_of.copy(),
            exp.column("unit_id", table="c"),
            exp.column("arm", table="c"),
            exp.column("cell", table="c"),
            copy=False,
        )
    )
    values = _unit_values(spec)
    unit_events = (
        exp.select("look", "unit_id", "arm", *(aggregate.as_(alias) for alias, aggregate in values))
        .from_("look_cells", copy=False)
        .group_by("look", "unit_id", "arm", copy=False)
    )
    ctes: list[tuple[str, exp.Expr]] = [
        ("assigned", assigned),
        ("units", units),
        ("look_times", exp.select("look", "at").from_(look_rows, copy=False)),
        ("event_rows", event_rows),
        ("unit_cells", unit_cells),
        ("look_cells", look_cells),
        ("unit_events", unit_events),
    ]
    caps = _capped(spec)
    source = "unit_events"
    if caps:
        # Capping per look needs every unit in at that look.
        per_unit = _per_unit_values(
            [look_of.copy(), exp.column("arm", table="u")], values, look=look_of
        )
        cap_values = (
            exp.select("look", *_cap_values(caps))
            .from_("per_unit", copy=False)
            .group_by("look", copy=False)
        )
        capped = (
            exp.select(
                exp.column("look", table="per_unit"),
                "arm",
                *_capped_columns(values, caps),
            )
            .from_("per_unit", copy=False)
            .join(
                "caps",
                on=exp.column("look", table="per_unit").eq(exp.column("look", table="caps")),
                copy=False,
            )
        )
        ctes += [("per_unit", per_unit), ("caps", cap_values), ("capped", capped)]
        source = "capped"
    sums_of = _metric_aggregates(spec)
    sums = (
        exp.select("look", "arm", *(aggregate.as_(name) for name, aggregate in sums_of))
        .from_(source, copy=False)
        .group_by("look", "arm", copy=False)
    )
    arrivals = (
        exp.select("arm", "first_look", exp.Count(this=exp.Star()).as_("units"))
        .from_("units", copy=False)
        .group_by("arm", "first_look", copy=False)
    )
    tallies = (
        exp.select(
            look_of.copy(),
            exp.column("arm", table="a"),
            exp.Sum(this=exp.column("units", table="a")).as_("n"),
        )
        .from_(exp.to_table("arrivals").as_("a"), copy=False)
        .join(
            exp.to_table("look_times").as_("l"),
            on=exp.column("first_look", table="a") <= look_of.copy(),
            copy=False,
        )
        .group_by(look_of.copy(), exp.column("arm", table="a"), copy=False)
    )
    ctes += [("sums", sums), ("arrivals", arrivals), ("tallies", tallies)]
    query = (
        exp.select(
            exp.column("look", table="t").as_(LOOK_COLUMN),
            _variant_of_arm(spec, exp.column("arm", table="t")).as_("variant"),
            exp.cast(exp.column("n", table="t"), "BIGINT").as_("n"),
            *(
                exp.Coalesce(
                    this=exp.column(name, table="s"), expressions=[exp.Literal.number(0)]
                ).as_(name)
                for name, _ in sums_of
            ),
        )
        .from_(exp.to_table("tallies").as_("t"), copy=False)
        .join(
            exp.to_table("sums").as_("s"),
            on=exp.and_(
                exp.column("look", table="s").eq(exp.column("look", table="t")),
                exp.column("arm", table="s").eq(exp.column("arm", table="t")),
            ),
            join_type="left",
            copy=False,
        )
        .order_by(exp.column(LOOK_COLUMN), exp.column("variant"), copy=False)
    )
    for name, cte in ctes:
        query = query.with_(name, as_=cte, copy=False)
    return query

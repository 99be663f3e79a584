"""The one-pass statements return exactly what the previous two-pass builders returned.

The previous builders (before the one-pass port: `statistics_query`, `exposure_query` and
`cumulative_query` with a second join of the units, `count(DISTINCT variant)` and a units x looks
join) are kept below, verbatim, as the reference. `analysis_query` and `cumulative_query` run on
the same connection as the reference, and every key, count and sum must agree (sums to 1e-9
relative: sums of doubles differ in their last bits with the order of addition): on the demo's
three experiments (four metrics, two segment columns with `other` and `(none)`, a capped metric)
as stored and with another capped metric, at the window's end and its middle, and on generated
data shaped like the benchmark's (10 events per unit, 40% before assignment).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from benchmarks.experiment_data import benchmark_specs, generate
from core.tables import STORE_TABLES, Table, TableMapping
from experiments.analysis import look_times
from experiments.spec import ExperimentSpec, parse_spec, spec_to_dict
from experiments.sql import (
    EXCLUDED_COLUMN,
    EXPOSURE_PART,
    MISSING_SEGMENT,
    OTHER_SEGMENT,
    PART_COLUMN,
    STATISTICS_PART,
    TOP_SEGMENT_VALUES,
    analysis_query,
    cumulative_query,
    grouping_column,
    metric_columns,
    segment_column,
    uses_cuped,
)

RELATIVE_TOLERANCE = 1e-9
Row = dict[str, object]


# --- The previous builders (reference), as they were in experiments/sql.py. -------------------


def _timestamp(moment: dt.datetime) -> exp.Expression:
    return exp.cast(exp.Literal.string(moment.strftime("%Y-%m-%d %H:%M:%S.%f")), "TIMESTAMP")


def _string_list(values: tuple[str, ...]) -> list[exp.Expression]:
    return [exp.Literal.string(value) for value in values]


def _column(table: Table, role: str, alias: str | None = None) -> exp.Column:
    """The column playing `role` in a mapped source table (qualified by `alias` when given)."""
    return exp.column(table.column(role), table=alias)


def _attribute(assignments: Table, name: str) -> exp.Expression:
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


def previous_exposure_query(
    spec: ExperimentSpec, until: dt.datetime, tables: TableMapping = STORE_TABLES
) -> exp.Select:
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


def _window_value(
    events: Table, event: str, in_pre_period: bool, indicator: bool
) -> exp.Expression:
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


def _unit_value_columns(spec: ExperimentSpec, events: Table) -> list[tuple[str, exp.Expression]]:
    """(alias, per-unit aggregate over events) for every value the metrics need."""
    values: list[tuple[str, exp.Expression]] = []
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


def _earliest_event(spec: ExperimentSpec) -> exp.Expression:
    """The first moment an event of a unit counts: its assignment, or the pre-period's start."""
    assigned_at = exp.column("assigned_at", table="u")
    if not spec.cuped_days:
        return assigned_at
    interval = exp.Interval(this=exp.Literal.string(str(spec.cuped_days)), unit=exp.var("DAY"))
    return exp.Sub(this=assigned_at, expression=interval)


def _events_of_units(
    spec: ExperimentSpec, until: dt.datetime, events: Table, *selected: exp.Expression
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


def _capped_value(column: str) -> exp.Expression:
    """A unit's value limited to the column's cap (values are never NULL at this stage)."""
    cap = exp.column(f"{column}_cap")
    above = exp.column(column) > cap
    return exp.Case().when(above, cap.copy()).else_(exp.column(column)).as_(column)


def _sum(expression: exp.Expression) -> exp.Expression:
    return exp.Sum(this=expression)


def _metric_aggregates(spec: ExperimentSpec) -> list[exp.Expression]:
    """The second stage: sums over per-unit values, named as `metric_columns` says."""
    aggregates: list[exp.Expression] = []
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


def previous_statistics_query(
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
        # The cap's definition since the one-pass query: the percentile of non-zero values.
        cap_values = exp.select(
            *(
                exp.Filter(
                    this=exp.PercentileCont(
                        this=exp.column(column), expression=exp.Literal.number(q)
                    ),
                    expression=exp.Where(this=exp.column(column).neq(exp.Literal.number(0))),
                ).as_(f"{column}_cap")
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

    aggregates: list[exp.Expression] = [
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


def previous_cumulative_query(
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
                    exp.Filter(
                        this=exp.PercentileCont(
                            this=exp.column(column), expression=exp.Literal.number(q)
                        ),
                        expression=exp.Where(this=exp.column(column).neq(exp.Literal.number(0))),
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


# --- The comparison. ------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, query: exp.Expression) -> list[Row]:
    cursor = con.execute(query.sql(dialect="duckdb"))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _close(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return a == b


def analysis_differences(
    con: duckdb.DuckDBPyConnection, spec: ExperimentSpec, until: dt.datetime
) -> list[str]:
    """Differences between the previous statistics + exposure queries and `analysis_query`."""
    statistics = _rows(con, previous_statistics_query(spec, until))
    exposure = _rows(con, previous_exposure_query(spec, until))
    rows = _rows(con, analysis_query(spec, until))
    assert {r[PART_COLUMN] for r in rows} <= {STATISTICS_PART, EXPOSURE_PART}
    assert statistics, "the reference must have rows for the comparison to mean anything"
    keys = [k for k in statistics[0] if k == "variant" or k.startswith(("segment_", "grouping_"))]
    new = {tuple(r[k] for k in keys): r for r in rows if r[PART_COLUMN] == STATISTICS_PART}
    old = {tuple(r[k] for k in keys): r for r in statistics}
    problems = []
    if set(new) != set(old):
        problems.append(f"statistics keys differ: {set(new) ^ set(old)}")
    for key, before in old.items():
        after = new.get(key, {})
        problems += [
            f"{key} {column}: previous {value!r}, now {after.get(column)!r}"
            for column, value in before.items()
            if not _close(value, after.get(column))
        ]
    now_exposure = sorted(
        (str(r["variant"]), str(r["day"]), r["units"])
        for r in rows
        if r[PART_COLUMN] == EXPOSURE_PART
    )
    old_exposure = sorted((str(r["variant"]), str(r["day"]), r["units"]) for r in exposure)
    if now_exposure != old_exposure:
        problems.append(f"exposure differs: {set(now_exposure) ^ set(old_exposure)}")
    return problems


def cumulative_differences(
    con: duckdb.DuckDBPyConnection, spec: ExperimentSpec, until: dt.datetime
) -> list[str]:
    """Differences between the previous cumulative query and today's at the chart's looks
    (every metric of the spec, to check every kind; the page reads the primary one)."""
    flat = replace(spec, segments=())
    looks = tuple(look_times(flat, until))
    old = _rows(con, previous_cumulative_query(flat, looks))
    new = _rows(con, cumulative_query(flat, looks))
    assert old, "the reference must have rows for the comparison to mean anything"
    if len(old) != len(new):
        return [f"cumulative rows: previous {len(old)}, now {len(new)}"]
    return [
        f"look {o['look']} {o['variant']} {column}: previous {o[column]!r}, now {n.get(column)!r}"
        for o, n in zip(old, new, strict=True)
        for column in o
        if not _close(o[column], n.get(column))
    ]


def _read(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _with_cap(spec: ExperimentSpec, position: int, percentile: float) -> ExperimentSpec:
    raw = spec_to_dict(spec)
    metrics = [dict(metric) for metric in raw["metrics"]]  # type: ignore[attr-defined]  # spec_to_dict: a list of dicts
    metrics[position]["cap_percentile"] = percentile
    return parse_spec({**raw, "metrics": metrics}, origin=spec.id)


def _demo_specs(con: duckdb.DuckDBPyConnection) -> list[ExperimentSpec]:
    rows = con.execute(
        "SELECT experiment_id, spec::VARCHAR FROM experiment_definitions"
        " QUALIFY version = max(version) OVER (PARTITION BY experiment_id) ORDER BY 1"
    ).fetchall()
    return [parse_spec(json.loads(payload), origin=name) for name, payload in rows]


def test_the_demo_experiments_read_the_same_in_one_pass(demo_store_template: Path) -> None:
    con = _read(demo_store_template)
    specs = _demo_specs(con)
    assert {spec.id for spec in specs} == {"rec-v3-vs-v2", "aa-homepage", "banner-split"}
    assert all(len(spec.segments) == 2 for spec in specs)
    assert any(m.cap_percentile is not None for spec in specs for m in spec.metrics)
    # Each experiment also with a cap on its second metric (with CUPED, so both columns cap).
    capped = [_with_cap(spec, 1, 0.9) for spec in specs]
    for spec in specs + capped:
        for until in (spec.end, spec.start + (spec.end - spec.start) / 2):
            assert analysis_differences(con, spec, until) == [], (spec.id, until)
            assert cumulative_differences(con, spec, until) == [], (spec.id, until)


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "bench.duckdb"
    generate(path, units=3000, seed=3, memory_limit="1GB", threads=1)
    return path


def test_generated_data_reads_the_same_in_one_pass(generated_store: Path) -> None:
    con = _read(generated_store)
    for spec in benchmark_specs():
        for until in (spec.end, spec.start + (spec.end - spec.start) / 3):
            assert analysis_differences(con, spec, until) == [], (spec.segments, until)
            assert cumulative_differences(con, spec, until) == [], (spec.segments, until)

"""One-pass candidate for the experiment statistics: a design for `experiments.sql`, as SQL text.

Today `experiment analyze` and the detail page run two statements: `statistics_query` (units from
the assignments, events joined to them and grouped per unit, then the units joined AGAIN to that
result so units without events count as zeros, then the sums per variant and segment) and
`exposure_query` (the assignments read and grouped per unit a second time, for units per day).
The candidate returns both in ONE statement with ONE join of the events:

1. `assigned`: one row per unit from the assignments; several variants are told by
   `min(variant) <> max(variant)` instead of `count(DISTINCT variant)`, which DuckDB plans as a
   second grouping of (unit, variant) joined back to the first.
2. `units`: the clean units (as today), materialised once, read by the join, the counts and the
   segments' top values.
3. `event_rows`, `unit_cells`, `unit_events`: the events joined to the units; each row falls in
   one cell (event name, before or after the unit's assignment) and is summed per (unit, cell);
   then one row per unit with its metric values. The unit's variant (as a 1-byte arm index) and
   segment values travel as grouping keys, so the per-unit values never need the units again.
4. `tallies`: units per (variant, day of assignment), per variant and per (variant, segment
   value) from `units` in one GROUPING SETS: the exposure rows and every statistics row's `n`.
5. `sums`: the per-variant (and per segment value) sums over `unit_events` in one GROUPING SETS.
   A unit without events adds 0 to every sum, so summing only the units that have events is exact;
   the counts come from (4). `sums` is joined to `tallies` on the grouping keys (tens of rows).

`one_pass_cumulative_query` applies the same shape to `cumulative_query`.

A capped metric needs every unit's value, zeros included, for its percentile; for such a spec the
per-unit relation is `units LEFT JOIN unit_events` as today (the only case that keeps the second
join), and the exposure still comes from the same statement.

Output columns: those of `statistics_query` (`variant`, `segment_<i>`, `grouping_<i>`,
`excluded_multiple_variants`, `n`, `metric_columns(spec)`) plus `day` and `units`. Rows with
`day IS NULL AND variant IS NOT NULL` are the statistics rows; rows with a `day` are the exposure
rows (`variant`, `day`, `units`); the one row with `variant IS NULL` carries the excluded count in
`units`, as `exposure_query`'s last row does. `benchmarks/compare_one_pass.py` checks all of it
against the two builders; `benchmarks/one_pass_candidate.sql` is the rendering for the benchmark's
three-metric spec.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlglot import exp

from experiments.spec import ExperimentSpec
from experiments.sql import (
    EXCLUDED_COLUMN,
    MISSING_SEGMENT,
    OTHER_SEGMENT,
    TOP_SEGMENT_VALUES,
    cumulative_query,
    grouping_column,
    metric_columns,
    segment_column,
    uses_cuped,
)


def _literal(text: str) -> str:
    """A SQL string literal for user text (quoted by SQLGlot, never parsed as SQL)."""
    return exp.Literal.string(text).sql(dialect="duckdb")


def _timestamp(moment: dt.datetime) -> str:
    return f"TIMESTAMP {_literal(moment.strftime('%Y-%m-%d %H:%M:%S.%f'))}"


def _attribute(name: str) -> str:
    path = exp.JSONPath(expressions=[exp.JSONPathRoot(), exp.JSONPathKey(this=name)])
    return exp.JSONExtractScalar(this=exp.column("attributes"), expression=path).sql("duckdb")


def _cells(spec: ExperimentSpec) -> list[tuple[str, bool]]:
    """The (event, in pre-period) cells an event row can fall in, one per distinct pair needed.

    An event row falls in at most one cell (its name and whether it is before the unit's
    assignment), so the per-unit stage can group by (unit, cell) with ONE sum instead of one
    FILTER aggregate per metric value: the rows the aggregate holds are narrower, and a spilled
    aggregate writes half as much (3.2 GB instead of 6.3 GB at 10 million units).
    """
    cells: dict[tuple[str, bool], None] = {}
    for metric in spec.metrics:
        for event in metric.events:
            cells[(event, False)] = None
            if uses_cuped(spec, metric):
                cells[(event, True)] = None
    return list(cells)


def _unit_values(spec: ExperimentSpec) -> list[tuple[str, str]]:
    """(alias, per-unit aggregate over the unit's cells) for every value the metrics need.

    The same values as `experiments.sql._unit_value_columns`: a sum of the cell's event values,
    or for a proportion 1 if the cell has a row at all (a row exists only for events that
    occurred), 0 for a unit without such events.
    """
    cells = _cells(spec)

    def value(event: str, pre: bool, indicator: bool) -> str:
        aggregate = "max(1)" if indicator else "sum(total)"
        return f"coalesce({aggregate} FILTER (cell = {cells.index((event, pre))}), 0)"

    values: list[tuple[str, str]] = []
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


def _cell_of_event(spec: ExperimentSpec) -> str:
    """SQL for the cell index of a joined event row `e` of unit `u` (NULL: no value needs it)."""
    cells = _cells(spec)

    def by_name(pre: bool) -> str:
        whens = " ".join(
            f"WHEN {_literal(event)} THEN {index}"
            for index, (event, in_pre) in enumerate(cells)
            if in_pre == pre
        )
        return f"CASE e.event {whens} END" if whens else "NULL"

    return (
        f"CASE WHEN e.ts >= u.assigned_at THEN {by_name(False)} ELSE {by_name(True)} END::UTINYINT"
    )


def _sums(spec: ExperimentSpec) -> list[tuple[str, str]]:
    """(output column, sum over per-unit values) in `metric_columns` order, `n` left out."""
    sums: list[tuple[str, str]] = []
    for index, columns in enumerate(metric_columns(spec)):
        p = f"m{index}_"
        if columns.metric.kind == "ratio":
            terms = [
                f"{p}num",
                f"{p}num * {p}num",
                f"{p}den",
                f"{p}den * {p}den",
                f"{p}num * {p}den",
            ]
        else:
            terms = [f"{p}value", f"{p}value * {p}value"]
            if columns.cuped:
                terms += [f"{p}pre", f"{p}pre * {p}pre", f"{p}value * {p}pre"]
        sums += [
            (name, f"sum({term})") for name, term in zip(columns.names[1:], terms, strict=True)
        ]
    return sums


def one_pass_query(spec: ExperimentSpec, until: dt.datetime) -> str:
    """The statistics and exposure rows of `spec` as of `until`, in one DuckDB statement."""
    segments = [segment_column(p) for p in range(len(spec.segments))]
    variants = ", ".join(_literal(v) for v in spec.variant_names)
    events = ", ".join(
        dict.fromkeys(_literal(name) for metric in spec.metrics for name in metric.events)
    )
    earliest = "u.assigned_at"
    if spec.cuped_days:
        earliest += f" - INTERVAL {int(spec.cuped_days)} DAY"
    values = _unit_values(spec)
    # Units carry their variant's position (1 byte) into the large per-unit aggregates.
    arm = (
        "CASE variant "
        + " ".join(f"WHEN {_literal(v)} THEN {i}" for i, v in enumerate(spec.variant_names))
        + " END::UTINYINT AS arm"
    )
    variant_of_arm = f"[{variants}][arm + 1]"
    sums = _sums(spec)
    capped = {
        f"m{i}_{suffix}": m.cap_percentile
        for i, m in enumerate(spec.metrics)
        if m.cap_percentile is not None
        for suffix in (("value", "pre") if uses_cuped(spec, m) else ("value",))
    }

    ctes = [
        "assigned AS (\n    SELECT unit_id, min(variant) AS variant,"
        " min(assigned_at) AS assigned_at,\n        min(variant) <> max(variant) AS multiple"
        + "".join(
            f",\n        min({_attribute(name)}) AS {column}"
            for name, column in zip(spec.segments, segments, strict=True)
        )
        + f"\n    FROM assignments\n    WHERE experiment_id = {_literal(spec.id)}"
        f" AND assigned_at < {_timestamp(until)}\n    GROUP BY unit_id\n)",
        "units AS (\n    SELECT unit_id, variant, assigned_at, "
        + arm
        + "".join(f", coalesce({c}, {_literal(MISSING_SEGMENT)}) AS {c}" for c in segments)
        + f"\n    FROM assigned WHERE NOT multiple AND variant IN ({variants})\n)",
    ]
    for position, column in enumerate(segments):
        ctes.append(
            f"top_{position} AS (\n    SELECT {column} AS value FROM units GROUP BY {column}"
            f"\n    ORDER BY count(*) DESC, {column} LIMIT {TOP_SEGMENT_VALUES}\n)"
        )
    # The segment value a unit is summed under: its own if among the top values, else `other`.
    named = [
        f"CASE WHEN {c} IN (SELECT value FROM top_{p}) THEN {c} ELSE {_literal(OTHER_SEGMENT)} END"
        for p, c in enumerate(segments)
    ]
    keys = "unit_id, arm" + "".join(f", {c}" for c in segments)
    ctes.append(
        "event_rows AS (\n    SELECT e.unit_id, u.arm"
        + "".join(f", u.{c}" for c in segments)
        + f", e.value,\n        {_cell_of_event(spec)} AS cell"
        + "\n    FROM events AS e JOIN units AS u ON e.unit_id = u.unit_id"
        f"\n    WHERE e.event IN ({events}) AND e.ts < {_timestamp(until)}"
        f" AND e.ts >= {earliest}\n)"
    )
    ctes.append(
        f"unit_cells AS (\n    SELECT {keys}, cell, sum(value) AS total"
        f"\n    FROM event_rows WHERE cell IS NOT NULL GROUP BY {keys}, cell\n)"
    )
    ctes.append(
        f"unit_events AS (\n    SELECT {keys}"
        + "".join(f",\n        {aggregate} AS {alias}" for alias, aggregate in values)
        + f"\n    FROM unit_cells GROUP BY {keys}\n)"
    )
    per_unit_source = "unit_events"
    if capped:
        # Percentiles need every unit, zeros included: the one case that joins the units again.
        ctes.append(
            "all_units AS (\n    SELECT u.variant"
            + "".join(f", u.{c}" for c in segments)
            + "".join(f", coalesce(v.{alias}, 0) AS {alias}" for alias, _ in values)
            + "\n    FROM units AS u LEFT JOIN unit_events AS v ON u.unit_id = v.unit_id\n)"
        )
        ctes.append(
            "caps AS (\n    SELECT "
            + ", ".join(f"quantile_cont({c}, {q!r}) AS {c}_cap" for c, q in capped.items())
            + " FROM all_units\n)"
        )
        ctes.append(
            "capped AS (\n    SELECT variant"
            + "".join(f", {c}" for c in segments)
            + "".join(
                f", CASE WHEN {a} > {a}_cap THEN {a}_cap ELSE {a} END AS {a}"
                if a in capped
                else f", {a}"
                for a, _ in values
            )
            + "\n    FROM all_units CROSS JOIN caps\n)"
        )
        per_unit_source = "capped"
    # unit_events is not re-keyed by unit: the variant and raw segment values are the keys; the
    # `other` mapping applies at the sums, like the counts below.
    segment_sets = "".join(f", (variant, {c})" for c in segments)
    grouping = "".join(f", GROUPING({c}) AS {grouping_column(p)}" for p, c in enumerate(segments))
    ctes.append(
        "named AS (\n    SELECT "
        + (variant_of_arm if not capped else "variant")
        + " AS variant"
        + "".join(f", {expr} AS {c}" for expr, c in zip(named, segments, strict=True))
        + "".join(f", {alias}" for alias, _ in values)
        + f" FROM {per_unit_source}\n)"
    )
    ctes.append(
        "sums AS (\n    SELECT variant"
        + "".join(f", {c}" for c in segments)
        + grouping
        + "".join(f",\n        {expr} AS {name}" for name, expr in sums)
        + f"\n    FROM named GROUP BY GROUPING SETS ((variant){segment_sets})\n)"
    )
    ctes.append(
        "counts AS (\n    SELECT variant"
        + "".join(
            f", CASE WHEN {c} IN (SELECT value FROM top_{p}) THEN {c}"
            f" ELSE {_literal(OTHER_SEGMENT)} END AS {c}"
            for p, c in enumerate(segments)
        )
        + ", assigned_at::DATE AS day FROM units\n)"
    )
    ctes.append(
        "tallies AS (\n    SELECT variant"
        + "".join(f", {c}" for c in segments)
        + grouping
        + ", day, GROUPING(day) AS grouping_day, count(*) AS units"
        f"\n    FROM counts GROUP BY GROUPING SETS ((variant, day), (variant){segment_sets})\n)"
    )
    ctes.append(f"excluded AS (SELECT count(*) AS {EXCLUDED_COLUMN} FROM assigned WHERE multiple)")
    keys = " AND ".join(
        ["s.variant = t.variant"]
        + [f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in segments]
        + [f"s.{grouping_column(p)} = t.{grouping_column(p)}" for p in range(len(segments))]
    )
    select = (
        "SELECT t.variant"
        + "".join(f", t.{c}" for c in segments)
        + "".join(f", t.{grouping_column(p)}" for p in range(len(segments)))
        + f", x.{EXCLUDED_COLUMN}"
        + ", CASE WHEN t.grouping_day = 1 THEN t.units END AS n"
        + "".join(
            f",\n    CASE WHEN t.grouping_day = 1 THEN coalesce(s.{name}, 0) END AS {name}"
            for name, _ in sums
        )
        + ",\n    t.day, CASE WHEN t.grouping_day = 0 THEN t.units END AS units"
        "\nFROM tallies AS t CROSS JOIN excluded AS x"
        f"\nLEFT JOIN sums AS s ON t.grouping_day = 1 AND {keys}"
        "\nUNION ALL\nSELECT NULL"
        + ", NULL" * (2 * len(segments))
        + f", {EXCLUDED_COLUMN}, NULL"
        + ", NULL" * len(sums)
        + f", NULL, {EXCLUDED_COLUMN} FROM excluded"
    )
    return "WITH " + ",\n".join(ctes) + "\n" + select


def one_pass_cumulative_query(spec: ExperimentSpec, looks: tuple[dt.datetime, ...]) -> str:
    """`experiments.sql.cumulative_query` in the same shape: no units x looks LEFT JOIN.

    Today every unit is joined to every look it is in (units x looks rows), then LEFT JOINed to
    its per-bucket event sums. Here each event row gets its bucket (the first look it counts at)
    and each unit its first look; (unit, bucket, cell) sums are spread over the looks they count
    at (bucket <= look and the unit's first look <= look), and a unit without events adds 0 to
    every sum, so `n` per look comes from counting units per (arm, first look), a few rows.
    Capped metrics need every unit's value per look for the percentile: for them the builder
    keeps today's shape, which this function then returns unchanged.
    Columns: `look`, `variant`, `n`, `metric_columns(spec)`, ordered by look and variant.
    """
    if any(m.cap_percentile is not None for m in spec.metrics):
        return cumulative_query(spec, looks).sql(dialect="duckdb")
    if not looks or list(looks) != sorted(set(looks)):
        raise ValueError("looks must be distinct times in ascending order")
    spec = replace(spec, segments=())
    until = looks[-1]
    variants = ", ".join(_literal(v) for v in spec.variant_names)
    events = ", ".join(
        dict.fromkeys(_literal(name) for metric in spec.metrics for name in metric.events)
    )
    earliest = "u.assigned_at"
    if spec.cuped_days:
        earliest += f" - INTERVAL {int(spec.cuped_days)} DAY"

    def first_look(column: str) -> str:
        whens = " ".join(
            f"WHEN {column} < {_timestamp(look)} THEN {index}"
            for index, look in enumerate(looks[:-1])
        )
        return f"CASE {whens} ELSE {len(looks) - 1} END::UTINYINT" if whens else "0::UTINYINT"

    arm = (
        "CASE variant "
        + " ".join(f"WHEN {_literal(v)} THEN {i}" for i, v in enumerate(spec.variant_names))
        + " END::UTINYINT"
    )
    look_rows = ", ".join(f"({i}, {_timestamp(look)})" for i, look in enumerate(looks))
    values = _unit_values(spec)
    sums = _sums(spec)
    ctes = [
        "assigned AS (\n    SELECT unit_id, min(variant) AS variant,"
        " min(assigned_at) AS assigned_at,\n        min(variant) <> max(variant) AS multiple"
        f"\n    FROM assignments\n    WHERE experiment_id = {_literal(spec.id)}"
        f" AND assigned_at < {_timestamp(until)}\n    GROUP BY unit_id\n)",
        f"units AS (\n    SELECT unit_id, assigned_at, {arm} AS arm,"
        f" {first_look('assigned_at')} AS first_look"
        f"\n    FROM assigned WHERE NOT multiple AND variant IN ({variants})\n)",
        f"look_times(look, look_at) AS (VALUES {look_rows})",
        "event_rows AS (\n    SELECT e.unit_id, u.arm, u.first_look,"
        f" {first_look('e.ts')} AS bucket, e.value,\n        {_cell_of_event(spec)} AS cell"
        "\n    FROM events AS e JOIN units AS u ON e.unit_id = u.unit_id"
        f"\n    WHERE e.event IN ({events}) AND e.ts < {_timestamp(until)}"
        f" AND e.ts >= {earliest}\n)",
        "unit_cells AS (\n    SELECT unit_id, arm, first_look, bucket, cell, sum(value) AS total"
        "\n    FROM event_rows WHERE cell IS NOT NULL"
        "\n    GROUP BY unit_id, arm, first_look, bucket, cell\n)",
        "look_cells AS (\n    SELECT l.look, c.unit_id, c.arm, c.cell, sum(c.total) AS total"
        "\n    FROM unit_cells AS c JOIN look_times AS l"
        " ON c.bucket <= l.look AND c.first_look <= l.look"
        "\n    GROUP BY l.look, c.unit_id, c.arm, c.cell\n)",
        "unit_events AS (\n    SELECT look, arm"
        + "".join(f",\n        {aggregate} AS {alias}" for alias, aggregate in values)
        + "\n    FROM look_cells GROUP BY look, unit_id, arm\n)",
        "sums AS (\n    SELECT look, arm"
        + "".join(f",\n        {expr} AS {name}" for name, expr in sums)
        + "\n    FROM unit_events GROUP BY look, arm\n)",
        "arrivals AS (SELECT arm, first_look, count(*) AS units FROM units GROUP BY ALL)",
        "tallies AS (\n    SELECT l.look, a.arm, sum(a.units) AS n"
        "\n    FROM arrivals AS a JOIN look_times AS l ON a.first_look <= l.look"
        "\n    GROUP BY l.look, a.arm\n)",
    ]
    select = (
        f"SELECT t.look, [{variants}][t.arm + 1] AS variant, t.n"
        + "".join(f",\n    coalesce(s.{name}, 0) AS {name}" for name, _ in sums)
        + "\nFROM tallies AS t LEFT JOIN sums AS s ON s.look = t.look AND s.arm = t.arm"
        "\nORDER BY t.look, variant"
    )
    return "WITH " + ",\n".join(ctes) + "\n" + select


CANDIDATE_HEADER = """\
-- The one-pass candidate (benchmarks/one_pass.py) rendered for benchmarks/experiment_bench.toml as
-- of its end: the statistics rows of experiments.sql.statistics_query AND the exposure rows of
-- exposure_query in one statement, the events joined once. Regenerate with
--   python -m benchmarks.one_pass > benchmarks/one_pass_candidate.sql
"""


def render_benchmark_candidate() -> str:
    """The candidate for the benchmark's spec, as committed in one_pass_candidate.sql."""
    from benchmarks.experiment_data import SPEC_PATH
    from experiments.spec import load_spec

    spec = load_spec(SPEC_PATH)
    return CANDIDATE_HEADER + one_pass_query(spec, spec.end) + ";\n"


if __name__ == "__main__":
    print(render_benchmark_candidate(), end="")

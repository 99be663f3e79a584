"""Property tests of the statistics SQL against a plain-Python reading of the definitions."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.experiments.factories import (
    START,
    make_spec,
    read_statistics_and_exposure,
    write_store,
)

CUPED_DAYS = 14
UNTIL = START + dt.timedelta(days=10)
EVENTS = ("purchase", "click", "impression")

moments = st.integers(min_value=-20 * 24, max_value=14 * 24).map(
    lambda hours: START + dt.timedelta(hours=hours)
)
assignment_rows = st.lists(
    st.tuples(
        st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]),
        st.sampled_from(["a", "b"]),
        moments,
        st.sampled_from(["mobile", "desktop"]),
    ),
    min_size=1,
    max_size=10,
)
event_rows = st.lists(
    st.tuples(
        st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6", "stranger"]),
        st.sampled_from(EVENTS),
        st.integers(min_value=0, max_value=50).map(float),
        moments,
    ),
    max_size=30,
)


def reference_values(assignments, events):
    """Per clean unit: (variant, device, revenue, pre_revenue, converted, clicks, impressions);
    the units excluded for several variants, and those first assigned before the start."""
    seen: dict[str, list] = {}
    for unit, variant, at, device in assignments:
        if at < UNTIL:
            seen.setdefault(unit, []).append((variant, at, device))
    units = {}
    outside = 0
    for unit, rows in seen.items():
        if min(moment for _, moment, _ in rows) < START:
            outside += 1
            continue
        if len({variant for variant, _, _ in rows}) > 1:
            continue
        at = min(moment for _, moment, _ in rows)
        device = min(device for _, _, device in rows)
        units[unit] = (rows[0][0], at, device)
    values = {}
    for unit, (variant, at, device) in units.items():
        mine = [(name, value, ts) for who, name, value, ts in events if who == unit]
        window = [(n, v) for n, v, ts in mine if at <= ts < UNTIL]
        pre = [(n, v) for n, v, ts in mine if at - dt.timedelta(days=CUPED_DAYS) <= ts < at]
        revenue = sum(v for n, v in window if n == "purchase")
        values[unit] = (
            variant,
            device,
            revenue,
            sum(v for n, v in pre if n == "purchase"),
            float(any(n == "purchase" for n, _ in window)),
            sum(v for n, v in window if n == "click"),
            sum(v for n, v in window if n == "impression"),
        )
    excluded = len(seen) - len(units) - outside
    return values, excluded, outside


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_rows, event_rows)
def test_sql_sums_equal_the_definitions_and_segments_add_up(
    empty_store_template, assignments, events
):
    spec = make_spec(cuped_days=CUPED_DAYS, segments=["device"])
    with tempfile.TemporaryDirectory() as folder:
        settings_ = write_store(
            Path(folder) / "s.duckdb",
            [
                ("exp", unit, variant, at, {"device": device})
                for unit, variant, at, device in assignments
            ],
            events,
            template=empty_store_template,
        )
        cells, excluded_in_statistics, exposure = read_statistics_and_exposure(
            settings_, spec, UNTIL
        )
    values, excluded, outside = reference_values(assignments, events)
    assert exposure.excluded_multiple_variants == excluded
    assert exposure.excluded_outside_window == outside
    if values:
        assert excluded_in_statistics == excluded
    for variant in ("a", "b"):
        mine = [v for v in values.values() if v[0] == variant]
        whole = [c for c in cells if c.variant == variant and c.segment_column is None]
        if not mine:
            assert not whole
            continue
        (cell,) = whole
        ctr, revenue, converted = cell.metrics
        assert cell.n == len(mine) == exposure.units(variant)
        assert revenue.sum == sum(v[2] for v in mine)
        assert revenue.sum_sq == sum(v[2] ** 2 for v in mine)
        assert revenue.pre_sum == sum(v[3] for v in mine)
        assert revenue.cross_sum == sum(v[2] * v[3] for v in mine)
        assert converted.sum == sum(v[4] for v in mine)
        assert (ctr.num_sum, ctr.den_sum) == (sum(v[5] for v in mine), sum(v[6] for v in mine))
        assert ctr.num_den_sum == sum(v[5] * v[6] for v in mine)
        parts = [c for c in cells if c.variant == variant and c.segment_column == "device"]
        total = parts[0].metrics
        for part in parts[1:]:
            total = tuple(left + right for left, right in zip(total, part.metrics, strict=True))
        assert total == cell.metrics

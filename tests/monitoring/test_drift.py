"""The drift statistics and status rules as specifications: Hypothesis properties of PSI and JS,
and the status and exit-code rules on the smallest data that shows them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.drift import (
    EPSILON,
    category_bins,
    exit_code,
    js_distance,
    judge,
    judge_limit,
    psi,
    worst,
)

counts = st.lists(st.integers(0, 10_000), min_size=2, max_size=15).filter(lambda c: sum(c) > 0)


@st.composite
def two_windows(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    reference = draw(counts)
    current = draw(
        st.lists(st.integers(0, 10_000), min_size=len(reference), max_size=len(reference)).filter(
            lambda c: sum(c) > 0
        )
    )
    return reference, current


@given(counts, st.integers(1, 50))
def test_psi_is_zero_for_identical_windows_whatever_their_size(
    reference: list[int], scale: int
) -> None:
    assert psi(reference, [c * scale for c in reference]) == pytest.approx(0.0, abs=1e-12)


@given(two_windows())
def test_psi_is_never_negative_and_is_symmetric(windows: tuple[list[int], list[int]]) -> None:
    reference, current = windows
    assert psi(reference, current) >= 0.0
    assert psi(reference, current) == pytest.approx(psi(current, reference), rel=1e-12)


@given(two_windows())
def test_js_is_symmetric_bounded_and_zero_only_for_equal_shares(
    windows: tuple[list[int], list[int]],
) -> None:
    reference, current = windows
    distance = js_distance(reference, current)
    assert distance == pytest.approx(js_distance(current, reference), abs=1e-12)
    assert 0.0 <= distance <= 1.0 + 1e-12
    assert js_distance(reference, reference) == pytest.approx(0.0, abs=1e-7)


def test_an_empty_bin_is_floored_so_psi_stays_finite() -> None:
    value = psi([100, 0], [50, 50])
    assert math.isfinite(value)
    assert value == pytest.approx(
        (0.5 - 1.0) * math.log(0.5) + (0.5 - EPSILON) * math.log(0.5 / EPSILON)
    )


def test_disjoint_windows_are_at_js_distance_one() -> None:
    assert js_distance([10, 0], [0, 10]) == pytest.approx(1.0)


def test_categories_the_reference_never_saw_go_to_other() -> None:
    reference, current = category_bins({"a": 3, "b": 1}, {"a": 2, "c": 5, "d": 1})
    assert reference == [3, 1, 0]
    assert current == [2, 0, 6]


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (0.05, "ok"),
        (0.1, "warning"),
        (0.2, "warning"),
        (0.25, "alert"),
        (None, "insufficient_data"),
    ],
)
def test_a_value_at_a_line_has_crossed_it(value: float | None, status: str) -> None:
    assert judge(value, 0.1, 0.25, enough=True) == status


def test_too_few_rows_is_insufficient_data_whatever_the_value() -> None:
    assert judge(9.0, 0.1, 0.25, enough=False) == "insufficient_data"
    assert judge_limit(900.0, 80.0, enough=False) == "insufficient_data"


def test_an_objective_is_breached_only_above_its_limit() -> None:
    assert judge_limit(80.0, 80.0, enough=True) == "ok"
    assert judge_limit(80.1, 80.0, enough=True) == "alert"
    assert judge_limit(0.9, None, enough=True) == "ok"


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        (["ok", "ok"], 0),
        (["ok", "warning"], 10),
        (["warning", "alert", "insufficient_data"], 20),
        (["ok", "insufficient_data"], 30),
        (["warning", "insufficient_data"], 10),
        ([], 30),
    ],
)
def test_exit_code_puts_a_finding_before_missing_data(statuses: list, code: int) -> None:
    assert exit_code(statuses) == code
    assert worst(statuses) in ("ok", "warning", "alert", "insufficient_data")

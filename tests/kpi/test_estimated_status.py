"""`continue_statuses`: the status of a KPI's estimated days, carried on from its last realised
day by the same persistence rule as `evaluate_days`."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from core.vocab import KpiStatusCode
from kpi.evaluation import DayEvaluation, Thresholds, continue_statuses, evaluate_days

LINES = Thresholds(target=0.9, warning=0.85, exit=0.8, direction="increase")
PAST_EXIT = (0.70, 0.75)
PAST_WARNING = (0.81, 0.84)
WITHIN = (0.80, 0.95)
WITHIN_BOTH = (0.86, 0.95)


def _last(status: KpiStatusCode, past_warning: int, past_exit: int) -> DayEvaluation:
    return DayEvaluation(
        dt.date(2026, 10, 31), "m", 0.8, 0.7, 0.9, 100, 7, "binomial", status,
        past_warning, past_exit,
    )  # fmt: skip


def test_a_healthy_kpi_turns_exit_only_after_persistence_estimated_days() -> None:
    steps = continue_statuses(_last("healthy", 0, 0), [PAST_EXIT] * 4, LINES, persistence=3)
    assert [s.status for s in steps] == ["healthy", "healthy", "exit", "exit"]
    assert [s.days_past_exit for s in steps] == [1, 2, 3, 4]


def test_the_realised_runs_count_towards_persistence() -> None:
    steps = continue_statuses(_last("warning", 2, 2), [PAST_EXIT], LINES, persistence=3)
    assert steps[0].status == "exit" and steps[0].days_past_exit == 3


def test_an_exit_moves_back_only_after_persistence_days_within() -> None:
    steps = continue_statuses(_last("exit", 5, 5), [WITHIN_BOTH] * 3, LINES, persistence=3)
    assert [s.status for s in steps] == ["exit", "exit", "healthy"]


def test_an_interval_across_a_line_is_no_evidence_either_way() -> None:
    """(0.80, 0.95) is within the exit line (0.8 touched) but across the warning line (0.85): the
    exit is released after three days, to warning, not to healthy; an estimate far below the exit
    line with an interval reaching over it (0.60, 0.86) keeps an exit as it is."""
    steps = continue_statuses(_last("exit", 5, 5), [WITHIN] * 3, LINES, persistence=3)
    assert [s.status for s in steps] == ["exit", "exit", "warning"]
    wide = continue_statuses(_last("exit", 5, 5), [(0.60, 0.86)] * 10, LINES, persistence=3)
    assert [s.status for s in wide] == ["exit"] * 10
    assert [s.days_past_exit for s in wide] == [0] * 10
    # nor does a healthy KPI turn on an interval across its lines
    calm = continue_statuses(_last("healthy", 0, 0), [(0.60, 0.86)] * 10, LINES, persistence=3)
    assert [s.status for s in calm] == ["healthy"] * 10


def test_a_day_without_an_interval_keeps_the_status_and_breaks_the_runs() -> None:
    steps = continue_statuses(
        _last("healthy", 0, 0), [PAST_EXIT, PAST_EXIT, None, PAST_EXIT], LINES, persistence=3
    )
    assert [s.status for s in steps] == ["healthy"] * 4
    assert steps[-1].days_past_exit == 1


def test_continuing_agrees_with_evaluate_days_on_the_same_windows() -> None:
    """Split one series of one-day windows: evaluating it whole equals evaluating the first part
    and carrying its last day on over the intervals of the rest."""
    values = [0.9] * 5 + [0.7] * 6 + [0.95] * 6 + [0.82] * 5
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=k) for k in range(len(values))]
    frame = {"date": days, "value": values, "n": [100_000] * len(values)}
    whole = evaluate_days(pd.DataFrame(frame), LINES, 1, 3, 0.95, True)
    head = whole[:11]  # ends inside the exit run, whose "within" count is 0
    rest = [(e.ci_low, e.ci_high) for e in whole[11:] if e.ci_low and e.ci_high]
    assert len(rest) == len(whole) - 11
    steps = continue_statuses(head[-1], rest, LINES, 3)
    assert [s.status for s in steps] == [e.status for e in whole[11:]]
    assert [s.days_past_warning for s in steps] == [e.days_past_warning for e in whole[11:]]


def test_a_status_is_not_carried_across_a_hand_over() -> None:
    """The realised exit of version m carries over m's estimated days; the new version's first
    day starts healthy with no runs (as `evaluate_days` starts a new version), and turns exit
    only on persistence days of its own."""
    models = ["m", *["v2"] * 4]
    steps = continue_statuses(_last("exit", 5, 5), [PAST_EXIT] * 5, LINES, 3, models=models)
    assert [s.status for s in steps] == ["exit", "healthy", "healthy", "exit", "exit"]
    assert [s.days_past_exit for s in steps] == [6, 1, 2, 3, 4]
    # a hand-over before the first estimated day: nothing of m's exit reaches v2
    fresh = continue_statuses(_last("exit", 5, 5), [WITHIN_BOTH], LINES, 3, models=["v2"])
    assert fresh[0].status == "healthy" and fresh[0].days_past_exit == 0


def test_one_model_id_per_interval() -> None:
    with pytest.raises(ValueError, match="one per day"):
        continue_statuses(_last("exit", 5, 5), [PAST_EXIT] * 2, LINES, 3, models=["m"])

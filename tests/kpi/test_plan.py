"""Retraining plans, the one check of retraining inputs, and the decision a choice lands as."""

from __future__ import annotations

import pytest

from core.errors import YardstickError
from core.vocab import DECISION_CHOICES
from kpi.checks import MAX_HORIZON_DAYS, retraining_input_problems
from kpi.plan import (
    check_plan,
    decision_for,
    plan_problems,
    request_from_plan,
    retraining_cost,
)
from tests.services.factories import PLAN, plan


def test_plan_cost_is_person_days_times_rate_plus_compute_and_release() -> None:
    assert PLAN.cost == 20 * 100_000 + 500_000 + 500_000
    assert retraining_cost(2.5, 1_000, 10, 1) == 2_511


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"day_rate": -1.0}, "retrain.negative", "day_rate"),
        ({"compute_cost": float("nan")}, "retrain.not_finite", "compute_cost"),
        ({"uplift": 0.02, "uplift_se": 0.01}, "retrain.gain_both", "uplift_experiment"),
        ({"uplift_experiment": None, "uplift_metric": None}, "retrain.gain_missing", None),
        ({"uplift_metric": None}, "retrain.gain_partner_missing", "uplift_metric"),
        ({"horizon_days": 0}, "retrain.at_least_one", "horizon_days"),
        ({"horizon_days": 36_501}, "retrain.at_most", "horizon_days"),
        ({"discount_rate": -1.0}, "retrain.discount_too_low", "discount_rate"),
        ({"plan_id": " "}, "retrain.empty", "plan_id"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(
    change: dict[str, object], code: str, field: str | None
) -> None:
    [problem] = plan_problems(plan(**change))
    assert problem.code == code
    assert problem.field == (field or "uplift_experiment")
    with pytest.raises(YardstickError):
        check_plan(plan(**change))


def test_a_good_plan_has_no_problems_and_stands_for_its_request() -> None:
    assert check_plan(PLAN) is PLAN
    request = request_from_plan(PLAN)
    assert (request.kpi_id, request.cost, request.plan_id) == ("rec-ctr", PLAN.cost, PLAN.plan_id)
    assert (request.uplift_experiment, request.uplift_metric) == ("rec-v3-vs-v2", "ctr")


def test_an_assumed_uplift_needs_its_standard_error_of_zero_or_more() -> None:
    [missing] = retraining_input_problems(uplift=0.02)
    assert (missing.code, missing.field) == ("retrain.gain_partner_missing", "uplift_se")
    assert missing.values["partner_field"] == "uplift"
    [negative] = retraining_input_problems(uplift=0.02, uplift_se=-0.1)
    assert (negative.code, negative.field) == ("retrain.negative", "uplift_se")
    assert retraining_input_problems(uplift=0.02, uplift_se=0.0, cost=0.0) == ()


def test_the_horizon_runs_from_one_day_to_a_century_for_every_face() -> None:
    assert MAX_HORIZON_DAYS == 36_500
    assert retraining_input_problems(horizon_days=1) == ()
    assert retraining_input_problems(horizon_days=MAX_HORIZON_DAYS) == ()
    [too_long] = retraining_input_problems(horizon_days=MAX_HORIZON_DAYS + 1)
    assert (too_long.code, too_long.field) == ("retrain.at_most", "horizon_days")
    assert dict(too_long.values) == {"value": MAX_HORIZON_DAYS + 1, "most": MAX_HORIZON_DAYS}


def test_amounts_are_capped_at_1e15_for_every_face() -> None:
    assert retraining_input_problems(cost=1e15, fallback_value_per_day=-1e15) == ()
    too_large = retraining_input_problems(
        cost=2e15, cost_parts={"day_rate": 1e16}, fallback_value_per_day=-3e15
    )
    assert [(p.code, p.field) for p in too_large] == [
        ("retrain.at_most", "cost"),
        ("retrain.at_most", "day_rate"),
        ("retrain.at_most", "fallback_value_per_day"),
    ]


def test_waiting_is_recorded_as_continuing_and_an_unknown_choice_is_refused() -> None:
    assert DECISION_CHOICES == ("retrain", "wait", "withdraw")
    assert [decision_for(c) for c in DECISION_CHOICES] == ["retrain", "continue", "withdraw"]
    with pytest.raises(YardstickError) as raised:
        decision_for("maybe")
    assert raised.value.code == "retrain.unknown_choice"
    assert raised.value.values["choices"] == "retrain, wait, withdraw"

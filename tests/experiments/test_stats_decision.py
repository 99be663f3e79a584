"""The decision rules (experiments.decision), one rule per test."""

from __future__ import annotations

import dataclasses

from experiments.decision import decide
from tests.experiments.factories import (
    BROKEN_SRM,
    HEALTHY_SRM,
    guardrail_result,
    primary_comparison,
)


def test_ships_when_primary_wins_and_every_guardrail_is_non_inferior():
    decision = decide(
        primary_comparison(10.2), [guardrail_result(10.0)], HEALTHY_SRM, planned_sample_reached=True
    )

    assert decision.outcome == "ship"
    assert decision.reason_codes == ("primary_better",)
    assert decision.reason_values[0]["metric"] == "revenue"


def test_sample_ratio_mismatch_means_invalid_even_with_a_winning_primary():
    decision = decide(primary_comparison(10.2), [], BROKEN_SRM, planned_sample_reached=True)

    assert decision.outcome == "invalid"
    assert decision.reason_codes == ("srm_mismatch",)


def test_fixed_method_keeps_running_before_the_planned_sample_whatever_the_data():
    decision = decide(primary_comparison(10.5), [], HEALTHY_SRM, planned_sample_reached=False)

    assert decision.outcome == "keep_running"
    assert decision.reason_codes == ("planned_sample_not_reached",)


def test_sequential_method_may_ship_before_the_planned_sample():
    decision = decide(
        primary_comparison(10.2, method="sequential"), [], HEALTHY_SRM, planned_sample_reached=False
    )

    assert decision.outcome == "ship"


def test_significant_in_the_wrong_direction_means_dont_ship():
    decision = decide(primary_comparison(9.8), [], HEALTHY_SRM, planned_sample_reached=True)

    assert decision.outcome == "dont_ship"
    assert decision.reason_codes == ("primary_worse",)


def test_a_breached_guardrail_means_dont_ship():
    decision = decide(
        primary_comparison(10.2), [guardrail_result(9.5)], HEALTHY_SRM, planned_sample_reached=True
    )

    assert decision.outcome == "dont_ship"
    assert decision.reason_codes == ("guardrail_breached",)
    assert decision.reason_values[0]["metric"] == "retention"


def test_an_inconclusive_guardrail_keeps_a_sequential_test_running_until_the_plan_ends():
    unsettled = guardrail_result(9.8, n=200, method="sequential")
    primary = primary_comparison(10.2, method="sequential")

    running = decide(primary, [unsettled], HEALTHY_SRM, planned_sample_reached=False)
    ended = decide(primary, [unsettled], HEALTHY_SRM, planned_sample_reached=True)

    assert running.outcome == "keep_running"
    assert ended.outcome == "dont_ship"
    assert ended.reason_codes == ("primary_better", "guardrail_inconclusive")


def test_not_significant_at_the_planned_sample_means_no_effect():
    decision = decide(primary_comparison(10.01), [], HEALTHY_SRM, planned_sample_reached=True)

    assert decision.outcome == "no_effect"
    assert decision.reason_codes == ("primary_not_significant",)


def test_sequential_not_yet_significant_keeps_running():
    decision = decide(
        primary_comparison(10.01, method="sequential"),
        [],
        HEALTHY_SRM,
        planned_sample_reached=False,
    )

    assert decision.outcome == "keep_running"
    assert decision.reason_codes == ("primary_not_yet_significant",)


def test_the_corrected_p_value_decides_not_the_raw_one():
    primary = primary_comparison(10.06)
    assert primary.p_value < 0.05
    corrected = dataclasses.replace(primary, adjusted_p_value=0.2, correction="holm")

    decision = decide(corrected, [], HEALTHY_SRM, planned_sample_reached=True)

    assert decision.outcome == "no_effect"


def test_decision_carries_codes_and_values_in_parallel():
    decision = decide(
        primary_comparison(10.2), [guardrail_result(9.5)], BROKEN_SRM, planned_sample_reached=True
    )

    assert decision.outcome == "invalid"
    assert len(decision.reason_codes) == len(decision.reason_values) == 1

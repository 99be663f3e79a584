"""The retraining use cases on the demo store: the case from a KPI and an experiment, the metric
rule, the KPI's plan, and a decision recorded with its evidence in one transaction."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.clock import fixed_clock
from core.errors import YardstickError
from data import retrain_store
from data.store import StoreSettings
from kpi.retraining import CaseRequest
from services import experiments as experiment_service
from services import kpis, retraining
from tests.factories import TEST_NOW
from tests.services.factories import audit_actions, evidence, rows

CLOCK = fixed_clock(TEST_NOW)


@pytest.fixture(scope="module")
def demo(demo_store_template: Path) -> StoreSettings:
    return StoreSettings(demo_store_template)


def test_decay_interval_is_priced_like_the_status_decay(demo: StoreSettings) -> None:
    detail = kpis.kpi_detail(demo, "rec-ctr")
    facts = retraining.facts_of(detail)
    assert facts.decay_per_day.estimate == pytest.approx(detail.status.decay_per_day, rel=1e-12)
    assert facts.decay_per_day.low < facts.decay_per_day.estimate < facts.decay_per_day.high
    trend = detail.status.trend
    assert trend is not None
    relative_width = (trend.per_30_days_ci[1] - trend.per_30_days_ci[0]) / abs(trend.per_30_days)
    priced_width = (
        facts.decay_per_day.high - facts.decay_per_day.low
    ) / facts.decay_per_day.estimate
    assert priced_width == pytest.approx(relative_width, rel=1e-9)


def test_measured_uplift_is_the_experiments_relative_effect(demo: StoreSettings) -> None:
    as_of = kpis.kpi_detail(demo, "rec-ctr").status.as_of
    found = retraining.experiment_uplift(demo, "rec-v3-vs-v2", "ctr", as_of, "recommender")
    definition = experiment_service.definition(demo, "rec-v3-vs-v2")
    result = experiment_service.analyze_spec(
        demo, definition.spec, definition.spec.end, definition.version
    )
    [comparison] = [c for c in result.comparisons if c.metric == "ctr"]
    assert found.uplift.estimate == pytest.approx(comparison.relative_effect)
    assert found.uplift.standard_error == pytest.approx(comparison.relative_std_error)
    assert (found.control, found.variant) == ("recommender-v2", "recommender-v3")
    assert found.source == "experiment:rec-v3-vs-v2"


def test_a_metric_the_experiment_does_not_measure_is_refused(demo: StoreSettings) -> None:
    with pytest.raises(YardstickError) as raised:
        retraining.experiment_uplift(demo, "rec-v3-vs-v2", "nope", TEST_NOW.date(), "recommender")
    assert (raised.value.code, raised.value.field) == ("retrain.unknown_metric", "uplift_metric")


def test_a_kpi_without_value_per_day_or_trend_is_refused_with_the_reason(
    demo: StoreSettings,
) -> None:
    detail = kpis.kpi_detail(demo, "rec-ctr")
    no_value = dataclasses.replace(
        detail, status=dataclasses.replace(detail.status, value_per_day=None)
    )
    with pytest.raises(YardstickError, match=r"retrain\.no_value_per_day"):
        retraining.facts_of(no_value)
    no_trend = dataclasses.replace(detail, status=dataclasses.replace(detail.status, trend=None))
    with pytest.raises(YardstickError, match=r"retrain\.no_decay_trend"):
        retraining.facts_of(no_trend)


def test_a_request_without_a_gain_is_refused(demo: StoreSettings) -> None:
    with pytest.raises(YardstickError) as raised:
        retraining.evaluate_request(demo, CaseRequest("rec-ctr", 1e6))
    assert (raised.value.code, raised.value.field) == ("retrain.gain_missing", "uplift_experiment")


def test_the_uplift_metric_is_the_asked_one_else_the_kpis_else_the_primary(
    demo: StoreSettings,
) -> None:
    spec = experiment_service.definition(demo, "rec-v3-vs-v2").spec
    names = [m.name for m in spec.metrics]
    assert "ctr" in names
    assert retraining.uplift_metric_for(demo, "rec-v3-vs-v2", "rec-ctr") == "ctr"
    other = next(name for name in names if name != "ctr")
    assert retraining.uplift_metric_for(demo, "rec-v3-vs-v2", "rec-ctr", other) == other


def test_the_plan_request_needs_exactly_one_plan(demo: StoreSettings) -> None:
    request = retraining.plan_request(demo, "rec-ctr", None)
    assert request.plan_id == retrain_store.DEMO_PLAN.plan_id
    assert request.cost == retrain_store.DEMO_PLAN.cost
    with pytest.raises(YardstickError) as raised:
        retraining.plan_request(demo, "rec-latency", None)
    assert (raised.value.code, raised.value.field) == ("retrain.plan_needed", "cost")


def test_waiting_lands_as_continue_with_its_evidence_and_both_audit_rows(
    demo_settings: StoreSettings,
) -> None:
    before = len(kpis.decisions(demo_settings, "rec-ctr"))
    recorded = retraining.record_decision(
        demo_settings,
        "rec-ctr",
        "wait",
        "Evidence too thin; look again after the sale",
        evidence(plan_id=retrain_store.DEMO_PLAN.plan_id),
        clock=CLOCK,
        decided_by="mori",
    )
    decisions = kpis.decisions(demo_settings, "rec-ctr")
    assert len(decisions) == before + 1
    latest = decisions[0]
    assert (latest.decision_id, latest.decision, latest.decided_by) == (
        recorded.decision_id,
        "continue",
        "mori",
    )
    assert latest.decided_at == TEST_NOW
    [stored] = rows(
        demo_settings,
        "SELECT plan_id, plan_version, recommendation, npv_expected "
        "FROM retraining_decision_evidence WHERE decision_id = ?",
        [recorded.decision_id],
    )
    assert stored == (retrain_store.DEMO_PLAN.plan_id, 1, "wait", 1.5e6)
    assert audit_actions(demo_settings)[-2:] == ["kpi.decide", "retrain.decide"]


def test_a_failing_evidence_insert_leaves_no_decision(
    demo_settings: StoreSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = kpis.decisions(demo_settings, "rec-ctr")
    audit_before = audit_actions(demo_settings)

    def fail(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(retrain_store, "insert_evidence", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        retraining.record_decision(
            demo_settings, "rec-ctr", "retrain", "Ship v3", evidence(), clock=CLOCK
        )
    assert kpis.decisions(demo_settings, "rec-ctr") == before
    assert audit_actions(demo_settings) == audit_before


@pytest.mark.parametrize(
    ("choice", "rationale", "code"),
    [("maybe", "why", "retrain.unknown_choice"), ("retrain", "  ", "retrain.rationale_required")],
)
def test_a_bad_choice_or_an_empty_rationale_writes_nothing(
    demo_settings: StoreSettings, choice: str, rationale: str, code: str
) -> None:
    before = kpis.decisions(demo_settings, "rec-ctr")
    with pytest.raises(YardstickError) as raised:
        retraining.record_decision(
            demo_settings, "rec-ctr", choice, rationale, evidence(), clock=CLOCK
        )
    assert raised.value.code == code
    assert kpis.decisions(demo_settings, "rec-ctr") == before


def test_an_experiment_of_another_family_is_refused_as_evidence(demo: StoreSettings) -> None:
    """The demo's A/A test of the homepage tests no fraud model: it cannot price fraud-cost."""
    request = CaseRequest("fraud-cost", 2.6e6, uplift_experiment="aa-homepage", uplift_metric="ctr")
    with pytest.raises(YardstickError) as raised:
        retraining.evaluate_request(demo, request, clock=CLOCK)
    assert (raised.value.code, raised.value.field) == (
        "retrain.experiment_other_family",
        "uplift_experiment",
    )
    assert raised.value.values["family"] == "fraud"


@pytest.mark.parametrize(
    ("request_", "origin"),
    [
        (CaseRequest("rec-ctr", 1e6, uplift=0.02, uplift_se=0.01), "entered"),
        (
            CaseRequest("rec-ctr", 1e6, uplift_experiment="rec-v3-vs-v2", uplift_metric="ctr"),
            "experiment",
        ),
    ],
)
def test_the_case_says_where_its_gain_comes_from(
    demo: StoreSettings, request_: CaseRequest, origin: str
) -> None:
    assert retraining.evaluate_request(demo, request_, clock=CLOCK).case.uplift_origin == origin


def test_a_plans_request_takes_its_gain_from_the_plan(demo: StoreSettings) -> None:
    request = retraining.plan_request(demo, "rec-ctr", None)
    case = retraining.evaluate_request(demo, request, clock=CLOCK).case
    assert (case.uplift_origin, case.plan_id) == ("plan", retrain_store.DEMO_PLAN.plan_id)
    # The demo plan states the recommender's fallback, so withdrawal is priced against it.
    assert case.economics.option("withdraw").npv is not None


def test_a_stored_fallback_value_prices_withdrawal_and_is_versioned(
    demo_settings: StoreSettings,
) -> None:
    request = CaseRequest("rec-latency", 5e6, uplift=0.03, uplift_se=0.01)
    before = retraining.evaluate_request(demo_settings, request, clock=CLOCK).case
    assert before.economics.option("withdraw").npv is None
    assert before.fallback_source is None
    first = retraining.save_fallback(
        demo_settings, "rec-latency", -60_000.0, "cached lists", clock=CLOCK, author="mori"
    )
    again = retraining.save_fallback(
        demo_settings, "rec-latency", -60_000.0, "cached lists", clock=CLOCK, author="mori"
    )
    assert (first.version, again.version) == (1, 1)
    changed = retraining.save_fallback(demo_settings, "rec-latency", -50_000.0, None, clock=CLOCK)
    assert changed.version == 2
    assert retraining.fallback(demo_settings, "rec-latency") == changed
    case = retraining.evaluate_request(demo_settings, request, clock=CLOCK).case
    assert (case.fallback_source, case.economics.inputs.fallback_value_per_day) == (
        "stored",
        -50_000.0,
    )
    assert case.economics.option("withdraw").npv is not None
    given = dataclasses.replace(request, fallback_value_per_day=-70_000.0)
    assert retraining.evaluate_request(demo_settings, given, clock=CLOCK).case.fallback_source == (
        "given"
    )
    assert audit_actions(demo_settings).count("retrain.fallback") == 2


def test_a_fallback_value_for_an_unknown_kpi_or_not_finite_is_refused(
    demo_settings: StoreSettings,
) -> None:
    with pytest.raises(LookupError):
        retraining.save_fallback(demo_settings, "nope", 1.0, None, clock=CLOCK)
    with pytest.raises(YardstickError) as raised:
        retraining.save_fallback(demo_settings, "rec-ctr", float("inf"), None, clock=CLOCK)
    assert raised.value.field == "fallback_value_per_day"
    assert retraining.fallback(demo_settings, "rec-ctr") is None

"""The retraining case from the store, and `retrain evaluate` / `report` on the command line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import cli
from data import experiment_store, retrain_store
from data.store import StoreSettings
from experiments import analysis
from kpi.retraining import (
    CaseRequest,
    RetrainingInputError,
    evaluate_request,
    experiment_uplift,
    kpi_facts,
)
from services import kpis as service

ISSUE_KEYS = {
    "kpi",
    "as_of",
    "currency",
    "cost",
    "value_per_day",
    "decay_per_day",
    "uplift",
    "horizon_days",
    "discount_rate",
    "npv",
    "probability_positive",
    "roi",
    "payback_days",
    "break_even_uplift",
    "optimal_interval_days",
    "options",
    "recommendation",
    "reasons",
}


@pytest.fixture(scope="module")
def demo(demo_store_template: Path) -> StoreSettings:
    return StoreSettings(demo_store_template)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_decay_interval_is_priced_like_the_status_decay(demo: StoreSettings) -> None:
    detail = service.kpi_detail(demo, "rec-ctr")
    facts = kpi_facts(detail)
    assert facts.decay_per_day.estimate == detail.status.decay_per_day
    assert facts.decay_per_day.low < facts.decay_per_day.estimate < facts.decay_per_day.high
    trend = detail.status.trend
    assert trend is not None
    relative_width = (trend.per_30_days_ci[1] - trend.per_30_days_ci[0]) / abs(trend.per_30_days)
    priced_width = (
        facts.decay_per_day.high - facts.decay_per_day.low
    ) / facts.decay_per_day.estimate
    assert priced_width == pytest.approx(relative_width, rel=1e-9)


def test_measured_uplift_is_the_experiments_relative_effect(demo: StoreSettings) -> None:
    as_of = service.kpi_detail(demo, "rec-ctr").status.as_of
    evidence = experiment_uplift(demo, "rec-v3-vs-v2", "ctr", as_of)
    definition = experiment_store.load_definition(demo, "rec-v3-vs-v2")
    result = analysis.analyze(demo, definition.spec, definition.spec.end, definition.version)
    [comparison] = [c for c in result.comparisons if c.metric == "ctr"]
    assert evidence.uplift.estimate == pytest.approx(comparison.relative_effect)
    assert evidence.uplift.standard_error == pytest.approx(comparison.relative_std_error)
    assert (evidence.control, evidence.variant) == ("recommender-v2", "recommender-v3")
    assert evidence.source == "experiment:rec-v3-vs-v2"


def test_a_kpi_without_value_per_day_is_refused_with_the_reason(demo: StoreSettings) -> None:
    detail = service.kpi_detail(demo, "rec-ctr")
    no_value = dataclasses.replace(
        detail, status=dataclasses.replace(detail.status, value_per_day=None)
    )
    with pytest.raises(RetrainingInputError, match="no value per day"):
        kpi_facts(no_value)
    no_trend = dataclasses.replace(detail, status=dataclasses.replace(detail.status, trend=None))
    with pytest.raises(RetrainingInputError, match="no decay trend"):
        kpi_facts(no_trend)


def test_a_request_without_a_gain_is_refused(demo: StoreSettings) -> None:
    with pytest.raises(RetrainingInputError, match="--uplift-experiment"):
        evaluate_request(demo, CaseRequest("rec-ctr", 1e6))


def test_json_has_the_issue_shape(demo_store_template: Path, capsys) -> None:
    status, out, _ = run_cli(
        capsys,
        "retrain", "evaluate", "--db", str(demo_store_template), "--kpi", "rec-ctr",
        "--cost", "3000000", "--uplift-experiment", "rec-v3-vs-v2", "--uplift-metric", "ctr",
        "--json",
    )  # fmt: skip
    assert status == 0
    record = json.loads(out)
    assert set(record) >= ISSUE_KEYS
    assert record["kpi"] == "rec-ctr" and record["currency"] == "JPY"
    assert record["cost"] == 3_000_000.0
    assert set(record["decay_per_day"]) == {"estimate", "ci"}
    assert record["uplift"]["source"] == "experiment:rec-v3-vs-v2"
    assert len(record["uplift"]["ci"]) == 2
    assert set(record["npv"]) == {"expected", "p10", "p90"}
    assert set(record["optimal_interval_days"]) == {"estimate", "ci"}
    assert [o["option"] for o in record["options"]] == [
        "do_nothing",
        "retrain_now",
        "retrain_later",
        "withdraw",
    ]
    assert record["options"][0]["npv"] == 0.0
    assert "at" in record["options"][2]
    assert record["options"][1]["npv"] == record["npv"]["expected"]
    assert record["recommendation"] in {"retrain_now", "wait", "withdraw", "do_nothing"}
    assert record["reasons"] and all(isinstance(r, str) for r in record["reasons"])


def test_assumed_uplift_and_as_of_are_used(demo_store_template: Path, capsys) -> None:
    status, out, _ = run_cli(
        capsys,
        "retrain", "evaluate", "--db", str(demo_store_template), "--kpi", "rec-ctr",
        "--cost", "1000000", "--uplift", "0.03", "--uplift-se", "0", "--as-of", "2026-10-01",
        "--horizon-days", "180", "--discount-rate", "0.1", "--fallback-value-per-day", "500000",
        "--json",
    )  # fmt: skip
    assert status == 0
    record = json.loads(out)
    assert record["as_of"] == "2026-10-01"
    assert record["uplift"] == {"relative": 0.03, "ci": [0.03, 0.03], "source": "assumed"}
    assert (record["horizon_days"], record["discount_rate"]) == (180, 0.1)
    assert record["npv"]["p10"] == pytest.approx(record["npv"]["p90"])
    assert record["payback_days"] == pytest.approx(1_000_000 / (0.03 * record["value_per_day"]))
    assert record["options"][3].get("basis") is None


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--kpi", "nope", "--cost", "1", "--uplift", "0.1", "--uplift-se", "0.1"], "No KPI"),
        (["--kpi", "rec-ctr", "--cost", "-5", "--uplift", "0.1", "--uplift-se", "0"], "--cost"),
        (["--kpi", "rec-ctr", "--cost", "5", "--uplift", "0.1"], "--uplift-se"),
        (
            ["--kpi", "rec-ctr", "--cost", "5", "--uplift-experiment", "rec-v3-vs-v2",
             "--uplift-metric", "nope"],
            "no metric 'nope'",
        ),
        (
            ["--kpi", "rec-ctr", "--cost", "5", "--uplift-experiment", "nope",
             "--uplift-metric", "ctr"],
            "No experiment 'nope'",
        ),
        (["--kpi", "rec-ctr", "--cost", "5"], "--uplift-experiment"),
        (
            ["--kpi", "rec-ctr", "--cost", "5", "--uplift", "0.1", "--uplift-se", "0",
             "--horizon-days", "0"],
            "--horizon-days",
        ),
    ],
)  # fmt: skip
def test_bad_input_exits_1_with_a_message_naming_it(
    demo_store_template: Path, capsys, flags: list[str], message: str
) -> None:
    status, out, err = run_cli(
        capsys, "retrain", "evaluate", "--db", str(demo_store_template), *flags
    )
    assert status == 1
    assert out == ""
    assert message in err


def test_report_command_writes_a_report_from_the_stored_demo_plan(
    demo_store_template: Path, tmp_path: Path, capsys
) -> None:
    [stored] = retrain_store.latest_plans(StoreSettings(demo_store_template), "rec-ctr")
    assert stored.plan.uplift_experiment == "rec-v3-vs-v2"
    out_file = tmp_path / "report.html"
    status, out, _ = run_cli(
        capsys,
        "report", "--db", str(demo_store_template), "--kpi", "rec-ctr",
        "--lang", "ja", "--format", "html", "--out", str(out_file),
    )  # fmt: skip
    assert status == 0 and str(out_file) in out
    document = out_file.read_text(encoding="utf-8")
    assert "再学習の検討" in document and "rec-v3-vs-v2" in document


def test_report_command_with_an_experiment_prints_markdown(
    demo_store_template: Path, capsys
) -> None:
    status, out, _ = run_cli(
        capsys,
        "report", "--db", str(demo_store_template), "--kpi", "rec-ctr",
        "--experiment", "rec-v3-vs-v2", "--cost", "2000000", "--lang", "en", "--format", "md",
    )  # fmt: skip
    assert status == 0
    assert out.startswith("# Retraining case: Recommendation click-through rate")
    assert "Experiment rec-v3-vs-v2 compared recommender-v3" in out


def test_report_command_without_cost_or_plan_says_what_to_give(
    demo_store_template: Path, capsys
) -> None:
    status, _, err = run_cli(
        capsys,
        "report", "--db", str(demo_store_template), "--kpi", "rec-latency",
        "--lang", "en", "--format", "md",
    )  # fmt: skip
    assert status == 1
    assert "give --cost" in err

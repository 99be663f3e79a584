"""`retrain evaluate` and `report` on the command line: the JSON shape, the flags, exit statuses
and errors naming the flag at fault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from data.store import StoreSettings
from i18n.catalogue import translate
from services import retraining
from tests.factories import markdown_unescaped
from tests.services.factories import count_store_opens, run_cli

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
    assert record["payback_days"] == pytest.approx(1_000_000 / (0.03 * record["value_per_day"]))
    assert record["options"][3].get("basis") is None
    assert record["options"][3]["npv"] is not None
    assert record["uplift_source"] == "entered"
    assert record["retrain_later_npv"] == record["options"][2]["npv"]
    assert record["retrain_later_at"] == record["options"][2]["at"]
    assert record["withdraw_npv"] == record["options"][3]["npv"]
    assert 0 <= record["best_retrain_day"] < 180


def test_a_lower_is_better_kpi_prices_an_improvement_as_a_gain(
    demo_store_template: Path, capsys
) -> None:
    """Issue 9, item 1: rec-latency (lower is better, value per day negative) with a 3% gain."""
    status, out, _ = run_cli(
        capsys,
        "retrain", "evaluate", "--db", str(demo_store_template), "--kpi", "rec-latency",
        "--cost", "5000000", "--uplift", "0.03", "--uplift-se", "0.01", "--json",
    )  # fmt: skip
    assert status == 0
    record = json.loads(out)
    assert record["value_per_day"] < 0
    assert record["daily_gain"] == pytest.approx(0.03 * abs(record["value_per_day"]))
    # The latency KPI's decay is positive exactly when its trend rises (it gets worse).
    assert record["decay_per_day"]["estimate"] > 0
    # Without a fallback value withdrawal is not priced, so it is never the advice.
    assert record["options"][3]["npv"] is None
    assert record["recommendation"] != "withdraw"
    assert record["withdraw_npv"] is None


def test_an_experiment_of_another_family_is_refused_with_exit_1(
    demo_store_template: Path, capsys
) -> None:
    status, _, err = run_cli(
        capsys,
        "retrain", "evaluate", "--db", str(demo_store_template), "--kpi", "fraud-cost",
        "--cost", "2600000", "--uplift-experiment", "aa-homepage", "--uplift-metric", "ctr",
    )  # fmt: skip
    assert status == 1
    assert "--uplift-experiment" in err and "fraud" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--kpi", "nope", "--cost", "1", "--uplift", "0.1", "--uplift-se", "0.1"], "No KPI"),
        (["--kpi", "rec-ctr", "--cost", "-5", "--uplift", "0.1", "--uplift-se", "0"], "--cost"),
        (["--kpi", "rec-ctr", "--cost", "5", "--uplift", "0.1"], "--uplift-se is missing"),
        (
            ["--kpi", "rec-ctr", "--cost", "5", "--uplift", "0.1", "--uplift-se", "-1"],
            "--uplift-se must be zero or more",
        ),
        (
            ["--kpi", "rec-ctr", "--cost", "5", "--uplift", "0.1", "--uplift-se", "0",
             "--discount-rate", "-1"],
            "--discount-rate must be at least -0.5",
        ),
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
    [stored] = retraining.plans(StoreSettings(demo_store_template), "rec-ctr")
    assert stored.plan.uplift_experiment == "rec-v3-vs-v2"
    out_file = tmp_path / "report.html"
    status, out, _ = run_cli(
        capsys,
        "report", "--db", str(demo_store_template), "--kpi", "rec-ctr",
        "--lang", "ja", "--format", "html", "--out", str(out_file),
    )  # fmt: skip
    assert (status, out) == (0, translate("en", "cli.report.written", path=out_file) + "\n")
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
    assert markdown_unescaped(out).startswith(
        "# Retraining case: Recommendation click-through rate"
    )
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


def test_report_command_refuses_an_experiment_with_an_assumed_uplift(
    demo_store_template: Path, capsys
) -> None:
    status, out, err = run_cli(
        capsys,
        "report", "--db", str(demo_store_template), "--kpi", "rec-ctr", "--cost", "5",
        "--experiment", "rec-v3-vs-v2", "--uplift", "0.1", "--uplift-se", "0",
        "--lang", "en", "--format", "md",
    )  # fmt: skip
    assert (status, out) == (1, "")
    assert "--experiment measures the expected gain" in err


def test_retrain_fallback_stores_the_value_withdrawal_is_weighed_against(
    demo_settings, capsys
) -> None:
    db = str(demo_settings.path)
    status, out, _ = run_cli(
        capsys,
        "retrain", "fallback", "--db", db, "--kpi", "rec-latency", "--value-per-day", "-60000",
        "--note", "cached lists",
    )  # fmt: skip
    assert status == 0
    assert "rec-latency: fallback value per day -60,000 stored as version 1" in out
    stored = translate(
        "en", "cli.retrain.fallback_stored", kpi_id="rec-latency", value=-60_000, version=1
    )
    assert out == stored + "\n"
    status, out, _ = run_cli(
        capsys,
        "retrain", "evaluate", "--db", db, "--kpi", "rec-latency", "--cost", "5000000",
        "--uplift", "0.03", "--uplift-se", "0.01", "--json",
    )  # fmt: skip
    record = json.loads(out)
    assert (record["fallback_source"], record["fallback_value_per_day"]) == ("stored", -60000.0)
    assert record["withdraw_npv"] is not None
    status, _, err = run_cli(
        capsys, "retrain", "fallback", "--db", db, "--kpi", "nope", "--value-per-day", "1"
    )
    assert status == 1 and "nope" in err
    # An amount beyond the cap is refused as this command's flag (exit 2), not another's.
    with pytest.raises(SystemExit) as refused:
        run_cli(
            capsys, "retrain", "fallback", "--db", db, "--kpi", "rec-latency",
            "--value-per-day", "2e15",
        )  # fmt: skip
    assert refused.value.code == 2
    assert "argument --value-per-day: '2e15' is not a finite amount" in capsys.readouterr().err


def test_report_reads_the_plan_the_metric_and_the_evidence_in_one_snapshot(
    demo_store_template: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = count_store_opens(monkeypatch)
    status, out, _ = run_cli(
        capsys,
        "report", "--db", str(demo_store_template), "--kpi", "rec-ctr",
        "--experiment", "rec-v3-vs-v2", "--lang", "en", "--format", "md",
    )  # fmt: skip
    assert status == 0 and "Experiment rec-v3-vs-v2 compared recommender-v3" in out
    # the command's schema check, then one connection for the KPI, its plan, the experiment's
    # metric and the evidence (it was four)
    assert opened == [True, True]

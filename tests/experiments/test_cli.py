"""`python cli.py experiment ...`: define with history, analyse to a table or to JSON."""

from __future__ import annotations

import json

import pytest

from cli import main
from data.store import connect
from i18n.catalogue import translate
from i18n.experiments import reason_message
from services import experiments as service
from tests.experiments.factories import GOOD_TOML

RESULT_KEYS = {
    "metric", "kind", "role", "variant", "control", "n_control", "n_variant", "control_mean",
    "variant_mean", "cuped", "absolute_effect", "absolute_ci", "relative_effect", "relative_ci",
    "p_value", "adjusted_p_value", "chance_to_win", "expected_loss", "segment",
}  # fmt: skip


def _analyze_json(settings, capsys, *extra: str) -> dict:
    code = main(["experiment", "analyze", "--db", str(settings.path), "--json", *extra])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_defining_an_id_again_stores_a_new_version_and_keeps_the_history(
    empty_settings, tmp_path, capsys
):
    spec = tmp_path / "spec.toml"
    spec.write_text(GOOD_TOML, encoding="utf-8")
    db = str(empty_settings.path)
    assert main(["experiment", "define", "--db", db, "--spec", str(spec), "--create"]) == 0
    spec.write_text(GOOD_TOML.replace("planned_mde = 0.02", "planned_mde = 0.03"), "utf-8")
    assert main(["experiment", "define", "--db", db, "--spec", str(spec), "--reason", "wider"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said == [
        translate("en", "cli.experiment.defined", id="rec-v3-vs-v2", version=version)
        for version in (1, 2)
    ]
    assert main(["experiment", "history", "--db", db, "--id", "rec-v3-vs-v2"]) == 0
    history = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in history] == ["v1", "v2"]
    with connect(empty_settings, read_only=True) as con:
        audited = con.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'experiment.define'"
        ).fetchone()[0]
    assert audited == 2


def test_a_bad_spec_is_refused_naming_the_key_and_stores_nothing(empty_settings, tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(GOOD_TOML.replace('kind = "ratio"', 'kind = "median"'), encoding="utf-8")
    assert (
        main(["experiment", "define", "--db", str(empty_settings.path), "--spec", str(spec)]) == 1
    )
    assert "metrics[0].kind" in capsys.readouterr().err
    assert not empty_settings.path.exists()


def test_analyze_json_has_the_documented_shape(demo_settings, capsys):
    document = _analyze_json(demo_settings, capsys, "--id", "rec-v3-vs-v2")
    assert document["experiment"] == "rec-v3-vs-v2"
    assert document["as_of"].endswith("Z") and len(document["as_of"]) == 20
    spec = service.definition(demo_settings, "rec-v3-vs-v2").spec
    assert (document["method"], document["correction"]) == (spec.method, spec.correction)
    assert set(document["units"]) == {"v2", "v3"}
    assert document["excluded_multiple_variants"] == 3
    assert set(document["srm"]) >= {"p_value", "mismatch"}
    assert document["decision"]["recommendation"] in {
        "ship",
        "dont_ship",
        "keep_running",
        "no_effect",
    }
    assert document["decision"]["reasons"]
    whole = [row for row in document["results"] if row["segment"] is None]
    assert [row["metric"] for row in whole] == ["ctr", "revenue", "converted", "latency"]
    assert isinstance(document["srm"]["mismatch"], bool)
    for row in document["results"]:
        assert set(row) >= RESULT_KEYS
        assert len(row["absolute_ci"]) == 2 and len(row["relative_ci"]) == 2
        assert row["control"] == "v2" and isinstance(row["cuped"], bool)
        if row["segment"] is None:
            assert row["n_control"] == document["units"]["v2"]
            assert row["n_variant"] == document["units"][row["variant"]]
    segment = next(row["segment"] for row in document["results"] if row["segment"])
    assert set(segment) == {"column", "value"}


def test_as_of_reads_the_experiment_as_it_was_then(demo_settings, capsys):
    full = _analyze_json(demo_settings, capsys, "--id", "aa-homepage")
    early = _analyze_json(
        demo_settings, capsys, "--id", "aa-homepage", "--as-of", full["as_of"][:10] + "T00:00:00Z"
    )
    assert early["as_of"] == full["as_of"][:10] + "T00:00:00Z"
    later_than_end = _analyze_json(
        demo_settings, capsys, "--id", "aa-homepage", "--as-of", "2100-12-31T00:00:00+09:00"
    )
    assert later_than_end["as_of"] == full["as_of"]


def test_the_table_shows_each_metric_and_the_decision(demo_settings, capsys):
    assert (
        main(["experiment", "analyze", "--db", str(demo_settings.path), "--id", "aa-homepage"]) == 0
    )
    out = capsys.readouterr().out
    assert "decision: " in out and "converted" in out and "sample ratio" in out


def test_the_table_words_its_lines_from_the_english_catalogue(demo_settings, capsys):
    document = _analyze_json(demo_settings, capsys, "--id", "aa-homepage")
    main(["experiment", "analyze", "--db", str(demo_settings.path), "--id", "aa-homepage"])
    lines = capsys.readouterr().out.splitlines()
    srm = "cli.experiment.srm_mismatch" if document["srm"]["mismatch"] else "cli.experiment.srm_ok"
    assert lines[3] == translate("en", srm, p_value=document["srm"]["p_value"])
    decision = document["decision"]["recommendation"]
    assert translate("en", "cli.experiment.decision", decision=decision) in lines
    segments = sum(1 for row in document["results"] if row["segment"])
    assert lines[-1] == translate("en", "cli.experiment.segment_rows", rows=segments)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--id", "nope"], "No experiment 'nope'"),
        (["--id", "aa-homepage", "--version", "9"], "No version 9 of experiment 'aa-homepage'"),
        (["--id", "aa-homepage", "--as-of", "2001-01-01"], "no units were assigned before"),
    ],
)
def test_analyze_errors_exit_1_with_a_clear_message(demo_settings, capsys, arguments, message):
    code = main(["experiment", "analyze", "--db", str(demo_settings.path), *arguments])
    assert code == 1
    assert message in capsys.readouterr().err


def test_json_keeps_english_reasons_and_adds_their_codes_and_values(demo_settings, capsys):
    decision = _analyze_json(demo_settings, capsys, "--id", "rec-v3-vs-v2")["decision"]
    assert len(decision["reason_codes"]) == len(decision["reasons"]) > 0
    assert len(decision["reason_values"]) == len(decision["reasons"])
    for code, values in zip(decision["reason_codes"], decision["reason_values"], strict=True):
        assert values["variant"] == "v3"
        assert reason_message("en", code, values)
    assert all(reason.isascii() and reason.endswith(".") for reason in decision["reasons"])


def test_the_table_words_reasons_from_the_english_catalogue(demo_settings, capsys):
    document = _analyze_json(demo_settings, capsys, "--id", "aa-homepage")
    main(["experiment", "analyze", "--db", str(demo_settings.path), "--id", "aa-homepage"])
    out = capsys.readouterr().out
    code, values = document["decision"]["reason_codes"][0], document["decision"]["reason_values"][0]
    assert f"  - {reason_message('en', code, values)}" in out


def test_history_of_an_unknown_experiment_exits_1_naming_the_known_ones(demo_settings, capsys):
    code = main(["experiment", "history", "--db", str(demo_settings.path), "--id", "nope"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: No experiment 'nope'") and "aa-homepage" in err

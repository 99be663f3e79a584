"""`python cli.py kpi ...`: define, history, check with exit codes 0 / 10 / 20 / 1, decide."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import cli
from data.store import transaction
from i18n.catalogue import translate
from tests.kpi.factories import END, FRAUD_SPEC, build_store, ctr_spec


def decaying_ctr(day: int) -> float:
    return 0.050 - 0.00003 * max(day - 100, 0)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("cli")
    return str(build_store(directory, decaying_ctr).path)


def write_spec(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*argv: str) -> int:
    return cli.main(list(argv))


def test_check_exits_0_10_20_for_healthy_warning_exit(tmp_path: Path) -> None:
    db = str(build_store(tmp_path, decaying_ctr).path)
    healthy = write_spec(tmp_path, "loose.toml", ctr_spec(target=0.040, warning=0.035, exit=0.030))
    assert run("kpi", "define", "--db", db, "--spec", healthy) == 0
    assert run("kpi", "check", "--db", db) == 0
    warning = write_spec(tmp_path, "warn.toml", ctr_spec("rec-warn"))
    assert run("kpi", "define", "--db", db, "--spec", warning) == 0
    assert run("kpi", "check", "--db", db) == 10
    exit_spec = ctr_spec("rec-exit", target=0.060, warning=0.055, exit=0.050)
    assert (
        run("kpi", "define", "--db", db, "--spec", write_spec(tmp_path, "x.toml", exit_spec)) == 0
    )
    assert run("kpi", "check", "--db", db) == 20


def test_check_json_prints_as_of_and_every_kpi(db: str, tmp_path: Path, capsys) -> None:
    run("kpi", "define", "--db", db, "--spec", write_spec(tmp_path, "c.toml", ctr_spec()))
    run("kpi", "define", "--db", db, "--spec", write_spec(tmp_path, "f.toml", FRAUD_SPEC))
    capsys.readouterr()
    code = run("kpi", "check", "--db", db, "--as-of", END.isoformat(), "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["as_of"] == END.isoformat()
    by_id = {k["id"]: k for k in payload["kpis"]}
    assert by_id["rec-ctr"]["status"] == "warning" and code == 10
    assert by_id["fraud-cost"]["value_per_day"] == -1_320_000.0


def test_bad_spec_exits_1_naming_the_key_and_stores_nothing(
    db: str, tmp_path: Path, capsys
) -> None:
    bad = write_spec(tmp_path, "bad.toml", ctr_spec("rec-bad", warning=0.06))
    assert run("kpi", "define", "--db", db, "--spec", bad) == 1
    error = capsys.readouterr().err
    assert "bad.toml, line 8" in error and "warning" in error
    assert run("kpi", "history", "--db", db, "--id", "rec-bad") == 1


def test_history_json_lists_versions_with_rationale(db: str, tmp_path: Path, capsys) -> None:
    run("kpi", "define", "--db", db, "--spec", write_spec(tmp_path, "h1.toml", ctr_spec("rec-h")))
    moved = ctr_spec("rec-h", exit=0.041, rationale="Owner agreed a lower floor")
    run("kpi", "define", "--db", db, "--spec", write_spec(tmp_path, "h2.toml", moved))
    capsys.readouterr()
    assert run("kpi", "history", "--db", db, "--id", "rec-h", "--json") == 0
    versions = json.loads(capsys.readouterr().out)["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["rationale"] == "Owner agreed a lower floor" and versions[1]["exit"] == 0.041


def test_define_says_the_version_stored_and_the_lines_it_moved(
    db: str, tmp_path: Path, capsys
) -> None:
    first = write_spec(tmp_path, "s1.toml", ctr_spec("rec-s"))
    moved = write_spec(tmp_path, "s2.toml", ctr_spec("rec-s", exit=0.041, rationale="Lower floor"))
    said = []
    for spec in (first, first, moved):
        assert run("kpi", "define", "--db", db, "--spec", spec) == 0
        said.append(capsys.readouterr().out)
    assert said == [
        translate("en", "cli.stored", id="rec-s", version=1) + "\n",
        translate("en", "cli.unchanged", id="rec-s", version=1) + "\n",
        translate("en", "cli.stored_moved", id="rec-s", version=2, moved="exit") + "\n",
    ]
    assert said[2] == "rec-s: stored version 2 (moved: exit)\n"


def test_unknown_kpi_history_exits_1(db: str, capsys) -> None:
    assert run("kpi", "history", "--db", db, "--id", "nope") == 1
    assert "nope" in capsys.readouterr().err


def test_decide_records_a_decision(db: str, tmp_path: Path, capsys) -> None:
    run("kpi", "define", "--db", db, "--spec", write_spec(tmp_path, "d.toml", ctr_spec("rec-d")))
    capsys.readouterr()
    code = run("kpi", "decide", "--db", db, "--id", "rec-d", "--decision", "retrain",
               "--reason", "CTR below warning for a month", "--by", "sato")  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out == (
        translate("en", "cli.kpi.decided", kpi_id="rec-d", decision="retrain", version=1) + "\n"
    )


def test_check_on_a_missing_store_exits_1(tmp_path: Path) -> None:
    assert run("kpi", "check", "--db", str(tmp_path / "missing.duckdb")) == 1


def test_define_on_a_missing_store_exits_1_and_creates_nothing(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "missing.duckdb"
    spec = write_spec(tmp_path, "c.toml", ctr_spec())
    assert run("kpi", "define", "--db", str(missing), "--spec", spec) == 1
    assert "no store" in capsys.readouterr().err.lower() and not missing.exists()


def test_check_exits_30_when_data_stopped_and_says_how_stale(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(build_store(tmp_path, decaying_ctr).path)
    exit_spec = ctr_spec("rec-exit", target=0.060, warning=0.055, exit=0.050)
    assert (
        run("kpi", "define", "--db", db, "--spec", write_spec(tmp_path, "x.toml", exit_spec)) == 0
    )
    monkeypatch.setenv("YARDSTICK_NOW", f"{END + dt.timedelta(days=5)}T06:00:00")
    capsys.readouterr()
    # At exit, but the data stopped 5 days ago (allowed 3): 30 outranks 20.
    assert run("kpi", "check", "--db", db, "--json", "--no-record") == 30
    kpi = json.loads(capsys.readouterr().out)["kpis"][0]
    assert kpi["status"] == "exit" and kpi["evaluated_on"] == END.isoformat()
    assert (kpi["last_data_date"], kpi["stale_days"], kpi["stale"]) == (END.isoformat(), 5, True)
    assert kpi["max_staleness_days"] == 3 and kpi["ignored_future_rows"] == 0
    assert kpi["status_since"] is not None
    assert run("kpi", "check", "--db", db, "--no-record") == 30
    stale = translate(
        "en", "cli.kpi.stale", age=translate("en", "cli.kpi.stale_days", days=5), allowed=3
    )
    assert stale == "STALE (5 days old; allowed 3)" and stale in capsys.readouterr().out


def test_check_exits_30_when_every_kpi_has_no_data(tmp_path: Path) -> None:
    db = str(build_store(tmp_path, decaying_ctr).path)
    spec = ctr_spec()
    assert run("kpi", "define", "--db", db, "--spec", write_spec(tmp_path, "c.toml", spec)) == 0
    before_data = (END - dt.timedelta(days=400)).isoformat()
    assert run("kpi", "check", "--db", db, "--as-of", before_data, "--no-record") == 30


def test_check_says_rows_dated_after_tomorrow_are_left_out(tmp_path: Path, capsys) -> None:
    settings = build_store(tmp_path, decaying_ctr)
    db = str(settings.path)
    run("kpi", "define", "--db", db, "--spec", write_spec(tmp_path, "c.toml", ctr_spec()))
    with transaction(settings) as con:
        # Straight into the table, as an older store may hold them (ingest refuses them now).
        con.execute(
            "INSERT INTO online_metrics (date, model_id, metric, value, n, std) "
            "SELECT DATE '9999-12-31', model_id, metric, value, n, std FROM online_metrics "
            "WHERE metric = 'ctr' LIMIT 2"
        )
    capsys.readouterr()
    run("kpi", "check", "--db", db, "--no-record")
    assert (
        "note: rec-ctr: 2 rows dated after tomorrow are ignored; remove them from the store."
        in capsys.readouterr().err
    )

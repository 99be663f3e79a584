"""`monitor define / history / check` as cron and CI run them: exit statuses 0 / 10 / 20 / 30 / 1
and the documented JSON keys."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from i18n.catalogue import translate
from tests.monitoring.factories import (
    REFERENCE,
    WINDOW,
    insert_predictions,
    predictions,
    rows,
    run_cli,
    spec_text,
    store,
)

CATEGORIES = (["a", "b", "c"], [0.5, 0.3, 0.2])


def _store(tmp_path: Path, shift: float, fallbacks: dict[str, float] | None = None):
    """A reference of N(100, 10) prices and a window shifted by `shift` reference sds."""
    rng = np.random.default_rng(5)
    tmp_path.mkdir(parents=True, exist_ok=True)
    settings = store(tmp_path / "s.duckdb")
    insert_predictions(
        settings,
        predictions(
            rng, REFERENCE, 100, numeric={"price": (100, 10)}, categorical={"cat": CATEGORIES}
        ),
    )
    insert_predictions(
        settings,
        predictions(
            rng,
            WINDOW,
            100,
            numeric={"price": (100 + 10 * shift, 10)},
            categorical={"cat": CATEGORIES},
            fallbacks=fallbacks,
        ),
    )
    return settings


def _define(capsys, tmp_path: Path, settings, **changes) -> tuple[int, str, str]:
    path = tmp_path / "monitor.toml"
    path.write_text(spec_text(**changes), encoding="utf-8")
    return run_cli(capsys, "monitor", "define", "--db", str(settings.path), "--spec", str(path))


def _check(capsys, settings, *extra: str) -> tuple[int, dict]:
    status, out, err = run_cli(
        capsys, "monitor", "check", "--db", str(settings.path), "--json", *extra
    )
    assert err == ""
    return status, json.loads(out)


def test_no_drift_exits_0_with_every_documented_key(capsys, tmp_path: Path) -> None:
    settings = _store(tmp_path, shift=0.0)
    status, out, _ = _define(capsys, tmp_path, settings)
    assert (status, out.strip()) == (0, "rec-inputs: stored version 1")
    assert out == translate("en", "cli.stored", id="rec-inputs", version=1) + "\n"
    status, payload = _check(capsys, settings)
    assert status == 0
    assert payload["as_of"] == WINDOW[1].isoformat()
    (monitor,) = payload["monitors"]
    assert {"id", "family", "model_id", "reference", "window", "status", "features", "serving"} | {
        "score"
    } <= set(monitor)
    assert monitor["reference"] == {
        "start": REFERENCE[0].isoformat(),
        "end": REFERENCE[1].isoformat(),
        "n": 2800,
    }
    assert monitor["window"] == {"start": "2026-07-01", "end": "2026-07-07", "n": 700}
    assert (monitor["status"], monitor["model_id"]) == ("ok", "rec-v1")
    methods = {(f["name"], f["method"]) for f in monitor["features"]}
    assert methods == {
        ("price", "psi"),
        ("price", "wasserstein"),
        ("price", "ks"),
        ("cat", "psi"),
        ("cat", "js"),
    }
    for feature in monitor["features"]:
        assert {"name", "type", "method", "value", "warning", "alert", "status"} <= set(feature)
    for objective in monitor["serving"]:
        assert {"objective", "value", "limit", "status"} <= set(objective)
    assert set(monitor["score"]) >= {"psi", "status"}
    assert [d["date"] for d in monitor["serving_daily"]] == [f"2026-07-0{k}" for k in range(1, 8)]
    assert {
        "date",
        "model_id",
        "n",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "fallback_rate",
        "fallback_by_level",
        "breached",
    } == set(monitor["serving_daily"][0])


def test_a_small_shift_warns_with_10_and_a_large_one_alerts_with_20(capsys, tmp_path: Path) -> None:
    small = _store(tmp_path / "small", shift=0.15)
    _define(capsys, tmp_path, small)
    status, payload = _check(capsys, small)
    assert status == 10
    assert payload["monitors"][0]["status"] == "warning"
    large = _store(tmp_path / "large", shift=1.0)
    _define(capsys, tmp_path, large)
    status, payload = _check(capsys, large)
    assert status == 20
    price_psi = next(
        f
        for f in payload["monitors"][0]["features"]
        if (f["name"], f["method"]) == ("price", "psi")
    )
    assert price_psi["status"] == "alert" and price_psi["value"] > 0.25


def test_a_breached_serving_objective_alerts(capsys, tmp_path: Path) -> None:
    settings = _store(tmp_path, shift=0.0, fallbacks={"random": 0.1})
    _define(capsys, tmp_path, settings, serving={"fallback_rate": 0.05, "latency_p99_ms": 1e6})
    status, payload = _check(capsys, settings)
    assert status == 20
    serving = payload["monitors"][0]["serving"]
    overall = next(s for s in serving if s["objective"] == "fallback_rate" and s["level"] is None)
    assert overall["status"] == "alert" and 0.07 < overall["value"] < 0.13
    assert next(s for s in serving if s["objective"] == "latency_p99_ms")["status"] == "ok"


def test_a_window_without_data_exits_30(capsys, tmp_path: Path) -> None:
    settings = _store(tmp_path, shift=0.0)
    _define(capsys, tmp_path, settings)
    status, payload = _check(capsys, settings, "--as-of", "2026-09-30")
    assert status == 30
    assert payload["monitors"][0]["status"] == "insufficient_data"
    assert payload["monitors"][0]["window"]["n"] == 0


def test_no_monitor_defined_exits_30_and_says_how_to_define_one(capsys, tmp_path: Path) -> None:
    settings = _store(tmp_path, shift=0.0)
    status, out, _ = run_cli(capsys, "monitor", "check", "--db", str(settings.path))
    assert status == 30
    assert "monitor define" in out


def test_unknown_id_and_bad_spec_exit_1_with_one_clear_line(capsys, tmp_path: Path) -> None:
    settings = _store(tmp_path, shift=0.0)
    _define(capsys, tmp_path, settings)
    status, out, err = run_cli(
        capsys, "monitor", "check", "--db", str(settings.path), "--id", "nope"
    )
    assert (status, out) == (1, "")
    assert err.strip() == "error: No monitor with id 'nope' (defined: rec-inputs)"
    status, _, err = _define(capsys, tmp_path, settings, features=["price", "colour"])
    assert status == 1
    assert "monitor.toml" in err and "colour" in err and "Traceback" not in err


def test_define_keeps_versions_with_their_rationale(capsys, tmp_path: Path) -> None:
    settings = _store(tmp_path, shift=0.0)
    _define(capsys, tmp_path, settings)
    status, out, _ = _define(capsys, tmp_path, settings)
    assert (status, out.strip()) == (0, "rec-inputs: unchanged, version 1 stays in force")
    status, _, err = _define(capsys, tmp_path, settings, window_days=14)
    assert status == 1 and "rationale" in err
    status, out, _ = _define(capsys, tmp_path, settings, window_days=14, rationale="two weeks")
    assert (status, out.strip()) == (0, "rec-inputs: stored version 2")
    status, out, _ = run_cli(
        capsys, "monitor", "history", "--db", str(settings.path), "--id", "rec-inputs", "--json"
    )
    versions = json.loads(out)["versions"]
    assert [(v["version"], v["rationale"]) for v in versions] == [
        (1, "inputs as trained"),
        (2, "two weeks"),
    ]
    assert versions[1]["spec"]["window_days"] == 14
    assert rows(settings, "SELECT count(*) FROM audit_log WHERE action = 'monitor_define'") == [
        (2,)
    ]


def test_as_of_sets_the_window(capsys, tmp_path: Path) -> None:
    as_of = "2026-07-07"
    settings = _store(tmp_path, shift=0.0)
    _define(capsys, tmp_path, settings, window_days=3)
    _, payload = _check(capsys, settings, "--as-of", as_of)
    window = payload["monitors"][0]["window"]
    assert (window["start"], window["end"], window["n"]) == ("2026-07-05", as_of, 300)
    assert dt.date.fromisoformat(payload["as_of"]) == WINDOW[1]

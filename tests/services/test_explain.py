"""`kpi explain` through the real store: a CTR that steps down on a known day, with a catalogue
annotation, a challenger deployment, a category shift and a fallback incident starting that day,
found and ranked by the service and printed by the command line (JSON keys, exit statuses)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from core.clock import fixed_clock
from core.errors import YardstickError
from data import explain_store, monitor_store
from data.store import connect, transaction
from i18n.explain import explanation_lines
from kpi.spec import parse_spec
from kpi.versions import UnknownKpiError
from monitoring.spec import parse_spec as parse_monitor_spec
from services import explain, kpis, monitoring
from tests.kpi.factories import END, build_store, ctr_spec
from tests.monitoring.factories import insert_predictions, predictions, run_cli, spec_text

CLOCK = fixed_clock(dt.datetime(2026, 11, 28, 6, 0))
START = END - dt.timedelta(days=299)
STEP_DAY = START + dt.timedelta(days=200)
NOISE = np.random.default_rng(11).normal(0, 0.0004, 300)


def _on(days: int) -> dt.date:
    return STEP_DAY + dt.timedelta(days=days)


def stepped_ctr(day: int) -> float:
    """CTR 0.050 until day 200, 0.045 from it, with seeded day-to-day noise."""
    return (0.050 if day < 200 else 0.045) + NOISE[day]


@pytest.fixture(scope="module")
def stepped(tmp_path_factory: pytest.TempPathFactory):
    settings = build_store(tmp_path_factory.mktemp("explain"), stepped_ctr)
    kpis.define_kpi(settings, parse_spec(ctr_spec()), clock=CLOCK)
    with transaction(settings) as con:
        con.register(
            "new_models",
            pd.DataFrame(
                {
                    "model_id": ["recommender-v3"],
                    "family": ["recommender"],
                    "version": ["v3"],
                    "stage": ["challenger"],
                    "deployed_at": [pd.Timestamp(_on(-2))],
                }
            ),
        )
        con.execute(
            "INSERT INTO models (model_id, family, version, stage, deployed_at) "
            "SELECT model_id, family, version, stage, deployed_at FROM new_models"
        )
        con.register(
            "new_annotations",
            pd.DataFrame(
                {
                    "date": [_on(0), _on(-30)],
                    "family": ["recommender", "recommender"],
                    "kind": ["business", "data"],
                    "note": ["catalogue change", "long before"],
                    "author": ["aiko", "ken"],
                }
            ),
        )
        con.execute(
            "INSERT INTO annotations (date, family, kind, note, author) "
            "SELECT date, family, kind, note, author FROM new_annotations"
        )
    rng = np.random.default_rng(5)
    categories = ["books", "games", "toys"]
    before = predictions(
        rng,
        (_on(-50), _on(-1)),
        150,
        model_id="recommender-v2",
        numeric={"price": (100, 10)},
        categorical={"category_id": (categories, [0.5, 0.3, 0.2])},
        fallbacks={"popular": 0.02},
    )
    after = predictions(
        rng,
        (_on(0), _on(20)),
        150,
        model_id="recommender-v2",
        numeric={"price": (100, 10)},
        categorical={"category_id": (categories, [0.2, 0.3, 0.5])},
        fallbacks={"popular": 0.09},
    )
    insert_predictions(settings, pd.concat([before, after], ignore_index=True))
    monitor = spec_text(
        features=["price", "category_id"],
        reference={"start": _on(-50), "end": _on(-23)},
        serving={"fallback_rate": 0.05},
    )
    monitoring.define_monitor(settings, parse_monitor_spec(monitor), "ken", clock=CLOCK)
    return settings


def test_the_step_is_explained_by_the_changes_that_day_nearest_first(stepped) -> None:
    result = explain.explain_kpi(stepped, "rec-ctr", clock=CLOCK)
    assert result.monitors == ("rec-inputs",)
    steps = [e for e in result.events if e.event.kind == "step"]
    assert [e.event.date for e in steps] == [STEP_DAY]
    (step,) = steps
    assert step.event.relative_size == pytest.approx(-0.1, abs=0.02)
    found = [(c.days_from_event, c.change.kind, c.change.what) for c in step.changes]
    assert found[0] == (0, "annotation", "business")
    assert (0, "drift", "category_id") in found
    assert (0, "serving", "fallback_rate") in found
    assert (-2, "deployment", "recommender-v3") in found
    assert "price" not in {what for _, kind, what in found if kind == "drift"}
    assert all(abs(days) <= 7 for days, _, _ in found)
    assert "long before" not in {c.change.detail for c in step.changes}
    listed = [
        (c.days_from_event, c.change.kind, c.change.what, c.change.detail) for c in step.changes
    ]
    assert len(listed) == len(set(listed))
    fallback = next(c.change for c in step.changes if c.change.kind == "serving")
    assert fallback.before == pytest.approx(0.02, abs=0.02)
    assert fallback.value == pytest.approx(0.09, abs=0.04)


def test_the_sentence_names_the_drop_and_what_happened_the_same_day(stepped) -> None:
    result = explain.explain_kpi(stepped, "rec-ctr", clock=CLOCK)
    step = next(e for e in result.events if e.event.kind == "step")
    for lang in ("en", "ja"):
        lines = explanation_lines(
            explain.KpiExplanation(**{**result.__dict__, "events": (step,)}), lang
        )
        assert len(lines) == 1
        assert "catalogue change" in lines[0]
    (english,) = explanation_lines(
        explain.KpiExplanation(**{**result.__dict__, "events": (step,)}), "en"
    )
    assert english.startswith("Recommendation click-through rate fell ")
    assert "same day: catalogue change (annotated as business); " in english
    assert "category_id PSI " in english and "fallback rate " in english
    assert "2 days before: deployment of recommender-v3 (v3)" in english


def test_unknown_kpi_and_bad_radius_are_errors(stepped) -> None:
    with pytest.raises(UnknownKpiError):
        explain.explain_kpi(stepped, "nope", clock=CLOCK)
    with pytest.raises(YardstickError) as refused:
        explain.explain_kpi(stepped, "rec-ctr", radius_days=-1, clock=CLOCK)
    assert refused.value.code == "explain.radius"


def test_cli_json_keys_and_exit_statuses(stepped, capsys) -> None:
    db = str(stepped.path)
    status, out, err = run_cli(capsys, "kpi", "explain", "--db", db, "--id", "rec-ctr", "--json")
    assert (status, err) == (0, "")
    payload = json.loads(out)
    assert set(payload) >= {"kpi_id", "as_of", "radius_days", "monitors", "events"}
    assert payload["kpi_id"] == "rec-ctr" and payload["radius_days"] == 7
    event = next(e for e in payload["events"] if e["kind"] == "step")
    assert set(event) >= {"kind", "date", "size", "relative_size", "line", "text", "changes"}
    assert event["date"] == STEP_DAY.isoformat()
    change = event["changes"][0]
    assert set(change) >= {"kind", "date", "days_from_event", "what", "value", "detail", "text"}
    assert (change["kind"], change["days_from_event"], change["detail"]) == (
        "annotation",
        0,
        "catalogue change",
    )

    status, out, _ = run_cli(capsys, "kpi", "explain", "--db", db, "--id", "rec-ctr")
    assert status == 0 and "same day: catalogue change (annotated as business)" in out

    status, out, err = run_cli(capsys, "kpi", "explain", "--db", db, "--id", "nope")
    assert (status, out) == (1, "") and err.startswith("error: No KPI with id 'nope'")

    status, _, err = run_cli(
        capsys, "kpi", "explain", "--db", db, "--id", "rec-ctr", "--radius-days", "500"
    )
    assert status == 1 and "--radius-days must be between 0 and 90" in err
    assert "Traceback" not in err


def test_windowed_drift_reads_equal_the_monitor_checks_reads_window_by_window(stepped) -> None:
    """All windows in one query per feature count exactly what the check counts per window."""
    reference = (_on(-50), _on(-23))
    windows = [(_on(k), _on(k + 6)) for k in (-14, -7, 0, 7)]
    with connect(stepped, read_only=True) as con:
        numeric = explain_store.windowed_numeric_readings(
            con, "recommender", "price", reference, windows[0][0], 7, len(windows)
        )
        categorical = explain_store.windowed_categorical_readings(
            con, "recommender", "category_id", reference, windows[0][0], 7, len(windows)
        )
        for window, batched, counts in zip(windows, numeric, categorical, strict=True):
            single = monitor_store.numeric_readings(
                con, "recommender", "price", reference, window, with_distances=False
            )
            assert (batched.reference_n, batched.window_n) == (single.reference_n, single.window_n)
            assert list(batched.reference_bins) == list(single.reference_bins)
            assert list(batched.window_bins) == list(single.window_bins)
            assert batched.reference_sd == pytest.approx(single.reference_sd, rel=1e-12)
            assert counts == monitor_store.categorical_readings(
                con, "recommender", "category_id", reference, window
            )
    assert [r.window_n for r in numeric] == [7 * 150] * 4

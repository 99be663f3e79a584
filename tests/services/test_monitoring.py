"""Monitor use cases through the real store: the reference that follows a deployment, every stored
feature when the spec names none, what define refuses, and too few rows judged as such."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from core.clock import fixed_clock
from monitoring.spec import MonitorSpecError, parse_spec
from monitoring.versions import UnknownMonitorError
from services import monitoring
from tests.monitoring.factories import (
    FAMILY,
    REFERENCE,
    WINDOW,
    add_models,
    insert_predictions,
    predictions,
    spec_text,
    store,
)

CLOCK = fixed_clock(dt.datetime(2026, 11, 28, 6, 0))
V2_DEPLOYED = dt.date(2026, 7, 1)


@pytest.fixture
def two_versions(tmp_path: Path):
    """rec-v1 live from June, rec-v2 from July; v2's first week has shifted prices."""
    settings = store(
        tmp_path / "s.duckdb",
        [("rec-v1", FAMILY, dt.date(2026, 6, 1)), ("rec-v2", FAMILY, V2_DEPLOYED)],
    )
    rng = np.random.default_rng(9)
    insert_predictions(
        settings,
        predictions(rng, REFERENCE, 60, model_id="rec-v1", numeric={"price": (100, 10)}),
    )
    insert_predictions(
        settings,
        predictions(
            rng,
            (V2_DEPLOYED, dt.date(2026, 7, 21)),
            200,
            model_id="rec-v2",
            numeric={"price": (120, 10), "basket": (3, 1)},
            categorical={"device": (["ios", "web"], [0.5, 0.5])},
        ),
    )
    return settings


def _define(settings, **changes) -> None:
    monitoring.define_monitor(settings, parse_spec(spec_text(**changes)), "ken", clock=CLOCK)


def test_days_after_deploy_compares_with_the_live_versions_first_days(two_versions) -> None:
    _define(two_versions, reference={"days_after_deploy": 7}, features=["price"])
    (check,) = monitoring.check_monitors(two_versions, clock=CLOCK).checks
    assert check.model_id == "rec-v2"
    assert check.reference == (V2_DEPLOYED, dt.date(2026, 7, 7))
    assert check.window == (dt.date(2026, 7, 15), dt.date(2026, 7, 21))
    assert (check.reference_n, check.window_n) == (1400, 1400)
    assert check.status == "ok"


def test_a_fixed_reference_sees_the_new_versions_shift(two_versions) -> None:
    _define(two_versions, features=["price"])
    (check,) = monitoring.check_monitors(two_versions, clock=CLOCK).checks
    assert check.status == "alert"
    assert {f.method: f.status for f in check.features}["psi"] == "alert"


def test_without_features_every_stored_feature_is_watched(two_versions) -> None:
    _define(two_versions, reference={"days_after_deploy": 7}, features=None)
    (check,) = monitoring.check_monitors(two_versions, clock=CLOCK).checks
    assert {(f.name, f.type) for f in check.features} == {
        ("price", "numeric"),
        ("basket", "numeric"),
        ("device", "categorical"),
    }


def test_a_feature_short_of_min_rows_is_insufficient_without_hiding_the_others(
    two_versions,
) -> None:
    # device and basket exist only from v2 on: June's reference has none of them.
    _define(two_versions, features=None)
    (check,) = monitoring.check_monitors(two_versions, clock=CLOCK).checks
    new = [f for f in check.features if f.name in ("device", "basket")]
    assert {f.status for f in new} == {"insufficient_data"}
    assert all(f.value is None and f.reference_n == 0 and f.window_n == 1400 for f in new)
    assert check.status == "alert"


def test_a_reference_after_no_deployment_is_insufficient_data(two_versions) -> None:
    _define(two_versions, reference={"days_after_deploy": 7})
    report = monitoring.check_monitors(two_versions, as_of=dt.date(2026, 5, 1), clock=CLOCK)
    (check,) = report.checks
    assert (check.status, check.reference, check.model_id) == ("insufficient_data", None, None)
    assert report.exit_code == 30


def test_define_refuses_an_unknown_family_and_an_unknown_feature(two_versions) -> None:
    with pytest.raises(MonitorSpecError) as raised:
        _define(two_versions, family="search")
    assert raised.value.code == "monitor.spec.unknown_family"
    with pytest.raises(MonitorSpecError) as raised:
        _define(two_versions, features=["price", "colour"])
    assert raised.value.code == "monitor.spec.unknown_feature"
    assert raised.value.values["value"] == "colour"
    with pytest.raises(UnknownMonitorError):
        monitoring.monitor_history(two_versions, "rec-inputs")


def test_the_version_in_force_is_the_latest(two_versions) -> None:
    _define(two_versions, window_days=7)
    _define(two_versions, window_days=3, rationale="shorter window")
    (check,) = monitoring.check_monitors(two_versions, "rec-inputs", clock=CLOCK).checks
    assert check.version == 2
    assert check.window == (dt.date(2026, 7, 19), WINDOW[1] + dt.timedelta(days=14))


def test_a_family_whose_feed_stopped_is_stale(two_versions) -> None:
    add_models(two_versions, [("fraud-v1", "fraud", dt.date(2026, 6, 1))])
    rng = np.random.default_rng(10)
    insert_predictions(
        two_versions,
        predictions(rng, (dt.date(2026, 7, 1), dt.date(2026, 7, 28)), 100, model_id="fraud-v1"),
    )
    _define(two_versions, reference={"days_after_deploy": 7}, features=["price"])
    report = monitoring.check_monitors(two_versions, clock=CLOCK)
    (check,) = report.checks
    assert report.as_of == check.as_of == dt.date(2026, 7, 28)
    assert (check.window_n, check.status) == (0, "insufficient_data")
    assert report.exit_code == 30

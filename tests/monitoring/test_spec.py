"""Monitor specs: the documented defaults, a round trip through core/toml.py, and one clear refusal
(code, key, line) for each kind of mistake."""

from __future__ import annotations

import datetime as dt

import pytest

from i18n.errors import describe
from monitoring.spec import (
    DEFAULT_MIN_ROWS,
    MonitorSpecError,
    Reference,
    parse_spec,
    spec_to_toml,
)
from monitoring.versions import MonitorVersion, next_version
from tests.monitoring.factories import spec_text

EXAMPLE = """\
id = "rec-inputs"
family = "recommender"
reference = { start = 2026-06-01, end = 2026-06-28 }
window_days = 7
features = ["price", "category_id", "session_length"]
owner = "data science"
rationale = "inputs as trained; latency budget agreed with the shop team"

[thresholds]
psi = { warning = 0.1, alert = 0.25 }

[serving]
latency_p95_ms = 80
fallback_rate = 0.05
"""


def test_the_documented_example_parses_with_the_documented_defaults() -> None:
    spec = parse_spec(EXAMPLE, "rec.toml")
    assert spec.reference == Reference(dt.date(2026, 6, 1), dt.date(2026, 6, 28))
    assert spec.features == ("price", "category_id", "session_length")
    assert spec.min_rows == DEFAULT_MIN_ROWS
    assert (spec.thresholds["js"].warning, spec.thresholds["js"].alert) == (0.1, 0.2)
    assert spec.serving.latency_p95_ms == 80.0 and spec.serving.fallback_rate == 0.05
    assert spec.serving.latency_p99_ms is None


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"reference": {"days_after_deploy": 28}, "features": "all"},
        {"serving": {"fallback_rate": {"overall": 0.05, "random": 0.01}, "score_psi": 0.3}},
        {"thresholds": {"ks": {"warning": 0.05, "alert": 0.5}}, "rationale": '改訂: 閾値\n"注"'},
    ],
)
def test_a_spec_written_by_core_toml_reads_back_equal(changes: dict) -> None:
    spec = parse_spec(spec_text(**changes))
    assert parse_spec(spec_to_toml(spec)) == spec


def test_days_after_deploy_follows_the_live_version() -> None:
    reference = parse_spec(spec_text(reference={"days_after_deploy": 28})).reference
    assert reference.resolve(dt.date(2026, 8, 2)) == (dt.date(2026, 8, 2), dt.date(2026, 8, 29))
    assert reference.resolve(None) is None


@pytest.mark.parametrize(
    ("text", "code", "key", "line"),
    [
        (EXAMPLE.replace("window_days = 7", "window_days = 0"), "not_whole", "window_days", 4),
        (EXAMPLE.replace('owner = "data science"\n', ""), "missing", "owner", None),
        (EXAMPLE + "colour = 1\n", "unknown_key", "serving.colour", 15),
        (
            EXAMPLE.replace("alert = 0.25", "alert = 0.05"),
            "alert_below_warning",
            "thresholds.psi",
            10,
        ),
        (
            EXAMPLE.replace("fallback_rate = 0.05", "fallback_rate = 5"),
            "not_share",
            "serving.fallback_rate",
            14,
        ),
        (
            EXAMPLE.replace("end = 2026-06-28", "end = 2026-05-28"),
            "reference_backwards",
            "reference",
            3,
        ),
        (
            EXAMPLE.replace("{ start = 2026-06-01, end = 2026-06-28 }", "{ days = 3 }"),
            "bad_reference",
            "reference",
            3,
        ),
        (EXAMPLE.replace('"session_length"', '"price"'), "repeated_feature", "features", 5),
        (EXAMPLE.replace('id = "rec-inputs"', 'id = "Rec Inputs"'), "bad_id", "id", 1),
        (
            EXAMPLE.replace("latency_p95_ms = 80", "latency_p95_ms = -1"),
            "not_positive",
            "serving.latency_p95_ms",
            13,
        ),
        (EXAMPLE.replace("window_days = 7", "window_days = "), "toml_syntax", "", 4),
    ],
)
def test_a_wrong_spec_is_refused_naming_the_key_and_line(
    text: str, code: str, key: str, line: int | None
) -> None:
    with pytest.raises(MonitorSpecError) as raised:
        parse_spec(text, "rec.toml")
    error = raised.value
    assert (error.code, error.field, error.line) == (f"monitor.spec.{code}", key, line)
    for lang in ("en", "ja"):
        assert "rec.toml" in describe(error, lang)


def test_a_change_needs_a_new_rationale_and_an_equal_spec_stores_nothing() -> None:
    first = parse_spec(EXAMPLE)
    latest = MonitorVersion(first, 1, "ken", dt.datetime(2026, 7, 1))
    assert next_version(None, first, "x").version == 1
    assert not next_version(latest, first, "x").created
    moved = parse_spec(EXAMPLE.replace("window_days = 7", "window_days = 14"))
    with pytest.raises(MonitorSpecError) as raised:
        next_version(latest, moved, "x")
    assert raised.value.code == "monitor.spec.rationale_unchanged"
    explained = parse_spec(
        EXAMPLE.replace("window_days = 7", "window_days = 14").replace(
            "inputs as trained;", "weekly noise too high;"
        )
    )
    assert next_version(latest, explained, "x").version == 2


def test_a_decision_threshold_is_optional_and_round_trips() -> None:
    assert parse_spec(spec_text()).threshold is None
    spec = parse_spec(spec_text(threshold=0.04))
    assert spec.threshold == 0.04
    assert parse_spec(spec_to_toml(spec)) == spec


@pytest.mark.parametrize("value", [0, -0.1, 1.5, float("nan")])
def test_a_threshold_outside_0_to_1_is_refused_by_name(value: float) -> None:
    with pytest.raises(MonitorSpecError) as refused:
        parse_spec(spec_text(threshold=value), "m.toml")
    assert refused.value.code == "monitor.spec.bad_threshold"
    for lang in ("en", "ja"):
        assert "threshold" in describe(refused.value, lang)

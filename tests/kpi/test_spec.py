"""KPI spec parsing: a wrong spec is refused naming the key; a good one round-trips."""

from __future__ import annotations

import pytest

from kpi.spec import (
    MetricAvailability,
    SpecError,
    changed_lines,
    check_against_store,
    parse_spec,
    spec_to_toml,
)

GOOD_SPEC = """\
id = "rec-ctr"
name = "Recommendation click-through rate"
family = "recommender"
metric = "ctr"
source = "online"
direction = "increase"
target = 0.050
warning = 0.046
exit = 0.042
window_days = 7
persistence = 3
confidence = 0.95
owner = "EC business unit"
rationale = "Agreed in the launch review"

[value]
kind = "per_unit"
currency = "JPY"
unit_value = 1200
"""

STORE = (
    MetricAvailability("recommender", "online", "ctr", 500),
    MetricAvailability("recommender", "online", "impressions", 500),
    MetricAvailability("recommender", "offline", "auc", 70),
    MetricAvailability("fraud", "online", "tp", 500),
    MetricAvailability("fraud", "online", "fp", 500),
    MetricAvailability("fraud", "online", "tn", 500),
    MetricAvailability("fraud", "online", "fn", 500),
    MetricAvailability("fraud", "online", "recall", 500),
)


def refusal(text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        spec = parse_spec(text, "rec.toml")
        check_against_store(spec, STORE, "rec.toml", text)
    return caught.value


def test_good_spec_parses_with_every_field() -> None:
    spec = parse_spec(GOOD_SPEC, "rec.toml")
    check_against_store(spec, STORE)
    assert (spec.kpi_id, spec.family, spec.metric) == ("rec-ctr", "recommender", "ctr")
    assert (spec.target, spec.warning, spec.exit_threshold) == (0.05, 0.046, 0.042)
    assert spec.value.unit_value == 1200.0 and spec.value.currency == "JPY"


def test_spec_survives_a_round_trip_through_toml() -> None:
    spec = parse_spec(GOOD_SPEC)
    assert parse_spec(spec_to_toml(spec)) == spec


def test_unknown_key_is_refused_with_its_name_and_line() -> None:
    error = refusal(GOOD_SPEC.replace('owner = "EC', 'colour = "red"\nowner = "EC'))
    assert error.key == "colour" and error.line == 13
    assert "colour" in str(error) and "rec.toml, line 13" in str(error)


def test_warning_above_target_is_refused_for_an_increasing_kpi() -> None:
    error = refusal(GOOD_SPEC.replace("warning = 0.046", "warning = 0.052"))
    assert error.key == "warning" and error.problem == "warning_not_between"
    assert "line 8" in str(error)


def test_lower_is_better_needs_target_below_warning_below_exit() -> None:
    text = (
        GOOD_SPEC.replace('direction = "increase"', 'direction = "decrease"')
        .replace("target = 0.050", "target = 0.040")
        .replace("exit = 0.042", "exit = 0.060")
        .replace("unit_value = 1200", "unit_value = -1200")
    )
    spec = parse_spec(text)
    assert spec.direction == "decrease"
    error = refusal(text.replace("warning = 0.046", "warning = 0.070"))
    assert error.key == "warning"


@pytest.mark.parametrize(("direction", "unit_value"), [("increase", "-1200"), ("decrease", "1200")])
def test_unit_value_whose_sign_contradicts_the_direction_is_refused(
    direction: str, unit_value: str
) -> None:
    text = GOOD_SPEC.replace('direction = "increase"', f'direction = "{direction}"').replace(
        "unit_value = 1200", f"unit_value = {unit_value}"
    )
    if direction == "decrease":
        text = (
            text.replace("target = 0.050", "target = 0.040")
            .replace("exit = 0.042", "exit = 0.060")
            .replace("warning = 0.046", "warning = 0.050")
        )
    error = refusal(text)
    assert error.key == "value.unit_value" and error.problem == "unit_value_sign"
    assert "line 19" in str(error)


def test_unknown_family_is_refused_naming_the_known_ones() -> None:
    error = refusal(GOOD_SPEC.replace('family = "recommender"', 'family = "search"'))
    assert error.key == "family" and "fraud, recommender" in str(error)


def test_unknown_metric_is_refused() -> None:
    error = refusal(GOOD_SPEC.replace('metric = "ctr"', 'metric = "dwell_time"'))
    assert error.key == "metric" and "dwell_time" in str(error)


def test_window_longer_than_the_data_is_refused() -> None:
    error = refusal(GOOD_SPEC.replace("window_days = 7", "window_days = 900"))
    assert error.key == "window_days" and "500" in str(error)


def test_value_key_of_another_kind_is_refused() -> None:
    error = refusal(GOOD_SPEC.replace("unit_value = 1200", "unit_value = 1200\ntp = 5"))
    assert error.key == "value.tp" and error.line == 20


def test_cost_matrix_needs_all_four_cells() -> None:
    text = GOOD_SPEC.replace('kind = "per_unit"', 'kind = "cost_matrix"').replace(
        "unit_value = 1200", "tp = 48000\nfp = -800\ntn = 0"
    )
    error = refusal(text.replace('family = "recommender"', 'family = "fraud"'))
    assert error.key == "value.fn" and error.problem == "missing"


def test_cost_matrix_needs_the_four_counts_online() -> None:
    text = GOOD_SPEC.replace('kind = "per_unit"', 'kind = "cost_matrix"').replace(
        "unit_value = 1200", "tp = 48000\nfp = -800\ntn = 0\nfn = -50000"
    )
    error = refusal(text)
    assert error.problem == "unknown_metric" and "tp" in str(error)


def test_bridge_needs_an_offline_metric_in_the_store() -> None:
    text = GOOD_SPEC.replace('kind = "per_unit"', 'kind = "bridge"').replace(
        "unit_value = 1200", 'unit_value = 1200\noffline_metric = "logloss"'
    )
    error = refusal(text)
    assert error.key == "value.offline_metric"


def test_non_number_threshold_is_refused() -> None:
    error = refusal(GOOD_SPEC.replace("target = 0.050", 'target = "high"'))
    assert error.key == "target" and error.problem == "not_number"


def test_toml_syntax_error_names_the_line() -> None:
    error = refusal(GOOD_SPEC.replace("window_days = 7", "window_days = = 7"))
    assert error.problem == "toml_syntax" and error.line == 10


def test_refusal_reads_naturally_in_japanese() -> None:
    error = refusal(GOOD_SPEC.replace("warning = 0.046", "warning = 0.052"))
    assert "8 行目" in error.describe("ja") and "warning" in error.describe("ja")


def test_changed_lines_lists_only_moved_thresholds() -> None:
    before = parse_spec(GOOD_SPEC)
    after = parse_spec(GOOD_SPEC.replace("exit = 0.042", "exit = 0.040"))
    assert changed_lines(before, after) == ("exit",)
    assert changed_lines(before, before) == ()

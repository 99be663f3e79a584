"""KPI spec parsing: a wrong spec is refused naming the key; a good one round-trips."""

from __future__ import annotations

import pytest

from core import toml
from i18n.errors import describe
from kpi.spec import (
    MetricAvailability,
    SpecError,
    changed_lines,
    check_against_store,
    parse_spec,
    spec_to_toml,
    value_parameters,
)


def toml_string(text: str) -> str:
    return toml.inline({"x": text}).removeprefix("x = ")


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
    assert error.field == "colour" and error.line == 13
    assert "colour" in describe(error, "en") and "rec.toml, line 13" in describe(error, "en")


def test_warning_above_target_is_refused_for_an_increasing_kpi() -> None:
    error = refusal(GOOD_SPEC.replace("warning = 0.046", "warning = 0.052"))
    assert error.field == "warning" and error.problem == "warning_not_between"
    assert "line 8" in describe(error, "en")


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
    assert error.field == "warning"


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
    assert error.field == "value.unit_value" and error.problem == "unit_value_sign"
    assert "line 19" in describe(error, "en")


def test_unknown_family_is_refused_naming_the_known_ones() -> None:
    error = refusal(GOOD_SPEC.replace('family = "recommender"', 'family = "search"'))
    assert error.field == "family" and "fraud, recommender" in describe(error, "en")


def test_unknown_metric_is_refused() -> None:
    error = refusal(GOOD_SPEC.replace('metric = "ctr"', 'metric = "dwell_time"'))
    assert error.field == "metric" and "dwell_time" in describe(error, "en")


def test_window_longer_than_the_data_is_refused() -> None:
    error = refusal(GOOD_SPEC.replace("window_days = 7", "window_days = 900"))
    assert error.field == "window_days" and "500" in describe(error, "en")


def test_value_key_of_another_kind_is_refused() -> None:
    error = refusal(GOOD_SPEC.replace("unit_value = 1200", "unit_value = 1200\ntp = 5"))
    assert error.field == "value.tp" and error.line == 20


def test_cost_matrix_needs_all_four_cells() -> None:
    text = GOOD_SPEC.replace('kind = "per_unit"', 'kind = "cost_matrix"').replace(
        "unit_value = 1200", "tp = 48000\nfp = -800\ntn = 0"
    )
    error = refusal(text.replace('family = "recommender"', 'family = "fraud"'))
    assert error.field == "value.fn" and error.problem == "missing"


def test_cost_matrix_needs_the_four_counts_online() -> None:
    text = GOOD_SPEC.replace('kind = "per_unit"', 'kind = "cost_matrix"').replace(
        "unit_value = 1200", "tp = 48000\nfp = -800\ntn = 0\nfn = -50000"
    )
    error = refusal(text)
    assert error.problem == "unknown_metric" and "tp" in describe(error, "en")


def test_bridge_needs_an_offline_metric_in_the_store() -> None:
    text = GOOD_SPEC.replace('kind = "per_unit"', 'kind = "bridge"').replace(
        "unit_value = 1200", 'unit_value = 1200\noffline_metric = "logloss"'
    )
    error = refusal(text)
    assert error.field == "value.offline_metric"


def test_non_number_threshold_is_refused() -> None:
    error = refusal(GOOD_SPEC.replace("target = 0.050", 'target = "high"'))
    assert error.field == "target" and error.problem == "not_number"


def test_toml_syntax_error_names_the_line() -> None:
    error = refusal(GOOD_SPEC.replace("window_days = 7", "window_days = = 7"))
    assert error.problem == "toml_syntax" and error.line == 10


def test_refusal_reads_naturally_in_japanese() -> None:
    error = refusal(GOOD_SPEC.replace("warning = 0.046", "warning = 0.052"))
    assert error.code == "kpi.spec.warning_not_between"
    assert "8 行目" in describe(error, "ja") and "warning" in describe(error, "ja")
    assert describe(error, "en").startswith("rec.toml, line 8: key 'warning' = 0.052")


def test_changed_lines_lists_only_moved_thresholds() -> None:
    before = parse_spec(GOOD_SPEC)
    after = parse_spec(GOOD_SPEC.replace("exit = 0.042", "exit = 0.040"))
    assert changed_lines(before, after) == ("exit",)
    assert changed_lines(before, before) == ()


def test_a_rationale_with_newlines_quotes_backslashes_and_japanese_round_trips() -> None:
    tricky = 'Line one\nline "two" with C:\\path\tand 日本語の理由'
    spec = parse_spec(GOOD_SPEC.replace('"Agreed in the launch review"', toml_string(tricky)))
    assert spec.rationale == tricky
    assert parse_spec(spec_to_toml(spec)) == spec


def test_editor_value_parameters_are_read_as_toml_and_bad_text_is_refused_on_value() -> None:
    assert value_parameters('unit_value = 1200, offline_metric = "auc"') == {
        "unit_value": 1200,
        "offline_metric": "auc",
    }
    with pytest.raises(SpecError) as refused:
        value_parameters("unit_value = = 3", "<editor>")
    assert (refused.value.code, refused.value.field) == ("kpi.spec.toml_syntax", "value")

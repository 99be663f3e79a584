"""Experiment specs: a wrong spec is refused naming the key; a good one round-trips."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from experiments.spec import (
    SpecError,
    belongs_to_family,
    load_spec,
    parse_spec,
    parse_spec_text,
    spec_to_dict,
    spec_to_toml,
)
from i18n.errors import describe
from tests.experiments.factories import GOOD_TOML, spec_dict


def test_a_full_spec_is_read_with_defaults_and_utc_times():
    spec = parse_spec_text(GOOD_TOML)
    assert spec.control == "v2" and spec.treatments == ("v3",)
    assert spec.end == dt.datetime(2026, 10, 29)
    assert spec.alpha == 0.05 and spec.sequential_tuning == 5000
    assert spec.primary_metric.name == "ctr"
    assert spec.metrics[1].non_inferiority_margin == 0.02
    assert spec.model_for == {"v2": "recommender-v2", "v3": "recommender-v3"}


def test_a_spec_round_trips_through_its_dict_form():
    spec = parse_spec_text(GOOD_TOML)
    assert parse_spec(spec_to_dict(spec)) == spec


def test_a_spec_round_trips_through_toml_even_with_awkward_names():
    spec = parse_spec(
        spec_dict(
            id='it\'s "quoted"',
            variants={"a": 0.25, "new banner": 0.75},
            variant_models={"new banner": "モデル-v2"},
            control="new banner",
            prior_mean=0.0,
            prior_variance=0.01,
        )
    )
    assert parse_spec_text(spec_to_toml(spec)) == spec


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"variants": {"a": 0.5, "b": 0.4}}, "variants"),
        ({"control": "z"}, "control"),
        ({"method": "bayes"}, "method"),
        ({"correction": "bonferroni"}, "correction"),
        ({"segments": ["device; drop"]}, "segments[0]"),
        ({"end": dt.datetime(2026, 9, 1)}, "end"),
        ({"cuped_days": -1}, "cuped_days"),
        ({"prior_mean": 0.0}, "prior_variance"),
    ],
)
def test_bad_top_level_values_are_refused_naming_the_key(change, named):
    with pytest.raises(SpecError) as refused:
        parse_spec(spec_dict(**change))
    assert refused.value.field == named
    assert refused.value.code.startswith("experiment_spec.")


def _metrics_with(index: int, **change: object) -> list[dict[str, object]]:
    metrics = [dict(metric) for metric in spec_dict()["metrics"]]
    metrics[index].update(change)
    return metrics


@pytest.mark.parametrize(
    ("metrics", "named", "code"),
    [
        (_metrics_with(1, kind="median"), "metrics[1].kind", "not_choice"),
        (_metrics_with(1, colour="red"), "metrics[1].colour", "unknown_key"),
        (_metrics_with(0, role="secondary"), "metrics", "one_primary"),
        (_metrics_with(1, role="primary"), "metrics", "one_primary"),
        (_metrics_with(0, numerator=None), "metrics[0].numerator", "ratio_needs"),
        (_metrics_with(2, event=""), "metrics[2].event", "event_required"),
        (_metrics_with(2, cap_percentile=0.99), "metrics[2].cap_percentile", "cap"),
        (
            _metrics_with(1, non_inferiority_margin=0.02),
            "metrics[1].non_inferiority_margin",
            "margin",
        ),
        (_metrics_with(2, name="ctr"), "metrics", "metric_twice"),
    ],
)
def test_bad_metrics_are_refused_naming_the_key(metrics, named, code):
    cleaned = [{k: v for k, v in m.items() if v is not None} for m in metrics]
    with pytest.raises(SpecError) as refused:
        parse_spec(spec_dict(metrics=cleaned))
    assert (refused.value.field, refused.value.code) == (named, f"experiment_spec.{code}")


def test_a_missing_primary_metric_is_refused_and_says_so_in_both_languages():
    metrics = [m for m in spec_dict()["metrics"] if m["role"] != "primary"]
    with pytest.raises(SpecError) as refused:
        parse_spec(spec_dict(metrics=metrics))
    assert "exactly one metric with role" in describe(refused.value, "en")
    assert "ちょうど1つ" in describe(refused.value, "ja")


def test_toml_syntax_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('id = "x"\nvariants = { a = 0.5,, }\n', encoding="utf-8")
    with pytest.raises(SpecError) as refused:
        load_spec(path)
    assert (refused.value.origin, refused.value.line) == (str(path), 2)
    assert describe(refused.value, "en").startswith(f"{path}, line 2: ")


def test_an_experiment_belongs_to_the_families_of_its_variant_models():
    spec = parse_spec_text(GOOD_TOML)
    family_of_model = {model: "recommender" for _, model in spec.variant_models}
    assert spec.variant_models
    assert belongs_to_family(spec, family_of_model, "recommender")
    assert not belongs_to_family(spec, family_of_model, "fraud")
    assert belongs_to_family(spec, family_of_model, None)
    without_models = dataclasses.replace(spec, variant_models=())
    assert not belongs_to_family(without_models, family_of_model, "recommender")

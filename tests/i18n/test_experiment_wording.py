"""Experiment wording (i18n.experiments): reasons, notes, segments and errors in both languages."""

from __future__ import annotations

import itertools
import re

import pytest

from core.errors import Unavailable, YardstickError
from experiments.analysis import Note, analyze_cells
from experiments.cells import CellStatistics
from experiments.decision import REASON_CODES, decide
from experiments.spec import SpecError, parse_spec
from experiments.sufficient import MeanStats
from i18n.catalogue import LANGUAGES, catalogue
from i18n.errors import describe
from i18n.experiments import (
    analysis_to_json,
    note_message,
    reason_message,
    segment_label,
    unavailable_message,
)
from tests.experiments.factories import (
    BROKEN_SRM,
    END,
    HEALTHY_SRM,
    guardrail_comparison,
    guardrail_result,
    make_spec,
    primary_comparison,
    spec_dict,
)


def every_decision_reason() -> list[tuple[str, dict[str, object]]]:
    """The reasons `decide` gives over every class of its inputs.

    Sample ratio broken or not; primary worse, flat or better; fixed or sequential; no guardrail,
    a breached, a non-inferior or an inconclusive one; planned sample reached or not; the
    guardrail's comparison significantly worse (-1%, within the 2% margin) or not given.
    """
    guardrails = {
        "none": lambda method: [],
        "breached": lambda method: [guardrail_result(9.5, method=method)],
        "non_inferior": lambda method: [guardrail_result(10.0, method=method)],
        "inconclusive": lambda method: [guardrail_result(10.0, n=300, method=method)],
    }
    reasons = []
    for srm, mean, method, guardrail, reached, worse in itertools.product(
        (HEALTHY_SRM, BROKEN_SRM),
        (9.8, 10.0, 10.2),
        ("fixed", "sequential"),
        guardrails,
        (True, False),
        (True, False),
    ):
        decision = decide(
            primary_comparison(mean, method),
            guardrails[guardrail](method),
            srm,
            planned_sample_reached=reached,
            guardrail_comparisons=[guardrail_comparison(9.9, method=method)] if worse else [],
        )
        reasons += list(zip(decision.reason_codes, decision.reason_values, strict=True))
    return reasons


def _catalogued_reasons(lang: str) -> set[str]:
    prefix = "experiments.reason_"
    return {key.removeprefix(prefix) for key in catalogue(lang) if key.startswith(prefix)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_reason_the_decision_can_give_is_worded_and_no_other(lang):
    given = {code for code, _ in every_decision_reason()}
    assert given == set(REASON_CODES) == _catalogued_reasons(lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_reason_renders_from_the_catalogue_with_its_values(lang):
    for code, values in every_decision_reason():
        text = reason_message(lang, code, values)
        assert "{" not in text
        if "metric" in values:
            assert str(values["metric"]) in text


def test_japanese_reasons_carry_no_english_sentence():
    english = [reason_message("en", code, values) for code, values in every_decision_reason()]
    japanese = [reason_message("ja", code, values) for code, values in every_decision_reason()]
    assert all(re.search(r"[ぁ-んァ-ン一-龥]", text) for text in japanese)
    assert set(english).isdisjoint(japanese)
    assert "margin" not in " ".join(japanese) and "significant" not in " ".join(japanese)


def _cells_with_an_empty_and_a_tiny_arm():
    spec = make_spec(
        variants={"a": 0.4, "b": 0.3, "c": 0.3},
        metrics=[{"name": "revenue", "kind": "mean", "event": "purchase", "role": "primary"}],
        segments=["device"],
    )
    whole = {"a": MeanStats(500, 5_000.0, 60_000.0), "b": MeanStats(400, 4_100.0, 50_000.0)}
    whole["c"] = MeanStats(1, 10.0, 100.0)
    cells = [CellStatistics(name, None, None, s.n, (s,)) for name, s in whole.items()]
    cells += [CellStatistics("a", "device", "other", 50, (MeanStats(50, 500.0, 6_000.0),))]
    return spec, cells


def test_notes_carry_codes_and_values_and_render_in_both_languages():
    spec, cells = _cells_with_an_empty_and_a_tiny_arm()
    analysis = analyze_cells(spec, cells, 0, END)

    codes = [(n.code, n.values.get("variant"), n.values.get("segment")) for n in analysis.notes]
    assert ("too_few_units", "c", None) in codes
    assert ("arm_without_units", "b", "device") in codes
    japanese = [note_message("ja", note) for note in analysis.notes]
    assert all("{" not in text and "units" not in text for text in japanese)
    in_segment = next(n for n in analysis.notes if n.values.get("segment"))
    assert note_message("ja", in_segment).startswith("device = その他")
    english = analysis_to_json(analysis)["warnings"]
    assert english == [note_message("en", note) for note in analysis.notes]


def test_a_cuped_fallback_note_is_translated():
    note = Note("cuped_fallback", {"metric": "ctr", "variant": "v3", "cause": "x"})
    assert note_message("ja", note).startswith("ctr・v3：") and "CUPED" in note_message("ja", note)


def test_catch_all_segment_values_are_words_and_data_values_pass_through():
    assert segment_label("ja", "(none)") == "（属性なし）"
    assert segment_label("en", "other").startswith("other")
    assert segment_label("ja", "mobile") == "mobile"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_experiment_without_units_is_explained_in_the_readers_language(lang):
    spec = make_spec()
    until = spec.start.replace(day=2)
    with pytest.raises(YardstickError) as refused:
        analyze_cells(spec, [], 0, until)
    assert refused.value.code == "experiment.no_units"
    message = unavailable_message(lang, Unavailable.of(refused.value))
    assert until.strftime("%Y-%m-%d %H:%M") in message
    assert ("ユニット" in message) == (lang == "ja")


SPEC_MISTAKES = [
    {"colour": "red"},
    {"variants": {"a": 0.5, "b": 0.4}},
    {"variants": {"a": 2}},
    {"variants": []},
    {"control": "z"},
    {"variants": {"a": 1.0}, "control": "a"},
    {"method": "bayes"},
    {"segments": ["device; drop"]},
    {"segments": "device"},
    {"segments": ["device", "device"]},
    {"end": "2026-09-01T00:00:00Z"},
    {"end": "soon"},
    {"end": 3},
    {"start": "0226-10-01T00:00:00Z"},
    {"alpha": 0.7},
    {"alpha": "high"},
    {"id": ""},
    {"sequential_tuning": -1},
    {"cuped_days": -1},
    {"planned_mde": -0.1},
    {"prior_mean": 0.0},
    {"prior_mean": 0.0, "prior_variance": -1.0},
    {"variant_models": "m"},
    {"variant_models": {"z": "m"}},
    {"variant_models": {"a": ""}},
    {"metrics": []},
    {"metrics": ["ctr"]},
    {"metrics": [{"name": "m", "kind": "mean", "role": "primary"}]},
    {"metrics": [{"name": "m", "kind": "ratio", "numerator": "c", "role": "primary"}]},
    {
        "metrics": [
            {"name": "m", "kind": "ratio", "numerator": "c", "denominator": "i", "event": "e"}
        ]
    },
    {"metrics": [{"name": "m", "kind": "mean", "event": "e", "numerator": "c"}]},
    {"metrics": [{"name": "m", "kind": "mean", "event": "e", "role": "primary"}] * 2},
    {"metrics": [{"name": "m", "kind": "mean", "event": "e", "role": "secondary"}]},
    {"metrics": [{"name": "m", "kind": "proportion", "event": "e", "cap_percentile": 0.9}]},
    {"metrics": [{"name": "m", "kind": "mean", "event": "e", "non_inferiority_margin": 0.1}]},
]


def _refusal(change: dict[str, object], without: str | None = None) -> SpecError:
    raw = {key: value for key, value in spec_dict(**change).items() if key != without}
    with pytest.raises(SpecError) as refused:
        parse_spec(raw)
    return refused.value


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_spec_refusal_is_worded_naming_its_key(lang):
    codes = set()
    for change, without in [*((c, None) for c in SPEC_MISTAKES), ({}, "metrics")]:
        error = _refusal(change, without)
        codes.add(error.code)
        sentence = describe(error, lang)
        assert "{" not in sentence and error.field and error.field in sentence, (change, sentence)
    worded = {k for k in catalogue(lang) if k.startswith("error.experiment_spec.")}
    file_errors = {"error.experiment_spec.unreadable", "error.experiment_spec.toml_syntax"}
    assert {f"error.{code}" for code in codes} | file_errors == worded

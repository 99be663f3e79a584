"""Decision reasons and analysis notes come from the catalogues, in both languages."""

from __future__ import annotations

import re

import pytest

from data.experiment_store import CellStatistics
from experiments.analysis import Note, analyze_cells
from experiments.decision import decide
from experiments.messages import note_message, reason_message, segment_label
from experiments.sufficient import MeanStats
from i18n.catalogue import LANGUAGES
from tests.conftest import ROOT
from tests.experiments.test_sql_fixtures import END, make_spec
from tests.experiments.test_stats_decision import (
    BROKEN_SRM,
    HEALTHY_SRM,
    _guardrail,
    _primary,
)

REASON_CODES = set(
    re.findall(r'Reason\(\s*"([a-z_]+)"', (ROOT / "experiments/decision.py").read_text())
)


def every_reason():
    """One decision per rule, covering every reason code decision.py can give."""
    cases = [
        decide(_primary(10.2), [], BROKEN_SRM, planned_sample_reached=True),
        decide(_primary(10.5), [], HEALTHY_SRM, planned_sample_reached=False),
        decide(_primary(9.8), [], HEALTHY_SRM, planned_sample_reached=True),
        decide(_primary(10.2), [_guardrail(9.5)], HEALTHY_SRM, planned_sample_reached=True),
        decide(
            _primary(10.3, "sequential"),
            [_guardrail(10.0, n=300, method="sequential")],
            HEALTHY_SRM,
            planned_sample_reached=False,
        ),
        decide(_primary(10.0), [], HEALTHY_SRM, planned_sample_reached=True),
        decide(_primary(10.0, "sequential"), [], HEALTHY_SRM, planned_sample_reached=False),
    ]
    return [
        (code, values)
        for decision in cases
        for code, values in zip(decision.reason_codes, decision.reason_values, strict=True)
    ]


def test_the_cases_cover_every_reason_code_in_decision_py():
    assert {"srm_mismatch", "primary_better", "guardrail_inconclusive"} <= REASON_CODES
    assert {code for code, _ in every_reason()} == REASON_CODES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_reason_renders_from_the_catalogue_with_its_values(lang):
    for code, values in every_reason():
        text = reason_message(lang, code, values)
        assert "{" not in text
        if "metric" in values:
            assert values["metric"] in text


def test_japanese_reasons_carry_no_english_sentence_from_decision_py():
    english = [reason_message("en", code, values) for code, values in every_reason()]
    japanese = [reason_message("ja", code, values) for code, values in every_reason()]
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
    assert analysis.warnings == tuple(n.text for n in analysis.notes)


def test_a_cuped_fallback_note_is_translated():
    note = Note("cuped_fallback", "english", {"metric": "ctr", "variant": "v3", "cause": "x"})
    assert note_message("ja", note).startswith("ctr・v3：") and "CUPED" in note_message("ja", note)


def test_catch_all_segment_values_are_words_and_data_values_pass_through():
    assert segment_label("ja", "(none)") == "（属性なし）"
    assert segment_label("en", "other").startswith("other")
    assert segment_label("ja", "mobile") == "mobile"

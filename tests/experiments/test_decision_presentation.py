"""Correction families, labelled p-values, the `invalid` call and named guardrail harm.

The oracle for every adjusted p-value is statsmodels' `multipletests` on the raw p-values of the
same family.
"""

from __future__ import annotations

import pytest
from statsmodels.stats.multitest import multipletests

from experiments.analysis import analyze_cells
from i18n.experiments import analysis_to_json, reason_message
from tests.experiments.factories import END, family_spec, whole_arm_cells

# Control mean 10 on every metric; treatments differ by a few standard errors (0.028 per arm
# pair at n = 10,000 and sd 2), so the raw p-values spread over (0, 1).
MEANS = {
    "a": [10.0, 10.0, 10.0, 10.0, 10.0],
    "b": [10.07, 10.05, 9.96, 10.3, 10.0],
    "c": [10.02, 10.09, 10.01, 10.0, 10.2],
}


def _analysis(means=MEANS, **overrides):
    spec = family_spec(**overrides)
    return analyze_cells(spec, whole_arm_cells(spec, means), 0, END)


@pytest.mark.parametrize(("correction", "method"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_primary_and_secondary_families_are_corrected_apart_as_statsmodels_does(correction, method):
    analysis = _analysis(correction=correction)
    for metrics in (("revenue",), ("sessions", "basket")):
        family = [c for c in analysis.comparisons if c.metric in metrics]
        assert len(family) == 2 * len(metrics)
        expected = multipletests([c.p_value for c in family], method=method)[1]
        assert [c.adjusted_p_value for c in family] == pytest.approx(list(expected), rel=1e-12)


def test_guardrails_are_outside_every_family_and_keep_their_raw_p():
    analysis = _analysis()
    guardrails = [c for c in analysis.comparisons if c.metric in ("latency", "errors")]
    assert len(guardrails) == 4
    assert all(c.adjusted_p_value is None for c in guardrails)
    assert all(c.decisive_p_value == c.p_value for c in guardrails)
    # A guardrail in the family would have raised the primary's adjustment: with only the two
    # primary comparisons, Holm multiplies the smaller p by 2, not by 10.
    primary = min(analysis.primary, key=lambda c: c.p_value)
    assert primary.adjusted_p_value == pytest.approx(2 * primary.p_value)


def test_every_json_row_says_which_p_is_raw_and_which_family_adjusted_it():
    rows = {(r["metric"], r["variant"]): r for r in analysis_to_json(_analysis())["results"]}
    assert rows[("revenue", "b")]["correction_family"] == "primary"
    assert rows[("revenue", "b")]["correction_family_size"] == 2
    assert rows[("basket", "c")]["correction_family"] == "secondary"
    assert rows[("basket", "c")]["correction_family_size"] == 4
    assert rows[("basket", "c")]["p_value_kind"] == "adjusted"
    latency = rows[("latency", "b")]
    assert latency["correction_family"] is None and latency["p_value_kind"] == "raw"
    assert latency["p_value_adjusted"] is None
    assert latency["adjusted_p_value"] == latency["p_value"]
    unadjusted = analysis_to_json(_analysis(correction="none"))["results"]
    assert {r["p_value_kind"] for r in unadjusted} == {"raw"}


def test_the_decision_quotes_the_primary_p_the_table_shows_with_its_label():
    analysis = _analysis()
    decision = next(d for d in analysis.decisions if d.variant == "b")
    values = decision.reason_values[0]
    primary = next(c for c in analysis.primary if c.variant == "b")
    assert values["p_value"] == primary.adjusted_p_value != primary.p_value
    assert values["p_kind"] == "adjusted"
    english = reason_message("en", decision.reason_codes[0], values)
    assert f"Holm-adjusted p = {primary.adjusted_p_value:.2g}" in english
    japanese = reason_message("ja", decision.reason_codes[0], values)
    assert f"Holm 補正後 p = {primary.adjusted_p_value:.2g}" in japanese
    raw = _analysis(correction="none").decisions[0]
    assert "raw p = " in reason_message("en", raw.reason_codes[0], raw.reason_values[0])


def test_a_guardrail_significantly_worse_within_its_margin_is_named_beside_ship():
    # b raises revenue and worsens latency by 3% (precisely measured, well within 10%).
    means = {"a": [10.0] * 5, "b": [10.2, 10.0, 10.0, 10.3, 10.0]}
    analysis = _analysis(means, variants={"a": 0.5, "b": 0.5})
    assert analysis.recommendation == "ship"
    (decision,) = analysis.decisions
    assert decision.reason_codes == ("primary_better", "guardrail_worse_within_margin")
    values = decision.reason_values[1]
    assert values["metric"] == "latency" and values["margin"] == 0.1
    assert values["relative_effect"] == pytest.approx(0.03)
    text = reason_message("en", "guardrail_worse_within_margin", values)
    assert "latency" in text and "+3.0%" in text and "raw p" in text


def test_a_guardrail_without_margin_significantly_worse_is_named_too():
    means = {"a": [10.0] * 5, "b": [10.2, 10.0, 10.0, 10.0, 10.2]}
    analysis = _analysis(means, variants={"a": 0.5, "b": 0.5})
    (decision,) = analysis.decisions
    assert decision.reason_codes == ("primary_better", "guardrail_worse")
    assert decision.reason_values[1]["metric"] == "errors"


def test_a_guardrail_that_is_not_significantly_worse_is_not_named():
    means = {"a": [10.0] * 5, "b": [10.2, 10.0, 10.0, 10.01, 9.9]}
    (decision,) = _analysis(means, variants={"a": 0.5, "b": 0.5}).decisions
    assert decision.reason_codes == ("primary_better",)


def test_a_sample_ratio_mismatch_makes_the_call_invalid_for_every_treatment():
    spec = family_spec()
    sizes = {"a": 10_000, "b": 10_000, "c": 11_000}
    analysis = analyze_cells(spec, whole_arm_cells(spec, MEANS, sizes), 0, END)
    assert analysis.srm.mismatch
    assert analysis.recommendation == "invalid" and not analysis.valid
    assert {d.outcome for d in analysis.decisions} == {"invalid"}
    assert {r.code for r in analysis.reasons} == {"srm_mismatch"}
    document = analysis_to_json(analysis)["decision"]
    assert document["recommendation"] == "invalid" and document["valid"] is False
    assert "raw p = " in document["reasons"][0]

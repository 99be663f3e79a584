"""Sample ratio mismatch and multiple-testing corrections against scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests

from experiments.corrections import adjust_p_values, apply_correction
from experiments.srm import sample_ratio_mismatch
from experiments.stats import compare
from tests.experiments.factories import mean_stats_with


def test_srm_matches_scipy_chisquare_for_three_variants():
    observed = {"control": 5_120, "a": 4_890, "b": 10_010}
    allocation = {"control": 0.25, "a": 0.25, "b": 0.5}

    result = sample_ratio_mismatch(observed, allocation)

    total = sum(observed.values())
    expected = [total * 0.25, total * 0.25, total * 0.5]
    reference = scipy_stats.chisquare(list(observed.values()), expected)
    assert result.statistic == pytest.approx(reference.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.expected == pytest.approx(dict(zip(observed, expected, strict=True)))
    assert result.dof == 2


def test_srm_flags_a_mismatch_only_below_one_in_a_thousand():
    # 50/50 plan: 10,300 vs 9,700 gives chi2 = 18 (p ~ 2e-5); 10,100 vs 9,900 gives chi2 = 2.
    broken = sample_ratio_mismatch({"control": 10_300, "v": 9_700}, {"control": 1, "v": 1})
    healthy = sample_ratio_mismatch({"control": 10_100, "v": 9_900}, {"control": 1, "v": 1})

    assert broken.mismatch and broken.p_value < 0.001
    assert not healthy.mismatch and healthy.p_value > 0.1


def test_srm_refuses_variants_missing_from_the_allocation():
    with pytest.raises(ValueError, match="differ from the planned allocation"):
        sample_ratio_mismatch({"control": 10, "v": 10}, {"control": 1, "w": 1})


def test_srm_refuses_a_non_positive_weight():
    with pytest.raises(ValueError, match="'v' has a non-positive planned weight"):
        sample_ratio_mismatch({"control": 10, "v": 10}, {"control": 1, "v": 0})


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_corrections_match_statsmodels_multipletests(ours, theirs):
    rng = np.random.default_rng(21)
    p_values = np.concatenate([rng.uniform(0, 0.05, 6), rng.uniform(0, 1, 14), [0.01, 0.01]])

    adjusted = adjust_p_values(p_values.tolist(), ours)

    _, reference, _, _ = multipletests(p_values, alpha=0.05, method=theirs)
    np.testing.assert_allclose(adjusted, reference, rtol=1e-12)


def test_no_correction_passes_p_values_through():
    assert adjust_p_values([0.2, 0.01], "none").tolist() == [0.2, 0.01]


def test_unknown_correction_is_refused():
    with pytest.raises(ValueError, match="correction must be one of holm, bh, none"):
        adjust_p_values([0.2], "bonferroni")


def test_apply_correction_keeps_raw_and_fills_adjusted_p_values():
    control = mean_stats_with(1_000, 10.0, 2.0)
    comparisons = [
        compare(
            control,
            mean_stats_with(1_000, 10.0 + shift, 2.0),
            metric=f"m{index}",
            control_name="control",
            variant_name="v",
        )
        for index, shift in enumerate([0.05, 0.2, 0.3])
    ]

    corrected = apply_correction(comparisons, "holm")

    raw = [c.p_value for c in comparisons]
    assert [c.p_value for c in corrected] == raw
    assert [c.adjusted_p_value for c in corrected] == pytest.approx(
        multipletests(raw, method="holm")[1].tolist(), rel=1e-12
    )
    assert all(c.correction == "holm" for c in corrected)
    assert corrected[0].decisive_p_value == corrected[0].adjusted_p_value

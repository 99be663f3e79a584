"""Capping through the store: the percentile ignores zeros, and a sign flip is flagged."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from experiments.analysis import CAPPING_CHANGES_SIGN, analyze_cells
from i18n.experiments import analysis_to_json, note_message
from tests.experiments.factories import START, make_spec, read_statistics, write_store

REVENUE = {
    "name": "revenue",
    "kind": "mean",
    "event": "purchase",
    "cap_percentile": 0.95,
    "role": "primary",
}


def _store(tmp_path, purchases: dict[str, list[float]], units_per_arm: int):
    """`units_per_arm` units per arm; the first ones of each arm buy the given amounts."""
    at = START + dt.timedelta(days=1)
    assignments, events = [], []
    for variant, amounts in purchases.items():
        for i in range(units_per_arm):
            assignments.append(("exp", f"{variant}{i}", variant, at, None))
        for i, amount in enumerate(amounts):
            events.append((f"{variant}{i}", "purchase", amount, at + dt.timedelta(hours=1)))
    return write_store(tmp_path / "s.duckdb", assignments, events)


def test_with_two_percent_buyers_the_cap_is_taken_over_buyers_and_is_not_zero(tmp_path):
    rng = np.random.default_rng(41)
    purchases = {arm: list(rng.lognormal(3.0, 1.0, 20).round(2)) for arm in ("a", "b")}
    settings = _store(tmp_path, purchases, units_per_arm=1_000)
    spec = make_spec(metrics=[REVENUE])

    cells, excluded = read_statistics(settings, spec, spec.end)
    analysis = analyze_cells(spec, cells, excluded, spec.end)

    buyers = np.concatenate([purchases["a"], purchases["b"]])
    cap = np.quantile(buyers, 0.95)  # numpy's default is the same linear interpolation
    assert cap > 0
    (comparison,) = analysis.comparisons
    assert comparison.control_mean == pytest.approx(np.minimum(purchases["a"], cap).sum() / 1_000)
    assert comparison.variant_mean == pytest.approx(np.minimum(purchases["b"], cap).sum() / 1_000)
    uncapped = np.sum(purchases["b"]) / np.sum(purchases["a"]) - 1
    assert comparison.uncapped_relative_effect == pytest.approx(uncapped)


def test_capping_that_turns_the_effect_around_is_flagged_in_the_json_with_its_wording(tmp_path):
    # Control: 40 buyers of 100. Variant: 38 buyers of 100 and one of 5,000, which the cap
    # (95th percentile of the 79 buyers) cuts down: uncapped the variant wins, capped it loses.
    purchases = {"a": [100.0] * 40, "b": [95.0] * 38 + [5_000.0]}
    settings = _store(tmp_path, purchases, units_per_arm=500)
    spec = make_spec(metrics=[REVENUE])

    cells, excluded = read_statistics(settings, spec, spec.end)
    analysis = analyze_cells(spec, cells, excluded, spec.end)

    (comparison,) = analysis.comparisons
    assert comparison.uncapped_relative_effect == pytest.approx((95 * 38 + 5_000) / 4_000 - 1)
    assert comparison.relative_effect < 0 < comparison.uncapped_relative_effect
    assert comparison.capping_changes_sign is True
    document = analysis_to_json(analysis)
    assert document["results"][0]["capping_changes_sign"] is True
    assert CAPPING_CHANGES_SIGN in document["warning_codes"]
    (note,) = [n for n in analysis.notes if n.code == CAPPING_CHANGES_SIGN]
    assert "+" in note_message("en", note) and "キャップ" in note_message("ja", note)


def test_an_uncapped_metric_carries_no_capping_flag(tmp_path):
    settings = _store(tmp_path, {"a": [10.0, 12.0], "b": [11.0, 30.0]}, units_per_arm=20)
    spec = make_spec(metrics=[{**REVENUE, "cap_percentile": None}])

    cells, excluded = read_statistics(settings, spec, spec.end)
    document = analysis_to_json(analyze_cells(spec, cells, excluded, spec.end))

    assert document["results"][0]["capping_changes_sign"] is None
    assert document["results"][0]["uncapped_relative_effect"] is None

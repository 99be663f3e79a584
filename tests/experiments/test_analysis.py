"""End to end from the store: SQL sums through the statistics agree with statsmodels."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as scipy_stats
from statsmodels.stats.weightstats import ttest_ind

from experiments.analysis import (
    NoDataError,
    analyze_cells,
    cumulative_effects,
    look_times,
    offline_online_points,
    primary_only,
)
from experiments.cells import CellStatistics, Exposure
from experiments.sufficient import MeanStats
from i18n.experiments import analysis_to_json
from services import experiments as service
from services.experiments import analyze_spec as analyze
from tests.experiments.factories import (
    END,
    START,
    make_spec,
    mean_stats_with,
    random_experiment,
    read_cumulative,
    read_exposure,
    read_statistics,
)

RTOL = 1e-8


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    return random_experiment(tmp_path_factory.mktemp("exp") / "s.duckdb", units=600, seed=11)


def _by_metric(analysis):
    return {c.metric: c for c in analysis.comparisons}


def test_mean_metric_matches_statsmodels_welch_on_unit_level_values(experiment):
    settings, truth = experiment
    results = _by_metric(analyze(settings, make_spec(), END))
    a, b = truth.revenue[truth.variant == "a"], truth.revenue[truth.variant == "b"]
    statistic, p_value, dof = ttest_ind(b, a, usevar="unequal")
    revenue = results["revenue"]
    np.testing.assert_allclose(
        [revenue.absolute_effect, revenue.statistic, revenue.p_value, revenue.dof],
        [b.mean() - a.mean(), statistic, p_value, dof],
        rtol=RTOL,
    )


def test_proportion_effect_and_variance_follow_the_bernoulli_definition(experiment):
    settings, truth = experiment
    converted = _by_metric(analyze(settings, make_spec(), END))["converted"]
    a, b = truth.converted[truth.variant == "a"], truth.converted[truth.variant == "b"]
    std_error = np.sqrt(a.mean() * (1 - a.mean()) / len(a) + b.mean() * (1 - b.mean()) / len(b))
    np.testing.assert_allclose(
        [converted.absolute_effect, converted.absolute_std_error],
        [b.mean() - a.mean(), std_error],
        rtol=RTOL,
    )


def test_cuped_matches_pooled_ols_slope_then_welch_on_adjusted_unit_values(experiment):
    settings, truth = experiment
    revenue = _by_metric(analyze(settings, make_spec(cuped_days=14), END))["revenue"]
    slope = sm.OLS(truth.revenue, sm.add_constant(truth.pre_revenue)).fit().params[1]
    adjusted = truth.revenue - slope * (truth.pre_revenue - truth.pre_revenue.mean())
    a, b = adjusted[truth.variant == "a"], adjusted[truth.variant == "b"]
    statistic, p_value, _ = ttest_ind(b, a, usevar="unequal")
    assert revenue.cuped
    np.testing.assert_allclose(
        [revenue.cuped_theta, revenue.absolute_effect, revenue.statistic, revenue.p_value],
        [slope, b.mean() - a.mean(), statistic, p_value],
        rtol=RTOL,
    )
    control_mean = truth.revenue[truth.variant == "a"].mean()
    np.testing.assert_allclose(revenue.relative_effect, (b.mean() - a.mean()) / control_mean)


def test_ratio_metric_is_the_ratio_of_sums_per_arm(experiment):
    settings, truth = experiment
    ctr = _by_metric(analyze(settings, make_spec(), END))["ctr"]
    mask = truth.variant == "b"
    np.testing.assert_allclose(
        ctr.variant_mean, truth.clicks[mask].sum() / truth.impressions[mask].sum(), rtol=RTOL
    )


def test_swapping_control_and_treatment_flips_the_absolute_effect(experiment):
    settings, _ = experiment
    forward = _by_metric(analyze(settings, make_spec(), END))
    swapped = _by_metric(analyze(settings, make_spec(control="b"), END))
    for name in ("ctr", "revenue", "converted"):
        assert swapped[name].absolute_effect == pytest.approx(-forward[name].absolute_effect)
        assert swapped[name].p_value == pytest.approx(forward[name].p_value)


def test_raw_and_corrected_p_values_are_both_reported_per_family(experiment):
    settings, _ = experiment
    analysis = analyze(settings, make_spec(correction="holm"), END)
    assert all(c.adjusted_p_value >= c.p_value for c in analysis.comparisons)
    secondary = sorted(c.p_value for c in analysis.comparisons if c.metric != "ctr")
    assert min(c.adjusted_p_value for c in analysis.comparisons if c.metric != "ctr") == (
        pytest.approx(min(1.0, secondary[0] * len(secondary)))
    )
    (primary,) = analysis.primary
    assert primary.adjusted_p_value == pytest.approx(primary.p_value)


def test_segment_rows_cover_each_value_and_their_units_add_up(experiment):
    settings, _ = experiment
    analysis = analyze(settings, make_spec(segments=["device"]), END)
    ctr_rows = [s for s in analysis.segments if s.comparison.metric == "ctr"]
    assert {s.value for s in ctr_rows} == {"mobile", "desktop", "tablet"}
    assert sum(s.comparison.n_variant for s in ctr_rows) == analysis.units["b"]
    document = analysis_to_json(analysis)
    segment_rows = [r for r in document["results"] if r["segment"] is not None]
    assert {r["segment"]["column"] for r in segment_rows} == {"device"}


def test_no_units_in_the_window_is_refused_with_a_message(experiment):
    settings, _ = experiment
    with pytest.raises(NoDataError) as refused:
        analyze(settings, make_spec(), dt.datetime(2026, 9, 1))
    assert refused.value.code == "experiment.no_units"
    assert refused.value.values["until"] == "2026-09-01 00:00"


def test_a_fixed_experiment_before_its_end_keeps_running(experiment):
    settings, _ = experiment
    analysis = analyze(settings, make_spec(), START + dt.timedelta(days=10))
    assert not analysis.planned_duration_reached
    assert analysis.recommendation == "keep_running"


def test_a_planned_mismatch_in_allocation_is_flagged_as_srm(experiment):
    settings, _ = experiment
    spec = make_spec(variants={"a": 0.8, "b": 0.2})
    analysis = analyze(settings, spec, END)
    assert analysis.srm.mismatch and analysis.recommendation == "invalid"


def test_looks_are_daily_bounded_in_number_and_end_at_the_window_end():
    spec = make_spec()
    looks = look_times(spec, END, max_looks=14)
    assert len(looks) == 14 and looks[-1] == END
    assert looks == sorted(set(looks))
    assert look_times(spec, START + dt.timedelta(days=3)) == [
        START + dt.timedelta(days=1),
        START + dt.timedelta(days=2),
        START + dt.timedelta(days=3),
    ]


def test_the_last_cumulative_look_equals_the_headline_result(experiment):
    settings, _ = experiment
    spec = make_spec()
    looks = tuple(look_times(spec, END))
    points = cumulative_effects(spec, read_cumulative(settings, primary_only(spec), looks))
    headline = _by_metric(analyze(settings, spec, END))["ctr"]
    assert points[-1].as_of == END
    assert points[-1].comparison.relative_effect == pytest.approx(headline.relative_effect)
    assert points[-1].comparison.p_value == pytest.approx(headline.p_value)


PRIMARY_METRICS = (
    {"name": "revenue", "kind": "mean", "event": "purchase", "cap_percentile": 0.95},
    {"name": "converted", "kind": "proportion", "event": "purchase"},
    {"name": "ctr", "kind": "ratio", "numerator": "click", "denominator": "impression"},
)


@pytest.mark.parametrize("cuped_days", [0, 14])
@pytest.mark.parametrize("primary", PRIMARY_METRICS, ids=lambda metric: metric["name"])
def test_every_cumulative_look_equals_a_separate_as_of_reading(experiment, cuped_days, primary):
    settings, _ = experiment
    spec = make_spec(cuped_days=cuped_days, metrics=[{**primary, "role": "primary"}])
    looks = tuple(look_times(spec, END))
    together = read_cumulative(settings, spec, looks)
    for look in looks:
        separate = {
            c.variant: c
            for c in read_statistics(settings, spec, look)[0]
            if c.segment_column is None
        }
        assert {c.variant for c in together[look]} == set(separate)
        for cell in together[look]:
            expected = separate[cell.variant]
            assert cell.n == expected.n
            (mine,), (theirs,) = cell.metrics, expected.metrics
            assert type(mine) is type(theirs)
            for field in mine.__dataclass_fields__:
                assert getattr(mine, field) == pytest.approx(getattr(theirs, field), rel=1e-12)


def test_analysis_from_sums_equals_analysis_from_the_store(experiment):
    # Parallel float sums may differ in the last bit between two readings; one thread makes the
    # two readings the same query twice, so exact equality is a fair demand.
    settings = dataclasses.replace(experiment[0], threads=1)
    spec = make_spec()
    cells, _ = read_statistics(settings, spec, END)
    exposure = read_exposure(settings, spec, END)
    excluded = exposure.excluded_multiple_variants
    from_sums = analyze_cells(spec, cells, excluded, END, exposure=exposure)
    assert from_sums == analyze(settings, spec, END)


def test_demo_experiments_are_defined_and_analysed(demo_settings):
    aa = service.analyze(demo_settings, "aa-homepage")
    assert aa.recommendation == "no_effect" and not aa.srm.mismatch
    analysis = service.analyze(demo_settings, "rec-v3-vs-v2")
    assert analysis.version == 1 and analysis.excluded_multiple_variants > 0
    links = service.links(demo_settings, analysis)
    assert {link.model_id for link in links} == {"recommender-v2", "recommender-v3"}
    points = offline_online_points(links)
    assert {p.offline_metric for p in points} >= {"auc"}
    assert all(p.online_metric == "ctr" for p in points)


def test_power_of_each_treatment_uses_the_traffic_of_its_own_pair_on_days_with_assignments():
    # Three arms: the days a treatment still needs depend on the units entering control and that
    # treatment only, averaged over the days either of them had assignments (5 of the 10 days for
    # a and b; c also on day 8, so 6 for a and c); counting the third arm or idle days would
    # misstate them.
    spec = make_spec(
        variants={"a": 0.5, "b": 0.3, "c": 0.2},
        metrics=[{"name": "revenue", "kind": "mean", "event": "purchase", "role": "primary"}],
        planned_mde=0.01,
    )
    arms = {"a": MeanStats(5_000, 50_000.0, 600_000.0)}
    arms["b"] = MeanStats(3_000, 30_300.0, 366_000.0)
    arms["c"] = MeanStats(2_000, 20_100.0, 245_000.0)
    cells = [CellStatistics(name, None, None, stats.n, (stats,)) for name, stats in arms.items()]
    day = START.date()
    daily = [("a", day + dt.timedelta(days=d), 1_000) for d in range(5)]
    daily += [("b", day + dt.timedelta(days=d), 600) for d in range(5)]
    daily += [("c", day + dt.timedelta(days=d), 400) for d in (0, 1, 2, 3, 8)]
    exposure = Exposure(tuple(daily), 0)
    analysis = analyze_cells(spec, cells, 0, START + dt.timedelta(days=10), exposure=exposure)

    assert [p.units_per_day for p in analysis.power] == pytest.approx([8_000 / 5, 7_000 / 6])
    for comparison, power in zip(analysis.primary, analysis.power, strict=True):
        pair_units = arms["a"].n + arms[comparison.variant].n
        assert power.n_units == pair_units and not power.finished
        assert power.achieved_power is None
        assert power.days_needed == math.ceil(
            (power.required_units - pair_units) / power.units_per_day
        )


def test_a_finished_test_shows_achieved_power_instead_of_days_to_go():
    spec = make_spec(
        metrics=[{"name": "revenue", "kind": "mean", "event": "purchase", "role": "primary"}],
        planned_mde=0.02,
    )
    arms = {"a": mean_stats_with(4_000, 10.0, 3.0), "b": mean_stats_with(4_000, 10.1, 3.0)}
    cells = [CellStatistics(name, None, None, stats.n, (stats,)) for name, stats in arms.items()]
    exposure = Exposure((("a", START.date(), 4_000), ("b", START.date(), 4_000)), 0)

    (power,) = analyze_cells(spec, cells, 0, spec.end, exposure=exposure).power

    se = math.sqrt(2 * 9.0 / 4_000) / 10.0
    z = scipy_stats.norm.ppf(0.975)
    expected = scipy_stats.norm.cdf(0.02 / se - z) + scipy_stats.norm.cdf(-0.02 / se - z)
    assert power.finished and power.days_needed is None
    assert power.achieved_power == pytest.approx(expected, rel=1e-9)

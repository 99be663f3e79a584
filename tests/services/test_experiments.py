"""The experiment use cases (services/experiments.py) on a small store and on the demo store."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core.clock import fixed_clock
from core.errors import Unavailable
from experiments.analysis import NoDataError
from experiments.spec import UnknownExperimentError
from services import experiments as service
from tests.experiments.factories import END, START, make_spec, random_experiment

DEFINED_AT = dt.datetime(2026, 10, 15, 9, 30)


@pytest.fixture
def store(tmp_path):
    settings, _ = random_experiment(tmp_path / "s.duckdb", units=300)
    settings = dataclasses.replace(settings, threads=1)
    service.define(settings, make_spec(), "first", fixed_clock(DEFINED_AT))
    return settings


def test_defining_again_adds_a_version_stamped_by_the_given_clock(store):
    later = DEFINED_AT + dt.timedelta(days=1)
    assert service.define(store, make_spec(alpha=0.01), "stricter", fixed_clock(later)) == 2
    versions = service.history(store, "exp")
    assert [(v.version, v.defined_at) for v in versions] == [(1, DEFINED_AT), (2, later)]
    assert service.definition(store, "exp").spec.alpha == 0.01
    assert service.definition(store, "exp", version=1).spec.alpha == 0.05
    assert [d.spec.id for d in service.latest_definitions(store)] == ["exp"]


def test_an_unknown_experiment_or_version_is_refused_listing_the_known_ids(store):
    with pytest.raises(UnknownExperimentError) as unknown:
        service.analyze(store, "nope")
    assert (unknown.value.code, unknown.value.values["known"]) == ("experiment.unknown", "exp")
    with pytest.raises(UnknownExperimentError) as no_version:
        service.definition(store, "exp", version=7)
    assert no_version.value.code == "experiment.unknown_version"
    with pytest.raises(UnknownExperimentError):
        service.history(store, "nope")


def test_the_default_window_ends_at_the_clocks_now_and_never_past_the_spec_end(store):
    midway = START + dt.timedelta(days=9, hours=5)
    running = service.analyze(store, "exp", clock=fixed_clock(midway))
    assert running.as_of == midway and not running.planned_duration_reached
    finished = service.analyze(store, "exp", clock=fixed_clock(END + dt.timedelta(days=30)))
    assert finished.as_of == END and finished.planned_duration_reached
    assert finished == service.analyze_spec(store, make_spec(), END, version=1)


def test_an_empty_window_is_unavailable_with_its_code_and_values(store):
    before = START - dt.timedelta(days=1)
    with pytest.raises(NoDataError):
        service.analyze(store, "exp", before)
    unavailable = service.reading(store, "exp", before).analysis
    assert unavailable == Unavailable("experiment.no_units", unavailable.values)
    assert unavailable.values["until"] == before.strftime("%Y-%m-%d %H:%M")


def test_the_last_cumulative_look_is_the_headline_primary_result(store):
    points = service.cumulative(store, "exp", END)
    headline = service.analyze(store, "exp", END).primary[0]
    last = [p for p in points if p.as_of == END]
    assert [p.comparison.variant for p in last] == ["b"]
    assert last[0].comparison.relative_effect == pytest.approx(headline.relative_effect)
    assert [p.as_of for p in points] == sorted(p.as_of for p in points)


def test_exposure_counts_the_units_the_analysis_keeps(store):
    exposure = service.reading(store, "exp", END).exposure
    analysis = service.analyze(store, "exp", END)
    assert {v: exposure.units(v) for v in ("a", "b")} == analysis.units
    assert exposure.excluded_multiple_variants == analysis.excluded_multiple_variants


def test_the_offline_online_view_skips_a_finished_experiment_it_cannot_analyse(demo_settings):
    rec = service.definition(demo_settings, "rec-v3-vs-v2").spec
    ghost = dataclasses.replace(
        rec, id="ghost", start=dt.datetime(2020, 1, 1), end=dt.datetime(2020, 2, 1)
    )
    service.define(demo_settings, ghost, "no data in its window", fixed_clock(DEFINED_AT))
    after_both = fixed_clock(rec.end + dt.timedelta(days=1))
    points = service.finished_offline_online(demo_settings, after_both)
    assert points and {p.experiment for p in points} == {"rec-v3-vs-v2"}
    before_the_end = fixed_clock(rec.end - dt.timedelta(days=1))
    assert service.finished_offline_online(demo_settings, before_the_end) == []


def test_model_links_pair_each_variant_model_with_its_online_effect(demo_settings):
    analysis = service.analyze(demo_settings, "rec-v3-vs-v2")
    links = {link.variant: link for link in service.links(demo_settings, analysis)}
    assert links["v2"].is_control and links["v2"].online is None
    assert links["v3"].online == analysis.primary[0]
    assert {m.metric for m in links["v3"].offline} >= {"auc"}


def test_the_offline_online_view_leaves_out_an_experiment_with_a_broken_split(demo_settings):
    rec = service.definition(demo_settings, "rec-v3-vs-v2").spec
    after = fixed_clock(rec.end + dt.timedelta(days=1))
    assert service.finished_offline_online(demo_settings, after)
    # The same units read against a plan of 80/20: the split no longer matches, so the online
    # effect cannot be trusted and is not plotted.
    skewed = dataclasses.replace(rec, variants=(("v2", 0.8), ("v3", 0.2)))
    service.define(demo_settings, skewed, "wrong plan", fixed_clock(DEFINED_AT))
    assert service.analyze(demo_settings, "rec-v3-vs-v2", rec.end).recommendation == "invalid"
    assert service.finished_offline_online(demo_settings, after) == []

"""The Experiments and Experiment detail pages render on the demo store, in both languages."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.clock import fixed_clock
from data import experiment_store
from experiments.spec import parse_spec_text
from i18n.catalogue import translate
from i18n.experiments import analysis_to_json, reason_message
from services import experiments as service
from tests.experiments.factories import GOOD_TOML
from tests.factories import TEST_NOW, dashboard, rendered_text, without_user_text
from ui import cached

pytestmark = pytest.mark.usefixtures("shared_app_env")

LIST_PAGE = "pages/experiments.py"
DETAIL_PAGE = "pages/experiment_detail.py"


def run_page(
    page: str, lang: str = "en", chosen: str | None = None, family: str | None = None
) -> AppTest:
    state = {"family": family, "experiment_chosen": chosen}
    at = dashboard(lang, page, state={key: value for key, value in state.items() if value})
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [t.value for t in at.text]
    parts += [m.label for m in at.metric] + [t.value for t in at.title]
    return "\n".join(str(part) for part in parts)


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def forest_traces(at: AppTest) -> list[dict]:
    """The forest plot's traces: the figure whose effect traces carry horizontal intervals."""
    return next(f["data"] for f in figures(at) if any("error_x" in t for t in f["data"]))


def scatter_figures(at: AppTest) -> list[dict]:
    """The offline-against-online figures: those with vertical intervals."""
    return [f for f in figures(at) if any("error_y" in t for t in f["data"])]


def test_the_family_filter_keeps_the_experiments_testing_that_familys_models():
    at = run_page(LIST_PAGE, family="recommender")
    assert set(at.dataframe[0].value["ID"]) == {"rec-v3-vs-v2"}


def test_a_family_without_experiments_says_so_on_both_pages():
    for page in (LIST_PAGE, DETAIL_PAGE):
        at = run_page(page, family="fraud")
        expected = translate("en", "experiments.no_experiments_for_family", family="fraud")
        assert expected in [i.value for i in at.info]


def test_experiments_page_lists_each_demo_experiment_with_its_call():
    at = run_page(LIST_PAGE)
    table = at.dataframe[0].value
    assert set(table["ID"]) == {"rec-v3-vs-v2", "aa-homepage", "banner-split"}
    decisions = {
        translate("en", f"experiments.decision_{d}")
        for d in ("ship", "dont_ship", "keep_running", "no_effect", "invalid")
    }
    assert set(table["Decision"]) <= decisions
    assert set(table["Sample ratio"]) <= {"OK", "Mismatch"}
    assert table.loc[table["ID"] == "aa-homepage", "Status"].item() == "Finished"
    broken = table.loc[table["ID"] == "banner-split"]
    assert broken["Decision"].item() == "Invalid"
    assert broken["Primary metric"].item() == "–"


def test_open_detail_switches_to_the_chosen_experiment():
    at = run_page(LIST_PAGE)
    at.selectbox(key="experiments_open").set_value("rec-v3-vs-v2").run()
    at.button(key="experiments_open_button").click().run()
    assert not at.exception
    assert at.title[0].value == "Experiment: Recommender v3 against v2"


def test_detail_page_draws_the_forest_plot_and_the_decision_badge():
    at = run_page(DETAIL_PAGE, chosen="rec-v3-vs-v2")
    charts = at.get("plotly_chart")
    assert len(charts) >= 2
    forest = forest_traces(at)
    labels = {label for trace in forest for label in trace["y"]}
    assert labels == {f"{m} · v3" for m in ("ctr", "revenue", "converted", "latency")}
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert len(badges) == 1
    text = texts(at)
    assert "Sample ratio" in text and "Excluded units" in text and "Newest event" in text
    offline = [frame.value for frame in at.dataframe if "Offline metric" in frame.value.columns]
    assert {"recommender-v2", "recommender-v3"} <= set(pd.concat(offline)["Model"])


def test_forest_plot_colours_each_effect_by_its_corrected_significance_and_direction(
    shared_app_env,
):
    app_env = shared_app_env
    spec = service.definition(app_env, "rec-v3-vs-v2").spec
    as_of = dt.datetime.fromisoformat(cached.experiment_as_of(spec.end.isoformat()))
    expected = {}
    for c in service.analyze_spec(app_env, spec, as_of).comparisons:
        better = (c.absolute_effect > 0) == (c.direction == "increase")
        legend = "better" if better else "worse"
        expected[f"{c.metric} · {c.variant}"] = (
            legend if c.decisive_p_value < c.alpha else "unclear"
        )
    assert len(set(expected.values())) > 1, "the demo should hold a significant effect"
    at = run_page(DETAIL_PAGE, chosen="rec-v3-vs-v2")
    forest = forest_traces(at)
    drawn = {
        label: legend
        for legend in ("better", "worse", "unclear")
        for trace in forest
        if trace["name"] == translate("en", f"experiments.legend_{legend}")
        for label in trace["y"]
    }
    assert drawn == expected


def test_detail_page_reruns_without_going_back_to_the_events(private_app_env, monkeypatch):
    # A store at a new path (private_app_env): its first run starts from a cold cache and reads
    # the events.
    calls = []
    for name in ("analysis_records", "cumulative_records"):
        original = getattr(experiment_store, name)

        def counting(*args, _original=original, **kwargs):
            calls.append(1)
            return _original(*args, **kwargs)

        monkeypatch.setattr(experiment_store, name, counting)
    at = run_page(DETAIL_PAGE, chosen="aa-homepage")
    first = len(calls)
    assert first > 0
    at.run()
    at.selectbox(key="segment_column").set_value("region").run()
    assert len(calls) == first


def test_detail_page_renders_in_japanese():
    at = run_page(DETAIL_PAGE, lang="ja", chosen="banner-split")
    assert at.title[0].value == translate("ja", "experiments.detail_title", name="New banner")
    assert "健全性チェック" in [s.value for s in at.subheader]


def test_the_form_refuses_a_bad_spec_naming_the_key_and_stores_nothing(app_env):
    at = run_page(LIST_PAGE)
    at.text_area(key="spec_text").input(GOOD_TOML.replace('kind = "ratio"', 'kind = "median"'))
    at.button[-1].click().run()
    # The key is shown as text: Markdown escapes keep its brackets literal.
    assert at.error and "metrics\\[0\\].kind" in at.error[0].value
    assert service.history(app_env, "rec-v3-vs-v2")[-1].version == 1


def test_the_form_stores_a_new_version_of_an_existing_experiment(app_env):
    at = run_page(LIST_PAGE)
    at.text_area(key="spec_text").input(GOOD_TOML)
    at.text_input(key="spec_reason").input("sequential from now on")
    at.button[-1].click().run()
    assert not at.error
    assert at.success and "version 2" in at.success[0].value
    assert [v.version for v in service.history(app_env, "rec-v3-vs-v2")] == [1, 2]


def test_the_form_starts_from_the_chosen_experiment_so_a_revision_is_one_click(app_env):
    at = run_page(LIST_PAGE)
    assert 'id = "aa-homepage"' in at.text_area(key="spec_text").value
    at.button[-1].click().run()
    assert at.success and "aa-homepage" in at.success[0].value
    assert [v.version for v in service.history(app_env, "aa-homepage")] == [1, 2]


ENGINE_ENGLISH = (
    "significant",
    "margin",
    "planned sample",
    "planned allocation",
    "cannot be trusted",
    "has no units",
    "at least 2 are needed",
    "no variance",
    "CUPED not applied",
    "unadjusted estimate",
)


@pytest.mark.parametrize("page", [LIST_PAGE, DETAIL_PAGE])
@pytest.mark.parametrize("chosen", ["rec-v3-vs-v2", "aa-homepage", "banner-split"])
def test_pages_in_japanese_show_no_english_sentence_from_the_engine(shared_app_env, page, chosen):
    app_env = shared_app_env
    at = run_page(page, lang="ja", chosen=chosen)
    shown = without_user_text(rendered_text(at), app_env)
    spec = service.definition(app_env, chosen).spec
    result = service.analyze_spec(app_env, spec, spec.end)
    english = analysis_to_json(result)
    engine_sentences = [*english["warnings"], *english["decision"]["reasons"]]
    engine_sentences += [text for d in english["decision"]["per_variant"] for text in d["reasons"]]
    assert [s for s in engine_sentences if s in shown] == []
    assert [f for f in ENGINE_ENGLISH if f.lower() in shown.lower()] == []
    assert f"{spec.method} method" not in shown and f"{spec.correction} correction" not in shown
    if page == DETAIL_PAGE:
        assert spec.method not in shown
        for code, values in zip(
            result.decisions[0].reason_codes, result.decisions[0].reason_values, strict=True
        ):
            assert reason_message("ja", code, values) in shown


def test_a_finished_experiment_that_cannot_be_analysed_leaves_the_scatter_to_the_others(app_env):
    # A finished experiment with models but no units in its window used to break the
    # offline-online scatter (and so the page) for every experiment.
    ghost = GOOD_TOML.replace('id = "rec-v3-vs-v2"', 'id = "ghost"')
    ghost = ghost.replace("start = 2026-10-01T00:00:00Z", "start = 2020-01-01T00:00:00Z")
    ghost = ghost.replace("end = 2026-10-29T09:00:00+09:00", "end = 2020-02-01T00:00:00Z")
    service.define(app_env, parse_spec_text(ghost), "no data", fixed_clock(TEST_NOW))
    at = run_page(DETAIL_PAGE, chosen="rec-v3-vs-v2")
    scatters = scatter_figures(at)
    assert scatters
    shown = {
        text.split(" · ")[0] for f in scatters for trace in f["data"] for text in trace["text"]
    }
    assert shown == {"rec-v3-vs-v2"}
    ghost_page = run_page(DETAIL_PAGE, chosen="ghost")
    assert ghost_page.warning and "2020-01-01" in ghost_page.warning[0].value


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_sample_ratio_mismatch_hides_effects_behind_what_to_check(lang):
    at = run_page(DETAIL_PAGE, lang=lang, chosen="banner-split")
    assert [e.value for e in at.error] == [translate(lang, "experiments.invalid_title")]
    shown = texts(at)
    for check in ("config", "logging", "filters", "ramp", "restart"):
        expected = translate(
            lang, f"experiments.invalid_check_{check}", plan="control 50% / new_banner 50%"
        )
        assert expected in shown
    assert translate(lang, "experiments.decision_invalid") in shown
    assert forest_traces_absent(at)
    columns = {c for frame in at.dataframe for c in frame.value.columns}
    assert translate(lang, "experiments.col_chance_to_win") not in columns
    assert translate(lang, "experiments.col_effect") not in columns


def forest_traces_absent(at: AppTest) -> bool:
    return not any(any("error_x" in t for t in f["data"]) for f in figures(at))


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_table_labels_raw_and_adjusted_p_and_the_decision_quotes_the_adjusted_one(
    shared_app_env, lang
):
    app_env = shared_app_env
    at = run_page(DETAIL_PAGE, lang=lang, chosen="rec-v3-vs-v2")
    table = next(
        f.value
        for f in at.dataframe
        if translate(lang, "experiments.col_family") in f.value.columns
    )
    metric = translate(lang, "experiments.col_metric")
    adjusted = translate(lang, "experiments.col_adjusted_p")
    family = translate(lang, "experiments.col_family")
    guardrail = table.loc[table[metric] == "latency"]
    assert guardrail[adjusted].item() == "–"
    assert guardrail[family].item() == translate(lang, "experiments.family_guardrail")
    primary = table.loc[table[metric] == "ctr"]
    spec = service.definition(app_env, "rec-v3-vs-v2").spec
    analysis = service.analyze_spec(app_env, spec, spec.end)
    (ctr,) = analysis.primary
    assert primary[adjusted].item() == f"{ctr.adjusted_p_value:.3g}"
    label = translate(lang, "experiments.p_adjusted_holm")
    assert f"{label} = {ctr.adjusted_p_value:.2g}" in texts(at)


def test_the_forest_plot_draws_each_guardrail_margin_on_its_harmful_side():
    at = run_page(DETAIL_PAGE, chosen="rec-v3-vs-v2")
    margin = [
        t for t in forest_traces(at) if t["name"] == translate("en", "experiments.legend_margin")
    ]
    assert len(margin) == 1
    # latency is lower-is-better with a 10% margin: harm is a rise, so the mark sits at +10%.
    assert margin[0]["x"] == [0.1] and margin[0]["y"] == ["latency · v3"]


@pytest.mark.parametrize("chosen", ["aa-homepage", "banner-split"])
def test_experiments_without_variant_models_show_no_offline_online_chart(chosen):
    at = run_page(DETAIL_PAGE, chosen=chosen)
    assert scatter_figures(at) == []
    assert translate("en", "experiments.offline_title") not in [s.value for s in at.subheader]


def test_the_offline_online_charts_hold_one_offline_and_one_online_metric_each(shared_app_env):
    app_env = shared_app_env
    at = run_page(DETAIL_PAGE, chosen="rec-v3-vs-v2")
    scatters = scatter_figures(at)
    points = service.finished_offline_online(app_env, fixed_clock(TEST_NOW))
    pairs = {(p.offline_metric, p.online_metric) for p in points}
    assert len(scatters) == len(pairs) >= 2
    titles = [
        (f["layout"]["xaxis"]["title"]["text"], f["layout"]["yaxis"]["title"]["text"])
        for f in scatters
    ]
    for offline, online in pairs:
        expected = (
            translate("en", "experiments.axis_offline_metric", metric=offline),
            translate("en", "experiments.axis_online_metric", metric=online),
        )
        assert expected in titles


def test_a_link_naming_an_experiment_opens_it_once():
    at = dashboard("en", DETAIL_PAGE)
    at.query_params["experiment"] = "banner-split"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Experiment: New banner"
    at.selectbox(key="experiment_chosen").set_value("aa-homepage").run()
    assert at.title[0].value == "Experiment: Homepage A/A check"

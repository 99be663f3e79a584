"""The experiment figures (ui.experiment_charts), without Streamlit."""

from __future__ import annotations

import dataclasses

import pytest

from experiments.analysis import OfflineOnlinePoint
from i18n.catalogue import translate
from tests.experiments.factories import guardrail_comparison, primary_comparison
from ui.experiment_charts import (
    BETTER,
    WORSE,
    effect_colour,
    forest_plot,
    offline_online_charts,
    offline_online_figure,
)


def _point(experiment: str, offline: str, online: str = "ctr") -> OfflineOnlinePoint:
    return OfflineOnlinePoint(experiment, "v", offline, 0.01, online, 0.02, (0.0, 0.04))


@pytest.mark.parametrize(("direction", "expected"), [("increase", -0.02), ("decrease", 0.02)])
def test_a_guardrail_margin_is_drawn_on_its_harmful_side(direction, expected):
    guardrail = dataclasses.replace(guardrail_comparison(9.9), direction=direction)
    figure = forest_plot([primary_comparison(10.2), guardrail], {"retention": 0.02}, "en")
    (margin,) = [t for t in figure.data if t.name == translate("en", "experiments.legend_margin")]
    assert list(margin.x) == [expected] and list(margin.y) == ["retention · v"]


def test_no_margin_mark_without_a_margin():
    figure = forest_plot([primary_comparison(10.2)], {}, "ja")
    assert translate("ja", "experiments.legend_margin") not in {t.name for t in figure.data}


def test_effects_are_coloured_by_their_decisive_p_and_direction():
    assert effect_colour(primary_comparison(10.2)) == BETTER
    assert effect_colour(primary_comparison(9.8)) == WORSE
    adjusted_away = dataclasses.replace(
        primary_comparison(10.06), adjusted_p_value=0.5, correction="holm"
    )
    assert effect_colour(adjusted_away) not in (BETTER, WORSE)


def test_user_names_in_labels_are_escaped():
    comparison = dataclasses.replace(primary_comparison(10.2), metric="<b>ctr</b>")
    figure = forest_plot([comparison], {}, "en")
    assert list(figure.data[0].y) == ["&lt;b&gt;ctr&lt;/b&gt; · v"]


def test_offline_online_charts_keep_related_experiments_and_one_metric_pair_each():
    points = [
        _point("mine", "auc"),
        _point("mine", "ndcg"),
        _point("sibling", "auc"),
        _point("sibling", "auc", online="revenue"),
        _point("unrelated", "auc"),
    ]
    charts = offline_online_charts(points, {"mine", "sibling"})
    assert [(c.offline_metric, c.online_metric) for c in charts] == [
        ("auc", "ctr"),
        ("auc", "revenue"),
        ("ndcg", "ctr"),
    ]
    assert {p.experiment for c in charts for p in c.points} == {"mine", "sibling"}
    figure = offline_online_figure(charts[0], "mine", "ja")
    assert figure.layout.xaxis.title.text == translate(
        "ja", "experiments.axis_offline_metric", metric="auc"
    )
    assert figure.layout.yaxis.title.text == translate(
        "ja", "experiments.axis_online_metric", metric="ctr"
    )
    assert [list(t.text) for t in figure.data] == [["mine · v"], ["sibling · v"]]


def test_no_chart_when_no_related_experiment_has_points():
    assert offline_online_charts([_point("other", "auc")], {"mine"}) == []

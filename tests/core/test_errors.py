"""The one error type: values given as a mapping stay values."""

from __future__ import annotations

from core.errors import YardstickError


def test_from_values_keeps_a_value_named_like_a_keyword() -> None:
    error = YardstickError.from_values("kpi.unknown", {"kpi": "ctr", "line": 3}, field="kpi")

    assert (error.code, error.field, error.origin, error.line) == ("kpi.unknown", "kpi", None, None)
    assert dict(error.values) == {"kpi": "ctr", "line": 3}


def test_from_values_matches_the_keyword_form() -> None:
    kept = YardstickError.from_values("experiment.unknown", {"experiment": "e1", "store": "s"})
    direct = YardstickError("experiment.unknown", experiment="e1", store="s")

    assert kept.to_json() == direct.to_json()
    assert str(kept) == str(direct)

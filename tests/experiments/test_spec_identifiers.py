"""Segment columns are identifiers to the last character: a trailing newline is not one."""

from __future__ import annotations

import tomllib

import pytest

from experiments.spec import SpecError, parse_spec
from tests.experiments.factories import GOOD_TOML


@pytest.mark.parametrize("column", ["device\n", "device;", "", "1device"])
def test_a_segment_column_must_be_a_whole_identifier(column: str) -> None:
    raw = tomllib.loads(GOOD_TOML)
    raw["segments"] = [column]
    with pytest.raises(SpecError) as refused:
        parse_spec(raw, "spec.toml")
    assert refused.value.code == "experiment_spec.segment_name"


def test_an_identifier_segment_column_is_accepted() -> None:
    raw = tomllib.loads(GOOD_TOML)
    raw["segments"] = ["device_type"]
    assert parse_spec(raw, "spec.toml").segments == ("device_type",)

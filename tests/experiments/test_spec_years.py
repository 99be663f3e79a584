"""An experiment spec dated in year 226 (a typo for 2026) is refused, never stored unreadably."""

from __future__ import annotations

import datetime as dt

import pytest

from experiments.spec import SpecError, parse_spec, parse_spec_text, spec_to_dict, spec_to_toml
from i18n.errors import describe
from tests.experiments.factories import spec_dict


@pytest.mark.parametrize("start", ["0226-10-01T00:00:00Z", "1969-12-31T00:00:00Z"])
def test_a_start_outside_1970_to_2100_is_refused_naming_the_key(start: str) -> None:
    with pytest.raises(SpecError) as refused:
        parse_spec(spec_dict(start=start))

    assert refused.value.field == "start"
    assert "between 1970 and 2100" in describe(refused.value, "en")
    assert "1970 年から 2100 年" in describe(refused.value, "ja")


def test_a_date_without_time_in_year_226_is_refused_too() -> None:
    with pytest.raises(SpecError):
        parse_spec(spec_dict(end=dt.date(226, 10, 31)))


def test_every_accepted_date_reads_back_from_its_stored_forms() -> None:
    spec = parse_spec(spec_dict(start="1970-01-01T00:00:00Z", end="2100-12-31T00:00:00Z"))

    assert parse_spec(spec_to_dict(spec)) == spec
    assert parse_spec_text(spec_to_toml(spec)) == spec

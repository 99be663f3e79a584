"""The one TOML writer reads back to what it wrote, whatever the text."""

from __future__ import annotations

import tomllib

from hypothesis import given
from hypothesis import strategies as st

from core.toml import dumps, inline

KEYS = st.text(min_size=1, max_size=12)
SCALARS = st.one_of(
    st.text(),
    st.text(alphabet="\"\\\n\r\t\x00\x1f\x7f日本語のテキスト '", max_size=30),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
)


@given(st.dictionaries(KEYS, SCALARS, max_size=6), st.dictionaries(KEYS, SCALARS, max_size=4))
def test_any_text_round_trips_through_tomllib(top: dict, table: dict) -> None:
    mapping = {**top, "value": table}
    assert tomllib.loads(dumps(mapping)) == mapping


@given(st.dictionaries(KEYS, SCALARS, max_size=5))
def test_inline_table_body_round_trips(mapping: dict) -> None:
    assert tomllib.loads(f"x = {{{inline(mapping)}}}")["x"] == mapping


def test_japanese_is_kept_as_written_and_controls_are_escaped() -> None:
    text = dumps({"rationale": '理由\n"引用" \\ \x01'})
    assert "理由" in text and "\\n" in text and '\\"' in text and "\\u0001" in text
    assert text.count("\n") == 1


ARRAYS = st.lists(st.one_of(st.text(max_size=10), st.integers(-1000, 1000)), max_size=4).map(
    lambda items: [item for item in items if isinstance(item, str)] or [0]
)


@given(
    st.dictionaries(KEYS, st.one_of(SCALARS, ARRAYS), max_size=4),
    st.lists(st.dictionaries(KEYS, SCALARS, min_size=1, max_size=3), min_size=1, max_size=3),
)
def test_arrays_and_arrays_of_tables_round_trip(top: dict, rows: list) -> None:
    mapping = {**top, "metrics": rows}
    assert tomllib.loads(dumps(mapping)) == mapping

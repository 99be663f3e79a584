"""Every file of the bad-input corpus is refused by `python cli.py ingest` and changes nothing.

The command runs in this process (`cli.main`, the same code without an interpreter's start-up);
a few representative files also go through the real `python cli.py` process.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import NamedTuple

import pytest

from data.store import StoreSettings
from tests.data.factories import BAD, GOOD, ingest, ingest_process, table_checksums


class Refusal(NamedTuple):
    """What the command must say about one bad file.

    Attributes:
        line: the line (CSV) or row (Parquet) named, None when the problem is the whole file.
        column: the column named, None when no single column is at fault.
        fragment: a piece of the message that says what the problem is.
    """

    line: int | None
    column: str | None
    fragment: str


# File names are <what is wrong>.<kind>.<format>.
EXPECTED: dict[str, Refusal] = {
    "missing_column.online_metrics.csv": Refusal(1, None, "missing required column(s) value"),
    "missing_column_ts.events.csv": Refusal(1, None, "missing required column(s) ts"),
    "missing_column.events.parquet": Refusal(None, None, "missing required column(s) ts"),
    "extra_header_row.online_metrics.csv": Refusal(1, None, "an extra row above the header"),
    "semicolon_delimiter.online_metrics.csv": Refusal(1, None, "separated by semicolons"),
    "tab_delimiter.events.csv": Refusal(1, None, "separated by tabs"),
    "empty.events.csv": Refusal(None, None, "the file is empty"),
    "blank_lines_only.events.csv": Refusal(None, None, "the file is empty"),
    "header_only.events.csv": Refusal(None, None, "a header but no data rows"),
    "bad_timestamp.events.csv": Refusal(3, "ts", 'cannot read "2026-13-45 25:00" as a timestamp'),
    "unparseable_assigned_at.assignments.csv": Refusal(
        2, "assigned_at", 'cannot read "yesterday" as a timestamp'
    ),
    "mixed_time_zones.events.csv": Refusal(4, "ts", "timestamps in mixed time zones"),
    "nan_value.online_metrics.csv": Refusal(3, "value", "not a finite number"),
    "nan_value.online_metrics.parquet": Refusal(3, "value", "not a finite number"),
    "inf_value.online_metrics.csv": Refusal(4, "value", "not a finite number"),
    "negative_n.online_metrics.csv": Refusal(2, "n", "a negative value"),
    "negative_n.online_metrics.parquet": Refusal(2, "n", "a negative value"),
    "negative_n.offline_metrics.csv": Refusal(2, "n", "a negative value"),
    "negative_count_metric.online_metrics.csv": Refusal(
        3, "value", "a negative count for a count metric"
    ),
    "fractional_count.online_metrics.csv": Refusal(
        2, "n", 'cannot read "6400.5" as a whole number'
    ),
    "empty_unit_id.events.csv": Refusal(3, "unit_id", "an empty value"),
    "empty_variant.assignments.csv": Refusal(3, "variant", "an empty key"),
    "unknown_model.online_metrics.csv": Refusal(3, "model_id", 'unknown model "recommender-v9"'),
    "cp932_unknown_model.online_metrics.csv": Refusal(
        3, "model_id", 'unknown model "推薦モデル-v4"'
    ),
    "duplicate_key_in_file.online_metrics.csv": Refusal(
        4, None, "appears again with different values (first on line 2)"
    ),
    "duplicate_key_against_store.models.csv": Refusal(
        2, None, "the key (model_id=fraud-v1) is already stored with different values"
    ),
    "non_numeric_value.online_metrics.csv": Refusal(3, "value", 'cannot read "n/a" as a number'),
    "bad_date.online_metrics.csv": Refusal(3, "date", 'cannot read "2026-02-30" as a date'),
    "mixed_encodings.assignments.csv": Refusal(
        3, None, "mixed encodings: line 2 is UTF-8 but line 3 is Shift-JIS (CP932)"
    ),
    "windows1252_bytes.events.csv": Refusal(3, None, "neither UTF-8 nor Shift-JIS (CP932)"),
    "truncated_last_line.events.csv": Refusal(
        4,
        None,
        "(a truncated line or a missing comma): expected 4 values, found 2",
    ),
    "unquoted_comma.events.csv": Refusal(
        3, None, "too many values on this line (an unquoted comma?): expected 4 values, found 5"
    ),
    "wrong_types.online_metrics.parquet": Refusal(
        None, "value", "stored as BOOLEAN in the Parquet file; expected a number"
    ),
    "not_parquet.events.parquet": Refusal(None, None, "not a readable Parquet file"),
    # File reading (tests/data/make_read_corpus.py writes these).
    "read_gzip.events.csv": Refusal(None, None, "a gzip-compressed file; unpack it first"),
    "read_zip.events.csv": Refusal(None, None, "a zip-compressed file; unpack it first"),
    "read_bzip2.events.csv": Refusal(None, None, "a bzip2-compressed file; unpack it first"),
    "read_xz.events.csv": Refusal(None, None, "a xz-compressed file; unpack it first"),
    "read_zstd.events.csv": Refusal(None, None, "a zstd-compressed file; unpack it first"),
    "read_utf16_no_bom.events.csv": Refusal(
        1, None, "NUL bytes (92 of them) where text was expected"
    ),
    "read_utf16be_no_bom.events.csv": Refusal(
        1, None, "looks like utf-16-be text without a byte-order mark; pass --encoding utf-16-be"
    ),
    "read_utf16_missing_column.events.csv": Refusal(
        1, None, "missing required column(s) ts; the header has: unit_id, event, value"
    ),
    "read_nul_header.events.csv": Refusal(1, None, "NUL bytes (5,000 of them)"),
    "read_zero_width_header.events.csv": Refusal(
        1, None, "the header has: unit_id, event, value, ts\\u200b"
    ),
    "read_header_too_long.events.csv": Refusal(1, None, "longer than 128 KB without a line break"),
    "read_bom_mid_file.events.csv": Refusal(3, None, "a byte-order mark (an invisible U+FEFF"),
    "read_damaged_utf8_line.events.csv": Refusal(
        3, None, "would be only half-width katakana (s0002,cafﾃ,1,2026-11-02 09:45:00)"
    ),
    "read_file_row_number.assignments.parquet": Refusal(
        None, "file_row_number", "the name of a column Yardstick's Parquet reader adds itself"
    ),
    "read_far_future_timestamp_s.events.parquet": Refusal(
        None, None, "DuckDB cannot read the values of this file (Could not convert Timestamp"
    ),
    "unknown_extra_column.online_metrics.csv": Refusal(1, None, "unexpected column(s) comment"),
    "duplicate_header.events.csv": Refusal(1, None, "the column 'value' appears twice"),
    "overlapping_production.models.csv": Refusal(
        3, "deployed_at", "ranker-v1 and ranker-v2 of family ranker are both in production"
    ),
    "overlaps_stored_production.models.csv": Refusal(
        2, "deployed_at", "recommender-v0 and recommender-v2 of family recommender are both"
    ),
    "multiline_note_then_bad_timestamp.models.csv": Refusal(
        4, "deployed_at", 'cannot read "2026-13-01 00:00:00" as a timestamp'
    ),
    "bad_stage.models.csv": Refusal(
        2, "stage", 'stage "staging" is not one of production, challenger'
    ),
    "retired_before_deployed.models.csv": Refusal(
        2, "retired_at", "retired_at is not after deployed_at"
    ),
    "many_bad_rows.events.csv": Refusal(2, "ts", "... and 35 more problem(s)"),
    # Time zones, the range of dates, exact Parquet types, event ids (issue 10; issue 9's ingest).
    "unknown_zone_name.events.csv": Refusal(
        2, "ts", 'cannot read the time zone of "2026-11-27 09:00:00 XYZ"'
    ),
    "unknown_zone_name.assignments.csv": Refusal(2, "assigned_at", "cannot read the time zone"),
    "zone_name_then_no_zone.events.csv": Refusal(3, "ts", "timestamps in mixed time zones"),
    "zoned_time_in_date.online_metrics.csv": Refusal(3, "date", "its UTC day is 2026-11-21"),
    "utc_time_in_date.online_metrics.csv": Refusal(2, "date", "its UTC day is 2026-11-20"),
    "future_date.online_metrics.csv": Refusal(
        3, "date", '"2026-12-25" is later than tomorrow (2026-11-29, UTC)'
    ),
    "future_deployed_at.models.csv": Refusal(2, "deployed_at", "is later than tomorrow"),
    "future_assigned_at.assignments.csv": Refusal(3, "assigned_at", "--allow-future"),
    "infinity_date.online_metrics.csv": Refusal(
        3, "date", '"infinity" is not a date Yardstick can store'
    ),
    "infinity_timestamp.events.csv": Refusal(3, "ts", "is not a date Yardstick can store"),
    "minus_infinity.offline_metrics.csv": Refusal(
        2, "evaluated_at", '"-infinity" is not a date Yardstick can store'
    ),
    "year_9999.online_metrics.csv": Refusal(
        2, "date", '"9999-12-31" is outside 1970-01-01 to 2100-12-31'
    ),
    "year_10000.events.csv": Refusal(2, "ts", "is not a date Yardstick can store"),
    "before_1970.events.csv": Refusal(2, "ts", "is outside 1970-01-01 to 2100-12-31"),
    "bc_timestamp.events.parquet": Refusal(
        1, "ts", '"0044-03-15 (BC) 00:00:00" is not a date Yardstick can store'
    ),
    "far_future_timestamp_s.events.parquet": Refusal(
        1, "ts", '"3000-01-01 00:00:00" is outside 1970-01-01 to 2100-12-31'
    ),
    "integer_list_n.offline_metrics.parquet": Refusal(
        None, "n", "stored as INTEGER[] in the Parquet file; expected a whole number"
    ),
    "bigint_list_value.online_metrics.parquet": Refusal(
        None, "value", "stored as BIGINT[] in the Parquet file; expected a number"
    ),
    "interval_n.online_metrics.parquet": Refusal(
        None, "n", "stored as INTERVAL in the Parquet file; expected a whole number"
    ),
    "struct_value.online_metrics.parquet": Refusal(None, "value", "stored as STRUCT("),
    "map_n.offline_metrics.parquet": Refusal(None, "n", "stored as MAP(VARCHAR, INTEGER)"),
    "event_id_repeated_with_new_value.events.csv": Refusal(
        3, None, "the key (event_id=e1) appears again with different values (first on line 2)"
    ),
    # More cases of issue 10: zone names, extreme and infinite dates, exact Parquet types, BOMs and
    # NULs inside the data, a reserved-looking column name, attributes in another order.
    "zone_name_in_date.online_metrics.csv": Refusal(
        3, "date", '"2026-11-27 09:00:00 EST" carries a time and a time zone'
    ),
    "year_10000_date.online_metrics.csv": Refusal(
        2, "date", '"10000-01-01" is not a date Yardstick can store'
    ),
    "year_10000_date.online_metrics.parquet": Refusal(
        1, "date", '"10000-01-01" is not a date Yardstick can store'
    ),
    "infinity_date.online_metrics.parquet": Refusal(
        1, "date", '"infinity" is not a date Yardstick can store'
    ),
    "minus_infinity_date.online_metrics.csv": Refusal(
        2, "date", '"-infinity" is not a date Yardstick can store'
    ),
    "bc_date.online_metrics.csv": Refusal(2, "date", 'cannot read "0044-03-15 BC" as a date'),
    "year_226.events.csv": Refusal(
        2, "ts", '"0226-10-31 00:00:00" is outside 1970-01-01 to 2100-12-31'
    ),
    "huge_n.online_metrics.csv": Refusal(
        2, "n", 'cannot read "99999999999999999999999" as a whole number'
    ),
    "overflowing_value.online_metrics.csv": Refusal(2, "value", "not a finite number"),
    "underscore_line_column.online_metrics.csv": Refusal(1, None, "unexpected column(s) _line"),
    "attributes_reordered_conflict.assignments.csv": Refusal(
        2, None, "unit_id=r00002999, variant=v3) is already stored with different values"
    ),
    "interval_value.events.parquet": Refusal(
        None, "value", "stored as INTERVAL in the Parquet file; expected a number"
    ),
    "list_key.events.parquet": Refusal(
        None, "unit_id", "stored as VARCHAR[] in the Parquet file; expected text"
    ),
    "time_ts.events.parquet": Refusal(
        None, "ts", "stored as TIME in the Parquet file; expected a timestamp"
    ),
    "read_bom_in_variant.assignments.csv": Refusal(
        3, None, "a byte-order mark (an invisible U+FEFF"
    ),
    "read_double_bom.events.csv": Refusal(1, None, "a byte-order mark (an invisible U+FEFF"),
    "read_nul_in_value.events.csv": Refusal(None, None, "NUL bytes (1 of them)"),
}


# Row count and row-hash sum per table (`table_checksums`).
Checksums = dict[str, tuple[int, int | None]]


def kind_of(file_name: str) -> str:
    return file_name.split(".")[1]


def test_the_corpus_and_the_table_of_expectations_list_the_same_files() -> None:
    on_disk = {p.name for p in BAD.iterdir() if p.is_file()}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 65


# One of each way a file is refused (a CSV line and column, a whole file, an encoding, a Parquet
# type, a key against the store), through the real process: exit status, streams, no traceback.
PROCESS_CASES = (
    "nan_value.online_metrics.csv",
    "empty.events.csv",
    "mixed_encodings.assignments.csv",
    "wrong_types.online_metrics.parquet",
    "duplicate_key_against_store.models.csv",
)


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_bad_file_is_refused_with_a_precise_message_and_changes_nothing(
    file_name: str, store: StoreSettings, demo_store_checksums: Checksums
) -> None:
    assert_refused(file_name, store, demo_store_checksums, ingest)


@pytest.mark.parametrize("file_name", PROCESS_CASES)
def test_bad_file_is_refused_the_same_by_the_real_process(
    file_name: str, store: StoreSettings, demo_store_checksums: Checksums
) -> None:
    assert_refused(file_name, store, demo_store_checksums, ingest_process)


def assert_refused(
    file_name: str,
    store: StoreSettings,
    before: Checksums,
    run: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """`run` (ingest in-process or as a process) refuses the file as EXPECTED says; the store
    (a fresh copy of the demo, whose checksums are `before`) is unchanged."""
    expected = EXPECTED[file_name]
    path = BAD / file_name

    result = run(store, kind_of(file_name), path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    message = result.stderr
    assert "Traceback" not in message
    where = str(path)
    if expected.line is not None:
        label = "row" if file_name.endswith(".parquet") else "line"
        where += f", {label} {expected.line}"
    assert where in message
    if expected.column is not None:
        assert f"column {expected.column}" in message
    assert expected.fragment in message
    assert "Nothing was written" in message
    assert table_checksums(store.path) == before


def test_many_bad_rows_show_the_first_five_and_count_the_rest(store: StoreSettings) -> None:
    result = ingest(store, "events", BAD / "many_bad_rows.events.csv")

    shown = [line for line in result.stderr.splitlines() if "cannot read" in line]
    assert [line.split(",")[1].strip() for line in shown] == [f"line {n}" for n in range(2, 7)]
    assert "... and 35 more problem(s)" in result.stderr


def test_one_good_and_one_bad_file_in_one_command_write_nothing(store: StoreSettings) -> None:
    models = ingest(store, "models", GOOD / "models.csv")
    assert models.returncode == 0, models.stderr
    before = table_checksums(store.path)

    result = ingest(
        store, "online_metrics", GOOD / "online_metrics.csv", BAD / "nan_value.online_metrics.csv"
    )

    assert result.returncode == 1
    assert "nan_value.online_metrics.csv, line 3, column value" in result.stderr
    assert table_checksums(store.path) == before


def test_every_bad_file_of_a_command_is_reported_not_only_the_first(store: StoreSettings) -> None:
    result = ingest(store, "events", BAD / "empty.events.csv", BAD / "tab_delimiter.events.csv")

    assert result.returncode == 1
    assert "empty.events.csv: the file is empty" in result.stderr
    assert "tab_delimiter.events.csv, line 1: the columns are separated by tabs" in result.stderr


def test_a_file_that_does_not_exist_is_named(store: StoreSettings, tmp_path) -> None:
    missing = tmp_path / "nowhere.csv"
    before = table_checksums(store.path)

    result = ingest(store, "events", missing)

    assert result.returncode == 1
    assert f"{missing}: no such file" in result.stderr
    assert table_checksums(store.path) == before


def test_a_short_line_is_reported_once_however_many_values_it_lacks(store: StoreSettings) -> None:
    result = ingest(store, "events", BAD / "truncated_last_line.events.csv")

    assert result.stderr.count("too few values") == 1


def test_a_bad_value_message_shows_the_formats_that_are_accepted(store: StoreSettings) -> None:
    result = ingest(store, "events", BAD / "bad_timestamp.events.csv")

    assert "(e.g. 2026-11-27 09:05:00, 2026/11/27 9:05 or 2026-11-27T09:05:00+09:00)" in (
        result.stderr
    )

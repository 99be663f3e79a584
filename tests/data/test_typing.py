"""Reading cells as their types: time zones by name or offset, the range of dates, date columns
given a zoned time, literal file paths, Parquet types by exact type, attributes in any column
order, and file columns that share a name with the loader's own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from core.clock import fixed_clock
from data.ingest import IngestError, ingest_files
from data.store import StoreSettings
from i18n.ingest import refusal_text
from tests.data.factories import GOOD, ingest, query, table_checksums, write_parquet, write_text
from tests.factories import TEST_NOW

CLOCK = fixed_clock(TEST_NOW)
HEADER = "unit_id,event,value,ts\n"


def refused(settings: StoreSettings, kind: str, path: Path, **options: object) -> str:
    """The English refusal of a load that must fail and leave every table as it was."""
    before = table_checksums(settings.path) if settings.path.exists() else None
    with pytest.raises(IngestError) as error:
        ingest_files(settings, kind, [path], clock=CLOCK, **options)  # type: ignore[arg-type]  # options are ingest_files' keywords
    if before is not None:
        assert table_checksums(settings.path) == before
    return refusal_text(error.value, "en")


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-11-27 09:00:00 JST", dt.datetime(2026, 11, 27, 0, 0)),
        ("2026-11-27 09:00:00 Asia/Tokyo", dt.datetime(2026, 11, 27, 0, 0)),
        ("2026-11-27 09:00:00 America/New_York", dt.datetime(2026, 11, 27, 14, 0)),
        ("2026-07-01 09:00:00 America/New_York", dt.datetime(2026, 7, 1, 13, 0)),
        ("2026-11-27 09:00:00 EST", dt.datetime(2026, 11, 27, 14, 0)),
        ("2026-11-27 09:00:00+09:00:30", dt.datetime(2026, 11, 26, 23, 59, 30)),
        ("2026-11-27 09:00:00 +09:00", dt.datetime(2026, 11, 27, 0, 0)),
        ("2026-11-27T09:00:00Z", dt.datetime(2026, 11, 27, 9, 0)),
    ],
)
def test_a_zone_name_abbreviation_or_seconds_offset_is_converted_to_utc(
    empty_settings: StoreSettings, tmp_path: Path, written: str, utc: dt.datetime
) -> None:
    path = write_text(tmp_path / "events.csv", HEADER + f"u1,click,1,{written}\n")

    ingest_files(empty_settings, "events", [path], clock=CLOCK)

    # The oracle: Python's zoneinfo, independently of DuckDB's ICU.
    assert query(empty_settings.path, "SELECT ts FROM events") == [(utc,)]


def test_the_conversion_agrees_with_python_zoneinfo(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    from zoneinfo import ZoneInfo

    local = dt.datetime(2026, 3, 8, 1, 30)
    zones = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
    lines = [f"u{i},click,1,{local:%Y-%m-%d %H:%M:%S} {zone}\n" for i, zone in enumerate(zones)]
    path = write_text(tmp_path / "events.csv", HEADER + "".join(lines))

    ingest_files(empty_settings, "events", [path], clock=CLOCK)

    stored = dict(query(empty_settings.path, "SELECT unit_id, ts FROM events"))
    for i, zone in enumerate(zones):
        expected = local.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC).replace(tzinfo=None)
        assert stored[f"u{i}"] == expected, zone


def test_an_unknown_zone_is_refused_not_stored_as_utc(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = write_text(tmp_path / "events.csv", HEADER + "u1,click,1,2026-11-27 09:00:00 XYZ\n")

    message = refused(empty_settings, "events", path)

    assert 'line 2, column ts: cannot read the time zone of "2026-11-27 09:00:00 XYZ"' in message


@pytest.mark.parametrize(
    ("written", "fragment"),
    [
        ("2026-11-27 09:00:00+25:00", "has a UTC offset no place uses"),
        ("2026-11-27 09:00:00 -13:00", "has a UTC offset no place uses"),
        ("2026-11-27 09:00:00+14:01", "has a UTC offset no place uses"),
        ("2026-11-27 09:00:00+09:75", "has a UTC offset no place uses"),
        ("0044-03-15 00:00:00 BC", "is not a date Yardstick can store"),
        ("2026-11-27 25:61:00+09:00", "as a timestamp"),
    ],
)
def test_an_impossible_offset_era_or_clock_before_a_zone_gets_its_own_message(
    demo_settings: StoreSettings, tmp_path: Path, written: str, fragment: str
) -> None:
    path = write_text(tmp_path / "events.csv", HEADER + f"u1,click,1,{written}\n")

    message = refused(demo_settings, "events", path)

    assert f'line 2, column ts: "{written}" {fragment}' in message or (
        f'line 2, column ts: cannot read "{written}" {fragment}' in message
    )
    assert "time zone of" not in message


def test_the_extreme_real_offsets_are_accepted(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "events.csv",
        HEADER + "u1,click,1,2026-11-27 14:00:00+14:00\nu1,click,2,2026-11-26 12:00:00-12:00\n",
    )

    ingest_files(empty_settings, "events", [path], clock=CLOCK)

    rows = query(empty_settings.path, "SELECT ts FROM events ORDER BY value")
    assert rows == [(dt.datetime(2026, 11, 27, 0, 0),), (dt.datetime(2026, 11, 27, 0, 0),)]


def test_a_date_given_a_zoned_time_is_refused_with_its_utc_day(
    demo_settings: StoreSettings, tmp_path: Path
) -> None:
    (model,) = query(demo_settings.path, "SELECT min(model_id) FROM models")[0]
    path = write_text(
        tmp_path / "online.csv",
        f"date,model_id,metric,value\n2026-11-20T23:00:00-05:00,{model},ctr,0.1\n",
    )

    message = refused(demo_settings, "online_metrics", path)

    assert "line 2, column date" in message
    assert "its UTC day is 2026-11-21" in message


@pytest.mark.parametrize(
    ("written", "fragment"),
    [
        ("2026-11-30 00:00:00", "is later than tomorrow (2026-11-29, UTC)"),
        ("2099-01-01 00:00:00", "is later than tomorrow"),
        ("1960-01-01 00:00:00", "is outside 1970-01-01 to 2100-12-31"),
        ("9999-12-31 00:00:00", "is outside 1970-01-01 to 2100-12-31"),
        ("infinity", '"infinity" is not a date Yardstick can store'),
        ("-infinity", "is not a date Yardstick can store"),
        ("10000-01-01", "is not a date Yardstick can store"),
    ],
)
def test_dates_after_tomorrow_or_outside_the_range_are_refused(
    empty_settings: StoreSettings, tmp_path: Path, written: str, fragment: str
) -> None:
    path = write_text(tmp_path / "events.csv", HEADER + f"u1,click,1,{written}\n")

    message = refused(empty_settings, "events", path)

    assert "line 2, column ts" in message
    assert fragment in message


def test_tomorrow_is_accepted_and_allow_future_lifts_the_limits_but_not_infinity(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    tomorrow = write_text(tmp_path / "a.csv", HEADER + "u1,click,1,2026-11-29 23:59:59\n")
    far = write_text(tmp_path / "b.csv", HEADER + "u1,click,1,9999-12-31\nu1,click,1,1900-01-01\n")
    endless = write_text(tmp_path / "c.csv", HEADER + "u1,click,1,infinity\n")

    ingest_files(empty_settings, "events", [tomorrow], clock=CLOCK)
    ingest_files(empty_settings, "events", [far], clock=CLOCK, allow_future=True)

    assert "is not a date" in refused(empty_settings, "events", endless, allow_future=True)
    assert query(empty_settings.path, "SELECT count(*) FROM events") == [(3,)]


def test_the_limit_follows_the_injected_clock(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = write_text(tmp_path / "events.csv", HEADER + "u1,click,1,2027-06-01\n")

    ingest_files(empty_settings, "events", [path], clock=fixed_clock(dt.datetime(2027, 5, 31)))

    assert query(empty_settings.path, "SELECT count(*) FROM events") == [(1,)]


def test_a_far_future_parquet_timestamp_is_refused(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = write_parquet(
        tmp_path / "events.parquet",
        {
            "unit_id": ["u1"],
            "event": ["click"],
            "ts": pa.array([dt.datetime(3000, 1, 1)], pa.timestamp("s")),
        },
    )

    assert "row 1, column ts" in refused(empty_settings, "events", path)


@pytest.mark.parametrize("name", ["ev[1].csv", "ev*.csv", "a?.csv"])
def test_a_file_name_with_glob_characters_is_read_literally(
    empty_settings: StoreSettings, tmp_path: Path, name: str
) -> None:
    write_text(tmp_path / "ev1.csv", HEADER + "decoy,click,1,2026-11-27\n")
    write_text(tmp_path / "ab.csv", HEADER + "decoy,click,1,2026-11-27\n")
    path = write_text(tmp_path / name, HEADER + "real,click,1,2026-11-27\n")

    result = ingest(empty_settings, "events", path, extra=("--create",))

    assert result.returncode == 0, result.stderr
    assert query(empty_settings.path, "SELECT unit_id FROM events") == [("real",)]
    assert query(
        empty_settings.path,
        "SELECT json_extract_string(detail, '$.files[0]') FROM audit_log WHERE action = 'ingest'",
    ) == [(str(path),)]


@pytest.mark.parametrize(
    "n", ["[1]::INTEGER[]", "[1]::BIGINT[]", "{'a': 1}", "MAP {'k': 1}", "INTERVAL 1 DAY"]
)
def test_nested_and_interval_parquet_types_are_refused_by_column(
    empty_settings: StoreSettings, tmp_path: Path, n: str
) -> None:
    path = tmp_path / "offline.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'm1' AS model_id, 'auc' AS metric, 0.8 AS value, "
        f"TIMESTAMP '2026-11-01' AS evaluated_at, 'd' AS dataset, {n} AS n) "
        f"TO '{path}' (FORMAT parquet)"
    )
    con.close()

    message = refused(empty_settings, "offline_metrics", path)

    assert "column n: stored as" in message
    assert "expected a whole number" in message


def test_assignments_with_their_extra_columns_in_another_order_load_as_already_present(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    first = write_text(
        tmp_path / "a.csv",
        "experiment_id,unit_id,variant,assigned_at,device,region\n"
        "exp,u1,control,2026-11-01 00:00:00,ios,tokyo\n",
    )
    reordered = write_text(
        tmp_path / "b.csv",
        "region,assigned_at,device,variant,unit_id,experiment_id\n"
        "tokyo,2026-11-01 00:00:00,ios,control,u1,exp\n",
    )
    ingest_files(empty_settings, "assignments", [first], clock=CLOCK)

    again = ingest_files(empty_settings, "assignments", [reordered], clock=CLOCK)

    assert (again.new_rows, again.already_present) == (0, 1)


def test_a_changed_attribute_is_still_refused(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    header = "experiment_id,unit_id,variant,assigned_at,device,region\n"
    first = write_text(tmp_path / "a.csv", header + "exp,u1,control,2026-11-01,ios,tokyo\n")
    changed = write_text(tmp_path / "b.csv", header + "exp,u1,control,2026-11-01,ios,osaka\n")
    ingest_files(empty_settings, "assignments", [first], clock=CLOCK)

    assert "already stored with different values" in refused(empty_settings, "assignments", changed)


def test_a_column_named_like_the_loaders_own_keeps_its_values(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "assignments.csv",
        "experiment_id,unit_id,variant,assigned_at,_line,_file,_key_hash\n"
        "exp,u1,control,2026-11-01,seven,eight,nine\n",
    )

    ingest_files(empty_settings, "assignments", [path], clock=CLOCK)

    assert query(
        empty_settings.path,
        "SELECT attributes->>'_line', attributes->>'_file', attributes->>'_key_hash' "
        "FROM assignments",
    ) == [("seven", "eight", "nine")]


def test_good_fixtures_still_load_with_the_clock_of_the_suite(
    empty_settings: StoreSettings,
) -> None:
    result = ingest_files(empty_settings, "models", [GOOD / "models.parquet"], clock=CLOCK)

    assert result.new_rows == 3

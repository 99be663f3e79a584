"""Any CSV file built from a grammar of awkward cells is either stored exactly as an independent
reader (Python's csv module and a parser written here) reads it, or refused with every table
unchanged; and the two agree on which.

The grammar: text with quotes, commas, line breaks, spaces and Japanese; numbers from ordinary
to extreme (1e308, subnormal, NaN, infinity, garbage); timestamps in ISO and Excel layouts, with
offsets (including seconds), Z, IANA names and abbreviations, unknown zones, dates after
tomorrow, before 1970, 9999-12-31 and infinity; headers in any order, padded with spaces or
preceded by a BOM, sometimes with an unknown column.

The same property holds for Parquet files written with pyarrow (typed text, float and integer
values, timestamps of every unit with and without a zone, far dates, nulls), read independently
with `pyarrow.parquet.read_table` and the README's rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.clock import fixed_clock
from data.ingest import IngestError, ingest_files
from data.store import StoreSettings
from tests.data.factories import query, table_checksums
from tests.factories import TEST_NOW

CLOCK = fixed_clock(TEST_NOW)
FIRST_DAY = dt.datetime(1970, 1, 1)
# Later than tomorrow (UTC) is refused: the first instant refused.
REFUSED_FROM = dt.datetime.combine(TEST_NOW.date() + dt.timedelta(days=2), dt.time())
ABBREVIATIONS = {"JST": dt.timedelta(hours=9), "EST": dt.timedelta(hours=-5), "UTC": dt.timedelta()}
ZONE_NAMES = ("Asia/Tokyo", "America/New_York", "Europe/Berlin", "Australia/Adelaide")

# --- the grammar -------------------------------------------------------------------------------


def mostly(good: st.SearchStrategy[str], bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`good` nine times in ten, else `bad`: one bad cell refuses a whole file."""
    return st.integers(0, 19).flatmap(lambda i: bad if i == 0 else good)


good_text = st.one_of(
    st.sampled_from(["u1", "u2", "ユーザー", "a,b", 'say "hi"', "two\nlines", " padded "]),
    st.text(alphabet='ab,"\n あ-', min_size=1, max_size=6).filter(lambda t: t.strip(" ")),
)
text_cells = mostly(good_text, st.sampled_from(["", " "]))
good_numbers = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
    st.sampled_from(["", "1e308", "1e-320", "-0", " 2.5 "]),
)
number_cells = mostly(
    good_numbers, st.sampled_from(["nan", "inf", "-inf", "abc", "1,5", "0x10", "1e400"])
)
days = st.sampled_from(["2026-11-02", "2026-11-20", "2026-11-27", "2026-11-28", "2026-11-29"])
times = st.sampled_from(["00:00:00", "09:05:00", "23:30:15"])
good_zones = st.sampled_from(
    ["Z", "+09:00", "-05:00", "+09:00:30", " +05:30", " JST", " EST", " UTC"]
    + [f" {name}" for name in ZONE_NAMES]
)
zones = mostly(good_zones, st.sampled_from([" XYZ", " Mars/X"]))
plain_timestamps = st.one_of(
    st.builds(lambda d, t, sep: f"{d}{sep}{t}", days, times, st.sampled_from([" ", "T"])),
    days,
    st.builds(lambda d, h: d.replace("-", "/") + f" {h}:05", days, st.integers(0, 23)),
)
zoned_timestamps = st.builds(lambda d, t, z: f"{d}T{t}{z}", days, times, zones)
odd_timestamps = st.sampled_from(
    [
        "infinity",
        "9999-12-31 00:00:00",
        "1969-12-31 23:59:59",
        "2026-12-25 00:00:00",
        "2026-11-29 23:00:00 America/New_York",
        "yesterday",
        "",
    ]
)


def rows_of(timestamps: st.SearchStrategy[str]) -> st.SearchStrategy[list[tuple[str, ...]]]:
    cells = st.tuples(text_cells, text_cells, number_cells, timestamps)
    return st.lists(cells, min_size=1, max_size=6)


# Most files keep one time-zone style (a file mixing the two is refused); some mix freely.
rows = st.one_of(
    rows_of(mostly(plain_timestamps, odd_timestamps)),
    rows_of(mostly(zoned_timestamps, odd_timestamps)),
    rows_of(st.one_of(plain_timestamps, zoned_timestamps, odd_timestamps)),
)
headers = st.permutations(["unit_id", "event", "value", "ts"])


@dataclass(frozen=True)
class CsvFile:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    bom: bool
    padded_header: bool
    unknown_column: bool

    def text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        names = [f" {h} " if self.padded_header else h for h in self.header]
        writer.writerow([*names, "comment"] if self.unknown_column else names)
        for row in self.rows:
            writer.writerow([*row, "x"] if self.unknown_column else row)
        return ("\ufeff" if self.bom else "") + buffer.getvalue()


@st.composite
def csv_files(draw: st.DrawFn) -> CsvFile:
    order = draw(headers)
    drawn = draw(rows)
    ordered = tuple(
        tuple(dict(zip(("unit_id", "event", "value", "ts"), row, strict=True))[h] for h in order)
        for row in drawn
    )
    return CsvFile(
        tuple(order),
        ordered,
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.sampled_from([False] * 15 + [True])),
    )


# --- the independent reader --------------------------------------------------------------------


class Refused(Exception):
    """The reference reader refuses the file."""


_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})(.*))?$")
_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2})$")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})(?::(\d{2}))?$")


def _text(cell: str) -> str:
    value = cell.strip(" ")
    if not value:
        raise Refused("empty text")
    return value


def _number(cell: str) -> float:
    if cell.strip(" ") == "":
        return 1.0  # the column's default
    if not re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*|\s*[+-]?(nan|inf)\s*", cell):
        raise Refused("not a number")
    value = float(cell)
    if not math.isfinite(value):
        raise Refused("not finite")
    return value


def _utc(local: dt.datetime, zone: str) -> dt.datetime:
    zone = zone.strip()
    if zone == "Z":
        return local
    offset = _OFFSET.match(zone)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        shift = dt.timedelta(
            hours=int(offset.group(2)),
            minutes=int(offset.group(3)),
            seconds=int(offset.group(4) or 0),
        )
        return local - sign * shift
    if zone in ABBREVIATIONS:
        return local - ABBREVIATIONS[zone]
    if zone in ZONE_NAMES:
        return local.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC).replace(tzinfo=None)
    raise Refused("unknown zone")


def _timestamp(cell: str) -> tuple[dt.datetime, bool]:
    """The cell as naive UTC, and whether it carried a zone."""
    value = cell.strip(" ")
    iso = _ISO.match(value)
    slash = _SLASH.match(value)
    if iso:
        moment = dt.datetime.fromisoformat(f"{iso.group(1)} {iso.group(2) or '00:00:00'}")
        zoned = bool(iso.group(3))
        if zoned:
            moment = _utc(moment, iso.group(3))
    elif slash:
        year, month, day, hour, minute = (int(g) for g in slash.groups())
        moment, zoned = dt.datetime(year, month, day, hour, minute), False
    else:
        raise Refused("not a timestamp")
    if not FIRST_DAY <= moment < REFUSED_FROM:
        raise Refused("out of range")
    return moment, zoned


def reference_rows(file: CsvFile) -> list[tuple[str, str, float, dt.datetime]]:
    """The rows as the independent reader stores them; raises Refused where it refuses."""
    records = list(csv.reader(io.StringIO(file.text().removeprefix("\ufeff"))))
    names = [name.strip(" ") for name in records[0]]
    if file.unknown_column:
        raise Refused("unknown column")
    stored, zoned = [], set()
    for record in records[1:]:
        cells = dict(zip(names, record, strict=True))
        moment, has_zone = _timestamp(cells["ts"])
        zoned.add(has_zone)
        stored.append(
            (_text(cells["unit_id"]), _text(cells["event"]), _number(cells["value"]), moment)
        )
    if len(zoned) > 1:
        raise Refused("mixed time zones")
    return stored


# --- the property ------------------------------------------------------------------------------


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(csv_files())
def test_a_generated_file_is_stored_as_the_reference_reads_it_or_refused_unchanged(
    empty_store_template: Path, empty_store_checksums: dict[str, tuple], file: CsvFile
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = StoreSettings(Path(folder) / "store.duckdb")
        shutil.copyfile(empty_store_template, store.path)
        path = Path(folder) / "events.csv"
        path.write_bytes(file.text().encode("utf-8"))
        # The store is a byte copy of the empty template: its checksums are the template's.
        before = empty_store_checksums
        try:
            expected = sorted(reference_rows(file))
        except Refused:
            expected = None

        try:
            ingest_files(store, "events", [path], clock=CLOCK)
        except IngestError:
            event("refused")
            assert table_checksums(store.path) == before
            assert expected is None, f"refused, but the reference reads {expected}"
            return

        event("loaded")
        assert expected is not None, "loaded, but the reference refuses it"
        stored = query(store.path, "SELECT unit_id, event, value, ts FROM events")
        assert sorted(stored) == expected


# --- the same property for Parquet -------------------------------------------------------------
# Typed columns: text (with nulls), value as float64 (extremes, NaN, infinities) or int64, and ts
# as a timestamp of seconds, milliseconds or microseconds (naive or zoned; far dates down to year
# 1 and up to 9999) or as text holding the CSV grammar's timestamps (offsets, zone names...).

FAR_MOMENTS = (
    dt.datetime(1, 1, 1),
    dt.datetime(1969, 12, 31, 23, 59, 59),
    dt.datetime(2100, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59),
)
ordinary_moments = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=REFUSED_FROM)


def rarely_none(values: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """`values` 19 times in 20, else `bad` or a null: one bad cell refuses a whole file."""
    return st.integers(0, 19).flatmap(lambda i: st.one_of(bad, st.none()) if i == 0 else values)


moments = rarely_none(ordinary_moments, st.sampled_from(FAR_MOMENTS))
text_values = rarely_none(good_text, st.sampled_from(["", " "]))
float_values = rarely_none(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.sampled_from([1e308, -1e308, 5e-324, -0.0]),
    ),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)
int_values = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 2**63 - 1, -(2**63)]), st.none()
)
UNITS = ("s", "ms", "us")
PARQUET_ZONES = ("UTC", "Asia/Tokyo", "America/New_York", "Australia/Adelaide")


@dataclass(frozen=True)
class ParquetFile:
    """A Parquet file of typed columns in `order`; `ts_unit` None means ts is text."""

    order: tuple[str, ...]
    units: tuple[str | None, ...]
    events: tuple[str | None, ...]
    values: tuple[float | int | None, ...] | None  # None: no value column
    value_type: str  # "float64" or "int64"
    ts: tuple[dt.datetime | str | None, ...]
    ts_unit: str | None  # None: ts is text
    ts_zone: str | None
    unknown_column: bool

    def write(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.ts_unit is None:
            ts = pa.array(self.ts, pa.string())
        else:
            ts = pa.array(self.ts, pa.timestamp(self.ts_unit, tz=self.ts_zone))
        columns = {
            "unit_id": pa.array(self.units, pa.string()),
            "event": pa.array(self.events, pa.string()),
            "value": pa.array(self.values or [], getattr(pa, self.value_type)()),
            "ts": ts,
        }
        names = [n for n in self.order if n != "value" or self.values is not None]
        table = pa.table({n: columns[n] for n in names})
        if self.unknown_column:
            table = table.append_column("comment", pa.array(["x"] * table.num_rows))
        # Seconds are not a Parquet unit: written as milliseconds, as pyarrow always does.
        pq.write_table(table, path, coerce_timestamps=None if self.ts_unit != "s" else "ms")


@st.composite
def parquet_files(draw: st.DrawFn) -> ParquetFile:
    n = draw(st.integers(1, 6))
    value_type = draw(st.sampled_from(["float64", "int64"]))
    values = None
    if draw(st.integers(0, 4)):
        values = tuple(
            draw(float_values if value_type == "float64" else int_values) for _ in range(n)
        )
    ts_unit = draw(st.sampled_from([None, *UNITS]))
    ts_zone = None
    if ts_unit is None:
        style = draw(
            st.sampled_from(
                [
                    mostly(plain_timestamps, odd_timestamps),
                    mostly(zoned_timestamps, odd_timestamps),
                    st.one_of(plain_timestamps, zoned_timestamps, odd_timestamps),
                ]
            )
        )
        ts = tuple(draw(rarely_none(style, st.nothing())) for _ in range(n))
    else:
        ts_zone = draw(st.sampled_from([None, None, *PARQUET_ZONES]))
        drawn = [draw(moments) for _ in range(n)]
        # A zoned column holds instants: the drawn moments are UTC.
        ts = tuple(m if m is None or ts_zone is None else m.replace(tzinfo=dt.UTC) for m in drawn)
    return ParquetFile(
        tuple(draw(st.permutations(["unit_id", "event", "value", "ts"]))),
        tuple(draw(text_values) for _ in range(n)),
        tuple(draw(text_values) for _ in range(n)),
        values,
        value_type,
        ts,
        ts_unit,
        ts_zone,
        draw(st.sampled_from([False] * 15 + [True])),
    )


def _parquet_value(value: float | int | None) -> float:
    """Ingest rules: empty takes the default 1; NaN and infinity are refused; integers are read
    as doubles."""
    if value is None:
        return 1.0
    value = float(value)
    if not math.isfinite(value):
        raise Refused("not finite")
    return value


def _parquet_moment(value: dt.datetime | str | None) -> tuple[dt.datetime, bool | None]:
    """The cell as naive UTC, and whether it carried a zone (None: a typed column, no mixing)."""
    if value is None:
        raise Refused("empty timestamp")
    if isinstance(value, str):
        return _timestamp(value)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if not FIRST_DAY <= value < REFUSED_FROM:
        raise Refused("out of range")
    return value, None


def reference_parquet_rows(path: Path) -> list[tuple[str, str, float, dt.datetime]]:
    """The rows as pyarrow reads the file, typed by the documented ingest rules."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    if set(table.column_names) - {"unit_id", "event", "value", "ts"}:
        raise Refused("unknown column")
    ts_type = table.schema.field("ts").type
    if pa.types.is_timestamp(ts_type) and ts_type.tz is not None:
        # Arrow stores zoned instants as UTC; dropping the zone keeps them (and avoids Python's
        # local-time overflow near year 9999).
        index = table.column_names.index("ts")
        table = table.set_column(index, "ts", table.column("ts").cast(pa.timestamp(ts_type.unit)))
    columns = table.to_pydict()
    values = columns.get("value", [None] * table.num_rows)
    stored, zoned = [], set()
    for unit, name, value, ts in zip(
        columns["unit_id"], columns["event"], values, columns["ts"], strict=True
    ):
        moment, has_zone = _parquet_moment(ts)
        zoned.add(has_zone)
        stored.append((_text(unit or ""), _text(name or ""), _parquet_value(value), moment))
    if len(zoned) > 1:
        raise Refused("mixed time zones")
    return stored


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(parquet_files())
def test_a_generated_parquet_file_is_stored_as_pyarrow_reads_it_or_refused_unchanged(
    empty_store_template: Path, empty_store_checksums: dict[str, tuple], file: ParquetFile
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = StoreSettings(Path(folder) / "store.duckdb")
        shutil.copyfile(empty_store_template, store.path)
        path = Path(folder) / "events.parquet"
        file.write(path)
        # The store is a byte copy of the empty template: its checksums are the template's.
        before = empty_store_checksums
        try:
            expected = sorted(reference_parquet_rows(path))
        except Refused:
            expected = None

        try:
            ingest_files(store, "events", [path], clock=CLOCK)
        except IngestError:
            event("refused")
            assert table_checksums(store.path) == before
            assert expected is None, f"refused, but the reference reads {expected}"
            return

        event("loaded")
        assert expected is not None, "loaded, but the reference refuses it"
        stored = query(store.path, "SELECT unit_id, event, value, ts FROM events")
        assert sorted(stored) == expected

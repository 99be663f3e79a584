"""Write the file-reading cases of the bad-input corpus (`bad/read_*`): files that are not CSV or
Parquet text the way a reader expects (compressed, UTF-16, NUL bytes, invisible characters in the
header, a header too long to be one, a byte-order mark inside the file, a damaged UTF-8 line that
CP932 would misread, Parquet columns that clash with the reader's own or do not fit its types).

Run: python tests/data/make_read_corpus.py (the files are committed; this says how they were made).
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import lzma
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

BAD = Path(__file__).resolve().parent / "bad"
HEADER = "unit_id,event,value,ts"
ROWS = ["s0001,search,1,2026-11-02 09:31:00", "s0001,click,1,2026-11-02 09:32:00"]
EVENTS = "\n".join([HEADER, *ROWS]) + "\n"
# The 4-byte magic number of a Zstandard frame, then bytes no reader would take for text.
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _zip(text: str) -> bytes:
    """A zip archive of `text`, the same bytes on every run: the entry's time is fixed (zip's
    earliest, 1980-01-01) instead of the clock's now."""
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo("events.csv", date_time=(1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, text)
    return buffer.getvalue()


def text_cases() -> dict[str, bytes]:
    """The CSV-like cases, by file name."""
    return {
        "read_gzip.events.csv": gzip.compress(EVENTS.encode(), mtime=0),
        "read_zip.events.csv": _zip(EVENTS),
        "read_bzip2.events.csv": bz2.compress(EVENTS.encode()),
        "read_xz.events.csv": lzma.compress(EVENTS.encode()),
        "read_zstd.events.csv": ZSTD_MAGIC + b"\x00\x58\x11\x00" + bytes(range(1, 40)),
        "read_utf16_no_bom.events.csv": EVENTS.encode("utf-16-le"),
        "read_utf16be_no_bom.events.csv": EVENTS.encode("utf-16-be"),
        "read_utf16_missing_column.events.csv": "unit_id,event,value\ns0001,click,1\n".encode(
            "utf-16"
        ),
        "read_nul_header.events.csv": (HEADER + "\x00" * 5000 + "\n" + ROWS[0] + "\n").encode(),
        "read_zero_width_header.events.csv": EVENTS.replace(",ts", ",ts\u200b", 1).encode(),
        "read_header_too_long.events.csv": (
            HEADER + ",x" * 70_000 + "\n" + ROWS[0] + "\n"
        ).encode(),
        "read_bom_mid_file.events.csv": (
            HEADER + "\n" + ROWS[0] + "\n\ufeff" + ROWS[1] + "\n"
        ).encode(),
        # UTF-8 whose one non-ASCII line lost a byte: "café" became b"caf\xc3", which CP932 would
        # read as "cafﾃ" (a half-width katakana), never what the author wrote.
        "read_damaged_utf8_line.events.csv": (
            (HEADER + "\n" + ROWS[0] + "\n").encode() + b"s0002,caf\xc3,1,2026-11-02 09:45:00\n"
        ),
        # A byte-order mark before a value of a key column other than the first.
        "read_bom_in_variant.assignments.csv": (
            "experiment_id,unit_id,variant,assigned_at\n"
            "exp-1,u1,control,2026-11-20 10:00:00\n"
            "exp-1,u2,\ufeffcontrol,2026-11-20 10:00:00\n"
        ).encode(),
        # Two byte-order marks: the second would become part of the first column's name.
        "read_double_bom.events.csv": ("\ufeff\ufeff" + EVENTS).encode(),
        "read_nul_in_value.events.csv": (
            HEADER + "\ns0001,cl\x00ick,1,2026-11-02 09:31:00\n"
        ).encode(),
    }


def parquet_cases() -> dict[str, pa.Table]:
    """The Parquet cases, by file name."""
    assigned = pa.array([dt.datetime(2026, 11, 2, 9, 30)] * 2, pa.timestamp("us"))
    far_future = pa.array([10**13, 10**13 + 60], pa.timestamp("s"))
    return {
        "read_file_row_number.assignments.parquet": pa.table(
            {
                "experiment_id": ["exp", "exp"],
                "unit_id": ["u1", "u2"],
                "variant": ["a", "b"],
                "assigned_at": assigned,
                "file_row_number": pa.array([7, 8], pa.int64()),
            }
        ),
        "read_far_future_timestamp_s.events.parquet": pa.table(
            {
                "unit_id": ["u1", "u2"],
                "event": ["click", "click"],
                "value": pa.array([1.0, 1.0]),
                "ts": far_future,
            }
        ),
    }


def main() -> None:
    for name, data in text_cases().items():
        (BAD / name).write_bytes(data)
    for name, table in parquet_cases().items():
        pq.write_table(table, BAD / name)


if __name__ == "__main__":
    main()

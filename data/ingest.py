"""Loading CSV and Parquet files into the store: validated first, written all at once, never twice.

DuckDB reads the files (no pandas round trip). Every file of a command is staged (CSV parsed once
into a temporary table, Parquet read in place), checked, and only then inserted, in one
transaction: a bad file leaves the store exactly as it was, and loading the same rows again adds
nothing. The temporary tables live only as long as the command's connection.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, get_args

import duckdb

from core.clock import Clock, system_clock, today
from core.errors import YardstickError
from data.kinds import COUNT_METRICS, KINDS, MODEL_STAGES, ColumnSpec, ColumnType, KindSpec
from data.prediction_features import FeatureFile, add_feature_columns, with_features
from data.prediction_parts import STORED_IN_PARTS, PendingParts, remove_orphans
from data.store import (
    StoreSettings,
    commit,
    connect,
    current_actor,
    one_row,
    process_alive,
    rollback_quietly,
    write_audit,
    write_fault,
)

MAX_PROBLEMS_SHOWN = 5
_PARQUET_MAGIC = b"PAR1"
_READ_BLOCK = 1 << 22
_ENCODING_SAMPLE = 1 << 20
# UTF-16 text without a byte-order mark: at least one byte in this many is NUL (one in two for
# ASCII text, fewer for Japanese), and this share of its NULs fall on the same side of each pair.
_UTF16_MIN_NUL_SHARE = 8
_UTF16_SAME_PARITY = 0.95
_TIMESTAMP_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
)
# A time followed by anything (an offset, Z, a zone name or abbreviation): read as TIMESTAMPTZ with
# DuckDB's ICU time zones, never by a cast to TIMESTAMP, which drops what follows the time.
_HAS_ZONE = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*[A-Za-z+-].*$"
# The time itself (date and clock), without what follows it; a numeric offset at the end; a BC era.
_CLOCK = r"^\s*(.*?[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)\s*[A-Za-z+-].*$"
_OFFSET = r"\d:\d{2}(:\d{2}(\.\d+)?)?\s*([+-])(\d{1,2}):?(\d{2})?(:?\d{2})?\s*$"
_BC_ERA = r"(?i)\sB\.?C\.?\s*$"
# Real UTC offsets, in minutes: from -12:00 to +14:00.
_OFFSET_RANGE = (-12 * 60, 14 * 60)
_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)
_TIMESTAMP_TYPES = (
    "TIMESTAMP",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "TIMESTAMP WITH TIME ZONE",
)
# The Parquet types each column accepts, by exact name (DECIMAL(p,s) by its prefix): a list
# (INTEGER[]), struct, map or interval is refused, never cast to NULL.
_SOURCE_TYPES_ACCEPTED: dict[ColumnType, tuple[str, ...]] = {
    ColumnType.TEXT: ("VARCHAR", *_INTEGER_TYPES),
    ColumnType.FLOAT: ("DOUBLE", "FLOAT", "DECIMAL", "VARCHAR", *_INTEGER_TYPES),
    ColumnType.COUNT: ("VARCHAR", *_INTEGER_TYPES),
    ColumnType.TIMESTAMP: ("DATE", "VARCHAR", *_TIMESTAMP_TYPES),
    ColumnType.DATE: ("DATE", "VARCHAR", *_TIMESTAMP_TYPES),
}
# A header line longer than this is not a header (a binary file, or a file without line breaks);
# reading further would only fill memory.
MAX_HEADER_BYTES = 128 * 1024
# How a header name is shown when it holds characters a reader cannot see.
_SHOWN_NAME_CHARS = 60
_TEMP_PREFIX = "yardstick-"
_UPLOAD_PREFIX = "yardstick-upload-"
# The first bytes of compressed files: the format and how to unpack it.
_COMPRESSED_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "gzip", "gunzip FILE"),
    (b"PK\x03\x04", "zip", "unzip FILE"),
    (b"BZh", "bzip2", "bunzip2 FILE"),
    (b"\xfd7zXZ\x00", "xz", "unxz FILE"),
    (b"\x28\xb5\x2f\xfd", "zstd", "unzstd FILE"),
)
# Columns `read_parquet` adds itself (Yardstick numbers rows with it); a file column so named
# would clash.
_RESERVED_PARQUET_COLUMNS = ("file_row_number",)
_COLUMN_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
# Every code an ingest can raise: a `Problem`'s code, or an `IngestError`'s. Each is a catalogue key
# under `error.` worded in both languages (i18n/ingest.py; tests/i18n/test_ingest_wording.py).
IngestCode = Literal[
    "ingest.refused",
    "ingest.unknown_kind",
    "ingest.no_such_file",
    "ingest.is_directory",
    "ingest.not_regular_file",
    "ingest.unreadable_file",
    "ingest.compressed",
    "ingest.nul_bytes",
    "ingest.utf16_without_bom",
    "ingest.header_too_long",
    "ingest.bom_inside",
    "ingest.damaged_utf8",
    "ingest.parquet_reserved_column",
    "ingest.unreadable_values",
    "ingest.empty_file",
    "ingest.header_only",
    "ingest.no_rows",
    "ingest.not_utf8_or_cp932",
    "ingest.mixed_encodings",
    "ingest.undecodable",
    "ingest.unknown_encoding",
    "ingest.wrong_encoding",
    "ingest.semicolons",
    "ingest.tabs",
    "ingest.vertical_bars",
    "ingest.extra_header_row",
    "ingest.missing_columns",
    "ingest.missing_columns_no_header",
    "ingest.missing_columns_parquet",
    "ingest.not_parquet",
    "ingest.parquet_type_text",
    "ingest.parquet_type_number",
    "ingest.parquet_type_whole_number",
    "ingest.parquet_type_timestamp",
    "ingest.parquet_type_date",
    "ingest.duplicate_column",
    "ingest.unnamed_column",
    "ingest.unexpected_columns",
    "ingest.not_csv",
    "ingest.too_few_values",
    "ingest.too_many_values",
    "ingest.stray_quote",
    "ingest.line_too_long",
    "ingest.invalid_unicode",
    "ingest.unreadable_line",
    "ingest.empty_key",
    "ingest.empty_value",
    "ingest.unreadable_number",
    "ingest.unreadable_whole_number",
    "ingest.unreadable_timestamp",
    "ingest.unreadable_date",
    "ingest.not_finite",
    "ingest.negative",
    "ingest.negative_count",
    "ingest.unknown_stage",
    "ingest.retired_before_deployed",
    "ingest.unknown_model",
    "ingest.mixed_time_zones",
    "ingest.key_repeated",
    "ingest.key_stored",
    "ingest.production_overlap",
    "ingest.unknown_choice",
    "ingest.unknown_time_zone",
    "ingest.impossible_offset",
    "ingest.zoned_date",
    "ingest.date_impossible",
    "ingest.date_out_of_range",
    "ingest.date_too_late",
    "ingest.reserved_column",
]
INGEST_CODES: tuple[IngestCode, ...] = get_args(IngestCode)

RowLabel = Literal["line", "row"]

# A cell that cannot be read as its column's type, and a Parquet column stored as another type.
_UNREADABLE_CODES: dict[ColumnType, IngestCode] = {
    ColumnType.FLOAT: "ingest.unreadable_number",
    ColumnType.COUNT: "ingest.unreadable_whole_number",
    ColumnType.TIMESTAMP: "ingest.unreadable_timestamp",
    ColumnType.DATE: "ingest.unreadable_date",
}
_PARQUET_TYPE_CODES: dict[ColumnType, IngestCode] = {
    ColumnType.TEXT: "ingest.parquet_type_text",
    ColumnType.FLOAT: "ingest.parquet_type_number",
    ColumnType.COUNT: "ingest.parquet_type_whole_number",
    ColumnType.TIMESTAMP: "ingest.parquet_type_timestamp",
    ColumnType.DATE: "ingest.parquet_type_date",
}
# DuckDB's CSV reject types; any other type is `ingest.unreadable_line`.
_REJECT_CODES: dict[str, IngestCode] = {
    "MISSING COLUMNS": "ingest.too_few_values",
    "TOO MANY COLUMNS": "ingest.too_many_values",
    "UNQUOTED VALUE": "ingest.stray_quote",
    "LINE SIZE OVER MAXIMUM": "ingest.line_too_long",
    "INVALID UNICODE": "ingest.invalid_unicode",
}
_DELIMITER_CODES: tuple[tuple[str, IngestCode], ...] = (
    (";", "ingest.semicolons"),
    ("\t", "ingest.tabs"),
    ("|", "ingest.vertical_bars"),
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, as a code and the values that explain it.

    The store words nothing: `i18n.ingest.problem_text` turns a problem into a sentence in the
    reader's language (the catalogue key is `error.<code>`).

    Attributes:
        file: the file's name as the user knows it.
        line: the line of the CSV file (1 = header) or the row of a Parquet file (1 = first row);
            None for problems of the whole file.
        column: the column at fault, if one is.
        code: what is wrong, one of `INGEST_CODES`.
        values: the values filled into the explanation (a cell, a line, an encoding...).
        row_label: "line" for CSV, "row" for Parquet.
    """

    file: str
    line: int | None
    column: str | None
    code: IngestCode
    values: Mapping[str, object] = field(default_factory=dict, hash=False)
    row_label: RowLabel = "line"


class IngestError(YardstickError):
    """Input was refused (code `ingest.refused`); nothing was written.

    Attributes:
        problems: the first problems found (at most a few per check).
        total: how many problems there were in all (also in `values`).
    """

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        self.problems = tuple(problems)
        self.total = total if total is not None else len(self.problems)
        super().__init__("ingest.refused", total=self.total)

    def shown(self) -> tuple[Problem, ...]:
        """The problems a refusal lists; `total - len(shown())` more are only counted."""
        return self.problems[: MAX_PROBLEMS_SHOWN * 2]


@dataclass(frozen=True)
class IngestResult:
    """What a successful load did.

    Attributes:
        kind: the kind loaded.
        files: the files, as named by the user.
        rows_read: data rows in the files.
        new_rows: rows added to the store.
        already_present: rows whose key and values were already stored (or repeated in the input),
            and the rows of files skipped as already loaded.
        seconds: wall-clock time of the whole command.
        batches: the batch recorded for each file loaded (`load_batches`).
        already_loaded: the files skipped because the same bytes were loaded before.
    """

    kind: str
    files: tuple[str, ...]
    rows_read: int
    new_rows: int
    already_present: int
    seconds: float
    batches: tuple[LoadedBatch, ...] = ()
    already_loaded: tuple[AlreadyLoaded, ...] = ()


@dataclass(frozen=True)
class LoadedBatch:
    """One file recorded as a load: its batch id (for `delete --batch`) and the rows it added."""

    file: str
    batch_id: int
    rows: int


@dataclass(frozen=True)
class AlreadyLoaded:
    """A file skipped because the same bytes were loaded before: nothing of it was added.

    Attributes:
        file: the file, as named by the user.
        batch_id: the earlier load's batch; None when the same bytes came earlier in the same
            command (named by `same_as`).
        rows: the rows the earlier load added.
        same_as: the file of the same command with the same bytes, if that is the earlier load.
    """

    file: str
    batch_id: int | None
    rows: int
    same_as: str | None = None


@dataclass(frozen=True)
class IngestProgress:
    """A progress report: which file, which step, and how far along (0-1, None when unknown)."""

    file: str
    step: str
    fraction: float | None


ProgressCallback = Callable[[IngestProgress], None]


@dataclass
class _Source:
    """A file ready for DuckDB to read, with what the header told us."""

    display_name: str
    original_path: Path  # the user's file
    read_path: Path  # what DuckDB reads: the file, or a UTF-8 copy of a CP932 CSV
    is_parquet: bool
    columns: list[str]
    source_types: dict[str, str] = field(default_factory=dict)
    header_line: int = 1
    encoding: str = "utf-8"
    temporary: bool = False
    encoding_given: bool = False

    @property
    def row_label(self) -> RowLabel:
        return "row" if self.is_parquet else "line"


def _problem(
    source: _Source,
    code: IngestCode,
    line: int | None = None,
    column: str | None = None,
    **values: object,
) -> Problem:
    return Problem(source.display_name, line, column, code, values, source.row_label)


def _detect_encoding(path: Path, display_name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 with a BOM, or CP932 as Japanese Excel writes it;
    mixed files, and text with NUL bytes (UTF-16 without a BOM, or not text), are refused.

    Only the first megabyte is checked here: a file that turns out not to be UTF-8 further on is
    caught by DuckDB's reader (an invalid-encoding reject) and classified then, so a large UTF-8
    file is not read twice.
    """
    with path.open("rb") as handle:
        head = handle.read(_ENCODING_SAMPLE)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        first_line = head.split(b"\n", 1)[0]
        byte_order = utf16_byte_order(head)
        raise IngestError(
            [
                Problem(
                    display_name,
                    1 if b"\x00" in first_line else None,
                    None,
                    "ingest.nul_bytes" if byte_order is None else "ingest.utf16_without_bom",
                    {"count": head.count(b"\x00"), "encoding": byte_order},
                )
            ]
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return _classify_non_utf8(path, display_name)
    return "utf-8"


def utf16_byte_order(head: bytes) -> str | None:
    """`utf-16-le` or `utf-16-be` when `head` looks like UTF-16 text without a byte-order mark,
    else None.

    Text in UTF-16 holds a NUL byte beside every ASCII character (digits, commas, line breaks):
    after it in little-endian, before it in big-endian. So its NULs are many and nearly all at odd
    offsets (LE) or at even ones (BE); NULs scattered over both (a binary file, a NUL pasted into a
    CSV) are no UTF-16.
    """
    sample = head[: len(head) - len(head) % 2]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    nuls = even + odd
    if nuls < max(2, len(sample) // _UTF16_MIN_NUL_SHARE):
        return None
    if odd >= nuls * _UTF16_SAME_PARITY:
        return "utf-16-le"
    if even >= nuls * _UTF16_SAME_PARITY:
        return "utf-16-be"
    return None


class _ReadAgainAs(Exception):
    """A CSV file taken for UTF-8 from its first megabyte is CP932 further on: read it as such."""

    def __init__(self, file_index: int, encoding: str) -> None:
        super().__init__(file_index, encoding)
        self.file_index = file_index
        self.encoding = encoding


def _is_halfwidth_katakana(char: str) -> bool:
    return "\uff61" <= char <= "\uff9f"


def _reads_as_japanese(text: str) -> bool:
    """Whether CP932-decoded text holds anything but half-width katakana outside ASCII.

    Damaged UTF-8 (a lost continuation byte) decodes in CP932 as half-width katakana only: a lone
    lead byte 0xC2-0xDF is one. Japanese text written by Excel has kana, kanji or full-width signs.
    """
    return any(not char.isascii() and not _is_halfwidth_katakana(char) for char in text)


def _classify_non_utf8(path: Path, display_name: str) -> str:
    """Tell CP932 from a file that mixes UTF-8 and CP932 lines (which no single encoding reads),
    and from damaged UTF-8 that CP932 would read as half-width katakana (mojibake)."""
    first_utf8_line = first_cp932_line = None
    damaged: tuple[int, str, str] | None = None
    japanese = False
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
                first_utf8_line = first_utf8_line or number
            except UnicodeDecodeError as utf8_error:
                try:
                    text = raw.decode("cp932")
                except UnicodeDecodeError as error:
                    raise IngestError(
                        [
                            Problem(
                                display_name,
                                number,
                                None,
                                "ingest.not_utf8_or_cp932",
                                {"reason": error.reason},
                            )
                        ]
                    ) from error
                first_cp932_line = first_cp932_line or number
                japanese = japanese or _reads_as_japanese(text)
                if damaged is None:
                    damaged = (number, utf8_error.reason, _visible(text.rstrip("\r\n")))
            if first_utf8_line and first_cp932_line:
                raise IngestError(
                    [
                        Problem(
                            display_name,
                            max(first_utf8_line, first_cp932_line),
                            None,
                            "ingest.mixed_encodings",
                            {"utf8_line": first_utf8_line, "cp932_line": first_cp932_line},
                        )
                    ]
                )
    if damaged is not None and not japanese:
        line, reason, text = damaged
        raise IngestError(
            [
                Problem(
                    display_name,
                    line,
                    None,
                    "ingest.damaged_utf8",
                    {"reason": reason, "text": text},
                )
            ]
        )
    return "cp932"


def remove_stale_temp_files() -> list[Path]:
    """Delete the UTF-8 copies and upload folders that processes killed before their cleanup
    (SIGKILL) left behind.

    A copy is named `yardstick-PID-....csv` and an upload folder `yardstick-upload-PID-...` in the
    temporary folder; those of every PID that no longer runs are leftovers. Returns what was
    removed.
    """
    removed = []
    folder = Path(tempfile.gettempdir())
    for prefix, pattern in ((_TEMP_PREFIX, "*.csv"), (_UPLOAD_PREFIX, "*")):
        for path in folder.glob(f"{prefix}{pattern}"):
            pid_text = path.name.removeprefix(prefix).split("-", 1)[0]
            if pid_text.isdigit() and not process_alive(int(pid_text)):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path)
    return removed


@contextmanager
def upload_folder() -> Iterator[Path]:
    """A temporary folder for the files of one upload, removed when the block ends, and by
    `remove_stale_temp_files` when the process was killed first (it is named after the PID)."""
    with tempfile.TemporaryDirectory(prefix=f"{_UPLOAD_PREFIX}{os.getpid()}-") as folder:
        yield Path(folder)


def _transcode_to_utf8(path: Path, encoding: str, display_name: str) -> Path:
    """A UTF-8 copy of a file in another encoding, streamed, for DuckDB's reader.

    Named after this process (`remove_stale_temp_files` removes the copies of dead ones); removed
    here when the file cannot be read, and by `_cleanup` after the command either way.
    """
    handle, target = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", suffix=".csv")
    os.close(handle)
    line = 1
    try:
        with (
            path.open("r", encoding=encoding, newline="") as source,
            open(target, "w", encoding="utf-8", newline="") as sink,
        ):
            while block := source.read(_READ_BLOCK):
                sink.write(block)
                line += block.count("\n")
    except UnicodeDecodeError as error:
        os.unlink(target)
        _check_decodes(path, encoding, display_name)
        raise IngestError(
            [
                Problem(
                    display_name,
                    line,
                    None,
                    "ingest.undecodable",
                    {"encoding": encoding, "reason": error.reason},
                )
            ]
        ) from error
    except LookupError as error:
        os.unlink(target)
        raise IngestError(
            [Problem(display_name, None, None, "ingest.unknown_encoding", {"encoding": encoding})]
        ) from error
    except BaseException:
        os.unlink(target)
        raise
    return Path(target)


def _check_decodes(path: Path, encoding: str, display_name: str) -> None:
    """Refuse a file that the chosen encoding cannot read, naming the first line it fails on."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as error:
                raise IngestError(
                    [
                        Problem(
                            display_name,
                            number,
                            None,
                            "ingest.wrong_encoding",
                            {"encoding": encoding, "reason": error.reason},
                        )
                    ]
                ) from error


def _read_first_lines(path: Path, encoding: str, count: int = 2) -> list[str]:
    """The first `count` lines, each cut at `MAX_HEADER_BYTES` characters (so a file without line
    breaks is not read into memory)."""
    with path.open("r", encoding=encoding, newline="") as handle:
        lines = []
        for _ in range(count):
            line = handle.readline(MAX_HEADER_BYTES + 1)
            if not line:
                break
            lines.append(line)
    return lines


def _parse_header(line: str) -> list[str]:
    return [name.strip().lstrip("\ufeff") for name in next(csv.reader(io.StringIO(line)), [])]


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _is_invisible(char: str) -> bool:
    """Control, format (zero-width, BOM, direction marks) and separator characters but the space:
    they make a name look like another one."""
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Co", "Cn", "Zl", "Zp") or (category == "Zs" and char != " ")


def _visible(text: str, limit: int = _SHOWN_NAME_CHARS) -> str:
    """`text` as a reader can tell it apart: invisible characters written as escapes (`\\u200b`),
    a run of one written once with its count, and the whole cut at `limit` characters."""
    parts: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        run = 1
        while index + run < len(text) and text[index + run] == char:
            run += 1
        if not _is_invisible(char):
            parts.append(char * run)
        elif run > 3:
            parts.append(f"{_escaped(char)} x{run:,} ")
        else:
            parts.append(_escaped(char) * run)
        index += run
    shown = "".join(parts)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _shown_names(names: Sequence[str]) -> str:
    """Header names for a message: each visible, at most a few hundred characters in all."""
    shown = ", ".join(_visible(name) for name in names)
    return shown if len(shown) <= 4 * _SHOWN_NAME_CHARS else shown[: 4 * _SHOWN_NAME_CHARS] + "…"


def _missing_columns_problem(source: _Source, spec: KindSpec, lines: list[str]) -> Problem:
    header = _parse_header(lines[0])
    missing = [c for c in spec.required_columns if c not in header]
    if len(header) == 1:
        for delimiter, code in _DELIMITER_CODES:
            if delimiter in lines[0]:
                return _problem(source, code, 1)
    if len(lines) > 1:
        second = _parse_header(lines[1])
        if all(c in second for c in spec.required_columns):
            return _problem(source, "ingest.extra_header_row", 1)
    if not ", ".join(header):
        return _problem(source, "ingest.missing_columns_no_header", 1, missing=", ".join(missing))
    return _problem(
        source, "ingest.missing_columns", 1, missing=", ".join(missing), header=_shown_names(header)
    )


def _is_utf8(encoding: str) -> bool:
    return encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")


def _bom_inside(path: Path, display_name: str) -> None:
    """Refuse a UTF-8 byte-order mark after the start of the file (files joined with `cat`, or a
    BOM pasted into a value): it is invisible, and would become part of a key or a value."""
    with path.open("rb") as handle:
        handle.read(len(codecs.BOM_UTF8))
        lines = 1
        tail = b""
        while block := handle.read(_READ_BLOCK):
            data = tail + block
            found = data.find(codecs.BOM_UTF8)
            if found >= 0:
                line = lines + data[:found].count(b"\n")
                raise IngestError([Problem(display_name, line, None, "ingest.bom_inside")])
            # Keep the last two bytes: a BOM may straddle two blocks.
            tail = data[-2:]
            lines += data[: len(data) - len(tail)].count(b"\n")


def _prepare_csv(path: Path, display_name: str, spec: KindSpec, encoding: str | None) -> _Source:
    with path.open("rb") as handle:
        if not handle.read(4096).strip():
            raise IngestError([Problem(display_name, None, None, "ingest.empty_file")])
    chosen = encoding or _detect_encoding(path, display_name)
    if encoding and _is_utf8(encoding):
        _check_decodes(path, encoding, display_name)
    source = _Source(
        display_name,
        path,
        path,
        False,
        [],
        encoding=chosen,
        encoding_given=encoding is not None,
    )
    if not _is_utf8(chosen):
        source.read_path = _transcode_to_utf8(path, chosen, display_name)
        source.temporary = True
        chosen = "utf-8"
    try:
        _check_header(source, spec, chosen)
    except BaseException:
        _cleanup(source)
        raise
    return source


def _check_header(source: _Source, spec: KindSpec, encoding: str) -> None:
    """Read the header into `source.columns`, refusing one a reader could not tell from a valid
    header (NUL bytes, invisible characters), one too long to be a header, or a missing column."""
    _bom_inside(source.read_path, source.display_name)
    lines = _read_first_lines(source.read_path, "utf-8-sig" if encoding == "utf-8-sig" else "utf-8")
    if len(lines[0]) > MAX_HEADER_BYTES:
        raise IngestError(
            [_problem(source, "ingest.header_too_long", 1, most=f"{MAX_HEADER_BYTES // 1024} KB")]
        )
    if "\x00" in lines[0]:
        raise IngestError([_problem(source, "ingest.nul_bytes", 1, count=lines[0].count("\x00"))])
    header = _parse_header(lines[0])
    if any(c not in header for c in spec.required_columns):
        raise IngestError([_missing_columns_problem(source, spec, lines)])
    if len(lines) < 2 or not lines[1].strip():
        raise IngestError([_problem(source, "ingest.header_only")])
    source.columns = header


def _prepare_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, display_name: str, spec: KindSpec
) -> _Source:
    source = _Source(display_name, path, path, True, [])
    try:
        described = con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?)", [_literal_path(path)]
        ).fetchall()
    except duckdb.Error as error:
        raise IngestError(
            [_problem(source, "ingest.not_parquet", reason=_reason(error))]
        ) from error
    source.columns = [row[0] for row in described]
    source.source_types = {row[0]: str(row[1]).upper() for row in described}
    reserved = [c for c in source.columns if c.lower() in _RESERVED_PARQUET_COLUMNS]
    if reserved:
        raise IngestError(
            [
                _problem(source, "ingest.parquet_reserved_column", column=name, name=name)
                for name in reserved
            ]
        )
    missing = [c for c in spec.required_columns if c not in source.columns]
    if missing:
        raise IngestError(
            [
                _problem(
                    source,
                    "ingest.missing_columns_parquet",
                    missing=", ".join(missing),
                    columns=_shown_names(source.columns),
                )
            ]
        )
    problems = _parquet_type_problems(source, spec)
    if problems:
        raise IngestError(problems)
    return source


def _reason(error: BaseException) -> str:
    """DuckDB's reason in one line, without its error class (`Invalid Input Error: ...`)."""
    text = str(error).strip().split("\n", 1)[0]
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)[:300]


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    with path.open("rb") as handle:
        return handle.read(4) == _PARQUET_MAGIC


def _check_readable(path: Path, name: str) -> None:
    """Refuse what is not a regular, readable, uncompressed file before reading any of it: a
    directory, a device such as /dev/zero (which never ends), a pipe, a gzip or zip archive."""
    if not path.exists():
        raise IngestError([Problem(name, None, None, "ingest.no_such_file")])
    if path.is_dir():
        raise IngestError([Problem(name, None, None, "ingest.is_directory")])
    if not stat.S_ISREG(path.stat().st_mode):
        raise IngestError([Problem(name, None, None, "ingest.not_regular_file")])
    with path.open("rb") as handle:
        head = handle.read(8)
    for magic, compression, command in _COMPRESSED_MAGIC:
        if head.startswith(magic):
            raise IngestError(
                [
                    Problem(
                        name,
                        None,
                        None,
                        "ingest.compressed",
                        {"compression": compression, "command": command},
                    )
                ]
            )


def _check_columns(source: _Source, spec: KindSpec) -> None:
    known = {c.name for c in spec.columns}
    seen: set[str] = set()
    problems = []
    for name in source.columns:
        if name in seen:
            problems.append(_problem(source, "ingest.duplicate_column", 1, name=_visible(name)))
        seen.add(name)
        if not name:
            problems.append(_problem(source, "ingest.unnamed_column", 1))
        if spec.feature_columns and name.startswith("_") and name not in known:
            problems.append(_problem(source, "ingest.reserved_column", 1, name=name))
    unknown = [c for c in source.columns if c and c not in known]
    if unknown and spec.extra_columns_as is None and not spec.feature_columns:
        problems.append(
            _problem(
                source,
                "ingest.unexpected_columns",
                1 if not source.is_parquet else None,
                unknown=_shown_names(unknown),
                kind=spec.name,
                known=", ".join(c.name for c in spec.columns),
            )
        )
    if problems:
        raise IngestError(problems)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal_path(path: Path) -> str:
    """The path as DuckDB's readers take it literally: its glob characters escaped.

    DuckDB expands `*`, `?` and `[...]` in a file name, so `ev[1].csv` would read `ev1.csv` and
    `ev*.csv` every file of the folder; each such character is written as a one-character class.
    """
    return "".join(f"[{c}]" if c in "[]*?" else c for c in str(path))


def _accepts_parquet_type(column: ColumnSpec, found: str) -> bool:
    """True when a Parquet column of type `found` is read as the column's type (exact types)."""
    accepted = _SOURCE_TYPES_ACCEPTED[column.type]
    return found in accepted or (found.startswith("DECIMAL(") and "DECIMAL" in accepted)


def _parquet_type_problems(source: _Source, spec: KindSpec) -> list[Problem]:
    """Every known column whose Parquet type is not one its column reads (lists, structs...).
    (A column DuckDB's reader adds itself, `file_row_number`, is refused when the file is read.)"""
    problems = [
        _problem(source, _PARQUET_TYPE_CODES[column.type], column=column.name, found=found)
        for column in spec.columns
        if (found := source.source_types.get(column.name)) is not None
        and not _accepts_parquet_type(column, found)
    ]
    return problems


def _column_ref(source: _Source, name: str) -> str:
    """SQL naming a file's column inside its relation (`_csv_relation`, `_parquet_relation`).

    A file's columns are read under positional names (`c0`, `c1`...), so no header, whatever it
    says (`_line`, `_file`...), can collide with the staging columns.
    """
    return _quote(f"c{source.columns.index(name)}")


def _trimmed_text(cell: str) -> str:
    """A text cell without surrounding spaces, NULL when empty.

    Trimming only the cells that start or end with a space is several times cheaper than
    trimming every cell of a large file.
    """
    return (
        f"nullif(CASE WHEN starts_with({cell}, ' ') OR ends_with({cell}, ' ') "
        f"THEN trim({cell}) ELSE {cell} END, '')"
    )


def _typed_expression(column: ColumnSpec, source: _Source) -> str:
    """SQL turning the raw column into its stored type; NULL where it cannot be read."""
    if column.name not in source.columns:
        return column.default or "NULL"
    source_type = source.source_types.get(column.name, "VARCHAR")
    raw = _column_ref(source, column.name)
    if column.type == ColumnType.TEXT:
        text = raw if source_type == "VARCHAR" else f"CAST({raw} AS VARCHAR)"
        typed = text = _trimmed_text(text)
    elif source_type != "VARCHAR":
        typed, text = _typed_from_parquet(column, raw, source_type), raw
    else:
        typed, text = _typed_from_text(column, raw), _trimmed_text(raw)
    # An empty cell of an optional column takes the default, in CSV and Parquet alike.
    if column.default is not None:
        typed = f"coalesce({typed}, CASE WHEN {text} IS NULL THEN {column.default} END)"
    return typed


def _typed_from_parquet(column: ColumnSpec, raw: str, source_type: str) -> str:
    """SQL reading a typed Parquet column; a zoned timestamp is converted to UTC, whatever the
    session's time zone (a cast to TIMESTAMP would use it)."""
    if source_type == "TIMESTAMP WITH TIME ZONE":
        utc = f"timezone('UTC', {raw})"
        return utc if column.type == ColumnType.TIMESTAMP else f"CAST({utc} AS {column.type.value})"
    return f"TRY_CAST({raw} AS {column.type.value})"


def _typed_from_text(column: ColumnSpec, raw: str) -> str:
    """SQL reading a text cell as the column's type: ISO forms and Japanese Excel's 2026/11/27.

    DuckDB's casts ignore surrounding spaces and give NULL for an empty cell, so the fast casts
    run on the cell as it is; the slower fallbacks (time-zone conversion, other date layouts)
    run only where they are needed. A timestamp followed by an offset, `Z` or a zone name
    (`+09:00`, `+09:00:30`, `JST`, `America/New_York`) is converted to UTC with DuckDB's ICU
    time zones, or is NULL (refused) when the zone is unknown. A date cell that carries a time
    zone is NULL here and refused by its own check (`ingest.zoned_date`): its UTC day may not be
    the day written.
    """
    if column.type == ColumnType.FLOAT:
        return f"TRY_CAST({raw} AS DOUBLE)"
    if column.type == ColumnType.COUNT:
        as_double = f"TRY_CAST({raw} AS DOUBLE)"
        # DuckDB rounds '6400.5' to 6401 when casting text to BIGINT: only whole values pass.
        return (
            f"CASE WHEN {as_double} = floor({as_double}) AND abs({as_double}) < 9e18 THEN "
            f"coalesce(TRY_CAST({raw} AS BIGINT), CAST({as_double} AS BIGINT)) END"
        )
    if column.type == ColumnType.TIMESTAMP:
        formats = ", ".join(f"'{f}'" for f in _TIMESTAMP_FORMATS)
        return (
            f"CASE WHEN {_has_zone(raw)} THEN CASE WHEN NOT {_impossible_offset(raw)} "
            f"THEN {_utc_from_zoned(raw)} END "
            f"ELSE coalesce(TRY_CAST({raw} AS TIMESTAMP), try_strptime(trim({raw}), [{formats}])) "
            "END"
        )
    return (
        f"CASE WHEN NOT {_has_zone(raw)} THEN coalesce(TRY_CAST({raw} AS DATE), "
        f"CAST(try_strptime(trim({raw}), '%Y/%m/%d') AS DATE)) END"
    )


def _utc_from_zoned(cell: str) -> str:
    """SQL: a zoned timestamp text as naive UTC, NULL when its zone is unknown.

    A space before a numeric offset (`09:00:00 +09:00`) is dropped: DuckDB reads the offset only
    right after the time.
    """
    joined = f"regexp_replace(trim({cell}), '\\s+([+-]\\d)', '\\1')"
    return f"timezone('UTC', TRY_CAST({joined} AS TIMESTAMPTZ))"


def _impossible_offset(cell: str) -> str:
    """SQL: the text ends with a numeric UTC offset no place uses (outside -12:00..+14:00, or
    minutes past 59); DuckDB would read `+25:00` as one day and one hour."""
    sign = f"regexp_extract({cell}, '{_OFFSET}', 3)"
    hours = f"TRY_CAST(regexp_extract({cell}, '{_OFFSET}', 4) AS INTEGER)"
    minutes = f"coalesce(TRY_CAST(regexp_extract({cell}, '{_OFFSET}', 5) AS INTEGER), 0)"
    total = f"(CASE WHEN {sign} = '-' THEN -1 ELSE 1 END) * ({hours} * 60 + {minutes})"
    low, high = _OFFSET_RANGE
    return (
        f"coalesce(regexp_matches({cell}, '{_OFFSET}') "
        f"AND ({minutes} > 59 OR {total} NOT BETWEEN {low} AND {high}), false)"
    )


def _clock_unreadable(cell: str) -> str:
    """SQL: the date and time before the zone cannot be read (`25:61:00+09:00`)."""
    return f"TRY_CAST(regexp_extract({cell}, '{_CLOCK}', 1) AS TIMESTAMP) IS NULL"


def _has_zone(cell: str) -> str:
    """SQL: the timestamp text ends with a UTC offset, Z or a time-zone name."""
    return f"regexp_matches(coalesce({cell}, ''), '{_HAS_ZONE}')"


def _needs_parsing(column: ColumnSpec, source: _Source) -> bool:
    """True when the file gives this column as text that must be parsed into its type."""
    return (
        column.name in source.columns
        and column.type != ColumnType.TEXT
        and source.source_types.get(column.name, "VARCHAR") == "VARCHAR"
    )


def _raw_text(column: ColumnSpec, source: _Source) -> str:
    """The cell as the file wrote it, kept only where parsing can fail (for the message)."""
    if not _needs_parsing(column, source):
        return "CAST(NULL AS VARCHAR)"
    return _trimmed_text(_column_ref(source, column.name))


def _csv_relation(source: _Source, file_index: int, numbered: bool) -> str:
    """One CSV file as text; `numbered` adds each record's line and the line breaks in its values.

    The file's columns are named `c0`, `c1`... (`_column_ref`). Numbering makes DuckDB read the
    file in order, at about half the speed, so a load first reads without it and numbers the
    records only to report problems. Malformed lines (too few or too many values, stray quotes)
    go to `rejects_<index>` with their line either way.
    """
    varchar_columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(source.columns)))
    rejects = f"rejects{'_numbered' if numbered else ''}_{file_index}"
    reader = (
        f"read_csv({_sql_string(_literal_path(source.read_path))}, header = true, "
        "all_varchar = true, delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
        f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan', "
        "null_padding = false, auto_detect = false, "
        f"columns = {{{varchar_columns}}})"
    )
    if not numbered:
        return f"(SELECT NULL::BIGINT AS _line, 0 AS _breaks, * FROM {reader})"
    breaks = " + ".join(
        f"CASE WHEN contains({c}, chr(10)) THEN length({c}) - length(replace({c}, chr(10), '')) "
        "ELSE 0 END"
        for c in (_column_ref(source, name) for name in source.columns)
    )
    return (
        f"(SELECT ordinality + {source.header_line} AS _line, ({breaks}) AS _breaks, "
        f"* EXCLUDE (ordinality) FROM {reader} WITH ORDINALITY)"
    )


def _parquet_relation(source: _Source) -> str:
    """One Parquet file with its columns named `c0`, `c1`... and its row numbers."""
    renamed = ", ".join(f"{_quote(name)} AS {_column_ref(source, name)}" for name in source.columns)
    reader = f"read_parquet({_sql_string(_literal_path(source.read_path))}, file_row_number = true)"
    return f"(SELECT {renamed}, file_row_number FROM {reader})"


def _typed_select(source: _Source, spec: KindSpec, file_index: int, numbered: bool) -> str:
    """The SELECT giving one file's rows in the staging shape.

    Columns: `_file`, `_line`, each column typed, `_raw_<column>` (the cell as written, kept only
    where it could not be read, for the message), `_zoned_<column>` for timestamps and dates
    written as text, the extra columns as JSON where the kind keeps them, and `_key_hash`, one
    64-bit hash of the natural key (repeats are looked for on it, which is far cheaper than on
    the key); NULL where a key column is empty (an event without an event_id has no key).
    """
    parts = [f"{file_index} AS _file"]
    if source.is_parquet:
        parts += ["file_row_number + 1 AS _line", "0 AS _breaks"]
        relation = _parquet_relation(source)
    else:
        parts += ["_line", "_breaks"]
        relation = _csv_relation(source, file_index, numbered)
    cells, kept_cells = [], []
    for column in spec.columns:
        name = _quote(column.name)
        cell = _quote("_cell_" + column.name)
        parts.append(f"{_typed_expression(column, source)} AS {name}")
        parts.append(f"{_raw_text(column, source)} AS {cell}")
        cells.append(cell)
        kept_cells.append(
            f"CASE WHEN {name} IS NULL THEN {cell} END AS {_quote('_raw_' + column.name)}"
        )
        if column.type in (ColumnType.TIMESTAMP, ColumnType.DATE):
            zoned = (
                _has_zone(_column_ref(source, column.name))
                if _needs_parsing(column, source)
                else "false"
            )
            parts.append(f"{zoned} AS {_quote('_zoned_' + column.name)}")
    if spec.extra_columns_as:
        known = {c.name for c in spec.columns}
        extras = [c for c in source.columns if c not in known]
        if extras:
            pairs = ", ".join(
                f"{_sql_string(c)}, CAST({_column_ref(source, c)} AS VARCHAR)" for c in extras
            )
            parts.append(f"CAST(json_object({pairs}) AS JSON) AS {_quote(spec.extra_columns_as)}")
        else:
            parts.append(f"CAST(NULL AS JSON) AS {_quote(spec.extra_columns_as)}")
    keys = [_quote(k) for k in spec.key_columns]
    any_null = " OR ".join(f"{k} IS NULL" for k in keys)
    key_hash = f"CASE WHEN {any_null} THEN NULL ELSE hash({', '.join(keys)}) END AS _key_hash"
    return (
        f"SELECT * EXCLUDE ({', '.join(cells)}), {', '.join(kept_cells)}, {key_hash} "
        f"FROM (SELECT {', '.join(parts)} FROM {relation})"
    )


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _run_with_progress(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[object],
    report: Callable[[float | None], None] | None,
) -> None:
    """Execute one statement; while it runs, report DuckDB's own progress estimate."""
    if report is None:
        con.execute(sql, params)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql, params)
        except BaseException as error:
            failure.append(error)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    started = time.monotonic()
    try:
        while worker.is_alive():
            worker.join(0.25)
            if worker.is_alive() and time.monotonic() - started > 1.0:
                fraction = con.query_progress()
                report(fraction / 100 if fraction is not None and fraction >= 0 else None)
    except KeyboardInterrupt:
        # Ctrl-C reaches this thread, not the worker: stop the query before the caller rolls back
        # on the same connection (two threads on one connection abort the process).
        con.interrupt()
        worker.join()
        raise
    if failure:
        raise failure[0]


@dataclass(frozen=True)
class _RowCheck:
    """A row-level rule: rows matching `condition` are bad for the reason `code` names.

    `value` is SQL for the cell the explanation quotes (None when it quotes none); `more` names
    SQL for its other per-row values; `constants` are the explanation's other values, the same
    for every row.
    """

    column: str | None
    condition: str
    code: IngestCode
    value: str | None = None
    constants: Mapping[str, object] = field(default_factory=dict, hash=False)
    more: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DateLimits:
    """The dates and timestamps a load accepts.

    By default a day from 1970-01-01 to tomorrow (UTC, by the caller's clock): a later day is a
    clock or unit error that would move every KPI's evaluation day. `allow_future` lifts both
    ends but still refuses what no calendar holds: infinity, years after 9999, BC dates.

    Attributes:
        today: the UTC day of the load, from the injected clock.
        allow_future: accept any day from 0001-01-01 to 9999-12-31.
    """

    today: dt.date
    allow_future: bool = False

    @property
    def first(self) -> dt.date:
        return dt.date(1970, 1, 1)

    @property
    def last(self) -> dt.date:
        """The last day accepted without `allow_future`: tomorrow."""
        return self.today + dt.timedelta(days=1)


_RANGE_END = dt.date(2100, 12, 31)


def _date_checks(column: ColumnSpec, limits: DateLimits) -> list[_RowCheck]:
    """Days no calendar holds, always; with `limits`, days before 1970, after 2100 or after
    tomorrow (each its own message, so that the way out is the right one)."""
    name = _quote(column.name)
    shown = f"CAST({name} AS VARCHAR)"
    possible = f"isfinite({name}) AND {name} >= DATE '0001-01-01' AND {name} < DATE '10000-01-01'"
    checks = [
        _RowCheck(
            column.name,
            f"{name} IS NOT NULL AND NOT ({possible})",
            "ingest.date_impossible",
            value=shown,
        )
    ]
    if limits.allow_future:
        return checks
    checks.append(
        _RowCheck(
            column.name,
            f"{name} IS NOT NULL AND ({possible}) AND ({name} < DATE '{limits.first}' "
            f"OR {name} >= DATE '{_RANGE_END + dt.timedelta(days=1)}')",
            "ingest.date_out_of_range",
            value=shown,
            constants={"first": limits.first.isoformat(), "end": _RANGE_END.isoformat()},
        )
    )
    checks.append(
        _RowCheck(
            column.name,
            f"{name} >= DATE '{limits.last + dt.timedelta(days=1)}' "
            f"AND {name} < DATE '{_RANGE_END + dt.timedelta(days=1)}'",
            "ingest.date_too_late",
            value=shown,
            constants={"tomorrow": limits.last.isoformat()},
        )
    )
    return checks


def _readability_checks(column: ColumnSpec) -> list[_RowCheck]:
    """A cell that cannot be read as its type; a zoned cell whose zone is unknown, and a date
    given as a zoned time, each with its own message."""
    name, raw = _quote(column.name), _quote("_raw_" + column.name)
    unread = f"{raw} IS NOT NULL AND {name} IS NULL"
    if column.type not in (ColumnType.TIMESTAMP, ColumnType.DATE):
        return [_RowCheck(column.name, unread, _UNREADABLE_CODES[column.type], value=raw)]
    zoned = _quote("_zoned_" + column.name)
    unreadable = _UNREADABLE_CODES[column.type]
    if column.type == ColumnType.DATE:
        more = (("utc_date", f"CAST(CAST({_utc_from_zoned(raw)} AS DATE) AS VARCHAR)"),)
        return [
            _RowCheck(column.name, f"{unread} AND NOT {zoned}", unreadable, raw),
            _RowCheck(column.name, f"{unread} AND {zoned}", "ingest.zoned_date", raw, more=more),
        ]
    # What follows the time is read as a zone; each way it can fail has its own message, the
    # first that applies: a BC era, an offset no place uses, an unreadable date or clock, and
    # otherwise an unknown zone.
    bc = f"regexp_matches({raw}, '{_BC_ERA}')"
    offset = _impossible_offset(raw)
    clock = _clock_unreadable(raw)
    return [
        _RowCheck(column.name, f"{unread} AND NOT {zoned}", unreadable, raw),
        _RowCheck(column.name, f"{unread} AND {zoned} AND {bc}", "ingest.date_impossible", raw),
        _RowCheck(
            column.name,
            f"{unread} AND {zoned} AND NOT {bc} AND {offset}",
            "ingest.impossible_offset",
            raw,
        ),
        _RowCheck(
            column.name,
            f"{unread} AND {zoned} AND NOT {bc} AND NOT {offset} AND {clock}",
            unreadable,
            raw,
        ),
        _RowCheck(
            column.name,
            f"{unread} AND {zoned} AND NOT {bc} AND NOT {offset} AND NOT {clock}",
            "ingest.unknown_time_zone",
            raw,
        ),
    ]


def _row_checks(spec: KindSpec, limits: DateLimits) -> list[_RowCheck]:
    checks = []
    for column in spec.columns:
        name, raw = _quote(column.name), _quote("_raw_" + column.name)
        # An optional key (an event's event_id) may be empty: that row has no key.
        if column.required:
            checks.append(
                _RowCheck(
                    column.name,
                    f"{raw} IS NULL AND {name} IS NULL",
                    "ingest.empty_key" if column.key else "ingest.empty_value",
                )
            )
        if column.type != ColumnType.TEXT:
            checks.extend(_readability_checks(column))
        if column.type in (ColumnType.TIMESTAMP, ColumnType.DATE):
            checks.extend(_date_checks(column, limits))
        if column.type == ColumnType.FLOAT:
            checks.append(
                _RowCheck(
                    column.name, f"{name} IS NOT NULL AND NOT isfinite({name})", "ingest.not_finite"
                )
            )
        if column.non_negative:
            checks.append(_RowCheck(column.name, f"{name} < 0", "ingest.negative"))
    if spec.name == "online_metrics":
        metrics = ", ".join(_sql_string(m) for m in sorted(COUNT_METRICS))
        checks.append(
            _RowCheck("value", f"metric IN ({metrics}) AND value < 0", "ingest.negative_count")
        )
    if spec.name == "models":
        stages = ", ".join(_sql_string(s) for s in MODEL_STAGES)
        checks.append(
            _RowCheck(
                "stage",
                f"stage NOT IN ({stages})",
                "ingest.unknown_stage",
                value="stage",
                constants={"stages": ", ".join(MODEL_STAGES)},
            )
        )
        checks.append(
            _RowCheck("retired_at", "retired_at <= deployed_at", "ingest.retired_before_deployed")
        )
    for column in (c for c in spec.columns if c.choices):
        choices = ", ".join(_sql_string(c) for c in column.choices)
        checks.append(
            _RowCheck(
                column.name,
                f"{_quote(column.name)} NOT IN ({choices})",
                "ingest.unknown_choice",
                value=_quote(column.name),
                constants={"choices": ", ".join(column.choices)},
            )
        )
    if spec.model_column:
        model = _quote(spec.model_column)
        checks.append(
            _RowCheck(
                spec.model_column,
                f"{model} IS NOT NULL AND {model} NOT IN (SELECT model_id FROM models)",
                "ingest.unknown_model",
                value=model,
            )
        )
    return checks


class _Collector:
    """Gathers problems across checks and files, keeping the first few of each and a total."""

    def __init__(self, sources: list[_Source]) -> None:
        self.sources = sources
        self.problems: list[Problem] = []
        self.total = 0

    def add_rows(
        self,
        rows: list[tuple[object, ...]],
        column: str | None,
        count: int,
        code: IngestCode,
        names: tuple[str, ...] = (),
        constants: Mapping[str, object] | None = None,
    ) -> None:
        """Add `count` problems of one check, of which `rows` are located.

        Each row is (file index, line, *values): the values are named by `names`, and the
        explanation also takes `constants`.
        """
        self.total += count
        for file_index, line, *values in rows:
            source = self.sources[int(str(file_index))]
            self.problems.append(
                _problem(
                    source,
                    code,
                    None if line is None else int(str(line)),
                    column,
                    **dict(zip(names, values, strict=True)),
                    **(constants or {}),
                )
            )

    def add(self, problem: Problem) -> None:
        self.total += 1
        self.problems.append(problem)

    @property
    def any(self) -> bool:
        """True when a check failed (even where its rows could not be located yet)."""
        return self.total > 0


def _check_rejects(
    con: duckdb.DuckDBPyConnection, sources: list[_Source], found: _Collector
) -> None:
    for index, source in enumerate(sources):
        if source.is_parquet:
            continue
        # DuckDB rejects a short line once per missing value: report each line once.
        rows = con.execute(
            f"SELECT DISTINCT ON (line) line, column_name, error_type, error_message "
            f"FROM rejects_{index} ORDER BY line, column_idx LIMIT {MAX_PROBLEMS_SHOWN}"
        ).fetchall()
        count = one_row(
            con.execute(f"SELECT count(DISTINCT line) FROM rejects_{index}").fetchone()
        )[0]
        encoding_rejects = one_row(
            con.execute(
                f"SELECT count(*) FROM rejects_{index} WHERE error_type = 'INVALID ENCODING'"
            ).fetchone()
        )[0]
        if encoding_rejects and source.encoding == "utf-8" and not source.encoding_given:
            # Raises for a file that mixes encodings; otherwise it is CP932 throughout.
            raise _ReadAgainAs(index, _classify_non_utf8(source.original_path, source.display_name))
        found.total += max(count - len(rows), 0)
        for line, column, error_type, error_message in rows:
            found.add(
                _reject_problem(
                    source, int(line), column or None, str(error_type), str(error_message)
                )
            )


def _reject_problem(
    source: _Source, line: int, column: str | None, error_type: str, error_message: str
) -> Problem:
    """A line DuckDB's reader rejected: its reason, with the counts of values when it gives them
    (`expected`, `found`) and its own message (`detail`) otherwise."""
    counted = _COLUMN_COUNTS.search(error_message)
    details: dict[str, object] = (
        {"expected": int(counted.group(1)), "found": int(counted.group(2))}
        if counted
        else {"detail": error_message}
    )
    code = _REJECT_CODES.get(error_type)
    if code is None:
        return _problem(
            source, "ingest.unreadable_line", line, column, error_type=error_type.lower(), **details
        )
    return _problem(source, code, line, column, **details)


def _count_line_breaks_in_values(con: duckdb.DuckDBPyConnection) -> None:
    """Make `_line` the file's line when quoted values hold line breaks (Alt+Enter in Excel).

    The reader numbers records; each line break inside an earlier record's value pushes the
    following records one line further down the file.
    """
    if not one_row(con.execute("SELECT bool_or(_breaks > 0) FROM stage").fetchone())[0]:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stage AS SELECT * REPLACE (_line + coalesce(sum(_breaks) "
        "OVER (PARTITION BY _file ORDER BY _line ROWS BETWEEN UNBOUNDED PRECEDING AND 1 "
        "PRECEDING), 0) AS _line) FROM stage"
    )


@dataclass(frozen=True)
class _StageSummary:
    """What one scan of `stage` tells: rows, repeated key hashes, and rows failing each check."""

    rows: int
    repeated_hashes: int
    failing: tuple[int, ...]


def _summarise_stage(con: duckdb.DuckDBPyConnection, checks: list[_RowCheck]) -> _StageSummary:
    """Count rows, repeats and every row check in a single scan (the file is read once)."""
    failing = "".join(f", count(*) FILTER (WHERE {c.condition})" for c in checks)
    row = con.execute(
        f"SELECT count(*), count(_key_hash) - count(DISTINCT _key_hash){failing} FROM stage"
    ).fetchone()
    row = one_row(row)
    return _StageSummary(int(row[0]), int(row[1]), tuple(int(c) for c in row[2:]))


def _check_rows(
    con: duckdb.DuckDBPyConnection,
    checks: list[_RowCheck],
    failing: tuple[int, ...],
    found: _Collector,
) -> None:
    for check, count in zip(checks, failing, strict=True):
        if not count:
            continue
        value = f", {check.value}" if check.value else ""
        value += "".join(f", {sql}" for _, sql in check.more)
        rows = con.execute(
            f"SELECT _file, _line{value} FROM stage "
            f"WHERE {check.condition} ORDER BY _file, _line LIMIT {MAX_PROBLEMS_SHOWN}"
        ).fetchall()
        names = (("value",) if check.value else ()) + tuple(n for n, _ in check.more)
        found.add_rows(rows, check.column, count, check.code, names, check.constants)


def _check_time_zones(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, sources: list[_Source], found: _Collector
) -> None:
    for column in (c for c in spec.columns if c.type == ColumnType.TIMESTAMP):
        zoned = _quote("_zoned_" + column.name)
        rows = con.execute(
            f"SELECT _file, count(*) FILTER (WHERE {zoned}), count(*) FILTER (WHERE NOT {zoned}), "
            f"min(_line) FILTER (WHERE {zoned}), min(_line) FILTER (WHERE NOT {zoned}) "
            f"FROM stage WHERE {_quote(column.name)} IS NOT NULL GROUP BY _file ORDER BY _file"
        ).fetchall()
        for file_index, with_zone, without_zone, first_zoned, first_plain in rows:
            if with_zone and without_zone:
                found.add(
                    _problem(
                        sources[file_index],
                        "ingest.mixed_time_zones",
                        None if first_zoned is None else max(first_zoned, first_plain),
                        column.name,
                        zoned_line=first_zoned,
                        plain_line=first_plain,
                    )
                )


def _value_columns(spec: KindSpec) -> list[str]:
    names = [c.name for c in spec.columns if not c.key]
    if spec.extra_columns_as:
        names.append(spec.extra_columns_as)
    return names


def _key_match(left: str, right: str, spec: KindSpec) -> str:
    return " AND ".join(f"{left}.{_quote(k)} = {right}.{_quote(k)}" for k in spec.key_columns)


def _differs(left: str, right: str, spec: KindSpec) -> str:
    parts = []
    for name in _value_columns(spec):
        column = _quote(name)
        if name == spec.extra_columns_as:
            parts.append(
                f"{_canonical_json(f'{left}.{column}')} IS DISTINCT FROM "
                f"{_canonical_json(f'{right}.{column}')}"
            )
        else:
            parts.append(f"{left}.{column} IS DISTINCT FROM {right}.{column}")
    return "(" + " OR ".join(parts) + ")" if parts else "false"


def _canonical_json(value: str) -> str:
    """SQL: a JSON object as text with its keys sorted, so that the same attributes written in
    another column order compare equal; any other JSON value as its text."""
    entries = f"list_sort(map_entries(CAST({value} AS MAP(VARCHAR, JSON))))"
    return (
        f"CASE WHEN json_type({value}) = 'OBJECT' THEN CAST(to_json({entries}) AS VARCHAR) "
        f"ELSE CAST({value} AS VARCHAR) END"
    )


def _key_text(alias: str, spec: KindSpec) -> str:
    return " || ', ' || ".join(
        f"'{k}=' || CAST({alias}.{_quote(k)} AS VARCHAR)" for k in spec.key_columns
    )


def _check_duplicates(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, repeated_hashes: int, found: _Collector
) -> int:
    """Conflicting repeats of a key inside the input; returns how many exact repeats there are.

    Grouping on one 64-bit hash of the key is much cheaper than on the key's columns; the few
    hash groups with more than one row are then compared exactly (a hash collision is not a
    repeat).
    """
    keys = ", ".join(_quote(k) for k in spec.key_columns)
    if not repeated_hashes:
        return 0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE repeated AS SELECT * FROM stage WHERE _key_hash IN "
        "(SELECT _key_hash FROM stage GROUP BY _key_hash HAVING count(*) > 1)"
    )
    values = ", ".join(
        _canonical_json(_quote(v)) if v == spec.extra_columns_as else _quote(v)
        for v in _value_columns(spec)
    )
    distinct_values = f"count(DISTINCT ({values}))" if values else "1"
    summary = con.execute(
        f"SELECT sum(copies - 1) FILTER (WHERE copies > 1), "
        f"count(*) FILTER (WHERE versions > 1) FROM (SELECT count(*) AS copies, "
        f"{distinct_values} AS versions FROM repeated GROUP BY {keys})"
    ).fetchone()
    summary = one_row(summary)
    repeats, conflicting = summary[0] or 0, summary[1] or 0
    if conflicting:
        rows = con.execute(
            f"SELECT a._file, b._line, {_key_text('a', spec)}, a._line "
            f"FROM repeated a JOIN repeated b ON {_key_match('a', 'b', spec)} "
            f"AND (a._file, a._line) < (b._file, b._line) AND {_differs('a', 'b', spec)} "
            f"ORDER BY b._file, b._line LIMIT {MAX_PROBLEMS_SHOWN}"
        ).fetchall()
        found.add_rows(rows, None, conflicting, "ingest.key_repeated", ("row_key", "first_line"))
    return int(repeats)


def _check_conflicts_with_store(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, found: _Collector
) -> None:
    table = _quote(spec.table)
    if not one_row(con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone())[0]:
        return
    condition = f"{_key_match('s', 't', spec)} AND {_differs('s', 't', spec)}"
    count = one_row(
        con.execute(f"SELECT count(*) FROM stage s JOIN {table} t ON {condition}").fetchone()
    )[0]
    if not count:
        return
    rows = con.execute(
        f"SELECT s._file, s._line, {_key_text('s', spec)} FROM stage s JOIN {table} t "
        f"ON {condition} "
        f"ORDER BY s._file, s._line LIMIT {MAX_PROBLEMS_SHOWN}"
    ).fetchall()
    found.add_rows(rows, None, count, "ingest.key_stored", ("row_key",))


def _check_live_versions(
    con: duckdb.DuckDBPyConnection, found: _Collector, sources: list[_Source]
) -> None:
    """A family has one production version on any day: production periods must not overlap."""
    rows = con.execute(
        "WITH candidate AS ("
        " SELECT model_id, family, deployed_at, retired_at, _file, _line FROM stage"
        " WHERE stage = 'production'"
        " UNION ALL SELECT model_id, family, deployed_at, retired_at, NULL, NULL FROM models"
        " WHERE stage = 'production' AND model_id NOT IN (SELECT model_id FROM stage))"
        # Name the input row of the pair: either model may be the one already stored.
        " SELECT coalesce(b._file, a._file) AS f, coalesce(b._line, a._line) AS l,"
        " a.model_id, b.model_id, b.family FROM candidate a JOIN candidate b"
        " ON a.family = b.family AND a.model_id < b.model_id"
        " AND a.deployed_at < coalesce(b.retired_at, TIMESTAMP '9999-12-31')"
        " AND b.deployed_at < coalesce(a.retired_at, TIMESTAMP '9999-12-31')"
        " ORDER BY f NULLS LAST, l LIMIT 5"
    ).fetchall()
    for file_index, line, first, second, family in rows:
        index = file_index if file_index is not None else 0
        found.add(
            _problem(
                sources[index],
                "ingest.production_overlap",
                line,
                "deployed_at",
                first=first,
                second=second,
                family=family,
            )
        )


def _drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the staging table or view, if there is one.

    Done inside the transaction: left to the connection's close, freeing a large temporary table
    takes about as long as a second insert.
    """
    previous = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'stage'"
    ).fetchone()
    if previous:
        con.execute(f"DROP {'VIEW' if previous[0] == 'VIEW' else 'TABLE'} stage")


def _stage_files(
    con: duckdb.DuckDBPyConnection,
    sources: list[_Source],
    spec: KindSpec,
    on_progress: ProgressCallback | None,
    numbered: bool,
) -> None:
    """Make `stage`: every input row, typed, with its file, line and the cells it came from.

    Parquet alone is read straight from the files (a view: their columns are typed and cheap to
    scan again, and they carry row numbers); with CSV the text is parsed once, into a temporary
    table, so the checks and the insert do not parse it again.
    """
    _drop_stage(con)
    union = " UNION ALL BY NAME ".join(
        _typed_select(source, spec, index, numbered) for index, source in enumerate(sources)
    )
    if all(source.is_parquet for source in sources):
        con.execute(f"CREATE TEMP VIEW stage AS {union}")
        return
    names = ", ".join(s.display_name for s in sources)
    report = None
    if on_progress:
        step = "reading" if not numbered else "locating"
        on_progress(IngestProgress(names, step, 0.0))

        def report(fraction: float | None) -> None:
            on_progress(IngestProgress(names, step, fraction))

    try:
        _run_with_progress(con, f"CREATE TEMP TABLE stage AS {union}", [], report)
    except duckdb.Error as error:
        blamed = _blame_unreadable(con, sources, spec)
        if blamed is not None:
            raise blamed from error
        first_csv = next(s for s in sources if not s.is_parquet)
        raise IngestError([_problem(first_csv, "ingest.not_csv", error=_reason(error))]) from error


def _prepare_sources(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    names: Sequence[str],
    spec: KindSpec,
    encoding: str | None,
) -> list[_Source]:
    """Every file checked as a file (readable, its encoding, its header or schema); the problems
    of all files are reported together. A refusal, or an interruption, leaves no temporary copy."""
    sources: list[_Source] = []
    problems: list[Problem] = []
    try:
        for path, name in zip(paths, names, strict=True):
            try:
                problems.extend(_prepare_one(con, path, name, spec, encoding, sources))
            except OSError as error:
                reason = error.strerror or str(error)
                problems.append(
                    Problem(name, None, None, "ingest.unreadable_file", {"reason": reason})
                )
    except BaseException:
        for source in sources:
            _cleanup(source)
        raise
    if problems:
        for source in sources:
            _cleanup(source)
        raise IngestError(problems)
    return sources


def _prepare_one(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    spec: KindSpec,
    encoding: str | None,
    sources: list[_Source],
) -> tuple[Problem, ...]:
    """Prepare one file, appending it to `sources`; returns its problems (none when it is ready)."""
    try:
        _check_readable(path, name)
        source = (
            _prepare_parquet(con, path, name, spec)
            if _is_parquet(path)
            else _prepare_csv(path, name, spec, encoding)
        )
    except IngestError as error:
        return error.problems
    sources.append(source)
    try:
        _check_columns(source, spec)
    except IngestError as error:
        sources.remove(source)
        _cleanup(source)
        return error.problems
    return ()


def _cleanup(source: _Source) -> None:
    if source.temporary:
        source.read_path.unlink(missing_ok=True)


def _blame_unreadable(
    con: duckdb.DuckDBPyConnection, sources: list[_Source], spec: KindSpec
) -> IngestError | None:
    """The file DuckDB failed on while reading the files together, found by reading each alone,
    with DuckDB's reason in one line; None when every file reads alone (the error is elsewhere).

    Reading several files in one statement names none of them when one fails (a damaged Parquet
    page, a timestamp beyond DuckDB's range): the message must blame the file that is at fault.
    """
    # A connection of its own: the command's transaction may be aborted by the failure.
    with con.cursor() as probe:
        for index, source in enumerate(sources):
            try:
                probe.execute(f"SELECT count(*) FROM ({_typed_select(source, spec, index, False)})")
            except duckdb.Error as alone:
                return IngestError(
                    [_problem(source, "ingest.unreadable_values", reason=_reason(alone))]
                )
    return None


def _insert_new_rows(
    con: duckdb.DuckDBPyConnection,
    spec: KindSpec,
    has_repeats: bool,
    keyed: bool,
    batch_ids: Sequence[int],
    parts: PendingParts,
) -> dict[int, int]:
    """Insert the rows the store lacks, each stamped with its file's batch; rows added by batch.

    A row without a key (an event without an event_id) is always new: identical events are real,
    repeated events. A keyed row is new when its key is not stored; of repeats inside the input
    the first (by file, then line) is kept. Predictions go to one Parquet part per file
    (data/prediction_parts.py), the same rows in the same order as the table would get them.
    """
    table = _quote(spec.table)
    columns = [c.name for c in spec.columns] + (
        [spec.extra_columns_as] if spec.extra_columns_as else []
    )
    column_list = ", ".join(_quote(c) for c in columns)
    source = "stage"
    if has_repeats:
        keys = ", ".join(_quote(k) for k in spec.key_columns)
        source = (
            f"((SELECT DISTINCT ON ({keys}) * FROM stage WHERE _key_hash IS NOT NULL "
            f"ORDER BY {keys}, _file, _line) "
            "UNION ALL BY NAME (SELECT * FROM stage WHERE _key_hash IS NULL))"
        )
    stored = one_row(con.execute(f"SELECT count(*) FROM {table}").fetchone())[0]
    new_only = (
        f"s._key_hash IS NULL OR NOT EXISTS "
        f"(SELECT 1 FROM {table} t WHERE {_key_match('s', 't', spec)})"
        if keyed and stored
        else ""
    )
    where = f" WHERE {new_only}" if new_only else ""
    if spec.table == STORED_IN_PARTS:
        order_by = ", ".join(_quote(c) for c in spec.insert_order)
        new_rows = f" AND ({new_only})" if new_only else ""
        return {
            batch_id: parts.write(
                con,
                f"SELECT {column_list}, {batch_id} AS batch_id FROM {source} s "
                f"WHERE s._file = {index}{new_rows}",
                batch_id,
                order_by,
            )
            for index, batch_id in enumerate(batch_ids)
        }
    batch = "CASE s._file " + " ".join(f"WHEN {i} THEN {b}" for i, b in enumerate(batch_ids))
    order = (
        " ORDER BY " + ", ".join(f"s.{_quote(c)}" for c in spec.insert_order)
        if spec.insert_order
        else ""
    )
    con.execute(
        f"INSERT INTO {table} ({column_list}, batch_id) "
        f"SELECT {column_list}, {batch} END FROM {source} s{where}{order}"
    )
    counted = con.execute(
        f"SELECT batch_id, count(*) FROM {table} WHERE batch_id >= ? GROUP BY batch_id",
        [min(batch_ids)],
    ).fetchall()
    return {int(b): int(n) for b, n in counted}


def content_hash(path: Path) -> str:
    """The sha256 of a file's bytes, hex: a load's identity (the same file loads once)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def ingest_files(
    settings: StoreSettings,
    kind: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    encoding: str | None = None,
    display_names: Sequence[str] | None = None,
    on_progress: ProgressCallback | None = None,
    actor: str | None = None,
    reason: str | None = None,
    clock: Clock = system_clock,
    allow_future: bool = False,
) -> IngestResult:
    """Validate and load files of one kind, all or nothing, in one transaction.

    Each file is recorded as a batch in `load_batches` (its sha256, the rows it added, who,
    when); a file of a kind without a natural key (events) whose bytes were loaded before is
    skipped and named in `IngestResult.already_loaded`. Dates and timestamps after tomorrow (by
    `clock`, UTC) or outside 1970-2100 are refused unless `allow_future`.

    Raises:
        IngestError: any file is unreadable or holds a bad row; the store is unchanged.
        YardstickError: the kind is unknown (`ingest.unknown_kind`).
    """
    if kind not in KINDS:
        raise YardstickError("ingest.unknown_kind", kind=kind, kinds=", ".join(KINDS))
    spec = KINDS[kind]
    started = time.monotonic()
    file_paths = [Path(p) for p in paths]
    names = list(display_names) if display_names else [str(p) for p in paths]
    context = _LoadContext(
        spec, DateLimits(today(clock), allow_future), clock, actor or current_actor(), reason
    )
    remove_stale_temp_files()
    with connect(settings) as con:
        # Rows carry their own file and line; without ordered inserts DuckDB writes the new rows
        # in parallel as it goes instead of at close (about a second per 10M rows).
        con.execute("SET preserve_insertion_order = false")
        sources = _prepare_sources(con, file_paths, names, spec, encoding)
        if spec.feature_columns:
            # The prediction files' own feature columns widen the kind for this load.
            widened = with_features(con, spec, [_feature_file(source) for source in sources])
            context = replace(context, spec=widened)
        try:
            hashes = [content_hash(source.original_path) for source in sources]
            outcome = _load_in_transaction(
                con, settings.path, context, sources, hashes, on_progress
            )
        except duckdb.Error as error:
            # A full disk or a read-only file is said as such, with the store's name; a file
            # DuckDB cannot read is named.
            fault = write_fault(error, settings.path) or _blame_unreadable(
                con, sources, context.spec
            )
            if fault is None:
                raise
            raise fault from error
        finally:
            for source in sources:
                _cleanup(source)
    return IngestResult(
        kind,
        tuple(names),
        outcome.rows_read,
        outcome.new_rows,
        outcome.already_present,
        time.monotonic() - started,
        outcome.batches,
        outcome.already_loaded,
    )


def _feature_file(source: _Source) -> FeatureFile:
    return FeatureFile(
        source.display_name,
        source.read_path,
        source.is_parquet,
        tuple(source.columns),
        dict(source.source_types),
    )


@dataclass(frozen=True)
class _LoadContext:
    """What every step of one load needs besides the connection and the files."""

    spec: KindSpec
    limits: DateLimits
    clock: Clock
    actor: str
    reason: str | None


@dataclass(frozen=True)
class _LoadOutcome:
    rows_read: int
    new_rows: int
    already_present: int
    batches: tuple[LoadedBatch, ...]
    already_loaded: tuple[AlreadyLoaded, ...]


def _load_in_transaction(
    con: duckdb.DuckDBPyConnection,
    store_path: Path,
    context: _LoadContext,
    sources: list[_Source],
    hashes: list[str],
    on_progress: ProgressCallback | None,
) -> _LoadOutcome:
    """`_load` in one transaction, read again from the start when a file proves to be CP932."""
    while True:
        parts = PendingParts(store_path, context.clock)
        if context.spec.table == STORED_IN_PARTS:
            remove_orphans(con, store_path)
        con.execute("BEGIN TRANSACTION")
        try:
            result = _load(con, context, sources, hashes, on_progress, parts)
            commit(con, store_path)
            parts.committed()
            return result
        except _ReadAgainAs as again:
            rollback_quietly(con)
            parts.abandoned()
            stale = sources[again.file_index]
            fresh = _prepare_csv(
                stale.original_path, stale.display_name, context.spec, again.encoding
            )
            _check_columns(fresh, context.spec)
            _cleanup(stale)
            sources[again.file_index] = fresh
        except BaseException:
            rollback_quietly(con)
            parts.abandoned()
            raise


def _find_problems(
    con: duckdb.DuckDBPyConnection, context: _LoadContext, sources: list[_Source], keyed: bool
) -> tuple[_Collector, int, int]:
    """Every check on `stage`; returns the problems, the rows read and the exact repeats."""
    spec = context.spec
    found = _Collector(sources)
    checks = _row_checks(spec, context.limits)
    summary = _summarise_stage(con, checks)
    repeats = 0
    if summary.rows == 0:
        found.add(_problem(sources[0], "ingest.no_rows"))
    if not found.any:
        _check_rows(con, checks, summary.failing, found)
        _check_time_zones(con, spec, sources, found)
    if not found.any and keyed:
        repeats = _check_duplicates(con, spec, summary.repeated_hashes, found)
        _check_conflicts_with_store(con, spec, found)
    if not found.any and spec.name == "models":
        _check_live_versions(con, found, sources)
    return found, summary.rows, repeats


def _already_loaded(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, sources: list[_Source], hashes: list[str]
) -> dict[int, AlreadyLoaded]:
    """Files of a kind without a natural key whose bytes were loaded before (and not deleted),
    or appear earlier in the same command: by index in `sources`."""
    if spec.has_natural_key:
        return {}
    found: dict[int, AlreadyLoaded] = {}
    first_in_command: dict[str, int] = {}
    for index, digest in enumerate(hashes):
        row = con.execute(
            "SELECT batch_id, rows, loaded_at FROM load_batches WHERE kind = ? "
            "AND content_hash = ? AND deleted_at IS NULL ORDER BY batch_id LIMIT 1",
            [spec.name, digest],
        ).fetchone()
        if row is not None:
            found[index] = AlreadyLoaded(sources[index].display_name, int(row[0]), int(row[1]))
        elif digest in first_in_command:
            found[index] = AlreadyLoaded(
                sources[index].display_name, None, 0, sources[first_in_command[digest]].display_name
            )
        else:
            first_in_command[digest] = index
    return found


def _record_batches(
    con: duckdb.DuckDBPyConnection,
    context: _LoadContext,
    sources: list[_Source],
    hashes: list[str],
    batch_ids: list[int],
    added: Mapping[int, int],
    loaded_at: dt.datetime,
) -> tuple[LoadedBatch, ...]:
    """One `load_batches` row per loaded file: what it added, who loaded it and when."""
    batches = tuple(
        LoadedBatch(source.display_name, batch_id, added.get(batch_id, 0))
        for source, batch_id in zip(sources, batch_ids, strict=True)
    )
    for batch, digest in zip(batches, hashes, strict=True):
        con.execute(
            "INSERT INTO load_batches (batch_id, kind, file_name, content_hash, rows, actor, "
            "loaded_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch.batch_id,
                context.spec.name,
                batch.file,
                digest,
                batch.rows,
                context.actor,
                loaded_at,
                context.reason,
            ],
        )
    return batches


def _stage_and_check(
    con: duckdb.DuckDBPyConnection,
    context: _LoadContext,
    sources: list[_Source],
    on_progress: ProgressCallback | None,
    keyed: bool,
) -> tuple[int, int]:
    """Stage the files and run every check; returns rows read and exact repeats.

    Raises:
        IngestError: a problem was found (located by line where the files are CSV).
    """
    if context.spec.feature_columns:
        # A new feature's column, added in the load's transaction: a refused load adds none.
        add_feature_columns(con, context.spec)
    _stage_files(con, sources, context.spec, on_progress, numbered=False)
    rejected = _Collector(sources)
    _check_rejects(con, sources, rejected)
    if rejected.any:
        raise IngestError(rejected.problems, rejected.total)
    if on_progress:
        on_progress(IngestProgress(sources[-1].display_name, "checking", None))
    found, rows_read, repeats = _find_problems(con, context, sources, keyed)
    if found.any and any(not source.is_parquet for source in sources):
        # Read the CSV again with its lines numbered, to say where each problem is.
        _stage_files(con, sources, context.spec, on_progress, numbered=True)
        _count_line_breaks_in_values(con)
        found, rows_read, repeats = _find_problems(con, context, sources, keyed)
    if found.any:
        raise IngestError(found.problems, found.total)
    return rows_read, repeats


def _load(
    con: duckdb.DuckDBPyConnection,
    context: _LoadContext,
    sources: list[_Source],
    hashes: list[str],
    on_progress: ProgressCallback | None,
    parts: PendingParts,
) -> _LoadOutcome:
    spec = context.spec
    loaded_at = context.clock()
    skipped = _already_loaded(con, spec, sources, hashes)
    positions = [i for i in range(len(sources)) if i not in skipped]
    active = [sources[i] for i in positions]
    # A kind whose key is optional (events' event_id) is keyed only when a file has the column.
    keyed = any(all(k in s.columns for k in spec.key_columns) for s in active)
    rows_read = repeats = new_rows = 0
    batches: tuple[LoadedBatch, ...] = ()
    if active:
        try:
            rows_read, repeats = _stage_and_check(con, context, active, on_progress, keyed)
        except _ReadAgainAs as again:
            raise _ReadAgainAs(positions[again.file_index], again.encoding) from None
        if on_progress:
            on_progress(IngestProgress(active[-1].display_name, "writing", None))
        batch_ids = [
            int(one_row(con.execute("SELECT nextval('load_batch_id')").fetchone())[0])
            for _ in active
        ]
        added = _insert_new_rows(con, spec, repeats > 0, keyed, batch_ids, parts)
        batches = _record_batches(
            con, context, active, [hashes[i] for i in positions], batch_ids, added, loaded_at
        )
        new_rows = sum(added.values())
        _drop_stage(con)
    already_loaded = tuple(skipped[i] for i in sorted(skipped))
    write_audit(
        con,
        "ingest",
        spec.table,
        {
            "files": [s.display_name for s in sources],
            "rows_read": rows_read,
            "new_rows": new_rows,
            "encodings": [s.encoding for s in active],
            "batches": [b.batch_id for b in batches],
            "already_loaded": [{"file": a.file, "batch_id": a.batch_id} for a in already_loaded],
        },
        context.reason,
        context.actor,
        at=loaded_at,
    )
    already_present = rows_read - new_rows + sum(a.rows for a in already_loaded)
    return _LoadOutcome(
        rows_read + sum(a.rows for a in already_loaded),
        new_rows,
        already_present,
        batches,
        already_loaded,
    )

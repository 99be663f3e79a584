"""The input features of a predictions file: which columns they are, their types, their columns.

A predictions file holds the known columns (ts, model_id, request_id, score, served_by,
latency_ms, label) and any number of other columns: the model's inputs. Each feature is stored as a
column of its own in `predictions`, named as in the file, so DuckDB compresses it on its own
(see data/migrations/005_monitoring.sql). A feature is numeric (DOUBLE) or categorical (VARCHAR):
  - a feature the store already holds keeps its stored type (a number in a categorical feature is
    kept as text; text in a numeric feature is refused at its line and column);
  - a new feature from Parquet is numeric when the file stores it as a number, else categorical;
  - a new feature from CSV is numeric when every non-empty cell of every file reads as a number.
A new feature's column is added inside the load's transaction, so a refused load adds none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.errors import YardstickError
from core.vocab import FeatureType
from data.kinds import ColumnSpec, ColumnType, KindSpec
from data.prediction_parts import native_table

_NUMERIC_SOURCE_TYPES = (
    "DOUBLE",
    "FLOAT",
    "REAL",
    "DECIMAL",
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)
_STORED_TYPES: dict[str, FeatureType] = {"DOUBLE": "numeric", "VARCHAR": "categorical"}
_COLUMN_TYPES: dict[FeatureType, ColumnType] = {
    "numeric": ColumnType.FLOAT,
    "categorical": ColumnType.TEXT,
}


@dataclass(frozen=True)
class FeatureFile:
    """What the ingest knows of one input file: where DuckDB reads it and its columns' types.

    Attributes:
        display_name: the file's name as the user knows it.
        read_path: the file DuckDB reads (a UTF-8 copy for a CP932 CSV).
        is_parquet: Parquet (typed columns) or CSV (text).
        columns: the file's column names, in order.
        source_types: Parquet column -> DuckDB type name (empty for CSV).
    """

    display_name: str
    read_path: Path
    is_parquet: bool
    columns: tuple[str, ...]
    source_types: Mapping[str, str]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def stored_features(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> dict[str, FeatureType]:
    """Feature name -> type of the features the table already has (columns beyond the kind's)."""
    # batch_id: the load that added the row (migration 008), kept by the store, not a feature.
    known = {c.name for c in spec.columns} | {"batch_id", "event_id"}
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? AND table_catalog = current_database() ORDER BY ordinal_position",
        [spec.table],
    ).fetchall()
    return {
        str(name): _STORED_TYPES.get(str(data_type).upper(), "categorical")
        for name, data_type in rows
        if name not in known
    }


def _csv_all_numbers(
    con: duckdb.DuckDBPyConnection, file: FeatureFile, names: Sequence[str]
) -> dict[str, bool]:
    """For each of `names`: every non-empty cell of the CSV reads as a number.

    Malformed lines are skipped here: the ingest's own reader refuses them with their line.
    """
    if not names:
        return {}
    varchar = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in file.columns)
    tests = ", ".join(
        f"bool_and(TRY_CAST({_quote(n)} AS DOUBLE) IS NOT NULL) "
        f"FILTER (WHERE trim({_quote(n)}) <> '')"
        for n in names
    )
    row = con.execute(
        f"SELECT {tests} FROM read_csv({_literal(str(file.read_path))}, header = true, "
        "all_varchar = true, delim = ',', quote = '\"', escape = '\"', ignore_errors = true, "
        f"auto_detect = false, columns = {{{varchar}}})"
    ).fetchone()
    values = row or (None,) * len(names)
    return {name: value is not False for name, value in zip(names, values, strict=True)}


def _new_feature_types(
    con: duckdb.DuckDBPyConnection, files: Sequence[FeatureFile], new: Sequence[str]
) -> dict[str, FeatureType]:
    numeric = dict.fromkeys(new, True)
    for file in files:
        present = [n for n in new if n in file.columns]
        if file.is_parquet:
            for name in present:
                source_type = file.source_types.get(name, "VARCHAR").upper()
                numeric[name] = numeric[name] and source_type.startswith(_NUMERIC_SOURCE_TYPES)
        else:
            for name, all_numbers in _csv_all_numbers(con, file, present).items():
                numeric[name] = numeric[name] and all_numbers
    return {name: ("numeric" if numeric[name] else "categorical") for name in new}


def _refuse_case_clashes(
    files: Sequence[FeatureFile], taken: Sequence[str], features: Sequence[str]
) -> None:
    """DuckDB's column names ignore case: a feature named like another column but for case
    would land in that column, so it is refused (code `ingest.case_clash`)."""
    seen = {name.lower(): name for name in taken}
    for name in features:
        other = seen.get(name.lower())
        if other is not None and other != name:
            file = next(f for f in files if name in f.columns)
            raise YardstickError(
                "ingest.case_clash",
                field=name,
                origin=file.display_name,
                line=None if file.is_parquet else 1,
                name=name,
                other=other,
            )
        seen[name.lower()] = name


def with_features(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, files: Sequence[FeatureFile]
) -> KindSpec:
    """`spec` with one optional column per feature the files carry, typed as described above."""
    known = {c.name for c in spec.columns}
    in_files: list[str] = []
    for file in files:
        in_files += [c for c in file.columns if c and c not in known and c not in in_files]
    stored = stored_features(con, spec)
    _refuse_case_clashes(files, [*known, *stored], in_files)
    types = {name: stored[name] for name in in_files if name in stored}
    types.update(_new_feature_types(con, files, [n for n in in_files if n not in stored]))
    features = tuple(
        ColumnSpec(name, _COLUMN_TYPES[types[name]], required=False) for name in in_files
    )
    return dataclasses.replace(spec, columns=spec.columns + features)


def add_feature_columns(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> list[str]:
    """Add the table columns `spec`'s new features need, inside the caller's transaction.

    Added to the store's own table (the view `predictions` reads it, and its parts by name)."""
    existing = {
        str(row[0])
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = ? AND table_catalog = current_database()",
            [spec.table],
        ).fetchall()
    }
    added = [c for c in spec.columns if c.name not in existing]
    for column in added:
        con.execute(
            f"ALTER TABLE {native_table(con, spec.table)} "
            f"ADD COLUMN {_quote(column.name)} {column.type.value}"
        )
    return [c.name for c in added]

"""Removing stored rows, by key or by load, with a reason in the audit log.

A load is recorded as a batch per file (`load_batches`, written by `data.ingest`); every data row
names its batch. Rows can be removed by the key of their kind (any of its key columns, e.g. the
online metrics of one date) or by the batch that added them; both in one transaction, counted
first, audited with the reason. A dry run counts and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from core.clock import Clock
from core.errors import YardstickError
from data.kinds import KINDS, ColumnType, KindSpec
from data.prediction_parts import (
    STORED_IN_PARTS,
    PendingParts,
    delete_from_parts,
    native_table,
    remove_orphans,
)
from data.store import (
    StoreMissingError,
    StoreSettings,
    connect,
    current_actor,
    one_row,
    transaction,
    write_audit,
)


@dataclass(frozen=True)
class Deletion:
    """What a deletion removed (or, in a dry run, would remove).

    Attributes:
        kind: the kind whose table lost rows.
        table: that table.
        rows: the rows removed (or that would be).
        batch_id: the batch removed, when deleting by load.
        key: the key values matched, when deleting by key (column -> value as given).
        dry_run: True when nothing was written.
    """

    kind: str
    table: str
    rows: int
    batch_id: int | None
    key: Mapping[str, str]
    dry_run: bool


@dataclass(frozen=True)
class BatchInfo:
    """One recorded load, as `python cli.py batches` lists it."""

    batch_id: int
    kind: str | None
    file_name: str
    rows: int
    actor: str
    loaded_at: dt.datetime | None
    deleted_at: dt.datetime | None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _spec(kind: str) -> KindSpec:
    if kind not in KINDS:
        raise YardstickError("ingest.unknown_kind", kind=kind, kinds=", ".join(KINDS))
    return KINDS[kind]


def _key_condition(spec: KindSpec, key: Mapping[str, str]) -> tuple[str, list[object]]:
    """SQL matching rows whose key columns equal the given values (each cast to its type)."""
    if not key:
        raise YardstickError("delete.no_selection")
    unknown = [name for name in key if name not in spec.key_columns]
    if unknown:
        raise YardstickError(
            "delete.not_a_key",
            kind=spec.name,
            columns=", ".join(unknown),
            keys=", ".join(spec.key_columns),
        )
    parts: list[str] = []
    params: list[object] = []
    for name, value in key.items():
        column_type = spec.column(name).type
        parts.append(f"{_quote(name)} = TRY_CAST(? AS {column_type.value})")
        params.append(value)
    return " AND ".join(parts), params


def _check_key_values(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, key: Mapping[str, str]
) -> None:
    """Refuse a key value its column cannot hold (a typo would otherwise match nothing)."""
    for name, value in key.items():
        column_type = spec.column(name).type
        if column_type == ColumnType.TEXT:
            continue
        cast = one_row(
            con.execute(f"SELECT TRY_CAST(? AS {column_type.value})", [value]).fetchone()
        )
        if cast[0] is None:
            raise YardstickError("delete.bad_key_value", column=name, value=value)


def _batch_kind(con: duckdb.DuckDBPyConnection, batch_id: int, kind: str | None) -> KindSpec:
    """The kind of a recorded load; the pre-batch (0) spans every table and needs `kind`."""
    row = con.execute(
        "SELECT kind, deleted_at FROM load_batches WHERE batch_id = ?", [batch_id]
    ).fetchone()
    if row is None:
        raise YardstickError("delete.no_such_batch", batch_id=batch_id)
    stored_kind = row[0]
    if stored_kind is None:
        if kind is None:
            raise YardstickError("delete.pre_batch_needs_kind", batch_id=batch_id)
        return _spec(kind)
    if kind is not None and kind != stored_kind:
        raise YardstickError(
            "delete.batch_of_other_kind", batch_id=batch_id, kind=kind, batch_kind=stored_kind
        )
    return _spec(str(stored_kind))


def delete_rows(
    settings: StoreSettings,
    *,
    reason: str,
    clock: Clock,
    kind: str | None = None,
    key: Mapping[str, str] | None = None,
    batch_id: int | None = None,
    dry_run: bool = False,
    actor: str | None = None,
) -> Deletion:
    """Remove the rows of one kind matching `key`, or the rows one load added (`batch_id`).

    One transaction: the rows are counted, removed, the batch marked deleted (so the same file
    can be loaded again) and the deletion audited with `reason`. A dry run only counts.

    Raises:
        YardstickError: no reason, neither or both of key and batch, a column that is not part
            of the kind's key, a value its column cannot hold, an unknown batch.
    """
    if not reason.strip():
        raise YardstickError("delete.no_reason")
    if (batch_id is None) == (not key):
        raise YardstickError("delete.no_selection")
    if not settings.path.exists():
        raise StoreMissingError(settings.path)
    parts = PendingParts(settings.path, clock)
    try:
        with transaction(settings) as con:
            if batch_id is not None:
                spec = _batch_kind(con, batch_id, kind)
                condition = "batch_id = ?"
                params: list[object] = [batch_id]
            else:
                if kind is None:
                    raise YardstickError("delete.no_selection")
                spec = _spec(kind)
                condition, params = _key_condition(spec, key or {})
                _check_key_values(con, spec, key or {})
            table = _quote(spec.table)
            rows = int(
                one_row(
                    con.execute(
                        f"SELECT count(*) FROM {table} WHERE {condition}", params
                    ).fetchone()
                )[0]
            )
            if not dry_run and spec.table == STORED_IN_PARTS:
                remove_orphans(con, settings.path)
                con.execute(f"DELETE FROM {native_table(con)} WHERE {condition}", params)
                delete_from_parts(con, parts, condition, params, batch_id)
            elif not dry_run:
                con.execute(f"DELETE FROM {table} WHERE {condition}", params)
            if not dry_run:
                deleted_at = clock()
                if batch_id is not None and batch_id != 0:
                    con.execute(
                        "UPDATE load_batches SET deleted_at = ?, reason = ? WHERE batch_id = ?",
                        [deleted_at, reason, batch_id],
                    )
                write_audit(
                    con,
                    "delete",
                    spec.table,
                    {"rows": rows, "batch_id": batch_id, "key": dict(key or {})},
                    reason,
                    actor or current_actor(),
                    at=deleted_at,
                )
    except BaseException:
        parts.abandoned()
        raise
    # Removed files only once the manifest that listed them is committed.
    parts.committed()
    return Deletion(spec.name, spec.table, rows, batch_id, dict(key or {}), dry_run)


def list_batches(settings: StoreSettings, limit: int = 50) -> tuple[BatchInfo, ...]:
    """The most recent recorded loads, newest first (the pre-batch last)."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT batch_id, kind, file_name, rows, actor, loaded_at, deleted_at "
            "FROM load_batches ORDER BY batch_id DESC LIMIT ?",
            [limit],
        ).fetchall()
    return tuple(
        BatchInfo(int(r[0]), r[1], str(r[2]), int(r[3]), str(r[4]), r[5], r[6]) for r in rows
    )

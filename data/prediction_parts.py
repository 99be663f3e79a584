"""Predictions as immutable Parquet parts beside the store, listed in its manifest.

A store is a DuckDB file plus a folder `<store file>.parts/`. Each predictions load writes the
rows it adds to ONE Parquet file per batch (`predictions/<batch>-<uuid>.parquet`: zstd, format
v2, rows in ts order) and lists it in `prediction_parts` in the same transaction as its batch:
19.3 bytes a prediction where DuckDB's own table takes 29.5 (docs/monitoring.md, "Storing
predictions"), and a layout Spark reads natively. Parts are never changed: a deletion drops a
part from the manifest, or writes a new part without the deleted rows, and removes the old file
after COMMIT.

Every connection reads ONE relation `predictions`: a temporary view, made when the connection
opens, of the native table UNION ALL BY NAME the committed parts (a temporary view shadows the
table of the same name; writers reach the table by `native_table`). Files are found from the
store file's folder, so a copied store and folder work. A file that is written but not listed
(a load that failed or was killed) is never read, and the next writer removes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.clock import Clock
from data.store import StoreFaultError, one_row

PARTS_SUFFIX = ".parts"
STORED_IN_PARTS = "predictions"
MANIFEST = "prediction_parts"
# A row group of a million rows: the dictionaries and zstd frames amortise over many rows (19.3
# bytes a prediction, measured), while a day of 2.7 million rows still spans a few row groups,
# so a time-window read skips the others by their ts min/max.
ROW_GROUP_SIZE = 1_000_000
_PARQUET_OPTIONS = (
    f"FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE {ROW_GROUP_SIZE}"
)

# Parts written by an open transaction of this process: not orphans yet, whatever the manifest
# says (another connection of the same process may be cleaning up meanwhile).
_IN_FLIGHT: set[Path] = set()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parts_root(store_path: Path) -> Path:
    """The folder beside a store file that holds its parts: `<store file>.parts`."""
    return store_path.with_name(store_path.name + PARTS_SUFFIX)


def parts_folder(store_path: Path) -> Path:
    """The folder of the prediction parts of the store at `store_path`."""
    return parts_root(store_path) / STORED_IN_PARTS


def native_table(con: duckdb.DuckDBPyConnection, table: str = STORED_IN_PARTS) -> str:
    """The store's own table `table`, qualified by the store's catalog: the temporary view of the
    same name shadows it, even as `main.<table>`."""
    catalog = one_row(con.execute("SELECT current_database()").fetchone())[0]
    return f"{_quote(str(catalog))}.main.{_quote(table)}"


def _has_manifest(con: duckdb.DuckDBPyConnection) -> bool:
    # duckdb_tables(), not information_schema.tables: every connection asks, and it is cheaper.
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE table_name = ? AND database_name = current_database() AND NOT temporary",
        [MANIFEST],
    ).fetchone()
    return bool(row and row[0])


def committed_parts(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The file names (relative to the parts folder) the manifest lists, in order."""
    if not _has_manifest(con):
        return []
    rows = con.execute(f"SELECT file_name FROM {MANIFEST} ORDER BY file_name").fetchall()
    return [str(row[0]) for row in rows]


def parts_relation(folder: Path, names: Sequence[str]) -> str:
    """SQL reading the listed parts as one relation (columns matched by name: a part written
    before a feature was added lacks its column, read as NULL as the table's older rows)."""
    files = ", ".join(_literal(str(folder / name)) for name in names)
    return f"read_parquet([{files}], union_by_name = true)"


def open_predictions(con: duckdb.DuckDBPyConnection, store_path: Path) -> None:
    """Make `predictions` read the native table and the committed parts, on this connection.

    No parts: the table alone (no view). Called when a connection opens.

    Raises:
        StoreFaultError: a listed part is missing (`store.part_missing`, naming the file).
    """
    names = committed_parts(con)
    if not names:
        con.execute(f"DROP VIEW IF EXISTS temp.main.{STORED_IN_PARTS}")
        return
    folder = parts_folder(store_path)
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise StoreFaultError(
            "store.part_missing",
            path=str(store_path),
            part=str(folder / missing[0]),
            count=len(missing),
            folder=str(parts_root(store_path)),
        )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {STORED_IN_PARTS} AS "
        f"SELECT * FROM {native_table(con)} UNION ALL BY NAME "
        f"SELECT * FROM {parts_relation(folder, names)}"
    )


def remove_orphans(con: duckdb.DuckDBPyConnection, store_path: Path) -> list[Path]:
    """Remove part files the manifest does not list (a load that failed or was killed, a deleted
    part whose removal was cut short). Only a writer calls it: DuckDB lets one process write."""
    folder = parts_folder(store_path)
    if not folder.is_dir():
        return []
    listed = set(committed_parts(con))
    removed = []
    for path in folder.iterdir():
        if path.name not in listed and path not in _IN_FLIGHT and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _native_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? AND table_catalog = current_database() AND table_schema = 'main' "
        "ORDER BY ordinal_position",
        [STORED_IN_PARTS],
    ).fetchall()
    return [(str(name), str(data_type)) for name, data_type in rows]


@dataclass
class PendingParts:
    """The parts one transaction writes and retires: kept when it commits, undone when not.

    Use: `write`/`retire` inside the transaction, then `committed()` after COMMIT (removes the
    retired files) or `abandoned()` after a rollback (removes the written files).
    """

    store_path: Path
    clock: Clock
    written: list[Path] = field(default_factory=list)
    retired: list[Path] = field(default_factory=list)

    def write(
        self,
        con: duckdb.DuckDBPyConnection,
        rows_sql: str,
        batch_id: int,
        order_by: str | None = "ts",
    ) -> int:
        """Write the rows `rows_sql` selects as one part of batch `batch_id`, listed in the
        manifest inside the caller's transaction; returns the rows written (0 writes no part).

        Each of the table's columns is cast to its stored type (a column the rows lack is left
        out: read as NULL, as the table holds it), so a part reads back exactly as the table
        would hold the rows. Rows are written in `order_by` order (None: as the query gives
        them, for rows known to come in ts order).
        """
        folder = parts_folder(self.store_path)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{batch_id}-{uuid.uuid4().hex}.parquet"
        con.execute(f"CREATE OR REPLACE TEMP VIEW part_rows AS {rows_sql}")
        present = {str(row[0]) for row in con.execute("DESCRIBE part_rows").fetchall()}
        columns = ", ".join(
            f"CAST({_quote(name)} AS {data_type}) AS {_quote(name)}"
            for name, data_type in _native_columns(con)
            if name in present
        )
        _IN_FLIGHT.add(path)
        self.written.append(path)
        con.execute(
            f"COPY (SELECT {columns} FROM part_rows{f' ORDER BY {order_by}' if order_by else ''}) "
            f"TO {_literal(str(path))} ({_PARQUET_OPTIONS})"
        )
        con.execute("DROP VIEW part_rows")
        rows, first, last = one_row(
            con.execute(
                f"SELECT count(*), min(ts), max(ts) FROM read_parquet({_literal(str(path))})"
            ).fetchone()
        )
        if not rows:
            path.unlink(missing_ok=True)
            return 0
        con.execute(
            f"INSERT INTO {MANIFEST} (file_name, batch_id, rows, min_ts, max_ts, written_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [path.name, batch_id, rows, first, last, self.clock()],
        )
        return int(rows)

    def retire(self, con: duckdb.DuckDBPyConnection, file_name: str) -> None:
        """Drop a part from the manifest inside the caller's transaction; its file is removed
        after COMMIT (`committed`), so a rollback leaves it listed and readable."""
        con.execute(f"DELETE FROM {MANIFEST} WHERE file_name = ?", [file_name])
        self.retired.append(parts_folder(self.store_path) / file_name)

    def committed(self) -> None:
        """After COMMIT: the written parts are listed; the retired ones are removed."""
        for path in self.retired:
            path.unlink(missing_ok=True)
        self._settle()

    def abandoned(self) -> None:
        """After a rollback: the written parts were never listed; they are removed."""
        for path in self.written:
            path.unlink(missing_ok=True)
        self._settle()

    def _settle(self) -> None:
        for path in self.written:
            _IN_FLIGHT.discard(path)
        self.written.clear()
        self.retired.clear()


def delete_from_parts(
    con: duckdb.DuckDBPyConnection,
    pending: PendingParts,
    condition: str,
    params: Sequence[object],
    batch_id: int | None = None,
) -> None:
    """Remove the rows matching `condition` from the parts, inside the caller's transaction.

    A part of the deleted batch (`batch_id`) is dropped whole; otherwise a part holding matching
    rows is replaced by a new part without them (parts are never changed in place).
    """
    folder = parts_folder(pending.store_path)
    parts = con.execute(f"SELECT file_name, batch_id, rows FROM {MANIFEST}").fetchall()
    for name, part_batch, rows in parts:
        if batch_id is not None:
            if part_batch == batch_id:
                pending.retire(con, str(name))
            continue
        relation = f"read_parquet({_literal(str(folder / str(name)))})"
        matching = one_row(
            con.execute(
                f"SELECT count(*) FROM {relation} WHERE {condition}", list(params)
            ).fetchone()
        )[0]
        if not matching:
            continue
        pending.retire(con, str(name))
        if matching < rows:
            kept = f"SELECT * FROM {relation} WHERE ({condition}) IS NOT TRUE"
            # The parameters are bound into the view's text: DuckDB views take none.
            pending.write(con, _bound(kept, params), int(part_batch))


def _bound(sql: str, params: Sequence[object]) -> str:
    """`sql` with each `?` replaced by its parameter as a SQL literal (text, cast by the query)."""
    pieces = sql.split("?")
    if len(pieces) != len(params) + 1:
        raise ValueError("parameters do not match the placeholders")
    out = pieces[0]
    for value, rest in zip(params, pieces[1:], strict=True):
        out += ("NULL" if value is None else _literal(str(value))) + rest
    return out

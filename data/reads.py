"""Read-only queries behind the Overview and Data pages (small, aggregated results only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from data.kinds import KINDS
from data.store import StoreSettings, connect, one_row

# The column that says how fresh each table is.
# Each table the Data page lists, with the column that says how fresh it is (None: late labels
# carry no date; their newest rows are the last loaded, by batch).
FRESHNESS_COLUMNS: dict[str, str | None] = {
    "models": "deployed_at",
    "offline_metrics": "evaluated_at",
    "online_metrics": "date",
    "assignments": "assigned_at",
    "events": "ts",
    "predictions": "ts",
    "prediction_labels": None,
    "annotations": "date",
    "audit_log": "logged_at",
}
# Every kind's table (a kind's name is not always its table's: `labels` -> prediction_labels).
PREVIEW_TABLES = (*(spec.table for spec in KINDS.values()), "audit_log")


@dataclass(frozen=True)
class TableSummary:
    """One store table: its size and the span of dates it covers.

    Attributes:
        table: the table name.
        rows: row count.
        first: earliest date in its freshness column (None when empty).
        last: latest date in its freshness column: how fresh the table is.
    """

    table: str
    rows: int
    first: dt.datetime | None
    last: dt.datetime | None


def store_fingerprint(settings: StoreSettings) -> str:
    """Changes whenever the store file changes: the cache key for everything read from it."""
    parts = []
    for path in (settings.path, settings.path.with_name(settings.path.name + ".wal")):
        if path.exists():
            stat = path.stat()
            parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
    return "|".join(parts) or "missing"


def table_summaries(settings: StoreSettings) -> list[TableSummary]:
    """Row counts and date ranges of every table, in one round trip."""
    selects = " UNION ALL ".join(
        f"SELECT '{table}', count(*), CAST(min({column or 'NULL'}) AS TIMESTAMP), "
        f"CAST(max({column or 'NULL'}) AS TIMESTAMP) FROM {table}"
        for table, column in FRESHNESS_COLUMNS.items()
    )
    with connect(settings, read_only=True) as con:
        rows = con.execute(selects).fetchall()
    return [TableSummary(table, int(count), first, last) for table, count, first, last in rows]


def is_demo_store(settings: StoreSettings) -> bool:
    """True while the store holds only the generated demo data (no file of the user's loaded)."""
    with connect(settings, read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FILTER (WHERE action = 'demo'),"
            " count(*) FILTER (WHERE action = 'ingest')"
            " FROM audit_log"
        ).fetchone()
    row = one_row(row)
    return bool(row[0]) and not row[1]


def families(settings: StoreSettings) -> list[str]:
    """Model families in the store, alphabetically."""
    with connect(settings, read_only=True) as con:
        return [
            r[0] for r in con.execute("SELECT DISTINCT family FROM models ORDER BY 1").fetchall()
        ]


def models(settings: StoreSettings, family: str | None = None) -> pd.DataFrame:
    """The model registry (a handful of rows), optionally for one family."""
    with connect(settings, read_only=True) as con:
        return con.execute(
            "SELECT model_id, family, version, stage, deployed_at, retired_at, notes FROM models "
            "WHERE ? IS NULL OR family = ? ORDER BY family, deployed_at",
            [family, family],
        ).df()


def live_models(
    settings: StoreSettings, now: dt.datetime, family: str | None = None
) -> pd.DataFrame:
    """The production version of each family live at `now` (deployed and not yet retired)."""
    with connect(settings, read_only=True) as con:
        return con.execute(
            "SELECT model_id, family, version, deployed_at, notes FROM models "
            "WHERE stage = 'production' AND deployed_at <= $now "
            "AND (retired_at IS NULL OR retired_at > $now) "
            "AND ($family IS NULL OR family = $family) ORDER BY family",
            {"now": now, "family": family},
        ).df()


# Rows dated after 2100 (9999-12-31, 'infinity': an older store may hold them) are left out of the
# browsing reads: they would be "latest" for ever, and 'infinity' does not convert to a timestamp.
_SANE_DATE = "date <= DATE '2100-12-31'"
_SANE_EVALUATED_AT = "evaluated_at < TIMESTAMP '2101-01-01'"


def latest_offline_metrics(settings: StoreSettings, model_id: str) -> pd.DataFrame:
    """Each offline metric's latest evaluation of one model."""
    with connect(settings, read_only=True) as con:
        return con.execute(
            "SELECT metric, arg_max(value, evaluated_at) AS value,"
            " max(evaluated_at) AS evaluated_at,"
            " arg_max(dataset, evaluated_at) AS dataset FROM offline_metrics WHERE model_id = ?"
            f" AND {_SANE_EVALUATED_AT} GROUP BY metric ORDER BY metric",
            [model_id],
        ).df()


def latest_online_metrics(settings: StoreSettings, model_id: str) -> pd.DataFrame:
    """Each online metric's latest day of one model."""
    with connect(settings, read_only=True) as con:
        return con.execute(
            "SELECT metric, arg_max(value, date) AS value, max(date) AS date, arg_max(n, date) AS n"
            f" FROM online_metrics WHERE model_id = ? AND {_SANE_DATE}"
            " GROUP BY metric ORDER BY metric",
            [model_id],
        ).df()


def recent_online_series(settings: StoreSettings, model_id: str, days: int = 90) -> pd.DataFrame:
    """Daily online metrics of one model over its last `days` days with data (for sparklines)."""
    with connect(settings, read_only=True) as con:
        return con.execute(
            f"SELECT metric, date, value FROM online_metrics WHERE model_id = ? AND {_SANE_DATE} "
            "AND date > (SELECT max(date) FROM online_metrics WHERE model_id = ? "
            f"AND {_SANE_DATE}) - ? ORDER BY metric, date",
            [model_id, model_id, days],
        ).df()


def recent_offline_series(settings: StoreSettings, model_id: str, days: int = 90) -> pd.DataFrame:
    """Offline evaluations of one model over the last `days` days with data (for sparklines)."""
    with connect(settings, read_only=True) as con:
        return con.execute(
            "SELECT metric, evaluated_at, value FROM offline_metrics WHERE model_id = ? AND "
            f"{_SANE_EVALUATED_AT} AND evaluated_at > (SELECT max(evaluated_at) FROM "
            f"offline_metrics WHERE model_id = ? AND {_SANE_EVALUATED_AT}) "
            "- to_days(?) ORDER BY metric, evaluated_at",
            [model_id, model_id, days],
        ).df()


def table_preview(settings: StoreSettings, table: str, limit: int = 20) -> pd.DataFrame:
    """The latest rows of one table."""
    if table not in PREVIEW_TABLES:
        raise ValueError(f"unknown table {table!r}")
    order = FRESHNESS_COLUMNS[table] or "batch_id"
    with connect(settings, read_only=True) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY {order} DESC LIMIT ?", [limit]).df()


def recent_audit(settings: StoreSettings, limit: int = 20) -> pd.DataFrame:
    """The latest audit-log entries: who changed what, when, and why."""
    with connect(settings, read_only=True) as con:
        return con.execute(
            "SELECT logged_at, actor, action, target, reason, CAST(detail AS VARCHAR) AS detail "
            "FROM audit_log ORDER BY id DESC LIMIT ?",
            [limit],
        ).df()

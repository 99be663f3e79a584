"""The store side of explanations: the annotations of a family, as changes.

Deployments come from `data.kpi_store.deployments`, drift and serving from `data.monitor_store`;
this module adds the one read they lack.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from core.tables import STORE_TABLES, TableMapping
from monitoring.explain import Change
from monitoring.explain_sql import annotations_query

Connection = duckdb.DuckDBPyConnection


def annotation_changes(
    con: Connection, family: str, tables: TableMapping = STORE_TABLES
) -> list[Change]:
    """The family's annotations as changes (what: the kind, detail: the note, source: the
    author), oldest first."""
    rows = con.execute(annotations_query(family, tables).sql(dialect="duckdb")).fetchall()
    return [
        Change(
            kind="annotation",
            date=day,
            what=str(kind),
            detail=str(note),
            source=None if author is None else str(author),
        )
        for day, kind, note, author in rows
        if isinstance(day, dt.date)
    ]

"""The one place that opens the DuckDB store: path resolution, short-lived connections, migrations.

DuckDB lets one process write a file at a time, and even a read-only connection holds a lock that
blocks a writer in another process. The dashboard therefore never keeps a connection open: every
call opens, works and closes, and a lock conflict is retried with backoff before it is reported.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.clock import system_clock
from core.errors import YardstickError

if TYPE_CHECKING:
    # Imported where a connection is opened, not here: the command line's --help and the settings
    # the faces pass around must not pay DuckDB's import (see tests/test_startup.py).
    import duckdb

DATA_DIR = Path(__file__).resolve().parent
DEFAULT_DB_PATH = DATA_DIR / "yardstick.duckdb"
MIGRATIONS_DIR = DATA_DIR / "migrations"
DB_ENV_VAR = "YARDSTICK_DB"
MEMORY_LIMIT_ENV_VAR = "YARDSTICK_MEMORY_LIMIT"
THREADS_ENV_VAR = "YARDSTICK_THREADS"
USER_ENV_VAR = "YARDSTICK_USER"
DEFAULT_MEMORY_LIMIT = "1GB"

_LOCK_PATTERNS = (
    "could not set lock",
    "conflicting lock",
    "different configuration",
    "database is locked",
    "unique file handle conflict",
)
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class StoreLockedError(YardstickError):
    """The store stayed locked by another process for longer than the retry budget.

    Code `store.locked`, with the store's `path` and the `seconds` waited.
    """

    def __init__(self, path: Path, seconds: float) -> None:
        super().__init__("store.locked", path=str(path), seconds=seconds)


class StoreMissingError(YardstickError):
    """A read was asked of a store file that does not exist (code `store.missing`, its `path`)."""

    def __init__(self, path: Path) -> None:
        super().__init__("store.missing", path=str(path))


@dataclass(frozen=True)
class StoreSettings:
    """Where the store is and how much of the machine DuckDB may use.

    Attributes:
        path: the DuckDB file.
        memory_limit: DuckDB's `memory_limit` (e.g. "1GB"); larger work spills to disk.
        threads: DuckDB's worker threads; None keeps DuckDB's default (one per core).
        lock_timeout_s: how long to retry when another process holds the file.
    """

    path: Path
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int | None = None
    lock_timeout_s: float = 15.0


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The store path: an explicit `--db`, else `YARDSTICK_DB`, else `data/yardstick.duckdb`."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(DB_ENV_VAR)
    if from_env:
        return Path(from_env).expanduser().resolve()
    return DEFAULT_DB_PATH


def settings_for(
    explicit_path: str | os.PathLike[str] | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> StoreSettings:
    """Store settings from explicit values, falling back to environment variables and defaults."""
    env_threads = os.environ.get(THREADS_ENV_VAR)
    return StoreSettings(
        path=resolve_db_path(explicit_path),
        memory_limit=memory_limit or os.environ.get(MEMORY_LIMIT_ENV_VAR) or DEFAULT_MEMORY_LIMIT,
        threads=threads if threads is not None else (int(env_threads) if env_threads else None),
    )


def current_actor() -> str:
    """Who is writing, for the audit log: `YARDSTICK_USER`, else the operating-system user."""
    try:
        return os.environ.get(USER_ENV_VAR) or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _is_lock_conflict(error: duckdb.Error) -> bool:
    message = str(error).lower()
    return any(pattern in message for pattern in _LOCK_PATTERNS)


def _open(settings: StoreSettings, read_only: bool) -> duckdb.DuckDBPyConnection:
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": settings.memory_limit
    }
    if settings.threads:
        config["threads"] = settings.threads
    con = duckdb.connect(str(settings.path), read_only=read_only, config=config)
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB would draw its own progress bar on stdout, corrupting `--json` output; progress is
    # reported by the callers that need it (ingest polls query_progress()).
    con.execute("SET enable_progress_bar = false")
    return con


@contextmanager
def connect(
    settings: StoreSettings, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection, retried with backoff while another process holds the file.

    A writable connection also brings the schema up to date, so an older store upgrades in place.
    """
    if read_only and not settings.path.exists():
        raise StoreMissingError(settings.path)
    if not read_only:
        settings.path.parent.mkdir(parents=True, exist_ok=True)
    import duckdb

    deadline = time.monotonic() + settings.lock_timeout_s
    delay = 0.05
    while True:
        try:
            con = _open(settings, read_only)
            break
        except duckdb.Error as error:
            if not _is_lock_conflict(error):
                raise
            if time.monotonic() >= deadline:
                raise StoreLockedError(settings.path, settings.lock_timeout_s) from error
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def transaction(settings: StoreSettings) -> Iterator[duckdb.DuckDBPyConnection]:
    """One writable connection holding one transaction: committed when the block ends, rolled
    back when it raises, so a use case writes all of its rows or none."""
    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


@dataclass(frozen=True)
class Migration:
    """One numbered schema change from `data/migrations/NNN_name.sql`."""

    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """All migrations shipped with this version, in order."""
    migrations = []
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            migrations.append(
                Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8"))
            )
    return migrations


def latest_schema_version() -> int:
    """The schema version a store has after `migrate`."""
    return max(m.version for m in available_migrations())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to the store behind `con`; 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int | None = None) -> list[int]:
    """Apply the migrations the store lacks, each in its own transaction; returns those applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    current = schema_version(con)
    applied = []
    for migration in available_migrations():
        if migration.version <= current or (target is not None and migration.version > target):
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [migration.version, migration.name, system_clock()],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied


def one_row(row: tuple[Any, ...] | None) -> tuple[Any, ...]:
    """The row of a query that always returns one (an aggregate), from `fetchone()`.

    DuckDB types `fetchone()` as possibly None; a query without GROUP BY over aggregates always
    returns a row, so None here is a broken query, said as such rather than as a TypeError.
    """
    if row is None:
        raise LookupError("the query returned no row where one was certain")
    return row


def upgrade_if_needed(settings: StoreSettings) -> list[int]:
    """Bring an existing store made by an older version up to date; returns the migrations run.

    Readers open the store read-only and so never migrate it; the app and the command line call
    this once for the store they are about to read. A current store costs one read-only look.
    """
    if not settings.path.exists():
        return []
    with connect(settings, read_only=True) as con:
        before = schema_version(con)
    if before >= latest_schema_version():
        return []
    with connect(settings) as con:
        after = schema_version(con)
    return [m.version for m in available_migrations() if before < m.version <= after]


def write_audit(
    con: duckdb.DuckDBPyConnection,
    action: str,
    target: str,
    detail: dict[str, object] | None = None,
    reason: str | None = None,
    actor: str | None = None,
) -> None:
    """Record a write in the audit log, inside the caller's transaction."""
    con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, target, detail, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            system_clock(),
            actor or current_actor(),
            action,
            target,
            json.dumps(detail or {}, ensure_ascii=False, default=str),
            reason,
        ],
    )

"""The one place that opens the DuckDB store: path resolution, short-lived connections, migrations.

DuckDB lets one process write a file at a time, and even a read-only connection holds a lock that
blocks a writer in another process. The dashboard therefore never keeps a connection open: every
call opens, works and closes, and a lock conflict is retried with backoff before it is reported.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
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
    """A read was asked of a store file that does not exist (code `store.missing`, its `path`).

    Also raised by the command line for a write to a store that does not exist unless the command
    creates stores (`demo`, `ingest --create`): a mistyped `--db` must not make an empty store.
    """

    def __init__(self, path: Path) -> None:
        super().__init__("store.missing", path=str(path))


class StoreFaultError(YardstickError):
    """The store file cannot be opened or written: one of `STORE_FAULT_CODES` with its `path`.

    Raised in place of DuckDB's own error, so that every face words the file at fault and the way
    out (`demo --force` replaces a damaged store) instead of printing DuckDB's text.
    """


# What can be wrong with the store file itself (catalogue keys under `error.`).
STORE_FAULT_CODES = (
    "store.not_a_file",
    "store.corrupt",
    "store.foreign_wal",
    "store.read_only",
    "store.disk_full",
    "store.write_failed",
    "store.unreadable",
    "store.newer_schema",
    "store.bad_setting",
    "store.part_missing",
)
_CORRUPT_PATTERNS = (
    "not a valid duckdb database file",
    "could not read enough bytes",
    "corrupt",
    "checksum",
    "failed to read database header",
    "invalid database header",
    "the database file was created with a newer version",
    "serialization",
)
_READ_ONLY_PATTERNS = ("read-only file system", "permission denied", "read only")
_DISK_FULL_PATTERNS = ("no space left on device", "disk full", "out of disk space", "quota")
_MEMORY_LIMIT = re.compile(
    r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB|%)?\s*$", re.IGNORECASE
)
MAX_THREADS = 1024


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


def memory_limit_problem(text: str, origin: str | None = None) -> YardstickError | None:
    """Why `text` (from `origin`, a flag or a variable) is not a DuckDB memory limit (`2GB`,
    `512MB`, `80%`), or None when it is."""
    if _MEMORY_LIMIT.match(text):
        return None
    return YardstickError("store.bad_memory_limit", origin=origin, value=text)


def threads_problem(text: str, origin: str | None = None) -> YardstickError | None:
    """Why `text` (from `origin`) is not a number of worker threads (1 to `MAX_THREADS`), or None
    when it is."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if 1 <= value <= MAX_THREADS:
        return None
    return YardstickError("store.bad_threads", origin=origin, value=text, most=MAX_THREADS)


def settings_for(
    explicit_path: str | os.PathLike[str] | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> StoreSettings:
    """Store settings from explicit values, falling back to environment variables and defaults.

    Raises:
        YardstickError: a limit (given or from the environment) DuckDB would not accept, named
            with where it came from (`store.bad_memory_limit`, `store.bad_threads`).
    """
    env_threads = os.environ.get(THREADS_ENV_VAR)
    limit = memory_limit or os.environ.get(MEMORY_LIMIT_ENV_VAR) or DEFAULT_MEMORY_LIMIT
    limit_origin = "--memory-limit" if memory_limit else MEMORY_LIMIT_ENV_VAR
    problem = memory_limit_problem(limit, limit_origin)
    if threads is None and env_threads:
        problem = problem or threads_problem(env_threads, THREADS_ENV_VAR)
        threads = int(env_threads) if problem is None else None
    elif threads is not None:
        problem = problem or threads_problem(str(threads), "--threads")
    if problem is not None:
        raise problem
    return StoreSettings(path=resolve_db_path(explicit_path), memory_limit=limit, threads=threads)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs: files named after a dead one are leftovers."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, under another user
    return True


def current_actor() -> str:
    """Who is writing, for the audit log: `YARDSTICK_USER`, else the operating-system user."""
    try:
        return os.environ.get(USER_ENV_VAR) or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _is_lock_conflict(error: duckdb.Error) -> bool:
    message = str(error).lower()
    return any(pattern in message for pattern in _LOCK_PATTERNS)


def _detail(error: BaseException) -> str:
    """DuckDB's or the system's reason in one short line (no error class, no SQL context)."""
    text = str(error).strip().split("\n", 1)[0]
    text = re.sub(r"^[A-Za-z ]*(Error|Exception): ", "", text)
    return text[:300]


def write_fault(error: BaseException, path: Path) -> StoreFaultError | None:
    """The store fault behind a failed write (disk full, read-only), or None for other errors."""
    message = str(error).lower()
    if isinstance(error, OSError) and error.errno is not None:
        message += " " + os.strerror(error.errno).lower()
    if any(pattern in message for pattern in _DISK_FULL_PATTERNS):
        return StoreFaultError("store.disk_full", path=str(path), detail=_detail(error))
    if any(pattern in message for pattern in _READ_ONLY_PATTERNS):
        return StoreFaultError("store.read_only", path=str(path), detail=_detail(error))
    return None


def read_fault(error: BaseException, path: Path) -> StoreFaultError | None:
    """The damage behind a failed read of an open store (a file truncated after its header
    opens, then fails on the first block it lacks), or None for other errors."""
    message = str(error).lower()
    if any(pattern in message for pattern in _CORRUPT_PATTERNS):
        return StoreFaultError("store.corrupt", path=str(path), detail=_detail(error))
    return None


def open_fault(error: BaseException, path: Path) -> StoreFaultError:
    """The fault behind a store file DuckDB could not open, naming the file and the way out."""
    message = str(error).lower()
    wal = path.with_name(path.name + ".wal")
    if "wal" in message and ("replay" in message or "does not match" in message):
        return StoreFaultError(
            "store.foreign_wal", path=str(path), wal=str(wal), detail=_detail(error)
        )
    if path.is_dir() or "is a directory" in message:
        return StoreFaultError("store.not_a_file", path=str(path))
    if "memory" in message and ("limit" in message or "number" in message):
        return StoreFaultError("store.bad_setting", path=str(path), detail=_detail(error))
    if "thread" in message:
        return StoreFaultError("store.bad_setting", path=str(path), detail=_detail(error))
    fault = write_fault(error, path)
    if fault is not None:
        return fault
    if any(pattern in message for pattern in _CORRUPT_PATTERNS):
        return StoreFaultError("store.corrupt", path=str(path), detail=_detail(error))
    return StoreFaultError("store.unreadable", path=str(path), detail=_detail(error))


@dataclass
class _CommitCount:
    """How many transactions `commit` has completed in this process (see `commits_so_far`)."""

    value: int = 0


_COMMITS = _CommitCount()


def commits_so_far() -> int:
    """How many transactions `commit` has completed in this process.

    A command line compares it before and after a command: a Ctrl-C that comes once the count
    has moved came after the command's writes were stored, and must not be reported as a command
    that wrote nothing.
    """
    return _COMMITS.value


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back until the block ends, then raise it again.

    Ctrl-C during COMMIT would surface as KeyboardInterrupt right after the data was stored,
    before anyone could note that it was; held back, it surfaces once `commits_so_far` says so.
    A handler that only notes the signal stands in for the block (blocking the signal would not
    do: Ctrl-C is sent to the process, and DuckDB's threads would take it). Python runs signal
    handlers in the main thread only, so other threads (the dashboard's) are left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
        if held:
            signal.raise_signal(signal.SIGINT)


def commit(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """COMMIT the open transaction; a failed commit says why (disk full, read-only), not DuckDB's
    follow-up "no transaction is active". Nothing was written when it raises.

    Ctrl-C is held back while the commit runs and counted (`commits_so_far`), so that an
    interruption is reported either as before the commit (nothing written) or after it.
    """
    import duckdb

    with _interrupts_held():
        try:
            con.execute("COMMIT")
        except duckdb.Error as error:
            rollback_quietly(con)
            raise write_fault(error, path) or StoreFaultError(
                "store.write_failed", path=str(path), detail=_detail(error)
            ) from error
        _COMMITS.value += 1


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK whatever is open; DuckDB has already ended a transaction whose statement failed
    on a fault (a full disk, an invalidated database), so a second error here is not news."""
    import duckdb

    with suppress(duckdb.Error):
        con.execute("ROLLBACK")


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
    Every connection reads `predictions` as the table and its committed Parquet parts
    (data/prediction_parts.py).
    """
    if read_only and not settings.path.exists():
        raise StoreMissingError(settings.path)
    if settings.path.is_dir():
        raise StoreFaultError("store.not_a_file", path=str(settings.path))
    if not read_only:
        try:
            settings.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise open_fault(error, settings.path) from error
    import duckdb

    deadline = time.monotonic() + settings.lock_timeout_s
    delay = 0.05
    while True:
        try:
            con = _open(settings, read_only)
            break
        except duckdb.Error as error:
            if not _is_lock_conflict(error):
                raise open_fault(error, settings.path) from error
            if time.monotonic() >= deadline:
                raise StoreLockedError(settings.path, settings.lock_timeout_s) from error
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        if not read_only and _refuse_newer_schema(con, settings.path) < latest_schema_version():
            try:
                migrate(con)
            except duckdb.Error as error:
                raise write_fault(error, settings.path) or open_fault(
                    error, settings.path
                ) from error
        # Imported here: the parts module builds on this one.
        from data.prediction_parts import open_predictions

        open_predictions(con, settings.path)
        yield con
    except (duckdb.InterruptException, RuntimeError) as error:
        # DuckDB stops a statement on Ctrl-C with its own error ("Query interrupted"); the faces
        # know it as Ctrl-C.
        if isinstance(error, RuntimeError) and "interrupted" not in str(error).lower():
            raise
        raise KeyboardInterrupt from error
    finally:
        # After Ctrl-C DuckDB may still be unwinding the statement; closing then fails, and the
        # transaction is rolled back by DuckDB either way (as after a kill).
        with suppress(duckdb.Error):
            con.close()


def _refuse_newer_schema(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The store's schema version; a store written by a newer Yardstick is refused for writing:
    its schema may have moved on in ways this version would corrupt. Reading it is allowed (with a
    warning by the faces)."""
    found = schema_version(con)
    latest = latest_schema_version()
    if found > latest:
        raise StoreFaultError("store.newer_schema", path=str(path), found=found, latest=latest)
    return found


@contextmanager
def transaction(settings: StoreSettings) -> Iterator[duckdb.DuckDBPyConnection]:
    """One writable connection holding one transaction: committed when the block ends, rolled
    back when it raises, so a use case writes all of its rows or none."""
    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            rollback_quietly(con)
            raise
        commit(con, settings.path)


@dataclass(frozen=True)
class Migration:
    """One numbered schema change from `data/migrations/NNN_name.sql`."""

    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """All migrations shipped with this version, in order."""
    return list(_shipped_migrations())


@cache
def _shipped_migrations() -> tuple[Migration, ...]:
    """The migration files, read once per process: they ship with the code and every writable
    connection asks for the newest version."""
    migrations = []
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            migrations.append(
                Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8"))
            )
    return tuple(migrations)


def latest_schema_version() -> int:
    """The schema version a store has after `migrate`."""
    return max(m.version for m in available_migrations())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to the store behind `con`; 0 for an empty file."""
    # fetchall, not fetchone: a result left unfinished on the connection makes DuckDB refuse the
    # caller's next `register` or `from_df` on it.
    # duckdb_tables(), not information_schema.tables: the same answer for a third of the work, and
    # it runs on every writable connection.
    [(exists,)] = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version'"
    ).fetchall()
    if not exists:
        return 0
    [(version,)] = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()
    return int(version)


def migrate(con: duckdb.DuckDBPyConnection, target: int | None = None) -> list[int]:
    """Apply the migrations the store lacks, each in its own transaction; returns those applied.

    Each migration is written to the audit log (action `migrate`) in its own transaction, so the
    log says when the schema of a store changed and which version of it did.
    """
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
            # A migration runs when a store is opened, outside any use case and its clock.
            applied_at = system_clock()
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [migration.version, migration.name, applied_at],
            )
            write_audit(
                con,
                "migrate",
                "schema",
                {"version": migration.version, "name": migration.name, "from": current},
                at=applied_at,
            )
            con.execute("COMMIT")
        except Exception:
            rollback_quietly(con)
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


@dataclass(frozen=True)
class StoreCheck:
    """What opening a store found: its schema version, this version's, and the upgrades run.

    Attributes:
        found: the store's schema version before any upgrade (0 for no store yet).
        latest: the newest schema version this Yardstick knows.
        upgraded: the migrations run now, oldest first.
    """

    found: int
    latest: int
    upgraded: tuple[int, ...] = ()

    @property
    def newer(self) -> bool:
        """The store was written by a newer Yardstick: readable (with a warning), not writable."""
        return self.found > self.latest


def check_and_upgrade(settings: StoreSettings) -> StoreCheck:
    """Look at an existing store, bringing it up to date when an older version made it.

    Readers open the store read-only and so never migrate it; the app and the command line call
    this once for the store they are about to read. A current store costs one read-only look; a
    damaged one raises `StoreFaultError` naming the file.
    """
    latest = latest_schema_version()
    if not settings.path.exists():
        return StoreCheck(0, latest)
    with connect(settings, read_only=True) as con:
        before = schema_version(con)
    if before >= latest:
        return StoreCheck(before, latest)
    with connect(settings) as con:
        after = schema_version(con)
    upgraded = tuple(m.version for m in available_migrations() if before < m.version <= after)
    return StoreCheck(before, latest, upgraded)


def upgrade_if_needed(settings: StoreSettings) -> list[int]:
    """Bring an existing store made by an older version up to date; returns the migrations run."""
    return list(check_and_upgrade(settings).upgraded)


def write_audit(
    con: duckdb.DuckDBPyConnection,
    action: str,
    target: str,
    detail: dict[str, object] | None = None,
    reason: str | None = None,
    actor: str | None = None,
    *,
    at: dt.datetime,
) -> None:
    """Record a write in the audit log, inside the caller's transaction.

    `at` is the moment the use case stamps its own rows with (its injected clock), so the audit
    row and the row it describes carry the same time.
    """
    con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, target, detail, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            at,
            actor or current_actor(),
            action,
            target,
            json.dumps(detail or {}, ensure_ascii=False, default=str),
            reason,
        ],
    )

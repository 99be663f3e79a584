"""Choosing and opening the store: the settings every face passes to the use cases.

The faces never import `data`; they take from here the settings type, the errors a locked,
missing or damaged store raises, and what each ingestible kind holds. Importing this module stays
cheap (no DuckDB, no pandas): the command line builds its parser, and answers `--help`, from it.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import YardstickError
from data.kinds import KINDS, KindSpec
from data.store import (
    MAX_THREADS,
    STORE_FAULT_CODES,
    StoreCheck,
    StoreFaultError,
    StoreLockedError,
    StoreMissingError,
    StoreSettings,
    check_and_upgrade,
    commits_so_far,
    current_actor,
    memory_limit_problem,
    read_fault,
    resolve_db_path,
    settings_for,
    threads_problem,
    upgrade_if_needed,
    write_fault,
)

__all__ = [
    "KINDS",
    "MAX_THREADS",
    "STORE_FAULT_CODES",
    "KindSpec",
    "StoreCheck",
    "StoreFaultError",
    "StoreLockedError",
    "StoreMissingError",
    "StoreSettings",
    "check_and_upgrade",
    "commits_so_far",
    "current_actor",
    "fault_behind",
    "memory_limit_problem",
    "open_store",
    "resolve_db_path",
    "settings_for",
    "threads_problem",
    "upgrade_if_needed",
]


def open_store(
    explicit_path: str | os.PathLike[str] | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> StoreSettings:
    """The settings for the chosen store, after upgrading a store made by an older version.

    The path comes from `explicit_path`, else `YARDSTICK_DB`, else the default file; the limits
    from the arguments, else their environment variables. A store that does not exist yet is left
    alone (a command that writes creates it).
    """
    settings = settings_for(explicit_path, memory_limit, threads)
    upgrade_if_needed(settings)
    return settings


def fault_behind(error: BaseException, path: Path) -> YardstickError | None:
    """The store fault (disk full, read-only, a damaged file) behind an unexpected failure while
    working on the store at `path`, looking through the errors it was raised from; None when
    there is none.

    The last resort of a face: a use case that met a full disk mid-statement raises DuckDB's
    error, and the reader should learn that the disk is full, not see DuckDB's text.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        fault = write_fault(current, path) or read_fault(current, path)
        if fault is not None:
            return fault
        current = current.__cause__ or current.__context__
    return None

"""Choosing and opening the store: the settings every face passes to the use cases.

The faces never import `data`; they take from here the settings type, the errors a locked or
missing store raises, and what each ingestible kind holds. Importing this module stays cheap (no
DuckDB, no pandas): the command line builds its parser, and answers `--help`, from it.
"""

from __future__ import annotations

import os

from data.kinds import KINDS, KindSpec
from data.store import (
    StoreLockedError,
    StoreMissingError,
    StoreSettings,
    current_actor,
    settings_for,
    upgrade_if_needed,
)

__all__ = [
    "KINDS",
    "KindSpec",
    "StoreLockedError",
    "StoreMissingError",
    "StoreSettings",
    "current_actor",
    "open_store",
    "settings_for",
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

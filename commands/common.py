"""Flags every command that touches the store shares, and the settings they choose.

Cheap to import (no DuckDB, no pandas): every command module imports it to build its parser.
"""

from __future__ import annotations

import argparse

from services.store import StoreSettings, open_store


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """--db, --memory-limit and --threads, shared by every command that touches the store."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="store file (default: $YARDSTICK_DB, else data/yardstick.duckdb)",
    )
    parser.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="DuckDB memory limit, e.g. 2GB (default: $YARDSTICK_MEMORY_LIMIT, else 1GB)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="DuckDB worker threads (default: $YARDSTICK_THREADS, else one per core)",
    )


def store_settings(args: argparse.Namespace) -> StoreSettings:
    """The store settings chosen by the common flags; a store of an older version is upgraded."""
    return open_store(args.db, args.memory_limit, args.threads)

"""Yardstick's command line: everything the dashboard does, scriptable from cron and CI.

Each command group lives in `commands/<group>.py` with a `register(subparsers)` function; flags and
JSON outputs are a public interface (see README.md).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from data.store import StoreLockedError, StoreMissingError

COMMAND_MODULES = (
    "commands.data",
    "commands.kpi",
    "commands.experiment",
    "commands.retrain",
    "commands.report",
)

EPILOG = """\
The store is chosen by --db PATH, else the YARDSTICK_DB environment variable, else
data/yardstick.duckdb. Run `python cli.py COMMAND --help` for each command's flags.
Exit status: 0 success, 1 error (bad input, unknown id, locked store); `kpi check` also
returns 10 (a KPI at warning) and 20 (an exit criterion met).
"""


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every command group registered."""
    parser = argparse.ArgumentParser(
        prog="python cli.py",
        description=(
            "Yardstick: what an ML model in production is worth, and whether the next move pays."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (StoreLockedError, StoreMissingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing was written by the unfinished command", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""Yardstick's command line: everything the dashboard does, scriptable from cron and CI.

Each command group lives in `commands/<group>.py` with a `register(subparsers)` function; flags and
JSON outputs are a public interface (see README.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from commands import data as data_commands
from commands import experiment as experiment_commands
from commands import kpi as kpi_commands
from commands import monitor as monitor_commands
from commands import report as report_commands
from commands import retrain as retrain_commands
from core.errors import YardstickError
from i18n.errors import describe

# Each group registers its commands; the modules import their heavy libraries (the statistics
# stack, DuckDB) inside the handlers, so building the parser and answering `--help` stays fast
# (tests/test_startup.py) and `ingest` from cron pays only for what it runs.
COMMAND_GROUPS = (
    data_commands,
    kpi_commands,
    experiment_commands,
    retrain_commands,
    report_commands,
    monitor_commands,
)

EPILOG = """\
The store is chosen by --db PATH, else the YARDSTICK_DB environment variable, else
data/yardstick.duckdb. Run `python cli.py COMMAND --help` for each command's flags.
Exit status: 0 success, 1 error (bad input, unknown id, locked store); `kpi check` also
returns 10 (a KPI at warning) and 20 (an exit criterion met); `monitor check` returns 10
(warning), 20 (alert) and 30 (a monitor without enough data).
"""


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command group."""
    parser = argparse.ArgumentParser(
        prog="python cli.py",
        description=(
            "Yardstick: what an ML model in production is worth, and whether the next move pays."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(arguments)
    try:
        return int(args.handler(args) or 0)
    except YardstickError as error:
        print(f"error: {describe(error, 'en')}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing was written by the unfinished command", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

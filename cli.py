"""Yardstick's command line: everything the dashboard does, scriptable from cron and CI.

Each command group lives in `commands/<group>.py` with a `register(subparsers)` function; flags and
JSON outputs are a public interface (see README.md).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from services.store import StoreLockedError, StoreMissingError

COMMAND_MODULES = (
    "commands.data",
    "commands.kpi",
    "commands.experiment",
    "commands.retrain",
    "commands.report",
)
# Which module registers each command, so a run imports only what its command needs (the
# statistics stack takes seconds to import; `ingest` from cron should not pay for it).
COMMAND_OWNERS = {
    "demo": "commands.data",
    "ingest": "commands.data",
    "kpi": "commands.kpi",
    "experiment": "commands.experiment",
    "retrain": "commands.retrain",
    "report": "commands.report",
}

EPILOG = """\
The store is chosen by --db PATH, else the YARDSTICK_DB environment variable, else
data/yardstick.duckdb. Run `python cli.py COMMAND --help` for each command's flags.
Exit status: 0 success, 1 error (bad input, unknown id, locked store); `kpi check` also
returns 10 (a KPI at warning) and 20 (an exit criterion met).
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser: every command group, or only the one that owns `command`."""
    parser = argparse.ArgumentParser(
        prog="python cli.py",
        description=(
            "Yardstick: what an ML model in production is worth, and whether the next move pays."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    owner = COMMAND_OWNERS.get(command or "")
    for module_name in (owner,) if owner else COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in arguments if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(arguments)
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

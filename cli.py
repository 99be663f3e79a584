"""Yardstick's command line: everything the dashboard does, scriptable from cron and CI.

Each command group lives in `commands/<group>.py` with a `register(subparsers)` function; flags and
JSON outputs are a public interface (see README.md). `main` is the last resort: whatever a command
raises ends as one line on stderr and a documented exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from commands import data as data_commands
from commands import experiment as experiment_commands
from commands import kpi as kpi_commands
from commands import monitor as monitor_commands
from commands import report as report_commands
from commands import retrain as retrain_commands
from commands.common import help_words
from core.errors import YardstickError
from i18n.catalogue import translate
from i18n.errors import describe
from services.store import commits_so_far, fault_behind, resolve_db_path

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

# Exit statuses (README.md, "Command line"). 2 is argparse's own for a usage error.
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
# The reader of stdout went away (`... | head -3`): what a shell reports for a program ended by
# SIGPIPE (128 + 13), without a message.
EXIT_BROKEN_PIPE = 141
# Set to show the traceback of an unexpected failure (for a bug report).
DEBUG_ENV_VAR = "YARDSTICK_DEBUG"


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command group."""
    parser = argparse.ArgumentParser(
        prog="python cli.py",
        description=help_words("description"),
        epilog=help_words("epilog"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(subparsers)
    return parser


def _error(text: str) -> int:
    print(f"error: {text}", file=sys.stderr)
    return EXIT_ERROR


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush into a closed pipe does
    not print its own BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _unexpected(error: Exception, args: argparse.Namespace) -> int:
    """A failure no command words itself: a store fault behind it, else a bug, in one line."""
    fault = fault_behind(error, resolve_db_path(getattr(args, "db", None)))
    if fault is not None:
        return _error(describe(fault, "en"))
    if os.environ.get(DEBUG_ENV_VAR):
        raise error
    detail = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
    return _error(
        translate(
            "en",
            "error.cli.unexpected",
            kind=type(error).__name__,
            detail=detail,
            variable=DEBUG_ENV_VAR,
        )
    )


class _OneInterrupt:
    """Ctrl-C as KeyboardInterrupt once, while a command runs; later ones are ignored.

    A second Ctrl-C must not break the first one's cleanup and message, nor one that comes as the
    process ends turn into Python's own exit by SIGINT (status -2, which says nothing of whether
    the command's writes were stored): with `final`, later ones stay ignored until the process
    ends; without it (a caller in the same process) the previous handler comes back. Installed
    only in the main thread (where signals land).
    """

    def __init__(self, final: bool) -> None:
        self.final = final
        self.armed = False
        self.previous: signal.Handlers | Callable[[int, FrameType | None], object] | int | None = (
            None
        )

    def __enter__(self) -> _OneInterrupt:
        if threading.current_thread() is threading.main_thread():
            self.armed = True
            self.previous = signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        self.armed = False
        if self.final:
            # Ignored at the system level: Python's shutdown puts its own handlers back to the
            # default (die by SIGINT), but leaves an ignored signal ignored.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        elif self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _interrupted(commits_before: int) -> int:
    """The message of a Ctrl-C: nothing written, or (once a write was committed) stored in full."""
    key = (
        "error.cli.interrupted_after_commit"
        if commits_so_far() > commits_before
        else "error.cli.interrupted"
    )
    print(f"interrupted: {translate('en', key)}", file=sys.stderr)
    return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None, *, final: bool = False) -> int:
    """Run one command; returns the process exit status. `final`: the process ends with the
    command, so a Ctrl-C after it is ignored (see `_OneInterrupt`)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(arguments)
    commits_before = commits_so_far()
    with _OneInterrupt(final):
        return _run(args, commits_before)


def _run(args: argparse.Namespace, commits_before: int) -> int:
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()
        return status
    except YardstickError as error:
        return _error(describe(error, "en"))
    except KeyboardInterrupt:
        return _interrupted(commits_before)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as error:  # the last resort: no traceback reaches the reader
        return _unexpected(error, args)


if __name__ == "__main__":
    status = main(final=True)
    if status == EXIT_INTERRUPTED:
        # Leave at once: DuckDB may still be unwinding the interrupted statement in a worker
        # thread, and its teardown at a normal exit can abort the process. The store is
        # all-or-nothing even when a process is killed, and the temporary files are gone.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)

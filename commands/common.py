"""Flags every command that touches the store shares, the settings they choose, the checks every
command's arguments pass, and the one JSON writer.

Cheap to import (no DuckDB, no pandas): every command module imports it to build its parser.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.clock import parse_instant
from core.errors import YardstickError
from core.strict_json import json_safe
from i18n.catalogue import translate
from i18n.errors import describe
from kpi.checks import MAX_AMOUNT
from services.store import (
    MAX_THREADS,
    StoreMissingError,
    StoreSettings,
    check_and_upgrade,
    memory_limit_problem,
    settings_for,
    threads_problem,
)

# The command line speaks English (README.md, "Architecture"): every sentence it prints is the
# catalogue's message in this language.
LANGUAGE = "en"
# The days `--as-of` may name: a wide window around any data a store holds, and inside the range
# every date library in the stack (Python, pandas, DuckDB) computes with.
EARLIEST_AS_OF = dt.date(1970, 1, 1)
LATEST_AS_OF = dt.date(2100, 12, 31)
# `demo --seed` is what numpy's generators accept.
MAX_SEED = 2**32 - 1


def _type_error(error: YardstickError) -> argparse.ArgumentTypeError:
    """The English wording of a refused flag value, for argparse's usage message (exit 2)."""
    return argparse.ArgumentTypeError(describe(error, LANGUAGE))


def memory_limit_arg(text: str) -> str:
    """`--memory-limit`: a size DuckDB accepts (`2GB`, `512MB`, `80%`)."""
    problem = memory_limit_problem(text)
    if problem is not None:
        raise _type_error(problem)
    return text


def threads_arg(text: str) -> int:
    """`--threads`: a whole number from 1 to `MAX_THREADS`."""
    problem = threads_problem(text)
    if problem is not None:
        raise _type_error(problem)
    return int(text)


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, else a usage error saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise _type_error(YardstickError("cli.int_range", value=text, low=low, high=high))
        return value

    return parse


def amount_arg(text: str) -> float:
    """An amount (`--cost`, a value per day): a finite number of at most `kpi.checks.MAX_AMOUNT`
    (refused here as a flag, exit 2, before the case's own check)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > MAX_AMOUNT:
        raise _type_error(YardstickError("cli.amount_range", value=text, most=f"{MAX_AMOUNT:.0e}"))
    return value


def finite_arg(text: str) -> float:
    """A finite number of any size (`--uplift`, `--discount-rate`, a value per day)."""
    try:
        value = float(text)
    except ValueError as error:
        raise _type_error(YardstickError("cli.not_a_number", value=text)) from error
    if not math.isfinite(value):
        raise _type_error(YardstickError("cli.not_finite", value=text))
    return value


def _as_of_range_error(text: str) -> argparse.ArgumentTypeError:
    return _type_error(
        YardstickError(
            "cli.as_of_range",
            value=text,
            earliest=EARLIEST_AS_OF.isoformat(),
            latest=LATEST_AS_OF.isoformat(),
        )
    )


def as_of_date_arg(text: str) -> dt.date:
    """`--as-of DATE`: an ISO day from `EARLIEST_AS_OF` to `LATEST_AS_OF`."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as error:
        raise _type_error(YardstickError("cli.not_a_date", value=text)) from error
    if not EARLIEST_AS_OF <= day <= LATEST_AS_OF:
        raise _as_of_range_error(text)
    return day


def as_of_instant_arg(text: str) -> dt.datetime:
    """`--as-of TIMESTAMP`: an ISO date or timestamp as naive UTC, whose UTC day is from
    `EARLIEST_AS_OF` to `LATEST_AS_OF` (the days `as_of_date_arg` takes). An experiment is read
    inside its own window, so a time after its end inside the range reads it at its end."""
    try:
        instant = parse_instant(text)
    except (ValueError, OverflowError) as error:
        raise _type_error(YardstickError("cli.not_a_timestamp", value=text)) from error
    if not EARLIEST_AS_OF <= instant.date() <= LATEST_AS_OF:
        raise _as_of_range_error(text)
    return instant


# A spec file is a few kilobytes; anything far larger is not one (and is not read into memory).
MAX_SPEC_BYTES = 1 << 20


def read_spec_text(path: Path) -> str:
    """The text of a TOML spec file: UTF-8, with or without a byte-order mark (Windows editors
    write one; TOML itself does not allow it, so it is dropped here).

    Raises:
        YardstickError: the file cannot be read (`cli.spec_unreadable`), is not a regular file of
            a spec's size (`cli.spec_not_file`), or is not UTF-8 (`cli.spec_not_utf8`, naming the
            first line that is not).
    """
    origin = str(path)
    try:
        if not path.is_file() or path.stat().st_size > MAX_SPEC_BYTES:
            raise YardstickError("cli.spec_not_file", origin=origin, most=MAX_SPEC_BYTES)
        data = path.read_bytes()
    except OSError as error:
        raise YardstickError(
            "cli.spec_unreadable", origin=origin, detail=error.strerror or str(error)
        ) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise YardstickError("cli.spec_not_utf8", origin=origin, line=line) from error


def help_words(key: str, **values: object) -> str:
    """The command line's help text `cli.help.<key>` (an argparse help, description or epilog)
    in `LANGUAGE`, with `values` filled in.

    Every help text is a `str.format` template filled exactly once, with or without values (a
    literal brace is written doubled in the catalogue); a percent sign is left as written, for
    argparse (`%%` in a flag's help, `%` in a description or an epilog).
    """
    return translate(LANGUAGE, f"cli.help.{key}").format(**values)


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """--db, --memory-limit and --threads, shared by every command that touches the store."""
    parser.add_argument("--db", metavar="PATH", help=help_words("common.db"))
    parser.add_argument(
        "--memory-limit",
        type=memory_limit_arg,
        metavar="SIZE",
        help=help_words("common.memory_limit"),
    )
    parser.add_argument(
        "--threads",
        type=threads_arg,
        metavar="N",
        help=help_words("common.threads", most=MAX_THREADS),
    )


Handler = Callable[[argparse.Namespace], int]
if TYPE_CHECKING:  # argparse's action is generic only to the type checker
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """--json, the same words in every command that prints JSON."""
    parser.add_argument("--json", action="store_true", help=help_words("common.json"))


def add_as_of_day(parser: argparse.ArgumentParser, help_text: str) -> None:
    """--as-of DATE (1970 to 2100, `as_of_date_arg`), with the command's own meaning of it."""
    parser.add_argument("--as-of", type=as_of_date_arg, metavar="DATE", help=help_text)


def add_define_action(
    commands: SubParsers, group: str, handler: Handler
) -> argparse.ArgumentParser:
    """`GROUP define --spec FILE.toml [--author NAME]`: store a versioned spec (a KPI, a
    monitor), the same flags for each, worded by `cli.help.<group>.define*`."""
    define = commands.add_parser(
        "define",
        help=help_words(f"{group}.define"),
        description=help_words(f"{group}.define_description"),
    )
    add_store_arguments(define)
    define.add_argument(
        "--spec", required=True, metavar="FILE.toml", help=help_words(f"{group}.define_spec")
    )
    define.add_argument("--author", help=help_words("common.author"))
    define.set_defaults(handler=handler)
    return define


def add_history_action(
    commands: SubParsers, group: str, dest: str, handler: Handler
) -> argparse.ArgumentParser:
    """`GROUP history --id ID [--json]`: every stored version of one spec, worded by
    `cli.help.<group>.history*`."""
    history = commands.add_parser("history", help=help_words(f"{group}.history"))
    add_store_arguments(history)
    history.add_argument("--id", required=True, dest=dest, help=help_words(f"{group}.history_id"))
    add_json_flag(history)
    history.set_defaults(handler=handler)
    return history


def stored_line(spec_id: str, version: int, created: bool, moved: Sequence[str] = ()) -> str:
    """What `define` (a KPI, a monitor) says: the version stored, with the agreed lines a new
    version moved, or that an identical spec left the version in force."""
    if not created:
        return translate(LANGUAGE, "cli.unchanged", id=spec_id, version=version)
    if moved:
        return translate(
            LANGUAGE, "cli.stored_moved", id=spec_id, version=version, moved=", ".join(moved)
        )
    return translate(LANGUAGE, "cli.stored", id=spec_id, version=version)


def print_error(error: YardstickError) -> int:
    """The error's English sentence on stderr (the command line speaks English); exit status 1."""
    print(f"error: {describe(error, LANGUAGE)}", file=sys.stderr)
    return 1


def new_store_settings(args: argparse.Namespace) -> StoreSettings:
    """The settings for a command that makes the store itself (`demo`): the file is not opened,
    so a damaged one can be replaced."""
    return settings_for(args.db, args.memory_limit, args.threads)


def store_settings(args: argparse.Namespace, *, create: bool = False) -> StoreSettings:
    """The store settings chosen by the common flags; a store of an older version is upgraded.

    A store that does not exist is refused unless `create` (`--create` of `ingest` and
    `experiment define`): a mistyped `--db` must not silently start an empty store. Commands
    with `--create` say so (`store.missing_create`), the others point to `demo`
    (`store.missing`). A store written by a newer Yardstick is read with a warning on stderr
    (writing to it is refused by the store).
    """
    settings = settings_for(args.db, args.memory_limit, args.threads)
    if not settings.path.exists():
        if create:
            return settings
        if hasattr(args, "create"):
            raise YardstickError("store.missing_create", path=str(settings.path))
        raise StoreMissingError(settings.path)
    check = check_and_upgrade(settings)
    if check.newer:
        warning = translate(
            LANGUAGE,
            "error.store.newer_schema_read",
            path=settings.path,
            found=check.found,
            latest=check.latest,
        )
        print(f"warning: {warning}", file=sys.stderr)
    return settings


def print_json(payload: Any) -> None:
    """The one JSON writer of the command line: strict JSON (NaN and infinity as null,
    `core.strict_json`), UTF-8 text, indented."""
    print(json.dumps(json_safe(payload), ensure_ascii=False, indent=2, allow_nan=False))

"""`python cli.py kpi explain`: what changed around each step and forecast crossing of a KPI.

Registered under `kpi` by commands/kpi.py. Exit status 0 (also when nothing changed nearby), 1 on
an unknown KPI or bad input.
"""

from __future__ import annotations

import argparse

from commands.common import (
    LANGUAGE,
    add_as_of_day,
    add_json_flag,
    add_store_arguments,
    help_words,
    print_error,
    print_json,
    store_settings,
)
from core.clock import system_clock
from core.errors import YardstickError


def register_explain(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `kpi explain` to the `kpi` group's subcommands."""
    explain = commands.add_parser(
        "explain",
        help=help_words("kpi.explain"),
        description=help_words("kpi.explain_description"),
    )
    add_store_arguments(explain)
    explain.add_argument("--id", required=True, dest="kpi_id", help=help_words("common.kpi_id"))
    add_as_of_day(explain, help_words("kpi.explain_as_of"))
    explain.add_argument(
        "--radius-days",
        type=int,
        metavar="N",
        help=help_words("kpi.radius_days"),
    )
    add_json_flag(explain)
    explain.set_defaults(handler=_explain)


def _explain(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from i18n.explain import explanation_lines, explanation_to_json, monitor_note
    from services.explain import explain_kpi

    try:
        radius = {} if args.radius_days is None else {"radius_days": args.radius_days}
        explanation = explain_kpi(settings, args.kpi_id, args.as_of, clock=system_clock, **radius)
    except YardstickError as error:
        return print_error(error)
    if args.json:
        print_json(explanation_to_json(explanation))
        return 0
    for line in explanation_lines(explanation, LANGUAGE):
        print(line)
    note = monitor_note(explanation, LANGUAGE)
    if note:
        print(note)
    return 0

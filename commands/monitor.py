"""`python cli.py monitor ...`: define monitors from TOML specs, read their history, check them.

`monitor check` is meant for cron and CI: exit status 0 when every monitor is ok, 10 when one is
at warning and none at alert, 20 when one is at alert, 30 when none is at warning or alert but one
lacks data (a stale feed, a window short of min_rows, or no monitor at all), 1 on error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from commands.common import (
    LANGUAGE,
    add_as_of_day,
    add_define_action,
    add_history_action,
    add_json_flag,
    add_store_arguments,
    help_words,
    print_error,
    print_json,
    read_spec_text,
    store_settings,
    stored_line,
)
from commands.monitor_estimate import register_estimate
from commands.monitor_value import register_value
from core.clock import system_clock
from core.errors import YardstickError
from i18n.catalogue import translate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `monitor define`, `monitor history` and `monitor check`."""
    monitor = subparsers.add_parser("monitor", help=help_words("monitor.help"))
    commands = monitor.add_subparsers(dest="monitor_command", metavar="ACTION", required=True)

    add_define_action(commands, "monitor", _define)
    add_history_action(commands, "monitor", "monitor_id", _history)

    check = commands.add_parser(
        "check",
        help=help_words("monitor.check"),
        description=help_words("monitor.check_description"),
    )
    add_store_arguments(check)
    check.add_argument("--id", dest="monitor_id", help=help_words("monitor.check_id"))
    add_as_of_day(check, help_words("monitor.check_as_of"))
    add_json_flag(check)
    check.set_defaults(handler=_check)
    register_estimate(commands)
    register_value(commands)


def _define(args: argparse.Namespace) -> int:
    from monitoring.spec import parse_spec
    from services import monitoring

    path = Path(args.spec)
    try:
        text = read_spec_text(path)
    except YardstickError as error:
        return print_error(error)
    try:
        spec = parse_spec(text, path.name)
        outcome = monitoring.define_monitor(
            store_settings(args), spec, args.author, path.name, clock=system_clock
        )
    except YardstickError as error:
        return print_error(error)
    print(stored_line(outcome.monitor_id, outcome.version, outcome.created))
    return 0


def _history(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from monitoring.spec import spec_to_mapping
    from services import monitoring

    try:
        versions = monitoring.monitor_history(settings, args.monitor_id)
    except YardstickError as error:
        return print_error(error)
    if args.json:
        rows = [
            {
                "version": v.version,
                "author": v.author,
                "defined_at": v.defined_at.isoformat(),
                "rationale": v.spec.rationale,
                "spec": json.loads(json.dumps(spec_to_mapping(v.spec), default=str)),
            }
            for v in versions
        ]
        print_json({"id": args.monitor_id, "versions": rows})
        return 0
    for v in versions:
        print(f"v{v.version}  {v.defined_at:%Y-%m-%d %H:%M}  {v.author}  {v.spec.rationale}")
    return 0


def _value(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"


def _check(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from i18n.monitoring import check_to_json
    from services import monitoring

    try:
        report = monitoring.check_monitors(
            settings, args.monitor_id, args.as_of, clock=system_clock
        )
    except YardstickError as error:
        return print_error(error)
    if args.json:
        payload = {
            "as_of": report.as_of.isoformat() if report.as_of else None,
            "monitors": [check_to_json(check) for check in report.checks],
        }
        print_json(payload)
        return report.exit_code
    if not report.checks:
        print(translate(LANGUAGE, "monitor.none_defined"))
    for c in report.checks:
        print(
            f"{c.monitor_id:<24} v{c.version:<3} {c.status:<17} as_of={c.as_of} "
            f"window_n={c.window_n} reference_n={c.reference_n} model={c.model_id or '–'}"
        )
        for f in c.features:
            if f.status != "ok":
                print(f"  {f.name} {f.method}={_value(f.value)} {f.status}")
        for s in c.serving:
            if s.status != "ok":
                level = f"[{s.level}]" if s.level else ""
                print(f"  {s.objective}{level}={_value(s.value)} limit={s.limit} {s.status}")
        if c.score.status != "ok":
            print(f"  score psi={_value(c.score.psi)} {c.score.status}")
    return report.exit_code

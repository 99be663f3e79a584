"""`python cli.py kpi ...`: define KPIs from TOML specs, read their history, check them, decide.

`kpi check` is meant for cron and CI: exit status 0 when every KPI is healthy, 10 when one is at
warning and none at exit, 20 when an exit criterion is met, 30 when any KPI has no data or data
older than its `max_staleness_days` (30 outranks 20 and 10), 1 on error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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
from commands.kpi_explain import register_explain
from core.clock import system_clock
from core.errors import YardstickError
from core.vocab import KPI_DECISIONS
from i18n.catalogue import translate
from i18n.errors import describe

if TYPE_CHECKING:  # scipy loads only when `kpi check` runs, not for --help
    from services.estimated import KpiEstimate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `kpi define`, `kpi history`, `kpi check` and `kpi decide`."""
    kpi = subparsers.add_parser("kpi", help=help_words("kpi.help"))
    commands = kpi.add_subparsers(dest="kpi_command", metavar="ACTION", required=True)

    add_define_action(commands, "kpi", _define)
    add_history_action(commands, "kpi", "kpi_id", _history)

    check = commands.add_parser(
        "check",
        help=help_words("kpi.check"),
        description=help_words("kpi.check_description"),
    )
    add_store_arguments(check)
    add_as_of_day(check, help_words("kpi.check_as_of"))
    add_json_flag(check)
    check.add_argument("--no-record", action="store_true", help=help_words("kpi.no_record"))
    check.set_defaults(handler=_check)

    decide = commands.add_parser("decide", help=help_words("kpi.decide"))
    add_store_arguments(decide)
    decide.add_argument("--id", required=True, dest="kpi_id", help=help_words("common.kpi_id"))
    decide.add_argument(
        "--decision", required=True, choices=KPI_DECISIONS, help=help_words("kpi.decision")
    )
    decide.add_argument("--reason", required=True, help=help_words("kpi.reason"))
    decide.add_argument("--by", help=help_words("kpi.by"))
    decide.set_defaults(handler=_decide)

    register_explain(commands)


def _define(args: argparse.Namespace) -> int:
    path = Path(args.spec)
    try:
        text = read_spec_text(path)
    except YardstickError as error:
        return print_error(error)
    settings = store_settings(args)
    from kpi.spec import parse_spec
    from services import kpis

    try:
        spec = parse_spec(text, path.name)
        outcome = kpis.define_kpi(settings, spec, args.author, path.name, text, clock=system_clock)
    except YardstickError as error:
        return print_error(error)
    print(stored_line(outcome.kpi_id, outcome.version, outcome.created, outcome.changed_lines))
    return 0


def _history(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from services import kpis

    try:
        versions = kpis.kpi_history(settings, args.kpi_id)
    except YardstickError as error:
        return print_error(error)
    if args.json:
        rows = [
            {
                "version": v.version,
                "author": v.author,
                "created_at": v.created_at.isoformat(),
                "rationale": v.spec.rationale,
                "target": v.spec.target,
                "warning": v.spec.warning,
                "exit": v.spec.exit_threshold,
                "window_days": v.spec.window_days,
                "persistence": v.spec.persistence,
                "confidence": v.spec.confidence,
                "max_staleness_days": v.spec.max_staleness_days,
                "owner": v.spec.owner,
            }
            for v in versions
        ]
        print_json({"id": args.kpi_id, "versions": rows})
        return 0
    for v in versions:
        print(
            f"v{v.version}  {v.created_at:%Y-%m-%d %H:%M}  {v.author}  target={v.spec.target:g} "
            f"warning={v.spec.warning:g} exit={v.spec.exit_threshold:g}  {v.spec.rationale}"
        )
    return 0


def _check(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from i18n.kpi import estimate_to_json, status_to_json
    from services import estimated, kpis

    try:
        check = estimated.check_kpis_with_estimates(
            settings, args.as_of, record=not args.no_record, clock=system_clock
        )
    except YardstickError as error:
        return print_error(error)
    statuses, estimates = check.statuses, check.estimates
    as_of = args.as_of or max((s.as_of for s in statuses), default=None)
    for s in statuses:
        if s.ignored_future_rows:
            note = translate(LANGUAGE, "kpi.card.future_rows", rows=s.ignored_future_rows)
            print(f"note: {s.kpi_id}: {note}", file=sys.stderr)
    if args.json:
        payload = {
            "as_of": as_of.isoformat() if as_of else None,
            "kpis": [
                status_to_json(status) | estimate_to_json(estimates.get(status.kpi_id))
                for status in statuses
            ],
        }
        print_json(payload)
    else:
        for s in statuses:
            value = f"{s.value:.6g}" if s.value is not None else "–"
            stale = ""
            if s.is_stale:
                age = (
                    translate(LANGUAGE, "cli.kpi.stale_no_data")
                    if s.stale_days is None
                    else translate(LANGUAGE, "cli.kpi.stale_days", days=s.stale_days)
                )
                stale = "  " + translate(
                    LANGUAGE, "cli.kpi.stale", age=age, allowed=s.max_staleness_days
                )
            print(
                f"{s.kpi_id:<28} v{s.version:<3} {s.status:<8} value={value} "
                f"warning={s.warning:g} exit={s.exit:g} model={s.model_id or '–'} "
                f"on={s.as_of.isoformat()}{stale}"
            )
            if s.kpi_id in estimates:
                print(f"  {_estimated_line(estimates[s.kpi_id])}")
    return kpis.exit_code(statuses)


def _estimated_line(estimate: KpiEstimate) -> str:
    """The estimated part of a KPI in one line (English, as the rest of the CLI)."""
    from i18n.kpi import estimate_refusal

    refusal = estimate_refusal(estimate)
    if refusal is not None:
        return translate(LANGUAGE, "cli.kpi.estimated_none", reason=describe(refusal, LANGUAGE))
    if estimate.value is None or estimate.estimated_from is None:
        return translate(LANGUAGE, "cli.kpi.estimated_nothing")
    value = estimate.value
    return translate(
        LANGUAGE,
        "cli.kpi.estimated",
        status=estimate.status,
        start=estimate.estimated_from,
        end=estimate.estimated_through,
        value=value.value,
        low=value.low,
        high=value.high,
        monitor=estimate.monitor_id,
        threshold=estimate.threshold,
    ) + _handover_note(estimate)


def _handover_note(estimate: KpiEstimate) -> str:
    """After a hand-over, which version each run of estimated days is (the status restarted)."""
    versions = estimate.versions
    if len(versions) < 2:
        return ""
    runs = ", ".join(
        translate(LANGUAGE, "cli.kpi.version_run", model_id=v.model_id, start=v.first, end=v.last)
        for v in versions
    )
    return translate(LANGUAGE, "cli.kpi.estimated_versions", runs=runs)


def _decide(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from services import kpis

    try:
        decision = kpis.record_decision(
            settings,
            args.kpi_id,
            args.decision,
            args.reason,
            args.by,
            clock=system_clock,
        )
    except YardstickError as error:
        return print_error(error)
    print(
        translate(
            LANGUAGE,
            "cli.kpi.decided",
            kpi_id=decision.kpi_id,
            decision=decision.decision,
            version=decision.version,
        )
    )
    return 0

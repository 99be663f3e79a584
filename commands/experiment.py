"""`experiment define`, `history` and `analyze`: A/B tests from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING

from commands.common import (
    LANGUAGE,
    add_json_flag,
    add_store_arguments,
    as_of_instant_arg,
    help_words,
    print_error,
    print_json,
    read_spec_text,
    store_settings,
)
from commands.experiment_health import register_health
from core.clock import system_clock
from core.errors import YardstickError
from experiments.spec import parse_spec_text
from i18n.catalogue import translate

# The analysis and the store (scipy, sqlglot, DuckDB) are imported inside the handlers, so that
# `--help` stays fast (tests/test_startup.py).
if TYPE_CHECKING:
    from experiments.analysis import ExperimentAnalysis


def parse_as_of(text: str) -> dt.datetime:
    """An ISO date or timestamp (`2026-10-29`, `2026-10-29T00:00:00Z`) as naive UTC, inside the
    days `commands.common.as_of_instant_arg` accepts."""
    return as_of_instant_arg(text)


def _define(args: argparse.Namespace) -> int:
    try:
        spec = parse_spec_text(read_spec_text(Path(args.spec)), origin=args.spec)
    except YardstickError as error:
        return print_error(error)
    settings = store_settings(args, create=args.create)
    from services import experiments as service

    version = service.define(settings, spec, args.reason, system_clock)
    print(translate(LANGUAGE, "cli.experiment.defined", id=spec.id, version=version))
    return 0


def _history(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from services import experiments as service

    try:
        versions = service.history(settings, args.experiment_id)
    except YardstickError as error:
        return print_error(error)
    for entry in versions:
        spec = entry.spec
        print(
            f"v{entry.version}  {entry.defined_at:%Y-%m-%d %H:%M} UTC  {entry.defined_by}  "
            f"{spec.start:%Y-%m-%d} to {spec.end:%Y-%m-%d}  {spec.method}  "
            f"primary={spec.primary_metric.name}"
        )
    return 0


def _percent(value: float) -> str:
    return f"{value * 100:+.2f}%" if math.isfinite(value) else "n/a"


def _chance(value: float) -> str:
    return f"{value:.1%}" if math.isfinite(value) else "n/a"


def _results_lines(analysis: ExperimentAnalysis) -> list[str]:
    """The comparison table: raw p, the adjusted p where a correction applies, and its family."""
    from experiments.corrections import p_value_kind

    spec = analysis.spec
    header = (
        f"{'metric':<14}{'role':<10}{'variant':<12}{'control':>12}{'variant':>12}"
        f"{'relative effect [CI]':>30}{'raw p':>9}{'adj. p':>9}{'P(win)':>8}  cuped  "
        "correction family"
    )
    lines = [header, "-" * len(header)]
    roles = {metric.name: metric.role for metric in spec.metrics}
    for c in analysis.comparisons:
        interval = f"{_percent(c.relative_effect)} [{_percent(c.relative_ci[0])}, " + (
            f"{_percent(c.relative_ci[1])}]"
        )
        family = analysis.correction_family(c)
        adjusted = f"{c.decisive_p_value:.3g}" if p_value_kind(c) == "adjusted" else "-"
        family_text = (
            f"{family} ({analysis.family_size(family)}, {c.correction})"
            if family
            else translate(LANGUAGE, "cli.experiment.no_family")
        )
        lines.append(
            f"{c.metric:<14}{roles[c.metric]:<10}{c.variant:<12}{c.control_mean:>12.5g}"
            f"{c.variant_mean:>12.5g}{interval:>30}{c.p_value:>9.3g}"
            f"{adjusted:>9}{_chance(c.chance_to_win):>8}  {'yes' if c.cuped else 'no':<7}"
            f"{family_text}"
        )
    return lines


def _invalid_lines(analysis: ExperimentAnalysis) -> list[str]:
    """In place of the effects: why they are hidden and what to check (English)."""
    from i18n.experiments import reason_message

    plan = " / ".join(f"{name} {share:.0%}" for name, share in analysis.spec.variants)
    lines = [
        translate(LANGUAGE, "experiments.invalid_title"),
        "",
        translate(LANGUAGE, "cli.experiment.decision", decision="invalid"),
    ]
    lines += [
        f"  - {reason_message(LANGUAGE, reason.code, reason.values)}" for reason in analysis.reasons
    ]
    lines += ["", translate(LANGUAGE, "experiments.invalid_intro")]
    for check in ("config", "logging", "filters", "ramp", "restart"):
        lines.append(f"  - {translate(LANGUAGE, f'experiments.invalid_check_{check}', plan=plan)}")
    lines.append(translate(LANGUAGE, "experiments.invalid_json_hint", id=analysis.spec.id))
    return lines


def render_table(analysis: ExperimentAnalysis) -> str:
    """The analysis as a plain-text report for a terminal; on a sample ratio mismatch the effects
    are replaced by what to check."""
    from i18n.experiments import note_message, reason_message

    spec = analysis.spec
    lines = [
        f"{spec.id} (v{analysis.version}): {spec.name}",
        translate(
            LANGUAGE,
            "cli.experiment.as_of",
            as_of=f"{analysis.as_of:%Y-%m-%d %H:%M}",
            method=spec.method,
            alpha=spec.alpha,
            correction=spec.correction,
        ),
        translate(
            LANGUAGE,
            "cli.experiment.units",
            counts=", ".join(f"{name} {count:,}" for name, count in analysis.units.items()),
            excluded=analysis.excluded_multiple_variants,
        ),
        translate(
            LANGUAGE,
            "cli.experiment.srm_mismatch" if analysis.srm.mismatch else "cli.experiment.srm_ok",
            p_value=analysis.srm.p_value,
        ),
        "",
    ]
    if not analysis.valid:
        lines += _invalid_lines(analysis)
        return "\n".join(lines)
    lines += _results_lines(analysis)
    for g in analysis.guardrails:
        lines.append(
            translate(
                LANGUAGE,
                "cli.experiment.guardrail",
                metric=g.metric,
                variant=g.variant,
                status=g.status,
                worst=_percent(g.worst_case_relative_effect),
                margin=g.margin,
            )
        )
    lines += ["", translate(LANGUAGE, "cli.experiment.decision", decision=analysis.recommendation)]
    several = len(spec.treatments) > 1
    for reason in analysis.reasons:
        text = reason_message(LANGUAGE, reason.code, reason.values)
        lines.append(f"  - {reason.variant}: {text}" if several else f"  - {text}")
    lines += [f"warning: {note_message(LANGUAGE, note)}" for note in analysis.notes]
    if analysis.segments:
        lines.append(
            translate(LANGUAGE, "cli.experiment.segment_rows", rows=len(analysis.segments))
        )
    return "\n".join(lines)


def _analyze(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from i18n.experiments import analysis_to_json
    from services import experiments as service

    try:
        analysis = service.analyze(
            settings, args.experiment_id, args.as_of, args.version, system_clock
        )
    except YardstickError as error:
        return print_error(error)
    if args.json:
        print_json(analysis_to_json(analysis))
    else:
        print(render_table(analysis))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `experiment define`, `experiment history` and `experiment analyze`."""
    experiment = subparsers.add_parser("experiment", help=help_words("experiment.help"))
    actions = experiment.add_subparsers(dest="experiment_command", metavar="ACTION", required=True)

    define = actions.add_parser(
        "define",
        help=help_words("experiment.define"),
        description=help_words("experiment.define_description"),
    )
    add_store_arguments(define)
    define.add_argument(
        "--spec", required=True, metavar="FILE.toml", help=help_words("experiment.define_spec")
    )
    define.add_argument("--reason", help=help_words("common.reason"))
    define.add_argument("--create", action="store_true", help=help_words("common.create"))
    define.set_defaults(handler=_define)

    history = actions.add_parser(
        "history",
        help=help_words("experiment.history"),
        description=help_words("experiment.history_description"),
    )
    add_store_arguments(history)
    history.add_argument(
        "--id", required=True, dest="experiment_id", help=help_words("common.experiment_id")
    )
    history.set_defaults(handler=_history)

    analyze_parser = actions.add_parser(
        "analyze",
        help=help_words("experiment.analyze"),
        description=help_words("experiment.analyze_description"),
    )
    add_store_arguments(analyze_parser)
    analyze_parser.add_argument(
        "--id", required=True, dest="experiment_id", help=help_words("common.experiment_id")
    )
    analyze_parser.add_argument(
        "--as-of",
        type=parse_as_of,
        metavar="TIMESTAMP",
        help=help_words("experiment.analyze_as_of"),
    )
    analyze_parser.add_argument("--version", type=int, help=help_words("experiment.version"))
    add_json_flag(analyze_parser)
    analyze_parser.set_defaults(handler=_analyze)
    register_health(actions, parse_as_of)

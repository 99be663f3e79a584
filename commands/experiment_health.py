"""`python cli.py experiment health`: the serving health of an experiment's arms (latency,
fallbacks, score distribution per arm) and the health check for the test.

Exit status: 0 the arms serve alike; 10 a treatment arm is flagged (slower, or scoring
differently); 30 too few predictions to compare (no arm with a model, or no predictions); 1 error.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

from commands.common import (
    LANGUAGE,
    add_json_flag,
    add_store_arguments,
    help_words,
    print_error,
    print_json,
    store_settings,
)
from core.clock import system_clock
from core.errors import YardstickError
from i18n.catalogue import translate

HEALTH_EXIT = {"ok": 0, "flagged": 10, "insufficient_data": 30}


def register_health(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
    parse_as_of: Callable[[str], dt.datetime],
) -> None:
    """Add `experiment health` beside the other experiment actions."""
    health = actions.add_parser(
        "health",
        help=help_words("experiment.health"),
        description=help_words("experiment.health_description"),
    )
    add_store_arguments(health)
    health.add_argument(
        "--id", required=True, dest="experiment_id", help=help_words("common.experiment_id")
    )
    health.add_argument(
        "--as-of",
        type=parse_as_of,
        metavar="TIMESTAMP",
        help=help_words("experiment.health_as_of"),
    )
    add_json_flag(health)
    health.set_defaults(handler=_health)


def _number(value: float | None, digits: str = ".1f") -> str:
    return "–" if value is None else f"{value:{digits}}"


def _health(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from i18n.serving import health_to_json
    from services import serving

    try:
        report = serving.arm_health(
            settings, args.experiment_id, as_of=args.as_of, clock=system_clock
        )
    except YardstickError as error:
        return print_error(error)
    code = HEALTH_EXIT[report.status]
    if args.json:
        print_json(health_to_json(report))
        return code
    print(
        translate(
            LANGUAGE,
            "cli.experiment.health_summary",
            experiment_id=report.experiment_id,
            start=report.days[0],
            end=report.days[1],
            status=report.status,
        )
    )
    print("arm        model                 requests  p50     p95     p99     fallback  score p50")
    for a in report.arms:
        print(
            f"{a.variant:<10} {a.model_id:<21} {a.requests:<9} {_number(a.latency_p50_ms):<7} "
            f"{_number(a.latency_p95_ms):<7} {_number(a.latency_p99_ms):<7} "
            f"{a.fallback_rate:<9.2%} {_number(a.scores.q50, '.4f')}"
        )
    for c in report.comparisons:
        print(
            translate(
                LANGUAGE,
                "cli.experiment.health_comparison",
                variant=c.variant,
                ratio=_number(c.latency_p95_ratio, ".2f"),
                ks=_number(c.ks, ".3f"),
                p_value=_number(c.ks_p_value, ".2g"),
                psi=_number(c.score_psi, ".3f"),
                status=c.status,
            )
        )
    return code

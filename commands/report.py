"""`python cli.py report`: the stakeholder report of a KPI's retraining case (HTML or Markdown).

The case comes from the flags of `retrain evaluate`, or, without `--cost`, from the KPI's one
stored retraining plan. `--experiment` names the A/B evidence, which is then the source of the
expected gain (on the metric `services.retraining.uplift_metric_for` picks: `--uplift-metric`,
else the KPI's metric when the experiment measures it, else the experiment's primary metric).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from commands.common import LANGUAGE, help_words, print_error, store_settings
from commands.retrain import (
    add_case_arguments,
    flag_problems,
    print_problems,
    request_from_args,
)
from core.clock import system_clock, today
from core.errors import YardstickError
from core.vocab import REPORT_FORMATS
from i18n.catalogue import LANGUAGES, translate

# The case, the store and the renderer (pandas, statsmodels, plotly, DuckDB) are imported inside
# the functions that run the command, so that `--help` stays fast (tests/test_startup.py).
if TYPE_CHECKING:
    from kpi.retraining import CaseRequest
    from services.retraining import CaseReads


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report`."""
    report = subparsers.add_parser(
        "report",
        help=help_words("report.help"),
        description=help_words("report.description"),
    )
    add_case_arguments(report, cost_required=False)
    report.add_argument(
        "--experiment",
        metavar="EXP",
        help=help_words("report.experiment"),
    )
    report.add_argument("--lang", choices=LANGUAGES, required=True, help=help_words("report.lang"))
    report.add_argument(
        "--format",
        choices=REPORT_FORMATS,
        required=True,
        dest="report_format",
        help=help_words("report.format"),
    )
    report.add_argument("--out", metavar="FILE", help=help_words("report.out"))
    report.set_defaults(handler=_report)


def _has_uplift_flags(args: argparse.Namespace) -> bool:
    return any(
        value is not None
        for value in (args.uplift_experiment, args.uplift_metric, args.uplift, args.uplift_se)
    )


def experiment_problems(args: argparse.Namespace) -> list[YardstickError]:
    """`--experiment` measures the gain: it cannot come with an assumed uplift or another test."""
    if args.experiment is None:
        return []
    if args.uplift is not None or args.uplift_se is not None:
        return [YardstickError("retrain.experiment_with_assumed", field="experiment")]
    if args.uplift_experiment not in (None, args.experiment):
        return [
            YardstickError(
                "retrain.experiments_differ",
                field="experiment",
                experiment=args.experiment,
                uplift_experiment=args.uplift_experiment,
            )
        ]
    return []


def resolve_request(reads: CaseReads, args: argparse.Namespace) -> CaseRequest:
    """The case the flags ask for, filling the cost (and gain) from the stored plan if needed;
    `reads` are made in the snapshot the case is built on (`evaluate_resolved`)."""
    from kpi.retraining import with_experiment

    if args.cost is not None:
        request = request_from_args(args, args.cost)
    else:
        # An unknown KPI is said as such (`kpi.unknown`), not as a KPI without a stored plan.
        reads.known_kpi(args.kpi)
        request = reads.plan_request(args.kpi, args.as_of)
        if _has_uplift_flags(args):
            request = dataclasses.replace(
                request,
                uplift_experiment=args.uplift_experiment,
                uplift_metric=args.uplift_metric,
                uplift=args.uplift,
                uplift_se=args.uplift_se,
            )
    if args.experiment is None:
        return request
    metric = reads.uplift_metric(args.experiment, args.kpi, args.uplift_metric)
    return with_experiment(request, args.experiment, metric)


def _report(args: argparse.Namespace) -> int:
    from reports.retraining import render_report
    from services.retraining import evaluate_resolved

    problems = flag_problems(args) + experiment_problems(args)
    if problems:
        return print_problems(problems)
    settings = store_settings(args)
    try:
        # The plan, the experiment's metric and the evidence: one snapshot.
        built = evaluate_resolved(
            settings, lambda reads: resolve_request(reads, args), clock=system_clock, explain=True
        )
    except YardstickError as error:
        return print_problems([error])
    text = render_report(
        built.case,
        built.detail,
        args.lang,
        args.report_format,
        today(system_clock),
        built.explanation,
    )
    if args.out is None:
        print(text, end="")
        return 0
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as error:
        return print_error(
            YardstickError(
                "cli.out_unwritable", origin=args.out, detail=error.strerror or str(error)
            )
        )
    print(translate(LANGUAGE, "cli.report.written", path=args.out))
    return 0

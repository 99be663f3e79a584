"""`python cli.py report`: the stakeholder report of a KPI's retraining case (HTML or Markdown).

The case comes from the flags of `retrain evaluate`, or, without `--cost`, from the KPI's one
stored retraining plan. `--experiment` names the A/B evidence, which is then the source of the
expected gain (on `--uplift-metric`, else the KPI's metric when the experiment measures it, else
the experiment's primary metric).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from commands.common import store_settings
from commands.retrain import (
    LOOKUP_ERRORS,
    add_case_arguments,
    error_message,
    flag_problems,
    print_error,
    request_from_args,
)
from data import experiment_store, retrain_store
from data.store import StoreSettings
from i18n.catalogue import LANGUAGES
from kpi.report import FORMATS, render_report
from kpi.retraining import CaseRequest, RetrainingInputError, evaluate_request, request_from_plan
from services import kpis as service


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `report`."""
    report = subparsers.add_parser(
        "report",
        help="the retraining report for stakeholders, in Japanese or English",
        description="Write the retraining case of one KPI as a report for its business owner. "
        "Without --cost the case comes from the KPI's one stored retraining plan (saved on the "
        "Retraining page); with --cost, from the same flags as `retrain evaluate`.",
    )
    add_case_arguments(report, cost_required=False)
    report.add_argument(
        "--experiment",
        metavar="EXP",
        help="the A/B test to show as evidence; its effect becomes the expected gain",
    )
    report.add_argument("--lang", choices=LANGUAGES, required=True, help="report language")
    report.add_argument(
        "--format", choices=FORMATS, required=True, dest="report_format", help="HTML or Markdown"
    )
    report.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
    report.set_defaults(handler=_report)


def _has_uplift_flags(args: argparse.Namespace) -> bool:
    return any(
        value is not None
        for value in (args.uplift_experiment, args.uplift_metric, args.uplift, args.uplift_se)
    )


def _experiment_metric(settings: StoreSettings, experiment_id: str, kpi_id: str) -> str:
    """The KPI's metric when the experiment measures it, else the experiment's primary metric."""
    spec = experiment_store.load_definition(settings, experiment_id).spec
    kpi_metric = service.kpi_detail(settings, kpi_id).spec.metric
    names = [metric.name for metric in spec.metrics]
    return kpi_metric if kpi_metric in names else spec.primary_metric.name


def resolve_request(settings: StoreSettings, args: argparse.Namespace) -> CaseRequest:
    """The case the flags ask for, filling the cost (and gain) from the stored plan if needed."""
    if args.cost is not None:
        request = request_from_args(args, args.cost)
    else:
        plans = retrain_store.latest_plans(settings, args.kpi)
        if len(plans) != 1:
            found = ", ".join(p.plan.plan_id for p in plans) or "none stored"
            raise RetrainingInputError(
                f"give --cost: KPI '{args.kpi}' needs exactly one stored retraining plan to take "
                f"the cost from (found: {found})"
            )
        request = request_from_plan(plans[0].plan, args.as_of)
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
    if args.uplift is not None or args.uplift_se is not None:
        raise RetrainingInputError(
            "--experiment measures the expected gain; do not combine it with --uplift/--uplift-se"
        )
    if args.uplift_experiment not in (None, args.experiment):
        raise RetrainingInputError(
            f"--experiment {args.experiment} and --uplift-experiment {args.uplift_experiment} "
            "name different experiments"
        )
    metric = args.uplift_metric or _experiment_metric(settings, args.experiment, args.kpi)
    return dataclasses.replace(
        request,
        uplift_experiment=args.experiment,
        uplift_metric=metric,
        uplift=None,
        uplift_se=None,
    )


def _report(args: argparse.Namespace) -> int:
    problems = flag_problems(args)
    if problems:
        return print_error("; ".join(problems))
    settings = store_settings(args)
    try:
        case, detail = evaluate_request(settings, resolve_request(settings, args))
    except LOOKUP_ERRORS as error:
        return print_error(error_message(error))
    text = render_report(case, detail, args.lang, args.report_format)
    if args.out is None:
        print(text, end="")
        return 0
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as error:
        return print_error(f"cannot write {args.out}: {error}")
    print(f"report written to {args.out}")
    return 0

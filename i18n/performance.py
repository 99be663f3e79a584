"""Wording of performance estimation: why nothing is estimated, and the `monitor estimate --json`
record (a direct serialisation of `services.performance.PerformanceReport`)."""

from __future__ import annotations

import datetime as dt

from core.errors import YardstickError
from i18n.errors import describe
from monitoring.cbpe import CalibrationCheck, DailyPerformance, Estimate
from services.performance import PerformanceReport


def refusal_error(report: PerformanceReport) -> YardstickError | None:
    """The reason no estimate is given, as an error to word (None when estimated)."""
    if report.refusal is None:
        return None
    return calibration_refusal(
        report.refusal, report.family, report.reference, report.calibration, report.min_rows
    )


def calibration_refusal(
    code: str,
    family: str,
    reference: tuple[dt.date, dt.date] | None,
    check: CalibrationCheck,
    min_rows: int,
    kpi_id: str = "–",
    metric: str = "–",
) -> YardstickError:
    """A refusal to estimate (code under `error.`) with every value its wording may name (the
    KPI's id and metric for a KPI's estimated days)."""
    start, end = reference or (None, None)
    return YardstickError(
        code,
        family=family,
        start=start.isoformat() if start else "–",
        end=end.isoformat() if end else "–",
        n=check.n,
        min_rows=min_rows,
        p_value="–" if check.p_value is None else f"{check.p_value:.2g}",
        alpha=check.alpha,
        ece="–" if check.ece is None else f"{check.ece:.4f}",
        kpi_id=kpi_id,
        metric=metric,
    )


def estimate_to_json(estimate: Estimate | None) -> dict[str, object] | None:
    if estimate is None:
        return None
    return {"value": estimate.value, "ci": [estimate.low, estimate.high]}


def _day(day: DailyPerformance) -> dict[str, object]:
    return {
        "date": day.day.isoformat(),
        "n": day.n,
        "labelled": day.labelled,
        "estimated": day.estimated,
        "precision": estimate_to_json(day.precision),
        "recall": estimate_to_json(day.recall),
        "value": estimate_to_json(day.value),
        "realised": {
            "precision": day.realised_precision,
            "recall": day.realised_recall,
            "value": day.realised_value,
        },
    }


def report_to_json(report: PerformanceReport, lang: str = "en") -> dict[str, object]:
    """`monitor estimate --json` (ISO dates; null where a value is unknown or refused)."""
    check = report.calibration
    refusal = refusal_error(report)
    return {
        "id": report.monitor_id,
        "family": report.family,
        "model_id": report.model_id,
        "as_of": report.as_of.isoformat(),
        "threshold": report.threshold,
        "status": report.status,
        "reason": None
        if refusal is None
        else {"code": refusal.code, "message": describe(refusal, lang)},
        "reference": {
            "start": report.reference[0].isoformat() if report.reference else None,
            "end": report.reference[1].isoformat() if report.reference else None,
        },
        "window": {"start": report.window[0].isoformat(), "end": report.window[1].isoformat()},
        "calibration": {
            "status": check.status,
            "n": check.n,
            "ece": check.ece,
            "statistic": check.statistic,
            "df": check.groups,
            "p_value": check.p_value,
            "alpha": check.alpha,
            "bins": [
                {
                    "bin": b.index,
                    "n": b.n,
                    "mean_score": b.mean_score,
                    "label_rate": b.label_rate,
                    "score_min": b.score_min,
                    "score_max": b.score_max,
                }
                for b in check.bins
            ],
        },
        "kpi": report.kpi_id,
        "currency": report.currency,
        "days": [_day(d) for d in report.days],
    }

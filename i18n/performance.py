"""Wording of performance estimation: why nothing is estimated, and the `monitor estimate --json`
record (a direct serialisation of `services.performance.PerformanceReport`)."""

from __future__ import annotations

from core.errors import YardstickError
from i18n.errors import describe
from monitoring.cbpe import DailyPerformance, Estimate
from services.performance import PerformanceReport


def refusal_error(report: PerformanceReport) -> YardstickError | None:
    """The reason no estimate is given, as an error to word (None when estimated)."""
    if report.refusal is None:
        return None
    check = report.calibration
    start, end = report.reference or (None, None)
    return YardstickError(
        report.refusal,
        family=report.family,
        start=start.isoformat() if start else "–",
        end=end.isoformat() if end else "–",
        n=check.n,
        min_rows=report.min_rows,
        p_value="–" if check.p_value is None else f"{check.p_value:.2g}",
        alpha=check.alpha,
        ece="–" if check.ece is None else f"{check.ece:.4f}",
    )


def _estimate(estimate: Estimate | None) -> dict[str, object] | None:
    if estimate is None:
        return None
    return {"value": estimate.value, "ci": [estimate.low, estimate.high]}


def _day(day: DailyPerformance) -> dict[str, object]:
    return {
        "date": day.day.isoformat(),
        "n": day.n,
        "labelled": day.labelled,
        "estimated": day.estimated,
        "precision": _estimate(day.precision),
        "recall": _estimate(day.recall),
        "value": _estimate(day.value),
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

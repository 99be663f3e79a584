"""Experiment wording: decision reasons, analysis notes, segment labels and why an experiment
cannot be analysed, in the reader's language, from the message catalogues.

The engine returns codes and values (`experiments.analysis`, `experiments.decision`); every
sentence a reader sees about them is made here, and so is the `experiment analyze --json`
document, whose `reasons` and `warnings` are the English wording of those codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from core.errors import Unavailable, YardstickError
from core.strict_json import json_safe
from core.vocab import CorrectionFamily
from experiments.analysis import ExperimentAnalysis, Note, ReasonLine
from experiments.corrections import p_value_kind
from experiments.decision import Decision
from experiments.spec import ExperimentSpec
from experiments.sql import MISSING_SEGMENT, OTHER_SEGMENT
from experiments.stats import Comparison
from i18n.catalogue import translate
from i18n.errors import describe

# `experiment analyze --json` words its documented `reasons` and `warnings` in English.
JSON_LANGUAGE = "en"


def p_label(lang: str, kind: str, correction: str | None) -> str:
    """How a shown p-value was obtained: `raw p`, or `Holm-adjusted p` / `BH-adjusted p`."""
    if kind == "adjusted" and correction in ("holm", "bh"):
        return translate(lang, f"experiments.p_adjusted_{correction}")
    return translate(lang, "experiments.p_raw")


def reason_message(lang: str, code: str, values: Mapping[str, Any]) -> str:
    """One decision reason (`experiments.reason_<code>`) with its values filled in; a quoted
    p-value is labelled raw or adjusted from the reason's `p_kind` and `correction`."""
    label = p_label(lang, str(values.get("p_kind", "raw")), values.get("correction"))
    return translate(lang, f"experiments.reason_{code}", **({"p_label": label} | dict(values)))


def family_label(lang: str, family: CorrectionFamily | None, correction: str, size: int) -> str:
    """Which correction family a comparison's adjusted p-value comes from, in words."""
    if family is None:
        return translate(lang, "experiments.family_guardrail")
    return translate(
        lang,
        f"experiments.family_{family}",
        size=size,
        correction=translate(lang, f"experiments.correction_short_{correction}"),
    )


def segment_label(lang: str, value: str) -> str:
    """A segment value as shown to readers: the catch-all buckets get words, not codes."""
    buckets = {
        OTHER_SEGMENT: "experiments.segment_other",
        MISSING_SEGMENT: "experiments.segment_none",
    }
    return translate(lang, buckets[value]) if value in buckets else value


def note_message(lang: str, note: Note) -> str:
    """One analysis note (`experiments.note_<code>`), placed in its segment when it has one."""
    message = translate(lang, f"experiments.note_{note.code}", **note.values)
    if "segment" not in note.values:
        return message
    return translate(
        lang,
        "experiments.note_in_segment",
        segment=note.values["segment"],
        segment_value=segment_label(lang, note.values["segment_value"]),
        note=message,
    )


def unavailable_message(lang: str, unavailable: Unavailable) -> str:
    """Why an experiment cannot be analysed yet (the catalogue's `error.<code>`)."""
    return describe(YardstickError.from_values(unavailable.code, unavailable.values), lang)


def _utc(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _result_row(
    spec: ExperimentSpec,
    comparison: Comparison,
    segment: dict[str, str] | None,
    family: CorrectionFamily | None,
    family_size: int,
) -> dict[str, Any]:
    role = next(m.role for m in spec.metrics if m.name == comparison.metric)
    kind = p_value_kind(comparison)
    return {
        "metric": comparison.metric,
        "kind": comparison.kind,
        "role": role,
        "variant": comparison.variant,
        "control": comparison.control,
        "n_control": comparison.n_control,
        "n_variant": comparison.n_variant,
        "control_mean": comparison.control_mean,
        "variant_mean": comparison.variant_mean,
        "cuped": comparison.cuped,
        "cuped_theta": comparison.cuped_theta,
        "absolute_effect": comparison.absolute_effect,
        "absolute_ci": list(comparison.absolute_ci),
        "relative_effect": comparison.relative_effect,
        "relative_ci": list(comparison.relative_ci),
        "relative_ci_symmetric": list(comparison.relative_ci_symmetric),
        "relative_warning": comparison.relative_warning,
        "p_value": comparison.p_value,
        "adjusted_p_value": comparison.decisive_p_value,
        "p_value_adjusted": comparison.adjusted_p_value if kind == "adjusted" else None,
        "p_value_kind": kind,
        "correction_family": family,
        "correction_family_size": family_size,
        "chance_to_win": comparison.chance_to_win,
        "expected_loss": comparison.expected_loss,
        "uncapped_relative_effect": comparison.uncapped_relative_effect,
        "capping_changes_sign": comparison.capping_changes_sign,
        "segment": segment,
    }


def _reason_line(analysis: ExperimentAnalysis, reason: ReasonLine) -> str:
    """A recommendation's reason in English, named by its variant when there are several."""
    text = reason_message(JSON_LANGUAGE, reason.code, reason.values)
    return f"{reason.variant}: {text}" if len(analysis.spec.treatments) > 1 else text


def _decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "variant": decision.variant,
        "outcome": decision.outcome,
        "reasons": [
            reason_message(JSON_LANGUAGE, code, values)
            for code, values in zip(decision.reason_codes, decision.reason_values, strict=True)
        ],
        "reason_codes": list(decision.reason_codes),
        "reason_values": [dict(values) for values in decision.reason_values],
    }


def analysis_to_json(analysis: ExperimentAnalysis) -> dict[str, Any]:
    """The `experiment analyze --json` document: codes and values, with their English wording
    under the documented keys (`reasons`, `warnings`)."""
    spec = analysis.spec
    rows = []
    for c in analysis.comparisons:
        family = analysis.correction_family(c)
        rows.append(_result_row(spec, c, None, family, analysis.family_size(family)))
    for s in analysis.segments:
        size = sum(1 for other in analysis.segments if other.column == s.column)
        segment = {"column": s.column, "value": s.value}
        rows.append(_result_row(spec, s.comparison, segment, "segment", size))
    document = {
        "experiment": spec.id,
        "version": analysis.version,
        "as_of": _utc(analysis.as_of),
        "method": spec.method,
        "correction": spec.correction,
        "alpha": spec.alpha,
        "units": analysis.units,
        "excluded_multiple_variants": analysis.excluded_multiple_variants,
        "excluded_outside_window": analysis.excluded_outside_window,
        "srm": {
            "p_value": analysis.srm.p_value,
            "mismatch": analysis.srm.mismatch,
            "expected": analysis.srm.expected,
        },
        "results": rows,
        "guardrails": [g.to_dict() for g in analysis.guardrails],
        "power": [
            {"variant": c.variant, **p.to_dict()}
            for c, p in zip(analysis.primary, analysis.power, strict=True)
        ],
        "decision": {
            "recommendation": analysis.recommendation,
            "valid": analysis.valid,
            "reasons": [_reason_line(analysis, reason) for reason in analysis.reasons],
            "reason_codes": [reason.code for reason in analysis.reasons],
            "reason_values": [
                {"variant": reason.variant, **reason.values} for reason in analysis.reasons
            ],
            "per_variant": [_decision_json(d) for d in analysis.decisions],
        },
        "warnings": [note_message(JSON_LANGUAGE, note) for note in analysis.notes],
        "warning_codes": [note.code for note in analysis.notes],
        "warning_values": [note.values for note in analysis.notes],
    }
    return {key: json_safe(item) for key, item in document.items()}

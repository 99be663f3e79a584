"""Experiment wording: decision reasons, analysis notes, segment labels and why an experiment
cannot be analysed, in the reader's language, from the message catalogues.

The engine returns codes and values (`experiments.analysis`, `experiments.decision`); every
sentence a reader sees about them is made here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import YardstickError
from experiments.analysis import Note, Unavailable
from experiments.sql import MISSING_SEGMENT, OTHER_SEGMENT
from i18n.catalogue import translate
from i18n.errors import describe


def reason_message(lang: str, code: str, values: Mapping[str, Any]) -> str:
    """One decision reason (`experiments.reason_<code>`) with its values filled in."""
    return translate(lang, f"experiments.reason_{code}", **values)


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

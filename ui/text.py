"""User text on the dashboard shown as text: model ids, notes, KPI, metric and experiment names,
hypotheses, owners, reasons, file names and cells quoted from uploads.

Streamlit reads Markdown in titles, captions, alerts, metric labels and help; Plotly reads an HTML
subset in chart text. Pages pass every user value through `plain` (Markdown) or `chart_text`
(Plotly) before it meets catalogue wording, never the catalogue wording itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import Unavailable, YardstickError
from core.markup import escape_chart_text, escape_markdown
from i18n.errors import describe


def plain(text: object) -> str:
    """User text for a Markdown-reading widget: shown word for word, nothing live."""
    return escape_markdown(str(text))


def chart_text(text: object) -> str:
    """User text for a Plotly title, legend, annotation, tick or hover label."""
    return escape_chart_text(str(text))


def plain_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Catalogue values with the user's text escaped; numbers and dates stay as they are, so the
    catalogue's format specs (`{rows:,}`) still apply."""
    return {key: _plain_value(value) for key, value in values.items()}


class _PlainValue(str):
    """An escaped catalogue value whose `repr` is escaped too, for fields written `{name!r}`."""

    raw: str

    def __new__(cls, raw: str) -> _PlainValue:
        shown = super().__new__(cls, escape_markdown(raw))
        shown.raw = raw
        return shown

    def __repr__(self) -> str:
        return escape_markdown(repr(self.raw))


def _plain_value(value: Any) -> Any:
    if isinstance(value, str):
        return _PlainValue(value)
    if isinstance(value, list | tuple):
        return [_plain_value(item) for item in value]
    return value


def describe_plain(error: YardstickError, lang: str) -> str:
    """`describe(error, lang)` with the values, field and file worded as text, never Markdown."""
    field = plain(error.field) if error.field else None
    shown = YardstickError.from_values(error.code, plain_values(error.values), field=field)
    shown.origin = plain(error.origin) if error.origin else None
    shown.line = error.line
    return describe(shown, lang)


def unavailable_plain(lang: str, unavailable: Unavailable) -> str:
    """Why an experiment cannot be analysed yet, its values worded as text."""
    return describe_plain(YardstickError.from_values(unavailable.code, unavailable.values), lang)

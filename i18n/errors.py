"""Wording of `YardstickError`: the sentence a reader sees, in their language."""

from __future__ import annotations

from core.errors import YardstickError
from i18n.catalogue import translate


def describe(error: YardstickError, lang: str) -> str:
    """The error as one sentence in `lang`, prefixed by where it is (file and line, or field)."""
    values = {"field": error.field or "", **error.values}
    reason = translate(lang, f"error.{error.code}", **values)
    if error.origin and error.line:
        return translate(lang, "error.at_line", origin=error.origin, line=error.line) + reason
    if error.origin:
        return translate(lang, "error.at", origin=error.origin) + reason
    return reason

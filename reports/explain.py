"""The report's "what changed around each step and crossing" block, in the reader's language.

The same sentences as `kpi explain` and the Degradation page (i18n/explain.py), as plain-text
blocks the HTML and Markdown renderers escape.
"""

from __future__ import annotations

from i18n.catalogue import translate
from i18n.explain import explanation_lines, monitor_note
from reports.blocks import Block, BulletList, Heading, Paragraph
from services.explain import KpiExplanation


def explanation_blocks(explanation: KpiExplanation, lang: str) -> list[Block]:
    """A heading, one bullet per event, and a note when no monitor watches the family."""
    blocks: list[Block] = [
        Heading(translate(lang, "explain.title")),
        BulletList(tuple(explanation_lines(explanation, lang))),
    ]
    note = monitor_note(explanation, lang)
    if note:
        blocks.append(Paragraph(note))
    return blocks

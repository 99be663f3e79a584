"""The report as Markdown: the same text and tables as the HTML, charts as their titles. Every
piece of text goes through `core.markup.escape_markdown`, so a KPI name, owner or rationale shows
as written in any Markdown reader: no image loads, no link (`javascript:` or other) is live, no
table or heading is broken."""

from __future__ import annotations

from core.markup import escape_markdown
from reports.blocks import Block, BulletList, Chart, Heading, Paragraph, Table


def _row(cells: tuple[str, ...] | list[str]) -> str:
    return "| " + " | ".join(escape_markdown(cell) for cell in cells) + " |"


def render_markdown(blocks: list[Block]) -> str:
    """The same text and tables as Markdown (charts appear as their titles)."""
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {escape_markdown(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append(escape_markdown(block.text))
        elif isinstance(block, BulletList):
            parts.append("\n".join(f"- {escape_markdown(item)}" for item in block.items))
        elif isinstance(block, Table):
            lines = [_row(block.header), "|" + "---|" * len(block.header)]
            lines += [_row(row) for row in block.rows]
            parts.append("\n".join(lines))
        elif isinstance(block, Chart):
            parts.append(f"*{escape_markdown(block.title)}*")
    return "\n\n".join(parts) + "\n"

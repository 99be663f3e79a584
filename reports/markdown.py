"""The report as Markdown: the same text and tables as the HTML, charts as their titles. User
text stays text: HTML in it is escaped and table pipes are escaped, so no wiki interprets it."""

from __future__ import annotations

import html

from reports.blocks import Block, BulletList, Chart, Heading, Paragraph, Table


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_text(text: str) -> str:
    # Markdown renderers pass raw HTML through; escaping keeps user text as text in wikis too.
    return html.escape(text, quote=False)


def render_markdown(blocks: list[Block]) -> str:
    """The same text and tables as Markdown (charts appear as their titles)."""
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {_markdown_text(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append(_markdown_text(block.text))
        elif isinstance(block, BulletList):
            parts.append("\n".join(f"- {_markdown_text(item)}" for item in block.items))
        elif isinstance(block, Table):
            lines = [
                "| " + " | ".join(_markdown_cell(_markdown_text(c)) for c in block.header) + " |",
                "|" + "---|" * len(block.header),
            ]
            lines += [
                "| " + " | ".join(_markdown_cell(_markdown_text(c)) for c in row) + " |"
                for row in block.rows
            ]
            parts.append("\n".join(lines))
        elif isinstance(block, Chart):
            parts.append(f"*{_markdown_text(block.title)}*")
    return "\n\n".join(parts) + "\n"

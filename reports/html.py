"""The report as one self-contained HTML document: Plotly's JavaScript embedded once, nothing
fetched from the network, a print stylesheet with page breaks, every piece of text escaped."""

from __future__ import annotations

import html

from reports.blocks import Block, BulletList, Chart, Heading, Paragraph, Table
from reports.charts import FONT_FAMILY

_STYLE = f"""
body {{ font-family: {FONT_FAMILY}; color: #222; max-width: 960px; margin: 2em auto; padding: 0 1em;
       line-height: 1.6; }}
h1 {{ font-size: 1.6em; border-bottom: 2px solid #1f77b4; padding-bottom: 0.2em; }}
h2 {{ font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }}
h3 {{ font-size: 1.05em; }}
table {{ border-collapse: collapse; margin: 0.8em 0; width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f3f6fa; }}
.chart {{ margin: 1em 0; }}
footer {{ margin-top: 3em; color: #777; font-size: 0.85em; }}
@page {{ size: A4; margin: 15mm; }}
@media print {{
  body {{ max-width: none; margin: 0; font-size: 10.5pt; }}
  h2, h3 {{ page-break-after: avoid; break-after: avoid; }}
  table, .chart {{ page-break-inside: avoid; break-inside: avoid; }}
  .page-break {{ page-break-before: always; break-before: page; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""


def _html_block(block: Block, include_plotly: bool) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, BulletList):
        items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in block.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Chart):
        chart = block.figure.to_html(
            full_html=False,
            include_plotlyjs=include_plotly,
            config={"displaylogo": False, "responsive": True},
        )
        return f'<div class="chart">{chart}</div>'
    return '<div class="page-break"></div>'


def render_html(blocks: list[Block], lang: str, title: str, footer: str) -> str:
    """One self-contained HTML document; Plotly's JavaScript is embedded with the first chart."""
    parts = []
    plotly_embedded = False
    for block in blocks:
        parts.append(_html_block(block, include_plotly=not plotly_embedded))
        plotly_embedded = plotly_embedded or isinstance(block, Chart)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + f"\n<footer>{html.escape(footer)}</footer>\n</body>\n</html>\n"
    )

"""The Markdown report keeps user text as text, checked by rendering it with an independent
CommonMark renderer (markdown-it-py): no image, no live link, the same visible words."""

from __future__ import annotations

import html
import re

import plotly.graph_objects as go
from markdown_it import MarkdownIt

from core.markup import WORD_JOINER
from reports.blocks import BulletList, Chart, Heading, Paragraph, Table
from reports.markdown import render_markdown

RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
PAYLOADS = (
    "![x](http://127.0.0.1:8765/img.png)",
    "[click](javascript:alert(1))",
    "<img src=http://127.0.0.1:8765/x>",
    "<https://example.com> :red[FAKE] $x$ *bold* a|b",
    "- not a list",
    "1. not a list either",
)


def hostile_blocks() -> list:
    return [
        Heading(PAYLOADS[0], 1),
        Paragraph(f"Owner said {PAYLOADS[1]} & {PAYLOADS[2]}"),
        BulletList(PAYLOADS[3:]),
        Table(("KPI", "Owner"), tuple((p, p) for p in PAYLOADS)),
        Chart(PAYLOADS[1], go.Figure()),
    ]


def visible(markdown: str) -> str:
    """What a reader sees: tags gone, entities decoded, the invisible word joiners gone."""
    text = html.unescape(re.sub(r"<[^>]*>", " ", RENDERER.render(markdown)))
    return " ".join(text.replace(WORD_JOINER, "").split())


def test_no_image_or_link_or_tag_survives() -> None:
    rendered = RENDERER.render(render_markdown(hostile_blocks()))
    assert "<img" not in rendered
    assert "<a " not in rendered
    assert "<ol" not in rendered and "<strong" not in rendered
    assert rendered.count("<em>") == 1, "only the chart title, which the renderer puts in italics"


def test_every_payload_shows_word_for_word() -> None:
    shown = visible(render_markdown(hostile_blocks()))
    for payload in PAYLOADS:
        assert payload in shown


def test_tables_keep_their_shape() -> None:
    rendered = RENDERER.render(render_markdown(hostile_blocks()))
    assert rendered.count("<tr>") == 1 + len(PAYLOADS)
    assert all(row.count("<td>") == 2 for row in rendered.split("<tr>")[2:])


def test_before_the_fix_the_payloads_were_live() -> None:
    """The oracle can tell: the same blocks unescaped load the image and keep the link."""
    raw = "\n\n".join(PAYLOADS[:3])
    assert "<img" in RENDERER.render(raw)

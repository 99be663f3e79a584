"""User text stays text: the Markdown escaper checked against an independent CommonMark renderer
(markdown-it-py), the chart escaper and the CSV neutraliser against what their readers do."""

from __future__ import annotations

import html
import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from core.markup import WORD_JOINER, escape_chart_text, escape_markdown, neutralise_csv_cell

# CommonMark with the GFM extensions markdown-it ships (tables, strikethrough) and raw HTML on,
# so an escape that let a tag through would show as a tag.
RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
TAG = re.compile(r"<[^>]*>")
PAYLOADS = [
    "![x](http://127.0.0.1:8765/img.png)",
    "[click](javascript:alert(1))",
    "<img src=http://127.0.0.1:8765/x>",
    ":red[FAKE]",
    ":material/warning: :smile:",
    "$x$ and $$y$$",
    "# heading\n- item\n1. one\n> quote",
    "**bold** _it_ `code` ~~gone~~ | a | b |",
    "<https://example.com> www.example.com a@b.co &amp; &#60; HTTPS://X.org",
    "    indented code\n\n```\nfence\n```",
    "back\\slash\\[x\\]",
]
# Text as users type it: every ASCII character, Japanese, and whitespace of every kind.
USER_TEXT = st.text(
    alphabet=st.sampled_from(
        list(string.printable) + list("日本語の指標　ー・「」（）") + ["\u00a0", "\u2028"]
    ),
    max_size=60,
) | st.sampled_from(PAYLOADS)


# Streamlit's remark-gfm finds autolinks in text nodes, after escapes are read: these are its two
# patterns, copied from the bundle (JavaScript's `\w` is ASCII; Python's is wider, so stricter).
STREAMLIT_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
STREAMLIT_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")


def rendered_text(markdown: str) -> str:
    """The text a reader sees of `markdown`: the HTML without tags, entities decoded, the
    invisible word joiners gone."""
    return html.unescape(TAG.sub("", RENDERER.render(markdown))).replace(WORD_JOINER, "")


def normalised(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=400, deadline=None)
@given(USER_TEXT)
def test_escaped_text_renders_to_the_same_words(text: str) -> None:
    assert normalised(rendered_text(escape_markdown(text))) == normalised(text)


@settings(max_examples=400, deadline=None)
@given(USER_TEXT, st.sampled_from(["{}", "# {}", "**{}** tail", "- {}", "Hypothesis: {}"]))
def test_escaped_text_in_a_catalogue_sentence_has_nothing_live(text: str, sentence: str) -> None:
    tokens = RENDERER.parseInline(sentence.format(escape_markdown(text)))
    rendered = RENDERER.render(sentence.format(escape_markdown(text)))
    kinds = {child.type for token in tokens for child in token.children or []}
    assert not kinds & {"link_open", "image", "html_inline", "code_inline", "s_open"}
    assert "<a " not in rendered and "<img" not in rendered and "<code" not in rendered


@given(USER_TEXT)
def test_escaped_text_leaves_no_raw_trigger_for_streamlit_extensions(text: str) -> None:
    """Streamlit adds to CommonMark what markdown-it does not know: `:name[...]` directives,
    `:material/...:` icons (replaced before escapes are read), `:emoji:` shortcodes, `$` LaTeX and
    GFM autolinks. Each needs a raw `:`, `$`, `{`, `@`, `www.` or `:material/`; after escaping,
    none is left outside a backslash escape."""
    unescaped = re.sub(r"\\.", "\0", escape_markdown(text))
    assert not set(unescaped) & set(":$@{}[]<>*_`~|&#^")
    assert "material/" not in unescaped
    assert not re.match(r"[-+=]|\d+[.)]", unescaped)


@given(USER_TEXT)
def test_streamlit_finds_no_autolink_in_the_text_it_reads(text: str) -> None:
    text_node = re.sub(r"\\(.)", r"\1", escape_markdown(text))
    assert STREAMLIT_URL.search(text_node) is None
    assert STREAMLIT_EMAIL.search(text_node) is None


def test_the_autolink_patterns_would_find_raw_links() -> None:
    assert STREAMLIT_URL.search("go to http://127.0.0.1:9/x or WWW.example.com")
    assert STREAMLIT_EMAIL.search("write to a.b@example.co.jp")


def test_payloads_show_literally() -> None:
    assert rendered_text(escape_markdown(":red[FAKE] $x$")).strip() == ":red[FAKE] $x$"
    assert "<img" not in RENDERER.render(escape_markdown("<img src=http://127.0.0.1:1/x>"))


def test_chart_text_shows_tags_as_text() -> None:
    assert escape_chart_text('<a href="http://x">go</a> & <b>') == (
        '&lt;a href="http://x"&gt;go&lt;/a&gt; &amp; &lt;b&gt;'
    )


def test_cells_that_would_start_a_formula_get_an_apostrophe() -> None:
    for cell in ("=HYPERLINK(\"http://x\",\"y\")", "+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(1)",
                 "\t=1", "\r=1", "-e5", "-", "+"):  # fmt: skip
        assert neutralise_csv_cell(cell) == "'" + cell


def test_plain_numbers_and_ordinary_text_stay_as_they_are() -> None:
    for cell in ("-3.2", "+1.50%", "-1,234", "1e-5", "-.5", "model-a", "売上", "", "a=b"):
        assert neutralise_csv_cell(cell) == cell

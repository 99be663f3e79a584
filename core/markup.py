"""User text kept as text wherever a face hands it to something that interprets markup.

Three readers interpret text: Markdown (Streamlit's widgets, the Markdown report), Plotly's chart
labels (a small HTML subset, `<a href>` included) and spreadsheets opening a CSV (a cell starting
with `=`, `+`, `-` or `@` is a formula). Each gets one function here, so the rule lives in one
place for the dashboard, the reports and the command line.
"""

from __future__ import annotations

import html
import re

# CommonMark lets a backslash escape any ASCII punctuation character and then shows it literally.
# These characters start markup wherever they stand: emphasis, code, links and images (`[`, `]`),
# raw HTML and autolinks (`<`), entities (`&`), headings, tables, strikethrough, footnotes, and
# Streamlit's `:red[...]` directives, `:emoji:` shortcodes and `$...$` LaTeX (`:`, `$`, `{`).
# A `:` escaped also breaks GFM's `http://` autolinks, an `@` its e-mail autolinks.
_ALWAYS_ACTIVE = frozenset("\\`*_{}[]<>#|~$:&@^")
# Active only at the start of a line (lists, quotes, breaks) or in one spelling: `1.` and `1)`
# start a list, and Streamlit turns `:material/` into an icon before it reads the escapes.
# Everything else (`.`, `,`, `(`, `-`, `/`, `!`...) stays readable as written.
_LEADING_MARKER = re.compile(r"^([-+=]|\d{1,9}[.)])")
_ICON_SLASH = re.compile(r"(?<=material)/")
# GFM autolinks (`http://`, `www.`, `name@host.tld`) are found in the text *after* escapes are
# read (Streamlit's remark-gfm, GitHub), so no backslash stops them; an invisible WORD JOINER
# (U+2060) inside `://`, `www.` and before `@` does, and shows nothing.
WORD_JOINER = "\u2060"
_AUTOLINK_SEAMS = re.compile(r"(?<=:)(?=//)|(?i:(?<=www))(?=\.)|(?=@)")

# Spreadsheets read a cell starting with these as a formula (tab and carriage return too: some
# programs strip them and read on).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell that is only a number as the faces format it (sign, digits, grouping, decimals, exponent,
# percent) is a number to a spreadsheet, never a formula: it is left as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def escape_markdown(text: str) -> str:
    """`text` as Markdown that renders to exactly the same words, with no markup live.

    Every character that can start markup gets a backslash, so no link, image, emphasis,
    heading, list, table, directive, emoji shortcode or formula can start; prose punctuation
    (`.`, `,`, `(`, `-`) stays as written, so the Markdown report reads well as plain text too.
    Runs of whitespace (line breaks included) become one space and the ends are trimmed: that is
    what a browser shows of plain text anyway, and a line break or an indent would otherwise
    start a new Markdown block. Invisible word joiners break the autolinks (see above).
    """
    one_line = _AUTOLINK_SEAMS.sub(WORD_JOINER, " ".join(text.split()))
    escaped = "".join(f"\\{char}" if char in _ALWAYS_ACTIVE else char for char in one_line)
    escaped = _LEADING_MARKER.sub(lambda found: _escape_last(found.group(0)), escaped)
    return _ICON_SLASH.sub(r"\\/", escaped)


def _escape_last(marker: str) -> str:
    return f"{marker[:-1]}\\{marker[-1]}"


def escape_chart_text(text: str) -> str:
    """`text` for a Plotly title, axis title, legend entry, annotation or hover label.

    Plotly reads a small HTML subset there (`<a href>`, `<b>`, `<br>`) and decodes entities, so
    `&`, `<` and `>` are written as entities and show as themselves.
    """
    return html.escape(text, quote=False)


def neutralise_csv_cell(text: str) -> str:
    """A CSV text cell a spreadsheet shows as text: a leading `'` when it would start a formula.

    Cells that are plain numbers (`-3.2`, `+1.5%`) stay as they are, so numbers stay numbers.
    """
    if text.startswith(_FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(text) is None:
        return "'" + text
    return text

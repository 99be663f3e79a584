"""The message catalogues: every key in both languages with the same placeholders, and no English
catalogue message on any page rendered in Japanese."""

from __future__ import annotations

import re
import string

import pytest
from streamlit.testing.v1 import AppTest

from i18n.catalogue import LANGUAGES, catalogue
from tests.factories import ROOT, dashboard, rendered_text, without_user_text

PAGES = sorted(set(re.findall(r'"(pages/[a-z_]+\.py)"', (ROOT / "app.py").read_text())))
MIN_FRAGMENT = 8
# What only the command line prints (commands/, in English): no page shows it, and a word of it
# can be a stored identifier a Japanese page shows as stored (the metric role `guardrail`).
CLI_SECTION = "cli."


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_both_languages() -> None:
    english, japanese = catalogue("en"), catalogue("ja")
    assert sorted(set(english) - set(japanese)) == []
    assert sorted(set(japanese) - set(english)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_is_empty(lang: str) -> None:
    assert [key for key, text in catalogue(lang).items() if not text.strip()] == []


def test_both_languages_fill_the_same_placeholders() -> None:
    english, japanese = catalogue("en"), catalogue("ja")
    differing = [
        key for key in english if placeholders(english[key]) != placeholders(japanese[key])
    ]
    assert differing == []


def english_fragments() -> dict[str, str]:
    """Literal pieces of English messages (between placeholders) that Japanese never uses, of the
    messages a page can show (not the command line's)."""
    english, japanese = catalogue("en"), catalogue("ja")
    japanese_text = "\n".join(japanese.values())
    fragments: dict[str, str] = {}
    for key, text in english.items():
        if text == japanese[key] or key.startswith(CLI_SECTION):
            continue
        for piece in re.split(r"\{[^}]*\}", text):
            piece = piece.strip(" .,:;()")
            if len(piece) >= MIN_FRAGMENT and piece not in japanese_text:
                fragments[piece] = key
    return fragments


def test_only_the_command_line_prints_the_cli_messages() -> None:
    faces = [ROOT / "app.py", *(ROOT / "pages").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]
    faces += [*(ROOT / "reports").rglob("*.py"), *(ROOT / "i18n").rglob("*.py")]
    assert [p.name for p in faces if f'"{CLI_SECTION}' in p.read_text(encoding="utf-8")] == []


def render_in_japanese(page: str) -> AppTest:
    at = dashboard("ja", page)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_leak_check_sees_english_on_an_english_page(shared_app_env) -> None:
    # The KPI with a stored plan, so that the page shows its full case.
    at = dashboard("en", "pages/retraining.py", state={"retrain_kpi": "rec-ctr"})
    at.run()
    text = rendered_text(at)
    assert len([piece for piece in english_fragments() if piece in text]) > 20


@pytest.mark.parametrize("page", PAGES)
def test_a_page_rendered_in_japanese_holds_no_english_catalogue_message(
    shared_app_env, page: str
) -> None:
    text = without_user_text(rendered_text(render_in_japanese(page)), shared_app_env)
    leaks = {piece: key for piece, key in english_fragments().items() if piece in text}
    assert leaks == {}

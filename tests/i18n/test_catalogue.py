"""The message catalogues: every key in both languages with the same placeholders, and no English
catalogue message on any page rendered in Japanese."""

from __future__ import annotations

import json
import re
import string

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from data import experiment_store
from data.store import StoreSettings
from i18n.catalogue import LANGUAGES, catalogue
from services import kpis
from tests.conftest import ROOT

PAGES = sorted(set(re.findall(r'"(pages/[a-z_]+\.py)"', (ROOT / "app.py").read_text())))
MIN_FRAGMENT = 8


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
    """Literal pieces of English messages (between placeholders) that Japanese never uses."""
    english, japanese = catalogue("en"), catalogue("ja")
    japanese_text = "\n".join(japanese.values())
    fragments: dict[str, str] = {}
    for key, text in english.items():
        if text == japanese[key]:
            continue
        for piece in re.split(r"\{[^}]*\}", text):
            piece = piece.strip(" .,:;()")
            if len(piece) >= MIN_FRAGMENT and piece not in japanese_text:
                fragments[piece] = key
    return fragments


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _chart_text(spec: str) -> list[str]:
    """Titles, axis titles, legend names and annotations of a Plotly chart."""
    figure = json.loads(spec)
    texts = [trace.get("name", "") for trace in figure.get("data", [])]
    layout = figure.get("layout", {})
    texts += _strings(layout.get("title", {}))
    texts += [a.get("text", "") for a in layout.get("annotations", [])]
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            texts += _strings(axis.get("title", {}))
    return texts


def rendered_text(at: AppTest) -> str:
    """Every piece of text a reader sees: element labels and values, tables and chart labels."""
    texts: list[str] = []

    def walk(node: object) -> None:
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)
            return
        proto = getattr(node, "proto", None)
        if proto is None:
            return
        if getattr(node, "type", "") == "plotly_chart":
            texts.extend(_chart_text(proto.spec))
            return
        if getattr(node, "type", "") in ("arrow_data_frame", "dataframe", "table"):
            frame = node.value
            texts.extend(str(c) for c in frame.columns)
            texts.extend(str(v) for v in frame.astype(str).to_numpy().ravel())
            return
        fields = MessageToDict(proto, preserving_proto_field_name=True)
        fields.pop("data", None)
        texts.extend(_strings(fields))

    walk(at._tree)
    return "\n".join(texts)


def user_texts(settings: StoreSettings) -> list[str]:
    """Text users wrote into the store (names, rationale, owners, reasons): shown as written."""
    texts = []
    for version in kpis.latest_versions(settings):
        texts += [version.spec.name, version.spec.rationale, version.spec.owner]
    texts += [decision.reason for decision in kpis.decisions(settings)]
    for definition in experiment_store.latest_definitions(settings):
        texts += [definition.spec.name, definition.spec.hypothesis]
    return sorted((t for t in texts if t), key=len, reverse=True)


def without_user_text(text: str, settings: StoreSettings) -> str:
    for user_text in user_texts(settings):
        text = text.replace(user_text, "")
    return text


def render_in_japanese(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "ja"
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def test_the_leak_check_sees_english_on_an_english_page(app_env) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("pages/retraining.py")
    at.run()
    text = rendered_text(at)
    assert len([piece for piece in english_fragments() if piece in text]) > 20


@pytest.mark.parametrize("page", PAGES)
def test_a_page_rendered_in_japanese_holds_no_english_catalogue_message(app_env, page: str) -> None:
    text = without_user_text(rendered_text(render_in_japanese(page)), app_env)
    leaks = {piece: key for piece, key in english_fragments().items() if piece in text}
    assert leaks == {}

"""Every `--help` of the command line reads as written and is worded by the catalogues.

argparse formats help strings with `%` (so `%%` is right there) but prints descriptions and
epilogs as they are (so `%%` would show doubled). Every help, description and epilog comes from
the catalogue's `[cli.help.*]` (README.md, "Architecture": all wording in both languages).
"""

from __future__ import annotations

import argparse
import re
import string
from collections.abc import Iterator

import pytest

import cli
import i18n.catalogue
from commands import common
from i18n.catalogue import LANGUAGES, catalogue

HELP_SECTION = "cli.help."
# argparse's own words for -h/--help (not the project's).
ARGPARSE_HELP = "show this help message and exit"


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:  # argparse keeps subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(_parsers(child))
    return found


def _texts(parser: argparse.ArgumentParser) -> Iterator[str]:
    """Every description, epilog and help text of `parser` and its subcommands (a command's
    one-line help in its group's list included)."""
    for each in _parsers(parser):
        yield from (text for text in (each.description, each.epilog) if text is not None)
        for action in each._actions:
            if action.help not in (None, argparse.SUPPRESS, ARGPARSE_HELP):
                yield str(action.help)
            if isinstance(action, argparse._SubParsersAction):
                yield from (str(choice.help) for choice in action._choices_actions)


def _pattern(template: str) -> re.Pattern[str]:
    """What a template reads once filled: its literal text, anything for each placeholder."""
    pieces = []
    for literal, name, _, _ in string.Formatter().parse(template):
        pieces.append(re.escape(literal))
        if name is not None:
            pieces.append(".+?")
    return re.compile("".join(pieces), re.DOTALL)


def _help_templates(lang: str) -> dict[str, str]:
    return {k: v for k, v in catalogue(lang).items() if k.startswith(HELP_SECTION)}


def _parser_in(lang: str, monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    monkeypatch.setattr(common, "LANGUAGE", lang)
    return cli.build_parser()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_help_page_shows_a_doubled_percent_sign(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsers = _parsers(_parser_in(lang, monkeypatch))
    assert len(parsers) > 20
    for parser in parsers:
        text = parser.format_help()
        assert "%%" not in text, parser.prog


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_help_text_comes_from_the_catalogue(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = list(_texts(_parser_in(lang, monkeypatch)))
    assert len(texts) > 150
    patterns = {key: _pattern(template) for key, template in _help_templates(lang).items()}
    stray = [t for t in texts if not any(p.fullmatch(t) for p in patterns.values())]
    assert stray == []
    # ... and every help text of the catalogue is used (the ingest epilog's notes inside it).
    unused = [key for key, p in patterns.items() if not any(p.search(t) for t in texts)]
    assert unused == []


def test_the_japanese_help_is_japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    english = set(_help_templates("en").values())
    texts = list(_texts(_parser_in("ja", monkeypatch)))
    assert [t for t in texts if t in english] == []
    assert "ストア" in _parser_in("ja", monkeypatch).format_help()


def test_both_languages_write_the_same_percent_signs() -> None:
    """`%%` in a flag's help, `%` in a description: the same in each language (argparse)."""
    english, japanese = _help_templates("en"), _help_templates("ja")
    differing = [
        key
        for key in english
        if re.findall(r"%%|%", english[key]) != re.findall(r"%%|%", japanese[key])
    ]
    assert differing == []


def test_a_help_text_is_filled_once_keeping_percent_signs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`help_words` formats every template once, with or without values: a doubled brace reads
    as one brace, a percent sign (argparse's) stays as written."""
    messages = {
        "cli.help.plain": "a {{literal}} brace, 95% and %(default)s and +3%%",
        "cli.help.filled": "1 to {most} ({{n}}, 5%%)",
    }
    monkeypatch.setattr(i18n.catalogue, "catalogue", lambda lang: messages)
    assert common.help_words("plain") == "a {literal} brace, 95% and %(default)s and +3%%"
    assert common.help_words("filled", most=9) == "1 to 9 ({n}, 5%%)"
    parser = argparse.ArgumentParser(prog="p", description=common.help_words("plain"))
    parser.add_argument("--x", help=common.help_words("filled", most=9))
    shown = parser.format_help()
    assert "a {literal} brace, 95% and %(default)s and +3%%" in shown
    assert "1 to 9 ({n}, 5%)" in shown

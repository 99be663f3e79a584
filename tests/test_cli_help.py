"""Every `--help` of the command line reads as written: argparse formats help strings with `%`
(so `%%` is right there) but prints descriptions as they are (so `%%` would show doubled)."""

from __future__ import annotations

import argparse

import cli


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:  # argparse keeps subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(_parsers(child))
    return found


def test_no_help_page_shows_a_doubled_percent_sign() -> None:
    parsers = _parsers(cli.build_parser())
    assert len(parsers) > 20
    for parser in parsers:
        text = parser.format_help()
        assert "%%" not in text, parser.prog

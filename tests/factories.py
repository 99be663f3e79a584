"""Helpers shared by tests of several packages (and by the benchmarks that reuse them)."""

from __future__ import annotations

import argparse

import cli


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-parsers of `parser` by name (empty when it has none)."""
    for action in parser._actions:  # argparse offers no public way to list sub-parsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def help_paths() -> list[tuple[str, ...]]:
    """Every `--help` a user can ask for: the program's, each command's, each action's."""
    paths: list[tuple[str, ...]] = [("--help",)]
    for command, command_parser in _subcommands(cli.build_parser()).items():
        paths.append((command, "--help"))
        paths += [(command, action, "--help") for action in _subcommands(command_parser)]
    return paths

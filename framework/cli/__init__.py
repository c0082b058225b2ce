"""The `framework` console script: `framework run APP`, `framework routes APP`, and pluggable commands.

A command is a module exposing `register(subparsers)`, which adds its sub-parser and sets `handler` (a
function taking the parsed arguments and returning the exit status) as a default. `COMMANDS` lists them;
other packages (the database helpers) add theirs there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from framework.cli import db, routes, run
from framework.cli._loading import AppLoadError

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS: tuple[ModuleType, ...] = (run, routes, db)


def build_parser(commands: Sequence[ModuleType] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser with one sub-command per command module."""
    parser = argparse.ArgumentParser(prog="framework", description="Run and inspect framework applications.")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    subparsers.required = True
    for command in commands:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args)
    except AppLoadError as exc:
        print(f"framework {args.command}: {exc}", file=sys.stderr)
        return 2
    return status

"""Flags several commands share, declared once, and how every command writes its output.

Human output goes to stdout, progress to stderr; ``--json`` prints one JSON document on stdout instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def positive_int(text: str) -> int:
    """An argument that must be a whole number of at least 1 (``--jobs``, ``--repeat``...)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; allowed: 1 or more") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1; allowed: 1 or more")
    return value


def seconds(text: str) -> float:
    """An argument that must be a number of seconds, 0 or more (``--interval``, ``--stabilization``...)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds; allowed: 0 or more") from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not 0 or more seconds; allowed: 0 or more")
    return value


def stacks(parser: argparse.ArgumentParser, what: str = "country stacks (default: every committed stack)") -> None:
    """Stack names as positional arguments (any number)."""
    parser.add_argument("stacks", nargs="*", metavar="STACK", help=what)


def one_stack(parser: argparse.ArgumentParser) -> None:
    """One stack name as the positional argument."""
    parser.add_argument("stack", metavar="STACK", help="a committed stack (stacks/Pulumi.<STACK>.yaml)")


def work(parser: argparse.ArgumentParser) -> None:
    """``--work DIR``: where the stacks' workspaces live."""
    parser.add_argument("--work", type=Path, metavar="DIR", help="workspace folder (default .state/work)")


def json_output(parser: argparse.ArgumentParser) -> None:
    """``--json``: one JSON document on stdout."""
    parser.add_argument("--json", action="store_true", help="machine output: one JSON document on stdout")


def jobs(parser: argparse.ArgumentParser, what: str) -> None:
    """``--jobs N``: how many stacks at once."""
    parser.add_argument("--jobs", type=positive_int, metavar="N", help=what)


def unavailable(parser: argparse.ArgumentParser, what: str, default: list[str] | None) -> None:
    """``--unavailable ZONE...``: zones to treat as down."""
    parser.add_argument("--unavailable", nargs="*", default=default, metavar="ZONE", help=what)


def progress(args: argparse.Namespace) -> Callable[[str], None]:
    """Where progress lines go: stderr, or nowhere with ``--quiet``."""
    if getattr(args, "quiet", False):
        return lambda line: None
    return lambda line: print(line, file=sys.stderr, flush=True)


def emit(args: argparse.Namespace, data: Any, lines: Sequence[str]) -> None:
    """The command's result: ``data`` as JSON with ``--json``, else the human ``lines``."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=_plain))
    else:
        for line in lines:
            print(line)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")

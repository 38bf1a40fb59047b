"""The ``edgefed`` command: every job of the README behind one entry point.

The parser is built from :data:`edgefed_ops.commands.COMMANDS`; only the module of the command that runs
is imported. Options parse the same wherever they stand before ``--``; what follows ``--`` is handed to
Pulumi (``edgefed stack``) and refused elsewhere. This is the only module that reads the environment
(``Settings.from_environ``) or sets an exit status: 0 done, 1 failed (or found violations), 2 bad input
(the line names what was given and what exists), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from types import ModuleType
from typing import NoReturn

from edgefed.core.inputs.errors import ConfigError
from edgefed_ops.commands import COMMANDS, Command
from edgefed_ops.errors import OpsError, UsageError
from edgefed_ops.settings import Settings


class _Parser(argparse.ArgumentParser):
    """Refuses bad usage in one line (argparse prints the whole usage first), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}; see `{self.prog} --help`\n")


def _module(command: Command) -> ModuleType:
    return import_module(f"edgefed_ops.commands.{command.module}")


def _chosen(argv: Sequence[str]) -> Command | None:
    """The command named on the line (the first word that is one), before anything is parsed."""
    by_name = {c.name: c for c in COMMANDS}
    return next((by_name[word] for word in argv if word in by_name), None)


def parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command line; only the command named in ``argv`` gets its options (and its module imported)."""
    quiet = _Parser(add_help=False)
    quiet.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress lines on stderr")
    top = _Parser(prog="edgefed", description="edgefed: the European telco Edge Federation, as code.")
    top.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    chosen = _chosen(argv)
    for command in COMMANDS:
        one = sub.add_parser(command.name, help=command.help, description=command.help, parents=[quiet])
        if command is chosen:
            _module(command).arguments(one)
    return top


def _pulumi_arguments(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(edgefed's arguments, what follows the first ``--``)."""
    if "--" not in argv:
        return list(argv), []
    at = list(argv).index("--")
    return list(argv[:at]), list(argv[at + 1 :])


def _refuse(command: Command, message: str) -> int:
    """Bad input: one line naming the command and what is wrong, exit 2."""
    print(f"edgefed {command.name}: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    own, passed = _pulumi_arguments(words)
    args, unknown = parser(own).parse_known_args(own)
    command = next(c for c in COMMANDS if c.name == args.command)
    if unknown:
        return _refuse(command, f"unrecognized arguments: {' '.join(unknown)}; see `edgefed {command.name} --help`")
    args.pulumi = passed
    if passed and command.name != "stack":
        return _refuse(command, "takes no arguments after `--` (only `edgefed stack` hands them to Pulumi)")
    try:
        settings = Settings.from_environ(os.environ).with_work(getattr(args, "work", None))
        status: int = _module(command).run(args, settings)
        return status
    except UsageError as error:
        return _refuse(command, str(error))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except OpsError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

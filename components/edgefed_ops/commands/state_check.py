"""``edgefed state-check STACK...``: refuse, before anything runs, a state backend outside each stack's country."""

from __future__ import annotations

import argparse
import sys

from edgefed_ops.commands import inputs, options
from edgefed_ops.settings import Settings
from edgefed_ops.stack.state_residency import state_residency


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("stacks", nargs="+", metavar="STACK", help="committed stacks to check")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Check each stack; exit 1 when one's backend is not in its country."""
    failed = 0
    for stack in inputs.stacks(settings, args.stacks):
        residency = state_residency(settings, stack, settings.backend_url)
        if residency.problem:
            failed += 1
            print(f"state-check: {residency.refusal()}", file=sys.stderr)
        elif residency.url:
            options.progress(args)(f"state-check: {stack} ({residency.country}): state at {residency.url.describe()}")
    return 1 if failed else 0

"""``edgefed audit [STACK...]``: refresh each stack from its zones, run the pack's rules over its state."""

from __future__ import annotations

import argparse
import sys

from edgefed_ops.commands import inputs, options
from edgefed_ops.commands.report import report_arguments, write
from edgefed_ops.failover.takeover_log import with_takeover
from edgefed_ops.reports import audit
from edgefed_ops.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    report_arguments(parser)
    parser.add_argument("--no-refresh", action="store_true", help="audit the state as it is, without reading the zones")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the report; exit 1 on a violation."""
    stacks = inputs.stacks(settings, args.stacks, apps_only=True)
    if args.html:
        inputs.output_file(args.html, "--html")
    progress = options.progress(args)
    found = [
        audit.collect(settings, stack, "state", refresh=not args.no_refresh, progress=progress) for stack in stacks
    ]
    with_takeover(settings, found)
    write(args, audit.build_report(settings, found), settings)
    for item in found:
        for violation in item.violations:
            print(f"audit: {item.report.stack}: [{violation.policy}] {violation.message}", file=sys.stderr)
    return 1 if any(item.violations for item in found) else 0

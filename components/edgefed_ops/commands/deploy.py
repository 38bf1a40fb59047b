"""``edgefed deploy [STACK...]``: `pulumi up` of the local stacks onto the running local federation."""

from __future__ import annotations

import argparse
import sys

from edgefed_ops.commands import inputs, options
from edgefed_ops.settings import Settings
from edgefed_ops.stack.deploy import LocalDeploy, format_report


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    options.stacks(parser, "local stacks (default: every local-* stack)")
    options.unavailable(parser, "zones to mark unavailable (default: the committed outage state)", None)
    options.jobs(parser, "stacks deployed at once (default: two per core)")
    options.work(parser)
    options.json_output(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Deploy; exit 1 when a stack failed."""
    names = inputs.stacks(settings, args.stacks, local_only=True)
    deploy = LocalDeploy(settings, options.progress(args))
    if args.unavailable:
        inputs.zones(deploy.federation.catalog, args.unavailable, "--unavailable", str(settings.local_catalog))
    reports = deploy.run(names, args.unavailable, args.jobs)
    if args.json:
        options.emit(args, reports, [])
        return 0 if all(r.ok for r in reports) else 1
    for report in reports:
        for line in format_report(report):
            print(line, file=sys.stdout if report.ok else sys.stderr)
    return 0 if all(r.ok for r in reports) else 1

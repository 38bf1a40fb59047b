"""``edgefed plan``: the federation plan of country stacks, its N-1 what-if, or its diff from a revision."""

from __future__ import annotations

import argparse

from edgefed_ops.commands import inputs, options
from edgefed_ops.errors import UsageError
from edgefed_ops.reports import plan, plan_diff, whatif
from edgefed_ops.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    options.stacks(parser, "stacks to plan (default: every committed stack)")
    options.unavailable(parser, "zones to treat as down", [])
    parser.add_argument(
        "--what-if", action="store_true", help="re-plan for every single-zone and whole-country outage (N-1)"
    )
    parser.add_argument("--diff", metavar="REV", help="placement diff from git revision REV (a PR's base) to the tree")
    parser.add_argument("--markdown", action="store_true", help="with --diff: the pull request's job summary")
    options.json_output(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the plan (or what-if, or diff); exit 1 on a problem."""
    names = inputs.stacks(settings, args.stacks, apps_only=True)
    if args.markdown and not args.diff:
        raise UsageError("--markdown goes with --diff REV")
    if args.diff:
        change, head, head_what_if = plan_diff.compare(settings, inputs.revision(settings.root, args.diff))
        if args.markdown:
            print("\n".join(plan_diff.markdown(change, head, head_what_if)))
        else:
            options.emit(args, plan_diff.data(change), plan_diff.lines(change))
        return 0 if change.ok else 1
    federations = plan.load_federations(settings.root, names)
    if args.what_if:
        report = whatif.run(federations)
        options.emit(args, whatif.data(report), whatif.lines(report))
        return 0 if report.ok else 1
    result = plan.plan_stacks(federations, names, args.unavailable)
    options.emit(args, plan.plan_data(result), plan.plan_lines(result))
    return 0 if result.ok else 1

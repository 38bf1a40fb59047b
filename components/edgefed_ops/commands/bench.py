"""``edgefed bench``: the benchmarks, each printing ratios against a baseline measured in the same run.

Placement (indexed vs naive), ``--federation`` (plan + N-1 at scale), ``--all-stacks`` (every stack's policy
preview at once), ``--preview STACK`` (edgefed against a plain pulumi-kubernetes program).
"""

from __future__ import annotations

import argparse

from edgefed_ops.commands import inputs, options
from edgefed_ops.errors import UsageError
from edgefed_ops.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("--sites", type=options.positive_int, default=10_000)
    parser.add_argument("--zones", type=options.positive_int, default=1_000)
    parser.add_argument("--repeat", type=options.positive_int, default=5)
    parser.add_argument("--naive-sites", type=options.positive_int, default=1_000)
    parser.add_argument("--preview", metavar="STACK", help="instead: preview of STACK against a plain k8s program")
    parser.add_argument("--rounds", type=options.positive_int, default=5, help="interleaved previews, with --preview")
    parser.add_argument("--federation", action="store_true", help="instead: federation plan + N-1 what-if at scale")
    parser.add_argument("--all-stacks", action="store_true", help="instead: every stack's policy preview at once")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one benchmark and print its lines."""
    if sum(map(bool, (args.preview, args.federation, args.all_stacks))) > 1:
        raise UsageError("choose one of --preview STACK, --federation, --all-stacks")
    progress = options.progress(args)
    if args.preview:
        from edgefed_ops.bench import preview

        lines = preview.run(settings, inputs.stack(settings, args.preview, apps_only=True), args.rounds, progress)
    elif args.federation:
        from edgefed_ops.bench import federation

        lines = federation.run(progress)
    elif args.all_stacks:
        from edgefed_ops.bench import stacks

        lines = stacks.run(settings, progress)
    else:
        from edgefed_ops.bench import placement

        if args.naive_sites > args.sites:
            raise UsageError(f"--naive-sites {args.naive_sites} is more than --sites {args.sites}")
        lines = placement.run(args.sites, args.zones, args.repeat, args.naive_sites)
    for line in lines:
        print(line)
    return 0

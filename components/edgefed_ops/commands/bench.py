"""``edgefed bench``: the benchmarks, each printing ratios against a baseline measured in the same run.

Placement (indexed vs naive), ``--federation`` (plan + N-1 at scale), ``--all-stacks`` (every stack's policy
preview at once), ``--preview STACK`` (edgefed against a plain pulumi-kubernetes program), ``--deploy STACK``
(a no-op deploy against a plain program's `up` of the same objects), ``--takeover``
(a zone or a country killed under running watchers on the local federation).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

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
    parser.add_argument(
        "--rounds", type=options.positive_int, default=5, help="interleaved runs, with --preview/--deploy"
    )
    parser.add_argument(
        "--deploy", metavar="STACK", help="instead: no-op deploy of local STACK against a plain program's up"
    )
    parser.add_argument("--federation", action="store_true", help="instead: federation plan + N-1 what-if at scale")
    parser.add_argument("--all-stacks", action="store_true", help="instead: every stack's policy preview at once")
    parser.add_argument(
        "--takeover",
        action="store_true",
        help="instead: kill --zone (or --country) under running watchers, --runs times",
    )
    parser.add_argument(
        "--tenant", nargs="*", default=[], help="with --takeover: whose watchers (default: every tenant of the zone)"
    )
    parser.add_argument("--no-fast-path", action="store_true", help="with --takeover: watchers without the fast path")
    parser.add_argument("--zone", help="with --takeover: the zone killed (default local-vodafone-fr-lyon)")
    parser.add_argument("--country", help="with --takeover: kill every zone of this country instead")
    parser.add_argument("--runs", type=options.positive_int, default=5, help="with --takeover: kills (default 5)")
    parser.add_argument("--stabilization", type=options.seconds, default=10.0,
                        help="with --takeover: the watchers' stabilization window in seconds (default 10)")  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one benchmark and print its lines."""
    if sum(map(bool, (args.preview, args.deploy, args.federation, args.all_stacks, args.takeover))) > 1:
        raise UsageError("choose one of --preview STACK, --deploy STACK, --federation, --all-stacks, --takeover")
    progress = options.progress(args)
    if args.takeover:
        lines = _takeover(args, settings, progress)
    elif args.preview:
        from edgefed_ops.bench import preview

        lines = preview.run(settings, inputs.stack(settings, args.preview, apps_only=True), args.rounds, progress)
    elif args.deploy:
        from edgefed_ops.bench import noop_deploy

        stack = inputs.stack(settings, args.deploy, local_only=True, apps_only=True)
        lines = noop_deploy.run(settings, stack, args.rounds, progress)
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


def _takeover(args: argparse.Namespace, settings: Settings, progress: Callable[[str], None]) -> list[str]:
    from edgefed_ops.bench import takeover
    from edgefed_ops.local.federation import LocalFederation

    catalog = LocalFederation(settings).catalog
    source = str(settings.local_catalog)
    if args.country and args.zone:
        raise UsageError("--takeover: --zone or --country, not both")
    if args.country:
        code = inputs.country(catalog, args.country, "--country", source)
        zones = [z for z in catalog.zones if z.country == code]
    else:
        zones = [catalog.zone(inputs.zone(catalog, args.zone or "local-vodafone-fr-lyon", "--zone", source))]
    tenants = inputs.tenants(settings, args.tenant) if args.tenant else takeover.tenants_of(settings, zones)
    if not tenants:
        raise UsageError(f"--takeover: no tenant's stack uses {', '.join(z.id for z in zones)}")
    return takeover.run(settings, tenants, zones, args.runs, args.stabilization, progress, not args.no_fast_path)

"""``edgefed federation up|down|status|stop-zone ZONE|start-zone ZONE``: the local federation."""

from __future__ import annotations

import argparse
from pathlib import Path

from edgefed_ops.commands import inputs, options
from edgefed_ops.errors import UsageError
from edgefed_ops.local import status
from edgefed_ops.local.federation import LocalFederation
from edgefed_ops.settings import Settings

ACTIONS = ("up", "down", "status", "stop-zone", "start-zone")


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("zone", nargs="?", metavar="ZONE", help="with stop-zone and start-zone: a zone of the catalog")
    parser.add_argument(
        "--catalog", type=Path, metavar="FILE", help="local catalog (default stacks/catalog/local.yaml)"
    )
    options.json_output(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Do the action; ``status`` exits 1 when a zone or store is down."""
    catalog = inputs.existing_file(args.catalog, "--catalog") if args.catalog else None
    federation = LocalFederation(settings, catalog, progress=options.progress(args))
    progress = options.progress(args)
    source = str(catalog or settings.local_catalog)
    if args.zone and args.action not in ("stop-zone", "start-zone"):
        raise UsageError(f"{args.action} takes no zone (only stop-zone and start-zone do)")
    if args.action == "up":
        took = federation.up()
        progress(f"federation up in {took:.1f} s; kubeconfig: {settings.kubeconfig}")
    elif args.action == "down":
        federation.down()
        progress(f"federation down: no process left, {federation.state} removed")
    elif args.action == "stop-zone":
        zone = federation.catalog.zone(inputs.zone(federation.catalog, args.zone, "stop-zone", source))
        federation.stop_zone(zone)
        progress(f"zone {zone.id} stopped (its data stays in {federation.zone_dir(zone.id)})")
    elif args.action == "start-zone":
        zone = federation.catalog.zone(inputs.zone(federation.catalog, args.zone, "start-zone", source))
        federation.start_zones([zone])
        federation.write_kubeconfig()
    else:
        zones, stores = federation.status()
        options.emit(args, {"zones": zones, "stores": stores}, status.lines(zones, stores))
        return 0 if all(z.ready for z in zones) and all(s.up for s in stores) else 1
    return 0

"""``edgefed render``: render the country stacks from the catalog and app specs, keeping what users set."""

from __future__ import annotations

import argparse
import sys

from edgefed_ops.settings import Settings
from edgefed_ops.stack import render


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed stack file is stale")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Render, or check freshness."""
    if args.check:
        stale = render.check(settings.root)
        for name, why in sorted(stale.items()):
            print(f"stale {name}: {why} (run `{settings.command_line('render')}`)", file=sys.stderr)
        return 1 if stale else 0
    for path in render.write(settings.root):
        print(f"wrote {path.relative_to(settings.root)}")
    for name in render.unlisted_apps(settings.root):
        print(f"stacks/apps/{name}.yaml is run by no tenant: add it to a tenant's apps in stacks/stacksets.yaml")
    return 0

"""``edgefed state-check STACK...``: refuse, before anything runs, a state backend outside each stack's country."""

from __future__ import annotations

import argparse
import sys

from edgefed.core.inputs.catalog import load_catalog
from edgefed.core.inputs.stackconfig import catalog_path, raw_from_stack_file, state_country
from edgefed_ops.commands import inputs, options
from edgefed_ops.settings import Settings
from edgefed_ops.stack.backend import BackendUrl


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("stacks", nargs="+", metavar="STACK", help="committed stacks to check")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Check each stack; exit 1 when one's backend is not in its country."""
    failed = 0
    for stack in inputs.stacks(settings, args.stacks):
        raw = raw_from_stack_file(settings.root / "stacks" / f"Pulumi.{stack}.yaml")
        catalog = load_catalog(catalog_path(raw, settings.root))
        country = state_country(raw, catalog)
        url = BackendUrl.parse(settings.backend_url) if settings.backend_url else None
        why = url.problem(country, catalog) if url else "PULUMI_BACKEND_URL is not set"
        if why:
            failed += 1
            print(f"state-check: {stack} ({country}): {why}", file=sys.stderr)
        elif url:
            options.progress(args)(f"state-check: {stack} ({country}): state at {url.describe()}")
    return 1 if failed else 0

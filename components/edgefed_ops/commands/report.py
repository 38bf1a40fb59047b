"""``edgefed report [STACK...]``: the sovereignty report of stacks, from a preview or their deployed state."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edgefed_ops.commands import inputs, options
from edgefed_ops.failover.takeover_log import with_takeover
from edgefed_ops.reports import audit, page, sovereignty
from edgefed_ops.reports.atlas import ATLAS
from edgefed_ops.settings import Settings


def report_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``report`` and ``audit`` share."""
    options.stacks(parser)
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML page with a map")
    options.work(parser)
    options.json_output(parser)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    report_arguments(parser)
    parser.add_argument("--state", action="store_true", help="from the deployed state (pulumi stack export)")
    parser.add_argument("--schema", action="store_true", help="print the JSON schema of --json and exit")


def write(args: argparse.Namespace, built: sovereignty.Report, settings: Settings) -> None:
    """The report as JSON or Markdown on stdout, and the HTML page when asked."""
    if args.html:
        args.html.write_text(page.html_page(built, settings.root / ATLAS), encoding="utf-8")
        options.progress(args)(f"wrote {args.html}")
    if args.json:
        print(built.model_dump_json(indent=2))
    else:
        print(sovereignty.markdown(built), end="")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the report."""
    if args.schema:
        print(json.dumps(sovereignty.Report.model_json_schema(), indent=2))
        return 0
    stacks = inputs.stacks(settings, args.stacks, apps_only=True)
    if args.html:
        inputs.output_file(args.html, "--html")
    source: audit.Source = "state" if args.state else "preview"
    found = [audit.collect(settings, stack, source, progress=options.progress(args)) for stack in stacks]
    with_takeover(settings, found)
    write(args, audit.build_report(settings, found), settings)
    return 0

"""``edgefed drill [--country FR]``: the whole-country failover drill on the local federation."""

from __future__ import annotations

import argparse
import time
from typing import Any

from edgefed_ops.commands import inputs, options
from edgefed_ops.errors import OpsError
from edgefed_ops.failover.drill import Drill, DrillReport, format_most
from edgefed_ops.settings import Settings
from edgefed_ops.stack.deploy import LocalDeploy


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("--country", default="FR", help="the country whose zones fail (default FR)")
    parser.add_argument(
        "--tenant",
        action="append",
        default=[],
        metavar="TENANT",
        help="drill this tenant's stacks (default: every tenant)",
    )
    parser.add_argument("--repeat", type=options.positive_int, default=1, help="run the drill this many times in a row")
    options.work(parser)
    options.json_output(parser)


def _summary(attempt: int, report: DrillReport, seconds: float) -> dict[str, Any]:
    return {
        "run": attempt, "ok": report.ok, "seconds": round(seconds), "country": report.country,
        "stacks": report.stacks, "load": report.load, "unserved": report.unserved, "most": report.most,
        "staleSeconds": report.stale_seconds,
    }  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the drill ``--repeat`` times; exit 1 unless every run passed."""
    deploy = LocalDeploy(settings, options.progress(args))
    country = inputs.country(deploy.federation.catalog, args.country, "--country", str(settings.local_catalog))
    tenants = inputs.tenants(settings, args.tenant)
    progress = options.progress(args) if args.json else print
    runs: list[dict[str, Any]] = []
    for attempt in range(1, args.repeat + 1):
        if args.repeat > 1:
            progress(f"==> drill run {attempt}/{args.repeat}")
        began = time.monotonic()
        try:
            report = Drill(deploy, country, tenants, progress).run()
        except OpsError as error:
            if args.repeat == 1:
                raise
            runs.append({"run": attempt, "ok": False, "seconds": round(time.monotonic() - began), "error": str(error)})
            continue
        runs.append(_summary(attempt, report, time.monotonic() - began))
        if not args.json:
            for line in format_most(report):
                print(line)
    passed = sum(1 for r in runs if r["ok"])
    summary = [f"drill: {passed} of {len(runs)} run(s) passed"] + [
        f"   run {r['run']}: {'ok' if r['ok'] else 'FAILED'} in {r['seconds']} s {r.get('error', '')}" for r in runs
    ]
    options.emit(args, runs[0] if args.repeat == 1 else {"runs": runs, "passed": passed}, summary)
    return 0 if passed == len(runs) else 1

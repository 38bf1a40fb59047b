"""``edgefed isolation [--tenant T...]``: the attack suite, each tenant's own token against the local zones.

What a tenant (or a compromised CI job of its) can try with kubectl, skipping the pack: pod security,
network, fair share and residency attacks, each expected to be refused by the rule it names, each with a
compliant twin the zone must admit (:mod:`edgefed_ops.reports.attack_catalog`). Exit 1 when an attack was
admitted, refused for another reason, or its twin refused; or when a tenant's requests were not in its own
API priority share.
"""

from __future__ import annotations

import argparse
import sys

from edgefed_ops.commands import inputs, options
from edgefed_ops.reports.attack_suite import by_class, run_suite
from edgefed_ops.settings import Settings
from edgefed_ops.stack.local_stacks import LocalStacks


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("--tenant", nargs="*", default=[], metavar="TENANT", help="tenants (default: every one)")
    parser.add_argument("--summary", action="store_true", help="print only the summary line (and what failed)")
    options.work(parser)
    options.json_output(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the suite; print each attack's verdict (or only the summary), then the summary line."""
    tenants = inputs.tenants(settings, args.tenant)
    print(f"==> attack suite: {', '.join(tenants)}, each with its own token", file=sys.stderr, flush=True)
    result = run_suite(LocalStacks(settings), tenants)
    lines = []
    for klass, verdicts in by_class(result.verdicts).items():
        shown = [v for v in verdicts if not args.summary or not v.held]
        if shown:
            lines.append(f"{klass}:")
        for v in shown:
            a = v.attack
            status = "refused" if v.held else "NOT HELD"
            said = (v.refusal or "admitted").replace("\n", " ")
            twin = "" if v.twin_refusal is None else f" [TWIN REFUSED: {v.twin_refusal[:160]}]"
            lines.append(f"  {status:<8} {a.target.tenant:<9} {a.target.zone.id:<36} {a.name}: {a.tries}")
            lines.append(f"           -> {said[:200]}{twin}")
    for share in result.shares:
        if not args.summary or not share.own:
            state = "own share" if share.own else "NOT ITS OWN SHARE"
            lines.append(f"flow control: {share.tenant} in {share.zone}: {state} ({share.expected})")
    lines.append(result.summary())
    data = {
        "ok": result.ok,
        "summary": result.summary(),
        "attacks": [v.as_dict() for v in result.verdicts],
        "shares": [vars(s) for s in result.shares],
    }
    options.emit(args, data, lines)
    return 0 if result.ok else 1

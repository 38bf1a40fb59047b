"""``edgefed policy-check [STACK...]``: preview stacks with the policy pack, as a pull request check."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from edgefed_ops.commands import inputs, options
from edgefed_ops.errors import UsageError
from edgefed_ops.reports import sarif
from edgefed_ops.settings import Settings
from edgefed_ops.stack import policy_check


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    options.stacks(parser)
    parser.add_argument("--config", type=Path, metavar="FILE", help="pack config (default: each stack family's)")
    parser.add_argument("--sarif", type=Path, metavar="FILE", help="also write the results as SARIF 2.1.0 to FILE")
    parser.add_argument(
        "--trusted",
        type=Path,
        metavar="CHECKOUT",
        help="check with the pack, pack configs and stack families of CHECKOUT (a pull request's base branch)",
    )
    options.jobs(parser, "stacks previewed at once (default: the number of cores)")
    options.work(parser)
    options.json_output(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Check; exit 1 on a violation or a failed preview."""
    names = inputs.stacks(settings, args.stacks)
    trusted = args.trusted.resolve() if args.trusted else None
    if trusted is not None and not (trusted / "policies" / "eu-residency" / "PulumiPolicy.yaml").is_file():
        raise UsageError(f"--trusted: {str(trusted)!r} holds no policies/eu-residency pack to check with")
    config = inputs.existing_file(args.config, "--config").resolve() if args.config else None
    if args.sarif:
        inputs.output_file(args.sarif, "--sarif")
    settings = settings.with_trusted(trusted)
    results = policy_check.run(settings, names, config, options.progress(args), args.jobs)
    changed = policy_check.changed_rules(trusted, settings.root) if trusted else []
    report = policy_check.markdown(results, changed, trusted=trusted is not None)
    if args.sarif:
        args.sarif.write_text(json.dumps(sarif.to_sarif(results, settings.pack), indent=2) + "\n")
    data = {"stacks": results, "trusted": str(trusted) if trusted else None, "changedRules": changed}
    options.emit(args, data, [report])
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(report)
    return 1 if any(r.status != "pass" for r in results) else 0

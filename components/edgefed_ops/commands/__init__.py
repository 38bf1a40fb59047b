"""The ``edgefed`` commands, one module each.

``arguments(parser)`` declares a command's options, ``run(args, settings)`` does the work and returns the
exit status. :mod:`edgefed_ops.cli` imports a command's module
only when that command runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One command of the table: its name, its one-line help and the module that implements it."""

    name: str
    help: str
    module: str
    """Module under ``edgefed_ops.commands``."""


COMMANDS = (
    Command("plan", "the federation plan of country stacks (default: every stack); --what-if, --diff REV", "plan"),
    Command("preview", "pulumi preview of a stack with the policy pack", "lifecycle"),
    Command("up", "pulumi up of a stack, previewed with the policy pack first", "lifecycle"),
    Command("refresh", "pulumi refresh of a stack", "lifecycle"),
    Command("destroy", "pulumi destroy of a stack", "lifecycle"),
    Command("stack", "any other pulumi command in a stack's workspace: edgefed stack acme-fr -- cancel --yes", "stack"),
    Command("policy-check", "preview stacks with the policy pack; exit 1 on a violation", "policy_check"),
    Command("report", "the sovereignty report of stacks (from a preview, or --state)", "report"),
    Command("audit", "refresh, then the pack's rules over each stack's state, and the report", "audit"),
    Command("state-check", "refuse a state backend outside each stack's country", "state_check"),
    Command("render", "render stacks/Pulumi.<cc>.yaml from the catalog, keeping what users set", "render"),
    Command("import-zones", "import a CAMARA GET /edge-cloud-zones answer into the catalog", "import_zones"),
    Command("federation", "the local federation: up, down, status, stop-zone, start-zone", "federation"),
    Command("deploy", "pulumi up of the local-* stacks onto the local federation, with the pack", "deploy"),
    Command("identity", "a tenant's token from its home operator's issuer, and its kubeconfigs; --rotate", "identity"),
    Command("drill", "whole-country failover drill: a country fails, its load moves to neighbours, then back", "drill"),
    Command("watch", "a tenant's watcher: detects outages, deploys the failover, fences, fails back; --log", "watch"),
    Command(
        "isolation",
        "the attack suite: each tenant's own token against every zone guard; exit 1 if one gives",
        "isolation",
    ),
    Command("bench", "benchmarks: placement, --federation, --all-stacks, --preview STACK", "bench"),
    Command("policy-schema", "write (or --check) policies/eu-residency/config.schema.json", "policy_schema"),
)
"""Every command, in the order ``edgefed --help`` lists them."""

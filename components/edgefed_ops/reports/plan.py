"""The federation plan of the committed stacks, without deploying anything: text and JSON.

Stacks that name the same catalog form one federation and are planned together (``edgefed.core.placement.federation``).
The JSON document (``edgefed plan --json``) is described in README *Plan output*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgefed.core.inputs.stackconfig import raw_from_stack_file
from edgefed.core.placement.federation import Federation, FederationPlan, ZoneUse, load_federation, plan_federation
from edgefed_ops.errors import UsageError


@dataclass
class FederationPlans:
    """The plans of every federation the named stacks belong to."""

    plans: list[FederationPlan] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)
    """The stacks asked for (every committed stack when none was named)."""

    @property
    def ok(self) -> bool:
        """No configuration problem in a stack asked for."""
        stacks = [p.stack for plan in self.plans for p in plan.problems]
        stacks += [p.stack for plan in self.plans for p in plan.contract_problems]
        return not any(stack in self.stacks for stack in stacks)


def load_federations(root: Path, stacks: Sequence[str]) -> list[Federation]:
    """One federation per catalog among ``stacks`` (each loaded from its committed stack files).

    A stack file, catalog or app spec that does not load raises its :class:`ConfigError`.
    """
    federations: list[Federation] = []
    covered: set[str] = set()
    for stack in stacks:
        path = root / "stacks" / f"Pulumi.{stack}.yaml"
        raw = raw_from_stack_file(path)
        if stack in covered or raw.get("edgefed:operator"):
            continue  # an operator's zone stack places no apps
        federation = load_federation(root, stack, raw, [])
        covered |= {m.stack for m in federation.members}
        federations.append(federation)
    return federations


def plan_stacks(
    federations: Sequence[Federation], stacks: Sequence[str], unavailable: Sequence[str] = ()
) -> FederationPlans:
    """The federation plans of ``stacks``; ``unavailable`` zones (of any of their catalogs) are down."""
    known = {zone for federation in federations for zone in federation.catalog.zone_by_id}
    unknown = [zone for zone in unavailable if zone not in known]
    if unknown:
        raise UsageError(
            f"--unavailable: {', '.join(map(repr, unknown))} not a zone of the stacks' catalogs; "
            f"zones: {', '.join(sorted(known))}"
        )
    out = FederationPlans(stacks=list(stacks))
    for federation in federations:
        mine = [z for z in unavailable if z in federation.catalog.zone_by_id]
        out.plans.append(plan_federation(federation, mine))
    return out


def _gpus(values: dict[str, int] | Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in dict(values).items()}


def zone_data(use: ZoneUse) -> dict[str, Any]:
    """One zone of the ``zones`` list of the plan document."""
    cap = use.zone.capacity
    return {
        "id": use.zone.id,
        "country": use.zone.country,
        "operator": use.zone.operator,
        "capacity": {"cpu": cap.cpu, "memory_gib": cap.memory_gib, "gpus": _gpus(cap.gpus)},
        "used": {"cpu": round(use.cpu, 3), "memory_gib": round(use.memory_gib, 3), "gpus": _gpus(use.gpus)},
    }


def plan_data(result: FederationPlans) -> dict[str, Any]:
    """The ``edgefed plan --json`` document."""
    zones, assignments, sites, problems = [], [], [], []
    for plan in result.plans:
        zones += [zone_data(use) for use in plan.zones]
        for use in plan.zones:
            for c in use.claims:
                if c.stack not in result.stacks:
                    continue
                assignments.append(
                    {
                        "stack": c.stack, "app": c.app, "sites": list(c.sites), "zone": use.zone.id, "role": c.role,
                        "replicas": c.replicas, "reserved_replicas": c.reserved_replicas, "cpu": c.cpu,
                        "memory_mib": c.memory_mib, "gpus": _gpus(c.gpus),
                    }
                )  # fmt: skip
        for stack, plans in plan.plans.items():
            if stack not in result.stacks:
                continue
            for app, app_plan in plans.items():
                for s in app_plan.sites:
                    sites.append(
                        {
                            "stack": stack, "app": app, "site": s.site, "country": s.country, "serving": s.serving,
                            "primary": s.primary, "failover": s.failover, "failed_over": s.failed_over,
                            "explanation": s.explanation, "problem": s.problem, "reason": s.reason,
                        }
                    )  # fmt: skip
        problems += [
            {"stack": p.stack, "app": p.app, "site": p.site.site, "reason": p.site.reason, "zone": p.site.full_zone,
             "message": p.message}
            for p in plan.problems
        ]  # fmt: skip
    assignments.sort(key=lambda a: (a["stack"], a["app"], a["zone"]))
    return {
        "stacks": result.stacks,
        "unavailable": sorted({z for plan in result.plans for z in plan.federation.unavailable}),
        "zones": zones,
        "assignments": assignments,
        "sites": sites,
        "problems": problems,
        "over_contract": [
            {"stack": p.stack, "zone": p.zone, "message": p.message}
            for plan in result.plans
            for p in plan.contract_problems
            if p.stack in result.stacks
        ],
    }


def plan_lines(result: FederationPlans) -> list[str]:
    """The human report: per federation, per stack and app, the sites; then the zones; then problems."""
    lines: list[str] = []
    for plan in result.plans:
        fed = plan.federation
        names = [m.stack for m in fed.members]
        down = ", ".join(sorted(fed.unavailable)) or "none"
        lines.append(f"== federation of {', '.join(names)} ({fed.members[0].config.catalog}); outages: {down}")
        for member in fed.members:
            if member.stack not in result.stacks:
                continue
            lines.append(f"== stack {member.stack} ({member.config.country}): {len(member.specs)} app(s)")
            for app, app_plan in plan.plans[member.stack].items():
                lines.append(f"  app {app}")
                lines += [f"    {line}" for line in app_plan.explain()]
                for z in app_plan.zones:
                    lines.append(
                        f"    zone {z.zone:32} {z.country} {z.role:8} x{z.replicas}  sites: {', '.join(z.sites)}"
                    )
        capacity = "the tenant's contracted capacity" if fed.contract else "capacity"
        lines.append(f"  zones (reserved use / {capacity}):")
        for use in plan.zones:
            if use.claims:
                takers = ", ".join(f"{c.stack}/{c.app} {c.role} x{c.reserved_replicas}" for c in use.claims)
                lines.append(f"    {use.describe()}: {takers}")
        lines += [f"  PROBLEM {p.message}" for p in plan.problems]
        lines += [f"  OVER CONTRACT {p.message}" for p in plan.contract_problems]
    return lines

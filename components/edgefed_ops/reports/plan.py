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
from edgefed.core.placement.capacity import Amounts, SharedZone
from edgefed.core.placement.federation import (
    Federation,
    FederationPlan,
    ZoneUse,
    load_federation,
    plan_federation,
    shared_zones,
)
from edgefed_ops.errors import UsageError


@dataclass
class FederationPlans:
    """The plans of every federation the named stacks belong to."""

    plans: list[FederationPlan] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)
    """The stacks asked for (every committed stack when none was named)."""

    @property
    def shared(self) -> list[SharedZone]:
        """Every zone of each catalog, as all the tenants planned on it use it together."""
        by_catalog: dict[str, list[FederationPlan]] = {}
        for plan in self.plans:
            by_catalog.setdefault(plan.federation.members[0].config.catalog, []).append(plan)
        return [zone for plans in by_catalog.values() for zone in shared_zones(plans)]

    @property
    def capacity_problems(self) -> list[str]:
        """Zones that cannot hold what their contracts allocate or the tenants' plans reserve, together."""
        return [problem for zone in self.shared if (problem := zone.problem) is not None]

    @property
    def ok(self) -> bool:
        """No configuration problem in a stack asked for, and every zone holds what all tenants take of it."""
        stacks = [p.stack for plan in self.plans for p in plan.problems]
        stacks += [p.stack for plan in self.plans for p in plan.contract_problems]
        return not any(stack in self.stacks for stack in stacks) and not self.capacity_problems


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


def _amounts(amounts: Amounts) -> dict[str, Any]:
    return {"cpu": round(amounts.cpu, 3), "memory_gib": round(amounts.memory_gib, 3), "gpus": _gpus(amounts.gpus)}


def zone_data(use: ZoneUse, tenant: str) -> dict[str, Any]:
    """One zone of the ``zones`` list of the plan document: one tenant's view (its contracted capacity)."""
    return {
        "id": use.zone.id,
        "tenant": tenant,
        "country": use.zone.country,
        "operator": use.zone.operator,
        "capacity": _amounts(Amounts.of(use.zone.capacity)),
        "used": _amounts(Amounts(use.cpu, use.memory_gib, dict(use.gpus))),
    }


def shared_data(zone: SharedZone) -> dict[str, Any]:
    """One zone of the ``catalog_zones`` list: its catalog capacity against what every tenant takes there."""
    used = Amounts()
    for amounts in zone.reserved.values():
        used = used.plus(amounts)
    return {
        "id": zone.zone.id,
        "country": zone.zone.country,
        "operator": zone.zone.operator,
        "capacity": _amounts(Amounts.of(zone.zone.capacity)),
        "used": _amounts(used),
        "tenants": {
            tenant: {
                "used": _amounts(zone.reserved[tenant]),
                "allocated": _amounts(zone.allocated.get(tenant, Amounts())),
            }
            for tenant in sorted(zone.reserved)
        },
        "problem": zone.problem,
    }


def plan_data(result: FederationPlans) -> dict[str, Any]:
    """The ``edgefed plan --json`` document."""
    zones, assignments, sites, problems = [], [], [], []
    for plan in result.plans:
        contract = plan.federation.contract
        zones += [zone_data(use, contract.tenant if contract else "") for use in plan.zones]
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
        "catalog_zones": [shared_data(zone) for zone in result.shared],
        "capacity_problems": result.capacity_problems,
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
    lines += [f"OVER CAPACITY {problem}" for problem in result.capacity_problems]
    return lines

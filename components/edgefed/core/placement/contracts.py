"""Contracts against capacity and plans: what operators and tenants promised each other, checked. Pure.

Two checks. An operator's zone must hold every contract's allocations there (failover reserves are
in the allocations), or the operator stack refuses it naming the tenants. A tenant's plan, and every
re-plan of its N-1 what-if, must fit the contract: in each zone, each country stack may use (at its
autoscaling ceiling, which is what the namespace's quota must admit) at most its allocation there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Capacity, Catalog
from edgefed.core.inputs.contract import Allocation, Contract
from edgefed.core.placement.capacity import Amounts, exceeds, total
from edgefed.core.placement.placer import Plan, ZoneDemand, demand_by_zone


@dataclass(frozen=True)
class ContractProblem:
    """A country stack that would use more of a zone than its contract allows."""

    stack: str
    zone: str
    message: str


def contracted_view(catalog: Catalog, contract: Contract) -> Catalog:
    """The catalog as one tenant may use it: each zone's capacity is what the contract allocates there.

    Summed over the tenant's country stacks; a zone without an allocation has no capacity for it.
    """
    totals: dict[str, Allocation] = {}
    for zones in contract.allocations.values():
        for zone_id, allocation in zones.items():
            totals[zone_id] = _sum(totals.get(zone_id), allocation)
    viewed = []
    for zone in catalog.zones:
        held = totals.get(zone.id)
        capacity = Capacity(cpu=held.cpu, memory_gib=held.memory_gib, gpus=dict(held.gpus)) if held else _NOTHING
        viewed.append(zone.model_copy(update={"capacity": capacity}))
    # A new model, not model_copy: a copy would carry the original's cached zone index and its capacities.
    fields = {name: getattr(catalog, name) for name in Catalog.model_fields}
    return Catalog.model_construct(**{**fields, "zones": tuple(viewed)})


_NOTHING = Capacity(cpu=0, memory_gib=0)


def _sum(a: Allocation | None, b: Allocation) -> Allocation:
    if a is None:
        return b
    both = allocated(a).plus(allocated(b))
    return Allocation(cpu=both.cpu, memory_gib=both.memory_gib, gpus=dict(both.gpus))


def allocated(allocation: Allocation) -> Amounts:
    """An allocation as amounts."""
    return Amounts(allocation.cpu, allocation.memory_gib, dict(allocation.gpus))


def allocated_in(contract: Contract, zone: str) -> Amounts:
    """What a contract allocates in ``zone``, its country stacks together."""
    return total(allocated(a) for zones in contract.allocations.values() if (a := zones.get(zone)) is not None)


def _amounts(cpu: float, memory_gib: float, gpus: Mapping[str, int]) -> str:
    return Amounts(cpu, memory_gib, gpus).text()


def fits_contract(
    contract: Contract, source: str, stack: str, country: str, demand: Mapping[str, ZoneDemand]
) -> list[ContractProblem]:
    """Problems of one country stack whose demand per zone exceeds (or has no) allocation."""
    problems = []
    for zone_id, use in sorted(demand.items()):
        memory_gib = use.memory_mib / 1024
        allocation = contract.allocation(country, zone_id)
        where = f"contract {source} allocations.{country.upper()}.{zone_id}"
        if allocation is None:
            used = _amounts(use.cpu, memory_gib, use.gpus)
            message = f"stack {stack} would use {used} in zone {zone_id}, where {where} allocates nothing"
            problems.append(ContractProblem(stack, zone_id, message))
            continue
        held = Capacity(cpu=allocation.cpu, memory_gib=allocation.memory_gib, gpus=dict(allocation.gpus))
        if exceeds(held, use.cpu, memory_gib, use.gpus):
            problems.append(
                ContractProblem(
                    stack,
                    zone_id,
                    f"stack {stack} would use {_amounts(use.cpu, memory_gib, use.gpus)} in zone {zone_id} at its "
                    f"apps' autoscaling ceilings, over {where}: "
                    f"{_amounts(allocation.cpu, allocation.memory_gib, allocation.gpus)}",
                )
            )
    return problems


def plans_within_contract(
    contract: Contract,
    source: str,
    members: Iterable[tuple[str, str, Sequence[AppSpec]]],
    plans: Mapping[str, Mapping[str, Plan]],
) -> list[ContractProblem]:
    """Every member stack's (name, country, specs) demand under ``plans`` against the contract."""
    problems = []
    for stack, country, specs in members:
        problems += fits_contract(contract, source, stack, country, demand_by_zone(plans[stack], specs))
    return problems


def over_capacity(catalog: Catalog, contracts: Mapping[str, Contract], zones: Iterable[str]) -> list[str]:
    """Zones (of ``zones``) whose contracts' allocations together exceed the zone's capacity, naming them."""
    out = []
    for zone_id in zones:
        zone = catalog.zone(zone_id)
        takers = [
            (f"{c.tenant} ({country} stack)", allocated(a))
            for c in contracts.values()
            for country, zones_of in c.allocations.items()
            if (a := zones_of.get(zone_id)) is not None
        ]
        whole = total(a for _, a in takers)
        if takers and whole.over(zone.capacity):
            named = "; ".join(f"{who}: {a.text()}" for who, a in takers)
            out.append(
                f"zone {zone_id}: contracts allocate {whole.text()}, over its capacity "
                f"{Amounts.of(zone.capacity).text()}; allocated to {named}"
            )
    return out

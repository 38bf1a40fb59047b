"""What-if (N-1): re-plan the whole federation for every single-zone and every whole-country outage.

Pure, no Pulumi import. Each scenario adds its zones to the federation's outage state and re-plans every
member together, exactly as the stacks would deploy it; it reports, per site, whether it is served in place,
failed over (where, at what latency) or unserved (and why), and the reserved use of every zone.

It also checks the plan deployed now: when a scenario's zones fail, every site they serve moves to the
failover zone the plan reserved for it, with the app's full primary replicas. A zone whose reservations
(standby-only, ``failover_capacity: standby``) cannot hold that takeover is *overcommitted* in the scenario.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Catalog
from edgefed.core.placement.capacity import Demand, Usage, in_zone, over, reserves_full, take
from edgefed.core.placement.contracts import plans_within_contract
from edgefed.core.placement.federation import Federation
from edgefed.core.placement.placer import Placer, Plan, Reason, Request, Trace

Status = Literal["failed-over", "unserved"]


@dataclass(frozen=True)
class Scenario:
    """Zones that fail together."""

    name: str
    """``zone <id>`` or ``country <CC>``."""
    down: tuple[str, ...]
    """The zones, by id."""


def scenarios(catalog: Catalog) -> list[Scenario]:
    """Every single active zone, then every country with active zones (all of them at once).

    A country with one zone is the same outage as that zone and is listed once, as the zone.
    """
    active = sorted((z for z in catalog.zones if z.status == "active"), key=lambda z: z.id)
    out = [Scenario(f"zone {z.id}", (z.id,)) for z in active]
    by_country: dict[str, list[str]] = {}
    for zone in active:
        by_country.setdefault(zone.country, []).append(zone.id)
    out += [Scenario(f"country {cc}", tuple(ids)) for cc, ids in sorted(by_country.items()) if len(ids) > 1]
    return out


@dataclass(frozen=True)
class SiteOutcome:
    """A site that is not served in place in a scenario."""

    stack: str
    app: str
    site: str
    country: str
    status: Status
    zone: str | None
    """Where it is served (failed over), or None."""
    latency_ms: float | None
    reason: Reason | None
    """Why it is unserved."""
    problem: str | None
    must_survive: bool
    """The app asks for failover and its data may cross a border: being unserved is a gap."""


@dataclass(frozen=True)
class Overcommit:
    """A zone that cannot hold the takeover the deployed plan promises for a scenario."""

    zone: str
    cpu: float
    memory_gib: float
    gpus: Mapping[str, int]
    takers: tuple[str, ...]
    """``stack/app`` moving in."""


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's outcome."""

    scenario: Scenario
    in_place: int
    """Sites served in their own country."""
    moved: tuple[SiteOutcome, ...]
    """Sites served across the border."""
    unserved: tuple[SiteOutcome, ...]
    use: Usage
    """Reserved use of every zone in the re-plan."""
    overcommitted: tuple[Overcommit, ...]
    over_contract: tuple[str, ...] = ()
    """Country stacks that the re-plan would take past the tenant's contract in a zone (quota refuses)."""

    @property
    def gaps(self) -> tuple[SiteOutcome, ...]:
        """Unserved sites that were meant to survive."""
        return tuple(s for s in self.unserved if s.must_survive)

    @property
    def ok(self) -> bool:
        """No gap, no overcommitted zone, nothing over the contract."""
        return not self.gaps and not self.overcommitted and not self.over_contract


def _must_survive(spec: AppSpec) -> bool:
    return spec.failover != "none" and spec.data_classification != "restricted"


def _outcomes(
    keys: Sequence[tuple[str, AppSpec]], plans: Sequence[Plan]
) -> tuple[int, list[SiteOutcome], list[SiteOutcome]]:
    in_place, moved, unserved = 0, list[SiteOutcome](), list[SiteOutcome]()
    for (stack, spec), plan in zip(keys, plans, strict=True):
        for s in plan.sites:
            if s.serving is not None and not s.failed_over:
                in_place += 1
                continue
            status: Status = "failed-over" if s.serving else "unserved"
            outcome = SiteOutcome(
                stack, spec.name, s.site, s.country, status, s.serving,
                s.failover_latency_ms if s.serving else None, s.reason, s.problem, _must_survive(spec),
            )  # fmt: skip
            (moved if s.serving else unserved).append(outcome)
    return in_place, moved, unserved


def _copy(use: Usage) -> Usage:
    return Usage(dict(use.cpu), dict(use.memory_gib), dict(use.gpus))


def _takeover(
    catalog: Catalog, keys: Sequence[tuple[str, AppSpec]], plans: Sequence[Plan], base: Usage, down: frozenset[str]
) -> tuple[Overcommit, ...]:
    """Zones over capacity if every site served by ``down`` moved to its planned failover zone."""
    use, takers = _copy(base), dict[str, list[str]]()
    for (stack, spec), plan in zip(keys, plans, strict=True):
        roles = {a.zone: a.role for a in plan.zones}
        full = reserves_full(spec, catalog)
        moving = {s.failover for s in plan.sites if s.serving in down and s.failover and s.failover not in down}
        for zone_id in sorted(z for z in moving if z is not None):
            if roles.get(zone_id) == "primary" or full:
                continue  # already serving, or its reservation is the full primary count
            extra = spec.replicas_per_zone - spec.standby_replicas
            if extra <= 0:
                continue  # the warm replicas already are the full load
            take(catalog.zone(zone_id), Demand.of(spec, extra), use)
            takers.setdefault(zone_id, []).append(f"{stack}/{spec.name}")
    out = []
    for zone_id, names in sorted(takers.items()):
        zone = catalog.zone(zone_id)
        if over(zone, use):
            cpu, memory_gib, gpus = in_zone(zone, use)
            out.append(Overcommit(zone_id, cpu, memory_gib, gpus, tuple(names)))
    return tuple(out)


def _over_contract(
    federation: Federation, keys: Sequence[tuple[str, AppSpec]], plans: Sequence[Plan]
) -> tuple[str, ...]:
    """What a scenario's re-plan would take past the tenant's contract (nothing without a contract)."""
    if federation.contract is None:
        return ()
    by_stack: dict[str, dict[str, Plan]] = {m.stack: {} for m in federation.members}
    for (stack, _), plan in zip(keys, plans, strict=True):
        by_stack[stack][plan.app] = plan
    members = [(m.stack, m.config.country, m.specs) for m in federation.members]
    problems = plans_within_contract(federation.contract, federation.contract_source, members, by_stack)
    return tuple(p.message for p in problems)


def what_if(
    federation: Federation, *, only: Iterable[Scenario] | None = None, placer: Placer | None = None
) -> list[ScenarioResult]:
    """Re-plan the federation for every scenario (or those given), on top of its outage state."""
    placer = placer or federation.placer()
    keys = [(m.stack, spec) for m in federation.members for spec in m.specs]
    zones = {m.stack: frozenset(m.config.zones) for m in federation.members}
    requests = [Request(spec, zones[stack]) for stack, spec in keys]
    base_use, trace = Usage(), Trace()
    base = placer.place_together(requests, unavailable=federation.unavailable, usage=base_use, trace=trace)
    results = []
    for scenario in only if only is not None else scenarios(federation.catalog):
        down = federation.unavailable | frozenset(scenario.down)
        use = Usage()
        # Replayed: only the sites whose zones the outage touches are placed again (same result as anew).
        plans = placer.place_together(requests, unavailable=down, usage=use, replay=trace)
        in_place, moved, unserved = _outcomes(keys, plans)
        over = _takeover(federation.catalog, keys, base, base_use, frozenset(scenario.down))
        contract = _over_contract(federation, keys, plans)
        results.append(ScenarioResult(scenario, in_place, tuple(moved), tuple(unserved), use, over, contract))
    return results

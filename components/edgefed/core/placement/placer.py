"""Placement: which zone serves each customer site, and which zone takes over when it fails.

Pure logic with no Pulumi import, shared by the components, the federation plan and the policy pack. A
plan is a pure function of (catalog, app specs, zones, unavailable zones): when a zone comes back, the
same call returns its sites to it (failback) with no hidden state to get stuck in.

Rules, in order, each applied to every app placed together (a stack's, or the whole federation's) before
the next, so that a country's own sites never lose capacity to another country's standbys:

1. The *primary* zone of a site is the active, available zone of the site's own country with the lowest
   latency (catalog latency model) inside the site's budget and with capacity left; ties go to the
   lowest zone id, so the plan is deterministic.
2. When the site's country cannot serve it because zones are down (an outage: every zone within budget
   is down, or the down ones are the only ones that would fit, such as the country's GPU zone), the site
   is served from a failover zone; if it may not fail over, the plan says why and the site is unserved.
3. Its *failover* zone is the best zone in another country allowed by the failover mode (a neighbour in
   the residency, or any residency country), inside the budget and with room for what the app's
   ``failover_capacity`` reserves: its standby replicas, or (``full``) its full primary replicas, so that
   the takeover is guaranteed to fit. ``restricted`` data never gets one: it never crosses a border.
4. A site that cannot be served even with every zone up (no zone in budget, no capacity, residency
   forbidding every neighbour) is a configuration problem: :meth:`Plan.raise_for_problems` stops the
   program before any resource is registered.

Split by concern (modules of :mod:`edgefed.core.placement`): the plan's data in ``plan``, the per-site rules
and their explanations in ``siterules``, replays of a traced placement in ``replay``, latency and the zone
search in ``latency``, capacity arithmetic in ``capacity``. This module runs the rules for every app in
turn and derives what a stack deploys (drained zones, quotas).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Catalog
from edgefed.core.placement.capacity import Usage
from edgefed.core.placement.latency import ZoneSearch
from edgefed.core.placement.plan import (
    Cause,
    PlacementError,
    Plan,
    Reason,
    Request,
    Role,
    SitePlacement,
    ZoneAssignment,
)
from edgefed.core.placement.replay import Trace, replay_placement
from edgefed.core.placement.siterules import AppRun, SiteRule, usable_zones

__all__ = [
    "Cause",
    "PlacementError",
    "Placer",
    "Plan",
    "Reason",
    "Request",
    "Role",
    "SitePlacement",
    "Trace",
    "ZoneAssignment",
    "ZoneDemand",
    "demand_by_zone",
    "place",
    "place_all",
    "place_all_drained",
    "plans_as_data",
    "with_drained",
]


class Placer(ZoneSearch):
    """Places apps on one catalog; keeps its search indexes between calls."""

    def usable(self, zones: frozenset[str] | None) -> frozenset[str]:
        """The active zones among ``zones`` (every zone of the catalog when None), checked once per set."""
        return usable_zones(self, zones)

    def place(
        self,
        spec: AppSpec,
        *,
        unavailable: Iterable[str] = (),
        zones: Iterable[str] | None = None,
        usage: Usage | None = None,
    ) -> Plan:
        """Place one app.

        ``zones`` limits the zones to use (default: the whole catalog); ``usage`` is updated with what
        the app takes, so apps placed in turn share capacity.
        """
        allowed = None if zones is None else frozenset(zones)
        return self.place_together([Request(spec, allowed)], unavailable=unavailable, usage=usage)[0]

    def place_together(
        self,
        requests: Sequence[Request],
        *,
        unavailable: Iterable[str] = (),
        usage: Usage | None = None,
        trace: Trace | None = None,
        replay: Trace | None = None,
    ) -> list[Plan]:
        """Place several apps sharing capacity, each rule for every app (in order) before the next rule.

        Primaries come first everywhere, then outage failovers, then standbys. ``trace`` records what every
        site did; ``replay`` (a trace of the same requests) reuses each site's decision when no zone it
        could use differs from the traced run (down, or with other usage so far), and re-decides the rest:
        the result equals a placement from scratch, at the cost of the sites an outage actually touches.
        """
        down, shared = frozenset(unavailable), usage if usage is not None else Usage()
        if replay is not None:
            return replay_placement(self, requests, down, shared, replay)
        runs = [AppRun(self, r.spec, down, r.zones, shared) for r in requests]
        if trace is not None:
            trace.start(requests, down)
        for rule in SiteRule:
            for index, run in enumerate(runs):
                for site in run.sites:
                    if trace is None:
                        run.decide(rule, site)
                        continue
                    run.holdings.new_step()
                    run.decide(rule, site)
                    trace.record(run, index, site, rule)
        plans = [run.plan() for run in runs]
        if trace is not None:
            trace.plans = tuple(plans)
        return plans


def place(
    catalog: Catalog,
    spec: AppSpec,
    unavailable: Iterable[str] = (),
    *,
    zones: Iterable[str] | None = None,
) -> Plan:
    """Place one app on a catalog (convenience wrapper over :class:`Placer`)."""
    return Placer(catalog).place(spec, unavailable=unavailable, zones=zones)


def place_all(
    catalog: Catalog,
    specs: Sequence[AppSpec],
    unavailable: Iterable[str] = (),
    *,
    zones: Iterable[str] | None = None,
) -> dict[str, Plan]:
    """Place several apps together, sharing zone capacity in the given order (see the module's rules)."""
    allowed = None if zones is None else frozenset(zones)
    plans = Placer(catalog).place_together([Request(spec, allowed) for spec in specs], unavailable=unavailable)
    return {plan.app: plan for plan in plans}


def with_drained(plan: Plan, healthy: Plan, unavailable: Iterable[str]) -> Plan:
    """Add to ``plan`` (zones down) a ``drained`` assignment per unavailable zone that ``healthy`` uses.

    A zone that cannot be reached cannot have objects deleted from it, and a zone that is only briefly
    unreachable must not lose them: its objects stay declared with zero replicas, and the next plan
    without the outage gives them back their replicas (failback). Still a pure function of its inputs.
    """
    down = frozenset(unavailable)
    used = {a.zone for a in plan.zones}
    drained = [
        replace(a, role="drained", replicas=0, drained_from=a.role)
        for a in healthy.zones
        if a.zone in down and a.zone not in used and a.role != "drained"
    ]
    return replace(plan, zones=tuple(sorted((*plan.zones, *drained), key=lambda a: a.zone)))


def place_all_drained(
    catalog: Catalog,
    specs: Sequence[AppSpec],
    unavailable: Iterable[str] = (),
    *,
    zones: Iterable[str] | None = None,
) -> tuple[dict[str, Plan], dict[str, Plan]]:
    """The one placement path of a stack: (plans with the zones down, drained zones kept; healthy plans).

    The healthy plans (every zone up) are what buckets follow, so that an outage never moves data; the
    drained plans are what is deployed. The program and a ``FederatedEdgeApp`` used alone both call this.
    """
    down = tuple(unavailable)
    allowed = tuple(zones) if zones is not None else None
    plans = place_all(catalog, specs, down, zones=allowed)
    healthy = place_all(catalog, specs, (), zones=allowed) if down else plans
    return {name: with_drained(plan, healthy[name], down) for name, plan in plans.items()}, healthy


def plans_as_data(plans: Mapping[str, Plan]) -> dict[str, object]:
    """All plans as plain data (stack output)."""
    return {name: plan.to_dict() for name, plan in plans.items()}


@dataclass(frozen=True)
class ZoneDemand:
    """What all apps of a stack may use in one zone at their autoscaling ceiling (sizes quotas)."""

    cpu: float
    """Cores."""
    memory_mib: int
    """Memory in MiB."""
    gpus: Mapping[str, int]
    """GPU model to count."""
    pods: int
    """Pods."""


def demand_by_zone(plans: Mapping[str, Plan], specs: Sequence[AppSpec]) -> dict[str, ZoneDemand]:
    """Per zone, the resources the plans may use: primaries up to their autoscaling ceiling, standbys as is."""
    by_name = {spec.name: spec for spec in specs}
    cpu: dict[str, float] = {}
    memory: dict[str, int] = {}
    pods: dict[str, int] = {}
    gpus: dict[str, dict[str, int]] = {}
    for plan in plans.values():
        spec = by_name[plan.app]
        for assignment in plan.zones:
            # A drained zone keeps the quota of its healthy role, so nothing changes there on failback.
            role = assignment.drained_from or assignment.role
            count = spec.autoscaling_ceiling if role == "primary" else max(assignment.replicas, spec.standby_replicas)
            zone = assignment.zone
            cpu[zone] = cpu.get(zone, 0.0) + spec.resources.cpu * count
            memory[zone] = memory.get(zone, 0) + spec.resources.memory_mib * count
            pods[zone] = pods.get(zone, 0) + count
            gpu = spec.resources.gpu
            if gpu is not None:
                per_zone = gpus.setdefault(zone, {})
                per_zone[gpu.model] = per_zone.get(gpu.model, 0) + gpu.count * count
    return {
        zone: ZoneDemand(cpu=cpu[zone], memory_mib=memory[zone], gpus=gpus.get(zone, {}), pods=pods[zone])
        for zone in sorted(cpu)
    }

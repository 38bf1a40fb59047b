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

Latency and the zone search are in :mod:`edgefed.latency`; capacity bookkeeping in :mod:`edgefed.capacity`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from edgefed.appspec import AppSpec, Site
from edgefed.capacity import EPSILON, Demand, Usage, fits, take
from edgefed.catalog import Catalog, Zone
from edgefed.geography import geography
from edgefed.latency import ZoneSearch
from edgefed.residency import failover_countries

Cause = Literal["outage", "configuration"]
Role = Literal["primary", "standby", "drained"]
Reason = Literal["outage", "residency", "restricted", "failover-none", "budget", "capacity", "gpu-model", "no-zone"]
"""Why a site is unserved (or has no failover): the categories the what-if report counts."""


class PlacementError(ValueError):
    """One or more sites cannot be served even with every zone up: the inputs must change."""


@dataclass(frozen=True, kw_only=True)
class SitePlacement:
    """Where one site is served, where it fails over, and why."""

    site: str
    """Site name."""
    country: str
    """The site's country."""
    primary: str | None
    """The in-country zone serving the site, or ``None`` when no zone of the country is usable."""
    primary_latency_ms: float | None
    """Estimated round-trip latency to ``primary``."""
    failover: str | None
    """The zone in another country that takes over, holding standby replicas, or ``None``."""
    failover_latency_ms: float | None
    """Estimated round-trip latency to ``failover``."""
    serving: str | None
    """The zone serving the site now: ``primary``, or ``failover`` during an outage."""
    explanation: str
    """One line saying why."""
    problem: str | None = None
    """Why the site is not served, if it is not."""
    cause: Cause | None = None
    """``outage`` (zones are down) or ``configuration`` (inputs must change), when unserved."""
    reason: Reason | None = None
    """The category of ``problem`` (or, for a site served without failover, of why it has none)."""
    full_zone: str | None = None
    """When capacity is the reason: the zone that would serve (or back up) the site if it had room."""

    @property
    def failed_over(self) -> bool:
        """True when the site is served across the border because its country's zones are down."""
        return self.serving is not None and self.serving != self.primary


@dataclass(frozen=True)
class ZoneAssignment:
    """What one app runs in one zone."""

    zone: str
    """Zone id."""
    country: str
    """Zone country (static: policies decide on it at preview time)."""
    operator: str
    """Zone operator (static, for the same reason)."""
    role: Role
    """``primary`` when the zone serves at least one site, ``standby`` when it only waits for failover,
    ``drained`` when the zone is unavailable: its objects stay declared with no replicas."""
    replicas: int
    """Replicas to run there."""
    sites: tuple[str, ...]
    """Sites served (primary) or covered (standby) by this zone."""
    drained_from: Literal["primary", "standby"] | None = None
    """For a drained zone, the role it has when every zone is up."""


@dataclass(frozen=True)
class Plan:
    """The placement of one app."""

    app: str
    """App name."""
    sites: tuple[SitePlacement, ...]
    """One entry per site, in site-name order."""
    zones: tuple[ZoneAssignment, ...]
    """One entry per zone used, in zone-id order."""

    @property
    def problems(self) -> list[SitePlacement]:
        """Sites that are not served, or served without the failover their app asks for."""
        return [s for s in self.sites if s.problem is not None]

    def raise_for_problems(self) -> None:
        """Raise :class:`PlacementError` if any site is unserved for a configuration reason."""
        bad = [s for s in self.problems if s.cause == "configuration"]
        if bad:
            lines = [f"app {self.app!r}: {len(bad)} site(s) cannot be served:"]
            lines += [f"  - site {s.site!r} ({s.country}): {s.problem}" for s in bad]
            raise PlacementError("\n".join(lines))

    def explain(self) -> list[str]:
        """One line per site."""
        return [s.explanation for s in self.sites]

    def to_dict(self) -> dict[str, object]:
        """Plain data for stack outputs and for the policy pack."""
        return {
            "app": self.app,
            "sites": {
                s.site: {
                    "country": s.country,
                    "primary": s.primary,
                    "primaryLatencyMs": _round(s.primary_latency_ms),
                    "failover": s.failover,
                    "failoverLatencyMs": _round(s.failover_latency_ms),
                    "serving": s.serving,
                    "failedOver": s.failed_over,
                    "explanation": s.explanation,
                    "problem": s.problem,
                    "reason": s.reason,
                }
                for s in self.sites
            },
            "zones": {
                z.zone: {
                    "country": z.country,
                    "operator": z.operator,
                    "role": z.role,
                    "drainedFrom": z.drained_from,
                    "replicas": z.replicas,
                    "sites": list(z.sites),
                }
                for z in self.zones
            },
        }


def _unserved(site: Site, problem: str, cause: Cause, reason: Reason, full_zone: str | None = None) -> SitePlacement:
    """A site that is not served, and why."""
    explanation = f"site {site.name} ({site.country}): unserved: {problem}"
    return SitePlacement(
        site=site.name, country=site.country, primary=None, primary_latency_ms=None, failover=None,
        failover_latency_ms=None, serving=None, explanation=explanation, problem=problem, cause=cause,
        reason=reason, full_zone=full_zone,
    )  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class Request:
    """One app to place: its spec and the zones it may use (``None``: every zone of the catalog)."""

    spec: AppSpec
    """The app, with the sites to place."""
    zones: frozenset[str] | None = None
    """Zones the app may use; default every zone of the catalog."""


class Engine(ZoneSearch):
    """Places apps on one catalog; keeps its search indexes between calls."""

    def usable(self, zones: frozenset[str] | None) -> frozenset[str]:
        """The active zones among ``zones`` (every zone of the catalog when None), checked once per set."""
        cache: dict[frozenset[str] | None, frozenset[str]] = self.__dict__.setdefault("_usable", {})
        found = cache.get(zones)
        if found is None:
            allowed = frozenset(self.catalog.zone_by_id) if zones is None else zones
            for zone_id in allowed:
                self.catalog.zone(zone_id)  # KeyError naming the known zones
            found = cache[zones] = frozenset(
                z.id for z in self.catalog.zones if z.id in allowed and z.status == "active"
            )
        return found

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
            return _replay(self, requests, down, shared, replay)
        runs = [_AppRun(self, r.spec, down, r.zones, shared) for r in requests]
        if trace is not None:
            trace.start(requests, down)
        for rule in range(3):
            for index, run in enumerate(runs):
                for site in run.sites:
                    if trace is None:
                        run.decide(rule, site)
                        continue
                    run.log, run.taken = [], []
                    run.decide(rule, site)
                    trace.record(run, index, site, rule)
        plans = [run.plan() for run in runs]
        if trace is not None:
            trace.plans = tuple(plans)
        return plans


def _replay(
    engine: Engine, requests: Sequence[Request], down: frozenset[str], usage: Usage, trace: Trace
) -> list[Plan]:
    """Place ``requests`` again with ``down`` unavailable, re-deciding only what the change can affect.

    A decision is reused when its site is unchanged so far and none of the zones it depended on
    (:attr:`Trace.relevant`) is *dirty*: down or up differently from the trace, or used differently so far
    (any zone a re-decided site assigned differently). An app none of whose sites needs deciding again is
    never even built: its capacity is taken from the trace and its traced plan returned.
    """
    dirty = trace.dirty_from(requests, down)
    runs: dict[int, _AppRun] = {}
    changed: set[tuple[int, str]] = set()  # sites whose earlier decision differed: decide again
    cpu, memory, gpus = usage.cpu, usage.memory_gib, usage.gpus
    for index, union, block_takes, steps in trace.blocks:
        if index not in runs and union.isdisjoint(dirty):
            # The whole block (one app, one rule) is unaffected: take its capacity, decide nothing.
            for zone_id, demand in block_takes:  # capacity.take, inlined: this runs per block and scenario
                cpu[zone_id] = cpu.get(zone_id, 0.0) + demand.cpu
                memory[zone_id] = memory.get(zone_id, 0.0) + demand.memory_gib
                if demand.gpu_model is not None:
                    gpus[(zone_id, demand.gpu_model)] = gpus.get((zone_id, demand.gpu_model), 0) + demand.gpus
            continue
        _replay_block(engine, requests, down, usage, trace, runs, dirty, changed, index, steps)
    return [runs[i].plan() if i in runs else trace.plans[i] for i in range(len(requests))]


def _replay_block(
    engine: Engine,
    requests: Sequence[Request],
    down: frozenset[str],
    usage: Usage,
    trace: Trace,
    runs: dict[int, _AppRun],
    dirty: set[str],
    changed: set[tuple[int, str]],
    index: int,
    steps: Sequence[_Step],
) -> None:
    """One block of :func:`_replay`, site by site."""
    for _, site, rule, relevant, takes, step in steps:
        run = runs.get(index)
        if relevant.isdisjoint(dirty) and (index, site.name) not in changed:
            if run is not None:
                run.repeat(rule, site, step)
            else:
                for zone_id, demand in takes:
                    take(engine.catalog.zone_by_id[zone_id], demand, usage)
            continue
        if run is None:
            run = runs[index] = _AppRun(engine, requests[index].spec, down, requests[index].zones, usage)
            for earlier_site, earlier_rule, earlier_step in trace.by_run[index]:
                if earlier_site is site and earlier_rule == rule:
                    break
                run.repeat(earlier_rule, earlier_site, earlier_step, account=False)
        run.log, run.taken = [], []
        run.decide(rule, site)
        before, decision = step
        now = run.primaries.get(site.name) if rule == 0 else run.outcome.get(site.name)
        if tuple(run.log) != before:
            dirty |= {zone for zone, _ in run.log} | {zone for zone, _ in before}
        if tuple(run.log) != before or now != decision:
            changed.add((index, site.name))


_Decision = tuple[tuple[tuple[str, "Role"], ...], object]
"""A traced decision: the (zone id, role) pairs it assigned, and its result."""
_Step = tuple[int, Site, int, frozenset[str], tuple[tuple[str, Demand], ...], _Decision]


@dataclass
class Trace:
    """What each site did in each rule of one placement, for replays (:meth:`Engine.place_together`).

    A variant with a few zones changed reuses every decision those zones cannot affect.
    """

    by_run: dict[int, list[tuple[Site, int, _Decision]]] = field(default_factory=dict)
    """Request index to its (site, rule, step) decisions in order."""
    blocks: list[tuple[int, frozenset[str], tuple[tuple[str, Demand], ...], list[_Step]]] = field(default_factory=list)
    """The decisions of one request under one rule, in order: (request index, every zone they depended
    on, every capacity they took, the decisions). A decision is (request index, site, rule, the zones
    whose state could change it, the capacity it took, the step). Those zones: when a zone was chosen at
    some latency, the zones at most that far (the nearer ones were refused); otherwise every zone within
    budget of the countries the rule searched."""
    plans: tuple[Plan, ...] = ()
    """The traced plans."""
    apps: tuple[str, ...] = ()
    """The apps of the traced requests, in order."""
    down: frozenset[str] = frozenset()
    """The zones unavailable in the traced run."""

    def start(self, requests: Sequence[Request], down: frozenset[str]) -> None:
        """Forget any earlier run; record this one's requests and outage."""
        self.by_run.clear()
        self.blocks.clear()
        self.apps = tuple(r.spec.name for r in requests)
        self.down = down

    def record(self, run: _AppRun, index: int, site: Site, rule: int) -> None:
        """Record the decision ``run`` just took for ``site`` under ``rule``, and what it depended on."""
        decision: object = run.primaries.get(site.name) if rule == 0 else run.outcome.get(site.name)
        step: _Decision = (tuple(run.log), decision)
        self.by_run.setdefault(index, []).append((site, rule, step))
        budget, home, own = site.latency_budget_ms, run.spec.home_operator, frozenset([site.country])
        scope, _, _ = _failover_scope(run, site)
        primary = run.primaries.get(site.name)
        static: tuple[frozenset[str], float] = (frozenset(), 0.0)  # the decision depends on no zone's state
        searched: tuple[frozenset[str], float]
        if rule == 0:
            searched = (own, primary[1] + EPSILON) if primary else (own, budget)
        elif rule == 1:
            outcome = run.outcome.get(site.name)
            never_served = (
                outcome is not None and outcome.cause == "configuration" and outcome.reason in ("budget", "no-zone")
            )
            # Nothing to do, or no usable zone of its country in budget at all: the decision never changes.
            searched = static if primary is not None or never_served else (own | scope, budget)
        else:
            outcome = run.outcome.get(site.name)
            if primary is None or not scope:
                searched = static  # nothing to search: no primary, or no failover allowed
            elif outcome is not None and outcome.failover_latency_ms is not None:
                searched = (scope, outcome.failover_latency_ms + EPSILON)
            else:
                searched = (scope | own, budget)
        countries, limit = searched
        relevant = run.engine.within(site, countries, limit, home) if countries else frozenset()
        takes = tuple((zone.id, demand) for zone, demand in run.taken)
        entry = (index, site, rule, relevant, takes, step)
        last = self.blocks[-1] if self.blocks else None
        if last is not None and last[0] == index and last[3][0][2] == rule:
            self.blocks[-1] = (index, last[1] | relevant, last[2] + takes, [*last[3], entry])
        else:
            self.blocks.append((index, relevant, takes, [entry]))

    def dirty_from(self, requests: Sequence[Request], down: frozenset[str]) -> set[str]:
        """The zones that differ from the traced run at the start: those whose availability changed."""
        if tuple(r.spec.name for r in requests) != self.apps or not self.blocks:
            raise ValueError("replay: the trace is of other requests; trace these first")
        return set(down ^ self.down)


class _AppRun:
    """The state of one app while the rules run: its zones, what it took, and each site's outcome."""

    def __init__(
        self, engine: Engine, spec: AppSpec, unavailable: frozenset[str], zones: frozenset[str] | None, usage: Usage
    ) -> None:
        self.engine, self.spec, self.usage = engine, spec, usage
        catalog = engine.catalog
        self.usable = engine.usable(zones)
        self.available = self.usable - unavailable
        self.unavailable = unavailable
        self.primary_demand = Demand.of(spec, spec.replicas_per_zone)
        full = (spec.failover_capacity or catalog.failover_capacity) == "full"
        held = max(spec.replicas_per_zone, spec.standby_replicas) if full else spec.standby_replicas
        self.reserve_demand = Demand.of(spec, held)
        """What a standby zone reserves: the full primary replicas (guaranteed takeover) or the standbys."""
        self.primary_zones: dict[str, list[str]] = {}
        self.standby_zones: dict[str, list[str]] = {}
        self.sites = sorted(spec.sites, key=lambda s: s.name)
        self.primaries: dict[str, tuple[Zone, float] | None] = {}
        self.outcome: dict[str, SitePlacement] = {}
        self.residency = spec.residency_countries
        self.scopes: dict[str, frozenset[str]] = {}
        """Failover countries per site country, computed once."""
        self.log: list[tuple[str, Role]] = []
        """Zones assigned since the log was last cleared (for traces)."""
        self.taken: list[tuple[Zone, Demand]] = []
        """Capacity taken since then."""

    # Candidate predicates ------------------------------------------------------------------------------

    def can_serve(self, zone: Zone) -> bool:
        if zone.id not in self.available:
            return False
        return zone.id in self.primary_zones or fits(zone, self.primary_demand, self.usage)

    def can_stand_by(self, zone: Zone) -> bool:
        if zone.id not in self.available:
            return False
        if zone.id in self.primary_zones or zone.id in self.standby_zones:
            return True
        return fits(zone, self.reserve_demand, self.usage)

    def is_up(self, zone: Zone) -> bool:
        return zone.id in self.available

    def assign(self, zone: Zone, site: str, role: Role, *, account: bool = True) -> None:
        """Give ``zone`` the role for ``site``; its capacity is taken the first time.

        ``account=False`` when it is already taken: the run's state is being rebuilt from a trace.
        """
        target = self.primary_zones if role == "primary" else self.standby_zones
        if zone.id not in self.primary_zones and zone.id not in target:
            demand = self.primary_demand if role == "primary" else self.reserve_demand
            if account:
                take(zone, demand, self.usage)
            self.taken.append((zone, demand))
        target.setdefault(zone.id, []).append(site)
        self.log.append((zone.id, role))

    # The three rules -----------------------------------------------------------------------------------

    def decide(self, rule: int, site: Site) -> None:
        """Apply one rule to one site.

        0: its in-country zone; 1: across the border for a site without one (outage or configuration);
        2: a failover zone for a site served in its country.
        """
        if rule == 0:
            home = self.spec.home_operator
            found = self.engine.best(site, frozenset([site.country]), self.can_serve, site.latency_budget_ms, home)
            self.primaries[site.name] = found
            if found:
                self.assign(found[0], site.name, "primary")
            return
        primary = self.primaries[site.name]
        if rule == 1 and primary is None:
            self.outcome[site.name] = _without_primary(self, site)
        elif rule == 2 and primary is not None:
            self.outcome[site.name] = _with_primary(self, site, primary)

    def repeat(
        self, rule: int, site: Site, step: tuple[tuple[tuple[str, Role], ...], object], *, account: bool = True
    ) -> None:
        """Replay a traced decision: the same assignments, the same outcome."""
        assigned, decision = step
        for zone_id, role in assigned:
            self.assign(self.engine.catalog.zone_by_id[zone_id], site.name, role, account=account)
        if rule == 0:
            self.primaries[site.name] = decision  # type: ignore[assignment]
        elif isinstance(decision, SitePlacement):
            self.outcome[site.name] = decision

    def plan(self) -> Plan:
        catalog, spec = self.engine.catalog, self.spec
        zones: list[ZoneAssignment] = []
        for zone_id in sorted({*self.primary_zones, *self.standby_zones}):
            zone = catalog.zone(zone_id)
            if zone_id in self.primary_zones:
                role: Role = "primary"
                replicas, sites = spec.replicas_per_zone, self.primary_zones[zone_id]
            else:
                role, replicas, sites = "standby", spec.standby_replicas, self.standby_zones[zone_id]
            zones.append(ZoneAssignment(zone_id, zone.country, zone.operator, role, replicas, tuple(sorted(sites))))
        return Plan(app=spec.name, sites=tuple(self.outcome[s.name] for s in self.sites), zones=tuple(zones))


# Explanations: why a site has no zone, or no failover -------------------------------------------------


def _failover_scope(run: _AppRun, site: Site) -> tuple[frozenset[str], str, Reason | None]:
    """Countries a site may fail over to, and a phrase and reason saying why not (empty set: none)."""
    spec = run.spec
    if spec.data_classification == "restricted":
        return frozenset(), "no cross-border failover: restricted data never crosses a border", "restricted"
    if spec.failover == "none":
        return frozenset(), "no failover: the app's failover mode is none", "failover-none"
    scope = run.scopes.get(site.country)
    if scope is None:
        scope = run.scopes[site.country] = failover_countries(site.country, run.residency, spec.failover)
    return scope, "", None


def _where(run: _AppRun, countries: frozenset[str]) -> str:
    """The countries among ``countries`` that have catalog zones (all of them if none has), for messages."""
    with_zones = sorted(c for c in countries if run.engine.by_country.get(c))
    return ", ".join(with_zones or sorted(countries))


@dataclass(frozen=True)
class _Why:
    problem: str
    cause: Cause
    reason: Reason
    full_zone: str | None = None


def _no_room(run: _AppRun, site: Site, countries: frozenset[str], demand: Demand, lack: str) -> _Why:
    """Why no up zone of ``countries`` within budget takes ``demand``: no zone has the GPU model, or capacity.

    ``full_zone`` is the best zone that could hold the demand if nothing else used it: the one to enlarge
    or to free, which the federation plan names with everything that uses it.
    """
    engine, spec, budget = run.engine, run.spec, site.latency_budget_ms
    gpu = spec.resources.gpu
    if gpu is not None:
        has_model = lambda z: run.is_up(z) and z.capacity.gpus.get(gpu.model, 0) > 0  # noqa: E731
        if engine.best(site, countries, has_model, budget, spec.home_operator) is None:
            where = _where(run, countries)
            return _Why(
                f"no zone in {where} within {budget:g} ms has GPU model {gpu.model!r}, which {spec.name} needs",
                "configuration",
                "gpu-model",
            )
    could = lambda z: run.is_up(z) and fits(z, demand, Usage())  # noqa: E731
    nearest = engine.best(site, countries, could, budget, spec.home_operator)
    if nearest is None:
        return _Why(f"{lack}: no zone within budget is big enough even when empty", "configuration", "capacity")
    return _Why(f"{lack} ({nearest[0].id} is full)", "configuration", "capacity", nearest[0].id)


def _describe_no_failover(run: _AppRun, site: Site, scope: frozenset[str]) -> _Why:
    spec, engine, geo = run.spec, run.engine, geography()
    if not scope:
        neighbours = sorted(geo.neighbours.get(site.country, frozenset()))
        return _Why(
            f"residency {sorted(spec.residency_countries)} forbids every country it could fail over to "
            f"(neighbours of {site.country}: {', '.join(neighbours) or 'none'}); "
            "widen residency or set failover: none",
            "configuration",
            "residency",
        )
    budget, home = site.latency_budget_ms, spec.home_operator
    if engine.best(site, scope, lambda z: z.id in run.usable, budget, home) is None:
        return _Why(
            f"no active zone in {_where(run, scope)} within {budget:g} ms of the site", "configuration", "budget"
        )
    if engine.best(site, scope, run.is_up, budget, home) is None:
        return _Why(f"every zone in {_where(run, scope)} within budget is unavailable", "outage", "outage")
    lack = f"no zone in {_where(run, scope)} within budget has capacity left"
    return _no_room(run, site, scope, run.reserve_demand, lack)


def _with_primary(run: _AppRun, site: Site, found: tuple[Zone, float]) -> SitePlacement:
    zone, latency = found
    head = f"site {site.name} ({site.country}): primary {zone.id} at {latency:.1f} ms"
    scope, why_not, reason = _failover_scope(run, site)
    failover = None
    if scope:
        failover = run.engine.best(site, scope, run.can_stand_by, site.latency_budget_ms, run.spec.home_operator)
    if failover is not None:
        fzone, flat = failover
        run.assign(fzone, site.name, "standby")
        phrase = "a neighbour inside residency" if run.spec.failover == "neighbour" else "inside residency"
        return SitePlacement(
            site=site.name, country=site.country, primary=zone.id, primary_latency_ms=latency,
            failover=fzone.id, failover_latency_ms=flat, serving=zone.id,
            explanation=f"{head}; failover {fzone.id} ({fzone.country}) at {flat:.1f} ms, {phrase}",
        )  # fmt: skip
    full_zone = None
    if not why_not:
        why = _describe_no_failover(run, site, scope)
        reason, full_zone = why.reason, why.full_zone
        if why.cause == "configuration":
            # Failover was asked for and can never happen: the inputs must change.
            return SitePlacement(
                site=site.name, country=site.country, primary=zone.id, primary_latency_ms=latency,
            failover=None, failover_latency_ms=None, serving=zone.id,
                explanation=f"{head}; failover impossible: {why.problem}",
                problem=f"failover impossible: {why.problem}", cause="configuration", reason=reason,
                full_zone=full_zone,
            )  # fmt: skip
        why_not = f"no failover right now: {why.problem}"
    return SitePlacement(
        site=site.name, country=site.country, primary=zone.id, primary_latency_ms=latency,
            failover=None, failover_latency_ms=None, serving=zone.id,
        explanation=f"{head}; {why_not}", reason=reason,
    )  # fmt: skip


def _without_primary(run: _AppRun, site: Site) -> SitePlacement:
    spec, engine = run.spec, run.engine
    budget, home, country = site.latency_budget_ms, spec.home_operator, frozenset([site.country])
    if engine.best(site, country, lambda z: z.id in run.usable, budget, home) is None:
        if not engine.by_country.get(site.country):
            return _unserved(site, f"the catalog has no zone in {site.country}", "configuration", "no-zone")
        nearest = engine.best(site, country, lambda z: z.id in run.usable, math.inf, home)
        if nearest is None:
            return _unserved(
                site, f"no active {site.country} zone is among the usable zones", "configuration", "no-zone"
            )
        return _unserved(
            site,
            f"no {site.country} zone within the {budget:g} ms budget (nearest: {nearest[0].id} at {nearest[1]:.1f} ms)",
            "configuration",
            "budget",
        )
    reason = _outage_reason(run, site)
    if reason is None:
        lack = f"no {site.country} zone within {budget:g} ms has capacity left for {spec.name}"
        why = _no_room(run, site, country, run.primary_demand, lack)
        return _unserved(site, why.problem, "configuration", why.reason, why.full_zone)
    scope, why_not, no_scope = _failover_scope(run, site)
    if not scope:
        return _unserved(
            site, f"{reason}; {why_not or 'residency allows no other country'}", "outage", no_scope or "residency"
        )
    found = engine.best(site, scope, run.can_serve, budget, home)
    if found is None:
        why = _describe_no_failover(run, site, scope)
        return _unserved(site, f"{reason}; and {why.problem}", "outage", why.reason, why.full_zone)
    fzone, flat = found
    run.assign(fzone, site.name, "primary")
    head = f"site {site.name} ({site.country}): "
    return SitePlacement(
        site=site.name, country=site.country, primary=None, primary_latency_ms=None, failover=fzone.id,
        failover_latency_ms=flat, serving=fzone.id,
        explanation=f"{head}FAILED OVER to {fzone.id} ({fzone.country}) at {flat:.1f} ms: {reason}",
    )  # fmt: skip


def _outage_reason(run: _AppRun, site: Site) -> str | None:
    """Why the site's own country cannot serve it *because zones are down*; None if that is not why.

    Every in-country zone within budget down is an outage; so is a down zone that would serve the
    site while the zones still up cannot (for example the country's only GPU zone).
    """
    engine = run.engine
    budget, home, country = site.latency_budget_ms, run.spec.home_operator, site.country
    in_budget_down = sorted(
        z.id
        for z in engine.by_country.get(country, ())
        if z.id in run.usable and z.id in run.unavailable and engine.latency_ms(site, z, home) <= budget + EPSILON
    )
    if not in_budget_down:
        return None
    if engine.best(site, frozenset([country]), run.is_up, budget, home) is None:
        return f"every {country} zone within {budget:g} ms is unavailable ({', '.join(in_budget_down)})"
    would_serve = [z for z in in_budget_down if fits(engine.catalog.zone(z), run.primary_demand, run.usage)]
    if not would_serve:
        return None
    return (
        f"{', '.join(would_serve)} unavailable and no other {country} zone within {budget:g} ms "
        f"has capacity left for {run.spec.name}"
    )


def place(
    catalog: Catalog,
    spec: AppSpec,
    unavailable: Iterable[str] = (),
    *,
    zones: Iterable[str] | None = None,
) -> Plan:
    """Place one app on a catalog (convenience wrapper over :class:`Engine`)."""
    return Engine(catalog).place(spec, unavailable=unavailable, zones=zones)


def place_all(
    catalog: Catalog,
    specs: Sequence[AppSpec],
    unavailable: Iterable[str] = (),
    *,
    zones: Iterable[str] | None = None,
) -> dict[str, Plan]:
    """Place several apps together, sharing zone capacity in the given order (see the module's rules)."""
    allowed = None if zones is None else frozenset(zones)
    plans = Engine(catalog).place_together([Request(spec, allowed) for spec in specs], unavailable=unavailable)
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

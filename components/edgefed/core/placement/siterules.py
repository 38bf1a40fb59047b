"""The per-site placement rules of one app: its in-country zone, its outage failover, its standby.

:class:`AppRun` holds one app's state while the rules run (:mod:`edgefed.core.placement.placer` runs them for every
app in turn; :mod:`edgefed.core.placement.replay` re-runs only what an outage touches); the functions below explain
each outcome (why a site has no zone, or no failover) in the words a reviewer reads.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from edgefed.core.inputs.appspec import AppSpec, Site
from edgefed.core.inputs.catalog import Catalog, Zone
from edgefed.core.inputs.geography import geography
from edgefed.core.placement.capacity import EPSILON, Demand, Usage, fits, reserved_replicas, take
from edgefed.core.placement.latency import ZoneSearch
from edgefed.core.placement.plan import Cause, Plan, Reason, Role, SitePlacement, ZoneAssignment
from edgefed.core.placement.scope import failover_countries


class SiteRule(enum.IntEnum):
    """The per-site rules, in the order they run: each for every app before the next one."""

    IN_COUNTRY_PRIMARY = 0
    """The site's zone in its own country: the lowest latency within budget, with capacity left."""
    OUTAGE_FAILOVER = 1
    """A site without an in-country zone (its country's zones are down, or none fits) served across the border."""
    STANDBY = 2
    """A failover zone in another country for a site served in its own."""


def usable_zones(search: ZoneSearch, zones: frozenset[str] | None) -> frozenset[str]:
    """The active zones among ``zones`` (every zone of the catalog when None), checked once per set."""
    cache: dict[frozenset[str] | None, frozenset[str]] = search.__dict__.setdefault("_usable", {})
    found = cache.get(zones)
    if found is None:
        allowed = frozenset(search.catalog.zone_by_id) if zones is None else zones
        for zone_id in allowed:
            search.catalog.zone(zone_id)  # KeyError naming the known zones
        found = cache[zones] = frozenset(z.id for z in search.catalog.zones if z.id in allowed and z.status == "active")
    return found


def _unserved(site: Site, problem: str, cause: Cause, reason: Reason, full_zone: str | None = None) -> SitePlacement:
    """A site that is not served, and why."""
    explanation = f"site {site.name} ({site.country}): unserved: {problem}"
    return SitePlacement(
        site=site.name, country=site.country, primary=None, primary_latency_ms=None, failover=None,
        failover_latency_ms=None, serving=None, explanation=explanation, problem=problem, cause=cause,
        reason=reason, full_zone=full_zone,
    )  # fmt: skip


class Holdings:
    """The zones one app holds while the rules run (per role, the sites each serves), and what it took."""

    def __init__(self, usage: Usage, primary_demand: Demand, reserve_demand: Demand) -> None:
        self.usage, self.primary_demand, self.reserve_demand = usage, primary_demand, reserve_demand
        self.primary_zones: dict[str, list[str]] = {}
        self.standby_zones: dict[str, list[str]] = {}
        self.log: list[tuple[str, Role]] = []
        """Zones assigned since the last :meth:`new_step` (for traces)."""
        self.taken: list[tuple[Zone, Demand]] = []
        """Capacity taken since then."""

    def new_step(self) -> None:
        """Start recording one decision."""
        self.log, self.taken = [], []

    def holds(self, zone: Zone) -> bool:
        """The app already runs in ``zone`` (in any role): no more capacity to find there."""
        return zone.id in self.primary_zones or zone.id in self.standby_zones

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

    def assignments(self, catalog: Catalog, spec: AppSpec) -> tuple[ZoneAssignment, ...]:
        """One assignment per zone held, in zone-id order (a zone serving any site is a primary)."""
        zones: list[ZoneAssignment] = []
        for zone_id in sorted({*self.primary_zones, *self.standby_zones}):
            zone = catalog.zone(zone_id)
            if zone_id in self.primary_zones:
                role: Role = "primary"
                replicas, sites = spec.replicas_per_zone, self.primary_zones[zone_id]
            else:
                role, replicas, sites = "standby", spec.standby_replicas, self.standby_zones[zone_id]
            zones.append(ZoneAssignment(zone_id, zone.country, zone.operator, role, replicas, tuple(sorted(sites))))
        return tuple(zones)


class AppRun:
    """The state of one app while the rules run: where it may go, its holdings, each site's outcome."""

    def __init__(
        self, search: ZoneSearch, spec: AppSpec, unavailable: frozenset[str], zones: frozenset[str] | None, usage: Usage
    ) -> None:
        self.search, self.spec, self.usage = search, spec, usage
        self.usable = usable_zones(search, zones)
        self.foreign_law = frozenset[str]()
        """Zones left out because their operator is not under EU/EEA law and the app's data class needs it."""
        if spec.data_classification in search.eu_law_classes:
            self.foreign_law = self.usable - search.eu_law_zones
            self.usable -= self.foreign_law
        self.available = self.usable - unavailable
        self.unavailable = unavailable
        self.primary_demand = Demand.of(spec, spec.replicas_per_zone)
        self.reserve_demand = Demand.of(spec, reserved_replicas(spec, "standby", search.catalog))
        """What a standby zone reserves: the full primary replicas (guaranteed takeover) or the standbys."""
        self.holdings = Holdings(usage, self.primary_demand, self.reserve_demand)
        self.sites = sorted(spec.sites, key=lambda s: s.name)
        self.primaries: dict[str, tuple[Zone, float] | None] = {}
        self.outcome: dict[str, SitePlacement] = {}
        self.residency = spec.residency_countries
        self.scopes: dict[str, frozenset[str]] = {}
        """Failover countries per site country, computed once."""

    def can_serve(self, zone: Zone) -> bool:
        """``zone`` is up and can take (or already holds) the app's primary replicas."""
        if zone.id not in self.available:
            return False
        return zone.id in self.holdings.primary_zones or fits(zone, self.primary_demand, self.usage)

    def can_stand_by(self, zone: Zone) -> bool:
        """``zone`` is up, can take (or already holds) what a standby reserves, and can run one.

        A zone reached through its operator's platform cannot: a platform instance has no replica count to
        keep warm at the standby's size.
        """
        if zone.id not in self.available or zone.reached_through == "platform":
            return False
        return self.holdings.holds(zone) or fits(zone, self.reserve_demand, self.usage)

    def is_up(self, zone: Zone) -> bool:
        """``zone`` is usable and not down."""
        return zone.id in self.available

    def assign(self, zone: Zone, site: str, role: Role, *, account: bool = True) -> None:
        """Give ``zone`` the role for ``site`` (see :meth:`Holdings.assign`)."""
        self.holdings.assign(zone, site, role, account=account)

    def decide(self, rule: SiteRule, site: Site) -> None:
        """Apply one rule to one site."""
        if rule is SiteRule.IN_COUNTRY_PRIMARY:
            home = self.spec.home_operator
            found = self.search.best(site, frozenset([site.country]), self.can_serve, site.latency_budget_ms, home)
            self.primaries[site.name] = found
            if found:
                self.assign(found[0], site.name, "primary")
            return
        primary = self.primaries[site.name]
        if rule is SiteRule.OUTAGE_FAILOVER and primary is None:
            self.outcome[site.name] = _without_primary(self, site)
        elif rule is SiteRule.STANDBY and primary is not None:
            self.outcome[site.name] = _with_primary(self, site, primary)

    def repeat(
        self, rule: SiteRule, site: Site, step: tuple[tuple[tuple[str, Role], ...], object], *, account: bool = True
    ) -> None:
        """Replay a traced decision: the same assignments, the same outcome."""
        assigned, decision = step
        for zone_id, role in assigned:
            self.assign(self.search.catalog.zone_by_id[zone_id], site.name, role, account=account)
        if rule is SiteRule.IN_COUNTRY_PRIMARY:
            self.primaries[site.name] = decision  # type: ignore[assignment]
        elif isinstance(decision, SitePlacement):
            self.outcome[site.name] = decision

    def decision(self, rule: SiteRule, site: Site) -> object:
        """What ``rule`` decided for ``site``: its primary (zone and latency), or its placement."""
        return self.primaries.get(site.name) if rule is SiteRule.IN_COUNTRY_PRIMARY else self.outcome.get(site.name)

    def plan(self) -> Plan:
        """The app's plan once every rule has run."""
        sites = tuple(self.outcome[s.name] for s in self.sites)
        return Plan(app=self.spec.name, sites=sites, zones=self.holdings.assignments(self.search.catalog, self.spec))


# Explanations: why a site has no zone, or no failover -------------------------------------------------


def failover_scope(run: AppRun, site: Site) -> tuple[frozenset[str], str, Reason | None]:
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


def _where(run: AppRun, countries: frozenset[str]) -> str:
    """The countries among ``countries`` that have catalog zones (all of them if none has), for messages."""
    with_zones = sorted(c for c in countries if run.search.by_country.get(c))
    return ", ".join(with_zones or sorted(countries))


def _law_note(run: AppRun, countries: frozenset[str]) -> str:
    """Which zones of ``countries`` the app may not use because of their operator's jurisdiction (or nothing)."""
    left_out = sorted(z.id for c in countries for z in run.search.by_country.get(c, ()) if z.id in run.foreign_law)
    if not left_out:
        return ""
    return (
        f" ({', '.join(left_out)} left out: {run.spec.data_classification} data runs only on operators under "
        "EU/EEA law, rule require-eu-jurisdiction)"
    )


@dataclass(frozen=True)
class _Why:
    problem: str
    cause: Cause
    reason: Reason
    full_zone: str | None = None


def _no_room(run: AppRun, site: Site, countries: frozenset[str], demand: Demand, lack: str) -> _Why:
    """Why no up zone of ``countries`` within budget takes ``demand``: no zone has the GPU model, or capacity.

    ``full_zone`` is the best zone that could hold the demand if nothing else used it: the one to enlarge
    or to free, which the federation plan names with everything that uses it.
    """
    search, spec, budget = run.search, run.spec, site.latency_budget_ms
    gpu = spec.resources.gpu
    if gpu is not None:
        has_model = lambda z: run.is_up(z) and z.capacity.gpus.get(gpu.model, 0) > 0  # noqa: E731
        if search.best(site, countries, has_model, budget, spec.home_operator) is None:
            where = _where(run, countries)
            return _Why(
                f"no zone in {where} within {budget:g} ms has GPU model {gpu.model!r}, which {spec.name} needs"
                + _law_note(run, countries),
                "configuration",
                "gpu-model",
            )
    could = lambda z: run.is_up(z) and fits(z, demand, Usage())  # noqa: E731
    nearest = search.best(site, countries, could, budget, spec.home_operator)
    if nearest is None:
        return _Why(f"{lack}: no zone within budget is big enough even when empty", "configuration", "capacity")
    return _Why(f"{lack} ({nearest[0].id} is full)", "configuration", "capacity", nearest[0].id)


def _describe_no_failover(run: AppRun, site: Site, scope: frozenset[str]) -> _Why:
    spec, search, geo = run.spec, run.search, geography()
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
    if search.best(site, scope, lambda z: z.id in run.usable, budget, home) is None:
        return _Why(
            f"no active zone in {_where(run, scope)} within {budget:g} ms of the site{_law_note(run, scope)}",
            "configuration",
            "budget",
        )
    if search.best(site, scope, run.is_up, budget, home) is None:
        return _Why(f"every zone in {_where(run, scope)} within budget is unavailable", "outage", "outage")
    lack = f"no zone in {_where(run, scope)} within budget has capacity left"
    return _no_room(run, site, scope, run.reserve_demand, lack)


def _with_primary(run: AppRun, site: Site, found: tuple[Zone, float]) -> SitePlacement:
    zone, latency = found
    head = f"site {site.name} ({site.country}): primary {zone.id} at {latency:.1f} ms"
    scope, why_not, reason = failover_scope(run, site)
    failover = None
    if scope:
        failover = run.search.best(site, scope, run.can_stand_by, site.latency_budget_ms, run.spec.home_operator)
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


def _without_primary(run: AppRun, site: Site) -> SitePlacement:
    spec, search = run.spec, run.search
    budget, home, country = site.latency_budget_ms, spec.home_operator, frozenset([site.country])
    if search.best(site, country, lambda z: z.id in run.usable, budget, home) is None:
        if not search.by_country.get(site.country):
            return _unserved(site, f"the catalog has no zone in {site.country}", "configuration", "no-zone")
        nearest = search.best(site, country, lambda z: z.id in run.usable, math.inf, home)
        if nearest is None:
            return _unserved(
                site,
                f"no active {site.country} zone is among the usable zones{_law_note(run, country)}",
                "configuration",
                "no-zone",
            )
        return _unserved(
            site,
            f"no {site.country} zone within the {budget:g} ms budget (nearest: {nearest[0].id} at {nearest[1]:.1f} ms)"
            + _law_note(run, country),
            "configuration",
            "budget",
        )
    reason = _outage_reason(run, site)
    if reason is None:
        lack = f"no {site.country} zone within {budget:g} ms has capacity left for {spec.name}"
        why = _no_room(run, site, country, run.primary_demand, lack)
        return _unserved(site, why.problem, "configuration", why.reason, why.full_zone)
    scope, why_not, no_scope = failover_scope(run, site)
    if not scope:
        return _unserved(
            site, f"{reason}; {why_not or 'residency allows no other country'}", "outage", no_scope or "residency"
        )
    found = search.best(site, scope, run.can_serve, budget, home)
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


def _outage_reason(run: AppRun, site: Site) -> str | None:
    """Why the site's own country cannot serve it *because zones are down*; None if that is not why.

    Every in-country zone within budget down is an outage; so is a down zone that would serve the
    site while the zones still up cannot (for example the country's only GPU zone).
    """
    search = run.search
    budget, home, country = site.latency_budget_ms, run.spec.home_operator, site.country
    in_budget_down = sorted(
        z.id
        for z in search.by_country.get(country, ())
        if z.id in run.usable and z.id in run.unavailable and search.latency_ms(site, z, home) <= budget + EPSILON
    )
    if not in_budget_down:
        return None
    note = _law_note(run, frozenset([country]))
    if search.best(site, frozenset([country]), run.is_up, budget, home) is None:
        return f"every {country} zone within {budget:g} ms is unavailable ({', '.join(in_budget_down)}){note}"
    would_serve = [z for z in in_budget_down if fits(search.catalog.zone(z), run.primary_demand, run.usage)]
    if not would_serve:
        return None
    return (
        f"{', '.join(would_serve)} unavailable and no other {country} zone within {budget:g} ms "
        f"has capacity left for {run.spec.name}{note}"
    )
